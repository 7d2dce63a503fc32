import type { Options } from 'tsup';

type Plugin = NonNullable<Options['plugins']>[number];

/**
 * esbuild turns `export * as F from './functional/index.ts'` into a namespace object filled by a
 * call, `var functional_exports = {}; __export(functional_exports, { ... })`. An app's bundler
 * cannot tell that call has no side effects, so every such namespace of a package (nn.init,
 * nn.utils, nn.quantization, core's linalg, ...) and everything it names stayed in every app that
 * imported the package, used or not (9 KB gz of the README's MLP app). This rewrites each one to
 * `var functional_exports = /* @__PURE__ *\/ __exportPure({ ... })`, the same object built by a
 * call marked pure, so a namespace nobody reads is dropped. Line numbers are kept, so the source
 * map stays right. A chunk that calls `__export` in a form not rewritten fails the build, so a
 * change in esbuild's output cannot silently bring the cost back.
 */
export const pureNamespaces: Plugin = {
  name: 'pure-namespaces',
  renderChunk(code, chunk) {
    if (!code.includes('__export(')) return undefined;
    let count = 0;
    // The helper is defined on the first rewritten line (`__export` is in scope there: defined at
    // the top of the chunk, or imported from a shared chunk when the package has several entries).
    const helper = 'var __exportPure = (all) => { var target = {}; __export(target, all); return target; }; ';
    const rewritten = code.replace(
      /^var (\w+) = \{\};\n__export\(\1, \{$/gm,
      (_match, name: string) => {
        count += 1;
        return `${count === 1 ? helper : ''}var ${name} = /* @__PURE__ */ __exportPure(\n{`;
      },
    );
    // What remains is the helper's own call, once.
    const calls = (rewritten.match(/__export\(/g) ?? []).length;
    if (calls !== (count > 0 ? 1 : 0)) {
      throw new Error(`pure-namespaces: ${chunk.path} has __export calls in a form this plugin does not rewrite (esbuild's output changed?)`);
    }
    return count === 0 ? undefined : { code: rewritten };
  },
};
