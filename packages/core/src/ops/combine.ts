/** Joining and splitting: cat, stack, split, chunk, unbind, repeat. */
import { promoteTypes } from '../dtype.ts';
import { normalizeDim, numel, shapeStr } from '../shape.ts';
import type { Tensor } from '../tensor.ts';
import { dimArg, type DimOption } from '../args.ts';
import { copyAs, empty, expectTensor, fillWith, sameBackend } from './util.ts';
import { record } from '../grad-hook.ts';
import { expand, narrow, reshape, select, unsqueeze } from './view.ts';

/**
 * Concatenates along `dim` (`cat(xs, 1)` or `cat(xs, { dim: 1 })`; default 0); all other dims must
 * match. 1-D empty tensors are skipped, as in PyTorch.
 *
 * @example
 * const a = torch.ones([2, 3]), b = torch.zeros([2, 1]);
 * console.log(torch.cat([a, b], 1).shape, torch.cat([a, b], { dim: 1 }).shape);   // [2, 4] [2, 4]
 */
export function cat(tensors: readonly Tensor[], ...args: [dim?: DimOption]): Tensor {
  const dim = dimArg('cat', args, 0);
  if (!Array.isArray(tensors) || tensors.length === 0) throw new RangeError('cat: expected a non-empty list of Tensors');
  tensors.forEach((t, i) => expectTensor('cat', t, `tensors[${i}]`));
  const backend = sameBackend('cat', ...tensors);
  // PyTorch ignores 1-D tensors of size 0 (legacy behaviour) when others have more dims.
  const parts = tensors.filter((t) => !(t.ndim === 1 && t.shape[0] === 0));
  const ref = parts[0] ?? tensors[0]!;
  if (ref.ndim === 0) throw new RangeError('cat: zero-dimensional tensor cannot be concatenated');
  const d = normalizeDim(dim, ref.ndim);
  let total = 0;
  let dtype = ref.dtype;
  for (const [i, t] of parts.entries()) {
    if (t.ndim !== ref.ndim) {
      throw new RangeError(`cat: Tensors must have same number of dimensions: got ${ref.ndim} and ${t.ndim} (shapes ${shapeStr(ref.shape)} and ${shapeStr(t.shape)})`);
    }
    for (let k = 0; k < ref.ndim; k++) {
      if (k !== d && t.shape[k] !== ref.shape[k]) {
        throw new RangeError(`cat: Sizes of tensors must match except in dimension ${d}. Expected size ${ref.shape[k]} but got size ${t.shape[k]} for tensor number ${i} in the list (shapes ${shapeStr(ref.shape)} and ${shapeStr(t.shape)})`);
      }
    }
    total += t.shape[d]!;
    dtype = promoteTypes(dtype, t.dtype);
  }
  const shape = [...ref.shape];
  shape[d] = total;
  let at = 0;
  const out = fillWith(empty(shape, dtype, backend), (o) => {
    for (const t of parts) {
      const n = t.shape[d]!;
      if (n > 0 && numel(t.shape) > 0) {
        // The destination is a window of the output: same strides, shifted offset, size n on d.
        const dstShape = [...o.shape];
        dstShape[d] = n;
        backend.copy(t.view_(), { ...o, shape: dstShape, offset: o.offset + at * o.strides[d]! });
      }
      at += n;
    }
  });
  return record('cat', { dim: d }, parts, out);
}

/**
 * Stacks equal-shaped tensors along a new dim (`stack(xs, 1)` or `stack(xs, { dim: 1 })`; default 0).
 *
 * @example
 * ```ts
 * const a = torch.tensor([1, 2]), b = torch.tensor([3, 4]);
 * console.log(torch.stack([a, b]).shape, torch.stack([a, b], 1).shape);   // [2, 2] [2, 2]
 * console.log(await torch.stack([a, b], { dim: 1 }).tolist());            // [[1, 3], [2, 4]]
 * ```
 */
export function stack(tensors: readonly Tensor[], ...args: [dim?: DimOption]): Tensor {
  const dim = dimArg('stack', args, 0);
  if (!Array.isArray(tensors) || tensors.length === 0) throw new RangeError('stack: expected a non-empty list of Tensors');
  tensors.forEach((t, i) => expectTensor('stack', t, `tensors[${i}]`));
  const ref = tensors[0]!;
  for (const [i, t] of tensors.entries()) {
    if (t.ndim !== ref.ndim || t.shape.some((s: number, k: number) => s !== ref.shape[k])) {
      throw new RangeError(`stack expects each tensor to be equal size, but got ${shapeStr(ref.shape)} at entry 0 and ${shapeStr(t.shape)} at entry ${i}`);
    }
  }
  const d = normalizeDim(dim, ref.ndim + 1);
  const parts = tensors.map((t) => unsqueeze(t, d));
  try {
    return cat(parts, d);
  } finally {
    for (const p of parts) p.dispose();
  }
}

/**
 * Views of consecutive pieces along `dim`: each of `size` (the last may be smaller), or of the listed sizes.
 *
 * @example
 * ```ts
 * const x = torch.arange(10);
 * console.log(torch.split(x, 4).map((t) => t.shape[0]));          // [4, 4, 2]
 * console.log(torch.split(x, [3, 7]).map((t) => t.shape[0]));     // [3, 7]
 * ```
 */
export function split(x: Tensor, splitSizeOrSections: number | readonly number[], ...args: [dim?: DimOption]): Tensor[] {
  expectTensor('split', x);
  const dim = dimArg('split', args, 0);
  if (typeof splitSizeOrSections !== 'number' && !Array.isArray(splitSizeOrSections)) {
    throw new TypeError('split: splitSizeOrSections must be an integer or a list of integers');
  }
  const d = normalizeDim(dim, x.ndim);
  const n = x.shape[d]!;
  if (typeof splitSizeOrSections === 'number') {
    const size = splitSizeOrSections;
    if (!Number.isInteger(size) || size < 0 || (size === 0 && n !== 0)) {
      throw new RangeError(`split: split_size must be a positive integer (or 0 for an empty dim), got ${size}`);
    }
    if (n === 0) return [narrow(x, d, 0, 0)];
    const out: Tensor[] = [];
    for (let s = 0; s < n; s += size) out.push(narrow(x, d, s, Math.min(size, n - s)));
    return out;
  }
  const sum = splitSizeOrSections.reduce((a, b) => a + b, 0);
  if (sum !== n || splitSizeOrSections.some((s) => !Number.isInteger(s) || s < 0)) {
    throw new RangeError(`split_with_sizes expects split_sizes to sum exactly to ${n} (input tensor's size at dimension ${d}), but got split_sizes=${shapeStr(splitSizeOrSections)}`);
  }
  const out: Tensor[] = [];
  let at = 0;
  for (const s of splitSizeOrSections) {
    out.push(narrow(x, d, at, s));
    at += s;
  }
  return out;
}

/**
 * `chunks` pieces of size `ceil(n / chunks)` along `dim` (fewer when they run out, as in PyTorch).
 *
 * @example
 * ```ts
 * const qkv = torch.zeros([2, 5, 48]);
 * const [q, k, v] = torch.chunk(qkv, 3, -1);
 * console.log(q!.shape);   // [2, 5, 16]
 * ```
 */
export function chunk(x: Tensor, chunks: number, ...args: [dim?: DimOption]): Tensor[] {
  expectTensor('chunk', x);
  const dim = dimArg('chunk', args, 0);
  if (!Number.isInteger(chunks) || chunks <= 0) throw new RangeError(`chunk expects \`chunks\` to be greater than 0, got: ${chunks}`);
  const d = normalizeDim(dim, x.ndim);
  const n = x.shape[d]!;
  return split(x, Math.ceil(n / chunks) || 0, d);
}

/**
 * The slices along `dim`, each with that dim removed.
 *
 * @example
 * ```ts
 * const [a, b] = torch.unbind(torch.tensor([[1, 2], [3, 4]]));
 * console.log(await a!.tolist(), await b!.tolist());   // [1, 2] [3, 4]
 * ```
 */
export function unbind(x: Tensor, ...args: [dim?: DimOption]): Tensor[] {
  expectTensor('unbind', x);
  const dim = dimArg('unbind', args, 0);
  const d = normalizeDim(dim, x.ndim);
  return Array.from({ length: x.shape[d]! }, (_, i) => select(x, d, i));
}

/**
 * Tiles the tensor `sizes[i]` times along each dim (PyTorch's `repeat`, which copies).
 *
 * @example
 * ```ts
 * console.log(await torch.repeat(torch.tensor([1, 2]), [2, 2]).tolist());   // [[1, 2, 1, 2], [1, 2, 1, 2]]
 * ```
 */
export function repeat(x: Tensor, sizes: readonly number[]): Tensor {
  expectTensor('repeat', x);
  if (sizes.length < x.ndim) {
    throw new RangeError(`Number of dimensions of repeat dims (${sizes.length}) can not be smaller than number of dimensions of tensor (${x.ndim})`);
  }
  if (sizes.some((s) => !Number.isInteger(s) || s < 0)) throw new RangeError(`repeat: sizes must be non-negative integers, got ${shapeStr(sizes)}`);
  const lead = sizes.length - x.ndim;
  const src = [...Array(lead).fill(1), ...x.shape] as number[];
  // View x as [1, s0, 1, s1, ...], expand to [r0, s0, r1, s1, ...], copy, and merge pairs.
  const inter: number[] = [], expanded: number[] = [];
  src.forEach((s, i) => {
    inter.push(1, s);
    expanded.push(sizes[i]!, s);
  });
  const v = reshape(x, inter);
  const e = expand(v, expanded);
  try {
    const out = copyAs(e, x.dtype);
    try {
      return reshape(out, src.map((s, i) => s * sizes[i]!));
    } finally {
      out.dispose();
    }
  } finally {
    v.dispose();
    e.dispose();
  }
}

