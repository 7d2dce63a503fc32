/** `nn.utils`: gradient clipping (as `torch.nn.utils`) and pruning (`utils.prune`). */
export * as prune from './prune.ts';
export {
  clipGradNorm_, clipGradNorm_ as clip_grad_norm_, clipGradNorm_ as clipGradNorm,
  clipGradValue_, clipGradValue_ as clip_grad_value_, clipGradValue_ as clipGradValue,
  type ClipGradNormOptions,
} from '@torchlet/core';
