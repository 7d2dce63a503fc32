import { describe, expect, it } from 'vitest';
import type { View } from '@torchlet/core';
import { backend, contiguous, gatherValues, numel, rng } from './helpers.ts';
import type { WasmBackend } from '../src/index.ts';

interface Operand {
  view: View;
  /** Logical row-major values. */
  values: number[];
}

/**
 * A float32 operand of logical shape [...batch, r, c]; `transposed` stores the last two dims
 * swapped (column-major matrices), `broadcastBatch` makes batch dim 0 stride 0, `flip` negates
 * the last stride.
 */
function operand(
  be: WasmBackend, batch: number[], r: number, c: number, rand: () => number,
  opts: { transposed?: boolean; broadcastBatch?: boolean; flip?: boolean; offset?: number } = {},
): Operand {
  const shape = [...batch, r, c];
  const storeShape = opts.transposed ? [...batch, c, r] : shape;
  let strides = contiguous(storeShape);
  if (opts.transposed) {
    const n = strides.length;
    strides = [...strides.slice(0, n - 2), strides[n - 1]!, strides[n - 2]!];
  }
  let length = numel(storeShape);
  if (opts.broadcastBatch && batch.length > 0) {
    strides[0] = 0;
    length = numel(storeShape.slice(1));
  }
  let offset = opts.offset ?? 0;
  if (opts.flip) {
    const last = strides.length - 1;
    offset += (c - 1) * strides[last]!;
    strides[last] = -strides[last]!;
  }
  const data = new Float32Array(length + (opts.offset ?? 0));
  for (let i = 0; i < data.length; i++) data[i] = rand() * 2 - 1;
  const buffer = be.alloc(Math.max(1, data.length) * 4);
  be.write(buffer, data);
  return { view: { buffer, dtype: 'float32', shape, strides, offset }, values: gatherValues(data, shape, strides, offset) };
}

/** `values` (row-major r x c) stored as `opts` says: transposed, last dim flipped, or at an offset. */
function operandOf(be: WasmBackend, values: Float32Array, r: number, c: number, opts: { transposed?: boolean; flip?: boolean; offset?: number }): View {
  const off = opts.offset ?? 0;
  const data = new Float32Array(values.length + off);
  let strides = [c, 1], offset = off;
  if (opts.transposed) {
    strides = [1, r];
    for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) data[off + j * r + i] = values[i * c + j]!;
  } else if (opts.flip) {
    strides = [c, -1];
    offset = off + c - 1;
    for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) data[off + i * c + (c - 1 - j)] = values[i * c + j]!;
  } else {
    data.set(values, off);
  }
  const buffer = be.alloc(data.byteLength);
  be.write(buffer, data);
  return { buffer, dtype: 'float32', shape: [r, c], strides, offset };
}

function matmulRef(a: number[], b: number[], batch: number, M: number, N: number, K: number): number[] {
  const out = new Array(batch * M * N).fill(0);
  for (let t = 0; t < batch; t++)
    for (let i = 0; i < M; i++)
      for (let j = 0; j < N; j++) {
        let s = 0;
        for (let k = 0; k < K; k++) s += a[t * M * K + i * K + k]! * b[t * K * N + k * N + j]!;
        out[t * M * N + i * N + j] = s;
      }
  return out;
}

function check(be: WasmBackend, a: Operand, b: Operand, batch: number[], M: number, N: number, K: number, what: string): void {
  const outShape = [...batch, M, N];
  const buffer = be.alloc(Math.max(1, numel(outShape) + 2) * 4);
  const out: View = { buffer, dtype: 'float32', shape: outShape, strides: contiguous(outShape), offset: 2 };
  be.matmul(a.view, b.view, out);
  const got = be.readSync(out);
  const want = matmulRef(a.values, b.values, numel(batch), M, N, K);
  // float32 accumulation of K products of values in [-1, 1]: error grows like K * eps.
  const tol = 4 * Math.max(1, K) * 2 ** -24 * 2;
  for (let i = 0; i < want.length; i++) {
    if (!(Math.abs(got[i]! - want[i]!) <= tol)) {
      throw new Error(`${what}: element ${i}: got ${got[i]}, expected ${want[i]} (tol ${tol})`);
    }
  }
  expect(got.length).toBe(want.length);
}

const SIZES = [1, 3, 4, 5, 8, 17, 65, 129];

describe('matmul', () => {
  it('matches the triple loop for many M, N, K, plain and transposed', async () => {
    const be = await backend();
    const rand = rng(42);
    for (const M of SIZES)
      for (const N of SIZES)
        for (const K of [1, 3, 17, 65, 129, 300]) {
          if (M * N * K > 129 * 129 * 129) continue;
          for (const ta of [false, true])
            for (const tb of [false, true]) {
              const a = operand(be, [], M, K, rand, { transposed: ta });
              const b = operand(be, [], K, N, rand, { transposed: tb, offset: 3 });
              check(be, a, b, [], M, N, K, `${M}x${K} @ ${K}x${N} ta=${ta} tb=${tb}`);
            }
        }
  });

  it('handles sizes spanning several cache blocks (K > 256, N > 1024 style edges)', async () => {
    const be = await backend();
    const rand = rng(7);
    // M < 4 too: the matrix-vector path (no packing) for row-major and transposed B.
    for (const [M, N, K] of [[70, 1030, 9], [131, 67, 520], [5, 9, 1000], [1, 1030, 70], [2, 9, 1000], [3, 67, 520]] as const) {
      for (const tb of [true, false]) {
        check(be, operand(be, [], M, K, rand), operand(be, [], K, N, rand, { transposed: tb }), [], M, N, K, `${M}x${K}x${N} tb=${tb}`);
      }
    }
  });

  it('batches with strides, stride-0 broadcast and negative strides', async () => {
    const be = await backend();
    const rand = rng(8);
    const cases: [number[], number, number, number][] = [[[3], 5, 7, 4], [[2, 3], 17, 9, 33], [[4], 1, 1, 1], [[2, 2, 2], 3, 5, 2], [[6], 65, 17, 20]];
    for (const [batch, M, N, K] of cases) {
      for (const variant of [0, 1, 2, 3]) {
        const a = operand(be, batch, M, K, rand, { broadcastBatch: variant === 1, transposed: variant === 3 });
        const b = operand(be, batch, K, N, rand, { broadcastBatch: variant === 2, flip: variant === 3 });
        check(be, a, b, batch, M, N, K, `batch [${batch}] ${M}x${K}x${N} variant ${variant}`);
      }
    }
  });

  it('gives bit-identical results for the same values in every operand layout', async () => {
    // Packing copies each layout into the same panels (row-major A and column-major B through
    // 4 x 4 register transposes, other strides element by element), so the sums, and so the
    // results, cannot depend on the layout. Sizes cross the transposes' 4-wide k steps (K % 4
    // != 0), the 5-row and 8-column panels, the 120-row A blocks and the 256-deep blocks.
    const be = await backend();
    const rand = rng(11);
    const layouts = [{}, { transposed: true }, { flip: true }, { offset: 5 }] as const;
    for (const [M, N, K] of [[8, 16, 4], [5, 8, 9], [13, 19, 37], [64, 128, 131], [33, 10, 600], [127, 9, 261]] as const) {
      const A = Float32Array.from({ length: M * K }, () => rand() * 2 - 1);
      const B = Float32Array.from({ length: K * N }, () => rand() * 2 - 1);
      const results = layouts.flatMap((la) => layouts.map((lb) => {
        const a = operandOf(be, A, M, K, la), b = operandOf(be, B, K, N, lb);
        const buffer = be.alloc(M * N * 4);
        const out: View = { buffer, dtype: 'float32', shape: [M, N], strides: [N, 1], offset: 0 };
        be.matmul(a, b, out);
        const got = be.readSync(out);
        for (const x of [a.buffer, b.buffer, buffer]) be.free(x);
        return { what: `${M}x${K}x${N} a ${JSON.stringify(la)} b ${JSON.stringify(lb)}`, got };
      }));
      for (const r of results) expect(r.got, r.what).toEqual(results[0]!.got);
    }
  });

  it('handles K = 0 (zeros) and empty outputs', async () => {
    const be = await backend();
    const rand = rng(1);
    const a = operand(be, [], 3, 0, rand);
    const b = operand(be, [], 0, 4, rand);
    const buffer = be.alloc(12 * 4);
    be.fill({ buffer, dtype: 'float32', shape: [12], strides: [1], offset: 0 }, 7);
    const out: View = { buffer, dtype: 'float32', shape: [3, 4], strides: [4, 1], offset: 0 };
    be.matmul(a.view, b.view, out);
    expect(Array.from(be.readSync(out))).toEqual(new Array(12).fill(0));
    const e = operand(be, [], 0, 5, rand);
    const f = operand(be, [], 5, 2, rand);
    be.matmul(e.view, f.view, { buffer, dtype: 'float32', shape: [0, 2], strides: [2, 1], offset: 0 });
  });

  it('keeps memory flat over repeated large products (packing buffers are freed)', async () => {
    const be = await backend();
    const rand = rng(2);
    const a = operand(be, [], 200, 300, rand);
    const b = operand(be, [], 300, 150, rand);
    const buffer = be.alloc(200 * 150 * 4);
    const out: View = { buffer, dtype: 'float32', shape: [200, 150], strides: [150, 1], offset: 0 };
    be.matmul(a.view, b.view, out);
    const before = be.memory().reservedBytes;
    for (let i = 0; i < 20; i++) be.matmul(a.view, b.view, out);
    expect(be.memory().reservedBytes).toBe(before);
  });
});
