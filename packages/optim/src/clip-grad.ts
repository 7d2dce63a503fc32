/**
 * Gradient clipping lives in core (PyTorch's place for it is `torch.nn.utils`, re-exported as
 * `nn.utils.clipGradNorm_`); optim keeps its earlier names for it.
 */
import { clipGradNorm_, clipGradValue_ } from '@torchlet/core';

/**
 * `optim.clipGradNorm(params, maxNorm, normType)`: core's `clipGradNorm_` (PyTorch's `clip_grad_norm_`).
 *
 * @example
 * ```ts
 * const model = new nn.Linear(10, 1);
 * model.forward(torch.randn([8, 10])).sum().backward();
 * const total = optim.clipGradNorm(model.parameters(), 1.0);   // = nn.utils.clipGradNorm_
 * console.log(await total.item());   // the norm before clipping
 * ```
 */
export const clipGradNorm = clipGradNorm_;
/**
 * `optim.clipGradValue(params, clipValue)`: core's `clipGradValue_` (PyTorch's `clip_grad_value_`).
 *
 * @example
 * ```ts
 * const model = new nn.Linear(10, 1);
 * model.forward(torch.randn([8, 10])).sum().backward();
 * optim.clipGradValue(model.parameters(), 0.5);   // every gradient entry in [-0.5, 0.5]
 * ```
 */
export const clipGradValue = clipGradValue_;
