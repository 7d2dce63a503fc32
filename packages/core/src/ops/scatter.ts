/**
 * Writing at indices: scatter (src or value, reduce 'add' / 'multiply'), scatterReduce ('sum',
 * 'prod', 'mean', 'amax', 'amin'), indexAdd, indexCopy, indexFill, take, takeAlongDim,
 * maskedScatter. Composites of the scatterAdd and gather primitives and where, so every backend
 * runs them and their gradients follow from those primitives' rules:
 * - plain scatter writes `src` where `index` points (where(written, scattered, input));
 * - 'sum'/'mean' use scatterAdd (and a scatterAdd of ones for the counts);
 * - 'prod'/'amax'/'amin' compare `index` with every position of the target dim, an
 *   `[...index.shape, size]` temporary, and reduce over the index's dim.
 */
import { argBool, argEnum, argInt, argNumber, parseArgs } from '../args.ts';
import { tidy } from '../memory.ts';
import { broadcastShapes, normalizeDim, shapeStr } from '../shape.ts';
import type { Tensor } from '../tensor.ts';
import { arange, full, onesLike } from './creation.ts';
import { add, div, eq, gt, lt, maximum, minimum, mul, sub } from './elementwise.ts';
import { gather, scatterAdd, where } from './indexing.ts';
import { cumsum } from './scan.ts';
import { amax, amin, prod, sum } from './reduce.ts';
import { castTo, checkFillValue, expectDType, expectTensor } from './util.ts';
import { cat } from './combine.ts';

/** Reductions of {@link scatterReduce}. */
export type ScatterReduce = 'sum' | 'prod' | 'mean' | 'amax' | 'amin';

function checkIndexArgs(op: string, input: Tensor, d: number, index: Tensor, src?: Tensor): void {
  expectDType(op, index, ['int32', 'int64' as never], 'index');
  if (index.ndim !== input.ndim && !(input.ndim === 0 && index.ndim <= 1)) {
    throw new RangeError(`${op}: index ${shapeStr(index.shape)} must have as many dims as the input ${shapeStr(input.shape)}`);
  }
  for (let i = 0; i < index.ndim; i++) {
    if (i !== d && index.shape[i]! > (input.shape[i] ?? 1)) {
      throw new RangeError(`${op}: index ${shapeStr(index.shape)} must not be larger than the input ${shapeStr(input.shape)} at dimension ${i} (other than dim ${d})`);
    }
    if (src && index.shape[i]! > (src.shape[i] ?? 1)) {
      throw new RangeError(`${op}: index ${shapeStr(index.shape)} must not be larger than src ${shapeStr(src.shape)} at dimension ${i}`);
    }
  }
}

/** The part of `src` that `index` reads (`src` may be larger in every dim). */
function srcWindow(src: Tensor, index: Tensor): Tensor {
  let s = src.ndim === 0 ? src.reshape([1]) : src;
  for (let i = 0; i < index.ndim; i++) if (s.shape[i] !== index.shape[i]) s = s.narrow(i, 0, index.shape[i]!);
  return s;
}

/**
 * Combines `src` into per-position reductions along `d` for 'prod'/'amax'/'amin': returns the
 * reduced values (identity where nothing is written), shaped like `input` only in dim `d` and
 * like `index` elsewhere, padded with `identity` to `input`'s shape.
 */
function denseReduce(input: Tensor, d: number, index: Tensor, src: Tensor, reduce: 'prod' | 'amax' | 'amin'): Tensor {
  const identity = reduce === 'prod' ? 1 : reduce === 'amax' ? -Infinity : Infinity;
  const size = input.shape[d]!;
  // hit[..., j, ..., p] = index[..., j, ...] == p
  const hit = eq(index.unsqueeze(-1), arange(size, { backend: input.backend }));
  const vals = where(hit, src.unsqueeze(-1), identity);
  const r = (reduce === 'prod' ? prod : reduce === 'amax' ? amax : amin)(vals, d, true); // [..., 1, ..., size]
  return padTo(r.squeeze(d).movedim(-1, d), input.shape, identity); // `size` back at dim d
}

/** Pads `t` (no larger than `shape` in any dim) with `value` up to `shape`. */
function padTo(t: Tensor, shape: readonly number[], value: number): Tensor {
  let x = t;
  for (let i = 0; i < shape.length; i++) {
    const have = x.shape[i]!;
    if (have < shape[i]!) {
      const padShape = x.shape.map((s, j) => (j === i ? shape[i]! - have : s));
      x = cat([x, full(padShape, value, { dtype: x.dtype, backend: x.backend })], i);
    }
  }
  return x;
}

/** Options of {@link scatterReduce}. */
export interface ScatterReduceOptions {
  /** Whether `input`'s own values take part in the reduction (default true). */
  includeSelf?: boolean;
}

function scatterReduceImpl(op: string, input: Tensor, d: number, index: Tensor, src: Tensor, reduce: ScatterReduce, includeSelf: boolean): Tensor {
  return tidy(() => {
    const idx = index.ndim === 0 ? index.reshape([1]) : index;
    const s = castTo(srcWindow(src, idx), input.dtype, false);
    const inp = input.ndim === 0 ? input.reshape([1]) : input;
    const counts = scatterAdd(null, d, idx, onesLike(idx), inp.shape);
    const written = gt(counts, 0);
    let out: Tensor;
    if (reduce === 'sum' || reduce === 'mean') {
      const total = scatterAdd(null, d, idx, s, inp.shape);
      if (reduce === 'sum') out = includeSelf ? add(inp, total) : where(written, total, inp);
      else {
        const n = includeSelf ? add(counts, 1) : counts;
        const num = includeSelf ? add(inp, total) : total;
        // PyTorch divides with the input's dtype: integer means round toward -inf... float32 here.
        out = where(written, div(num, n), inp);
        if (inp.dtype !== 'float32') out = castTo(out, inp.dtype, false);
      }
    } else {
      const r = denseReduce(inp, d, idx, s, reduce);
      const combined = reduce === 'prod' ? mul(inp, r) : reduce === 'amax' ? maximum(inp, r) : minimum(inp, r);
      out = where(written, includeSelf ? combined : r, inp);
    }
    return input.ndim === 0 ? out.reshape([]) : out;
  });
}

/**
 * Reduces `src` into a copy of `input` at `index` along `dim` (PyTorch's `torch.scatter_reduce(
 * input, dim, index, src, reduce, *, include_self=True)`): for each `src[..., j, ...]` the
 * position `[..., index[..., j, ...], ...]` combines it with 'sum', 'prod', 'mean', 'amax' or
 * 'amin'; positions no index points to keep `input`. Differentiable (amax/amin: the gradient
 * goes to the extreme).
 *
 * @example
 * const x = torch.zeros([2, 3]), idx = torch.tensor([[0, 0], [2, 1]], { dtype: 'int32' }), src = torch.tensor([[1, 2], [3, 4]]);
 * torch.scatterReduce(torch.zeros(3), 0, torch.tensor([0, 0, 2], { dtype: 'int32' }), torch.tensor([1, 2, 3]), 'amax');
 * torch.scatterReduce(x, 1, idx, src, 'mean', { includeSelf: false });
 */
export function scatterReduce(input: Tensor, dim: number, index: Tensor, src: Tensor, reduce: ScatterReduce, options?: ScatterReduceOptions): Tensor {
  const op = 'scatterReduce';
  expectTensor(op, input);
  expectTensor(op, index, 'index');
  expectTensor(op, src, 'src');
  const r = argEnum(op, 'reduce', reduce, ['sum', 'prod', 'mean', 'amax', 'amin'] as const);
  const o = parseArgs(op, options === undefined ? [] : [options], [], ['includeSelf']);
  const includeSelf = o.includeSelf === undefined ? true : argBool(op, 'includeSelf', o.includeSelf);
  const d = normalizeDim(argInt(op, 'dim', dim), input.ndim);
  checkIndexArgs(op, input, d, index, src);
  return scatterReduceImpl(op, input, d, index, src, r, includeSelf);
}

/** Options of {@link scatter}. */
export interface ScatterOptions {
  /** Accumulate instead of overwriting: 'add' or 'multiply' (PyTorch's `reduce=`). */
  reduce?: 'add' | 'multiply';
}

/**
 * A copy of `input` with `src` (a tensor, or one number) written at `index` along `dim`
 * (PyTorch's `torch.scatter(input, dim, index, src, reduce=None)`): `out[..., index[..., j, ...],
 * ...] = src[..., j, ...]`. With `reduce` 'add' / 'multiply' the values are combined with
 * `input` instead. Where two indices point at one position without `reduce`, the result is
 * unspecified, as in PyTorch. Differentiable in `input` and `src` (PyTorch has no gradient with
 * `reduce`; torchlet gives the one of scatterReduce).
 *
 * @example
 * const x = torch.zeros([3, 2]), idx = torch.tensor([[1, 0], [2, 1]], { dtype: 'int32' }), src = torch.ones([2, 2]);
 * torch.scatter(torch.zeros(2, 3), 1, torch.tensor([[2], [0]], { dtype: 'int32' }), 1.5);
 * torch.scatter(x, 0, idx, src, { reduce: 'add' });
 */
export function scatter(input: Tensor, dim: number, index: Tensor, src: Tensor | number, options?: ScatterOptions): Tensor {
  const op = 'scatter';
  expectTensor(op, input);
  expectTensor(op, index, 'index');
  const o = parseArgs(op, options === undefined ? [] : [options], [], ['reduce']);
  const reduce = o.reduce === undefined ? undefined : argEnum(op, 'reduce', o.reduce, ['add', 'multiply'] as const);
  const d = normalizeDim(argInt(op, 'dim', dim), input.ndim);
  if (typeof src !== 'number') expectTensor(op, src, 'src');
  checkIndexArgs(op, input, d, index, typeof src === 'number' ? undefined : src);
  return tidy(() => {
    const s = typeof src === 'number' ? full([...index.shape], checkFillValue(src, input.dtype, op), { dtype: input.dtype, backend: input.backend }) : src;
    if (reduce) return scatterReduceImpl(op, input, d, index, s, reduce === 'add' ? 'sum' : 'prod', true);
    const idx = index.ndim === 0 ? index.reshape([1]) : index;
    const inp = input.ndim === 0 ? input.reshape([1]) : input;
    const sw = castTo(srcWindow(s, idx), input.dtype, false);
    const written = gt(scatterAdd(null, d, idx, onesLike(idx), inp.shape), 0);
    const out = where(written, scatterAdd(null, d, idx, sw, inp.shape), inp);
    return input.ndim === 0 ? out.reshape([]) : out;
  });
}

/** The 1-D `index` along `dim`, expanded to `like`'s shape (for scatter/gather). */
function expandIndex(index: Tensor, dim: number, like: readonly number[]): Tensor {
  const shape = like.map((_, i) => (i === dim ? index.numel() : 1));
  return index.reshape(shape).expand(like.map((s, i) => (i === dim ? index.numel() : s)));
}

function check1dIndex(op: string, index: Tensor): void {
  expectTensor(op, index, 'index');
  expectDType(op, index, ['int32', 'int64' as never], 'index');
  if (index.ndim > 1) throw new RangeError(`${op}: index must be 0-D or 1-D, got shape ${shapeStr(index.shape)}`);
}

function checkSource(op: string, input: Tensor, d: number, index: Tensor, source: Tensor): void {
  expectTensor(op, source, 'source');
  const want = input.shape.map((s, i) => (i === d ? index.numel() : s));
  if (input.ndim === 0 ? source.numel() !== index.numel() : source.ndim !== input.ndim || source.shape.some((s, i) => s !== want[i])) {
    throw new RangeError(`${op}: source ${shapeStr(source.shape)} must have the input's shape ${shapeStr(input.shape)} with dim ${d} of size ${index.numel()} (the index's length)`);
  }
}

/**
 * `input` plus `alpha * source` added at the positions `index` along `dim` (repeated indices
 * accumulate): PyTorch's `torch.index_add(input, dim, index, source, *, alpha=1)`. Differentiable.
 *
 * @example
 * torch.indexAdd(torch.zeros(3, 2), 0, torch.tensor([0, 2], { dtype: 'int32' }), torch.ones(2, 2));
 */
export function indexAdd(input: Tensor, dim: number, index: Tensor, source: Tensor, options?: { alpha?: number }): Tensor {
  const op = 'indexAdd';
  expectTensor(op, input);
  check1dIndex(op, index);
  const o = parseArgs(op, options === undefined ? [] : [options], [], ['alpha']);
  const alpha = o.alpha === undefined ? 1 : argNumber(op, 'alpha', o.alpha);
  const d = normalizeDim(argInt(op, 'dim', dim), input.ndim);
  checkSource(op, input, d, index, source);
  return tidy(() => {
    const inp = input.ndim === 0 ? input.reshape([1]) : input;
    const src = castTo(alpha === 1 ? source : mul(source, alpha), input.dtype, false).reshape([...inp.shape.map((s, i) => (i === d ? index.numel() : s))]);
    const out = scatterAdd(inp, d, expandIndex(index, d, src.shape), src);
    return input.ndim === 0 ? out.reshape([]) : out;
  });
}

/**
 * A copy of `input` with the slices of `source` written at the positions `index` along `dim`
 * (PyTorch's `torch.index_copy`). Differentiable.
 *
 * @example
 * const rows = torch.tensor([[1, 2], [3, 4]]);
 * torch.indexCopy(torch.zeros(3, 2), 0, torch.tensor([2, 0], { dtype: 'int32' }), rows);
 */
export function indexCopy(input: Tensor, dim: number, index: Tensor, source: Tensor): Tensor {
  const op = 'indexCopy';
  expectTensor(op, input);
  check1dIndex(op, index);
  const d = normalizeDim(argInt(op, 'dim', dim), input.ndim);
  checkSource(op, input, d, index, source);
  return tidy(() => {
    const inp = input.ndim === 0 ? input.reshape([1]) : input;
    const src = source.reshape([...inp.shape.map((s, i) => (i === d ? index.numel() : s))]);
    const out = scatter(inp, d, expandIndex(index, d, src.shape), src);
    return input.ndim === 0 ? out.reshape([]) : out;
  });
}

/**
 * A copy of `input` with `value` in the slices at the positions `index` along `dim` (PyTorch's
 * `torch.index_fill`). Differentiable in `input`.
 *
 * @example
 * const x = torch.zeros([2, 3]);
 * torch.indexFill(x, 1, torch.tensor([0, 2], { dtype: 'int32' }), -1);
 */
export function indexFill(input: Tensor, dim: number, index: Tensor, value: number | boolean): Tensor {
  const op = 'indexFill';
  expectTensor(op, input);
  check1dIndex(op, index);
  const d = normalizeDim(argInt(op, 'dim', dim), input.ndim);
  const v = checkFillValue(value, input.dtype, op);
  return tidy(() => {
    const size = input.ndim === 0 ? 1 : input.shape[d]!;
    const pos = arange(size, { backend: input.backend });
    const hit = sum(eq(index.reshape([-1, 1]), pos.unsqueeze(0)), 0); // [size]: times each position is named
    const mask = gt(hit, 0).reshape(input.shape.map((s, i) => (i === d ? size : 1)));
    return where(mask, input.dtype === 'bool' ? v !== 0 : v, input);
  });
}

/** Negative indices count from the end (`i + size`); others pass unchanged (the kernel checks range). */
function wrapNegative(index: Tensor, size: number): Tensor {
  return where(lt(index, 0), add(index, size), index);
}

/**
 * The elements of `input`, seen as 1-D, at `index` (any shape; negative counts from the end):
 * PyTorch's `torch.take`. Differentiable.
 *
 * @example
 * torch.take(torch.tensor([[4, 3], [5, 7]]), torch.tensor([0, 3], { dtype: 'int32' }));  // tensor([4, 7])
 */
export function take(input: Tensor, index: Tensor): Tensor {
  expectTensor('take', input);
  expectTensor('take', index, 'index');
  expectDType('take', index, ['int32', 'int64' as never], 'index');
  return tidy(() => {
    const flat = input.reshape([-1]);
    return gather(flat, 0, wrapNegative(index.reshape([-1]), flat.numel())).reshape([...index.shape]);
  });
}

/**
 * `input`'s elements at `indices` along `dim`, with the other dims broadcast (PyTorch's
 * `torch.take_along_dim(input, indices, dim=None)`; without `dim`, over the flattened input).
 * Pairs with argsort/argmax results. Differentiable.
 *
 * @example
 * const x = torch.tensor([[3, 1, 2], [9, 7, 8]]);
 * torch.takeAlongDim(x, torch.argsort(x, 1), 1);
 */
export function takeAlongDim(input: Tensor, indices: Tensor, dim?: number | null | { dim?: number | null }): Tensor {
  const op = 'takeAlongDim';
  expectTensor(op, input);
  expectTensor(op, indices, 'indices');
  expectDType(op, indices, ['int32', 'int64' as never], 'indices');
  const a = parseArgs(op, [dim], ['dim']);
  if (a.dim === undefined || a.dim === null) return tidy(() => gather(input.reshape([-1]), 0, wrapNegative(indices.reshape([-1]), input.numel())));
  if (input.ndim !== indices.ndim) {
    throw new RangeError(`${op}: input and indices should have the same number of dimensions, but got ${input.ndim} dimensions for input, and ${indices.ndim} dimensions for indices`);
  }
  const d = normalizeDim(argInt(op, 'dim', a.dim), input.ndim);
  return tidy(() => {
    const inShape = [...input.shape], idxShape = [...indices.shape];
    inShape[d] = 1;
    idxShape[d] = 1;
    const b = broadcastShapes(inShape, idxShape);
    const x = input.expand(b.map((s, i) => (i === d ? input.shape[d]! : s)));
    const idx = indices.expand(b.map((s, i) => (i === d ? indices.shape[d]! : s)));
    return gather(x, d, wrapNegative(idx, input.shape[d]!));
  });
}

/**
 * A copy of `input` where the true elements of `mask` (broadcast to `input`'s shape) take
 * `source`'s elements in order, row-major (PyTorch's `torch.masked_scatter`). `source` must have
 * at least as many elements as `mask` has true values. Differentiable in `input` and `source`.
 * Needs no data read: the `k`-th true position takes `source.flatten()[k]` by a cumulative sum.
 *
 * @example
 * torch.maskedScatter(torch.zeros(2, 2), torch.tensor([[true, false], [false, true]]), torch.tensor([1, 2]));
 */
export function maskedScatter(input: Tensor, mask: Tensor, source: Tensor): Tensor {
  const op = 'maskedScatter';
  expectTensor(op, input);
  expectTensor(op, mask, 'mask');
  expectTensor(op, source, 'source');
  expectDType(op, mask, ['bool'], 'mask');
  const shape = broadcastShapes(input.shape, mask.shape);
  if (shape.length !== input.ndim || shape.some((s, i) => s !== input.shape[i])) {
    throw new RangeError(`${op}: the mask of shape ${shapeStr(mask.shape)} does not broadcast to the input's shape ${shapeStr(input.shape)}`);
  }
  return tidy(() => {
    const m = mask.expand([...input.shape]).reshape([-1]);
    if (m.numel() === 0) return input.clone();
    const k = sub(cumsum(m, 0), 1); // position of each true element among the true ones
    const src = castTo(source, input.dtype, false).reshape([-1]);
    if (src.numel() === 0) return where(m.reshape([...input.shape]), 0, input);
    // False positions before the first true carry -1 (clamped to 0; where() drops them). A true
    // position past the end of `source` stays out of range, so the gather kernel refuses it.
    const picked = gather(src, 0, maximum(k, 0));
    return where(m.reshape([...input.shape]), picked.reshape([...input.shape]), input);
  });
}
