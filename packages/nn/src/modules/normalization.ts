/** Normalization layers: BatchNorm1d, BatchNorm2d and LayerNorm over core's `batchNorm`/`layerNorm`. */
import * as T from '@torchlet/core';
import type { Tensor } from '@torchlet/core';
import { Module } from '../module.ts';
import type { Parameter } from '../parameter.ts';
import { ones_, zeros_ } from '../init.ts';
import { newParameter } from './linear.ts';
import { checkBool, checkInt, checkNumber, pyBool, pyFloat, pyTuple } from './args.ts';

/** Options of `BatchNorm1d` and `BatchNorm2d` (PyTorch's keyword arguments, camelCase). Invalid values throw a RangeError from the constructor. */
export interface BatchNormOptions {
  /** Added to the variance (default 1e-5). */
  eps?: number;
  /** Weight of each batch in the running statistics (default 0.1); `null` gives a cumulative average. */
  momentum?: number | null;
  /** Learn a per-channel scale and shift (default true). */
  affine?: boolean;
  /** Keep running statistics for evaluation (default true); without them evaluation uses batch statistics. */
  trackRunningStats?: boolean;
}

/**
 * PyTorch's `_BatchNorm`: parameters `weight` (ones) and `bias` (zeros) when affine; buffers
 * `running_mean` (zeros), `running_var` (ones) and `num_batches_tracked` (int32 0, PyTorch's
 * int64) when tracking, under PyTorch's state-dict keys. Training normalizes with the batch
 * statistics and updates the running ones; evaluation uses the running ones.
 */
abstract class BatchNormNd extends Module {
  /** Channels C (dim 1 of the input), PyTorch's `num_features`. */
  readonly numFeatures: number;
  /** Added to the variance. Default 1e-5, as in PyTorch. */
  readonly eps: number;
  /** Weight of each batch in the running statistics, or null for a cumulative average. Default 0.1, as in PyTorch. */
  readonly momentum: number | null;
  /** Whether `weight` and `bias` exist (learned per-channel scale and shift). Default true, as in PyTorch. */
  readonly affine: boolean;
  /** Whether the running-statistics buffers exist; without them evaluation normalizes with batch statistics. Default true, as in PyTorch. */
  readonly trackRunningStats: boolean;
  /** Per-channel scale `(C)`, initialised to ones; state-dict key `weight`; null when not `affine`. */
  weight: Parameter | null = null;
  /** Per-channel shift `(C)`, initialised to zeros; state-dict key `bias`; null when not `affine`. */
  bias: Parameter | null = null;
  /** Buffer `(C)`: running mean, zeros at first, updated in place in training; state-dict key `running_mean`; null when not tracking. */
  runningMean: Tensor | null = null;
  /** Buffer `(C)`: running unbiased variance, ones at first, updated in place in training; state-dict key `running_var`; null when not tracking. */
  runningVar: Tensor | null = null;
  /** Buffer `()` int32 (PyTorch's int64): training batches seen, incremented in place; state-dict key `num_batches_tracked`; null when not tracking. */
  numBatchesTracked: Tensor | null = null;

  constructor(layer: string, numFeatures: number, options: BatchNormOptions) {
    super();
    this.numFeatures = checkInt(layer, 'numFeatures', numFeatures, 1);
    this.eps = checkNumber(layer, 'eps', options.eps ?? 1e-5, 0);
    const momentum = options.momentum === undefined ? 0.1 : options.momentum;
    this.momentum = momentum === null ? null : checkNumber(layer, 'momentum', momentum, 0, 1);
    this.affine = checkBool(layer, 'affine', options.affine ?? true);
    this.trackRunningStats = checkBool(layer, 'trackRunningStats', options.trackRunningStats ?? true);
    if (this.affine) {
      this.weight = newParameter([numFeatures]);
      this.bias = newParameter([numFeatures]);
    }
    if (this.trackRunningStats) {
      this.registerBuffer('runningMean', T.zeros([numFeatures]));
      this.registerBuffer('runningVar', T.ones([numFeatures]));
      this.registerBuffer('numBatchesTracked', T.zeros([], { dtype: 'int32' }));
    } else {
      // Registered as null, as PyTorch: no state-dict entries.
      this.registerBuffer('runningMean', null);
      this.registerBuffer('runningVar', null);
      this.registerBuffer('numBatchesTracked', null);
    }
    this.resetParameters();
  }

  /** Resets the running statistics in place (mean 0, variance 1, count 0); does nothing when not tracking. */
  resetRunningStats(): void {
    if (!this.trackRunningStats) return;
    zeros_(this.runningMean!);
    ones_(this.runningVar!);
    zeros_(this.numBatchesTracked!);
  }

  /** `resetRunningStats()`, then `weight` to ones and `bias` to zeros, in place. */
  resetParameters(): void {
    this.resetRunningStats();
    if (this.weight) ones_(this.weight);
    if (this.bias) zeros_(this.bias);
  }

  /** Throws unless `input` has a shape this layer accepts. */
  protected abstract checkInput(input: Tensor): void;

  /**
   * `input: (N, C, *) -> (N, C, *)`. Training uses the batch statistics and updates the running buffers in place (under noGrad);
   * evaluation uses the running ones. Throws a RangeError for a wrong rank or channel count.
   */
  forward(input: Tensor): Tensor {
    this.checkInput(input);
    const c = input.shape[1];
    if (c !== this.numFeatures) {
      throw new RangeError(`${this.constructor.name}: expected input with ${this.numFeatures} channels (dim 1), got input of size [${input.shape.join(', ')}]`);
    }
    const track = this.training && this.trackRunningStats;
    if (track) T.noGrad(() => T.tidy(() => void this.numBatchesTracked!.add_(1)));
    // Batch statistics in training, and in evaluation when there are no running ones.
    const useBatch = this.training || !this.trackRunningStats;
    if (track && this.momentum === null) return this.cumulativeForward(input);
    return T.batchNorm(input, track || !this.training ? this.runningMean : null, track || !this.training ? this.runningVar : null, {
      weight: this.weight, bias: this.bias, training: useBatch, momentum: this.momentum ?? 0, eps: this.eps,
    });
  }

  /**
   * `momentum: null`: the running statistics are the plain average of every batch so far, i.e.
   * an update with factor `1 / numBatchesTracked`. That factor stays a tensor (no readback).
   */
  private cumulativeForward(input: Tensor): Tensor {
    const y = T.batchNorm(input, null, null, { weight: this.weight, bias: this.bias, training: true, eps: this.eps });
    T.noGrad(() =>
      T.tidy(() => {
        const x = input.detach();
        const dims = x.shape.map((_, i) => i).filter((i) => i !== 1);
        const factor = this.numBatchesTracked!.to('float32').reciprocal();
        const mu = T.mean(x, { dim: dims });
        const v = T.var(x, { dim: dims, unbiased: true });
        this.runningMean!.copy_(this.runningMean!.add(mu.sub(this.runningMean!).mul(factor)));
        this.runningVar!.copy_(this.runningVar!.add(v.sub(this.runningVar!).mul(factor)));
      }),
    );
    return y;
  }

  override extraRepr(): string {
    return `${this.numFeatures}, eps=${pyFloat(this.eps)}, momentum=${this.momentum === null ? 'None' : pyFloat(this.momentum)}, affine=${pyBool(this.affine)}, track_running_stats=${pyBool(this.trackRunningStats)}`;
  }
}

/** PyTorch's positional order of batch norm's options after `num_features`. */
const BATCHNORM_ARGS = ['eps', 'momentum', 'affine', 'trackRunningStats'] as const;

/**
 * Batch normalization over `(N, C)` or `(N, C, L)` input (PyTorch's `nn.BatchNorm1d`).
 *
 * @example
 * ```ts
 * const bn = new nn.BatchNorm1d(16);
 * const y = bn.forward(torch.randn([32, 16]));   // training mode: batch statistics, running stats updated
 * bn.eval();                                      // evaluation: the running statistics
 * ```
 */
export class BatchNorm1d extends BatchNormNd {
  /** PyTorch's `BatchNorm1d(num_features, eps, momentum, affine, track_running_stats)`, positionally and/or as options. */
  constructor(numFeatures: number, ...args: T.PosArgs<BatchNormOptions, typeof BATCHNORM_ARGS>) {
    super('BatchNorm1d', numFeatures, T.parseArgs('BatchNorm1d', args, BATCHNORM_ARGS) as BatchNormOptions);
  }

  protected checkInput(input: Tensor): void {
    if (input.ndim !== 2 && input.ndim !== 3) throw new RangeError(`BatchNorm1d: expected 2D or 3D input (got ${input.ndim}D input of size [${input.shape.join(', ')}])`);
  }
}

/**
 * Batch normalization over `(N, C, H, W)` input (PyTorch's `nn.BatchNorm2d`).
 *
 * @example
 * ```ts
 * const bn = new nn.BatchNorm2d(32, { momentum: 0.1 });
 * const y = bn.forward(torch.randn([8, 32, 14, 14]));
 * console.log(Object.keys(bn.stateDict()));   // weight, bias, running_mean, running_var, num_batches_tracked
 * ```
 */
export class BatchNorm2d extends BatchNormNd {
  /** PyTorch's `BatchNorm2d(num_features, eps, momentum, affine, track_running_stats)`, positionally and/or as options. */
  constructor(numFeatures: number, ...args: T.PosArgs<BatchNormOptions, typeof BATCHNORM_ARGS>) {
    super('BatchNorm2d', numFeatures, T.parseArgs('BatchNorm2d', args, BATCHNORM_ARGS) as BatchNormOptions);
  }

  protected checkInput(input: Tensor): void {
    if (input.ndim !== 4) throw new RangeError(`BatchNorm2d: expected 4D input (got ${input.ndim}D input of size [${input.shape.join(', ')}])`);
  }
}

/** Options of `LayerNorm` (PyTorch's keyword arguments, camelCase). */
export interface LayerNormOptions {
  /** Added to the variance (default 1e-5). */
  eps?: number;
  /** Learn an elementwise `weight` (ones) and `bias` (zeros) of shape `normalizedShape` (default true). */
  elementwiseAffine?: boolean;
}

/**
 * Layer normalization over the last `normalizedShape.length` dims (PyTorch's `nn.LayerNorm`).
 *
 * @example
 * ```ts
 * const ln = new nn.LayerNorm(512, { eps: 1e-5 });
 * const y = ln.forward(torch.randn([2, 10, 512]));   // normalised over the last dim
 * ```
 */
export class LayerNorm extends Module {
  /** The trailing dims normalized over, PyTorch's `normalized_shape`. */
  readonly normalizedShape: number[];
  /** Added to the variance. Default 1e-5, as in PyTorch. */
  readonly eps: number;
  /** Whether `weight` and `bias` exist. Default true, as in PyTorch. */
  readonly elementwiseAffine: boolean;
  /** Elementwise scale of shape `normalizedShape`, initialised to ones; state-dict key `weight`; null without `elementwiseAffine`. */
  weight: Parameter | null = null;
  /** Elementwise shift of shape `normalizedShape`, initialised to zeros; state-dict key `bias`; null without `elementwiseAffine`. */
  bias: Parameter | null = null;

  /** PyTorch's `LayerNorm(normalized_shape, eps, elementwise_affine)`, positionally and/or as options. */
  constructor(normalizedShape: number | readonly number[], ...args: T.PosArgs<LayerNormOptions, ['eps', 'elementwiseAffine']>) {
    super();
    const options = T.parseArgs('LayerNorm', args, ['eps', 'elementwiseAffine']) as LayerNormOptions;
    const ns = typeof normalizedShape === 'number' ? [normalizedShape] : Array.isArray(normalizedShape) ? [...normalizedShape] : null;
    if (ns === null || ns.length === 0) throw new RangeError(`LayerNorm: normalizedShape must be an integer or a non-empty list of integers, got ${JSON.stringify(normalizedShape)}`);
    this.normalizedShape = ns.map((s) => checkInt('LayerNorm', 'normalizedShape', s, 0));
    this.eps = checkNumber('LayerNorm', 'eps', options.eps ?? 1e-5, 0);
    this.elementwiseAffine = checkBool('LayerNorm', 'elementwiseAffine', options.elementwiseAffine ?? true);
    if (this.elementwiseAffine) {
      this.weight = newParameter(this.normalizedShape);
      this.bias = newParameter(this.normalizedShape);
    }
    this.resetParameters();
  }

  /** Sets `weight` to ones and `bias` to zeros, in place. */
  resetParameters(): void {
    if (this.weight) ones_(this.weight);
    if (this.bias) zeros_(this.bias);
  }

  /** `input: (*, ...normalizedShape) -> (*, ...normalizedShape)`, normalized with the biased variance over the trailing dims. */
  forward(input: Tensor): Tensor {
    return T.layerNorm(input, this.normalizedShape, { weight: this.weight, bias: this.bias, eps: this.eps });
  }

  override extraRepr(): string {
    return `${pyTuple(this.normalizedShape)}, eps=${pyFloat(this.eps)}, elementwise_affine=${pyBool(this.elementwiseAffine)}`;
  }
}
