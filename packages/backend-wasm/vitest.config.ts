import { defineProject } from 'vitest/config';
import { workspaceAlias } from '../../vitest.alias.ts';

export default defineProject({
  resolve: { alias: workspaceAlias },
  test: {
    // Generous: CI machines are shared and slow; no test asserts on time.
    testTimeout: 60_000,
    name: 'backend-wasm',
    include: ['test/**/*.test.ts'],
    // Builds src/kernels-*.generated.ts from assembly/ when one is missing (a fresh clone).
    globalSetup: ['./test/global-setup.ts'],
  },
});
