import { keep, zerosLike, type PosArgs, type Tensor } from '@torchlet/core';
import { checkLr, checkNonNegative, Optimizer, optimizerArgs, type ParamGroup, type ParamsInput, type ParamState } from './optimizer.ts';
import { registerTracedRule } from './traced.ts';
import { sgdRule } from './traced-rules.ts';
import { sgdUpdate } from './update.ts';

/** Options of `SGD` (PyTorch's keyword arguments, in camelCase); each may be overridden per param group. */
export interface SGDOptions {
  /** Required, as in PyTorch (here or in every param group). */
  lr: number;
  /**
   * Momentum factor: above 0, the step follows a `momentum_buffer` updated as `buf = momentum * buf +
   * (1 - dampening) * grad`. Default 0.
   */
  momentum?: number;
  /**
   * Scales down the gradient's contribution to the momentum buffer, as above. Default 0; must be 0 with
   * `nesterov`.
   */
  dampening?: number;
  /** L2 penalty added to the gradient. */
  weightDecay?: number;
  /**
   * Nesterov momentum: step along `grad + momentum * buf` instead of `buf`. Needs `momentum > 0` and
   * zero dampening (else a RangeError). Default false.
   */
  nesterov?: boolean;
  /** Maximize the objective instead of minimizing it. */
  maximize?: boolean;
}

/** PyTorch's positional order of `SGD`'s options after `params`. */
const SGD_ARGS = ['lr', 'momentum', 'dampening', 'weightDecay', 'nesterov'] as const;

/**
 * Stochastic gradient descent with optional momentum, Nesterov momentum and weight decay
 * (PyTorch's `torch.optim.SGD`, 1.13 update rule). State: `momentum_buffer` when `momentum > 0`.
 *
 * @example
 * ```ts
 * const model = new nn.Linear(10, 1);
 * const opt = new optim.SGD(model.parameters(), { lr: 0.01, momentum: 0.9 });
 * const loss = F.mseLoss(model.forward(torch.randn([8, 10])), torch.zeros([8, 1]));
 * opt.zeroGrad();
 * loss.backward();
 * opt.step();
 * ```
 */
export class SGD extends Optimizer<Required<SGDOptions>> {
  /** PyTorch's positional order after `params`, and/or an options object. */
  constructor(params: ParamsInput<Required<SGDOptions>>, ...args: PosArgs<SGDOptions, typeof SGD_ARGS>) {
    const options = optimizerArgs<SGDOptions | undefined>('SGD', args, SGD_ARGS);
    super(params, {
      lr: options?.lr as number,
      momentum: options?.momentum ?? 0,
      dampening: options?.dampening ?? 0,
      weightDecay: options?.weightDecay ?? 0,
      nesterov: options?.nesterov ?? false,
      maximize: options?.maximize ?? false,
    });
  }

  protected validateOptions(o: Partial<Required<SGDOptions>>): void {
    checkLr(o.lr);
    checkNonNegative('momentum', o.momentum);
    checkNonNegative('weightDecay', o.weightDecay);
    if (o.nesterov && (!(o.momentum! > 0) || o.dampening !== 0)) {
      throw new RangeError('Nesterov momentum requires a momentum and zero dampening');
    }
  }

  protected updateParam(param: Tensor, grad: Tensor, group: ParamGroup<Required<SGDOptions>>, state: ParamState): void {
    let buf = (state.momentum_buffer as Tensor | undefined) ?? null;
    const firstStep = group.momentum !== 0 && buf === null;
    if (firstStep) {
      buf = keep(zerosLike(param));
      state.momentum_buffer = buf;
    }
    sgdUpdate(param, grad, buf, { ...group, firstStep });
  }
}

// Under torch.compile, SGD's update (not a subclass's, which may override updateParam) is traced
// as fused programs.
registerTracedRule(SGD, (o) => sgdRule(o as SGD));
