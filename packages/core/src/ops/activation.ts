/** Activation functions, composed from primitives (autograd differentiates them through those). */
import { tidy } from '../memory.ts';
import type { Tensor } from '../tensor.ts';
import { add, erf, expm1, gt, log1p, mul, sigmoid, tanh, exp, div, unary } from './elementwise.ts';
import { where } from './indexing.ts';

/**
 * `max(x, 0)`, a new tensor (PyTorch's `torch.relu`); float32 and int32 keep their dtype, bool computes as
 * int32.
 *
 * @example
 * ```ts
 * const x = torch.tensor([-1, 0, 2]);
 * console.log(await torch.relu(x).tolist());   // [0, 0, 2]
 * console.log(await x.relu().tolist());         // the same, as a method
 * ```
 */
export const relu = (x: Tensor): Tensor => unary('relu', x);

/** Options of {@link gelu}: which formula to use (PyTorch's `approximate`). */
export interface GeluOptions {
  /** `'none'` (exact, with erf) or `'tanh'` (the tanh approximation). */
  approximate?: 'none' | 'tanh';
}

/**
 * GELU: `x * Phi(x)`; with `approximate: 'tanh'`, `0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))`.
 *
 * @example
 * ```ts
 * const x = torch.tensor([-1, 0, 1]);
 * console.log(await torch.gelu(x).tolist());                            // [-0.1587, 0, 0.8413]
 * console.log(await torch.gelu(x, { approximate: 'tanh' }).tolist());   // GPT-2's approximation
 * ```
 */
export function gelu(x: Tensor, options?: GeluOptions): Tensor {
  const approximate = options?.approximate ?? 'none';
  if (approximate !== 'none' && approximate !== 'tanh') {
    throw new RangeError(`gelu: approximate must be 'none' or 'tanh', got '${String(approximate)}'`);
  }
  return tidy(() => {
    if (approximate === 'tanh') {
      const inner = mul(add(x, mul(mul(mul(x, x), x), 0.044715)), Math.sqrt(2 / Math.PI));
      return mul(mul(x, 0.5), add(tanh(inner), 1));
    }
    return mul(mul(x, 0.5), add(erf(mul(x, Math.SQRT1_2)), 1));
  });
}

/**
 * SiLU (swish): `x * sigmoid(x)`.
 *
 * @example
 * ```ts
 * const x = torch.tensor([0, 1]);
 * console.log(await torch.silu(x).tolist());   // [0, 0.7311]
 * console.log(await x.silu().tolist());         // the same, as a method
 * ```
 */
export function silu(x: Tensor): Tensor {
  return tidy(() => mul(x, sigmoid(x)));
}

/**
 * `x` where `x > 0`, else `negativeSlope * x`.
 *
 * @example
 * ```ts
 * console.log(await torch.leakyRelu(torch.tensor([-2, 2]), 0.1).tolist());   // [-0.2, 2]
 * ```
 */
export function leakyRelu(x: Tensor, negativeSlope = 0.01): Tensor {
  return tidy(() => where(gt(x, 0), x, mul(x, negativeSlope)));
}

/**
 * `x` where `x > 0`, else `alpha * (exp(x) - 1)`.
 *
 * @example
 * ```ts
 * console.log(await torch.elu(torch.tensor([-1, 1])).tolist());   // [-0.6321, 1]
 * ```
 */
export function elu(x: Tensor, alpha = 1): Tensor {
  return tidy(() => where(gt(x, 0), x, mul(expm1(x), alpha)));
}

/** Options of {@link softplus} (PyTorch's `F.softplus` arguments). */
export interface SoftplusOptions {
  /** Scales the input: `log(1 + exp(beta x)) / beta` (default 1). */
  beta?: number;
  /** Where `beta x` exceeds this the result is `x` itself, so `exp` cannot overflow (default 20). */
  threshold?: number;
}

/**
 * `log(1 + exp(beta x)) / beta`, and `x` itself where `beta x > threshold` (PyTorch's rule).
 *
 * @example
 * ```ts
 * console.log(await torch.softplus(torch.tensor([0]), { beta: 2 }).tolist());   // [0.3466] = log(2) / 2
 * ```
 */
export function softplus(x: Tensor, options?: SoftplusOptions): Tensor {
  const beta = options?.beta ?? 1;
  const threshold = options?.threshold ?? 20;
  return tidy(() => {
    const bx = mul(x, beta);
    const linear = gt(bx, threshold);
    // The log1p branch sees 0 where the linear branch is taken, so exp never overflows there:
    // an inf in the unused branch would turn its zero gradient into NaN (0 * inf).
    const safe = where(linear, 0, bx);
    return where(linear, x, div(log1p(exp(safe)), beta));
  });
}
