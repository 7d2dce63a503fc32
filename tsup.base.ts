import { defineConfig, type Options } from 'tsup';
import { pureNamespaces } from './tsup.pure-namespaces.ts';

/**
 * How every package builds: ESM and bundled .d.ts from src/index.ts, for ES2022. `node:`
 * specifiers are kept (tsup 8.3+ strips them by default, which breaks Deno). `overrides` adds
 * or replaces options (extra entries, externals). TORCHLET_BUILD_NO_DTS=1 (set by
 * `scripts/build.mjs --js`, which is what the examples run) skips the slow type declarations.
 * Namespace re-exports are made tree-shakable for apps (tsup.pure-namespaces.ts).
 */
export function packageBuild(overrides: Options = {}): ReturnType<typeof defineConfig> {
  return defineConfig({
    entry: ['src/index.ts'],
    format: ['esm'],
    dts: !process.env.TORCHLET_BUILD_NO_DTS,
    sourcemap: true,
    clean: true,
    target: 'es2022',
    removeNodeProtocol: false,
    plugins: [pureNamespaces],
    ...overrides,
  });
}
