import { fullLike, keep, type Tensor } from '@torchlet/core';
import { checkLr, checkNonNegative, Optimizer, type ParamGroup, type ParamsInput, type ParamState } from './optimizer.ts';
import { adagradUpdate } from './update.ts';

export interface AdagradOptions {
  lr?: number;
  /** Step-size decay: the step uses `lr / (1 + (step - 1) * lrDecay)`. */
  lrDecay?: number;
  weightDecay?: number;
  /** The starting value of the squared-gradient sum. */
  initialAccumulatorValue?: number;
  eps?: number;
  maximize?: boolean;
}

type AdagradConfig = Required<AdagradOptions>;

/**
 * Adagrad (PyTorch's `torch.optim.Adagrad`, 1.13 update rule). State: `step`, `sum`.
 * PyTorch creates the state in the constructor; here it is created on the first step, with the
 * same values.
 */
export class Adagrad extends Optimizer<AdagradConfig> {
  constructor(params: ParamsInput<AdagradConfig>, options?: AdagradOptions) {
    super(params, {
      lr: options?.lr ?? 1e-2,
      lrDecay: options?.lrDecay ?? 0,
      weightDecay: options?.weightDecay ?? 0,
      initialAccumulatorValue: options?.initialAccumulatorValue ?? 0,
      eps: options?.eps ?? 1e-10,
      maximize: options?.maximize ?? false,
    });
  }

  protected validateOptions(o: Partial<AdagradConfig>): void {
    checkLr(o.lr);
    checkNonNegative('lrDecay', o.lrDecay);
    checkNonNegative('weightDecay', o.weightDecay);
    checkNonNegative('initialAccumulatorValue', o.initialAccumulatorValue);
    checkNonNegative('epsilon', o.eps);
  }

  protected updateParam(param: Tensor, grad: Tensor, group: ParamGroup<AdagradConfig>, state: ParamState): void {
    if (state.step === undefined) {
      state.step = 0;
      state.sum = keep(fullLike(param, group.initialAccumulatorValue));
    }
    state.step = (state.step as number) + 1;
    adagradUpdate(param, grad, state.sum as Tensor, { ...group, step: state.step });
  }
}
