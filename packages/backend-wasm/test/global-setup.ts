import { existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** Vitest global setup: compiles the AssemblyScript kernels if the generated module is missing. */
export default function setup(): void {
  const generated = fileURLToPath(new URL('../src/kernels.generated.ts', import.meta.url));
  if (existsSync(generated)) return;
  const script = fileURLToPath(new URL('../scripts/build-wasm.mjs', import.meta.url));
  execFileSync(process.execPath, [script], { stdio: 'inherit' });
}
