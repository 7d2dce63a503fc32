// fused.int8Linear against the contract's formula (core's FusedKernels.int8Linear) written out in
// float32 with Math.fround after every operation: the kernel's int32 sums are exact, so the
// outputs must agree bit for bit. The shapes cover the kernel's edges: M not a multiple of the
// 4-row panel, odd N, K with a scalar tail (not a multiple of 8) and K past 1040 (where f32(acc)
// rounds).
import { describe, expect, it } from 'vitest';
import type { View } from '@torchlet/core';
import { backend, rng } from './helpers.ts';

const f = Math.fround;

function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return r - v === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** The contract: sx = max|x| / 127 (1 for all zeros), xq = clamp(round(x / sx)), out = f32(acc) * (sx * ws) + b. */
function reference(x: Float32Array, wq: Int8Array, ws: Float32Array, bias: Float32Array | null, M: number, N: number, K: number): Float32Array {
  let amax = 0;
  for (const v of x) amax = Math.max(amax, Math.abs(v));
  const sx = amax > 0 ? f(amax / 127) : 1;
  const xq = x.map((v) => Math.min(127, Math.max(-127, roundHalfEven(f(v / sx)))));
  const out = new Float32Array(M * N);
  for (let m = 0; m < M; m++) for (let n = 0; n < N; n++) {
    let acc = 0;
    for (let k = 0; k < K; k++) acc += xq[m * K + k]! * wq[n * K + k]!;
    out[m * N + n] = f(f(f(acc) * f(sx * ws[n]!)) + (bias ? bias[n]! : 0));
  }
  return out;
}

async function run(x: Float32Array, wq: Int8Array, ws: Float32Array, bias: Float32Array | null, M: number, N: number, K: number): Promise<Float32Array> {
  const b = await backend();
  const kp = Math.ceil(K / 16) * 16;
  const packed = new Int8Array(N * kp);
  for (let n = 0; n < N; n++) packed.set(wq.subarray(n * K, (n + 1) * K), n * kp);
  const view = (data: Float32Array | Int32Array, shape: number[]): View => {
    const buffer = b.alloc(data.byteLength);
    b.write(buffer, data);
    const dtype = data instanceof Int32Array ? 'int32' as const : 'float32' as const;
    return { buffer, dtype, shape, strides: shape.length === 2 ? [shape[1]!, 1] : [1], offset: 0 };
  };
  const out = view(new Float32Array(M * N).fill(12345), [M, N]);
  const views = [view(x, [M, K]), view(new Int32Array(packed.buffer), [N, kp / 4]), view(ws, [N]), bias ? view(bias, [N]) : null];
  b.fused.int8Linear(views[0]!, views[1]!, views[2]!, views[3] ?? null, out);
  const got = b.readSync(out) as Float32Array;
  for (const v of [...views, out]) if (v) b.free(v.buffer);
  return got;
}

function operands(seed: number, M: number, N: number, K: number, xScale: number): { x: Float32Array; wq: Int8Array; ws: Float32Array; bias: Float32Array } {
  const r = rng(seed);
  return {
    x: Float32Array.from({ length: M * K }, () => (r() * 2 - 1) * xScale),
    wq: Int8Array.from({ length: N * K }, () => Math.round((r() * 2 - 1) * 127)),
    ws: Float32Array.from({ length: N }, () => r() * 0.02),
    bias: Float32Array.from({ length: N }, () => r() * 2 - 1),
  };
}

describe('int8Linear', () => {
  for (const [M, K, N] of [[1, 1, 1], [5, 37, 11], [4, 16, 2], [6, 40, 1], [9, 24, 7], [3, 8, 5], [64, 784, 128], [13, 1100, 3]] as const) {
    it(`[${M}, ${K}] x [${N}, ${K}]^T matches the contract bit for bit, with and without bias`, async () => {
      const { x, wq, ws, bias } = operands(M * 1000 + K + N, M, N, K, 3);
      expect(await run(x, wq, ws, bias, M, N, K)).toEqual(reference(x, wq, ws, bias, M, N, K));
      expect(await run(x, wq, ws, null, M, N, K)).toEqual(reference(x, wq, ws, null, M, N, K));
    });
  }

  it('rounds x / sx half to even (max|x| = 127 makes sx = 1, so the ties are exact)', async () => {
    const M = 5, K = 19, N = 3;
    const { wq, ws, bias } = operands(3, M, N, K, 1);
    const r = rng(4);
    const x = Float32Array.from({ length: M * K }, (_, i) => (i === 0 ? -127 : Math.round((r() * 2 - 1) * 120) + 0.5));
    const want = reference(x, wq, ws, bias, M, N, K);
    expect(await run(x, wq, ws, bias, M, N, K)).toEqual(want);
  });

  it('all-zero input gives the bias (sx = 1)', async () => {
    const M = 6, K = 33, N = 5;
    const { wq, ws, bias } = operands(5, M, N, K, 1);
    const got = await run(new Float32Array(M * K), wq, ws, bias, M, N, K);
    expect(got).toEqual(Float32Array.from({ length: M * N }, (_, i) => bias[i % N]!));
  });
});
