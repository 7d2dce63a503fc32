import { describe, expect, it } from 'vitest';
import { REDUCE_OPS, type ReduceOp } from '@torchlet/core';
import { LAYOUTS, backend, contiguous, expectClose, numel, output, readAll, rng, upload } from './helpers.ts';

/** Reference: reduce row-major `values` of `shape` over `axes` (keepdim shape). */
function reduceRef(op: ReduceOp, values: number[], shape: number[], axes: number[], int: boolean): number[] {
  const outShape = shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const outStrides = contiguous(outShape);
  const acc: number[][] = Array.from({ length: numel(outShape) }, () => []);
  const idx = new Array(shape.length).fill(0);
  for (let i = 0; i < values.length; i++) {
    let o = 0;
    for (let d = 0; d < shape.length; d++) if (!axes.includes(d)) o += idx[d] * outStrides[d]!;
    acc[o]!.push(values[i]!);
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++idx[d] < shape[d]!) break;
      idx[d] = 0;
    }
  }
  return acc.map((xs) => {
    switch (op) {
      case 'sum': return int ? xs.reduce((a, b) => (a + b) | 0, 0) : Math.fround(xs.reduce((a, b) => a + b, 0));
      case 'prod': return int ? xs.reduce((a, b) => Math.imul(a, b), 1) : Math.fround(xs.reduce((a, b) => a * b, 1));
      case 'max': return xs.some(Number.isNaN) ? NaN : Math.max(...xs);
      case 'min': return xs.some(Number.isNaN) ? NaN : Math.min(...xs);
      case 'argmax':
      case 'argmin': {
        let best = 0;
        for (let j = 1; j < xs.length && !Number.isNaN(xs[best]!); j++) {
          const v = xs[j]!;
          if (Number.isNaN(v) || (op === 'argmax' ? v > xs[best]! : v < xs[best]!)) best = j;
        }
        return best;
      }
    }
  });
}

function subsets(rank: number): number[][] {
  const out: number[][] = [];
  for (let m = 1; m < 1 << rank; m++) out.push([...Array(rank).keys()].filter((d) => m & (1 << d)));
  return out;
}

const SHAPES = [[9], [3, 5], [2, 3, 4], [2, 1, 3, 5], [2, 2, 1, 3, 2], [4, 130]];

describe('reduce', () => {
  for (const op of REDUCE_OPS) {
    it(`${op} over every axis set, dtype and layout`, async () => {
      const be = await backend();
      const rand = rng(op.length * 101);
      const arg = op.startsWith('arg');
      for (const dtype of ['float32', 'int32'] as const) {
        for (const shape of SHAPES) {
          const axesList = arg ? shape.map((_, d) => [d]) : subsets(shape.length);
          for (const kind of LAYOUTS) {
            const x = upload(be, dtype, shape, kind, rand);
            for (const axes of axesList) {
              const outShape = shape.map((d, i) => (axes.includes(i) ? 1 : d));
              const out = output(be, arg ? 'int32' : dtype, outShape);
              be.reduce(op, x.view, axes, out);
              const expected = reduceRef(op, x.values, shape, axes, dtype === 'int32');
              const tol = dtype === 'float32' && (op === 'sum' || op === 'prod') ? 1e-5 : 0;
              expectClose(readAll(be, out), expected, tol, tol, `${op} ${dtype} [${shape}] ${kind} axes [${axes}]`);
            }
          }
        }
      }
    });
  }

  it('propagates NaN in max/min and counts NaN as the extreme in argmax/argmin', async () => {
    const be = await backend();
    const vals = [1, 5, NaN, 7, NaN, -2, 3, 0, 9, 1, 2, 3];
    const x = upload(be, 'float32', [12], 'contiguous', rng(1), () => Float32Array.from(vals));
    const one = (op: ReduceOp) => {
      const out = output(be, op.startsWith('arg') ? 'int32' : 'float32', [1]);
      be.reduce(op, x.view, [0], out);
      return readAll(be, out)[0];
    };
    expect(one('max')).toBeNaN();
    expect(one('min')).toBeNaN();
    expect(one('argmax')).toBe(2);
    expect(one('argmin')).toBe(2);
    // NaN only in the SIMD body of a long row.
    const long = Float32Array.from({ length: 64 }, (_, i) => i);
    long[40] = NaN;
    const y = upload(be, 'float32', [64], 'contiguous', rng(1), () => long);
    const out = output(be, 'float32', [1]);
    be.reduce('max', y.view, [0], out);
    expect(readAll(be, out)[0]).toBeNaN();
  });

  it('gives 0 for an empty sum and 1 for an empty product; empty outputs do nothing', async () => {
    const be = await backend();
    const x = upload(be, 'float32', [3, 0], 'contiguous', rng(1));
    const out = output(be, 'float32', [3, 1]);
    be.reduce('sum', x.view, [1], out);
    expect(readAll(be, out)).toEqual([0, 0, 0]);
    be.reduce('prod', x.view, [1], out);
    expect(readAll(be, out)).toEqual([1, 1, 1]);
    const empty = output(be, 'float32', [1, 0]);
    be.reduce('sum', x.view, [0], empty);
    expect(readAll(be, empty)).toEqual([]);
  });

  it('reduces a rank-0 tensor and large sums accurately', async () => {
    const be = await backend();
    const s = upload(be, 'float32', [], 'contiguous', rng(3));
    const out = output(be, 'float32', []);
    be.reduce('sum', s.view, [], out);
    expect(readAll(be, out)).toEqual(s.values);
    const n = 1 << 20;
    const big = upload(be, 'float32', [n], 'contiguous', rng(4), () => new Float32Array(n).fill(0.1));
    const o2 = output(be, 'float32', [1]);
    be.reduce('sum', big.view, [0], o2);
    expect(Math.abs(readAll(be, o2)[0]! - n * Math.fround(0.1)) / (n * 0.1)).toBeLessThan(1e-6);
  });
});
