import { defineProject } from 'vitest/config';
import { kernelsGlobalSetup, workspaceAlias, xdgRuntimeEnv } from '../../vitest.alias.ts';

export default defineProject({
  resolve: { alias: workspaceAlias },
  test: {
    name: 'conformance',
    include: ['test/**/*.test.ts'],
    env: xdgRuntimeEnv(),
    globalSetup: [kernelsGlobalSetup],
    // Some cases (large matmuls, whole modules) take a while on a slow CPU.
    testTimeout: 60_000,
  },
});
