/** Element-wise ops: PyTorch's type promotion and scalar handling over the unary/binary primitives. */
import type { BinaryOp, UnaryOp } from '../backend.ts';
import { opKind } from '../op-table.ts';
import { isFloat, promoteTypes, type DType } from '../dtype.ts';
import { broadcastShapes, sameShape, shapeStr } from '../shape.ts';
import { Tensor, type TensorLike } from '../tensor.ts';
import { binaryP, broadcastView, unaryP } from './primitives.ts';
import { castTo, checkFillValue, describe, disposeTemps, scalarTensor } from './util.ts';
import { isGradEnabled } from '../grad-hook.ts';
import { tidy } from '../memory.ts';
import { where } from './indexing.ts';
import { argEnum, argNumber, parseArgs } from '../args.ts';

function checkInput(op: string, x: unknown): Tensor {
  if (!(x instanceof Tensor)) throw new TypeError(`${op}: expected a Tensor, got ${describe(x)}`);
  x.view_();
  return x;
}

/** Runs a unary primitive with PyTorch's input conversions. */
export function unary(op: UnaryOp, x: Tensor): Tensor {
  checkInput(op, x);
  let dtype: DType = x.dtype;
  const kind = opKind('unary', op);
  // Float-only ops convert integer and bool inputs first, as in PyTorch.
  if (kind === 'logical') dtype = 'bool';
  else if (kind === 'float') dtype = isFloat(x.dtype) ? x.dtype : 'float32'; // float16/bfloat16 keep their dtype
  else if (x.dtype === 'bool') {
    if (op === 'neg') throw new TypeError('neg: negation, the `-` operator, on a bool tensor is not supported; use logicalNot()');
    dtype = 'int32';
  }
  const xc = castTo(x, dtype, false);
  try {
    return unaryP(op, xc);
  } finally {
    disposeTemps([xc], [x]);
  }
}

/**
 * `-x`, a new tensor (PyTorch's `torch.neg`); throws a TypeError on bool (use {@link logicalNot}).
 *
 * @example
 * ```ts
 * const x = torch.tensor([1, -2]);
 * console.log(await torch.neg(x).tolist());   // [-1, 2]
 * console.log(await x.neg().tolist());         // the same, as a method
 * ```
 */
export const neg = (x: Tensor): Tensor => unary('neg', x);
/**
 * `|x|`, a new tensor (PyTorch's `torch.abs`); float32 and int32 keep their dtype, bool computes as int32.
 *
 * @example
 * ```ts
 * const x = torch.tensor([-1.5, 2]);
 * console.log(await torch.abs(x).tolist());   // [1.5, 2]
 * console.log(await x.abs().tolist());         // the same, as a method
 * ```
 */
export const abs = (x: Tensor): Tensor => unary('abs', x);
/**
 * -1, 0 or 1 by each element's sign, a new tensor (PyTorch's `torch.sign`); bool computes as int32.
 *
 * @example
 * ```ts
 * const x = torch.tensor([-3, 0, 2]);
 * console.log(await torch.sign(x).tolist());   // [-1, 0, 1]
 * console.log(await x.sign().tolist());         // the same, as a method
 * ```
 */
export const sign = (x: Tensor): Tensor => unary('sign', x);
/**
 * `e^x`, a new tensor (PyTorch's `torch.exp`); float32 result (int32 and bool inputs are converted first).
 *
 * @example
 * ```ts
 * const x = torch.tensor([0, 1]);
 * console.log(await torch.exp(x).tolist());   // [1, 2.7183]
 * console.log(await x.exp().tolist());         // the same, as a method
 * ```
 */
export const exp = (x: Tensor): Tensor => unary('exp', x);
/**
 * The natural logarithm, a new tensor (PyTorch's `torch.log`); float32 result (int32 and bool inputs are
 * converted first), `-Infinity` at 0 and NaN below.
 *
 * @example
 * ```ts
 * const x = torch.tensor([1, Math.E]);
 * console.log(await torch.log(x).tolist());   // [0, 1]
 * console.log(await x.log().tolist());         // the same, as a method
 * ```
 */
export const log = (x: Tensor): Tensor => unary('log', x);
/**
 * The square root, a new tensor (PyTorch's `torch.sqrt`); float32 result (int32 and bool inputs are
 * converted first), NaN below 0.
 *
 * @example
 * ```ts
 * const x = torch.tensor([4, 9]);
 * console.log(await torch.sqrt(x).tolist());   // [2, 3]
 * console.log(await x.sqrt().tolist());         // the same, as a method
 * ```
 */
export const sqrt = (x: Tensor): Tensor => unary('sqrt', x);
/**
 * `1 / sqrt(x)`, a new tensor (PyTorch's `torch.rsqrt`); float32 result (int32 and bool inputs are
 * converted first).
 *
 * @example
 * ```ts
 * const x = torch.tensor([4, 16]);
 * console.log(await torch.rsqrt(x).tolist());   // [0.5, 0.25]
 * console.log(await x.rsqrt().tolist());         // the same, as a method
 * ```
 */
export const rsqrt = (x: Tensor): Tensor => unary('rsqrt', x);
/**
 * The sine of radians, a new tensor (PyTorch's `torch.sin`); float32 result (int32 and bool inputs are
 * converted first).
 *
 * @example
 * ```ts
 * const x = torch.tensor([0, Math.PI / 2]);
 * console.log(await torch.sin(x).tolist());   // [0, 1]
 * console.log(await x.sin().tolist());         // the same, as a method
 * ```
 */
export const sin = (x: Tensor): Tensor => unary('sin', x);
/**
 * The cosine of radians, a new tensor (PyTorch's `torch.cos`); float32 result (int32 and bool inputs are
 * converted first).
 *
 * @example
 * ```ts
 * const x = torch.tensor([0, Math.PI]);
 * console.log(await torch.cos(x).tolist());   // [1, -1]
 * console.log(await x.cos().tolist());         // the same, as a method
 * ```
 */
export const cos = (x: Tensor): Tensor => unary('cos', x);
/**
 * The hyperbolic tangent, a new tensor (PyTorch's `torch.tanh`); float32 result (int32 and bool inputs are
 * converted first).
 *
 * @example
 * ```ts
 * const x = torch.tensor([0, 1]);
 * console.log(await torch.tanh(x).tolist());   // [0, 0.7616]
 * console.log(await x.tanh().tolist());         // the same, as a method
 * ```
 */
export const tanh = (x: Tensor): Tensor => unary('tanh', x);
/**
 * `1 / (1 + exp(-x))`, a new tensor (PyTorch's `torch.sigmoid`); float32 result (int32 and bool inputs are
 * converted first).
 *
 * @example
 * ```ts
 * const x = torch.tensor([0, 2]);
 * console.log(await torch.sigmoid(x).tolist());   // [0.5, 0.8808]
 * console.log(await x.sigmoid().tolist());         // the same, as a method
 * ```
 */
export const sigmoid = (x: Tensor): Tensor => unary('sigmoid', x);
/**
 * The Gauss error function, a new tensor (PyTorch's `torch.erf`); float32 result (int32 and bool inputs
 * are converted first).
 *
 * @example
 * ```ts
 * const x = torch.tensor([0, 1]);
 * console.log(await torch.erf(x).tolist());   // [0, 0.8427]
 * console.log(await x.erf().tolist());         // the same, as a method
 * ```
 */
export const erf = (x: Tensor): Tensor => unary('erf', x);
/**
 * `log(1 + x)`, accurate near 0, a new tensor (PyTorch's `torch.log1p`); float32 result (int32 and bool
 * inputs are converted first).
 *
 * @example
 * ```ts
 * const x = torch.tensor([0, 1e-8]);
 * console.log(await torch.log1p(x).tolist());   // [0, 1e-8] (exact for small x, unlike log(1 + x))
 * console.log(await x.log1p().tolist());         // the same, as a method
 * ```
 */
export const log1p = (x: Tensor): Tensor => unary('log1p', x);
/**
 * `exp(x) - 1`, accurate near 0, a new tensor (PyTorch's `torch.expm1`); float32 result (int32 and bool
 * inputs are converted first).
 *
 * @example
 * ```ts
 * const x = torch.tensor([0, 1e-8]);
 * console.log(await torch.expm1(x).tolist());   // [0, 1e-8]
 * console.log(await x.expm1().tolist());         // the same, as a method
 * ```
 */
export const expm1 = (x: Tensor): Tensor => unary('expm1', x);
/**
 * `1 / x`, a new tensor (PyTorch's `torch.reciprocal`); float32 result (int32 and bool inputs are
 * converted first), so integers do not truncate.
 *
 * @example
 * ```ts
 * const x = torch.tensor([2, 4]);
 * console.log(await torch.reciprocal(x).tolist());   // [0.5, 0.25]
 * console.log(await x.reciprocal().tolist());         // the same, as a method
 * ```
 */
export const reciprocal = (x: Tensor): Tensor => unary('reciprocal', x);
/**
 * Rounded down, a new tensor (PyTorch's `torch.floor`); the identity on int32 (bool computes as int32).
 *
 * @example
 * ```ts
 * const x = torch.tensor([1.7, -1.2]);
 * console.log(await torch.floor(x).tolist());   // [1, -2]
 * console.log(await x.floor().tolist());         // the same, as a method
 * ```
 */
export const floor = (x: Tensor): Tensor => unary('floor', x);
/**
 * Rounded up, a new tensor (PyTorch's `torch.ceil`); the identity on int32 (bool computes as int32).
 *
 * @example
 * ```ts
 * const x = torch.tensor([1.2, -1.7]);
 * console.log(await torch.ceil(x).tolist());   // [2, -1]
 * console.log(await x.ceil().tolist());         // the same, as a method
 * ```
 */
export const ceil = (x: Tensor): Tensor => unary('ceil', x);
/**
 * Rounded half to even, a new tensor (PyTorch's `torch.round`); the identity on int32 (bool computes as
 * int32).
 *
 * @example
 * ```ts
 * const x = torch.tensor([0.5, 1.5, 2.4]);
 * console.log(await torch.round(x).tolist());   // [0, 2, 2] (half to even, as PyTorch)
 * console.log(await x.round().tolist());         // the same, as a method
 * ```
 */
export const round = (x: Tensor): Tensor => unary('round', x);
/**
 * A new bool tensor, true where `x` is zero or false (PyTorch's `torch.logical_not`).
 *
 * @example
 * ```ts
 * const m = torch.tensor([true, false]);
 * console.log(await torch.logicalNot(m).tolist());   // [false, true]
 * ```
 */
export const logicalNot = (x: Tensor): Tensor => unary('logicalNot', x);
/**
 * `x * x`, a new tensor (PyTorch's `torch.square`); bool computes as int32.
 *
 * @example
 * ```ts
 * const x = torch.tensor([3, -2]);
 * console.log(await torch.square(x).tolist());   // [9, 4]
 * console.log(await x.square().tolist());         // the same, as a method
 * ```
 */
export const square = (x: Tensor): Tensor => mul(x, x);

/** The dtype a Python-style scalar takes next to a tensor of `dtype` (PyTorch's wrapped-number rule). */
function scalarResultType(dtype: DType, value: number | boolean): DType {
  if (typeof value === 'boolean') return dtype;
  if (Number.isInteger(value)) return dtype === 'bool' ? 'int32' : dtype;
  return isFloat(dtype) ? dtype : 'float32';
}

/**
 * The dtype PyTorch computes `a op b` in, for tensors and Python-style scalars.
 *
 * @example
 * ```ts
 * console.log(torch.resultType(torch.tensor([1], { dtype: 'int32' }), 2.5));   // 'float32'
 * ```
 */
export function resultType(a: TensorLike, b: TensorLike): DType {
  if (a instanceof Tensor && b instanceof Tensor) return promoteTypes(a.dtype, b.dtype);
  if (a instanceof Tensor) return scalarResultType(a.dtype, b as number | boolean);
  if (b instanceof Tensor) return scalarResultType(b.dtype, a as number | boolean);
  return typeof a === 'boolean' && typeof b === 'boolean' ? 'bool' : 'float32';
}

/**
 * The operands of a binary op as tensors of one dtype. Scalars become 0-d tensors on the
 * tensor operand's backend. Returns the operands and which of them are temporaries.
 */
function operands(op: string, a: TensorLike, b: TensorLike, force?: DType): [Tensor, Tensor] {
  const aT = a instanceof Tensor, bT = b instanceof Tensor;
  if (!aT && !bT) throw new TypeError(`${op}: expected at least one Tensor operand, got ${describe(a)} and ${describe(b)}`);
  for (const [v, name] of [[a, 'input'], [b, 'other']] as const) {
    if (!(v instanceof Tensor) && typeof v !== 'number' && typeof v !== 'boolean') {
      throw new TypeError(`${op}: expected ${name} to be a Tensor, number or boolean, got ${describe(v)}`);
    }
    if (v instanceof Tensor) v.view_();
  }
  const dtype = force ?? resultType(a, b);
  const backend = (aT ? (a as Tensor) : (b as Tensor)).backend;
  const toT = (v: TensorLike): Tensor => {
    if (v instanceof Tensor) return castTo(v, dtype, false);
    if (typeof v === 'number' && !isFloat(dtype) && !Number.isFinite(v)) {
      throw new RangeError(`${op}: the scalar ${v} cannot take part in a ${dtype} operation`);
    }
    return scalarTensor(v, dtype, backend);
  };
  const ta = toT(a);
  try {
    return [ta, toT(b)];
  } catch (e) {
    if (ta !== a) ta.dispose();
    throw e;
  }
}

/** The logical op PyTorch computes for a bool-by-bool arithmetic op (the result stays bool). */
const BOOL_AS_LOGICAL: Partial<Record<BinaryOp, BinaryOp>> = { add: 'logicalOr', maximum: 'logicalOr', mul: 'logicalAnd', minimum: 'logicalAnd' };

/** Runs a binary primitive with promotion; `force` overrides the computation dtype. */
export function binary(op: BinaryOp, a: TensorLike, b: TensorLike, force?: DType): Tensor {
  const [ta, tb] = operands(op, a, b, force);
  try {
    // PyTorch keeps bool for bool (+, max) and (*, min): logical or / and, not int32 arithmetic.
    const logical = ta.dtype === 'bool' ? BOOL_AS_LOGICAL[op] : undefined;
    if (logical) return binaryP(logical, ta, tb);
    const kind = opKind('binary', op);
    if (ta.dtype === 'bool' && kind !== 'compare' && kind !== 'logical') {
      // PyTorch computes bool arithmetic on integers here.
      const ia = castTo(ta, 'int32', false), ib = castTo(tb, 'int32', false);
      try {
        return binaryP(op, ia, ib);
      } finally {
        disposeTemps([ia, ib], [ta, tb]);
      }
    }
    return binaryP(op, ta, tb);
  } finally {
    disposeTemps([ta, tb], [a, b].filter((v): v is Tensor => v instanceof Tensor));
  }
}

/**
 * `a + alpha * b`.
 *
 * @example
 * ```ts
 * const x = torch.tensor([1, 2, 3]);
 * console.log(await torch.add(x, 10).tolist());                           // [11, 12, 13]
 * console.log(await x.add(torch.ones([3]), { alpha: 2 }).tolist());       // [3, 4, 5]: x + 2 * other
 * ```
 */
export function add(a: TensorLike, b: TensorLike, options?: { alpha?: number }): Tensor {
  const alpha = options?.alpha ?? 1;
  if (alpha === 1) return binary('add', a, b);
  const scaled = mul(b, alpha);
  try {
    return binary('add', a, scaled);
  } finally {
    scaled.dispose();
  }
}

/**
 * `a - alpha * b`.
 *
 * @example
 * ```ts
 * const x = torch.tensor([5, 6]);
 * console.log(await torch.sub(x, 1).tolist(), await x.sub(x, { alpha: 0.5 }).tolist());   // [4, 5] [2.5, 3]
 * ```
 */
export function sub(a: TensorLike, b: TensorLike, options?: { alpha?: number }): Tensor {
  if ((a instanceof Tensor && a.dtype === 'bool') || (b instanceof Tensor && b.dtype === 'bool')) {
    if (typeof a !== 'number' && typeof b !== 'number') {
      throw new TypeError('sub: subtraction, the `-` operator, with bool tensors is not supported; use logicalXor()');
    }
  }
  const alpha = options?.alpha ?? 1;
  if (alpha === 1) return binary('sub', a, b);
  const scaled = mul(b, alpha);
  try {
    return binary('sub', a, scaled);
  } finally {
    scaled.dispose();
  }
}

/**
 * `a * b`, broadcasting, in the promoted dtype of tensors and scalars (PyTorch's `torch.mul`); bool
 * computes as int32. Returns a new tensor.
 *
 * @example
 * ```ts
 * const x = torch.tensor([1, 2, 3]);
 * console.log(await torch.mul(x, 2).tolist());   // [2, 4, 6]
 * console.log(await x.mul(2).tolist());         // as a method
 * ```
 */
export const mul = (a: TensorLike, b: TensorLike): Tensor => binary('mul', a, b);
/** Options of {@link div}. */
export interface DivOptions {
  /**
   * `null` (default): true division, float32 for integer inputs (half dtypes stay half). `'trunc'`: rounded toward 0,
   * `'floor'`: rounded down (PyTorch's `floor_divide`); both keep integer dtypes. Integer division
   * by 0 gives 0 where PyTorch raises ZeroDivisionError.
   */
  roundingMode?: 'trunc' | 'floor' | null;
}

/**
 * `a / b`, broadcasting (PyTorch's `torch.div`): true division (integer inputs give float32), or
 * rounded with `roundingMode` (`'trunc'`, `'floor'`), which keeps the promoted dtype. The rounded
 * forms have zero gradient, as in PyTorch.
 *
 * @example
 * ```ts
 * const a = torch.tensor([7, -7]), b = torch.tensor([2, 2]);
 * torch.div(a, b);                              // [3.5, -3.5]
 * torch.div(a, b, { roundingMode: 'floor' });   // [3, -4]
 * torch.div(a, b, 'trunc');                     // [3, -3]
 * ```
 */
export function div(a: TensorLike, b: TensorLike, ...args: [DivOptions['roundingMode'] | DivOptions] | []): Tensor {
  const { roundingMode: mode } = parseArgs('div', args, ['roundingMode']);
  if (mode === undefined || mode === null) {
    // true division: integer inputs give float32; float16/bfloat16 keep their dtype, as in PyTorch
    const t = resultType(a, b);
    return binary('div', a, b, isFloat(t) ? t : 'float32');
  }
  return binary(argEnum('div', 'roundingMode', mode, ['trunc', 'floor'] as const) === 'floor' ? 'floorDivide' : 'truncDivide', a, b);
}
/**
 * Python's `a % b`: the result has the sign of `b` (PyTorch's `torch.remainder`); int32 `x % 0` gives 0.
 * Broadcasts and promotes; returns a new tensor.
 *
 * @example
 * ```ts
 * const x = torch.tensor([5, -5]);
 * console.log(await torch.remainder(x, 3).tolist());   // [2, 1] (the sign of the divisor, as Python)
 * console.log(await x.remainder(3).tolist());         // as a method
 * ```
 */
export const remainder = (a: TensorLike, b: TensorLike): Tensor => binary('remainder', a, b);
/**
 * Element-wise maximum, broadcasting and promoting; NaN propagates (PyTorch's `torch.maximum`). Returns a
 * new tensor.
 *
 * @example
 * ```ts
 * const x = torch.tensor([1, 5]);
 * console.log(await torch.maximum(x, torch.tensor([3, 2])).tolist());   // [3, 5]
 * console.log(await x.maximum(torch.tensor([3, 2])).tolist());         // as a method
 * ```
 */
export const maximum = (a: TensorLike, b: TensorLike): Tensor => binary('maximum', a, b);
/**
 * Element-wise minimum, broadcasting and promoting; NaN propagates (PyTorch's `torch.minimum`). Returns a
 * new tensor.
 *
 * @example
 * ```ts
 * const x = torch.tensor([1, 5]);
 * console.log(await torch.minimum(x, torch.tensor([3, 2])).tolist());   // [1, 2]
 * console.log(await x.minimum(torch.tensor([3, 2])).tolist());         // as a method
 * ```
 */
export const minimum = (a: TensorLike, b: TensorLike): Tensor => binary('minimum', a, b);
/**
 * `a == b`, broadcasting, as a new bool tensor (PyTorch's `torch.eq`).
 *
 * @example
 * ```ts
 * const x = torch.tensor([1, 2]);
 * console.log(await torch.eq(x, 2).tolist());   // [false, true]
 * console.log(await x.eq(2).tolist());         // as a method
 * ```
 */
export const eq = (a: TensorLike, b: TensorLike): Tensor => binary('eq', a, b);
/**
 * `a != b`, broadcasting, as a new bool tensor (PyTorch's `torch.ne`).
 *
 * @example
 * ```ts
 * const x = torch.tensor([1, 2]);
 * console.log(await torch.ne(x, 2).tolist());   // [true, false]
 * console.log(await x.ne(2).tolist());         // as a method
 * ```
 */
export const ne = (a: TensorLike, b: TensorLike): Tensor => binary('ne', a, b);
/**
 * `a < b`, broadcasting, as a new bool tensor (PyTorch's `torch.lt`).
 *
 * @example
 * ```ts
 * const x = torch.tensor([1, 2]);
 * console.log(await torch.lt(x, 2).tolist());   // [true, false]
 * console.log(await x.lt(2).tolist());         // as a method
 * ```
 */
export const lt = (a: TensorLike, b: TensorLike): Tensor => binary('lt', a, b);
/**
 * `a <= b`, broadcasting, as a new bool tensor (PyTorch's `torch.le`).
 *
 * @example
 * ```ts
 * const x = torch.tensor([1, 2]);
 * console.log(await torch.le(x, 2).tolist());   // [true, true]
 * console.log(await x.le(2).tolist());         // as a method
 * ```
 */
export const le = (a: TensorLike, b: TensorLike): Tensor => binary('le', a, b);
/**
 * `a > b`, broadcasting, as a new bool tensor (PyTorch's `torch.gt`).
 *
 * @example
 * ```ts
 * const x = torch.tensor([1, 2]);
 * console.log(await torch.gt(x, 1).tolist());   // [false, true]
 * console.log(await x.gt(1).tolist());         // as a method
 * ```
 */
export const gt = (a: TensorLike, b: TensorLike): Tensor => binary('gt', a, b);
/**
 * `a >= b`, broadcasting, as a new bool tensor (PyTorch's `torch.ge`).
 *
 * @example
 * ```ts
 * const x = torch.tensor([1, 2]);
 * console.log(await torch.ge(x, 2).tolist());   // [false, true]
 * console.log(await x.ge(2).tolist());         // as a method
 * ```
 */
export const ge = (a: TensorLike, b: TensorLike): Tensor => binary('ge', a, b);
/**
 * AND of the operands' truth values (nonzero is true), broadcasting, as a new bool tensor (PyTorch's
 * `torch.logical_and`).
 *
 * @example
 * ```ts
 * const a = torch.tensor([true, true, false]);
 * const b = torch.tensor([true, false, false]);
 * console.log(await torch.logicalAnd(a, b).tolist());   // [true, false, false]
 * ```
 */
export const logicalAnd = (a: TensorLike, b: TensorLike): Tensor => binary('logicalAnd', a, b, 'bool');
/**
 * OR of the operands' truth values (nonzero is true), broadcasting, as a new bool tensor (PyTorch's
 * `torch.logical_or`).
 *
 * @example
 * ```ts
 * const a = torch.tensor([true, true, false]);
 * const b = torch.tensor([true, false, false]);
 * console.log(await torch.logicalOr(a, b).tolist());   // [true, true, false]
 * ```
 */
export const logicalOr = (a: TensorLike, b: TensorLike): Tensor => binary('logicalOr', a, b, 'bool');
/**
 * XOR of the operands' truth values (nonzero is true), broadcasting, as a new bool tensor (PyTorch's
 * `torch.logical_xor`).
 *
 * @example
 * ```ts
 * const a = torch.tensor([true, true, false]);
 * const b = torch.tensor([true, false, false]);
 * console.log(await torch.logicalXor(a, b).tolist());   // [false, true, false]
 * ```
 */
export const logicalXor = (a: TensorLike, b: TensorLike): Tensor => binary('logicalXor', a, b, 'bool');

/**
 * `input ** exponent`. An integer tensor to a negative integer power follows integer rules (PyTorch errors; we give 0).
 *
 * @example
 * ```ts
 * const x = torch.tensor([1, 2, 3]);
 * console.log(await torch.pow(x, 2).tolist(), await x.pow(0.5).tolist());   // [1, 4, 9] [1, 1.4142, 1.7321]
 * ```
 */
export function pow(input: TensorLike, exponent: TensorLike): Tensor {
  if (typeof exponent === 'number' && input instanceof Tensor && isFloat(input.dtype)) {
    // Common exponents as cheaper, more accurate primitives (PyTorch special-cases these too).
    if (exponent === 1) return castTo(input, input.dtype, true);
    if (exponent === 2) return mul(input, input);
    if (exponent === 0.5) return sqrt(input);
    if (exponent === -0.5) return rsqrt(input);
    if (exponent === -1) return reciprocal(input);
  }
  return binary('pow', input, exponent);
}

/** clamp's bounds: `(min, max)` positionally, either null, or `{ min, max }` (PyTorch's keywords). */
export type ClampArgs = [min?: number | Tensor | null | ClampOptions, max?: number | Tensor | null];
/** clamp's bounds as PyTorch's keywords. */
export interface ClampOptions {
  /** Lower bound (none when omitted or null). */
  min?: number | Tensor | null;
  /** Upper bound (none when omitted or null). */
  max?: number | Tensor | null;
}

/**
 * Clamps to `[min, max]` (either may be omitted): `clamp(x, 0, 1)`, `clamp(x, { max: 1 })`. NaN stays NaN; with `min > max` every element
 * becomes `max`, as in PyTorch. Written with `where` so that the gradient passes exactly where
 * `min <= x <= max` (bounds included), PyTorch's convention.
 *
 * @example
 * ```ts
 * const x = torch.tensor([-2, 0.5, 3]);
 * console.log(await torch.clamp(x, 0, 1).tolist());              // [0, 0.5, 1]
 * console.log(await x.clamp({ min: 0 }).tolist());               // [0, 0.5, 3]
 * ```
 */
export function clamp(x: Tensor, ...args: ClampArgs): Tensor {
  checkInput('clamp', x);
  const a = parseArgs('clamp', args, ['min', 'max']);
  const bound = (v: unknown, name: string): number | Tensor | null => {
    if (v === undefined || v === null || v instanceof Tensor) return (v ?? null) as Tensor | null;
    return argNumber('clamp', name, v);
  };
  const min = bound(a.min, 'min'), max = bound(a.max, 'max');
  const hasMin = min !== undefined && min !== null, hasMax = max !== undefined && max !== null;
  if (!hasMin && !hasMax) throw new TypeError("clamp: at least one of 'min' or 'max' must not be None");
  return tidy(() => {
    let r = x;
    if (hasMin) r = where(lt(r, min), min, r);
    if (hasMax) r = where(gt(r, max), max, r);
    return r === x ? castTo(x, x.dtype, true) : r;
  });
}

/**
 * Writes `src` (a tensor or a scalar, broadcast to `dst`'s shape and converted to its dtype)
 * into `dst`'s elements in place. Returns `dst`.
 */
export function copyInto<T extends Tensor>(dst: T, src: TensorLike): T {
  const dv = dst.view_();
  checkInPlace(dst);
  if (dst.strides.some((s, i) => s === 0 && dst.shape[i]! > 1)) {
    throw new Error(`in-place operation on an expanded tensor (shape ${shapeStr(dst.shape)}, strides [${dst.strides.join(', ')}]) would write one element many times; call contiguous() first`);
  }
  if (src instanceof Tensor) {
    const shape = broadcastShapes(src.shape, dst.shape);
    if (!sameShape(shape, dst.shape)) {
      throw new RangeError(`copy_: the source of shape ${shapeStr(src.shape)} does not broadcast to the destination's shape ${shapeStr(dst.shape)}`);
    }
    if (src.backend !== dst.backend) throw new Error(`copy_: the source is on '${src.backend.name}' and the destination on '${dst.backend.name}'`);
    dst.backend.copy(broadcastView(src, dst.shape), dv);
  } else {
    const value = checkFillValue(src, dst.dtype, 'fill_');
    const s = scalarTensor(value, dst.dtype, dst.backend);
    try {
      dst.backend.copy(broadcastView(s, dst.shape), dv);
    } finally {
      s.dispose();
    }
  }
  return dst;
}

/**
 * In-place writes are allowed on tensors outside any autograd graph. On a leaf that requires
 * grad they would corrupt what backward computes (PyTorch's rule); on a tensor inside a graph
 * torchlet does not rewrite the graph, so both are refused while gradients are recorded
 * (wrap optimizer updates in noGrad()). Each write bumps the buffer's version so a tensor saved
 * for backward and modified later is detected.
 */
export function checkInPlace(dst: Tensor): void {
  if (isGradEnabled() && dst.requiresGrad) {
    throw new Error(
      dst.isLeaf
        ? 'a leaf Variable that requires grad is being used in an in-place operation. Wrap the update in noGrad(() => ...).'
        : 'in-place operations on a tensor that is part of an autograd graph are not supported; use the out-of-place form (e.g. add instead of add_).',
    );
  }
  dst.storage.version++;
}

/** Stores `result` into `dst` in place and disposes `result`. */
export function assign<T extends Tensor>(dst: T, result: Tensor): T {
  try {
    return copyInto(dst, result);
  } finally {
    result.dispose();
  }
}
