/**
 * Products built on mul and matmul: outer, kron, cross, cdist, addmm, addbmm, baddbmm.
 * Composites, so every backend runs them and autograd differentiates them.
 */
import { argInt, argNumber, parseArgs, show } from '../args.ts';
import { tidy } from '../memory.ts';
import { broadcastShapes, normalizeDim, shapeStr } from '../shape.ts';
import type { Tensor } from '../tensor.ts';
import { fromArray } from './creation.ts';
import { add, mul, sub } from './elementwise.ts';
import { indexSelect } from './indexing.ts';
import { bmm, mm } from './linalg.ts';
import { vectorNorm } from './norm.ts';
import { sum } from './reduce.ts';
import { expectTensor } from './util.ts';

/**
 * The outer product of two 1-D tensors, `out[i, j] = input[i] * vec2[j]` (PyTorch's
 * `torch.outer`, alias `ger`).
 *
 * @example
 * torch.outer(torch.tensor([1, 2]), torch.tensor([3, 4]));  // tensor([[3, 4], [6, 8]])
 */
export function outer(input: Tensor, vec2: Tensor): Tensor {
  expectTensor('outer', input);
  expectTensor('outer', vec2, 'vec2');
  if (input.ndim !== 1 || vec2.ndim !== 1) throw new RangeError(`outer: expected two 1-D tensors, got shapes ${shapeStr(input.shape)} and ${shapeStr(vec2.shape)}`);
  return tidy(() => mul(input.unsqueeze(1), vec2.unsqueeze(0)));
}

/**
 * The Kronecker product (PyTorch's `torch.kron`): block `(i, j)` of the result is
 * `input[i, j] * other`, for any ranks (the smaller one padded with leading 1s).
 *
 * @example
 * torch.kron(torch.eye(2), torch.ones(2, 2)).shape;  // [4, 4]
 */
export function kron(input: Tensor, other: Tensor): Tensor {
  expectTensor('kron', input);
  expectTensor('kron', other, 'other');
  const n = Math.max(input.ndim, other.ndim);
  const a = [...new Array<number>(n - input.ndim).fill(1), ...input.shape];
  const b = [...new Array<number>(n - other.ndim).fill(1), ...other.shape];
  return tidy(() => {
    // [a0, 1, a1, 1, ...] * [1, b0, 1, b1, ...] -> [a0, b0, a1, b1, ...] -> [a0*b0, a1*b1, ...]
    const ai = input.reshape(a.flatMap((s) => [s, 1]));
    const bi = other.reshape(b.flatMap((s) => [1, s]));
    return mul(ai, bi).reshape(a.map((s, i) => s * b[i]!));
  });
}

/**
 * The cross product of 3-vectors along `dim` (PyTorch's `torch.cross(input, other, dim=None)`;
 * without `dim`, the first dim of size 3, PyTorch's deprecated default — prefer
 * `torch.linalg.cross`, whose default is -1). Broadcasts. Differentiable.
 *
 * @example
 * torch.cross(torch.tensor([[1, 0, 0]]), torch.tensor([[0, 1, 0]]), 1);  // tensor([[0, 0, 1]])
 */
export function cross(input: Tensor, other: Tensor, dim?: number | null | { dim?: number | null }): Tensor {
  expectTensor('cross', input);
  expectTensor('cross', other, 'other');
  const a = parseArgs('cross', [dim], ['dim']);
  const shape = broadcastShapes(input.shape, other.shape);
  let d: number;
  if (a.dim === undefined || a.dim === null) {
    d = shape.indexOf(3);
    if (d < 0) throw new RangeError(`cross: no dimension of size 3 in input (broadcast shape ${shapeStr(shape)})`);
  } else d = normalizeDim(argInt('cross', 'dim', a.dim), shape.length);
  if (shape[d] !== 3) throw new RangeError(`cross: inputs dimension ${d} must have length 3, got shape ${shapeStr(shape)}`);
  return tidy(() => {
    const x = input.expand(shape), y = other.expand(shape);
    const i120 = fromArray(Int32Array.of(1, 2, 0), [3], { backend: input.backend });
    const i201 = fromArray(Int32Array.of(2, 0, 1), [3], { backend: input.backend });
    return sub(mul(indexSelect(x, d, i120), indexSelect(y, d, i201)), mul(indexSelect(x, d, i201), indexSelect(y, d, i120)));
  });
}

/**
 * `torch.linalg.cross(input, other, dim=-1)`: {@link cross} with PyTorch's new default dim.
 *
 * @example
 * ```ts
 * const a = torch.tensor([[1, 0, 0]]), b = torch.tensor([[0, 1, 0]]);
 * console.log(await torch.linalg.cross(a, b).tolist());   // [[0, 0, 1]] (dim -1, as torch.linalg.cross)
 * ```
 */
export function linalgCross(input: Tensor, other: Tensor, dim: number | { dim?: number } = -1): Tensor {
  const a = parseArgs('linalg.cross', [dim], ['dim']);
  return cross(input, other, a.dim === undefined ? -1 : (a.dim as number));
}

/**
 * The `p`-norm distance between each row of `x1` `[..., P, M]` and each row of `x2` `[..., R, M]`:
 * `[..., P, R]`, PyTorch's `torch.cdist(x1, x2, p=2)` (computed directly, never through the
 * `|a|^2 + |b|^2 - 2ab` expansion, so distances of 0 are exact and their gradient is 0).
 *
 * @example
 * const a = torch.randn([5, 3]), b = torch.randn([4, 3]);   // -> distances [5, 4]
 * torch.cdist(a, b);  torch.cdist(a, b, 1);  torch.cdist(a, b, { p: Infinity });
 */
export function cdist(x1: Tensor, x2: Tensor, p: number | { p?: number } = 2): Tensor {
  expectTensor('cdist', x1, 'x1');
  expectTensor('cdist', x2, 'x2');
  const a = parseArgs('cdist', [p], ['p']);
  const pv = a.p === undefined ? 2 : argNumber('cdist', 'p', a.p, 0);
  if (x1.ndim < 2 || x2.ndim < 2) throw new RangeError(`cdist only supports at least 2D tensors, X1 got: ${x1.ndim}D, X2 got: ${x2.ndim}D`);
  if (x1.shape[x1.ndim - 1] !== x2.shape[x2.ndim - 1]) {
    throw new RangeError(`X1 and X2 must have the same number of columns. X1: ${x1.shape[x1.ndim - 1]} X2: ${x2.shape[x2.ndim - 1]}`);
  }
  return tidy(() => vectorNorm(sub(x1.unsqueeze(-2), x2.unsqueeze(-3)), pv, -1));
}

/** `beta` and `alpha` of addmm/addbmm/baddbmm (keyword-only in PyTorch). */
export interface AddmmOptions {
  /** Multiplies `input` (default 1; with 0, `input` is ignored, NaN included). */
  beta?: number;
  /** Multiplies the product (default 1). */
  alpha?: number;
}

function scaled(op: string, input: Tensor, product: Tensor, options: AddmmOptions | undefined): Tensor {
  const a = parseArgs(op, options === undefined ? [] : [options], [], ['beta', 'alpha']);
  const beta = a.beta === undefined ? 1 : argNumber(op, 'beta', a.beta);
  const alpha = a.alpha === undefined ? 1 : argNumber(op, 'alpha', a.alpha);
  const p = alpha === 1 ? product : mul(product, alpha);
  if (beta === 0) return p.expand(broadcastShapes(input.shape, p.shape)).contiguous();
  return add(beta === 1 ? input : mul(input, beta), p);
}

/**
 * `beta * input + alpha * (mat1 @ mat2)` (PyTorch's `torch.addmm(input, mat1, mat2, *, beta=1,
 * alpha=1)`); `input` broadcasts to the product's shape.
 *
 * @example
 * const x = torch.randn([4, 3]), w = torch.randn([3, 2]), bias = torch.zeros([2]);
 * const a = x, b = w, c = torch.ones([4, 2]);
 * torch.addmm(bias, x, w);  torch.addmm(c, a, b, { beta: 0.5, alpha: 2 });
 */
export function addmm(input: Tensor, mat1: Tensor, mat2: Tensor, options?: AddmmOptions): Tensor {
  expectTensor('addmm', input);
  if (typeof options !== 'undefined' && (typeof options !== 'object' || options === null)) throw new TypeError(`addmm: beta and alpha are keyword-only; pass { beta, alpha }, got ${show(options)}`);
  return tidy(() => scaled('addmm', input, mm(mat1, mat2), options));
}

/**
 * `beta * input + alpha * sum_b(batch1[b] @ batch2[b])` (PyTorch's `torch.addbmm`).
 *
 * @example
 * const m = torch.zeros([3, 5]), b1 = torch.randn([4, 3, 2]), b2 = torch.randn([4, 2, 5]);
 * torch.addbmm(m, b1, b2);
 */
export function addbmm(input: Tensor, batch1: Tensor, batch2: Tensor, options?: AddmmOptions): Tensor {
  expectTensor('addbmm', input);
  return tidy(() => scaled('addbmm', input, sum(bmm(batch1, batch2), 0), options));
}

/**
 * `beta * input + alpha * (batch1 @ batch2)` per batch (PyTorch's `torch.baddbmm`).
 *
 * @example
 * const scores = torch.zeros([2, 4, 4]), q = torch.randn([2, 4, 8]), k = torch.randn([2, 4, 8]);
 * torch.baddbmm(scores, q, k.mT, { alpha: 0.125 });
 */
export function baddbmm(input: Tensor, batch1: Tensor, batch2: Tensor, options?: AddmmOptions): Tensor {
  expectTensor('baddbmm', input);
  return tidy(() => scaled('baddbmm', input, bmm(batch1, batch2), options));
}
