/**
 * The per-parameter update rules, one function per optimizer, each PyTorch 1.13's
 * `_single_tensor_*` formula (torch/optim/{sgd,adam,adamw,rmsprop,adagrad}.py) written with
 * tensor ops.
 *
 * Each function is the one place its optimizer touches tensors: it reads `grad`, and writes
 * `param` and the state tensors in place. That is the seam for a fused backend kernel (one
 * dispatch per parameter per step, `backend.fused.adamStep` and friends): the kernel takes
 * exactly these arguments, and this composite stays the correct default that the same
 * conformance cases check.
 *
 * Callers run these inside `noGrad` and a `tidy` (Optimizer.step), so the temporaries here are
 * freed per parameter; state tensors are passed in already allocated (their contents are
 * ignored where `firstStep` says so).
 */
import type { Tensor } from '@torchlet/core';
import { fusedKernel, markWritten } from './fused.ts';

/**
 * The scalars `sgdUpdate` (and a fused `sgdStep` kernel) needs for one step: a group's options plus
 * `firstStep`.
 */
export interface SgdHyper {
  /** Learning rate. */
  lr: number;
  /** Momentum factor; 0 for none (then `buf` is not touched). */
  momentum: number;
  /** Scales the gradient's contribution to the momentum buffer by `1 - dampening`. */
  dampening: number;
  /** L2 penalty: `weightDecay * param` is added to the gradient. */
  weightDecay: number;
  /** Step along `grad + momentum * buf` instead of `buf`. */
  nesterov: boolean;
  /** Step along the gradient instead of against it. */
  maximize: boolean;
  /** First step with momentum: the buffer is set to the gradient instead of decayed. */
  firstStep: boolean;
}

/**
 * SGD with momentum, dampening, Nesterov and L2 weight decay; `buf` is null without momentum.
 *
 * @example
 * ```ts
 * // One SGD update in place (what SGD.step runs per parameter):
 * const p = torch.tensor([1, 2]);
 * optim.sgdUpdate(p, torch.tensor([0.5, 0.5]), null, { lr: 0.1, momentum: 0, dampening: 0, weightDecay: 0, nesterov: false, maximize: false, firstStep: true });
 * console.log(await p.tolist());   // [0.95, 1.95]
 * ```
 */
export function sgdUpdate(param: Tensor, grad: Tensor, buf: Tensor | null, h: SgdHyper): void {
  const fused = fusedKernel('sgdStep', [param, grad, h.momentum !== 0 ? buf : null]);
  if (fused) {
    fused(param.view_(), grad.view_(), h.momentum !== 0 && buf ? buf.view_() : null, h);
    markWritten(param, buf);
    return;
  }
  let d = h.maximize ? grad.neg() : grad;
  if (h.weightDecay !== 0) d = d.add(param, { alpha: h.weightDecay });
  if (h.momentum !== 0 && buf) {
    if (h.firstStep) buf.copy_(d);
    else buf.copy_(buf.mul(h.momentum).add(d, { alpha: 1 - h.dampening }));
    d = h.nesterov ? d.add(buf, { alpha: h.momentum }) : buf;
  }
  param.add_(d, { alpha: -h.lr });
}

/**
 * The scalars `adamUpdate` (and a fused `adamStep` kernel) needs for one step: a group's options, with
 * `betas` split, plus the step number.
 */
export interface AdamHyper {
  /** Learning rate. */
  lr: number;
  /** Decay rate of the first moment estimate `exp_avg` (`betas[0]`). */
  beta1: number;
  /** Decay rate of the second moment estimate `exp_avg_sq` (`betas[1]`). */
  beta2: number;
  /** Added to the bias-corrected `sqrt(exp_avg_sq)` in the denominator. */
  eps: number;
  /** Weight decay: an L2 term on the gradient, or with `decoupledWeightDecay` a decay of the parameter. */
  weightDecay: number;
  /** AdamW: decay the parameter directly (`p *= 1 - lr * wd`) instead of adding `wd * p` to the gradient. */
  decoupledWeightDecay: boolean;
  /** Step along the gradient instead of against it. */
  maximize: boolean;
  /** The step number after incrementing (1 on the first step). */
  step: number;
}

/**
 * Adam and AdamW. `maxExpAvgSq` (amsgrad) keeps the running maximum of `expAvgSq` and is used
 * in its place in the denominator.
 *
 * @example
 * ```ts
 * const p = torch.tensor([1, 2]);
 * const m = torch.zeros([2]), v = torch.zeros([2]);
 * optim.adamUpdate(p, torch.tensor([0.1, -0.1]), m, v, null,
 *   { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, decoupledWeightDecay: false, maximize: false, step: 1 });
 * ```
 */
export function adamUpdate(param: Tensor, grad: Tensor, expAvg: Tensor, expAvgSq: Tensor, maxExpAvgSq: Tensor | null, h: AdamHyper): void {
  const fused = fusedKernel('adamStep', [param, grad, expAvg, expAvgSq, maxExpAvgSq]);
  if (fused) {
    fused(param.view_(), grad.view_(), expAvg.view_(), expAvgSq.view_(), maxExpAvgSq?.view_() ?? null, { ...h, amsgrad: maxExpAvgSq !== null });
    markWritten(param, expAvg, expAvgSq, maxExpAvgSq);
    return;
  }
  let g = h.maximize ? grad.neg() : grad;
  if (h.decoupledWeightDecay) {
    if (h.weightDecay !== 0) param.mul_(1 - h.lr * h.weightDecay);
  } else if (h.weightDecay !== 0) {
    g = g.add(param, { alpha: h.weightDecay });
  }
  expAvg.copy_(expAvg.mul(h.beta1).add(g, { alpha: 1 - h.beta1 }));
  expAvgSq.copy_(expAvgSq.mul(h.beta2).add(g.mul(g), { alpha: 1 - h.beta2 }));
  // Bias corrections in float64, as PyTorch computes them (Python floats).
  const stepSize = h.lr / (1 - h.beta1 ** h.step);
  const bc2Sqrt = Math.sqrt(1 - h.beta2 ** h.step);
  let v = expAvgSq;
  if (maxExpAvgSq) {
    maxExpAvgSq.copy_(maxExpAvgSq.maximum(expAvgSq));
    v = maxExpAvgSq;
  }
  const denom = v.sqrt().div(bc2Sqrt).add(h.eps);
  param.add_(expAvg.div(denom), { alpha: -stepSize });
}

/**
 * The scalars `rmspropUpdate` needs for one step: a group's options (`centered` is given by passing
 * `gradAvg`).
 */
export interface RmspropHyper {
  /** Learning rate. */
  lr: number;
  /** Smoothing constant of the squared-gradient average `square_avg`. */
  alpha: number;
  /** Added to `sqrt(square_avg)` (centered: of the variance estimate) in the denominator. */
  eps: number;
  /** L2 penalty: `weightDecay * param` is added to the gradient. */
  weightDecay: number;
  /** Momentum factor; above 0 the normalized step goes through `buf`. */
  momentum: number;
  /** Step along the gradient instead of against it. */
  maximize: boolean;
}

/**
 * RMSprop; `gradAvg` is given when centered (the variance estimate subtracts its square),
 * `buf` when `momentum > 0`.
 *
 * @example
 * ```ts
 * const p = torch.tensor([1, 2]);
 * optim.rmspropUpdate(p, torch.tensor([0.1, -0.1]), torch.zeros([2]), null, null,
 *   { lr: 1e-2, alpha: 0.99, eps: 1e-8, weightDecay: 0, momentum: 0, maximize: false });
 * ```
 */
export function rmspropUpdate(param: Tensor, grad: Tensor, squareAvg: Tensor, gradAvg: Tensor | null, buf: Tensor | null, h: RmspropHyper): void {
  let g = h.maximize ? grad.neg() : grad;
  if (h.weightDecay !== 0) g = g.add(param, { alpha: h.weightDecay });
  squareAvg.copy_(squareAvg.mul(h.alpha).add(g.mul(g), { alpha: 1 - h.alpha }));
  let avg: Tensor;
  if (gradAvg) {
    gradAvg.copy_(gradAvg.mul(h.alpha).add(g, { alpha: 1 - h.alpha }));
    avg = squareAvg.sub(gradAvg.mul(gradAvg)).sqrt();
  } else {
    avg = squareAvg.sqrt();
  }
  avg = avg.add(h.eps);
  if (h.momentum > 0 && buf) {
    buf.copy_(buf.mul(h.momentum).add(g.div(avg)));
    param.add_(buf, { alpha: -h.lr });
  } else {
    param.add_(g.div(avg), { alpha: -h.lr });
  }
}

/** The scalars `adagradUpdate` needs for one step: a group's options plus the step number. */
export interface AdagradHyper {
  /** Learning rate, before the `lrDecay` schedule. */
  lr: number;
  /** Step-size decay: the step uses `lr / (1 + (step - 1) * lrDecay)`. */
  lrDecay: number;
  /** L2 penalty: `weightDecay * param` is added to the gradient. */
  weightDecay: number;
  /** Added to `sqrt(sum)` in the denominator. */
  eps: number;
  /** Step along the gradient instead of against it. */
  maximize: boolean;
  /** The step number after incrementing (1 on the first step). */
  step: number;
}

/**
 * Adagrad: `sum` accumulates squared gradients; the step size decays as `lr / (1 + (step - 1) lrDecay)`.
 *
 * @example
 * ```ts
 * const p = torch.tensor([1, 2]);
 * optim.adagradUpdate(p, torch.tensor([0.1, -0.1]), torch.zeros([2]),
 *   { lr: 1e-2, lrDecay: 0, weightDecay: 0, eps: 1e-10, maximize: false, step: 1 });
 * ```
 */
export function adagradUpdate(param: Tensor, grad: Tensor, sum: Tensor, h: AdagradHyper): void {
  let g = h.maximize ? grad.neg() : grad;
  if (h.weightDecay !== 0) g = g.add(param, { alpha: h.weightDecay });
  const clr = h.lr / (1 + (h.step - 1) * h.lrDecay);
  sum.add_(g.mul(g));
  param.add_(g.div(sum.sqrt().add(h.eps)), { alpha: -clr });
}
