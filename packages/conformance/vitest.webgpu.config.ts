import { defineConfig } from 'vitest/config';
import { workspaceAlias } from '../../vitest.alias.ts';

// The conformance suite on the WebGPU backend in Node (Dawn on SwiftShader): `pnpm run test:webgpu:node`.
// Kept out of the default run while one case (oneHot with inferred numClasses, which reads
// synchronously in core) cannot pass on a backend without readSync.
export default defineConfig({
  resolve: { alias: workspaceAlias },
  test: {
    include: ['webgpu/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
