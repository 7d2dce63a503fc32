/**
 * tfjs's packed matmul guards its reads of A past K but not of B, so in the last partial K tile it
 * multiplied A's zeros by whatever lay past row K of B: the next batch's rows or stale pool bytes.
 * 0 * -inf is NaN, and attention's key-padding masks put -inf in the scores, so masked
 * Transformer layers got NaN parameter gradients on WebGPU only (issue 13). Such matmuls now run
 * our strided kernel (matmul.ts), which guards every read; these tests put -inf right past K and
 * check every value. The last block checks that kernel on the layouts tfjs cannot take:
 * offsets, broadcast and strided batch dims, transposes, A and C in one buffer.
 */
import * as torch from '@torchlet/core';
import { removeBackendInstance } from '@torchlet/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import '../src/index.ts'; // registers 'webgpu'
import type { WebGpuBackend } from '../src/index.ts';

let backend: WebGpuBackend;
beforeAll(async () => {
  backend = (await torch.setBackend('webgpu')) as WebGpuBackend;
});
afterAll(() => removeBackendInstance('webgpu'));

const view = (buffer: number, shape: number[], strides: number[]): torch.View => ({ buffer, dtype: 'float32', shape, strides, offset: 0 });

describe('webgpu matmul with K not a multiple of the tile', () => {
  // [M, K, N]: K = 33 and 70 cross a tile boundary; M = 1 takes tfjs's vector-matrix program.
  for (const [M, K, N] of [[10, 33, 10], [3, 70, 5], [1, 70, 40], [5, 5, 5]] as const) {
    for (const [ta, tb] of [[false, false], [true, true]] as const) {
      it(`[2, ${M}, ${K}] @ [2, ${K}, ${N}]${ta ? ', A transposed' : ''}${tb ? ', B transposed' : ''}: batch 0 ignores batch 1's -inf`, async () => {
        const nb = 2;
        const a = backend.alloc(nb * M * K * 4), b = backend.alloc(nb * K * N * 4), o = backend.alloc(nb * M * N * 4);
        const ah = new Float32Array(nb * M * K).fill(-Infinity), bh = new Float32Array(nb * K * N).fill(-Infinity);
        for (let i = 0; i < M * K; i++) ah[i] = (i % 7) - 3;
        for (let i = 0; i < K * N; i++) bh[i] = (i % 5) - 2;
        backend.write(a, ah);
        backend.write(b, bh);
        // Batch 0 of each operand, in its stored layout: A[m][k] = ah[ta ? k * M + m : m * K + k].
        const at = (m: number, k: number): number => ah[ta ? k * M + m : m * K + k]!;
        const bt = (k: number, n: number): number => bh[tb ? n * K + k : k * N + n]!;
        backend.matmul(
          ta ? view(a, [nb, M, K], [M * K, 1, M]) : view(a, [nb, M, K], [M * K, K, 1]),
          tb ? view(b, [nb, K, N], [K * N, 1, K]) : view(b, [nb, K, N], [K * N, N, 1]),
          view(o, [nb, M, N], [M * N, N, 1]),
        );
        const got = await backend.read(view(o, [M, N], [N, 1]));
        for (const id of [a, b, o]) backend.free(id);
        for (let m = 0; m < M; m++) {
          for (let n = 0; n < N; n++) {
            let want = 0;
            for (let k = 0; k < K; k++) want += at(m, k) * bt(k, n);
            expect(got[m * N + n], `[${m}, ${n}]`).toBe(want); // small integers: exact in float32
          }
        }
      });
    }
  }
});

describe('webgpu unbatched matmul with K not a multiple of the tile', () => {
  // The pool hands out buffers by size class (up to 25% larger than asked), so an unbatched B's
  // rows past K are whatever the buffer's last user left there: here -inf, which tfjs's unguarded
  // reads of B multiplied by A's zero padding into NaN.
  for (const [M, K, N] of [[10, 33, 10], [3, 70, 5], [1, 70, 40], [64, 33, 64], [40, 20, 48], [128, 50, 96]] as const) {
    for (const tb of [false, true]) {
      it(`[${M}, ${K}] @ [${K}, ${N}]${tb ? ' (B transposed)' : ''} ignores stale -inf in the pooled buffer's slack`, async () => {
        const bytes = K * N * 4;
        const cls = (await import('../src/pool.ts')).BufferPool.sizeClass(bytes);
        // Leave -inf in a buffer of B's size class, then hand it to B.
        const stale = backend.alloc(cls);
        backend.write(stale, new Float32Array(cls / 4).fill(-Infinity));
        backend.free(stale);
        const b = backend.alloc(bytes);
        const a = backend.alloc(M * K * 4), o = backend.alloc(M * N * 4);
        const ah = new Float32Array(M * K), bh = new Float32Array(K * N);
        for (let i = 0; i < M * K; i++) ah[i] = (i % 7) - 3;
        for (let i = 0; i < K * N; i++) bh[i] = (i % 5) - 2;
        backend.write(a, ah);
        backend.write(b, bh);
        const bt = (k: number, n: number): number => bh[tb ? n * K + k : k * N + n]!;
        backend.matmul(view(a, [M, K], [K, 1]), tb ? view(b, [K, N], [1, K]) : view(b, [K, N], [N, 1]), view(o, [M, N], [N, 1]));
        const got = await backend.read(view(o, [M, N], [N, 1]));
        for (const id of [a, b, o]) backend.free(id);
        for (let m = 0; m < M; m++) {
          for (let n = 0; n < N; n++) {
            let want = 0;
            for (let k = 0; k < K; k++) want += ah[m * K + k]! * bt(k, n);
            expect(got[m * N + n], `[${m}, ${n}]`).toBe(want);
          }
        }
      });
    }
  }
});

describe('webgpu strided matmul kernel', () => {
  /** Values small enough that every product sum is exact in float32. */
  const fill = (n: number, seed: number): Float32Array => Float32Array.from({ length: n }, (_, i) => ((i * 7 + seed) % 9) - 4);
  const at = (h: Float32Array, v: torch.View, idx: number[]): number => h[v.offset + idx.reduce((s, x, d) => s + x * v.strides[d]!, 0)]!;

  it('reads offsets, broadcast and permuted batch dims and transposes, with A and C in one buffer', async () => {
    // C [3, 2, 33, 35] = A [3, 2, 33, 17] @ B [3, 2, 17, 35]: M, N cross the 32-wide block, K the 16-deep step.
    const [P, Q, M, K, N] = [3, 2, 33, 17, 35];
    const shared = backend.alloc((40 + P * Q * M * K + P * Q * M * N) * 4); // A at offset 40, C after it
    const bbuf = backend.alloc((5 + Q * K * N) * 4);
    const sh = fill(40 + P * Q * M * K + P * Q * M * N, 1), bh = fill(5 + Q * K * N, 2);
    backend.write(shared, sh);
    backend.write(bbuf, bh);
    // A: batch dims permuted ([Q][P] in memory), rows and K transposed (column-major matrices).
    const a: torch.View = { buffer: shared, dtype: 'float32', shape: [P, Q, M, K], strides: [M * K, P * M * K, 1, M], offset: 40 };
    // B: broadcast over P (stride 0), at offset 5.
    const b: torch.View = { buffer: bbuf, dtype: 'float32', shape: [P, Q, K, N], strides: [0, K * N, N, 1], offset: 5 };
    const cOff = 40 + P * Q * M * K;
    const c: torch.View = { buffer: shared, dtype: 'float32', shape: [P, Q, M, N], strides: [Q * M * N, M * N, N, 1], offset: cOff };
    backend.matmul(a, b, c);
    const all = await backend.read({ buffer: shared, dtype: 'float32', shape: [cOff + P * Q * M * N], strides: [1], offset: 0 });
    backend.free(shared);
    backend.free(bbuf);
    for (let p = 0; p < P; p++) for (let q = 0; q < Q; q++) for (let m = 0; m < M; m++) for (let n = 0; n < N; n++) {
      let want = 0;
      for (let k = 0; k < K; k++) want += at(sh, a, [p, q, m, k]) * at(bh, b, [p, q, k, n]);
      expect(all[cOff + ((p * Q + q) * M + m) * N + n], `[${p}, ${q}, ${m}, ${n}]`).toBe(want);
    }
    // A's bytes were only read.
    expect(Array.from(all.subarray(0, cOff))).toEqual(Array.from(sh.subarray(0, cOff)));
  });

  it('takes a matrix-vector product (M = 1) and a strided output', async () => {
    const [M, K, N] = [1, 40, 70];
    const a = backend.alloc(K * 4), b = backend.alloc(K * N * 4), o = backend.alloc(2 * N * 4);
    const ah = fill(K, 3), bh = fill(K * N, 4);
    backend.write(a, ah);
    backend.write(b, bh);
    backend.write(o, new Float32Array(2 * N).fill(7));
    // C written every other element: [1, N] with column stride 2.
    backend.matmul(view(a, [M, K], [K, 1]), view(b, [K, N], [N, 1]), { ...view(o, [M, N], [2 * N, 2]) });
    const got = await backend.read(view(o, [2 * N], [1]));
    for (const id of [a, b, o]) backend.free(id);
    for (let n = 0; n < N; n++) {
      let want = 0;
      for (let k = 0; k < K; k++) want += ah[k]! * bh[k * N + n]!;
      expect(got[2 * n], `[${n}]`).toBe(want);
      expect(got[2 * n + 1]).toBe(7);
    }
  });
});
