import { defineProject } from 'vitest/config';
import { workspaceAlias } from '../../vitest.alias.ts';

export default defineProject({
  resolve: { alias: workspaceAlias }, test: {
    // Generous: CI machines are shared and slow; no test asserts on time.
    testTimeout: 60_000, name: 'nn', include: ['test/**/*.test.ts'] } });
