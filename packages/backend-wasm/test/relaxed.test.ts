import { setFlagsFromString } from 'node:v8';
import { describe, expect, it } from 'vitest';
import type { View } from '@torchlet/core';
import { createWasmBackend, loadKernels } from '../src/index.ts';
import { rng } from './helpers.ts';

// Node 20 runs relaxed SIMD only behind a flag; V8 accepts it at run time, before compilation.
setFlagsFromString('--experimental-wasm-relaxed-simd');

describe('relaxed-SIMD build', () => {
  it('is chosen where the engine validates it and agrees with the plain SIMD build', async () => {
    let relaxedOk = true;
    try {
      await loadKernels('relaxed');
    } catch (e) {
      relaxedOk = false;
      expect(String(e)).toMatch(/relaxed SIMD/);
    }
    if (!relaxedOk) return; // an engine without relaxed SIMD: the loader falls back (tested elsewhere)
    const relaxed = await createWasmBackend();
    expect(relaxed.variant).toBe('relaxed');
    const simd = await createWasmBackend({ variant: 'simd' });
    const rand = rng(3);
    for (const [M, N, K] of [[1, 1, 1], [3, 5, 7], [65, 129, 17], [130, 70, 600]] as const) {
      const A = Float32Array.from({ length: M * K }, () => rand() - 0.5);
      const B = Float32Array.from({ length: K * N }, () => rand() - 0.5);
      const results = [relaxed, simd].map((be) => {
        const a = be.alloc(A.byteLength), b = be.alloc(B.byteLength), c = be.alloc(M * N * 4);
        be.write(a, A);
        be.write(b, B);
        const out: View = { buffer: c, dtype: 'float32', shape: [M, N], strides: [N, 1], offset: 0 };
        be.matmul(
          { buffer: a, dtype: 'float32', shape: [M, K], strides: [K, 1], offset: 0 },
          { buffer: b, dtype: 'float32', shape: [K, N], strides: [1, K], offset: 0 },
          out,
        );
        return be.readSync(out);
      });
      const tol = 4 * K * 2 ** -24;
      for (let i = 0; i < M * N; i++) expect(Math.abs(results[0]![i]! - results[1]![i]!)).toBeLessThanOrEqual(tol);
    }
  });
});
