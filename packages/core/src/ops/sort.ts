/**
 * Sorting along a dim: sort, argsort, topk, kthvalue, msort. A composite of existing primitives,
 * so every backend runs it and the gradient comes from gather's rule (the values are gathered
 * from the input at the sorted indices):
 *
 *   rank[i] = #{ j : x[j] comes before x[i] }   (compare every pair: an [..., n, n] bool tensor)
 *   indices[rank[i]] = i                         (scatterAdd of arange at the ranks)
 *   values = gather(x, indices)
 *
 * "Comes before" orders NaN after every number (first when descending), as PyTorch does, and
 * breaks ties by position, so the result is always the stable sort. The pairwise comparison is
 * O(n^2) work and memory per sorted row, which is why {@link MAX_PAIRS} bounds it: sorting one
 * row of 4096 elements compares 16.8 M pairs.
 */
import { argBool, argInt, parseArgs } from '../args.ts';
import { tidy } from '../memory.ts';
import { normalizeDim, shapeStr } from '../shape.ts';
import type { Tensor } from '../tensor.ts';
import { arange } from './creation.ts';
import { eq, gt, logicalAnd, logicalNot, logicalOr, lt, ne } from './elementwise.ts';
import { gather } from './indexing.ts';
import { scatterAddP } from './primitives.ts';
import { sum, type MaxResult } from './reduce.ts';
import { expectDType, expectTensor } from './util.ts';

/**
 * The most element pairs one sort may compare (all rows together): 2^27, a 128 MiB bool
 * temporary. Larger sorts throw a RangeError rather than exhaust memory.
 */
export const MAX_PAIRS = 2 ** 27;

/** Values and indices of sort/topk/kthvalue: destructure as `[values, indices]` or use the names. */
export type SortResult = MaxResult;

/** Options of {@link sort} and {@link argsort}. */
export interface SortOptions {
  /** The dim to sort along (default -1, the last). */
  dim?: number;
  /** Largest first (default false). */
  descending?: boolean;
  /** Keep equal elements in their original order; torchlet's sort is always stable, so this changes nothing. */
  stable?: boolean;
}

function named(values: Tensor, indices: Tensor): SortResult {
  return Object.assign([values, indices] as [Tensor, Tensor], { values, indices });
}

/** int32 positions that sort the last dim of `x` (float32 or int32), stable. */
function sortedIndicesLast(op: string, x: Tensor, descending: boolean): Tensor {
  const n = x.shape[x.ndim - 1] ?? 1;
  const rows = n === 0 ? 0 : x.numel() / n;
  if (rows * n * n > MAX_PAIRS) {
    throw new RangeError(`${op}: sorting ${rows} row(s) of ${n} elements compares ${rows * n * n} pairs, more than the ${MAX_PAIRS} this pairwise sort allows; sort smaller pieces`);
  }
  return tidy(() => {
    const a = x.unsqueeze(-1); // element i, [..., n, 1]
    const b = x.unsqueeze(-2); // element j, [..., 1, n]
    let before: Tensor;
    const pos = arange(n, { backend: x.backend });
    const earlier = lt(pos.unsqueeze(0), pos.unsqueeze(1)); // [n, n]: j < i
    if (x.dtype === 'float32') {
      const nanA = ne(a, a), nanB = ne(b, b);
      const same = logicalOr(eq(a, b), logicalAnd(nanA, nanB));
      // NaN is the largest value: after every number ascending, before every number descending.
      const strict = descending ? logicalOr(gt(b, a), logicalAnd(nanB, logicalNot(nanA))) : logicalOr(lt(b, a), logicalAnd(nanA, logicalNot(nanB)));
      before = logicalOr(strict, logicalAnd(same, earlier));
    } else {
      before = logicalOr(descending ? gt(b, a) : lt(b, a), logicalAnd(eq(a, b), earlier));
    }
    const rank = sum(before, -1); // int32 [..., n]
    const src = pos.expand(rank.shape);
    return scatterAddP(rank.shape, rank.ndim - 1, rank, src.dtype === 'int32' ? src : src.int());
  });
}

function sortImpl(op: string, input: Tensor, dim: number, descending: boolean): [Tensor, Tensor] {
  expectTensor(op, input);
  expectDType(op, input, ['float32', 'int32', 'bool']);
  if (input.ndim === 0) return tidy(() => [input.clone(), arange(1, { backend: input.backend }).reshape([])]);
  const d = normalizeDim(dim, input.ndim);
  return tidy(() => {
    const x = input.transpose(d, -1);
    const key = x.dtype === 'bool' ? x.int() : x;
    const idx = sortedIndicesLast(op, key, descending);
    return [gather(x, -1, idx).transpose(d, -1), idx.transpose(d, -1).contiguous()];
  });
}

function sortArgs(op: string, args: readonly unknown[]): { dim: number; descending: boolean } {
  const a = parseArgs(op, args, ['dim', 'descending'], ['stable']);
  if (a.stable !== undefined) argBool(op, 'stable', a.stable);
  return {
    dim: a.dim === undefined ? -1 : argInt(op, 'dim', a.dim),
    descending: a.descending === undefined ? false : argBool(op, 'descending', a.descending),
  };
}

/**
 * Sorts `input` along `dim` (default the last), PyTorch's `torch.sort(input, dim=-1,
 * descending=False, stable=False)`: `[values, indices]` (also `.values`, `.indices`), indices
 * int32. NaN sorts as the largest value. Always stable (equal elements keep their order).
 * Differentiable: the gradient flows back to where each value came from.
 *
 * @example
 * const x = torch.tensor([[3, 1], [2, 4]]);
 * const [values, indices] = torch.sort(torch.tensor([3, 1, 2]));  // [1, 2, 3], [1, 2, 0]
 * torch.sort(x, 0, true);  torch.sort(x, { dim: 0, descending: true, stable: true });
 */
export function sort(input: Tensor, ...args: [dim?: number | SortOptions, descending?: boolean | SortOptions, options?: SortOptions]): SortResult {
  const { dim, descending } = sortArgs('sort', args);
  const [v, i] = sortImpl('sort', input, dim, descending);
  return named(v, i);
}

/**
 * The int32 indices that sort `input` along `dim` (PyTorch's `torch.argsort`), the second result
 * of {@link sort}.
 *
 * @example
 * torch.argsort(torch.tensor([3, 1, 2]));  // tensor([1, 2, 0])
 */
export function argsort(input: Tensor, ...args: [dim?: number | SortOptions, descending?: boolean | SortOptions, options?: SortOptions]): Tensor {
  const { dim, descending } = sortArgs('argsort', args);
  const [v, i] = sortImpl('argsort', input, dim, descending);
  v.dispose();
  return i;
}

/**
 * Sorts along the first dim (PyTorch's `torch.msort`); the values only.
 *
 * @example
 * ```ts
 * const x = torch.tensor([[3, 1], [1, 2], [2, 0]]);
 * console.log(await torch.msort(x).tolist());   // [[1, 0], [2, 1], [3, 2]]: each column sorted
 * ```
 */
export function msort(input: Tensor): Tensor {
  const [v, i] = sortImpl('msort', input, 0, false);
  i.dispose();
  return v;
}

/** Options of {@link topk}. */
export interface TopkOptions {
  /** The dim (default -1). */
  dim?: number;
  /** The k largest (default true) or the k smallest. */
  largest?: boolean;
  /** Return them in sorted order (default true); torchlet always does. */
  sorted?: boolean;
}

/**
 * The `k` largest (or smallest) elements along `dim`, PyTorch's `torch.topk(input, k, dim=-1,
 * largest=True, sorted=True)`: `[values, indices]`, sorted. Differentiable.
 *
 * @example
 * const logits = torch.randn([4, 10]), x = torch.tensor([[3, 1], [2, 4]]);
 * const [values, indices] = torch.topk(logits, 5);
 * torch.topk(x, 2, { dim: 0, largest: false });
 */
export function topk(input: Tensor, k: number, ...args: [dim?: number | TopkOptions, largest?: boolean | TopkOptions, sorted?: boolean | TopkOptions, options?: TopkOptions]): SortResult {
  expectTensor('topk', input);
  const a = parseArgs('topk', args, ['dim', 'largest', 'sorted']);
  const dim = a.dim === undefined ? -1 : argInt('topk', 'dim', a.dim);
  const largest = a.largest === undefined ? true : argBool('topk', 'largest', a.largest);
  if (a.sorted !== undefined) argBool('topk', 'sorted', a.sorted);
  const d = normalizeDim(dim, input.ndim);
  const n = input.ndim === 0 ? 1 : input.shape[d]!;
  argInt('topk', 'k', k, 0);
  if (k > n) throw new RangeError(`topk: k (${k}) is larger than the size ${n} of dim ${d} (shape ${shapeStr(input.shape)})`);
  return tidy(() => {
    const [v, i] = sortImpl('topk', input, d, largest);
    return input.ndim === 0 ? named(v, i) : named(v.narrow(d, 0, k), i.narrow(d, 0, k).contiguous());
  }) as SortResult;
}

/**
 * The `k`-th smallest element (1-based) along `dim` and its index, PyTorch's
 * `torch.kthvalue(input, k, dim=-1, keepdim=False)`. Differentiable.
 *
 * @example
 * const [value, index] = torch.kthvalue(torch.tensor([5, 1, 4]), 2);  // 4, 2
 */
export function kthvalue(input: Tensor, k: number, ...args: [dim?: number | { dim?: number; keepdim?: boolean }, keepdim?: boolean | { keepdim?: boolean }]): SortResult {
  expectTensor('kthvalue', input);
  const a = parseArgs('kthvalue', args, ['dim', 'keepdim']);
  const dim = a.dim === undefined ? -1 : argInt('kthvalue', 'dim', a.dim);
  const keepdim = a.keepdim === undefined ? false : argBool('kthvalue', 'keepdim', a.keepdim);
  const d = normalizeDim(dim, input.ndim);
  const n = input.ndim === 0 ? 1 : input.shape[d]!;
  argInt('kthvalue', 'k', k, 1);
  if (k > n) throw new RangeError(`kthvalue: k (${k}) is out of range for dim ${d} of size ${n} (shape ${shapeStr(input.shape)})`);
  return tidy(() => {
    const [v, i] = sortImpl('kthvalue', input, d, false);
    if (input.ndim === 0) return named(v, i);
    const pick = (t: Tensor): Tensor => (keepdim ? t.narrow(d, k - 1, 1) : t.select(d, k - 1));
    return named(pick(v), pick(i).contiguous());
  }) as SortResult;
}
