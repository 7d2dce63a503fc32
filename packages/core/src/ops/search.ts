/**
 * Searching sorted sequences and index grids: searchsorted, bucketize (pairwise comparisons
 * counted, O(values x boundaries)), trilIndices, triuIndices, logspace.
 */
import { argBool, argEnum, argInt, argNumber, parseArgs, show } from '../args.ts';
import { tidy } from '../memory.ts';
import { shapeStr } from '../shape.ts';
import type { Tensor } from '../tensor.ts';
import { fromArray, type CreateOptions } from './creation.ts';
import { le, lt } from './elementwise.ts';
import { sum } from './reduce.ts';
import { expectTensor } from './util.ts';
import { getBackend } from '../registry.ts';

/** Options of {@link searchsorted}. */
export interface SearchsortedOptions {
  /** Return the last position where each value fits instead of the first (default false). */
  right?: boolean;
  /** 'left' or 'right', the same as `right` (PyTorch accepts both; they must agree). */
  side?: 'left' | 'right';
}

/** For each value, the number of boundaries below it (`<`), or `<=` with `right`. */
function countBelow(boundaries: Tensor, values: Tensor, right: boolean): Tensor {
  return tidy(() => {
    const v = values.ndim === 0 ? values.reshape([1]) : values;
    return sum((right ? le : lt)(boundaries.unsqueeze(-2), v.unsqueeze(-1)), -1).reshape([...values.shape]);
  });
}

/**
 * Where each of `values` would be inserted into the sorted last dim of `sortedSequence` to keep
 * it sorted (PyTorch's `torch.searchsorted(sorted_sequence, values, right=False, side=None)`):
 * int32 indices shaped like `values`. A 1-D sequence serves every value; otherwise the leading
 * dims of both must match.
 *
 * @example
 * torch.searchsorted(torch.tensor([1, 3, 5]), torch.tensor([3, 6]));  // tensor([1, 3])
 */
export function searchsorted(sortedSequence: Tensor, values: Tensor, options?: SearchsortedOptions): Tensor {
  expectTensor('searchsorted', sortedSequence, 'sortedSequence');
  expectTensor('searchsorted', values, 'values');
  const o = parseArgs('searchsorted', options === undefined ? [] : [options], [], ['right', 'side']);
  let right = o.right === undefined ? false : argBool('searchsorted', 'right', o.right);
  if (o.side !== undefined) {
    const side = argEnum('searchsorted', 'side', o.side, ['left', 'right'] as const);
    if (o.right !== undefined && right !== (side === 'right')) throw new RangeError("searchsorted: side and right can't be set to opposites, got side of left while right was True");
    right = side === 'right';
  }
  if (sortedSequence.ndim === 0) throw new RangeError('searchsorted: the sorted sequence must have at least one dim');
  if (sortedSequence.ndim > 1) {
    const lead = sortedSequence.shape.slice(0, -1);
    if (values.ndim !== sortedSequence.ndim || values.shape.slice(0, -1).some((s, i) => s !== lead[i])) {
      throw new RangeError(`searchsorted: boundaries tensor should be 1 dimension or the first N-1 dimensions of boundaries tensor and input value tensor must match, but we got boundaries tensor ${shapeStr(sortedSequence.shape)} and input value tensor ${shapeStr(values.shape)}`);
    }
  }
  if (sortedSequence.dtype !== values.dtype) {
    return tidy(() => countBelow(sortedSequence.float(), values.float(), right));
  }
  return countBelow(sortedSequence, values, right);
}

/**
 * The bucket of each element of `input` among the sorted 1-D `boundaries` (PyTorch's
 * `torch.bucketize(input, boundaries, right=False)`): with `right` false, `i` such that
 * `boundaries[i-1] < x <= boundaries[i]`; with `right` true, `boundaries[i-1] <= x < boundaries[i]`.
 * int32, shaped like `input`.
 *
 * @example
 * torch.bucketize(torch.tensor([1, 5, 9]), torch.tensor([2, 4, 6, 8]));  // tensor([0, 2, 4])
 */
export function bucketize(input: Tensor, boundaries: Tensor, right: boolean | { right?: boolean } = false): Tensor {
  expectTensor('bucketize', input);
  expectTensor('bucketize', boundaries, 'boundaries');
  const r = parseArgs('bucketize', [right], ['right']).right;
  if (boundaries.ndim !== 1) throw new RangeError(`bucketize: boundaries tensor must be 1 dimension, but got dim(${boundaries.ndim})`);
  const rv = r === undefined ? false : argBool('bucketize', 'right', r);
  if (boundaries.dtype !== input.dtype) return tidy(() => countBelow(boundaries.float(), input.float(), rv));
  return countBelow(boundaries, input, rv);
}

function triIndices(op: string, upper: boolean, row: number, col: number, offset: number, options?: CreateOptions): Tensor {
  argInt(op, 'row', row, 0);
  argInt(op, 'col', col, 0);
  argInt(op, 'offset', offset);
  const rows: number[] = [], cols: number[] = [];
  for (let i = 0; i < row; i++) {
    for (let j = 0; j < col; j++) {
      if (upper ? j - i >= offset : j - i <= offset) {
        rows.push(i);
        cols.push(j);
      }
    }
  }
  return fromArray(Int32Array.from([...rows, ...cols]), [2, rows.length], { backend: options?.backend ?? getBackend() });
}

/**
 * The coordinates of the lower triangle (`col - row <= offset`) of a `row x col` matrix, as an
 * int32 `[2, N]` tensor in row-major order (PyTorch's `torch.tril_indices`).
 *
 * @example
 * torch.trilIndices(3, 3);  // tensor([[0, 1, 1, 2, 2, 2], [0, 0, 1, 0, 1, 2]])
 */
export function trilIndices(row: number, col: number, offset = 0, options?: CreateOptions): Tensor {
  return triIndices('trilIndices', false, row, col, offset, options);
}

/**
 * The coordinates of the upper triangle (`col - row >= offset`), as {@link trilIndices} (PyTorch's
 * `torch.triu_indices`).
 *
 * @example
 * torch.triuIndices(3, 3, 1);  // tensor([[0, 0, 1], [1, 2, 2]])
 */
export function triuIndices(row: number, col: number, offset = 0, options?: CreateOptions): Tensor {
  return triIndices('triuIndices', true, row, col, offset, options);
}

/**
 * `steps` values `base ** linspace(start, end, steps)` (PyTorch's `torch.logspace(start, end,
 * steps, base=10.0)`), float32.
 *
 * @example
 * torch.logspace(0, 2, 3);  // tensor([1., 10., 100.])
 */
export function logspace(start: number, end: number, steps: number, base: number | ({ base?: number } & CreateOptions) = 10, options?: CreateOptions): Tensor {
  argNumber('logspace', 'start', start);
  argNumber('logspace', 'end', end);
  argInt('logspace', 'steps', steps, 0);
  let b = 10;
  let opts = options;
  if (typeof base === 'object' && base !== null) {
    const { base: bb, ...rest } = base;
    b = bb === undefined ? 10 : argNumber('logspace', 'base', bb);
    opts = rest;
  } else b = argNumber('logspace', 'base', base);
  if (typeof base !== 'number' && typeof base !== 'object') throw new TypeError(`logspace: base must be a number, got ${show(base)}`);
  const host = new Float32Array(steps);
  const step = steps > 1 ? (end - start) / (steps - 1) : 0;
  const half = Math.floor(steps / 2);
  // PyTorch's symmetric linspace formula, then the power in double precision rounded once.
  for (let i = 0; i < steps; i++) host[i] = Math.pow(b, steps === 1 ? start : i < half ? start + step * i : end - step * (steps - 1 - i));
  return fromArray(host, [steps], { ...opts, backend: opts?.backend ?? getBackend() });
}
