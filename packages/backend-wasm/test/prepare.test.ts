// Calls prepared for a replay (Backend.prepare): each prepared element-wise, copy and index call
// gives the plain call's bits, also after other calls have overwritten the scratch rows between
// runs; a bad index still throws from the kernel; a pool backend and other methods prepare nothing.
import { describe, expect, it } from 'vitest';
import type { View } from '@torchlet/core';
import { createWasmBackend } from '../src/index.ts';
import { contiguous, rng } from './helpers.ts';

const be = await createWasmBackend({ variant: 'simd', threads: 1 });
const rand = rng(7);

function view(shape: number[], dtype: View['dtype'] = 'float32', values: (i: number) => number = () => rand() * 4 - 2, strides = contiguous(shape)): View {
  let hi = 0;
  shape.forEach((d, i) => (hi += (d - 1) * strides[i]!));
  const n = hi + 1;
  const buffer = be.alloc(Math.max(16, n * 4));
  const data = dtype === 'float32' ? Float32Array.from({ length: n }, (_, i) => values(i))
    : dtype === 'int32' ? Int32Array.from({ length: n }, (_, i) => values(i)) : Uint8Array.from({ length: n }, (_, i) => values(i));
  be.write(buffer, data);
  return { buffer, dtype, shape, strides, offset: 0 };
}
const bits = (v: View): number[] => Array.from(be.readSync(v));
/** Something that writes other rows to the scratch area. */
const clobber = (): void => {
  const x = view([3, 5], 'float32', undefined, [1, 3]);
  be.binary('mul', x, x, view([3, 5]));
};

/**
 * Runs `method` plainly into `out` and prepared into `out2`, twice each (scatterAdd accumulates),
 * the prepared runs with the rows clobbered before each, and expects the same bits.
 */
function same(method: string, args: unknown[], out: View, args2: unknown[], out2: View): void {
  const plain = (be as unknown as Record<string, (...a: unknown[]) => void>)[method]!;
  plain.apply(be, args);
  plain.apply(be, args);
  const run = be.prepare(method, args2);
  expect(run, method).not.toBeNull();
  clobber();
  run!();
  clobber();
  run!();
  expect(bits(out2), method).toEqual(bits(out));
}

describe('prepared calls (Backend.prepare)', () => {
  it('unary, binary, where and copy on broadcast and strided views: the plain call\'s bits', () => {
    const x = view([4, 6], 'float32', undefined, [1, 4]);
    const row = view([6]);
    const bRow: View = { ...row, shape: [4, 6], strides: [0, 1] };
    for (const op of ['exp', 'neg', 'relu'] as const) {
      const o1 = view([4, 6]), o2 = view([4, 6]);
      same('unary', [op, x, o1], o1, [op, x, o2], o2);
    }
    const i = view([4, 6], 'int32', (k) => k - 9);
    const oi1 = view([4, 6], 'int32'), oi2 = view([4, 6], 'int32');
    same('unary', ['abs', i, oi1], oi1, ['abs', i, oi2], oi2);
    const flags = view([4, 6], 'bool', (k) => k % 3 === 0 ? 1 : 0);
    const ob1 = view([4, 6], 'bool'), ob2 = view([4, 6], 'bool');
    same('unary', ['logicalNot', flags, ob1], ob1, ['logicalNot', flags, ob2], ob2);
    for (const op of ['sub', 'div', 'maximum'] as const) {
      const o1 = view([4, 6]), o2 = view([4, 6]);
      same('binary', [op, x, bRow, o1], o1, [op, x, bRow, o2], o2);
    }
    const c1 = view([4, 6], 'bool'), c2 = view([4, 6], 'bool');
    same('binary', ['gt', x, bRow, c1], c1, ['gt', x, bRow, c2], c2);
    const w1 = view([4, 6]), w2 = view([4, 6]);
    same('where', [flags, x, bRow, w1], w1, [flags, x, bRow, w2], w2);
    const k1 = view([4, 6], 'int32'), k2 = view([4, 6], 'int32');
    same('copy', [x, k1], k1, [x, k2], k2);
  });

  it('gather and scatterAdd: the plain call\'s bits, and an index out of range still throws', () => {
    const x = view([5, 7]);
    const index = view([5, 3], 'int32', (k) => (k * 5) % 7);
    const g1 = view([5, 3]), g2 = view([5, 3]);
    same('gather', [x, 1, index, g1], g1, [x, 1, index, g2], g2);
    const src = view([5, 3]);
    const d1 = view([5, 7], 'float32', () => 1), d2 = view([5, 7], 'float32', () => 1);
    same('scatterAdd', [d1, 1, index, src], d1, [d2, 1, index, src], d2);
    const bad = view([5, 3], 'int32', (k) => (k === 4 ? 7 : 0));
    const run = be.prepare('gather', [x, 1, bad, g2])!;
    expect(() => run()).toThrow(/gather index 7 is out of bounds for dimension 1 with size 7/);
  });

  it('an empty call prepares to nothing; the checks run when preparing; other methods and a pool prepare nothing', async () => {
    const empty = view([0, 3]);
    be.prepare('unary', ['neg', empty, empty])!();
    expect(() => be.prepare('binary', ['div', view([2], 'int32'), view([2], 'int32'), view([2], 'int32')])).toThrow(/'binary div'.*int32/);
    expect(be.prepare('matmul', [view([2, 2]), view([2, 2]), view([2, 2])])).toBeNull();
    const pooled = await createWasmBackend({ variant: 'simd', threads: 2 });
    try {
      const b = pooled.alloc(64);
      const v: View = { buffer: b, dtype: 'float32', shape: [4], strides: [1], offset: 0 };
      expect(pooled.prepare('unary', ['neg', v, v])).toBeNull();
    } finally {
      pooled.destroy();
    }
  });
});
