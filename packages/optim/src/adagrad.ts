import { fullLike, keep, type PosArgs, type Tensor } from '@torchlet/core';
import { checkLr, checkNonNegative, Optimizer, optimizerArgs, type ParamGroup, type ParamsInput, type ParamState } from './optimizer.ts';
import { adagradUpdate } from './update.ts';

/**
 * Options of `Adagrad` (PyTorch's keyword arguments, in camelCase); each may be overridden per param
 * group.
 */
export interface AdagradOptions {
  /** Learning rate. Default 1e-2, as in PyTorch. */
  lr?: number;
  /** Step-size decay: the step uses `lr / (1 + (step - 1) * lrDecay)`. */
  lrDecay?: number;
  /** L2 penalty: `weightDecay * param` is added to the gradient. Default 0. */
  weightDecay?: number;
  /** The starting value of the squared-gradient sum. */
  initialAccumulatorValue?: number;
  /** Added to the denominator `sqrt(sum)` for numerical stability. Default 1e-10, as in PyTorch. */
  eps?: number;
  /** Maximize the objective instead of minimizing it (steps along the gradient). Default false. */
  maximize?: boolean;
}

type AdagradConfig = Required<AdagradOptions>;

/** PyTorch's positional order of `Adagrad`'s options after `params`. */
const ADAGRAD_ARGS = ['lr', 'lrDecay', 'weightDecay', 'initialAccumulatorValue', 'eps'] as const;

/**
 * Adagrad (PyTorch's `torch.optim.Adagrad`, 1.13 update rule). State: `step`, `sum`.
 * PyTorch creates the state in the constructor; here it is created on the first step, with the
 * same values.
 *
 * @example
 * ```ts
 * const model = new nn.Linear(10, 1);
 * const opt = new optim.Adagrad(model.parameters(), { lr: 1e-2 });
 * ```
 */
export class Adagrad extends Optimizer<AdagradConfig> {
  /** PyTorch's positional order after `params`, and/or an options object. */
  constructor(params: ParamsInput<AdagradConfig>, ...args: PosArgs<AdagradOptions, typeof ADAGRAD_ARGS>) {
    const options = optimizerArgs<AdagradOptions | undefined>('Adagrad', args, ADAGRAD_ARGS);
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
