/** Reductions: the reduce primitive plus PyTorch's dim/keepdim/dtype rules; var, std, logsumexp composed. */
import type { ReduceOp } from '../backend.ts';
import { tidy } from '../memory.ts';
import { normalizeDims, shapeStr } from '../shape.ts';
import type { ReduceOptions, Tensor } from '../tensor.ts';
import { abs, add, div, eq, exp, log, mul, sub, sqrt } from './elementwise.ts';
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

function reduceOp(op: ReduceOp, x: Tensor, options: ReduceOptions | undefined, name: string): Tensor {
  expectTensor(name, x);
  const axes = axesOf(x, options?.dim);
  const keepdim = options?.keepdim ?? false;
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
 * Sum over `options.dim` (every dim by default), PyTorch's `torch.sum`: float32 stays float32, bool and
 * int32 sum in int32 (PyTorch: int64). An empty sum is 0. Returns a new tensor.
 */
export function sum(x: Tensor, options?: ReduceOptions): Tensor {
  return reduceOp('sum', x, options, 'sum');
}

/**
 * Product over `options.dim` (every dim by default), PyTorch's `torch.prod`: float32 stays float32, bool
 * and int32 multiply in int32. An empty product is 1. Returns a new tensor.
 */
export function prod(x: Tensor, options?: ReduceOptions): Tensor {
  return reduceOp('prod', x, options, 'prod');
}

/** The mean of a float tensor (integer tensors are rejected, as in PyTorch). */
export function mean(x: Tensor, options?: ReduceOptions): Tensor {
  expectTensor('mean', x);
  if (x.dtype !== 'float32') {
    throw new TypeError(`mean(): could not infer output dtype. Input dtype must be float32, got ${x.dtype}; convert with .float() first`);
  }
  const axes = axesOf(x, options?.dim);
  const count = axes.reduce((n, a) => n * x.shape[a]!, 1);
  return tidy(() => div(sum(x, options), count));
}

function maxMin(op: 'max' | 'min', x: Tensor, options?: { dim?: number | null; keepdim?: boolean }): Tensor | MaxResult {
  expectTensor(op, x);
  if (options?.dim === undefined || options.dim === null) {
    if (x.numel() === 0) throw new RangeError(`${op}(): Expected reduction dim to be specified for input.numel() == 0. Specify the reduction dim with the 'dim' argument.`);
    return reduceOp(op, x, { dim: null }, op);
  }
  if (typeof options.dim !== 'number') throw new TypeError(`${op}: dim must be a single integer when indices are returned`);
  const keepdim = options.keepdim ?? false;
  if (x.ndim === 0) {
    normalizeDims([options.dim], 0);
    const values = castTo(x, x.dtype, true);
    const indices = reduceOp(op === 'max' ? 'argmax' : 'argmin', x, options, op);
    return Object.assign([values, indices] as [Tensor, Tensor], { values, indices });
  }
  // The values are read at the returned indices, so the gradient goes to exactly that element
  // (PyTorch's rule for max/min with a dim; ties and NaN pick the same element as the index).
  const idx = reduceOp(op === 'max' ? 'argmax' : 'argmin', x, { dim: options.dim, keepdim: true }, op);
  const dim = normalizeDims([options.dim], x.ndim)[0]!;
  const v = gather(x, dim, idx);
  const values = finish(v, [dim], keepdim);
  const indices = finish(idx, [dim], keepdim);
  return Object.assign([values, indices] as [Tensor, Tensor], { values, indices });
}

/**
 * Without `dim`: the maximum as a new 0-d tensor (throws a RangeError on an empty tensor).
 * With one `dim`: `[values, indices]`, also named `.values` and `.indices` (PyTorch's `torch.max(x, dim)`):
 * int32 indices of the first maximum, NaN counting as the maximum; the gradient flows to that
 * element. Both tensors are new and owned by the caller. {@link amax} skips the indices.
 */
export function max(x: Tensor): Tensor;
export function max(x: Tensor, options: { dim: number; keepdim?: boolean }): MaxResult;
export function max(x: Tensor, options?: { dim?: number | null; keepdim?: boolean }): Tensor | MaxResult {
  return maxMin('max', x, options);
}

/**
 * Without `dim`: the minimum as a new 0-d tensor (throws a RangeError on an empty tensor).
 * With one `dim`: `[values, indices]`, also named `.values` and `.indices` (PyTorch's `torch.min(x, dim)`):
 * int32 indices of the first minimum, NaN counting as the minimum; the gradient flows to that
 * element. Both tensors are new and owned by the caller. {@link amin} skips the indices.
 */
export function min(x: Tensor): Tensor;
export function min(x: Tensor, options: { dim: number; keepdim?: boolean }): MaxResult;
export function min(x: Tensor, options?: { dim?: number | null; keepdim?: boolean }): Tensor | MaxResult {
  return maxMin('min', x, options);
}

/**
 * The maximum over `dim` (one or several dims, all by default), without indices (PyTorch's
 * `amax`). Cheaper than `max({ dim })`; its gradient is shared evenly among tied elements.
 */
export function amax(x: Tensor, options?: ReduceOptions): Tensor {
  return reduceOp('max', x, options, 'amax');
}

/** The minimum over `dim`, without indices (PyTorch's `amin`). */
export function amin(x: Tensor, options?: ReduceOptions): Tensor {
  return reduceOp('min', x, options, 'amin');
}

function argOp(op: 'argmax' | 'argmin', x: Tensor, options?: { dim?: number | null; keepdim?: boolean }): Tensor {
  expectTensor(op, x);
  if (options?.dim === undefined || options.dim === null) {
    // Over the flattened tensor; keepdim keeps every dim as 1.
    const flat = reshape(x, [-1]);
    try {
      const r = reduceOp(op, flat, { dim: 0 }, op);
      if (!options?.keepdim) return r;
      try {
        return reshape(r, x.shape.map(() => 1));
      } finally {
        r.dispose();
      }
    } finally {
      flat.dispose();
    }
  }
  return reduceOp(op, x, options, op);
}

/**
 * int32 index of the first maximum along `options.dim`, or into the flattened tensor without `dim` (then
 * `keepdim` keeps every dim as size 1); NaN counts as the maximum. PyTorch's `torch.argmax`; throws a
 * RangeError on an empty dim.
 */
export function argmax(x: Tensor, options?: { dim?: number | null; keepdim?: boolean }): Tensor {
  return argOp('argmax', x, options);
}

/**
 * int32 index of the first minimum along `options.dim`, or into the flattened tensor without `dim` (then
 * `keepdim` keeps every dim as size 1); NaN counts as the minimum. PyTorch's `torch.argmin`; throws a
 * RangeError on an empty dim.
 */
export function argmin(x: Tensor, options?: { dim?: number | null; keepdim?: boolean }): Tensor {
  return argOp('argmin', x, options);
}

/** Variance (two-pass), with Bessel's correction unless `unbiased: false`. */
export function variance(x: Tensor, options?: VarOptions): Tensor {
  expectTensor('var', x);
  if (x.dtype !== 'float32') throw new TypeError(`var(): expected a float32 input, got ${x.dtype}`);
  const axes = axesOf(x, options?.dim);
  const n = axes.reduce((c, a) => c * x.shape[a]!, 1);
  const unbiased = options?.unbiased ?? true;
  return tidy(() => {
    const m = mean(x, { dim: axes, keepdim: true });
    const d = sub(x, m);
    return div(sum(mul(d, d), { dim: axes, keepdim: options?.keepdim ?? false }), Math.max(unbiased ? n - 1 : n, 0));
  });
}

/**
 * Standard deviation, `sqrt(var(x, options))` (PyTorch's `torch.std`): float32 only, Bessel's correction
 * unless `unbiased: false`.
 */
export function std(x: Tensor, options?: VarOptions): Tensor {
  return tidy(() => sqrt(variance(x, options)));
}

/** `log(sum(exp(x)))`, stable: the max is subtracted first (and an infinite max replaced by 0, as PyTorch). */
export function logsumexp(x: Tensor, options?: ReduceOptions): Tensor {
  expectTensor('logsumexp', x);
  const axes = axesOf(x, options?.dim);
  const keepdim = options?.keepdim ?? false;
  return tidy(() => {
    const xf = castTo(x, 'float32', false);
    if (xf.numel() === 0) return log(sum(exp(xf), { dim: axes, keepdim }));
    // The shift is a constant for autograd: its gradient cancels exactly.
    const m0 = reduceP('max', xf, axes).detach();
    const m = where(eq(abs(m0), Infinity), 0, m0);
    const s = log(reduceP('sum', exp(sub(xf, m)), axes));
    return finish(add(s, m), axes, keepdim);
  });
}

/** True where every element (over `dim`) is nonzero. */
export function all(x: Tensor, options?: ReduceOptions): Tensor {
  // A product of 0/1 values: empty reductions give true, as in PyTorch.
  return tidy(() => castTo(reduceOp('prod', castTo(x, 'bool', false), options, 'all'), 'bool', true));
}

/** True where any element (over `dim`) is nonzero. */
export function any(x: Tensor, options?: ReduceOptions): Tensor {
  return tidy(() => castTo(reduceOp('sum', castTo(x, 'bool', false), options, 'any'), 'bool', true));
}
