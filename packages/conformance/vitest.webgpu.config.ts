import { defineConfig } from 'vitest/config';
import { kernelsGlobalSetup, workspaceAlias, xdgRuntimeEnv } from '../../vitest.alias.ts';

// The conformance suite on the WebGPU backend in Node (Dawn on SwiftShader): `pnpm run test:webgpu:node`,
// part of `pnpm test`. Its own config because a software GPU needs longer timeouts than the wasm run.
export default defineConfig({
  resolve: { alias: workspaceAlias },
  test: {
    include: ['webgpu/**/*.test.ts'],
    env: xdgRuntimeEnv(),
    globalSetup: [kernelsGlobalSetup],
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
