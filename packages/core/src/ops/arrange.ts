/**
 * Rearranging ops, all views or composites of views, cat and where (so every backend runs them
 * and their gradients come for free): movedim, swapaxes, T/mT, narrowCopy, roll, rot90, tile,
 * repeatInterleave (integer repeats), meshgrid, diagonal, diag, diagEmbed, trace.
 */
import { argEnum, argInt, parseArgs, show } from '../args.ts';
import { tidy } from '../memory.ts';
import { normalizeDim, normalizeDims, shapeStr } from '../shape.ts';
import type { Tensor } from '../tensor.ts';
import { cat, repeat } from './combine.ts';
import { arange, zeros } from './creation.ts';
import { eq, sub } from './elementwise.ts';
import { where } from './indexing.ts';
import { sum } from './reduce.ts';
import { expectTensor } from './util.ts';

const list = (v: number | readonly number[]): number[] => (typeof v === 'number' ? [v] : [...v]);

/**
 * Moves the dims `source` to the positions `destination`, the others keeping their order
 * (PyTorch's `torch.movedim`, alias `moveaxis`). A view.
 *
 * @example
 * torch.movedim(torch.zeros(2, 3, 4), 0, -1).shape;  // [3, 4, 2]
 */
export function movedim(input: Tensor, source: number | readonly number[], destination: number | readonly number[]): Tensor {
  expectTensor('movedim', input);
  const src = normalizeDims(list(source), input.ndim);
  const dst = normalizeDims(list(destination), input.ndim);
  if (src.length !== dst.length) {
    throw new RangeError(`movedim: Invalid source or destination dims: source (${show(source)} dims) should contain the same number of dims as destination (${show(destination)} dims)`);
  }
  const order = new Array<number>(input.ndim).fill(-1);
  src.forEach((s, i) => (order[dst[i]!] = s));
  const rest = input.shape.map((_, i) => i).filter((i) => !src.includes(i));
  for (let i = 0, r = 0; i < order.length; i++) if (order[i] === -1) order[i] = rest[r++]!;
  return input.permute(order);
}

/**
 * Alias of {@link movedim} (PyTorch's `torch.moveaxis`).
 *
 * @example
 * ```ts
 * console.log(torch.moveaxis(torch.zeros([2, 3, 4]), 0, -1).shape);   // [3, 4, 2], NumPy's name for movedim
 * ```
 */
export const moveaxis = movedim;

/**
 * Swaps two dims, a view: PyTorch's `torch.swapaxes` / `swapdims`, the same as `transpose`.
 *
 * @example
 * const x = torch.zeros([2, 3]);
 * torch.swapaxes(x, 0, 1);
 */
export function swapaxes(input: Tensor, axis0: number, axis1: number): Tensor {
  expectTensor('swapaxes', input);
  return input.transpose(argInt('swapaxes', 'axis0', axis0), argInt('swapaxes', 'axis1', axis1));
}

/**
 * Alias of {@link swapaxes} (PyTorch's `torch.swapdims`).
 *
 * @example
 * ```ts
 * console.log(torch.swapdims(torch.zeros([2, 3]), 0, 1).shape);   // [3, 2], the same as transpose
 * ```
 */
export const swapdims = swapaxes;

/**
 * PyTorch's `x.T`: all dims reversed (the transpose of a matrix; PyTorch deprecates it for other
 * ranks). A view; also the getter `x.T`.
 *
 * @example
 * torch.ones(2, 3).T.shape;  // [3, 2]
 */
export function reverseDims(input: Tensor): Tensor {
  expectTensor('T', input);
  return input.permute(input.shape.map((_, i) => input.ndim - 1 - i));
}

/**
 * PyTorch's `x.mT`: the last two dims swapped (a batch of matrices transposed). A view; also the
 * getter `x.mT`. Throws for fewer than 2 dims.
 *
 * @example
 * torch.ones(4, 2, 3).mT.shape;  // [4, 3, 2]
 */
export function matrixTranspose(input: Tensor): Tensor {
  expectTensor('mT', input);
  if (input.ndim < 2) throw new RangeError(`tensor.mT is only supported on matrices or batches of matrices. Got ${input.ndim}-D tensor.`);
  return input.transpose(-2, -1);
}

/**
 * A copy of `input.narrow(dim, start, length)` (PyTorch's `torch.narrow_copy`).
 *
 * @example
 * const x = torch.arange(6).reshape([3, 2]);
 * torch.narrowCopy(x, 0, 1, 2);
 */
export function narrowCopy(input: Tensor, dim: number, start: number, length: number): Tensor {
  expectTensor('narrowCopy', input);
  return tidy(() => input.narrow(dim, start, length).clone());
}

/**
 * Rolls elements along `dims` by `shifts` (elements past the end come back at the start); with
 * no dims, over the flattened tensor and reshaped back. PyTorch's `torch.roll`. Differentiable.
 *
 * @example
 * const x = torch.arange(6).reshape([2, 3]);
 * torch.roll(torch.tensor([1, 2, 3, 4]), 1);  // tensor([4, 1, 2, 3])
 * torch.roll(x, [1, -1], [0, 1]);
 */
export function roll(input: Tensor, shifts: number | readonly number[], dims?: number | readonly number[] | { dims?: number | readonly number[] }): Tensor {
  expectTensor('roll', input);
  const d = dims !== undefined && typeof dims === 'object' && !Array.isArray(dims) ? parseArgs('roll', [dims], [], ['dims']).dims : dims;
  const s = list(shifts).map((v) => argInt('roll', 'shifts', v));
  if (d === undefined || d === null) {
    if (s.length !== 1) throw new RangeError(`roll: without dims, shifts must be one number, got ${show(shifts)}`);
    return tidy(() => roll(input.flatten(), s[0]!, 0).reshape([...input.shape]));
  }
  const ds = normalizeDims(list(d as number | number[]), input.ndim);
  if (ds.length !== s.length) throw new RangeError(`roll: shifts and dimensions must align. shifts: ${s.length}, dims: ${ds.length}`);
  return tidy(() => {
    let x = input;
    ds.forEach((dim, i) => {
      const n = x.shape[dim] ?? 1;
      const k = n === 0 ? 0 : ((s[i]! % n) + n) % n;
      if (k !== 0) x = cat([x.narrow(dim, n - k, k), x.narrow(dim, 0, n - k)], dim);
    });
    return x === input ? input.clone() : x;
  });
}

/**
 * Rotates by 90 degrees `k` times in the plane of `dims` (from the first towards the second),
 * PyTorch's `torch.rot90(input, k=1, dims=[0, 1])`. A copy; differentiable.
 *
 * @example
 * torch.rot90(torch.tensor([[1, 2], [3, 4]]));  // tensor([[2, 4], [1, 3]])
 */
export function rot90(input: Tensor, k = 1, dims: readonly number[] = [0, 1]): Tensor {
  expectTensor('rot90', input);
  argInt('rot90', 'k', k);
  if (!Array.isArray(dims) || dims.length !== 2) throw new RangeError(`rot90: expected total rotation dims == 2, but got dims = ${dims.length}`);
  if (input.ndim < 2) throw new RangeError(`rot90: expected total dims >= 2, but got total dims = ${input.ndim}`);
  const [d0, d1] = normalizeDims(dims, input.ndim) as [number, number];
  if (d0 === d1) throw new RangeError(`rot90: expected rotation dims to be different, but got dim0 = ${d0} and dim1 = ${d1}`);
  const r = ((k % 4) + 4) % 4;
  return tidy(() => {
    if (r === 1) return input.flip([d1]).transpose(d0, d1).contiguous();
    if (r === 2) return input.flip([d0, d1]).contiguous();
    if (r === 3) return input.flip([d0]).transpose(d0, d1).contiguous();
    return input.clone();
  });
}

/**
 * Repeats the tensor `dims[i]` times along dim `i`; fewer dims than the tensor has are padded
 * with leading 1s (PyTorch's `torch.tile`, unlike `repeat`). A copy.
 *
 * @example
 * torch.tile(torch.tensor([1, 2]), [2]);  // tensor([1, 2, 1, 2])
 */
export function tile(input: Tensor, ...dims: Array<number | readonly number[]>): Tensor {
  expectTensor('tile', input);
  const ds = dims.length === 1 && Array.isArray(dims[0]) ? [...(dims[0] as number[])] : (dims as number[]);
  ds.forEach((v) => argInt('tile', 'dims', v, 0));
  const full = ds.length < input.ndim ? [...new Array<number>(input.ndim - ds.length).fill(1), ...ds] : ds;
  return repeat(input, full);
}

/**
 * Repeats each element `repeats` times along `dim` (the flattened tensor when omitted), PyTorch's
 * `torch.repeat_interleave(input, repeats, dim=None)` with an integer `repeats`. For a tensor
 * of per-element repeats see `repeatInterleave` in ops/select.ts. Differentiable.
 *
 * @example
 * torch.repeatInterleave(torch.tensor([1, 2]), 2);  // tensor([1, 1, 2, 2])
 */
export function repeatInterleaveInt(input: Tensor, repeats: number, dim?: number | null): Tensor {
  expectTensor('repeatInterleave', input);
  argInt('repeatInterleave', 'repeats', repeats, 0);
  return tidy(() => {
    const x = dim === undefined || dim === null ? input.flatten() : input;
    const d = dim === undefined || dim === null ? 0 : normalizeDim(dim, Math.max(x.ndim, 1));
    const base = x.ndim === 0 ? x.reshape([1]) : x;
    const shape = [...base.shape];
    const up = base.unsqueeze(d + 1);
    const exp = [...up.shape];
    exp[d + 1] = repeats;
    shape[d] = shape[d]! * repeats;
    return up.expand(exp).reshape(shape);
  });
}

/** Options of {@link meshgrid}. */
export interface MeshgridOptions {
  /** 'ij' (matrix indexing, PyTorch's default) or 'xy' (Cartesian: the first two dims swapped). */
  indexing?: 'ij' | 'xy';
}

/**
 * Coordinate grids from 1-D tensors, PyTorch's `torch.meshgrid(*tensors, indexing='ij')`: output
 * `i` holds `tensors[i]` broadcast over the grid. Outputs are views (expanded); differentiable.
 *
 * @example
 * const [gx, gy] = torch.meshgrid([torch.arange(3), torch.arange(2)], { indexing: 'xy' });
 */
export function meshgrid(tensors: readonly Tensor[], options?: MeshgridOptions): Tensor[] {
  if (!Array.isArray(tensors)) throw new TypeError(`meshgrid: expected a list of tensors, got ${show(tensors)}`);
  const o = parseArgs('meshgrid', options === undefined ? [] : [options], [], ['indexing']);
  const indexing = o.indexing === undefined ? 'ij' : argEnum('meshgrid', 'indexing', o.indexing, ['ij', 'xy'] as const);
  tensors.forEach((t, i) => {
    expectTensor('meshgrid', t, `tensors[${i}]`);
    if (t.ndim > 1) throw new RangeError(`meshgrid: expected 0D or 1D tensors, got tensors[${i}] of shape ${shapeStr(t.shape)}`);
  });
  const swap = indexing === 'xy' && tensors.length >= 2;
  const ts = swap ? [tensors[1]!, tensors[0]!, ...tensors.slice(2)] : [...tensors];
  const sizes = ts.map((t) => t.numel());
  const grids = ts.map((t, i) => {
    const shape = sizes.map((_, j) => (j === i ? sizes[i]! : 1));
    return tidy(() => t.reshape(shape).expand(sizes));
  });
  // The grids of the swapped inputs already have the 'xy' shape; only the outputs' order swaps back.
  return swap ? [grids[1]!, grids[0]!, ...grids.slice(2)] : grids;
}

function diagArgs(op: string, args: readonly unknown[], defaults: [number, number, number]): [number, number, number] {
  const a = parseArgs(op, args, ['offset', 'dim1', 'dim2']);
  return [
    a.offset === undefined ? defaults[0] : argInt(op, 'offset', a.offset),
    a.dim1 === undefined ? defaults[1] : argInt(op, 'dim1', a.dim1),
    a.dim2 === undefined ? defaults[2] : argInt(op, 'dim2', a.dim2),
  ];
}

/** Options of {@link diagonal} and {@link diagEmbed}. */
export interface DiagonalOptions {
  /** Which diagonal: 0 the main one, > 0 above it, < 0 below (default 0). */
  offset?: number;
  /** The first dim of the matrices. */
  dim1?: number;
  /** The second dim of the matrices. */
  dim2?: number;
}

/**
 * The diagonal (`offset` above the main one) of the matrices in `dim1`, `dim2`, as a new last dim:
 * PyTorch's `torch.diagonal(input, offset=0, dim1=0, dim2=1)`. Differentiable.
 *
 * @example
 * const x = torch.arange(9).reshape([3, 3]);
 * torch.diagonal(torch.eye(3));  // tensor([1., 1., 1.])
 * torch.diagonal(x, { offset: 1, dim1: -2, dim2: -1 });
 */
export function diagonal(input: Tensor, ...args: [offset?: number | DiagonalOptions, dim1?: number | DiagonalOptions, dim2?: number | DiagonalOptions]): Tensor {
  expectTensor('diagonal', input);
  const [offset, dim1, dim2] = diagArgs('diagonal', args, [0, 0, 1]);
  if (input.ndim < 2) throw new RangeError(`diagonal: the input must have at least 2 dims, got shape ${shapeStr(input.shape)}`);
  const d1 = normalizeDim(dim1, input.ndim), d2 = normalizeDim(dim2, input.ndim);
  if (d1 === d2) throw new RangeError(`diagonal dimensions cannot be identical ${dim1}, ${dim2}`);
  return tidy(() => {
    const m = movedim(input, [d1, d2], [-2, -1]);
    const rows = m.shape[m.ndim - 2]!, cols = m.shape[m.ndim - 1]!;
    const len = Math.max(0, offset >= 0 ? Math.min(rows, cols - offset) : Math.min(rows + offset, cols));
    const flat = m.reshape([...m.shape.slice(0, -2), rows * cols]);
    if (len === 0) return flat.narrow(-1, 0, 0);
    // Element (i, i + offset) sits at i * (cols + 1) + offset in the flattened matrix.
    const start = offset >= 0 ? offset : -offset * cols;
    return flat.slice(-1, start, start + (len - 1) * (cols + 1) + 1, cols + 1);
  });
}

/**
 * Matrices whose diagonal (`offset`) holds the last dim of `input`, placed at `dim1`, `dim2` of
 * the result: PyTorch's `torch.diag_embed(input, offset=0, dim1=-2, dim2=-1)`. Differentiable.
 *
 * @example
 * torch.diagEmbed(torch.tensor([1, 2]));  // tensor([[1, 0], [0, 2]])
 */
export function diagEmbed(input: Tensor, ...args: [offset?: number | DiagonalOptions, dim1?: number | DiagonalOptions, dim2?: number | DiagonalOptions]): Tensor {
  expectTensor('diagEmbed', input);
  const [offset, dim1, dim2] = diagArgs('diagEmbed', args, [0, -2, -1]);
  const nd = input.ndim + 1;
  const d1 = normalizeDim(dim1, nd), d2 = normalizeDim(dim2, nd);
  if (d1 === d2) throw new RangeError(`diagonal dimensions cannot be identical ${dim1}, ${dim2}`);
  return tidy(() => {
    const x = input.ndim === 0 ? input.reshape([1]) : input;
    const n = x.shape[x.ndim - 1]!;
    const k = Math.abs(offset);
    const m = n + k;
    const padded = k === 0 ? x : cat([x, zeros([...x.shape.slice(0, -1), k], { dtype: x.dtype, backend: x.backend })], -1);
    // offset >= 0: out[i, i + offset] = x[i] (row-indexed); offset < 0: out[j - offset, j] = x[j].
    const vals = (offset >= 0 ? padded.unsqueeze(-1) : padded.unsqueeze(-2)).expand([...padded.shape.slice(0, -1), m, m]);
    const pos = arange(m, { backend: x.backend });
    const onDiag = eq(sub(pos.unsqueeze(0), pos.unsqueeze(1)), offset);
    const mats = where(onDiag, vals, input.dtype === 'bool' ? false : 0);
    return movedim(mats, [-2, -1], [d1, d2]);
  });
}

/**
 * PyTorch's `torch.diag(input, diagonal=0)`: for a 1-D input the square matrix with it on the
 * `diagonal`; for a 2-D input that diagonal as a 1-D tensor. Differentiable.
 *
 * @example
 * const m = torch.arange(9).reshape([3, 3]);
 * torch.diag(torch.tensor([1, 2]));  torch.diag(m, 1);
 */
export function diag(input: Tensor, diagonalIndex: number | { diagonal?: number } = 0): Tensor {
  expectTensor('diag', input);
  const a = parseArgs('diag', [diagonalIndex], ['diagonal']);
  const off = a.diagonal === undefined ? 0 : argInt('diag', 'diagonal', a.diagonal);
  if (input.ndim === 1) return diagEmbed(input, off);
  if (input.ndim === 2) return tidy(() => diagonal(input, off).clone());
  throw new RangeError(`diag: the input must be 1-D or 2-D, got shape ${shapeStr(input.shape)}`);
}

/**
 * The sum of the main diagonal of a 2-D tensor, PyTorch's `torch.trace`. Differentiable.
 *
 * @example
 * torch.trace(torch.eye(3));  // tensor(3.)
 */
export function trace(input: Tensor): Tensor {
  expectTensor('trace', input);
  if (input.ndim !== 2) throw new RangeError(`trace: expected a matrix, but got tensor with dim ${input.ndim}`);
  return tidy(() => sum(diagonal(input)));
}
