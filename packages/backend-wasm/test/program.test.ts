// The fused element-wise kernels (src/jit.ts's generated modules, and the interpreter of
// assembly/program.ts with generatedKernels: false): every program gives, bit for bit, what the
// same backend's eager kernels give run op by op (core's runProgramComposite), and matches core's
// evalProgramRef within the ops' tolerances, over every op of the op table, every input layout
// (strided, transposed, broadcast, negative strides), sizes around the SIMD width and the block,
// in place, with two outputs, and with bad arguments refused with a clear error.
import { afterAll, describe, expect, it } from 'vitest';
import {
  BINARY_OPS,
  UNARY_OPS,
  checkProgram,
  evalProgramRef,
  opKind,
  runProgramComposite,
  type BinaryOp,
  type ElementwiseProgram,
  type ProgramDType,
  type ProgramInstr,
  type UnaryOp,
  type View,
} from '@torchlet/core';
import { createWasmBackend, type WasmBackend } from '../src/index.ts';
import { LAYOUTS, contiguous, expectClose, gatherValues, layoutOf, numel, randomValues, rng, type LayoutKind } from './helpers.ts';

const single = await createWasmBackend({ variant: 'simd' });
const interpreter = await createWasmBackend({ variant: 'simd', generatedKernels: false });
// parallelThreshold 0: every program goes to the pool, however small.
const pool = await createWasmBackend({ variant: 'simd', threads: 3, parallelThreshold: 0 });
const poolInterpreter = await createWasmBackend({ variant: 'simd', threads: 3, parallelThreshold: 0, generatedKernels: false });
// Generated modules from the first call on (the generator loads on demand otherwise).
await single.loadGeneratedKernels();
await pool.loadGeneratedKernels();
afterAll(() => {
  pool.destroy();
  poolInterpreter.destroy();
});

/** Sizes around the SIMD width (4) and the block (256), rows crossing blocks, and empty. */
const SHAPES: readonly (readonly number[])[] = [[0], [1], [7], [256], [517], [3, 5, 37], [2, 0, 3], [2, 300]];
/** Specials at the front of every float32 input. */
const SPECIAL = [NaN, Infinity, -Infinity, -0, 0, 0.5, -0.5, 1.5, 2.5, -2.5, 1, -1, 1e-30, 88, -104];

/** The ops whose kernels are exact (or exactly rounded), compared with no tolerance. */
const EXACT_UNARY = new Set<string>(['neg', 'abs', 'sign', 'relu', 'floor', 'ceil', 'round', 'trunc', 'sqrt', 'reciprocal']);
const EXACT_BINARY = new Set<string>(['add', 'sub', 'mul', 'div', 'maximum', 'minimum', 'remainder', 'fmod', 'floorDivide', 'truncDivide']);

/** A layout of its own: strides, offset and the buffer's length in elements for a shape. */
type Layout = (shape: readonly number[]) => { strides: number[]; offset: number; length: number };

interface Input {
  readonly dtype: ProgramDType;
  readonly kind: LayoutKind | Layout;
  /** Values of the input's buffer (as many as its layout spans). */
  readonly data: (n: number, rand: () => number) => Float32Array | Uint8Array;
}

const floats = (lo = -3, hi = 3, specials = true) => (n: number, rand: () => number): Float32Array => {
  const a = randomValues('float32', n, rand, lo, hi) as Float32Array;
  if (specials) a.set(SPECIAL.slice(0, Math.min(n, SPECIAL.length)));
  return a;
};
const bools = (n: number, rand: () => number): Uint8Array => randomValues('bool', n, rand) as Uint8Array;
const f32 = (kind: LayoutKind | Layout = 'contiguous', data = floats()): Input => ({ dtype: 'float32', kind, data });
const bool = (kind: LayoutKind = 'contiguous'): Input => ({ dtype: 'bool', kind, data: bools });

interface Run {
  /** The outputs' bits (float32 as uint32) and values. */
  bits: Uint32Array[] | Uint8Array[];
  values: number[][];
  /** The inputs' elements in row-major order. */
  inputs: number[][];
}

/**
 * Runs `p` over `shape` on `be`, fused or op by op, on inputs built from `seed` (the same data for
 * both). `inPlace[k] = i` stores output k over input i's view (which must be contiguous).
 */
function run(be: WasmBackend, p: ElementwiseProgram, shape: readonly number[], inputs: readonly Input[], seed: number, fused: boolean, inPlace: Record<number, number> = {}): Run {
  const rand = rng(seed);
  const buffers: number[] = [];
  const inViews: View[] = [];
  const inValues: number[][] = [];
  for (const input of inputs) {
    const { strides, offset, length } = typeof input.kind === 'function' ? input.kind(shape) : layoutOf(shape, input.kind);
    const data = input.data(Math.max(length, 1), rand);
    const buffer = be.alloc(Math.max(data.byteLength, 4));
    buffers.push(buffer);
    be.write(buffer, data);
    inViews.push({ buffer, dtype: input.dtype, shape: [...shape], strides, offset });
    inValues.push(gatherValues(data, shape, strides, offset));
  }
  const outViews = p.outputs.map((r, k): View => {
    if (inPlace[k] !== undefined) return inViews[inPlace[k]!]!;
    const dtype = p.dtypes[r]!;
    const buffer = be.alloc((numel(shape) + 3) * (dtype === 'bool' ? 1 : 4));
    buffers.push(buffer);
    return { buffer, dtype, shape: [...shape], strides: contiguous(shape), offset: 3 };
  });
  try {
    if (fused) be.fused.elementwise(p, inViews, outViews);
    else runProgramComposite(be, p, inViews, outViews);
    const raw = outViews.map((v) => be.readSync(v));
    return {
      bits: raw.map((a) => (a instanceof Float32Array ? new Uint32Array(a.buffer, a.byteOffset, a.length) : (a as Uint8Array))) as Uint32Array[],
      values: raw.map((a) => Array.from(a)),
      inputs: inValues,
    };
  } finally {
    for (const b of buffers) be.free(b);
  }
}

const isNaNBits = (b: number): boolean => (b & 0x7f800000) === 0x7f800000 && (b & 0x7fffff) !== 0;

/**
 * Same bits, except that any NaN equals any NaN: WebAssembly leaves a NaN result's sign and
 * payload to the engine, and the eager kernels themselves give different NaN bits in their v128
 * bodies and scalar tails (V8 on x64: 0x7fc00000 from f32x4.max, 0xffc00000 from f32.max).
 */
function expectSameBits(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string, float = true): void {
  expect(actual.length, what).toBe(expected.length);
  for (let i = 0; i < actual.length; i++) {
    if (actual[i] !== expected[i] && !(float && isNaNBits(actual[i]!) && isNaNBits(expected[i]!))) {
      throw new Error(`${what}: element ${i} has bits 0x${actual[i]!.toString(16)}, op by op 0x${expected[i]!.toString(16)}`);
    }
  }
}

/**
 * Checks `p` fused against op by op (bits) and against evalProgramRef (within rtol/atol), on
 * one thread and on the pool.
 */
function check(p: ElementwiseProgram, shape: readonly number[], inputs: readonly Input[], rtol: number, atol: number, what: string, inPlace: Record<number, number> = {}): void {
  const seed = what.length * 7919 + numel(shape);
  const composite = run(single, p, shape, inputs, seed, false, inPlace);
  // The pool splits only programs of more than one block (256 elements).
  const one = [['generated, one thread', single], ['interpreter, one thread', interpreter]] as const;
  const backends = numel(shape) > 256 ? [...one, ['generated, pool', pool], ['interpreter, pool', poolInterpreter]] as const : one;
  for (const [name, be] of backends) {
    const fused = run(be, p, shape, inputs, seed, true, inPlace);
    fused.bits.forEach((b, k) => expectSameBits(b, composite.bits[k]!, `${what} [${shape}] output ${k} (${name})`, p.dtypes[p.outputs[k]!] === 'float32'));
  }
  const n = numel(shape);
  const ref = p.outputs.map(() => new Array<number>(n));
  for (let i = 0; i < n; i++) {
    evalProgramRef(p, composite.inputs.map((v) => v[i]!)).forEach((v, k) => (ref[k]![i] = v));
  }
  composite.values.forEach((v, k) => expectClose(v, ref[k]!, rtol, atol, `${what} [${shape}] output ${k} vs evalProgramRef`));
}

const unary = (op: UnaryOp, x: number): ProgramInstr => ({ kind: 'unary', op, x });
const binary = (op: BinaryOp, a: number, b: number): ProgramInstr => ({ kind: 'binary', op, a, b });
const cnst = (value: number): ProgramInstr => ({ kind: 'const', value });
const where = (cond: number, a: number, b: number): ProgramInstr => ({ kind: 'where', cond, a, b });

describe('fused elementwise on wasm', () => {
  it('every float32 unary op of the op table, over every layout and size', () => {
    for (const op of UNARY_OPS) {
      if (opKind('unary', op) === 'logical') continue;
      const p = checkProgram(['float32'], [unary(op, 0)], [1]);
      const tol = EXACT_UNARY.has(op) ? 0 : 2e-6;
      for (const shape of SHAPES) for (const kind of LAYOUTS) check(p, shape, [f32(kind)], tol, tol * 1e-3, `${op} ${kind}`);
    }
  });

  it('every float32 binary op, with either operand broadcast or strided', () => {
    for (const op of BINARY_OPS) {
      const kind = opKind('binary', op);
      if (kind === 'logical') continue;
      const p = checkProgram(['float32', 'float32'], [binary(op, 0, 1)], [2]);
      const tol = kind === 'compare' || EXACT_BINARY.has(op) ? 0 : 2e-6;
      for (const shape of SHAPES) {
        for (const [i, a] of LAYOUTS.entries()) {
          const b = LAYOUTS[(i + 2) % LAYOUTS.length]!;
          check(p, shape, [f32(a), f32(b, floats(-3, 3, false))], tol, tol * 1e-3, `${op} ${a} ${b}`);
        }
      }
    }
  });

  it('bool registers: logical ops, comparisons of bools, logicalNot, bool outputs', () => {
    for (const op of BINARY_OPS) {
      const kind = opKind('binary', op);
      if (kind !== 'logical' && kind !== 'compare') continue;
      // op(a, b), then its negation and a second op with a broadcast bool: three bool registers out.
      const p = checkProgram(['bool', 'bool', 'bool'], [binary(op, 0, 1), unary('logicalNot', 3), binary(op, 4, 2)], [3, 4, 5]);
      for (const shape of SHAPES) {
        for (const [i, a] of LAYOUTS.entries()) check(p, shape, [bool(a), bool(LAYOUTS[(i + 1) % LAYOUTS.length]), bool('broadcast')], 0, 0, `bool ${op} ${a}`);
      }
    }
  });

  it('where on float32 and bool branches, constants, comparisons feeding it', () => {
    // leaky relu and its mask: where(x > 0, x, 0.01 * x), plus where(mask, x > 1, !mask) on bools.
    const p = checkProgram(['float32', 'bool'], [
      cnst(0), binary('gt', 0, 2), cnst(0.01), binary('mul', 0, 4), where(3, 0, 5), // r6
      cnst(1), binary('gt', 0, 7), unary('logicalNot', 1), where(1, 8, 9), // r10
    ], [6, 10, 3]);
    for (const shape of SHAPES) {
      for (const kind of LAYOUTS) check(p, shape, [f32(kind), bool(kind === 'broadcast' ? 'contiguous' : 'strided')], 0, 0, `where ${kind}`);
    }
  });

  it('a GELU chain, a LayerNorm tail over broadcast statistics, an Adam-like update in place', () => {
    const gelu = checkProgram(['float32'], [
      cnst(Math.SQRT1_2), binary('mul', 0, 1), unary('erf', 2), cnst(1), binary('add', 3, 4), binary('mul', 0, 5), cnst(0.5), binary('mul', 6, 7),
    ], [8]);
    for (const shape of SHAPES) for (const kind of LAYOUTS) check(gelu, shape, [f32(kind)], 1e-5, 1e-6, `gelu ${kind}`);
    // (x - mean) * rstd * gamma + beta: mean, rstd [rows, 1] and gamma, beta [cols] broadcast.
    const norm = checkProgram(['float32', 'float32', 'float32', 'float32', 'float32'], [
      binary('sub', 0, 1), binary('mul', 5, 2), binary('mul', 6, 3), binary('add', 7, 4),
    ], [8]);
    const perRow: Layout = (shape) => ({ strides: [1, 0], offset: 0, length: shape[0]! });
    const perCol: Layout = (shape) => ({ strides: [0, 1], offset: 0, length: shape[1]! });
    for (const shape of [[3, 37], [7, 256], [2, 515], [0, 4], [1030, 3]]) {
      check(norm, shape, [f32(), f32(perRow, floats(-1, 1, false)), f32(perRow, floats(0.5, 2, false)), f32(perCol), f32(perCol)], 1e-5, 1e-6, 'layernorm tail');
    }
    // Adam: m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2; p -= lr * m / (sqrt(v) + eps), all in place.
    const adam = checkProgram(['float32', 'float32', 'float32', 'float32'], [
      cnst(0.9), binary('mul', 2, 4), cnst(0.1), binary('mul', 1, 6), binary('add', 5, 7), // m: r8
      cnst(0.999), binary('mul', 3, 9), binary('mul', 1, 1), cnst(0.001), binary('mul', 11, 12), binary('add', 10, 13), // v: r14
      unary('sqrt', 14), cnst(1e-8), binary('add', 15, 16), binary('div', 8, 17), cnst(1e-3), binary('mul', 18, 19), binary('sub', 0, 20), // p: r21
    ], [21, 8, 14]);
    const positive = floats(0, 1, false);
    for (const shape of SHAPES) {
      check(adam, shape, [f32(), f32(), f32(), f32('contiguous', positive)], 1e-5, 1e-6, 'adam in place', { 0: 0, 1: 2, 2: 3 });
    }
  });

  it('programs whose outputs are inputs (also over themselves), or constants alone', () => {
    // Output 0 replaces input 0 in place while output 1 copies input 1 out; then input 0 copied
    // out as it is. (An output naming an input register that another output overwrites in place
    // is left out: runProgramComposite copies the outputs in order, so it would give the new values.)
    const copyOut = checkProgram(['float32', 'float32'], [binary('add', 0, 1)], [2, 1]);
    for (const shape of SHAPES) check(copyOut, shape, [f32(), f32('strided')], 0, 0, 'input as output, in place', { 0: 0 });
    const passThrough = checkProgram(['float32', 'float32'], [binary('add', 0, 1)], [0, 2]);
    for (const shape of SHAPES) for (const kind of LAYOUTS) check(passThrough, shape, [f32(kind), f32()], 0, 0, `input as output ${kind}`);
    const constant = checkProgram([], [cnst(-0), cnst(2.5), binary('add', 0, 1)], [0, 2]);
    for (const shape of SHAPES) check(constant, shape, [], 0, 0, 'constants');
  });

  it('refuses bad arguments with an error naming what is wrong', () => {
    const be = single;
    const p = checkProgram(['float32', 'float32'], [binary('add', 0, 1)], [2]);
    const buffer = be.alloc(64);
    const v = (shape: number[], strides = contiguous(shape), dtype: View['dtype'] = 'float32', offset = 0): View => ({ buffer, dtype, shape, strides, offset });
    const x = v([4]);
    const f = be.fused.elementwise;
    expect(() => f(p, [x], [v([4], [1], 'float32', 8)])).toThrow(/takes 2 inputs and 1 outputs, got 1 and 1/);
    expect(() => f(p, [x, v([5])], [v([4], [1], 'float32', 8)])).toThrow(/input 1 has shape \[5\], the outputs \[4\]/);
    expect(() => f(p, [x, x], [v([4], [2], 'float32', 8)])).toThrow(/output 0 must be contiguous/);
    expect(() => f(p, [x, v([4], [1], 'bool')], [v([4], [1], 'float32', 8)])).toThrow(/input 1 must be float32/);
    expect(() => f(p, [x, x], [v([4], [1], 'float32', 14)])).toThrow(/output 0 .* reaches outside its 64-byte buffer/);
    expect(() => f(p, [x, x], [v([4], [1], 'float32', 2)])).toThrow(/output 0 overlaps input 0 without being the same view/);
    expect(() => f(p, [x, x], [{ ...x, buffer: buffer + 4096 }])).toThrow(/unknown buffer/);
    expect(() => f(p, [x, null as unknown as View], [v([4], [1], 'float32', 8)])).toThrow(/input 1 is not a view/);
    const two = checkProgram(['float32'], [unary('neg', 0)], [1, 1]);
    expect(() => f(two, [x], [v([4], [1], 'float32', 4), v([4], [1], 'float32', 6)])).toThrow(/output 1 overlaps output 0/);
    // Programs not from checkProgram, as plain JavaScript might pass them.
    const forged = (o: object) => o as unknown as ElementwiseProgram;
    expect(() => f(forged({ inputs: ['float32'], instrs: [{ kind: 'unary', op: 'nope', x: 0 }], outputs: [1], dtypes: ['float32', 'float32'] }), [x], [v([4], [1], 'float32', 8)])).toThrow(/malformed program: .*unknown unary op 'nope'/);
    expect(() => f(forged({ inputs: ['float32'], instrs: [{ kind: 'unary', op: 'neg', x: 3 }], outputs: [1], dtypes: ['float32', 'float32'] }), [x], [v([4], [1], 'float32', 8)])).toThrow(/reads register 3, which is not defined/);
    expect(() => f(forged({ inputs: ['float32'], instrs: [binary('lt', 0, 0)], outputs: [1], dtypes: ['float32', 'float32'] }), [x], [v([4], [1], 'float32', 8)])).toThrow(/dtypes \[float32, float32\] do not follow from its instructions \(\[float32, bool\]\)/);
    expect(() => f(forged({ inputs: ['float32'], instrs: [null], outputs: [1] }), [x], [v([4])])).toThrow(/instruction 0 is null/);
    expect(() => f(null as unknown as ElementwiseProgram, [x], [v([4])])).toThrow(/expected an ElementwiseProgram/);
    be.free(buffer);
  });
});
