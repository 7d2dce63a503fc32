/** RMSNorm (PyTorch's `nn.RMSNorm`, 2.4+): the normalization layer of the Llama family. */
import * as T from '@torchlet/core';
import type { Tensor } from '@torchlet/core';
import { Module } from '../module.ts';
import type { Parameter } from '../parameter.ts';
import { ones_ } from '../init.ts';
import { newParameter } from './linear.ts';
import { checkBool, checkInt, checkNumber, pyBool, pyFloat } from './args.ts';

/** Options of `RMSNorm` (PyTorch's keyword arguments, camelCase). */
export interface RMSNormOptions {
  /** Added to the mean square; null (default) uses float32's machine epsilon, as PyTorch. */
  eps?: number | null;
  /** Learn an elementwise `weight` (ones) of shape `normalizedShape` (default true). */
  elementwiseAffine?: boolean;
}

const KEYS = new Set(['eps', 'elementwiseAffine']);

/**
 * Root-mean-square normalization over the last `normalizedShape.length` dims:
 * `x / sqrt(mean(x²) + eps) * weight` (no centring, no bias). Parameter `weight` (ones) under
 * the state-dict key `weight`. Arguments as PyTorch: `new RMSNorm(64)`, `new RMSNorm(64, 1e-5)`,
 * `new RMSNorm(64, { eps: 1e-5, elementwiseAffine: false })`.
 *
 * @example
 * ```ts
 * const norm = new nn.RMSNorm(16, { eps: 1e-6 });
 * const y = norm.forward(torch.randn([2, 5, 16])); // (2, 5, 16)
 * ```
 */
export class RMSNorm extends Module {
  /** The trailing dims normalized over, PyTorch's `normalized_shape`. */
  readonly normalizedShape: number[];
  /** Added to the mean square; null: float32's machine epsilon, as PyTorch. */
  readonly eps: number | null;
  /** Whether `weight` exists. Default true, as in PyTorch. */
  readonly elementwiseAffine: boolean;
  /** Elementwise scale of shape `normalizedShape`, initialised to ones; null without `elementwiseAffine`. */
  weight: Parameter | null = null;

  constructor(normalizedShape: number | readonly number[], eps?: number | null | RMSNormOptions, elementwiseAffine?: boolean) {
    super();
    const options: RMSNormOptions = eps !== null && typeof eps === 'object' ? eps : { eps: eps ?? null, elementwiseAffine: elementwiseAffine ?? true };
    for (const k of Object.keys(options)) if (!KEYS.has(k)) throw new TypeError(`RMSNorm: unknown option '${k}' (known: eps, elementwiseAffine)`);
    const ns = typeof normalizedShape === 'number' ? [normalizedShape] : Array.isArray(normalizedShape) ? [...normalizedShape] : null;
    if (ns === null || ns.length === 0) throw new RangeError(`RMSNorm: normalizedShape must be an integer or a non-empty list of integers, got ${JSON.stringify(normalizedShape)}`);
    this.normalizedShape = ns.map((s) => checkInt('RMSNorm', 'normalizedShape', s, 0));
    this.eps = options.eps == null ? null : checkNumber('RMSNorm', 'eps', options.eps, 0);
    this.elementwiseAffine = checkBool('RMSNorm', 'elementwiseAffine', options.elementwiseAffine ?? true);
    if (this.elementwiseAffine) this.weight = newParameter(this.normalizedShape);
    this.resetParameters();
  }

  /** Sets `weight` to ones, in place. */
  resetParameters(): void {
    if (this.weight) ones_(this.weight);
  }

  /** `input (*, ...normalizedShape)` -> same shape. Throws a RangeError when the trailing dims differ from `normalizedShape`. */
  forward(input: Tensor): Tensor {
    return T.rmsNorm(input, this.normalizedShape, { weight: this.weight, eps: this.eps });
  }

  override extraRepr(): string {
    const ns = this.normalizedShape.length === 1 ? `(${this.normalizedShape[0]},)` : `(${this.normalizedShape.join(', ')})`;
    return `${ns}, eps=${this.eps === null ? 'None' : pyFloat(this.eps)}, elementwise_affine=${pyBool(this.elementwiseAffine)}`;
  }
}
