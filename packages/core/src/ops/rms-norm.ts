/**
 * Root-mean-square layer normalization (Zhang & Sennrich 2019), the norm of the Llama family:
 * PyTorch's `F.rms_norm` (2.4+). A composite of elementwise ops and a mean, so every backend
 * runs it and autograd differentiates it with no rule of its own.
 */
import { isFloat } from '../dtype.ts';
import { tidy } from '../memory.ts';
import { shapeStr } from '../shape.ts';
import type { Tensor } from '../tensor.ts';
import { add, mul, rsqrt } from './elementwise.ts';
import { mean } from './reduce.ts';
import { describe, expectTensor } from './util.ts';

/** Options of {@link rmsNorm}: the optional elementwise `weight` and `eps`. */
export interface RMSNormOptions {
  /** Elementwise scale of shape `normalizedShape` (Llama's `*_layernorm.weight`). */
  weight?: Tensor | null;
  /**
   * Added to the mean square before the square root. Default: float32's machine epsilon
   * (`2 ** -23`), as PyTorch's `eps=None`; Llama checkpoints set their own (`rms_norm_eps`, 1e-5 or 1e-6).
   */
  eps?: number | null;
}

/**
 * `x / sqrt(mean(x², over the last normalizedShape.length dims) + eps) * weight`.
 * Returns a new tensor the caller owns.
 *
 * @example
 * ```ts
 * const x = torch.randn([2, 5, 16]);
 * const w = torch.ones([16]);
 * const y = torch.rmsNorm(x, 16, { weight: w, eps: 1e-6 }); // (2, 5, 16), each row of unit RMS
 * ```
 */
export function rmsNorm(x: Tensor, normalizedShape: number | readonly number[], options: RMSNormOptions = {}): Tensor {
  expectTensor('rmsNorm', x);
  if (!isFloat(x.dtype)) {
    throw new TypeError(`rmsNorm: expected a floating-point input, got ${x.dtype} (shape ${shapeStr(x.shape)})`);
  }
  const ns = typeof normalizedShape === 'number' ? [normalizedShape] : Array.isArray(normalizedShape) ? [...normalizedShape] : null;
  if (ns === null || ns.length === 0 || ns.some((s) => !Number.isInteger(s) || s < 0)) {
    throw new RangeError(`rmsNorm: normalizedShape must be an integer or a non-empty list of integers, got ${describe(normalizedShape)}`);
  }
  const k = ns.length;
  if (x.ndim < k || ns.some((s, i) => x.shape[x.ndim - k + i] !== s)) {
    throw new RangeError(`rmsNorm: Given normalized_shape=${shapeStr(ns)}, expected input with shape [*, ${ns.join(', ')}], but got input of size ${shapeStr(x.shape)}`);
  }
  const { weight = null, eps = null } = options;
  if (weight !== null) {
    expectTensor('rmsNorm', weight, 'weight');
    if (weight.ndim !== k || weight.shape.some((s, i) => s !== ns[i])) {
      throw new RangeError(`rmsNorm: Expected weight to be of same shape as normalized_shape, but got weight of shape ${shapeStr(weight.shape)} and normalized_shape = ${shapeStr(ns)}`);
    }
  }
  const e = eps ?? 2 ** -23;
  if (typeof e !== 'number' || !(e >= 0)) throw new RangeError(`rmsNorm: eps must be a non-negative number, got ${describe(eps)}`);
  const dims = ns.map((_, i) => x.ndim - k + i);
  return tidy(() => {
    const y = mul(x, rsqrt(add(mean(mul(x, x), { dim: dims, keepdim: true }), e)));
    return weight ? mul(y, weight) : y;
  });
}
