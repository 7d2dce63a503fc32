/** Reductions: the reduce primitive plus PyTorch's dim/keepdim/dtype rules; var, std, logsumexp composed. */
import type { ReduceOp } from '../backend.ts';
import { tidy } from '../memory.ts';
import { isFloat } from '../dtype.ts';
import { normalizeDims, shapeStr } from '../shape.ts';
import { Tensor } from '../tensor.ts';
import { argBool, argDims, parseArgs, reduceArgs, type DimArg, type ReduceOptions } from '../args.ts';
import { abs, add, div, eq, exp, log, maximum, minimum, mul, sub, sqrt } from './elementwise.ts';
import { reduceP } from './primitives.ts';
import { gather, where } from './indexing.ts';
import { castTo, expectTensor } from './util.ts';
import { reshape, squeeze } from './view.ts';

/** Values and indices of `max`/`min` along a dim: destructure as `[values, indices]` or use the names. */
export type MaxResult = [Tensor, Tensor] & NamedMaxResult;

/** The names of `max`/`min`'s results (PyTorch's namedtuple fields). */
export interface NamedMaxResult {
  /** The extreme values along the dim. */
  values: Tensor;
  /** Where they are along the dim (int32; the first on ties). */
  indices: Tensor;
}

export interface VarOptions extends ReduceOptions {
  /** Divide by `n - 1` (Bessel's correction; default true) instead of `n`. */
  unbiased?: boolean;
}

function axesOf(x: Tensor, dim: number | readonly number[] | null | undefined): number[] {
  if (dim === undefined || dim === null) return x.shape.map((_, i) => i);
  const dims = typeof dim === 'number' ? [dim] : [...dim];
  if (x.ndim === 0) {
    normalizeDims(dims, 0);
    return [];
  }
  return normalizeDims(dims, x.ndim).sort((a, b) => a - b);
}

/** Drops the reduced axes unless keepdim. Takes ownership of `r`. */
function finish(r: Tensor, axes: readonly number[], keepdim: boolean): Tensor {
  if (keepdim || axes.length === 0) return r;
  try {
    return squeeze(r, axes);
  } finally {
    r.dispose();
  }
}

function reduceOp(op: ReduceOp, x: Tensor, dim: number | readonly number[] | null, keepdim: boolean, name: string): Tensor {
  expectTensor(name, x);
  const axes = axesOf(x, dim);
  if ((op === 'max' || op === 'min' || op === 'argmax' || op === 'argmin') && axes.some((a) => x.shape[a] === 0)) {
    throw new RangeError(`${name}(): Expected reduction dim to have non-zero size (shape ${shapeStr(x.shape)})`);
  }
  // Sums and products of bool/int32 count in int32 (PyTorch: int64).
  const xc = x.dtype === 'bool' ? castTo(x, 'int32', false) : x;
  try {
    return finish(reduceP(op, xc, axes), axes, keepdim);
  } finally {
    if (xc !== x) xc.dispose();
  }
}

/**
 * Sum over `dim` (every dim by default), PyTorch's `torch.sum`: `sum(x, 1)`, `sum(x, [0, 1], true)`
 * or `sum(x, { dim: 1, keepdim: true })`. float32 stays float32, bool and int32 sum in int32
 * (PyTorch: int64). An empty sum is 0. Returns a new tensor.
 *
 * @example
 * torch.sum(torch.ones(2, 3), 1); // tensor([3., 3.])
 */
export function sum(x: Tensor, ...args: ReduceArgs): Tensor {
  const a = reduceArgs('sum', args);
  return reduceOp('sum', x, a.dim, a.keepdim, 'sum');
}

/**
 * Product over `dim` (every dim by default), PyTorch's `torch.prod`: float32 stays float32, bool
 * and int32 multiply in int32. An empty product is 1. Returns a new tensor.
 *
 * @example
 * ```ts
 * const x = torch.tensor([[1, 2], [3, 4]]);
 * console.log(await torch.prod(x).item(), await x.prod(1).tolist());   // 24 [2, 12]
 * ```
 */
export function prod(x: Tensor, ...args: ReduceArgs): Tensor {
  const a = reduceArgs('prod', args);
  return reduceOp('prod', x, a.dim, a.keepdim, 'prod');
}

/**
 * The mean over `dim` (`mean(x, 1)`, `mean(x, { dim: 1, keepdim: true })`) of a float tensor (integer tensors are rejected, as in PyTorch).
 *
 * @example
 * ```ts
 * const x = torch.tensor([[1, 2], [3, 4]]);
 * console.log(await torch.mean(x).item());              // 2.5
 * console.log(await x.mean(0).tolist());                // [2, 3]
 * console.log(await x.mean({ dim: 1, keepdim: true }).tolist());   // [[1.5], [3.5]]
 * ```
 */
export function mean(x: Tensor, ...args: ReduceArgs): Tensor {
  expectTensor('mean', x);
  const a = reduceArgs('mean', args);
  if (!isFloat(x.dtype)) {
    throw new TypeError(`mean(): could not infer output dtype. Input dtype must be a float dtype (float32, float16, bfloat16), got ${x.dtype}; convert with .float() first`);
  }
  const axes = axesOf(x, a.dim);
  const count = axes.reduce((n, ax) => n * x.shape[ax]!, 1);
  return tidy(() => div(reduceOp('sum', x, a.dim, a.keepdim, 'mean'), count));
}

function maxMin(op: 'max' | 'min', x: Tensor, args: readonly unknown[]): Tensor | MaxResult {
  expectTensor(op, x);
  // torch.max(a, b) is the element-wise maximum.
  if (args[0] instanceof Tensor) {
    if (args.length > 1 && args[1] !== undefined) throw new TypeError(`${op}(input, other): takes no further arguments`);
    return op === 'max' ? maximum(x, args[0]) : minimum(x, args[0]);
  }
  const a = reduceArgs(op, args);
  if (a.dim === null) {
    if (a.keepdim) throw new TypeError(`${op}(): keepdim needs a dim`);
    if (x.numel() === 0) throw new RangeError(`${op}(): Expected reduction dim to be specified for input.numel() == 0. Specify the reduction dim with the 'dim' argument.`);
    return reduceOp(op, x, null, false, op);
  }
  if (typeof a.dim !== 'number') throw new TypeError(`${op}: dim must be a single integer when indices are returned (use amax/amin for several dims)`);
  const argop = op === 'max' ? 'argmax' : 'argmin';
  if (x.ndim === 0) {
    normalizeDims([a.dim], 0);
    const values = castTo(x, x.dtype, true);
    const indices = reduceOp(argop, x, a.dim, a.keepdim, op);
    return Object.assign([values, indices] as [Tensor, Tensor], { values, indices });
  }
  // The values are read at the returned indices, so the gradient goes to exactly that element
  // (PyTorch's rule for max/min with a dim; ties and NaN pick the same element as the index).
  const idx = reduceOp(argop, x, a.dim, true, op);
  const d = normalizeDims([a.dim], x.ndim)[0]!;
  const v = gather(x, d, idx);
  const values = finish(v, [d], a.keepdim);
  const indices = finish(idx, [d], a.keepdim);
  return Object.assign([values, indices] as [Tensor, Tensor], { values, indices });
}

/** A reduction's arguments in PyTorch's order: `(dim?, keepdim?)`, either may be an options object. */
export type ReduceArgs = [dim?: DimArg, keepdim?: boolean | ReduceOptions];
/** argmax/argmin's arguments: one dim (or null) and keepdim, positionally or as options. */
export type ArgReduceArgs = [dim?: number | null | ArgReduceOptions, keepdim?: boolean | KeepdimOption];
/** argmax/argmin's options object. */
export interface ArgReduceOptions {
  /** The dim to reduce; every dim (the flattened tensor) when null. */
  dim?: number | null;
  /** Keep the reduced dim as size 1 (default false). */
  keepdim?: boolean;
}
/** `{ keepdim }` alone, after a positional dim. */
export interface KeepdimOption {
  /** Keep the reduced dim as size 1 (default false). */
  keepdim?: boolean;
}
/** var/std's arguments in PyTorch's order `(dim?, unbiased?, keepdim?)`, `(unbiased)`, or options. */
export type VarArgs = [dim?: DimArg | VarOptions | boolean, unbiased?: boolean | VarOptions, keepdim?: boolean | VarOptions];

/** A single dim for max/min/argmax: a number or `{ dim, keepdim }`. */
export type OneDimArg = number | OneDimOptions;
/** `{ dim, keepdim }` for max/min over one dim. */
export interface OneDimOptions {
  /** The dim to reduce. */
  dim: number;
  /** Keep the reduced dim as size 1 (default false). */
  keepdim?: boolean;
}

/**
 * Without `dim`: the maximum as a new 0-d tensor (throws a RangeError on an empty tensor).
 * With one `dim` (`max(x, 1)`, `max(x, 1, true)`, `max(x, { dim: 1 })`): `[values, indices]`, also
 * named `.values` and `.indices` (PyTorch's `torch.max(x, dim)`): int32 indices of the first
 * maximum, NaN counting as the maximum; the gradient flows to that element. With a tensor
 * `other`: the element-wise {@link maximum}. Results are new and owned by the caller.
 * {@link amax} skips the indices.
 *
 * @example
 * const x = torch.tensor([[1, 5], [4, 2]]);
 * console.log(await torch.max(x).item());   // 5
 * const [values, indices] = torch.max(x, 1);   // also .values and .indices
 * console.log(await values.tolist(), await indices.tolist());   // [5, 4] [1, 0]
 */
export function max(x: Tensor): Tensor;
export function max(x: Tensor, other: Tensor): Tensor;
export function max(x: Tensor, dim: OneDimArg, keepdim?: boolean | { keepdim?: boolean }): MaxResult;
export function max(x: Tensor, ...args: unknown[]): Tensor | MaxResult {
  return maxMin('max', x, args);
}

/**
 * Without `dim`: the minimum as a new 0-d tensor (throws a RangeError on an empty tensor).
 * With one `dim` (`min(x, 1)`, `min(x, 1, true)`, `min(x, { dim: 1 })`): `[values, indices]`, also
 * named `.values` and `.indices` (PyTorch's `torch.min(x, dim)`): int32 indices of the first
 * minimum, NaN counting as the minimum; the gradient flows to that element. With a tensor
 * `other`: the element-wise {@link minimum}. {@link amin} skips the indices.
 *
 * @example
 * ```ts
 * const x = torch.tensor([[1, 5], [4, 2]]);
 * console.log(await torch.min(x).item());                // 1
 * const [values, indices] = torch.min(x, 1);             // torch.min(x, dim=1)
 * console.log(await values.tolist(), await indices.tolist());   // [1, 2] [0, 1]
 * ```
 */
export function min(x: Tensor): Tensor;
export function min(x: Tensor, other: Tensor): Tensor;
export function min(x: Tensor, dim: OneDimArg, keepdim?: boolean | { keepdim?: boolean }): MaxResult;
export function min(x: Tensor, ...args: unknown[]): Tensor | MaxResult {
  return maxMin('min', x, args);
}

/**
 * The maximum over `dim` (one or several dims, all by default), without indices (PyTorch's
 * `amax`). Cheaper than `max(x, dim)`; its gradient is shared evenly among tied elements.
 *
 * @example
 * ```ts
 * const x = torch.tensor([[1, 5], [4, 2]]);
 * console.log(await torch.amax(x, 0).tolist());   // [4, 5]: values only (no indices)
 * ```
 */
export function amax(x: Tensor, ...args: ReduceArgs): Tensor {
  const a = reduceArgs('amax', args);
  return reduceOp('max', x, a.dim, a.keepdim, 'amax');
}

/**
 * The minimum over `dim`, without indices (PyTorch's `amin`).
 *
 * @example
 * ```ts
 * const x = torch.tensor([[1, 5], [4, 2]]);
 * console.log(await torch.amin(x, [0, 1]).tolist());   // 1
 * ```
 */
export function amin(x: Tensor, ...args: ReduceArgs): Tensor {
  const a = reduceArgs('amin', args);
  return reduceOp('min', x, a.dim, a.keepdim, 'amin');
}

function argOp(op: 'argmax' | 'argmin', x: Tensor, args: readonly unknown[]): Tensor {
  expectTensor(op, x);
  const a = reduceArgs(op, args);
  if (a.dim === null) {
    // Over the flattened tensor; keepdim keeps every dim as 1.
    const flat = reshape(x, [-1]);
    try {
      const r = reduceOp(op, flat, 0, false, op);
      if (!a.keepdim) return r;
      try {
        return reshape(r, x.shape.map(() => 1));
      } finally {
        r.dispose();
      }
    } finally {
      flat.dispose();
    }
  }
  if (typeof a.dim !== 'number') throw new TypeError(`${op}: dim must be a single integer, got a list`);
  return reduceOp(op, x, a.dim, a.keepdim, op);
}

/**
 * int32 index of the first maximum along `dim` (`argmax(x, 1)`, `argmax(x, { dim: 1, keepdim: true })`),
 * or into the flattened tensor without `dim` (then `keepdim` keeps every dim as size 1); NaN counts
 * as the maximum. PyTorch's `torch.argmax`; throws a RangeError on an empty dim.
 *
 * @example
 * ```ts
 * const logits = torch.tensor([[0.1, 2.0, 0.3], [1.5, 0.2, 0.1]]);
 * console.log(await torch.argmax(logits, 1).tolist());   // [1, 0]: predicted classes
 * console.log(await logits.argmax().item());             // 1: index into the flattened tensor
 * ```
 */
export function argmax(x: Tensor, ...args: ArgReduceArgs): Tensor {
  return argOp('argmax', x, args);
}

/**
 * int32 index of the first minimum along `dim`, or into the flattened tensor without `dim` (then
 * `keepdim` keeps every dim as size 1); NaN counts as the minimum. PyTorch's `torch.argmin`;
 * throws a RangeError on an empty dim.
 *
 * @example
 * ```ts
 * console.log(await torch.argmin(torch.tensor([[3, 1], [0, 2]]), 1).tolist());   // [1, 0]
 * ```
 */
export function argmin(x: Tensor, ...args: ArgReduceArgs): Tensor {
  return argOp('argmin', x, args);
}

/** PyTorch's `var(dim, unbiased, keepdim)` order, or `var(unbiased)`, or options. */
function varArgs(op: string, args: readonly unknown[]): { dim: number | number[] | null; keepdim: boolean; unbiased: boolean } {
  const a = typeof args[0] === 'boolean' ? parseArgs(op, args, ['unbiased'], ['dim', 'keepdim']) : parseArgs(op, args, ['dim', 'unbiased', 'keepdim']);
  return {
    dim: argDims(op, a.dim),
    keepdim: a.keepdim === undefined ? false : argBool(op, 'keepdim', a.keepdim),
    unbiased: a.unbiased === undefined ? true : argBool(op, 'unbiased', a.unbiased),
  };
}

/**
 * Variance (two-pass) over `dim`, with Bessel's correction unless `unbiased` is false: PyTorch's
 * `var(x, dim, unbiased, keepdim)` order, `var(x, false)`, or `var(x, { dim, unbiased, keepdim })`.
 *
 * @example
 * ```ts
 * const x = torch.tensor([1, 2, 3, 4]);
 * console.log(await torch.var(x).item());                         // 1.6667 (unbiased, as PyTorch)
 * console.log(await x.var({ unbiased: false }).item());           // 1.25
 * ```
 */
export function variance(x: Tensor, ...args: VarArgs): Tensor {
  expectTensor('var', x);
  const a = varArgs('var', args);
  if (!isFloat(x.dtype)) throw new TypeError(`var(): expected a float input (float32, float16, bfloat16), got ${x.dtype}`);
  const axes = axesOf(x, a.dim);
  const n = axes.reduce((c, ax) => c * x.shape[ax]!, 1);
  return tidy(() => {
    const m = mean(x, axes, true);
    const d = sub(x, m);
    return div(sum(mul(d, d), axes, a.keepdim), Math.max(a.unbiased ? n - 1 : n, 0));
  });
}

/**
 * Standard deviation, `sqrt(var(x, ...))` (PyTorch's `torch.std`) with `var`'s arguments: float32
 * only, Bessel's correction unless `unbiased` is false.
 *
 * @example
 * ```ts
 * const x = torch.tensor([[1, 2], [3, 5]]);
 * console.log(await torch.std(x, 1).tolist());   // [0.7071, 1.4142]
 * ```
 */
export function std(x: Tensor, ...args: VarArgs): Tensor {
  expectTensor('std', x);
  const a = varArgs('std', args);
  return tidy(() => sqrt(variance(x, a as VarOptions)));
}

/**
 * `log(sum(exp(x)))` over `dim`, stable: the max is subtracted first (and an infinite max replaced by 0, as PyTorch).
 *
 * @example
 * ```ts
 * const x = torch.tensor([[0, 0], [1000, 1000]]);
 * console.log(await torch.logsumexp(x, 1).tolist());   // [0.6931, 1000.6931], no overflow
 * ```
 */
export function logsumexp(x: Tensor, ...args: ReduceArgs): Tensor {
  expectTensor('logsumexp', x);
  const a = reduceArgs('logsumexp', args);
  const axes = axesOf(x, a.dim);
  return tidy(() => {
    const xf = castTo(x, 'float32', false);
    if (xf.numel() === 0) return log(sum(exp(xf), axes, a.keepdim));
    // The shift is a constant for autograd: its gradient cancels exactly.
    const m0 = reduceP('max', xf, axes).detach();
    const m = where(eq(abs(m0), Infinity), 0, m0);
    const s = log(reduceP('sum', exp(sub(xf, m)), axes));
    return finish(add(s, m), axes, a.keepdim);
  });
}

/**
 * True where every element (over `dim`) is nonzero.
 *
 * @example
 * ```ts
 * const x = torch.tensor([[true, false], [true, true]]);
 * console.log(await torch.all(x).item(), await x.all(1).tolist());   // false [false, true]
 * ```
 */
export function all(x: Tensor, ...args: ReduceArgs): Tensor {
  const a = reduceArgs('all', args);
  // A product of 0/1 values: empty reductions give true, as in PyTorch.
  return tidy(() => castTo(reduceOp('prod', castTo(expectTensor('all', x), 'bool', false), a.dim, a.keepdim, 'all'), 'bool', true));
}

/**
 * True where any element (over `dim`) is nonzero.
 *
 * @example
 * ```ts
 * const x = torch.tensor([[0, 0], [0, 3]]);
 * console.log(await torch.any(x).item(), await x.any(1).tolist());   // true [false, true]
 * ```
 */
export function any(x: Tensor, ...args: ReduceArgs): Tensor {
  const a = reduceArgs('any', args);
  return tidy(() => castTo(reduceOp('sum', castTo(expectTensor('any', x), 'bool', false), a.dim, a.keepdim, 'any'), 'bool', true));
}
