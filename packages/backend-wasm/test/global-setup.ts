import { existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** Vitest global setup: compiles the AssemblyScript kernels if a generated module is missing. */
export default function setup(): void {
  const generated = ['simd', 'relaxed'].map((v) => fileURLToPath(new URL(`../src/kernels-${v}.generated.ts`, import.meta.url)));
  if (generated.every((f) => existsSync(f))) return;
  const script = fileURLToPath(new URL('../scripts/build-wasm.mjs', import.meta.url));
  execFileSync(process.execPath, [script], { stdio: 'inherit' });
}
