// The generated fused-reduction modules (src/jit-reduce.ts) against their meaning, core's
// runReductionComposite on the same backend, bit for bit: both walks (reduced dims innermost,
// outermost), rows of every length class (n % 4, n < 4, one value), every op, splat, dense and
// strided operands, bool operands, extra outputs, epilogues with inputs, NaN and -0; that the
// module is what ran; that what it does not take (interleaved dims, an overlap, a field it does
// not know) runs the composite; and the errors for bad operands.
import { describe, expect, it } from 'vitest';
import {
  checkProgram, checkReduction, contiguousStrides, runReductionComposite,
  type ElementwiseProgram, type ProgramReduceOp, type ReductionProgram, type View,
} from '@torchlet/core';
import { createWasmBackend } from '../src/index.ts';

const be = await createWasmBackend({ variant: 'simd', threads: 1 });
await be.loadGeneratedKernels();


let seed = 1;
const rand = (): number => {
  seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
  return seed / 4294967296;
};

/** A float32 view of `shape` over a buffer of its own, values from `f`, laid out by `strides` (default contiguous). */
function view(shape: readonly number[], f: (i: number) => number = () => rand() * 4 - 2, strides?: readonly number[]): View {
  const s = strides ?? contiguousStrides(shape);
  let hi = 0;
  shape.forEach((d, i) => (hi += (d - 1) * Math.max(0, s[i]!)));
  const n = shape.some((d) => d === 0) ? 1 : hi + 1;
  const buffer = be.alloc(n * 4);
  be.write(buffer, Float32Array.from({ length: n }, (_, i) => f(i)));
  return { buffer, dtype: 'float32', shape, strides: s, offset: 0 };
}
function boolView(shape: readonly number[]): View {
  const n = shape.reduce((a, b) => a * b, 1);
  const buffer = be.alloc(Math.max(4, n));
  be.write(buffer, Uint8Array.from({ length: n }, () => (rand() < 0.5 ? 1 : 0)));
  return { buffer, dtype: 'bool', shape, strides: contiguousStrides(shape), offset: 0 };
}
const like = (v: View): View => ({ ...view(v.shape, () => 0), dtype: v.dtype, strides: contiguousStrides(v.shape) });
const bits = (v: View): number[] => {
  const a = be.readSync(v);
  return v.dtype === 'bool' ? Array.from(a) : Array.from(new Uint32Array(new Float32Array(a).buffer)).map((u) => ((u & 0x7f800000) === 0x7f800000 && (u & 0x7fffff) ? -1 : u));
};

/**
 * Runs `r` with the kernel and with the composite into fresh outputs and expects the same bits;
 * returns whether a module ran (the backend's record of the call, a private field).
 */
function same(r: ReductionProgram, inputs: View[], epilogueInputs: View[] = []): boolean {
  const x = inputs[0]!.shape, res = x.map((d, i) => (r.axes.includes(i) ? 1 : d));
  const pro = r.prologue, epi = r.epilogue;
  const mk = (shape: readonly number[], dt: string): View => ({ ...view(shape, () => 0), dtype: dt as View['dtype'] });
  const extras = () => pro.outputs.slice(1).map((rg) => mk(x, pro.dtypes[rg]!));
  const outs = () => (epi ? epi.outputs.map((rg) => mk(res, epi.dtypes[rg]!)) : [mk(res, 'float32')]);
  const [e1, o1, e2, o2] = [extras(), outs(), extras(), outs()];
  be.fused.reduction!(r, inputs, e1, epilogueInputs, o1);
  be.fused.reduction!(r, inputs, e1, epilogueInputs, o1); // the replay path (checks skipped)
  const recent = (be as unknown as { lastReductions: WeakMap<object, Array<{ run: unknown }>> }).lastReductions.get(r)!;
  const ran = recent[0]!.run !== null;
  runReductionComposite(be, r, inputs, e2, epilogueInputs, o2);
  for (const [i, v] of e1.entries()) expect(bits(v), `extra output ${i}`).toEqual(bits(e2[i]!));
  for (const [i, v] of o1.entries()) expect(bits(v), `output ${i}`).toEqual(bits(o2[i]!));
  // The call prepared as a replay prepares it (prepareReduction), run twice: the same bits.
  const [e3, o3] = [extras(), outs()];
  const prepared = be.fused.prepareReduction!(r, inputs, e3, epilogueInputs, o3);
  expect(prepared).not.toBeNull();
  prepared!();
  prepared!();
  for (const [i, v] of e3.entries()) expect(bits(v), `prepared extra output ${i}`).toEqual(bits(e2[i]!));
  for (const [i, v] of o3.entries()) expect(bits(v), `prepared output ${i}`).toEqual(bits(o2[i]!));
  return ran;
}

const identity = checkProgram(['float32'], [], [0]);
const square = checkProgram(['float32'], [{ kind: 'binary', op: 'mul', a: 0, b: 0 }], [1]);
// x - m stored, exp(x - m) reduced: a softmax's or log-softmax's numerator.
const shiftExp: ElementwiseProgram = checkProgram(['float32', 'float32'], [
  { kind: 'binary', op: 'sub', a: 0, b: 1 }, { kind: 'unary', op: 'exp', x: 2 },
], [3, 2]);
// log(s) + m: a logsumexp's epilogue.
const logAdd = checkProgram(['float32', 'float32'], [{ kind: 'unary', op: 'log', x: 0 }, { kind: 'binary', op: 'add', a: 2, b: 1 }], [3]);
// where(mask, g, 0) * 0.5: a masked gradient.
const masked = checkProgram(['bool', 'float32'], [
  { kind: 'const', value: 0 }, { kind: 'where', cond: 0, a: 1, b: 2 }, { kind: 'const', value: 0.5 }, { kind: 'binary', op: 'mul', a: 3, b: 4 },
], [5, 3]);
// s / n and s > 0: two epilogue outputs, one bool.
const meanPos = checkProgram(['float32', 'float32'], [
  { kind: 'binary', op: 'div', a: 0, b: 1 }, { kind: 'const', value: 0 }, { kind: 'binary', op: 'gt', a: 0, b: 3 },
], [2, 4]);

describe('generated fused reductions: the same bits as the composite', () => {
  it('rows (reduced dims innermost): every row length class, every op', () => {
    for (const op of ['sum', 'prod', 'max', 'min'] as ProgramReduceOp[]) {
      for (const shape of [[6, 10], [3, 4], [5, 3], [2, 1], [7, 33], [1, 9]]) {
        const r = checkReduction(square, op, [1], null);
        expect(same(r, [view(shape, () => (op === 'prod' ? 0.5 + rand() : rand() * 4 - 2))]), `${op} [${shape}]`).toBe(true);
      }
    }
  });

  it('rows: a log-softmax (broadcast max, stored x - max, exp, log + max), coalesced 3-D rows, sums of everything', () => {
    const x = view([6, 10]), m = view([6, 1]);
    expect(same(checkReduction(shiftExp, 'sum', [1], logAdd), [x, { ...m, shape: [6, 10], strides: [1, 0] }], [m])).toBe(true);
    expect(same(checkReduction(square, 'sum', [1, 2], null), [view([3, 4, 5])])).toBe(true);
    expect(same(checkReduction(square, 'sum', [0, 1], null), [view([5, 7])])).toBe(true);
    expect(same(checkReduction(identity, 'sum', [0], checkProgram(['float32', 'float32'], [{ kind: 'binary', op: 'div', a: 0, b: 1 }], [2])), [view([64])], [view([1])])).toBe(true);
    // Reducing over a dim of one only: each output is its one value.
    expect(same(checkReduction(square, 'sum', [1], null), [view([5, 1])])).toBe(true);
  });

  it('rows: strided (transposed) and splat operands along the row', () => {
    const t = view([9, 6]);
    const xt = { ...t, shape: [6, 9], strides: [1, 6] };
    const sub = checkProgram(['float32', 'float32'], [{ kind: 'binary', op: 'sub', a: 0, b: 1 }], [2]);
    expect(same(checkReduction(sub, 'sum', [1], null), [xt, { ...view([6, 1]), shape: [6, 9], strides: [1, 0] }])).toBe(true);
    expect(same(checkReduction(sub, 'max', [1], null), [xt, { ...view([1]), shape: [6, 9], strides: [0, 0] }])).toBe(true);
  });

  it('cols (reduced dims outermost): bias-gradient sums, kept runs of any length, bool inputs, epilogue inputs', () => {
    for (const op of ['sum', 'prod', 'max', 'min'] as ProgramReduceOp[]) {
      for (const shape of [[64, 10], [5, 4], [3, 7], [9, 2], [2, 3, 8], [5, 37], [4, 16], [3, 2, 48]]) {
        const axes = shape.length === 3 ? [0, 1] : [0];
        expect(same(checkReduction(square, op, axes, null), [view(shape, () => (op === 'prod' ? 0.5 + rand() : rand() * 4 - 2))]), `${op} [${shape}]`).toBe(true);
      }
    }
    for (const kept of [10, 41]) {
      // Runs of sixteen (bool inputs four bytes a group), of four, and one at a time.
      expect(same(checkReduction(masked, 'sum', [0], null), [boolView([12, kept]), view([12, kept])])).toBe(true);
      const n = view([1], () => 12);
      expect(same(checkReduction(identity, 'sum', [0], meanPos), [view([12, kept])], [{ ...n, shape: [1, kept], strides: [0, 0] }])).toBe(true);
      const per = view([1, kept]);
      expect(same(checkReduction(identity, 'sum', [0], meanPos), [view([12, kept])], [per])).toBe(true);
    }
    // A transposed input: four kept neighbours are strided.
    const t = view([10, 12]);
    expect(same(checkReduction(square, 'sum', [0], null), [{ ...t, shape: [12, 10], strides: [1, 12] }])).toBe(true);
  });

  it('reduced dims that make two runs in an operand: a bias broadcast over a sum of everything (MSE), both walks', () => {
    // (o + bias - y)^2 over all of [6, 8] and [6, 4] (rows of 4 values: the partials carry on), and of [3, 4, 8] over [0, 1] (cols).
    const mse = checkProgram(['float32', 'float32', 'float32'], [
      { kind: 'binary', op: 'add', a: 0, b: 1 }, { kind: 'binary', op: 'sub', a: 3, b: 2 }, { kind: 'binary', op: 'mul', a: 4, b: 4 },
    ], [5, 3]);
    for (const [shape, axes] of [[[6, 8], [0, 1]], [[6, 4], [0, 1]], [[3, 4, 8], [0, 1]], [[5, 7], [0]]] as const) {
      const bias = view([shape.at(-1)!]);
      const bb = { ...bias, shape: [...shape], strides: shape.map((_, i) => (i === shape.length - 1 ? 1 : 0)) };
      expect(same(checkReduction(mse, 'sum', axes, null), [view(shape), bb, view(shape)]), `[${shape}] over [${axes}]`).toBe(true);
    }
    // Rows of 7 under a broadcast: groups of four would straddle two rows, so no module.
    const b7 = view([7]);
    expect(same(checkReduction(square, 'sum', [0, 1], null), [{ ...b7, shape: [5, 7], strides: [0, 1] }])).toBe(false);
  });

  it('NaN, infinities and -0 fold as the composite folds them', () => {
    const special = [NaN, -0, 0, Infinity, -Infinity, 1, -1, 3e38];
    for (const op of ['sum', 'prod', 'max', 'min'] as ProgramReduceOp[]) {
      expect(same(checkReduction(identity, op, [1], null), [view([8, 8], (i) => special[(i * 7 + (i >> 3)) % 8]!)]), op).toBe(true);
      expect(same(checkReduction(identity, op, [0], null), [view([8, 8], (i) => special[(i * 5 + (i >> 3)) % 8]!)]), op).toBe(true);
      expect(same(checkReduction(identity, op, [1], null), [view([3, 5], () => -0)]), op).toBe(true);
    }
  });

  it('what no module takes runs the composite: interleaved dims, overlaps, unknown program fields', () => {
    // Kept dims on both sides of the reduced one.
    expect(same(checkReduction(square, 'sum', [1], null), [view([4, 5, 6])])).toBe(false);
    // A field of a later contract: not guessed at.
    const r = { ...checkReduction(square, 'sum', [1], null), rowBroadcast: true, key: 'extended' } as ReductionProgram;
    expect(same(r, [view([4, 6])])).toBe(false);
    // An extra output written over an input (the composite's order of passes is the meaning).
    const x = view([4, 8]);
    const out = view([4, 1], () => 0);
    be.fused.reduction!(checkReduction(shiftExp, 'sum', [1], null), [x, { ...view([4, 1]), shape: [4, 8], strides: [1, 0] }], [x], [], [out]);
    expect(bits(x).every((b) => b !== -1)).toBe(true);
  });

  it('checks operands before it writes, naming what is wrong', () => {
    const r = checkReduction(shiftExp, 'sum', [1], logAdd);
    const x = view([4, 8]), m = view([4, 1]), mB = { ...m, shape: [4, 8], strides: [1, 0] };
    const shifted = like(x), out = like(m);
    expect(() => be.fused.reduction!(r, [x], [shifted], [m], [out])).toThrow(/the prologue takes 2 inputs and stores 1 extra outputs, got 1 and 1/);
    expect(() => be.fused.reduction!(r, [x, mB], [shifted], [], [out])).toThrow(/the epilogue takes 1 inputs and stores 1 outputs, got 0 and 1/);
    expect(() => be.fused.reduction!(r, [x, mB], [{ ...shifted, shape: [4, 7] }], [m], [out])).toThrow(/extra output 0 has shape \[4, 7\], expected \[4, 8\]/);
    expect(() => be.fused.reduction!(r, [x, mB], [shifted], [m], [{ ...out, dtype: 'bool' }])).toThrow(/output 0 must be float32/);
    expect(() => be.fused.reduction!(r, [x, mB], [shifted], [m], [{ ...out, offset: 1 }])).toThrow(/output 0 .* reaches outside its 16-byte buffer/);
    expect(() => be.fused.reduction!(r, [x, mB], [{ ...shifted, strides: [1, 4] }], [m], [out])).toThrow(/extra output 0 must be contiguous/);
    expect(() => be.fused.reduction!(r, [x, null as unknown as View], [shifted], [m], [out])).toThrow(/input 1 is not a view/);
    expect(() => be.fused.reduction!({ ...r, axes: [2] }, [x, mB], [shifted], [m], [out])).toThrow(/axes \[2\] do not fit the input's rank 2/);
    expect(() => be.fused.reduction!(null as unknown as ReductionProgram, [x, mB], [shifted], [m], [out])).toThrow(/expected a ReductionProgram/);
    expect(() => be.fused.reduction!(r, x as unknown as View[], [shifted], [m], [out])).toThrow(/must be arrays of views/);
    // The same View objects again (as a replay passes them) skip the checks, unless one changed in place.
    const again = like(m);
    be.fused.reduction!(r, [x, mB], [shifted], [m], [again]);
    be.fused.reduction!(r, [x, mB], [shifted], [m], [again]);
    (again as { offset: number }).offset = 1;
    expect(() => be.fused.reduction!(r, [x, mB], [shifted], [m], [again])).toThrow(/output 0 .* reaches outside its 16-byte buffer/);
  });
});

