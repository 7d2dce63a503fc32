/**
 * Loss modules (PyTorch's `nn.*Loss`): each keeps its options and calls the functional loss in
 * ../functional/loss.ts. Class weights are buffers, as in PyTorch (`weight`, `pos_weight`).
 */
import type { PosArgs, Tensor } from '@torchlet/core';
import { Module } from '../module.ts';
import * as L from '../functional/loss.ts';
import { BCE_ARGS, BCE_LOGITS_ARGS, CROSS_ENTROPY_ARGS, KL_DIV_ARGS, MSE_ARGS, NLL_ARGS, SMOOTH_L1_ARGS, lossArgs } from '../functional/loss-args.ts';
import { checkBool, checkNumber, show } from './args.ts';

const REDUCTIONS = ['none', 'mean', 'sum'] as const;

/** Base of the losses: `forward(input, target)`, and the reduction (checked when the loss is built). */
abstract class Loss<R extends string = L.Reduction> extends Module {
  /** `'mean'` (the default, as in PyTorch), `'sum'` or `'none'` (`KLDivLoss` also takes `'batchmean'`); an invalid value throws a RangeError from the constructor. */
  readonly reduction: R;
  constructor(reduction: unknown, allowed: readonly string[] = REDUCTIONS) {
    super();
    const v = reduction ?? 'mean';
    if (typeof v !== 'string' || !allowed.includes(v)) {
      throw new RangeError(`${this.constructor.name}: ${show(v)} is not a valid value for reduction (expected ${allowed.map((a) => `'${a}'`).join(', ')})`);
    }
    this.reduction = v as R;
  }
  abstract override forward(input: Tensor, target: Tensor): Tensor;
}

/**
 * Mean squared error `(input - target)^2`, reduced (PyTorch's `nn.MSELoss`).
 *
 * @example
 * ```ts
 * const criterion = new nn.MSELoss();
 * const loss = criterion.forward(torch.tensor([0.5, 1.5]), torch.tensor([1, 1]));
 * console.log(await loss.item());   // 0.25
 * ```
 */
export class MSELoss extends Loss {
  constructor(...args: PosArgs<L.ReductionOptions, typeof MSE_ARGS>) {
    // PyTorch's positional order (deprecated sizeAverage/reduce included) or one options object.
    const options = lossArgs('MSELoss', args, MSE_ARGS) as L.ReductionOptions;
    super(options.reduction);
  }
  /** `input: (*) float, target: (*) float` (broadcastable) `-> ()`, or input's broadcast shape with `reduction: 'none'`. */
  forward(input: Tensor, target: Tensor): Tensor {
    return L.mseLoss(input, target, { reduction: this.reduction });
  }
}

/**
 * Mean absolute error `|input - target|`, reduced (PyTorch's `nn.L1Loss`).
 *
 * @example
 * ```ts
 * const criterion = new nn.L1Loss({ reduction: 'sum' });
 * console.log(await criterion.forward(torch.tensor([0.5, 1.5]), torch.tensor([1, 1])).item());   // 1
 * ```
 */
export class L1Loss extends Loss {
  constructor(...args: PosArgs<L.ReductionOptions, typeof MSE_ARGS>) {
    // PyTorch's positional order (deprecated sizeAverage/reduce included) or one options object.
    const options = lossArgs('L1Loss', args, MSE_ARGS) as L.ReductionOptions;
    super(options.reduction);
  }
  /** `input: (*) float, target: (*) float` (broadcastable) `-> ()`, or input's broadcast shape with `reduction: 'none'`. */
  forward(input: Tensor, target: Tensor): Tensor {
    return L.l1Loss(input, target, { reduction: this.reduction });
  }
}

/**
 * Huber-like loss: `0.5 d^2 / beta` where `|d| < beta`, else `|d| - 0.5 beta`, with `d = input - target` (PyTorch's `nn.SmoothL1Loss`).
 *
 * @example
 * ```ts
 * const criterion = new nn.SmoothL1Loss({ beta: 0.5 });
 * const loss = criterion.forward(torch.randn([8, 4]), torch.randn([8, 4]));
 * ```
 */
export class SmoothL1Loss extends Loss {
  /** Where the loss switches from quadratic to linear (>= 0; 0 gives the L1 loss). Default 1, as in PyTorch. */
  readonly beta: number;
  constructor(...args: PosArgs<L.SmoothL1LossOptions, typeof SMOOTH_L1_ARGS>) {
    // PyTorch's positional order (deprecated sizeAverage/reduce included) or one options object.
    const options = lossArgs('SmoothL1Loss', args, SMOOTH_L1_ARGS) as L.SmoothL1LossOptions;
    super(options.reduction);
    this.beta = checkNumber('SmoothL1Loss', 'beta', options.beta ?? 1, 0);
  }
  /** `input: (*) float, target: (*) float` (broadcastable) `-> ()`, or input's broadcast shape with `reduction: 'none'`. */
  forward(input: Tensor, target: Tensor): Tensor {
    return L.smoothL1Loss(input, target, { reduction: this.reduction, beta: this.beta });
  }
}

/**
 * Negative log-likelihood of log-probabilities for class-index targets (PyTorch's `nn.NLLLoss`); pair it with `LogSoftmax`.
 *
 * @example
 * ```ts
 * const criterion = new nn.NLLLoss({ ignoreIndex: -100 });
 * const logp = F.logSoftmax(torch.randn([3, 5]), 1);
 * const loss = criterion.forward(logp, torch.tensor([1, 0, 4], { dtype: 'int32' }));
 * ```
 */
export class NLLLoss extends Loss {
  /** Per-class rescaling weight `(C)`, a buffer (state-dict key `weight`): the caller's tensor, kept rather than copied, freed by `dispose()`. Null (all ones) by default. */
  weight: Tensor | null = null;
  /** A target value that is skipped and left out of the mean, PyTorch's `ignore_index`. Default -100, as in PyTorch. */
  readonly ignoreIndex: number;
  constructor(...args: PosArgs<L.NllLossOptions, typeof NLL_ARGS>) {
    // PyTorch's positional order (deprecated sizeAverage/reduce included) or one options object.
    const options = lossArgs('NLLLoss', args, NLL_ARGS) as L.NllLossOptions;
    super(options.reduction);
    this.ignoreIndex = options.ignoreIndex ?? -100;
    if (!Number.isInteger(this.ignoreIndex)) throw new RangeError(`NLLLoss: ignoreIndex must be an integer, got ${show(this.ignoreIndex)}`);
    this.registerBuffer('weight', options.weight ?? null);
  }
  /**
   * `input: (N, C) or (N, C, d1, ...) log-probabilities (or (C)), target: (N) or (N, d1, ...) int32 class indices -> ()`,
   * or target's shape with `reduction: 'none'`. Throws a TypeError for a non-int32 target.
   */
  forward(input: Tensor, target: Tensor): Tensor {
    return L.nllLoss(input, target, { reduction: this.reduction, weight: this.weight, ignoreIndex: this.ignoreIndex });
  }
}

/**
 * Cross entropy of logits: `logSoftmax` over dim 1 then `NLLLoss`, with optional label smoothing (PyTorch's `nn.CrossEntropyLoss`).
 *
 * @example
 * ```ts
 * const criterion = new nn.CrossEntropyLoss({ labelSmoothing: 0.1 });
 * const logits = torch.randn([4, 10], { requiresGrad: true });
 * const target = torch.tensor([3, 1, 0, 9], { dtype: 'int32' });
 * const loss = criterion.forward(logits, target);
 * loss.backward();
 * console.log(await loss.item(), logits.grad!.shape);
 * ```
 */
export class CrossEntropyLoss extends Loss {
  /** Per-class rescaling weight `(C)`, a buffer (state-dict key `weight`): the caller's tensor, kept rather than copied, freed by `dispose()`. Null (all ones) by default. */
  weight: Tensor | null = null;
  /** A target class index that is skipped and left out of the mean (index targets only), PyTorch's `ignore_index`. Default -100, as in PyTorch. */
  readonly ignoreIndex: number;
  /** Mixes the target with the uniform distribution by this amount in [0, 1], PyTorch's `label_smoothing`. Default 0, as in PyTorch. */
  readonly labelSmoothing: number;
  constructor(...args: PosArgs<L.CrossEntropyOptions, typeof CROSS_ENTROPY_ARGS>) {
    // PyTorch's positional order (deprecated sizeAverage/reduce included) or one options object.
    const options = lossArgs('CrossEntropyLoss', args, CROSS_ENTROPY_ARGS) as L.CrossEntropyOptions;
    super(options.reduction);
    this.ignoreIndex = options.ignoreIndex ?? -100;
    if (!Number.isInteger(this.ignoreIndex)) throw new RangeError(`CrossEntropyLoss: ignoreIndex must be an integer, got ${show(this.ignoreIndex)}`);
    this.labelSmoothing = options.labelSmoothing ?? 0;
    if (typeof this.labelSmoothing !== 'number' || !(this.labelSmoothing >= 0 && this.labelSmoothing <= 1)) {
      throw new RangeError(`CrossEntropyLoss: label_smoothing must be between 0.0 and 1.0. Got: ${String(this.labelSmoothing)}`);
    }
    this.registerBuffer('weight', options.weight ?? null);
  }
  /**
   * `input: (N, C) or (N, C, d1, ...) logits (or (C)), target: (N) or (N, d1, ...) int32 class indices, or float class
   * probabilities of input's shape -> ()`, or the per-sample shape with `reduction: 'none'`.
   */
  forward(input: Tensor, target: Tensor): Tensor {
    return L.crossEntropy(input, target, { reduction: this.reduction, weight: this.weight, ignoreIndex: this.ignoreIndex, labelSmoothing: this.labelSmoothing });
  }
}

/**
 * Binary cross entropy of probabilities in [0, 1], each log clamped at -100 (PyTorch's `nn.BCELoss`); prefer `BCEWithLogitsLoss` on logits.
 *
 * @example
 * ```ts
 * const criterion = new nn.BCELoss();
 * const p = torch.sigmoid(torch.randn([4]));
 * const loss = criterion.forward(p, torch.tensor([1, 0, 1, 0]));
 * ```
 */
export class BCELoss extends Loss {
  /** Rescaling weight broadcast to input's shape, a buffer (state-dict key `weight`): the caller's tensor, kept rather than copied, freed by `dispose()`. Null by default. */
  weight: Tensor | null = null;
  constructor(...args: PosArgs<L.BinaryCrossEntropyOptions, typeof BCE_ARGS>) {
    // PyTorch's positional order (deprecated sizeAverage/reduce included) or one options object.
    const options = lossArgs('BCELoss', args, BCE_ARGS) as L.BinaryCrossEntropyOptions;
    super(options.reduction);
    this.registerBuffer('weight', options.weight ?? null);
  }
  /**
   * `input: (*) probabilities, target: (*) in [0, 1], the same shape -> ()`, or `(*)` with `reduction: 'none'`.
   * Inputs outside [0, 1] give NaN (no readback to check). A target of another size throws a RangeError.
   */
  forward(input: Tensor, target: Tensor): Tensor {
    return L.binaryCrossEntropy(input, target, { reduction: this.reduction, weight: this.weight });
  }
}

/**
 * Sigmoid plus binary cross entropy in one numerically stable step (PyTorch's `nn.BCEWithLogitsLoss`).
 *
 * @example
 * ```ts
 * const criterion = new nn.BCEWithLogitsLoss({ posWeight: torch.tensor([3]) });
 * const loss = criterion.forward(torch.randn([4, 1]), torch.tensor([[1], [0], [0], [1]]));
 * ```
 */
export class BCEWithLogitsLoss extends Loss {
  /** Rescaling weight broadcast to input's shape, a buffer (state-dict key `weight`): the caller's tensor, kept rather than copied, freed by `dispose()`. Null by default. */
  weight: Tensor | null = null;
  /** Weight of positive examples broadcast over the last (class) dim, a buffer (state-dict key `pos_weight`), kept like `weight`. Null by default. */
  posWeight: Tensor | null = null;
  constructor(...args: PosArgs<L.BinaryCrossEntropyWithLogitsOptions, typeof BCE_LOGITS_ARGS>) {
    // PyTorch's positional order (deprecated sizeAverage/reduce included) or one options object.
    const options = lossArgs('BCEWithLogitsLoss', args, BCE_LOGITS_ARGS) as L.BinaryCrossEntropyWithLogitsOptions;
    super(options.reduction);
    this.registerBuffer('weight', options.weight ?? null);
    this.registerBuffer('posWeight', options.posWeight ?? null);
  }
  /** `input: (*) logits, target: (*) in [0, 1], the same shape -> ()`, or `(*)` with `reduction: 'none'`. A target of another size throws a RangeError. */
  forward(input: Tensor, target: Tensor): Tensor {
    return L.binaryCrossEntropyWithLogits(input, target, { reduction: this.reduction, weight: this.weight, posWeight: this.posWeight });
  }
}

/**
 * Kullback-Leibler divergence of log-probabilities `input` from `target` (PyTorch's `nn.KLDivLoss`): `target * (log(target) - input)`.
 * Use `reduction: 'batchmean'` for the true KL divergence; the default `'mean'` averages over all elements, as in PyTorch.
 *
 * @example
 * ```ts
 * const criterion = new nn.KLDivLoss({ reduction: 'batchmean' });
 * const loss = criterion.forward(F.logSoftmax(torch.randn([2, 5]), 1), F.softmax(torch.randn([2, 5]), 1));
 * ```
 */
export class KLDivLoss extends Loss<L.Reduction | 'batchmean'> {
  /** The target is given as log-probabilities, PyTorch's `log_target`. Default false, as in PyTorch. */
  readonly logTarget: boolean;
  constructor(...args: PosArgs<L.KlDivOptions, typeof KL_DIV_ARGS>) {
    // PyTorch's positional order (deprecated sizeAverage/reduce included) or one options object.
    const options = lossArgs('KLDivLoss', args, KL_DIV_ARGS) as L.KlDivOptions;
    super(options.reduction, ['none', 'batchmean', 'sum', 'mean']);
    this.logTarget = checkBool('KLDivLoss', 'logTarget', options.logTarget ?? false);
  }
  /**
   * `input: (*) log-probabilities, target: (*) probabilities (log-probabilities with `logTarget`), broadcastable -> ()`,
   * or the broadcast shape with `reduction: 'none'`.
   */
  forward(input: Tensor, target: Tensor): Tensor {
    return L.klDiv(input, target, { reduction: this.reduction, logTarget: this.logTarget });
  }
}
