import { packageBuild } from '../../tsup.base.ts';

export default packageBuild({
  // Two entries: the embedded MNIST digits (21 MB of JSON in the `mnist` package) are only
  // reachable from './mnist-embedded', so the main entry never pulls them into a bundle.
  entry: ['src/index.ts', 'src/mnist-embedded.ts'],
  // Keep `with { type: 'json' }` on the digit imports (Node and Deno require it); es2022 alone
  // would make esbuild drop the attribute.
  esbuildOptions(options) {
    options.supported = { ...options.supported, 'import-attributes': true };
  },
});
