/**
 * Gradient clipping lives in core (PyTorch's place for it is `torch.nn.utils`, re-exported as
 * `nn.utils.clipGradNorm_`); optim keeps its earlier names for it.
 */
import { clipGradNorm_, clipGradValue_ } from '@torchlet/core';

/** `optim.clipGradNorm(params, maxNorm, normType)`: core's {@link clipGradNorm_} (PyTorch's `clip_grad_norm_`). */
export const clipGradNorm = clipGradNorm_;
/** `optim.clipGradValue(params, clipValue)`: core's {@link clipGradValue_} (PyTorch's `clip_grad_value_`). */
export const clipGradValue = clipGradValue_;
