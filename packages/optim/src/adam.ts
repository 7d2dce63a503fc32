import { keep, zerosLike, type PosArgs, type Tensor } from '@torchlet/core';
import { checkLr, checkNonNegative, Optimizer, optimizerArgs, type ParamGroup, type ParamsInput, type ParamState } from './optimizer.ts';
import { registerTracedRule } from './traced.ts';
import { adamRule } from './traced-rules.ts';
import { adamUpdate } from './update.ts';

/**
 * Options of `Adam` and `AdamW` (PyTorch's keyword arguments, in camelCase); each may be overridden per
 * param group.
 */
export interface AdamOptions {
  /** Learning rate. Default 1e-3, as in PyTorch. */
  lr?: number;
  /** Decay rates of the first and second moment estimates. */
  betas?: [number, number];
  /** Added to the denominator `sqrt(v_hat)` for numerical stability. Default 1e-8, as in PyTorch. */
  eps?: number;
  /** Adam: L2 penalty added to the gradient. AdamW: decoupled decay of the parameter. */
  weightDecay?: number;
  /** Use the running maximum of the second moment (AMSGrad). */
  amsgrad?: boolean;
  /** Maximize the objective instead of minimizing it (steps along the gradient). Default false. */
  maximize?: boolean;
}

type AdamConfig = Required<AdamOptions>;

/** PyTorch's positional order after `params`: `Adam(params, lr, betas, eps, weight_decay, amsgrad)`. */
const ADAM_ARGS = ['lr', 'betas', 'eps', 'weightDecay', 'amsgrad'] as const;
/** Adam's and AdamW's options: positionally in PyTorch's order and/or as an options object. */
export type AdamArgs = PosArgs<AdamOptions, typeof ADAM_ARGS>;

function adamDefaults(o: AdamOptions | undefined, weightDecay: number): AdamConfig {
  return {
    lr: o?.lr ?? 1e-3,
    betas: Array.isArray(o?.betas) ? [o.betas[0], o.betas[1]] : ((o?.betas ?? [0.9, 0.999]) as [number, number]),
    eps: o?.eps ?? 1e-8,
    weightDecay: o?.weightDecay ?? weightDecay,
    amsgrad: o?.amsgrad ?? false,
    maximize: o?.maximize ?? false,
  };
}

/**
 * Adam (PyTorch's `torch.optim.Adam`, 1.13 update rule). State: `step`, `exp_avg`,
 * `exp_avg_sq`, and `max_exp_avg_sq` with amsgrad.
 *
 * @example
 * ```ts
 * const model = new nn.Linear(10, 1);
 * const opt = new optim.Adam(model.parameters(), { lr: 1e-3, betas: [0.9, 0.999] });
 * model.forward(torch.randn([8, 10])).pow(2).mean().backward();
 * opt.step();
 * opt.zeroGrad();
 * ```
 */
export class Adam extends Optimizer<AdamConfig> {
  /** AdamW decays the parameter itself instead of adding `weightDecay * p` to the gradient. */
  protected readonly decoupled: boolean = false;

  /**
   * @example
   * new optim.Adam(net.parameters(), { lr: 1e-3, weightDecay: 0.01 });
   * new optim.Adam(net.parameters(), 1e-3, [0.9, 0.98]);   // PyTorch's positional order
   */
  constructor(params: ParamsInput<AdamConfig>, ...args: AdamArgs) {
    super(params, adamDefaults(optimizerArgs(new.target.name, args, ADAM_ARGS), new.target === AdamW ? 0.01 : 0));
  }

  protected validateOptions(o: Partial<AdamConfig>): void {
    checkLr(o.lr);
    checkNonNegative('epsilon', o.eps);
    if (o.betas !== undefined) {
      if (!Array.isArray(o.betas) || o.betas.length !== 2) throw new RangeError(`betas must be a pair [beta1, beta2], got ${String(o.betas)}`);
      o.betas.forEach((b, i) => {
        if (!(b >= 0 && b < 1)) throw new RangeError(`Invalid beta parameter at index ${i}: ${b}`);
      });
    }
    checkNonNegative('weightDecay', o.weightDecay);
  }

  protected updateParam(param: Tensor, grad: Tensor, group: ParamGroup<AdamConfig>, state: ParamState): void {
    if (state.step === undefined) {
      state.step = 0;
      state.exp_avg = keep(zerosLike(param));
      state.exp_avg_sq = keep(zerosLike(param));
    }
    if (group.amsgrad && state.max_exp_avg_sq === undefined) state.max_exp_avg_sq = keep(zerosLike(param));
    state.step = (state.step as number) + 1;
    adamUpdate(param, grad, state.exp_avg as Tensor, state.exp_avg_sq as Tensor, group.amsgrad ? (state.max_exp_avg_sq as Tensor) : null, {
      lr: group.lr,
      beta1: group.betas[0],
      beta2: group.betas[1],
      eps: group.eps,
      weightDecay: group.weightDecay,
      decoupledWeightDecay: this.decoupled,
      maximize: group.maximize,
      step: state.step,
    });
  }
}

/**
 * AdamW: Adam with decoupled weight decay (PyTorch's `torch.optim.AdamW`, 1.13 update rule;
 * `weightDecay` defaults to 0.01).
 *
 * @example
 * ```ts
 * const model = new nn.Linear(10, 1);
 * const opt = new optim.AdamW(model.parameters(), { lr: 1e-3, weightDecay: 0.01 });
 * ```
 */
export class AdamW extends Adam {
  protected override readonly decoupled: boolean = true;

  /** PyTorch's `AdamW(params, lr, betas, eps, weight_decay=0.01, amsgrad)`, positionally and/or as options. */
  constructor(params: ParamsInput<AdamConfig>, ...args: AdamArgs) {
    super(params, ...args);
  }
}

// Under torch.compile, Adam's and AdamW's updates (not a subclass's, which may override
// updateParam) are traced as fused programs.
registerTracedRule(Adam, (o) => adamRule(o as Adam, false));
registerTracedRule(AdamW, (o) => adamRule(o as AdamW, true));
