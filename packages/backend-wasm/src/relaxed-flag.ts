// Node 20 (V8 11.3) implements relaxed SIMD but keeps it behind --experimental-wasm-relaxed-simd;
// Node 22, Deno and Chromium run it by default. V8 reads its wasm feature flags when it validates
// or compiles a module, so setting the flag at run time, before the kernels compile, lets Node 20
// run the relaxed build (fused multiply-add in matmul) without a command-line flag.
import { isNode } from './pool-words.ts';

/** The V8 flag that turns relaxed SIMD on in Node 20. */
export const RELAXED_SIMD_FLAG = '--experimental-wasm-relaxed-simd';

/**
 * In Node, sets V8's relaxed-SIMD flag when `validates()` says the engine lacks it, and returns
 * whether it validates afterwards. Anything that fails (another runtime, a Node without the flag,
 * `node:v8` unavailable) leaves the engine as it was and returns false: the caller then loads the
 * plain SIMD build.
 */
export async function enableRelaxedSimd(validates: () => boolean): Promise<boolean> {
  if (validates()) return true;
  if (!isNode()) return false;
  try {
    const specifier = 'node:v8'; // computed, so that browser bundlers do not resolve a Node built-in
    const v8 = (await import(/* @vite-ignore */ specifier)) as typeof import('node:v8');
    v8.setFlagsFromString(RELAXED_SIMD_FLAG);
  } catch {
    return false;
  }
  return validates();
}
