/**
 * Inclusive scans along a dim: cumsum, cumprod, logcumsumexp. Composites: a Hillis-Steele scan
 * (log2(n) steps of `x = op(x, x shifted by 2^k)`, the shift padding with op's identity) built
 * from narrow, cat and element-wise ops, so every backend runs it and the gradient follows from
 * theirs. cumprod's gradient therefore needs no division and is right through zeros.
 */
import { argInt, parseArgs } from '../args.ts';
import type { DType } from '../dtype.ts';
import { tidy } from '../memory.ts';
import { normalizeDim } from '../shape.ts';
import type { Tensor } from '../tensor.ts';
import { cat } from './combine.ts';
import { full } from './creation.ts';
import { abs, add, eq, exp, log1p, maximum, mul, neg, sub } from './elementwise.ts';
import { where } from './indexing.ts';
import { castTo, expectDType, expectTensor } from './util.ts';

type Combine = (a: Tensor, b: Tensor) => Tensor;

function scan(op: string, input: Tensor, dim: number, combine: Combine, identity: number, dtype: DType): Tensor {
  if (input.ndim === 0) return castTo(input, dtype, true);
  const d = normalizeDim(dim, input.ndim);
  const n = input.shape[d]!;
  return tidy(() => {
    let x = castTo(input, dtype, true);
    for (let s = 1; s < n; s *= 2) {
      const pad = full(x.shape.map((v, i) => (i === d ? s : v)), identity, { dtype, backend: x.backend });
      x = combine(x, cat([pad, x.narrow(d, 0, n - s)], d));
    }
    return x;
  });
}

function scanDim(op: string, args: readonly unknown[]): number {
  const a = parseArgs(op, args, ['dim']);
  if (a.dim === undefined) throw new TypeError(`${op}: missing the dim argument (PyTorch's ${op}(input, dim) needs it)`);
  return argInt(op, 'dim', a.dim);
}

/** bool and int32 accumulate in int32 (PyTorch: int64); float32 in float32. */
const accType = (t: Tensor): DType => (t.dtype === 'float32' ? 'float32' : 'int32');

/**
 * Cumulative sum along `dim`, PyTorch's `torch.cumsum(input, dim)`: `out[i] = x[0] + ... + x[i]`.
 * bool and int32 inputs give int32. Differentiable.
 *
 * @example
 * const x = torch.tensor([[1, 2], [3, 4]]);
 * torch.cumsum(torch.tensor([1, 2, 3]), 0);  // tensor([1, 3, 6])
 * x.cumsum({ dim: 1 });
 */
export function cumsum(input: Tensor, ...args: [dim: number | { dim: number }]): Tensor {
  expectTensor('cumsum', input);
  return scan('cumsum', input, scanDim('cumsum', args), add, 0, accType(input));
}

/**
 * Cumulative product along `dim`, PyTorch's `torch.cumprod(input, dim)`. Differentiable, also
 * through zeros (the gradient is built from products, never a division by the input).
 *
 * @example
 * torch.cumprod(torch.tensor([1, 2, 3]), 0);  // tensor([1, 2, 6])
 */
export function cumprod(input: Tensor, ...args: [dim: number | { dim: number }]): Tensor {
  expectTensor('cumprod', input);
  return scan('cumprod', input, scanDim('cumprod', args), mul, 1, accType(input));
}

/**
 * `log(exp(a) + exp(b))` without overflow, with `-inf` handled: the result is `-inf` when both
 * are, and the gradient is `exp(a - result)` (0 for a `-inf` operand).
 */
export function logAddExpPair(a: Tensor, b: Tensor): Tensor {
  return tidy(() => {
    const m = maximum(a, b);
    const bothNegInf = eq(m, -Infinity);
    // With both -inf, a - b is NaN; take 0 there (the branch is masked out below).
    const diff = where(bothNegInf, 0, sub(a, b));
    return where(bothNegInf, -Infinity, add(m, log1p(exp(neg(abs(diff))))));
  });
}

/**
 * `log(cumsum(exp(x)))` along `dim` computed stably, PyTorch's `torch.logcumsumexp(input, dim)`.
 * float32 only. Differentiable; `-inf` entries get gradient 0.
 *
 * @example
 * torch.logcumsumexp(torch.tensor([0, 0]), 0);  // tensor([0.0000, 0.6931])
 */
export function logcumsumexp(input: Tensor, ...args: [dim: number | { dim: number }]): Tensor {
  expectTensor('logcumsumexp', input);
  expectDType('logcumsumexp', input, ['float32']);
  return scan('logcumsumexp', input, scanDim('logcumsumexp', args), logAddExpPair, -Infinity, 'float32');
}
