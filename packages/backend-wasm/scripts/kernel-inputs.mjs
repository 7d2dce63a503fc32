// What the compiled kernels (src/kernels-*.generated.ts, committed) are built from, and whether
// the committed ones are still current. The kernels are committed so that a fresh clone needs no
// AssemblyScript compile (the six compiles took 30-120 s on 2 cores, most of a first
// `pnpm run train`); each generated module's second line records the hash of its inputs, so a
// stale one is noticed without compiling: scripts/build.mjs and the vitest global setup rebuild
// it, and `build-wasm.mjs --verify` (a `pnpm test` suite) fails when the committed modules differ
// from a fresh compile of the current sources.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

/** The package's directory (packages/backend-wasm). */
export const packageDir = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const repoRoot = path.join(packageDir, '..', '..');

/** The compiled variants, each in its own module `src/kernels-<name>.generated.ts`. */
export const VARIANTS = ['simd', 'relaxed', 'simd-threads', 'relaxed-threads'];
export const generatedFile = (variant) => path.join(packageDir, 'src', `kernels-${variant}.generated.ts`);

/**
 * The files the kernels are compiled from: assembly/ (less the op codes, generated from core's op
 * table at every build), core's op table, the build scripts. Paths are relative to the package.
 */
export function kernelInputFiles() {
  const assembly = readdirSync(path.join(packageDir, 'assembly'), { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name !== 'op-codes.generated.ts')
    .map((e) => path.join(e.parentPath ?? e.path, e.name));
  return [
    ...assembly,
    path.join(packageDir, '..', 'core', 'src', 'op-table.ts'),
    ...['build-wasm.mjs', 'op-codes.mjs', 'kernel-inputs.mjs'].map((f) => path.join(packageDir, 'scripts', f)),
  ]
    .map((f) => path.relative(packageDir, f).split(path.sep).join('/'))
    .sort();
}

/** The installed version of a package directory's package.json ('missing' when absent). */
function versionAt(dir) {
  const file = path.join(dir, 'package.json');
  return existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')).version : 'missing';
}

/** AssemblyScript's version and that of the Binaryen it runs (pnpm keeps it beside AssemblyScript). */
function compilerVersion() {
  const asc = path.join(repoRoot, 'node_modules', 'assemblyscript');
  if (!existsSync(asc)) return 'assemblyscript missing';
  return `assemblyscript ${versionAt(asc)} binaryen ${versionAt(path.join(realpathSync(asc), '..', 'binaryen'))}`;
}

/**
 * sha256 (16 hex digits) over the input files' paths and contents (line endings normalised, so a
 * Windows checkout agrees) and the compiler's version (AssemblyScript and its Binaryen).
 */
export function kernelInputsHash() {
  const h = createHash('sha256');
  for (const rel of kernelInputFiles()) {
    h.update(rel).update('\0').update(readFileSync(path.join(packageDir, rel), 'utf8').replace(/\r\n/g, '\n')).update('\0');
  }
  h.update(compilerVersion());
  return h.digest('hex').slice(0, 16);
}

/** The header line that records the inputs' hash in each generated module. */
export const hashLine = (hash) =>
  `// Inputs: ${hash} (assembly/, core's op table, the build scripts, the compiler version; see scripts/kernel-inputs.mjs).\n`;

/** The inputs' hash a generated module's text records, or undefined. */
export const recordedHash = (text) => /^\/\/ Inputs: ([0-9a-f]{16}) /m.exec(text)?.[1];

/**
 * The variants whose generated module is missing or was built from other inputs than the current
 * ones (an empty list: all current).
 */
export function staleVariants(hash = kernelInputsHash()) {
  return VARIANTS.filter((v) => {
    const file = generatedFile(v);
    if (!existsSync(file)) return true;
    // The hash is on the second line: read the head only (each module is ~100 KiB of base64).
    return recordedHash(readFileSync(file, 'utf8').slice(0, 512)) !== hash;
  });
}
