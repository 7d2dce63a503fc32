/**
 * Loss modules (PyTorch's `nn.*Loss`): each keeps its options and calls the functional loss in
 * ../functional/loss.ts. Class weights are buffers, as in PyTorch (`weight`, `pos_weight`).
 */
import type { Tensor } from '@torchlet/core';
import { Module } from '../module.ts';
import * as L from '../functional/loss.ts';
import { checkNumber, show } from './args.ts';

const REDUCTIONS = ['none', 'mean', 'sum'] as const;

/** Base of the losses: `forward(input, target)`, and the reduction (checked when the loss is built). */
abstract class Loss<R extends string = L.Reduction> extends Module {
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

export class MSELoss extends Loss {
  constructor(options: L.ReductionOptions = {}) {
    super(options.reduction);
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return L.mseLoss(input, target, { reduction: this.reduction });
  }
}

export class L1Loss extends Loss {
  constructor(options: L.ReductionOptions = {}) {
    super(options.reduction);
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return L.l1Loss(input, target, { reduction: this.reduction });
  }
}

export class SmoothL1Loss extends Loss {
  readonly beta: number;
  constructor(options: L.SmoothL1LossOptions = {}) {
    super(options.reduction);
    this.beta = checkNumber('SmoothL1Loss', 'beta', options.beta ?? 1, 0);
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return L.smoothL1Loss(input, target, { reduction: this.reduction, beta: this.beta });
  }
}

export class NLLLoss extends Loss {
  weight: Tensor | null = null;
  readonly ignoreIndex: number;
  constructor(options: L.NllLossOptions = {}) {
    super(options.reduction);
    this.ignoreIndex = options.ignoreIndex ?? -100;
    if (!Number.isInteger(this.ignoreIndex)) throw new RangeError(`NLLLoss: ignoreIndex must be an integer, got ${show(this.ignoreIndex)}`);
    this.registerBuffer('weight', options.weight ?? null);
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return L.nllLoss(input, target, { reduction: this.reduction, weight: this.weight, ignoreIndex: this.ignoreIndex });
  }
}

export class CrossEntropyLoss extends Loss {
  weight: Tensor | null = null;
  readonly ignoreIndex: number;
  readonly labelSmoothing: number;
  constructor(options: L.CrossEntropyOptions = {}) {
    super(options.reduction);
    this.ignoreIndex = options.ignoreIndex ?? -100;
    if (!Number.isInteger(this.ignoreIndex)) throw new RangeError(`CrossEntropyLoss: ignoreIndex must be an integer, got ${show(this.ignoreIndex)}`);
    this.labelSmoothing = options.labelSmoothing ?? 0;
    if (typeof this.labelSmoothing !== 'number' || !(this.labelSmoothing >= 0 && this.labelSmoothing <= 1)) {
      throw new RangeError(`CrossEntropyLoss: label_smoothing must be between 0.0 and 1.0. Got: ${String(this.labelSmoothing)}`);
    }
    this.registerBuffer('weight', options.weight ?? null);
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return L.crossEntropy(input, target, { reduction: this.reduction, weight: this.weight, ignoreIndex: this.ignoreIndex, labelSmoothing: this.labelSmoothing });
  }
}

export class BCELoss extends Loss {
  weight: Tensor | null = null;
  constructor(options: L.BinaryCrossEntropyOptions = {}) {
    super(options.reduction);
    this.registerBuffer('weight', options.weight ?? null);
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return L.binaryCrossEntropy(input, target, { reduction: this.reduction, weight: this.weight });
  }
}

export class BCEWithLogitsLoss extends Loss {
  weight: Tensor | null = null;
  posWeight: Tensor | null = null;
  constructor(options: L.BinaryCrossEntropyWithLogitsOptions = {}) {
    super(options.reduction);
    this.registerBuffer('weight', options.weight ?? null);
    this.registerBuffer('posWeight', options.posWeight ?? null);
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return L.binaryCrossEntropyWithLogits(input, target, { reduction: this.reduction, weight: this.weight, posWeight: this.posWeight });
  }
}

export class KLDivLoss extends Loss<L.Reduction | 'batchmean'> {
  readonly logTarget: boolean;
  constructor(options: L.KlDivOptions = {}) {
    super(options.reduction, ['none', 'batchmean', 'sum', 'mean']);
    this.logTarget = options.logTarget ?? false;
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return L.klDiv(input, target, { reduction: this.reduction, logTarget: this.logTarget });
  }
}
