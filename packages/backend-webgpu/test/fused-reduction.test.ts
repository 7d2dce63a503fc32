/**
 * `fused.reduction` on WebGPU (reduction.ts): each case runs the kernel and core's composite
 * (prologue program, this backend's `reduce`, epilogue program) on the same operands and expects
 * the same bits, NaN included: both fold modes (a thread per output, a workgroup per output),
 * inner and strided outer axes, several axes, max with NaN, extra prologue outputs (float32 and
 * bool), epilogue inputs and several outputs, broadcast (stride 0) inputs, operands sharing one
 * buffer, and the composite fallback on a device with few storage bindings. Sizes stay tiny.
 */
import * as torch from '@torchlet/core';
import { checkProgram, checkReduction, removeBackendInstance, runReductionComposite, type ReductionProgram, type View } from '@torchlet/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WebGpuBackend } from '../src/index.ts';
import '../src/index.ts';

let backend: WebGpuBackend;
beforeAll(async () => {
  backend = (await torch.setBackend('webgpu')) as WebGpuBackend;
});
afterAll(() => removeBackendInstance('webgpu'));

const strides = (shape: readonly number[]): number[] => torch.contiguousStrides(shape);
const size = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/** A buffer of `n` float32 values, a NaN every `nanEvery` (0: none). */
function floats(n: number, seed: number, nanEvery = 0): number {
  const v = Float32Array.from({ length: n }, (_, i) => Math.sin(i * 1.7 + seed) * 3 + (i % 5) * 0.25);
  if (nanEvery > 0) for (let i = seed % nanEvery; i < n; i += nanEvery) v[i] = NaN;
  const b = backend.alloc(n * 4);
  backend.write(b, v);
  return b;
}
const view = (buffer: number, shape: readonly number[], st = strides(shape), offset = 0, dtype: 'float32' | 'bool' = 'float32'): View => ({ buffer, dtype, shape, strides: st, offset });

/** Fresh contiguous output views like `like` (one buffer each). */
function fresh(like: readonly View[]): View[] {
  return like.map((v) => view(backend.alloc(Math.max(4, size(v.shape) * (v.dtype === 'bool' ? 1 : 4))), v.shape, strides(v.shape), 0, v.dtype === 'bool' ? 'bool' : 'float32'));
}

/** Runs the kernel and the composite; expects identical bits in every output. */
async function same(p: ReductionProgram, inputs: View[], extras: View[], epiIns: View[], outputs: View[]): Promise<void> {
  const [e2, o2] = [fresh(extras), fresh(outputs)];
  backend.fused.reduction!(p, inputs, extras, epiIns, outputs);
  runReductionComposite(backend, p, inputs, e2, epiIns, o2);
  for (const [a, b, name] of [...extras.map((v, i) => [v, e2[i]!, `extra ${i}`] as const), ...outputs.map((v, i) => [v, o2[i]!, `output ${i}`] as const)]) {
    const [x, y] = [await backend.read(a), await backend.read(b)];
    const bits = (t: ArrayLike<number>) => (t instanceof Float32Array ? Array.from(new Uint32Array(t.buffer, t.byteOffset, t.length)) : Array.from(t));
    expect(bits(x), name).toEqual(bits(y));
  }
}

const square = checkProgram(['float32', 'float32'], [
  { kind: 'binary', op: 'sub', a: 0, b: 1 },
  { kind: 'binary', op: 'mul', a: 2, b: 2 },
  { kind: 'binary', op: 'gt', a: 2, b: 1 },
], [3, 2, 4]);
const rsqrtMean = (n: number) => checkProgram(['float32'], [
  { kind: 'const', value: 1 / n },
  { kind: 'binary', op: 'mul', a: 0, b: 1 },
  { kind: 'const', value: 1e-5 },
  { kind: 'binary', op: 'add', a: 2, b: 3 },
  { kind: 'unary', op: 'rsqrt', x: 4 },
], [5, 2]);

describe('fused reduction (webgpu) vs the composite', () => {
  it('LayerNorm-like: (x - m)^2 and x - m > 0 stored, summed over the last axis, mean and rsqrt out', async () => {
    // [6, 64]: a thread per output; [3, 100]: a workgroup per output.
    for (const [rows, cols] of [[6, 64], [3, 100]] as const) {
      const x = floats(rows * cols, 1), m = floats(rows, 2);
      const X = [rows, cols];
      const p = checkReduction(square, 'sum', [1], rsqrtMean(cols));
      const inputs = [view(x, X), view(m, X, [1, 0])];
      await same(p, inputs, fresh([view(0, X), view(0, X, strides(X), 0, 'bool')]), [], fresh([view(0, [rows, 1]), view(0, [rows, 1])]));
      backend.free(x);
      backend.free(m);
    }
  });

  it('bias-gradient-like: sums over the two leading, strided axes (a transposed input)', async () => {
    const g = floats(4 * 5 * 7, 3), w = floats(7, 4);
    const pro = checkProgram(['float32', 'float32'], [{ kind: 'binary', op: 'mul', a: 0, b: 1 }], [2]);
    const p = checkReduction(pro, 'sum', [0, 1], null);
    // [5, 4, 7] read from a [4, 5, 7] buffer (dims 0 and 1 swapped), w broadcast over the rows.
    await same(p, [view(g, [5, 4, 7], [7, 35, 1]), view(w, [5, 4, 7], [0, 0, 1])], [], [], fresh([view(0, [1, 1, 7])]));
    backend.free(g);
    backend.free(w);
  });

  it('max with NaN, min and prod, with an epilogue input and two outputs, operands in one buffer', async () => {
    const buf = floats(3 * 9 + 3 + 16, 5, 7); // x at 0, e at 27, outputs after 30 (one buffer)
    const id = checkProgram(['float32'], [], [0]);
    const epi = checkProgram(['float32', 'float32'], [
      { kind: 'binary', op: 'sub', a: 0, b: 1 },
      { kind: 'unary', op: 'exp', x: 2 },
    ], [2, 3]);
    for (const op of ['max', 'min', 'prod'] as const) {
      const p = checkReduction(id, op, [1], epi);
      const outs = [view(buf, [3, 1], [1, 1], 30), view(buf, [3, 1], [1, 1], 36)];
      await same(p, [view(buf, [3, 9])], [], [view(buf, [3, 1], [1, 1], 27)], outs);
    }
    backend.free(buf);
  });

  it('runs the composite on a device with few storage bindings', async () => {
    const x = floats(2 * 8, 6), m = floats(2, 7);
    const p = checkReduction(square, 'sum', [1], rsqrtMean(8));
    const inner = backend as unknown as { storageBindings: number };
    const limit = inner.storageBindings;
    inner.storageBindings = 3;
    try {
      const inputs = [view(x, [2, 8]), view(m, [2, 8], [1, 0])];
      const extras = () => fresh([view(0, [2, 8]), view(0, [2, 8], strides([2, 8]), 0, 'bool')]), outs = () => fresh([view(0, [2, 1]), view(0, [2, 1])]);
      await same(p, inputs, extras(), [], outs());
      // The kernel ran the composite itself: the same dispatches (op by op: the programs do not fit either).
      backend.resetCounters();
      backend.fused.reduction!(p, inputs, extras(), [], outs());
      const kernel = backend.counters().dispatches;
      backend.resetCounters();
      runReductionComposite(backend, p, inputs, extras(), [], outs());
      expect(kernel).toBe(backend.counters().dispatches);
      expect(kernel).toBeGreaterThan(3);
    } finally {
      inner.storageBindings = limit;
    }
  });

  it('names a wrong operand', () => {
    const p = checkReduction(square, 'sum', [1], null);
    const x = view(0, [2, 3]);
    expect(() => backend.fused.reduction!(p, [x], [], [], [])).toThrow(/takes 2 inputs and stores 2 extra outputs, got 1 and 0/);
    expect(() => backend.fused.reduction!(p, [x, { ...x, dtype: 'bool' }], [view(0, [2, 3]), view(0, [2, 3], strides([2, 3]), 0, 'bool')], [], [view(0, [2, 1])])).toThrow(/input 1 is bool/);
  });
});
