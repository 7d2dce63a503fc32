import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { staleVariants } from '../scripts/kernel-inputs.mjs';

/**
 * Vitest global setup of every project that runs the wasm kernels (vitest.alias.ts adds it):
 * recompiles the committed src/kernels-*.generated.ts when assembly/, core's op table or the
 * compiler changed since they were built, so a test never runs kernels older than their sources.
 */
export default function setup(): void {
  const stale: string[] = staleVariants();
  if (stale.length === 0) return;
  console.log(`backend-wasm: kernels ${stale.join(', ')} are older than assembly/ or core's op table: recompiling (a minute or two)`);
  const script = fileURLToPath(new URL('../scripts/build-wasm.mjs', import.meta.url));
  execFileSync(process.execPath, [script], { stdio: 'inherit' });
}
