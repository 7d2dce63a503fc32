/**
 * PyTorch's math functions beyond the basic arithmetic: the trigonometric and hyperbolic family,
 * other logarithm and exponential bases, rounding and division variants (primitives of the op
 * table), and the composites built from them (frac, nanToNum, isnan, logaddexp, lerp, ...), which
 * need nothing from a backend. The Tensor method of every unary primitive is installed from the
 * op table at the end of this file.
 */
import type { UnaryOp } from '../backend.ts';
import type * as publicApi from '../index.ts';
import { UNARY_OPS } from '../op-table.ts';
import { Tensor, type TensorLike } from '../tensor.ts';
import { tidy } from '../memory.ts';
import { argNumber, parseArgs } from '../args.ts';
import { abs, add, binary, eq, exp, log1p, lt, maximum, mul, ne, reciprocal, sub, unary } from './elementwise.ts';
import { where } from './indexing.ts';

// ---- unary primitives -------------------------------------------------------------------------

/**
 * The tangent of radians, a new float32 tensor (PyTorch's `torch.tan`).
 * @example
 * ```ts
 * torch.tan(torch.tensor([0, Math.PI / 4]));  // [0, 1]
 * ```
 */
export const tan = (x: Tensor): Tensor => unary('tan', x);
/**
 * The arcsine in radians, NaN outside [-1, 1] (PyTorch's `torch.asin`); float32 result.
 * @example
 * ```ts
 * torch.asin(torch.tensor([0, 1]));  // [0, 1.5708]
 * ```
 */
export const asin = (x: Tensor): Tensor => unary('asin', x);
/**
 * The arccosine in radians, NaN outside [-1, 1] (PyTorch's `torch.acos`); float32 result.
 * @example
 * ```ts
 * torch.acos(torch.tensor([1, 0]));  // [0, 1.5708]
 * ```
 */
export const acos = (x: Tensor): Tensor => unary('acos', x);
/**
 * The arctangent in radians (PyTorch's `torch.atan`); float32 result.
 * @example
 * ```ts
 * torch.atan(torch.tensor([0, 1]));  // [0, 0.7854]
 * ```
 */
export const atan = (x: Tensor): Tensor => unary('atan', x);
/**
 * The hyperbolic sine (PyTorch's `torch.sinh`); float32 result.
 * @example
 * ```ts
 * torch.sinh(torch.tensor([0, 1]));  // [0, 1.1752]
 * ```
 */
export const sinh = (x: Tensor): Tensor => unary('sinh', x);
/**
 * The hyperbolic cosine (PyTorch's `torch.cosh`); float32 result.
 * @example
 * ```ts
 * torch.cosh(torch.tensor([0, 1]));  // [1, 1.5431]
 * ```
 */
export const cosh = (x: Tensor): Tensor => unary('cosh', x);
/**
 * The inverse hyperbolic sine (PyTorch's `torch.asinh`); float32 result.
 * @example
 * ```ts
 * torch.asinh(torch.tensor([0, 1]));  // [0, 0.8814]
 * ```
 */
export const asinh = (x: Tensor): Tensor => unary('asinh', x);
/**
 * The inverse hyperbolic cosine, NaN below 1 (PyTorch's `torch.acosh`); float32 result.
 * @example
 * ```ts
 * torch.acosh(torch.tensor([1, 2]));  // [0, 1.3170]
 * ```
 */
export const acosh = (x: Tensor): Tensor => unary('acosh', x);
/**
 * The inverse hyperbolic tangent, ±Infinity at ±1 and NaN beyond (PyTorch's `torch.atanh`); float32 result.
 * @example
 * ```ts
 * torch.atanh(torch.tensor([0, 0.5]));  // [0, 0.5493]
 * ```
 */
export const atanh = (x: Tensor): Tensor => unary('atanh', x);
/**
 * The base-2 logarithm (PyTorch's `torch.log2`); float32 result, `-Infinity` at 0, NaN below.
 * @example
 * ```ts
 * torch.log2(torch.tensor([1, 8]));  // [0, 3]
 * ```
 */
export const log2 = (x: Tensor): Tensor => unary('log2', x);
/**
 * The base-10 logarithm (PyTorch's `torch.log10`); float32 result, `-Infinity` at 0, NaN below.
 * @example
 * ```ts
 * torch.log10(torch.tensor([1, 100]));  // [0, 2]
 * ```
 */
export const log10 = (x: Tensor): Tensor => unary('log10', x);
/**
 * `2^x` (PyTorch's `torch.exp2`); float32 result.
 * @example
 * ```ts
 * torch.exp2(torch.tensor([0, 3]));  // [1, 8]
 * ```
 */
export const exp2 = (x: Tensor): Tensor => unary('exp2', x);
/**
 * Rounded toward zero (PyTorch's `torch.trunc`, also `torch.fix`); the identity on int32, zero gradient.
 * @example
 * ```ts
 * torch.trunc(torch.tensor([1.7, -1.7]));  // [1, -1]
 * ```
 */
export const trunc = (x: Tensor): Tensor => unary('trunc', x);

// ---- binary primitives ------------------------------------------------------------------------

/**
 * `atan2(input, other)`: the angle of the point `(other, input)` in radians, all four quadrants
 * (PyTorch's `torch.atan2`); broadcasts, float32 result.
 * @example
 * ```ts
 * torch.atan2(torch.tensor([1, -1]), torch.tensor([-1, -1]));  // [2.3562, -2.3562]
 * ```
 */
export const atan2 = (input: TensorLike, other: TensorLike): Tensor => binary('atan2', input, other, 'float32');
/**
 * `sqrt(a² + b²)` without overflow or underflow in the squares, Infinity if either is infinite
 * (PyTorch's `torch.hypot`); broadcasts, float32 result.
 * @example
 * ```ts
 * torch.hypot(torch.tensor([3]), torch.tensor([4]));  // [5]
 * ```
 */
export const hypot = (input: TensorLike, other: TensorLike): Tensor => binary('hypot', input, other, 'float32');
/**
 * C's `fmod`: the remainder of truncated division, with the sign of the dividend (PyTorch's
 * `torch.fmod`; {@link remainder} follows the divisor). Keeps integer dtypes; int32 `fmod(x, 0)`
 * gives 0 where PyTorch raises.
 * @example
 * ```ts
 * torch.fmod(torch.tensor([-3, 3]), 2);  // [-1, 1]
 * ```
 */
export const fmod = (input: TensorLike, other: TensorLike): Tensor => binary('fmod', input, other);
/**
 * `div(input, other, { roundingMode: 'floor' })`: division rounded down, consistent with
 * `remainder` (PyTorch's `torch.floor_divide` since 1.13). Keeps integer dtypes; int32 division
 * by 0 gives 0 where PyTorch raises. Zero gradient.
 * @example
 * ```ts
 * torch.floorDivide(torch.tensor([7, -7]), 2);  // [3, -4]
 * ```
 */
export const floorDivide = (input: TensorLike, other: TensorLike): Tensor => binary('floorDivide', input, other);

// ---- composites -------------------------------------------------------------------------------

/**
 * `x - trunc(x)`, the fractional part with the sign of `x` (PyTorch's `torch.frac`); gradient 1.
 * @example
 * ```ts
 * torch.frac(torch.tensor([1.5, -1.25]));  // [0.5, -0.25]
 * ```
 */
export function frac(x: Tensor): Tensor {
  return tidy(() => sub(x, trunc(x)));
}

/**
 * True where `x` is NaN, as a new bool tensor (PyTorch's `torch.isnan`).
 * @example
 * ```ts
 * torch.isnan(torch.tensor([1, NaN]));  // [false, true]
 * ```
 */
export const isnan = (x: Tensor): Tensor => ne(x, x);
/**
 * True where `x` is `±Infinity`, as a new bool tensor (PyTorch's `torch.isinf`).
 * @example
 * ```ts
 * torch.isinf(torch.tensor([1, -Infinity, NaN]));  // [false, true, false]
 * ```
 */
export function isinf(x: Tensor): Tensor {
  if (x.dtype !== 'float32') return tidy(() => ne(x, x)); // integers and bools are never infinite: all false
  return tidy(() => eq(abs(x), Infinity));
}
/**
 * True where `x` is neither NaN nor infinite, as a new bool tensor (PyTorch's `torch.isfinite`).
 * @example
 * ```ts
 * torch.isfinite(torch.tensor([1, Infinity, NaN]));  // [true, false, false]
 * ```
 */
export function isfinite(x: Tensor): Tensor {
  if (x.dtype !== 'float32') return tidy(() => eq(x, x));
  return tidy(() => lt(abs(x), Infinity));
}
/**
 * True where the sign bit of `x` is set, `-0` included (PyTorch's `torch.signbit`), as a new bool
 * tensor. NaN counts as positive: torchlet does not keep the sign of a NaN through its kernels.
 * @example
 * ```ts
 * torch.signbit(torch.tensor([-1, -0, 0, 2]));  // [true, true, false, false]
 * ```
 */
export function signbit(x: Tensor): Tensor {
  if (x.dtype !== 'float32') return tidy(() => lt(x, 0));
  // -0 is the one negative number that compares equal to 0: tell it by 1 / -0 = -Infinity.
  return tidy(() => where(eq(x, 0), lt(reciprocal(x), 0), lt(x, 0)));
}

/** Options of {@link nanToNum} (PyTorch's `nan`, `posinf`, `neginf`). */
export interface NanToNumOptions {
  /** What NaN becomes (default 0). */
  nan?: number;
  /** What `+Infinity` becomes (default the largest float32, 3.4028e38). */
  posinf?: number | null;
  /** What `-Infinity` becomes (default the lowest float32, -3.4028e38). */
  neginf?: number | null;
}

const F32_MAX = 3.4028234663852886e38;

/**
 * Replaces NaN, `+Infinity` and `-Infinity` with finite numbers (PyTorch's `torch.nan_to_num`):
 * `nanToNum(x)`, `nanToNum(x, 0, 1e6, -1e6)` or `nanToNum(x, { nan: 0, posinf: 1e6 })`. The
 * gradient passes where `x` was finite. Integer and bool tensors come back unchanged (a copy).
 * @example
 * ```ts
 * torch.nanToNum(torch.tensor([NaN, Infinity, -Infinity, 1]), { posinf: 9 });  // [0, 9, -3.4028e38, 1]
 * ```
 */
export function nanToNum(x: Tensor, ...args: [(number | NanToNumOptions)?, (number | null)?, (number | null)?, NanToNumOptions?]): Tensor {
  if (!(x instanceof Tensor)) throw new TypeError(`nanToNum: expected a Tensor, got ${typeof x}`);
  const a = parseArgs('nanToNum', args, ['nan', 'posinf', 'neginf']);
  const nan = a.nan === undefined ? 0 : argNumber('nanToNum', 'nan', a.nan);
  const posinf = a.posinf === undefined || a.posinf === null ? F32_MAX : argNumber('nanToNum', 'posinf', a.posinf);
  const neginf = a.neginf === undefined || a.neginf === null ? -F32_MAX : argNumber('nanToNum', 'neginf', a.neginf);
  if (x.dtype !== 'float32') return tidy(() => x.clone());
  return tidy(() => where(ne(x, x), nan, where(eq(x, Infinity), posinf, where(eq(x, -Infinity), neginf, x))));
}

/**
 * `log(exp(a) + exp(b))` without overflow: `max(a, b) + log1p(exp(-|a - b|))` (PyTorch's
 * `torch.logaddexp`); broadcasts, float32 result. Equal infinities give that infinity.
 * @example
 * ```ts
 * torch.logaddexp(torch.tensor([0]), torch.tensor([0]));  // [0.6931]
 * ```
 */
export function logaddexp(input: TensorLike, other: TensorLike): Tensor {
  return tidy(() => {
    const m = maximum(input, other);
    const d = abs(sub(input, other));
    // a == b == ±Infinity: the difference is NaN, the answer is the infinity itself.
    const r = add(m, log1p(exp(mul(d, -1))));
    return where(eq(input, other), add(m, Math.LN2), r);
  });
}

/**
 * Linear interpolation `input + weight * (end - input)` (PyTorch's `torch.lerp`); `weight` a number
 * or a tensor, broadcasting. Differentiable in all three.
 * @example
 * ```ts
 * torch.lerp(torch.tensor([0, 10]), torch.tensor([10, 20]), 0.25);  // [2.5, 12.5]
 * ```
 */
export function lerp(input: Tensor, end: TensorLike, weight: TensorLike): Tensor {
  if (!(input instanceof Tensor)) throw new TypeError('lerp: expected input to be a Tensor');
  if (typeof weight !== 'number' && !(weight instanceof Tensor)) throw new TypeError('lerp: weight must be a number or a Tensor');
  return tidy(() => add(input, mul(weight, sub(end, input))));
}

// ---- Tensor methods ---------------------------------------------------------------------------

// The methods below are declared on the Tensor interface in tensor.ts (a `declare module`
// augmentation here would survive into the bundled .d.ts with a path that no longer resolves).
const methods: Record<string, (this: Tensor, ...args: never[]) => Tensor> = {
  atan2(other: TensorLike) { return atan2(this, other); },
  hypot(other: TensorLike) { return hypot(this, other); },
  fmod(other: TensorLike) { return fmod(this, other); },
  floorDivide(other: TensorLike) { return floorDivide(this, other); },
  frac() { return frac(this); },
  isnan() { return isnan(this); },
  isinf() { return isinf(this); },
  isfinite() { return isfinite(this); },
  signbit() { return signbit(this); },
  nanToNum(...args: Parameters<typeof nanToNum> extends [Tensor, ...infer R] ? R : never) { return nanToNum(this, ...args); },
  logaddexp(other: TensorLike) { return logaddexp(this, other); },
  lerp(end: TensorLike, weight: TensorLike) { return lerp(this, end, weight); },
};
for (const op of UNARY_OPS) {
  if (!(op in Tensor.prototype)) methods[op] = function (this: Tensor) { return unary(op, this); };
}
for (const [name, fn] of Object.entries(methods)) {
  Object.defineProperty(Tensor.prototype, name, { value: fn, writable: true, configurable: true });
}

// Every unary op of the op table has a public function of its name in the package: a table
// entry without one is a compile error here, naming the op.
type MissingUnaryFunctions = Exclude<UnaryOp, keyof typeof publicApi>;
const everyUnaryOpIsExported: [MissingUnaryFunctions] extends [never] ? true : MissingUnaryFunctions = true;
void everyUnaryOpIsExported;
