/**
 * Norms: `norm` (torch.norm), `linalg.vectorNorm`, `linalg.matrixNorm`, composed of reductions.
 * The 2-norm's square root is guarded so that an all-zero slice has gradient 0 (PyTorch's
 * convention) rather than `0 * inf = NaN`. SVD-based orders (2, -2, 'nuc') are not provided.
 */
import { argBool, argDims, parseArgs, show } from '../args.ts';
import { tidy } from '../memory.ts';
import { normalizeDims, shapeStr } from '../shape.ts';
import type { Tensor } from '../tensor.ts';
import { abs, eq, ne, pow, sqrt } from './elementwise.ts';
import { where } from './indexing.ts';
import { amax, amin, sum } from './reduce.ts';
import { castTo, expectDType, expectTensor } from './util.ts';

/** A vector norm's order: a number (`Infinity`, `-Infinity`, 0, 1, 2, any p) . */
export type VectorOrd = number;
/** A matrix norm's order: 'fro', 1, -1, Infinity, -Infinity. */
export type MatrixOrd = 'fro' | number;

/** Options of {@link vectorNorm}. */
export interface VectorNormOptions {
  /** The order (default 2). */
  ord?: number;
  /** Dims to reduce (default all). */
  dim?: number | readonly number[] | null;
  /** Keep reduced dims as size 1 (default false). */
  keepdim?: boolean;
}

/** `sqrt(s)` with gradient 0 where `s == 0` (instead of NaN). */
function safeSqrt(s: Tensor): Tensor {
  return tidy(() => {
    const zero = eq(s, 0);
    return where(zero, 0, sqrt(where(zero, 1, s)));
  });
}

/** `s^(1/p)` with gradient 0 where `s == 0`. */
function safeRoot(s: Tensor, p: number): Tensor {
  return tidy(() => {
    const zero = eq(s, 0);
    return where(zero, 0, pow(where(zero, 1, s), 1 / p));
  });
}

function vectorNormImpl(op: string, x: Tensor, ord: number, dim: number | number[] | null, keepdim: boolean): Tensor {
  expectTensor(op, x);
  expectDType(op, x, ['float32']);
  if (typeof ord !== 'number' || Number.isNaN(ord)) throw new TypeError(`${op}: ord must be a number (Infinity for the max norm), got ${show(ord)}`);
  const o = { dim, keepdim };
  return tidy(() => {
    const a = abs(x);
    if (ord === Infinity) return amax(a, o);
    if (ord === -Infinity) return amin(a, o);
    if (ord === 0) return castTo(sum(ne(x, 0), o), 'float32', true);
    if (ord === 1) return sum(a, o);
    if (ord === 2) return safeSqrt(sum(x.mul(x), o));
    return safeRoot(sum(pow(a, ord), o), ord);
  });
}

/**
 * The vector `ord`-norm over `dim` (every element by default), PyTorch's
 * `torch.linalg.vector_norm(x, ord=2, dim=None, keepdim=False)`: `ord` may be any number,
 * `Infinity` (max |x|), `-Infinity` (min |x|) or 0 (count of non-zeros). float32.
 * Differentiable; an all-zero slice has gradient 0.
 *
 * @example
 * const x = torch.tensor([[3, 4], [1, 2]]);
 * torch.linalg.vectorNorm(x);                       // the 2-norm of every element
 * torch.linalg.vectorNorm(x, 1, -1);  torch.linalg.vectorNorm(x, { ord: Infinity, dim: [0, 1] });
 */
export function vectorNorm(x: Tensor, ...args: [ord?: number | VectorNormOptions, dim?: number | readonly number[] | null | VectorNormOptions, keepdim?: boolean | VectorNormOptions]): Tensor {
  const a = parseArgs('linalg.vectorNorm', args, ['ord', 'dim', 'keepdim']);
  const keepdim = a.keepdim === undefined ? false : argBool('linalg.vectorNorm', 'keepdim', a.keepdim);
  return vectorNormImpl('linalg.vectorNorm', x, a.ord === undefined ? 2 : (a.ord as number), argDims('linalg.vectorNorm', a.dim), keepdim);
}

/** Options of {@link matrixNorm}. */
export interface MatrixNormOptions {
  /** 'fro' (default), 1, -1, Infinity or -Infinity. */
  ord?: MatrixOrd;
  /** The two matrix dims (default [-2, -1]). */
  dim?: readonly number[];
  /** Keep them as size 1 (default false). */
  keepdim?: boolean;
}

/**
 * The matrix norm of the last two dims (or `dim`), PyTorch's `torch.linalg.matrix_norm(A,
 * ord='fro', dim=(-2, -1), keepdim=False)`: 'fro', 1 / -1 (max / min column sum of |A|),
 * Infinity / -Infinity (max / min row sum). The SVD norms (2, -2, 'nuc') throw. Differentiable.
 *
 * @example
 * const a = torch.randn([2, 3, 3]);
 * torch.linalg.matrixNorm(a);  torch.linalg.matrixNorm(a, Infinity);  torch.linalg.matrixNorm(a, { ord: 1, dim: [0, 2] });
 */
export function matrixNorm(x: Tensor, ...args: [ord?: MatrixOrd | MatrixNormOptions, dim?: readonly number[] | MatrixNormOptions, keepdim?: boolean | MatrixNormOptions]): Tensor {
  const op = 'linalg.matrixNorm';
  expectTensor(op, x);
  const a = parseArgs(op, args, ['ord', 'dim', 'keepdim']);
  const ord = (a.ord ?? 'fro') as MatrixOrd;
  const keepdim = a.keepdim === undefined ? false : argBool(op, 'keepdim', a.keepdim);
  const dimArg = a.dim === undefined ? [-2, -1] : argDims(op, a.dim);
  if (!Array.isArray(dimArg) || dimArg.length !== 2) throw new RangeError(`${op}: dim must be a list of two dims, got ${show(a.dim)}`);
  if (x.ndim < 2) throw new RangeError(`${op}: the input must have at least 2 dims, got shape ${shapeStr(x.shape)}`);
  const [d0, d1] = normalizeDims(dimArg, x.ndim) as [number, number];
  if (ord === 'fro') return vectorNormImpl(op, x, 2, [d0, d1], keepdim);
  if (ord === 1 || ord === -1 || ord === Infinity || ord === -Infinity) {
    expectDType(op, x, ['float32']);
    // ord ±1 sums over rows (d0) then takes the extreme over columns; ±Infinity the reverse.
    const [inner, outer] = ord === 1 || ord === -1 ? [d0, d1] : [d1, d0];
    const ext = ord > 0 ? amax : amin;
    return tidy(() => {
      const s = sum(abs(x), inner, true);
      const r = ext(s, outer, true);
      return keepdim ? r : r.squeeze([d0, d1]);
    });
  }
  throw new RangeError(`${op}: ord ${show(ord)} is not supported (supported: 'fro', 1, -1, Infinity, -Infinity; 2, -2 and 'nuc' need an SVD, which torchlet does not have)`);
}

/**
 * PyTorch's `torch.norm(input, p='fro', dim=None, keepdim=False)`: a number `p` is the vector
 * `p`-norm over `dim` (all elements by default); 'fro' is the 2-norm over `dim`. Prefer
 * {@link vectorNorm} / {@link matrixNorm}, as PyTorch does. Also `x.norm(...)`.
 *
 * @example
 * const x = torch.tensor([[3, 4], [1, 2]]);
 * torch.norm(x);  torch.norm(x, 1, -1, true);  x.norm({ p: Infinity, dim: 1 });
 */
export function norm(input: Tensor, ...args: [p?: number | 'fro' | NormOptions, dim?: number | readonly number[] | null | NormOptions, keepdim?: boolean | NormOptions]): Tensor {
  const a = parseArgs('norm', args, ['p', 'dim', 'keepdim']);
  const keepdim = a.keepdim === undefined ? false : argBool('norm', 'keepdim', a.keepdim);
  const p = a.p ?? 'fro';
  if (p === 'nuc') throw new RangeError("norm: p='nuc' needs an SVD, which torchlet does not have");
  return vectorNormImpl('norm', input, p === 'fro' ? 2 : (p as number), argDims('norm', a.dim), keepdim);
}

/** Options of {@link norm}. */
export interface NormOptions {
  /** The order: a number or 'fro' (default). */
  p?: number | 'fro';
  /** Dims to reduce (default all). */
  dim?: number | readonly number[] | null;
  /** Keep reduced dims as size 1. */
  keepdim?: boolean;
}
