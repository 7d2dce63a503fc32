/**
 * tfjs's packed matmul guards its reads of A past K but not of B, so in the last partial K tile it
 * multiplied A's zeros by whatever lay past row K of B: the next batch's rows or stale pool bytes.
 * 0 * -inf is NaN, and attention's key-padding masks put -inf in the scores, so masked
 * Transformer layers got NaN parameter gradients on WebGPU only (issue 13). The backend now
 * zero-pads K to a whole tile; these tests put -inf right past K and check every value.
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
