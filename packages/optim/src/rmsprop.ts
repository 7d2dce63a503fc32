import { keep, zerosLike, type PosArgs, type Tensor } from '@torchlet/core';
import { checkLr, checkNonNegative, Optimizer, optimizerArgs, type ParamGroup, type ParamsInput, type ParamState } from './optimizer.ts';
import { rmspropUpdate } from './update.ts';

/**
 * Options of `RMSprop` (PyTorch's keyword arguments, in camelCase); each may be overridden per param
 * group.
 */
export interface RMSpropOptions {
  /** Learning rate. Default 1e-2, as in PyTorch. */
  lr?: number;
  /** Smoothing constant of the squared-gradient average. */
  alpha?: number;
  /** Added to the denominator `sqrt(square_avg)` for numerical stability. Default 1e-8, as in PyTorch. */
  eps?: number;
  /** L2 penalty: `weightDecay * param` is added to the gradient. Default 0. */
  weightDecay?: number;
  /** Momentum factor; above 0 the normalized step goes through a `momentum_buffer`. Default 0. */
  momentum?: number;
  /** Normalize by an estimate of the gradient's variance instead of its second moment. */
  centered?: boolean;
  /** Maximize the objective instead of minimizing it (steps along the gradient). Default false. */
  maximize?: boolean;
}

type RMSpropConfig = Required<RMSpropOptions>;

/** PyTorch's positional order of `RMSprop`'s options after `params`. */
const RMSPROP_ARGS = ['lr', 'alpha', 'eps', 'weightDecay', 'momentum', 'centered'] as const;

/**
 * RMSprop (PyTorch's `torch.optim.RMSprop`, 1.13 update rule). State: `step`, `square_avg`,
 * `momentum_buffer` when `momentum > 0`, `grad_avg` when centered.
 *
 * @example
 * ```ts
 * const model = new nn.Linear(10, 1);
 * const opt = new optim.RMSprop(model.parameters(), { lr: 1e-2, alpha: 0.99 });
 * ```
 */
export class RMSprop extends Optimizer<RMSpropConfig> {
  /** PyTorch's positional order after `params`, and/or an options object. */
  constructor(params: ParamsInput<RMSpropConfig>, ...args: PosArgs<RMSpropOptions, typeof RMSPROP_ARGS>) {
    const options = optimizerArgs<RMSpropOptions | undefined>('RMSprop', args, RMSPROP_ARGS);
    super(params, {
      lr: options?.lr ?? 1e-2,
      alpha: options?.alpha ?? 0.99,
      eps: options?.eps ?? 1e-8,
      weightDecay: options?.weightDecay ?? 0,
      momentum: options?.momentum ?? 0,
      centered: options?.centered ?? false,
      maximize: options?.maximize ?? false,
    });
  }

  protected validateOptions(o: Partial<RMSpropConfig>): void {
    checkLr(o.lr);
    checkNonNegative('epsilon', o.eps);
    checkNonNegative('momentum', o.momentum);
    checkNonNegative('weightDecay', o.weightDecay);
    checkNonNegative('alpha', o.alpha);
  }

  protected updateParam(param: Tensor, grad: Tensor, group: ParamGroup<RMSpropConfig>, state: ParamState): void {
    if (state.step === undefined) {
      state.step = 0;
      state.square_avg = keep(zerosLike(param));
    }
    if (group.momentum > 0 && state.momentum_buffer === undefined) state.momentum_buffer = keep(zerosLike(param));
    if (group.centered && state.grad_avg === undefined) state.grad_avg = keep(zerosLike(param));
    state.step = (state.step as number) + 1;
    rmspropUpdate(
      param, grad, state.square_avg as Tensor,
      group.centered ? (state.grad_avg as Tensor) : null,
      group.momentum > 0 ? (state.momentum_buffer as Tensor) : null,
      group,
    );
  }
}
