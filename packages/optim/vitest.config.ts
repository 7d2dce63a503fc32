import { defineProject } from 'vitest/config';
import { workspaceAlias } from '../../vitest.alias.ts';

export default defineProject({
  resolve: { alias: workspaceAlias }, test: { name: 'optim', include: ['test/**/*.test.ts'] } });
