import { defineProject } from 'vitest/config';
import { workspaceAlias } from '../../vitest.alias.ts';

export default defineProject({
  resolve: { alias: workspaceAlias },
  test: {
    name: 'backend-wasm',
    include: ['test/**/*.test.ts'],
    // Builds src/kernels-*.generated.ts from assembly/ when one is missing (a fresh clone).
    globalSetup: ['./test/global-setup.ts'],
  },
});
