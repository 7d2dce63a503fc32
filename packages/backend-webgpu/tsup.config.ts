import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'es2022',
  removeNodeProtocol: false,
  // tfjs stays a dependency (not bundled); 'webgpu' is an optional peer found at run time.
  external: ['webgpu', '@tensorflow/tfjs-core', '@tensorflow/tfjs-backend-webgpu'],
});
