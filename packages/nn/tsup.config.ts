import type { Plugin } from 'esbuild';
import { packageBuild } from '../../tsup.base.ts';

// `F` (and `functional`) is a module of its own in dist/, re-exported as `export * as F from
// './functional.js'`, so an app's bundler keeps only the functions it calls (esbuild would turn it
// into one object holding every function).
const functionalApart: Plugin = {
  name: 'functional-apart',
  setup(build) {
    build.onResolve({ filter: /^\.\/functional\/index\.ts$/ }, (args) =>
      args.importer.endsWith('/src/index.ts') ? { path: './functional.js', external: true } : undefined);
  },
};

export default packageBuild({
  entry: { index: 'src/index.ts', functional: 'src/functional/index.ts' },
  splitting: true,
  esbuildPlugins: [functionalApart],
});
