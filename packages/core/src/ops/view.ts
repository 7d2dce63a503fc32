/**
 * View ops: new shapes, strides and offsets over the same buffer. None of them copies, except
 * `reshape` of a layout that no strides can describe (as in PyTorch) and `clone`.
 */
import { contiguousStrides, inferShape, normalizeDim, normalizeDims, numel, shapeStr, viewStrides } from '../shape.ts';
import type { Tensor } from '../tensor.ts';
import { alias, copyAs, expectTensor, viewOf } from './util.ts';
import { record } from '../grad-hook.ts';
import { argInt, parseArgs, type DimOnly, type PosArgs } from '../args.ts';

/** Options of {@link transpose} (PyTorch's `transpose(dim0=, dim1=)`). */
export interface TransposeOptions {
  /** The first dim swapped. */
  dim0?: number;
  /** The second dim swapped. */
  dim1?: number;
}

/** Options of {@link narrow} (PyTorch's `narrow(dim=, start=, length=)`). */
export interface NarrowOptions {
  /** The dim narrowed. */
  dim?: number;
  /** The first index kept (negative counts from the end). */
  start?: number;
  /** How many indices are kept. */
  length?: number;
}

/** Options of {@link select} (PyTorch's `select(dim=, index=)`). */
export interface SelectOptions {
  /** The dim removed. */
  dim?: number;
  /** The index kept along it (negative counts from the end). */
  index?: number;
}

/** Options of {@link squeeze} (PyTorch's `squeeze(dim=)`). */
export interface SqueezeOptions {
  /** The dim or dims to drop when of size 1; every size-1 dim when omitted. */
  dim?: number | readonly number[] | null;
}

/** Options of {@link flatten} (PyTorch's `flatten(start_dim=, end_dim=)`). */
export interface FlattenOptions {
  /** The first dim merged (default 0). */
  startDim?: number;
  /** The last dim merged, inclusive (default -1). */
  endDim?: number;
}

/** Options of {@link unflatten} (PyTorch's `unflatten(dim=, sizes=)`). */
export interface UnflattenOptions {
  /** The dim split. */
  dim?: number;
  /** Its new sizes (one may be -1). */
  sizes?: readonly number[];
}

/** Integer arguments by name from PyTorch's positional order or an options object; each required unless it has a default. */
function intArgs(op: string, args: readonly unknown[], names: readonly string[], defaults: Readonly<Record<string, number>> = {}): number[] {
  const o = parseArgs(op, args, names);
  return names.map((n) => {
    const v = o[n] ?? defaults[n];
    if (v === undefined) throw new TypeError(`${op}: missing the ${n} argument`);
    return argInt(op, n, v);
  });
}

/**
 * Same elements, new shape (one dim may be -1); a view when the strides allow, else a copy.
 *
 * @example
 * ```ts
 * const x = torch.arange(6);
 * console.log(torch.reshape(x, [2, 3]).shape, x.reshape([3, -1]).shape);   // [2, 3] [3, 2]
 * ```
 */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  expectTensor('reshape', x);
  const target = inferShape(shape, x.numel(), x.shape);
  const strides = viewStrides(x.shape, x.strides, target);
  if (strides) return record('reshape', { shape: target }, [x], viewOf(x, target, strides, x.offset));
  const c = copyAs(x, x.dtype);
  try {
    return record('reshape', { shape: target }, [c], viewOf(c, target, contiguousStrides(target), 0));
  } finally {
    c.dispose();
  }
}

/**
 * Like reshape, but never copies: throws when the strides do not allow a view (PyTorch's message).
 *
 * @example
 * ```ts
 * const x = torch.arange(12);
 * const v = torch.view(x, [3, 4]);   // shares x's storage
 * console.log(v.shape, x.view([2, -1]).shape);   // [3, 4] [2, 6]
 * ```
 */
export function view(x: Tensor, shape: readonly number[]): Tensor {
  expectTensor('view', x);
  const target = inferShape(shape, x.numel(), x.shape);
  const strides = viewStrides(x.shape, x.strides, target);
  if (!strides) {
    throw new RangeError(
      `view size is not compatible with input tensor's size and stride (shape ${shapeStr(x.shape)}, strides ${shapeStr(x.strides)}): ` +
        'at least one dimension spans across two contiguous subspaces. Use reshape(...) instead.',
    );
  }
  return record('reshape', { shape: target }, [x], viewOf(x, target, strides, x.offset));
}

/**
 * A view with the dims reordered: output dim `i` is `x`'s dim `dims[i]` (negative dims count from the
 * end). Throws a RangeError unless `dims` names every dim once.
 *
 * @example
 * ```ts
 * const img = torch.zeros([8, 28, 28, 3]);   // NHWC
 * console.log(torch.permute(img, [0, 3, 1, 2]).shape);   // [8, 3, 28, 28]
 * ```
 */
export function permute(x: Tensor, dims: readonly number[]): Tensor {
  expectTensor('permute', x);
  if (dims.length !== x.ndim) {
    throw new RangeError(`permute: number of dims don't match: input has ${x.ndim} dims (shape ${shapeStr(x.shape)}), permutation has ${dims.length}`);
  }
  const p = normalizeDims(dims, x.ndim);
  return record('permute', { dims: p }, [x], viewOf(x, p.map((d) => x.shape[d]!), p.map((d) => x.strides[d]!), x.offset));
}

/**
 * A view with dims `dim0` and `dim1` swapped (PyTorch's `torch.transpose`); a 0-d tensor comes back as a
 * new reference.
 *
 * @example
 * ```ts
 * const x = torch.zeros([2, 3, 4]);
 * console.log(torch.transpose(x, 1, 2).shape, x.transpose(0, -1).shape);   // [2, 4, 3] [4, 3, 2]
 * ```
 */
export function transpose(x: Tensor, ...args: PosArgs<TransposeOptions, ['dim0', 'dim1']>): Tensor {
  expectTensor('transpose', x);
  const [dim0, dim1] = intArgs('transpose', args, ['dim0', 'dim1']) as [number, number];
  if (x.ndim === 0) {
    normalizeDim(dim0, 0);
    normalizeDim(dim1, 0);
    return alias(x);
  }
  const a = normalizeDim(dim0, x.ndim), b = normalizeDim(dim1, x.ndim);
  const p = x.shape.map((_, i) => i);
  p[a] = b;
  p[b] = a;
  return permute(x, p);
}

/**
 * Transpose of a tensor with at most 2 dims.
 *
 * @example
 * ```ts
 * const w = torch.tensor([[1, 2, 3], [4, 5, 6]]);
 * console.log(await torch.t(w).tolist());   // [[1, 4], [2, 5], [3, 6]]
 * ```
 */
export function t(x: Tensor): Tensor {
  expectTensor('t', x);
  if (x.ndim > 2) throw new RangeError(`t() expects a tensor with <= 2 dimensions, but self is ${x.ndim}D (shape ${shapeStr(x.shape)})`);
  return x.ndim < 2 ? alias(x) : transpose(x, 0, 1);
}

/**
 * A view with a size-1 dim inserted at `dim`, in `[-ndim - 1, ndim]` (-1 appends), as PyTorch's
 * `torch.unsqueeze`.
 *
 * @example
 * ```ts
 * const x = torch.tensor([1, 2, 3]);
 * console.log(torch.unsqueeze(x, 0).shape, x.unsqueeze(-1).shape);   // [1, 3] [3, 1]
 * ```
 */
export function unsqueeze(x: Tensor, ...args: PosArgs<DimOnly, ['dim']>): Tensor {
  expectTensor('unsqueeze', x);
  const [dim] = intArgs('unsqueeze', args, ['dim']) as [number];
  const d = normalizeDim(dim, x.ndim + 1);
  const shape = [...x.shape], strides = [...x.strides];
  const stride = d < x.ndim ? x.shape[d]! * x.strides[d]! : 1;
  shape.splice(d, 0, 1);
  strides.splice(d, 0, stride);
  return record('reshape', { shape }, [x], viewOf(x, shape, strides, x.offset));
}

/**
 * Removes size-1 dims: all of them, or those listed (a listed dim of another size stays).
 *
 * @example
 * ```ts
 * const x = torch.zeros([1, 3, 1]);
 * console.log(torch.squeeze(x).shape, x.squeeze(0).shape);   // [3] [3, 1]
 * ```
 */
export function squeeze(x: Tensor, ...args: [dim?: number | readonly number[] | null | SqueezeOptions]): Tensor {
  expectTensor('squeeze', x);
  const dim = parseArgs('squeeze', args, ['dim']).dim as number | readonly number[] | null | undefined;
  if (dim !== undefined && dim !== null && typeof dim !== 'number' && !Array.isArray(dim)) throw new TypeError(`squeeze: dim must be an integer or a list of integers, got ${typeof dim}`);
  const dims = dim === undefined || dim === null ? null : normalizeDims(typeof dim === 'number' ? [dim] : dim, x.ndim);
  const shape: number[] = [], strides: number[] = [];
  x.shape.forEach((s, i) => {
    const drop = s === 1 && (dims === null || dims.includes(i));
    if (!drop) {
      shape.push(s);
      strides.push(x.strides[i]!);
    }
  });
  return record('reshape', { shape }, [x], viewOf(x, shape, strides, x.offset));
}

/**
 * Broadcasts to `size` with stride-0 dims; -1 keeps a dim.
 *
 * @example
 * ```ts
 * const x = torch.tensor([[1], [2]]);
 * console.log(await torch.expand(x, [2, 3]).tolist());   // [[1, 1, 1], [2, 2, 2]] (a view, no copy)
 * ```
 */
export function expand(x: Tensor, size: readonly number[]): Tensor {
  expectTensor('expand', x);
  if (size.length < x.ndim) {
    throw new RangeError(`expand: the number of sizes provided (${size.length}) must be greater or equal to the number of dimensions in the tensor (${x.ndim})`);
  }
  const off = size.length - x.ndim;
  const shape: number[] = [], strides: number[] = [];
  for (let i = 0; i < size.length; i++) {
    const want = size[i]!;
    if (i < off) {
      if (want < 0) throw new RangeError(`expand: -1 is not allowed in a leading, non-existing dimension (size ${shapeStr(size)})`);
      shape.push(want);
      strides.push(0);
      continue;
    }
    const have = x.shape[i - off]!;
    if (want === -1 || want === have) {
      shape.push(have);
      strides.push(x.strides[i - off]!);
    } else if (have === 1 && Number.isInteger(want) && want >= 0) {
      shape.push(want);
      strides.push(0);
    } else {
      throw new RangeError(
        `The expanded size of the tensor (${want}) must match the existing size (${have}) at non-singleton dimension ${i}.  Target sizes: ${shapeStr(size)}.  Tensor sizes: ${shapeStr(x.shape)}`,
      );
    }
  }
  return record('expand', { shape }, [x], viewOf(x, shape, strides, x.offset));
}

/**
 * `x[..., start:end:step]` on `dim`, with Python's rules (negative indices, clamping, null = open).
 *
 * @example
 * ```ts
 * const x = torch.arange(10);
 * console.log(await torch.slice(x, 0, 2, 8, 2).tolist());   // x[2:8:2] = [2, 4, 6]
 * ```
 */
export function slice(x: Tensor, dim: number, start?: number | null, end?: number | null, step = 1): Tensor {
  expectTensor('slice', x);
  const d = normalizeDim(dim, x.ndim);
  if (!Number.isInteger(step) || step <= 0) throw new RangeError(`slice: step must be a positive integer, got ${step}`);
  const n = x.shape[d]!;
  const clampIdx = (v: number | null | undefined, dflt: number): number => {
    if (v === null || v === undefined) return dflt;
    if (!Number.isInteger(v)) throw new TypeError(`slice: indices must be integers, got ${v}`);
    const w = v < 0 ? v + n : v;
    return Math.min(Math.max(w, 0), n);
  };
  const s = clampIdx(start, 0);
  const e = Math.max(clampIdx(end, n), s);
  const len = Math.ceil((e - s) / step);
  const shape = [...x.shape], strides = [...x.strides];
  shape[d] = len;
  strides[d] = x.strides[d]! * step;
  return record('slice', { dim: d, start: s, step }, [x], viewOf(x, shape, strides, x.offset + (len > 0 ? s * x.strides[d]! : 0)));
}

/**
 * `length` elements of `dim` from `start` (which may be negative).
 *
 * @example
 * ```ts
 * const x = torch.arange(6).reshape([2, 3]);
 * console.log(await torch.narrow(x, 1, 1, 2).tolist());   // x[:, 1:3] = [[1, 2], [4, 5]]
 * ```
 */
export function narrow(x: Tensor, ...args: PosArgs<NarrowOptions, ['dim', 'start', 'length']>): Tensor {
  expectTensor('narrow', x);
  const [dim, start, length] = intArgs('narrow', args, ['dim', 'start', 'length']) as [number, number, number];
  const d = normalizeDim(dim, x.ndim);
  const n = x.shape[d]!;
  const s = start < 0 ? start + n : start;
  if (!Number.isInteger(start) || s < 0 || s > n) {
    throw new RangeError(`narrow: start (${start}) out of range for dimension ${d} of size ${n}`);
  }
  if (!Number.isInteger(length) || length < 0 || s + length > n) {
    throw new RangeError(`narrow: start (${s}) + length (${length}) exceeds dimension size (${n}) of dimension ${d}`);
  }
  return slice(x, d, s, s + length);
}

/**
 * The slice at `index` of `dim`, with that dim removed.
 *
 * @example
 * ```ts
 * const x = torch.arange(6).reshape([2, 3]);
 * console.log(await torch.select(x, 1, 0).tolist());   // x[:, 0] = [0, 3]
 * ```
 */
export function select(x: Tensor, ...args: PosArgs<SelectOptions, ['dim', 'index']>): Tensor {
  expectTensor('select', x);
  const [dim, index] = intArgs('select', args, ['dim', 'index']) as [number, number];
  if (x.ndim === 0) throw new RangeError('select() cannot be applied to a 0-dim tensor.');
  const d = normalizeDim(dim, x.ndim);
  const n = x.shape[d]!;
  if (!Number.isInteger(index) || index < -n || index >= n) {
    throw new RangeError(`select(): index ${index} out of range for tensor of size ${shapeStr(x.shape)} at dimension ${d}`);
  }
  const i = index < 0 ? index + n : index;
  const one = slice(x, d, i, i + 1);
  try {
    return squeeze(one, d);
  } finally {
    one.dispose();
  }
}

/**
 * Reverses the order of elements along `dims` (negative strides, no copy).
 *
 * @example
 * ```ts
 * console.log(await torch.flip(torch.tensor([[1, 2], [3, 4]]), [1]).tolist());   // [[2, 1], [4, 3]]
 * ```
 */
export function flip(x: Tensor, dims: readonly number[]): Tensor {
  expectTensor('flip', x);
  const ds = normalizeDims(dims, x.ndim);
  const strides = [...x.strides];
  let offset = x.offset;
  for (const d of ds) {
    if (x.ndim === 0) continue;
    const n = x.shape[d]!;
    if (n > 1) offset += (n - 1) * x.strides[d]!;
    strides[d] = -x.strides[d]!;
  }
  return record('flip', { dims: ds }, [x], viewOf(x, x.shape, strides, offset));
}

/**
 * PyTorch's `Tensor.unfold`: every window of `size` elements along `dim`, `step` apart, as a new
 * last dim (a view: convolutions and pooling read their windows through it without copying).
 * The result has `floor((n - size) / step) + 1` windows on `dim`.
 *
 * @example
 * ```ts
 * const x = torch.arange(7);
 * console.log(await torch.unfold(x, 0, 3, 2).tolist());   // windows of 3, step 2: [[0, 1, 2], [2, 3, 4], [4, 5, 6]]
 * ```
 */
export function unfold(x: Tensor, dim: number, size: number, step: number): Tensor {
  expectTensor('unfold', x);
  const d = normalizeDim(dim, x.ndim);
  const n = x.ndim === 0 ? 1 : x.shape[d]!;
  if (!Number.isInteger(size) || size < 0 || size > n) {
    throw new RangeError(`unfold: maximum size for tensor at dimension ${d} is ${n} but size is ${size}`);
  }
  if (!Number.isInteger(step) || step <= 0) throw new RangeError(`unfold: step is ${step} but must be > 0`);
  if (x.ndim === 0) return record('reshape', { shape: [size] }, [x], viewOf(x, [size], [1], x.offset));
  const shape = [...x.shape], strides = [...x.strides];
  shape[d] = Math.floor((n - size) / step) + 1;
  strides[d] = x.strides[d]! * step;
  shape.push(size);
  strides.push(x.strides[d]!);
  return record('unfold', { dim: d, size, step }, [x], viewOf(x, shape, strides, x.offset));
}

/**
 * Merges dims `startDim..endDim` into one.
 *
 * @example
 * ```ts
 * const x = torch.zeros([8, 3, 4, 4]);
 * console.log(torch.flatten(x).shape, x.flatten(1).shape);   // [384] [8, 48]
 * ```
 */
export function flatten(x: Tensor, ...args: PosArgs<FlattenOptions, ['startDim', 'endDim']>): Tensor {
  expectTensor('flatten', x);
  const [startDim, endDim] = intArgs('flatten', args, ['startDim', 'endDim'], { startDim: 0, endDim: -1 }) as [number, number];
  if (x.ndim === 0) return reshape(x, [1]);
  const s = normalizeDim(startDim, x.ndim), e = normalizeDim(endDim, x.ndim);
  if (s > e) throw new RangeError(`flatten() has invalid args: start_dim (${startDim}) cannot come after end_dim (${endDim})`);
  const merged = numel(x.shape.slice(s, e + 1));
  return reshape(x, [...x.shape.slice(0, s), merged, ...x.shape.slice(e + 1)]);
}

/**
 * Splits dim `dim` into `sizes` (one may be -1).
 *
 * @example
 * ```ts
 * const x = torch.zeros([8, 48]);
 * console.log(torch.unflatten(x, 1, [3, 4, 4]).shape);   // [8, 3, 4, 4]
 * ```
 */
export function unflatten(x: Tensor, ...args: PosArgs<UnflattenOptions, ['dim', 'sizes']>): Tensor {
  expectTensor('unflatten', x);
  const o = parseArgs('unflatten', args, ['dim', 'sizes']);
  const dim = argInt('unflatten', 'dim', o.dim);
  const sizes = o.sizes as readonly number[];
  if (!Array.isArray(sizes)) throw new TypeError(`unflatten: sizes must be a list of integers, got ${typeof sizes}`);
  const d = normalizeDim(dim, x.ndim);
  const inner = inferShape(sizes, x.shape[d]!, [x.shape[d]!]);
  return view(x, [...x.shape.slice(0, d), ...inner, ...x.shape.slice(d + 1)]);
}

/**
 * A contiguous copy with its own buffer.
 *
 * @example
 * ```ts
 * const x = torch.tensor([1, 2]);
 * const y = torch.clone(x);
 * y.add_(1);
 * console.log(await x.tolist(), await y.tolist());   // [1, 2] [2, 3]
 * ```
 */
export function clone(x: Tensor): Tensor {
  expectTensor('clone', x);
  return copyAs(x, x.dtype);
}

/**
 * The same elements with no autograd history (a view).
 *
 * @example
 * ```ts
 * const w = torch.ones([2], { requiresGrad: true });
 * const y = torch.detach(w.mul(2));   // same values, no gradient history
 * console.log(y.requiresGrad);   // false
 * ```
 */
export function detach(x: Tensor): Tensor {
  expectTensor('detach', x);
  return viewOf(x, x.shape, x.strides, x.offset);
}
