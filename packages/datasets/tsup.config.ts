import { defineConfig } from 'tsup';

export default defineConfig({
  // Two entries: the embedded MNIST digits (21 MB of JSON in the `mnist` package) are only
  // reachable from './mnist-embedded', so the main entry never pulls them into a bundle.
  entry: ['src/index.ts', 'src/mnist-embedded.ts'],
  format: ['esm'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'es2022',
  removeNodeProtocol: false,
  // Keep `with { type: 'json' }` on the digit imports (Node and Deno require it); es2022 alone
  // would make esbuild drop the attribute.
  esbuildOptions(options) {
    options.supported = { ...options.supported, 'import-attributes': true };
  },
});
