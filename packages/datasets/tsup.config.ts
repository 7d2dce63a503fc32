import { packageBuild } from '../../tsup.base.ts';

export default packageBuild({
  // Two entries: the embedded MNIST digits (data/mnist-embedded.bin, read on first use) are only
  // reachable from './mnist-embedded', so the main entry never pulls their loader into a bundle.
  entry: ['src/index.ts', 'src/mnist-embedded.ts'],
});
