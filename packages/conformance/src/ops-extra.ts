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
};

/** The tensors of a list argument (`operands.0`, `operands.1`, ...), in order. */
export function listArg(a: Args, prefix: string): Tensor[] {
  return Object.keys(a)
    .filter((k) => k.startsWith(`${prefix}.`))
    .sort((x, y) => Number(x.slice(prefix.length + 1)) - Number(y.slice(prefix.length + 1)))
    .map((k) => a[k]!);
}
