/**
 * The mappings of ops_extra's functions (sort, scans, einsum, norms, scatter, selection, ...):
 * PyTorch's name in the case file -> the torchlet call a user would write. Data-dependent
 * ops (nonzero, unique, maskedSelect, ...) use their `...Async` forms, as a user on an
 * asynchronous backend (WebGPU) must; core's tests cover the synchronous forms on wasm.
 */
import * as torch from '@torchlet/core';
import type { Tensor } from '@torchlet/core';
import { decodeNumber } from './decode.ts';
import type { Args, Kwargs, OpFn } from './run-case.ts';

const num = (v: unknown): number => decodeNumber(v as number);
const optNum = (v: unknown): number | undefined => (v === undefined || v === null ? undefined : num(v));

const int = (v: unknown): number | undefined => (v === undefined || v === null ? undefined : (v as number));
const bool = (v: unknown): boolean | undefined => (v === undefined || v === null ? undefined : (v as boolean));

export const EXTRA_OPS: Record<string, OpFn> = {
  // sorting
  sort: (a: Args, kw: Kwargs) => torch.sort(a.input!, { dim: int(kw.dim), descending: bool(kw.descending), stable: bool(kw.stable) }),
  argsort: (a, kw) => torch.argsort(a.input!, { dim: int(kw.dim), descending: bool(kw.descending), stable: bool(kw.stable) }),
  topk: (a, kw) => torch.topk(a.input!, kw.k as number, { dim: int(kw.dim), largest: bool(kw.largest), sorted: bool(kw.sorted) }),
  kthvalue: (a, kw) => torch.kthvalue(a.input!, kw.k as number, { dim: int(kw.dim), keepdim: bool(kw.keepdim) }),
  msort: (a) => torch.msort(a.input!),
  // scans
  cumsum: (a, kw) => torch.cumsum(a.input!, kw.dim as number),
  cumprod: (a, kw) => torch.cumprod(a.input!, kw.dim as number),
  logcumsumexp: (a, kw) => torch.logcumsumexp(a.input!, kw.dim as number),
  // norms and closeness
  norm: (a, kw) => torch.norm(a.input!, { p: kw.p === 'fro' || kw.p === undefined ? (kw.p as 'fro' | undefined) : num(kw.p), dim: kw.dim as number | number[] | undefined, keepdim: bool(kw.keepdim) }),
  linalgVectorNorm: (a, kw) => torch.linalg.vectorNorm(a.input!, { ord: optNum(kw.ord), dim: kw.dim as number | number[] | undefined, keepdim: bool(kw.keepdim) }),
  linalgMatrixNorm: (a, kw) => torch.linalg.matrixNorm(a.input!, { ord: kw.ord === 'fro' || kw.ord === undefined ? (kw.ord as 'fro' | undefined) : num(kw.ord), dim: kw.dim as number[] | undefined, keepdim: bool(kw.keepdim) }),
  isclose: (a, kw) => torch.isclose(a.input!, a.other!, { rtol: optNum(kw.rtol), atol: optNum(kw.atol), equalNan: bool(kw.equalNan) }),
  allclose: async (a, kw) => torch.tensor(await torch.allcloseAsync(a.input!, a.other!, { rtol: optNum(kw.rtol), atol: optNum(kw.atol), equalNan: bool(kw.equalNan) })),
  equal: async (a) => torch.tensor(await torch.equalAsync(a.input!, a.other!)),
  // arrangement
  movedim: (a, kw) => torch.movedim(a.input!, kw.source as number | number[], kw.destination as number | number[]),
  swapaxes: (a, kw) => torch.swapaxes(a.input!, kw.axis0 as number, kw.axis1 as number),
  roll: (a, kw) => torch.roll(a.input!, kw.shifts as number | number[], kw.dims as number | number[] | undefined),
  rot90: (a, kw) => torch.rot90(a.input!, int(kw.k), kw.dims as number[] | undefined),
  tile: (a, kw) => torch.tile(a.input!, kw.dims as number[]),
  meshgrid: (a, kw) => torch.meshgrid(listArg(a, 'tensors'), { indexing: kw.indexing as 'ij' | 'xy' | undefined }),
  diagonal: (a, kw) => torch.diagonal(a.input!, { offset: int(kw.offset), dim1: int(kw.dim1), dim2: int(kw.dim2) }),
  diagEmbed: (a, kw) => torch.diagEmbed(a.input!, { offset: int(kw.offset), dim1: int(kw.dim1), dim2: int(kw.dim2) }),
  diag: (a, kw) => torch.diag(a.input!, int(kw.diagonal)),
  trace: (a) => torch.trace(a.input!),
  // products
  outer: (a) => torch.outer(a.input!, a.vec2!),
  kron: (a) => torch.kron(a.input!, a.other!),
  cross: (a, kw) => torch.cross(a.input!, a.other!, int(kw.dim)),
  cdist: (a, kw) => torch.cdist(a.x1!, a.x2!, optNum(kw.p)),
  addmm: (a, kw) => torch.addmm(a.input!, a.mat1!, a.mat2!, { beta: optNum(kw.beta), alpha: optNum(kw.alpha) }),
  addbmm: (a, kw) => torch.addbmm(a.input!, a.batch1!, a.batch2!, { beta: optNum(kw.beta), alpha: optNum(kw.alpha) }),
  baddbmm: (a, kw) => torch.baddbmm(a.input!, a.batch1!, a.batch2!, { beta: optNum(kw.beta), alpha: optNum(kw.alpha) }),
  // scatter and index
  scatter: (a, kw) => torch.scatter(a.input!, kw.dim as number, a.index!, a.src ?? num(kw.value), { reduce: kw.reduce as 'add' | 'multiply' | undefined }),
  scatterAdd: (a, kw) => torch.scatterAdd(a.input!, kw.dim as number, a.index!, a.src!),
  scatterAdd_: (a, kw) => a.input!.clone().scatterAdd_(kw.dim as number, a.index!, a.src!),
  scatterReduce: (a, kw) => torch.scatterReduce(a.input!, kw.dim as number, a.index!, a.src!, kw.reduce as torch.ScatterReduce, { includeSelf: bool(kw.includeSelf) }),
  indexAdd: (a, kw) => torch.indexAdd(a.input!, kw.dim as number, a.index!, a.source!, { alpha: optNum(kw.alpha) }),
  indexCopy: (a, kw) => torch.indexCopy(a.input!, kw.dim as number, a.index!, a.source!),
  indexFill: (a, kw) => torch.indexFill(a.input!, kw.dim as number, a.index!, num(kw.value)),
  take: (a) => torch.take(a.input!, a.index!),
  takeAlongDim: (a, kw) => torch.takeAlongDim(a.input!, a.indices!, int(kw.dim)),
  maskedScatter: (a) => torch.maskedScatter(a.input!, a.mask!, a.source!),
  // data-dependent shapes (async forms)
  nonzero: (a, kw) => (kw.asTuple ? torch.nonzeroAsync(a.input!, { asTuple: true }) : torch.nonzeroAsync(a.input!)),
  argwhere: (a) => torch.argwhereAsync(a.input!),
  maskedSelect: (a) => torch.maskedSelectAsync(a.input!, a.mask!),
  unique: (a, kw) => torch.uniqueAsync(a.input!, { sorted: bool(kw.sorted), returnInverse: bool(kw.returnInverse), returnCounts: bool(kw.returnCounts), dim: int(kw.dim) }),
  uniqueConsecutive: (a, kw) => torch.uniqueConsecutiveAsync(a.input!, { returnInverse: bool(kw.returnInverse), returnCounts: bool(kw.returnCounts), dim: int(kw.dim) }),
  bincount: (a, kw) => torch.bincountAsync(a.input!, { weights: a.weights, minlength: int(kw.minlength) }),
  repeatInterleave: (a, kw) => torch.repeatInterleaveAsync(a.input!, a.repeats ?? (kw.repeats as number), int(kw.dim)),
  histc: (a, kw) => torch.histc(a.input!, { bins: int(kw.bins), min: optNum(kw.min), max: optNum(kw.max) }),
  einsum: (a, kw) => torch.einsum(kw.equation as string, listArg(a, 'operands')),
  // indexing: kwargs.index holds the entries, {"input": name} standing for a tensor argument
  at: (a, kw) => torch.atAsync(a.input!, ...indexEntries(a, kw.index)),
  indexPut: (a, kw) => torch.indexPutAsync(a.input!, indexEntries(a, kw.index), a.values ?? num(kw.value), { accumulate: bool(kw.accumulate) }),
  // searching and grids
  searchsorted: (a, kw) => torch.searchsorted(a.sortedSequence!, a.input!, { right: bool(kw.right), side: kw.side as 'left' | 'right' | undefined }),
  bucketize: (a, kw) => torch.bucketize(a.input!, a.boundaries!, bool(kw.right)),
  trilIndices: (_a, kw) => torch.trilIndices(kw.row as number, kw.col as number, int(kw.offset)),
  triuIndices: (_a, kw) => torch.triuIndices(kw.row as number, kw.col as number, int(kw.offset)),
  linspace: (_a, kw) => torch.linspace(num(kw.start), num(kw.end), kw.steps as number),
  logspace: (_a, kw) => torch.logspace(num(kw.start), num(kw.end), kw.steps as number, optNum(kw.base)),
};

/** A case's index entries with `{ input: name }` replaced by that tensor argument. */
function indexEntries(a: Args, index: unknown): torch.IndexEntry[] {
  return (index as unknown[]).map((e) => (e !== null && typeof e === 'object' && 'input' in e ? a[(e as { input: string }).input]! : (e as torch.IndexEntry)));
}

/** The tensors of a list argument (`operands.0`, `operands.1`, ...), in order. */
export function listArg(a: Args, prefix: string): Tensor[] {
  return Object.keys(a)
    .filter((k) => k.startsWith(`${prefix}.`))
    .sort((x, y) => Number(x.slice(prefix.length + 1)) - Number(y.slice(prefix.length + 1)))
    .map((k) => a[k]!);
}
