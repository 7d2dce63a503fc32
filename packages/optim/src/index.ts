/**
 * @torchlet/optim: PyTorch's `torch.optim` (1.13 update rules) for torchlet — optimizers, lr
 * schedulers, and gradient clipping (`torch.nn.utils.clip_grad_norm_`/`clip_grad_value_`).
 */
export {
  Optimizer, type OptimizerOptions, type ParamGroup, type ParamGroupInit, type ParamsInput, type ParamState,
  type OptimizerStateDict, type SchedulerGroupFields,
  type GroupParams, type GroupParamsInit, type GroupParamIndices,
} from './optimizer.ts';
export { SGD, type SGDOptions } from './sgd.ts';
export { Adam, AdamW, type AdamOptions } from './adam.ts';
export { RMSprop, type RMSpropOptions } from './rmsprop.ts';
export { Adagrad, type AdagradOptions } from './adagrad.ts';
export { sgdUpdate, adamUpdate, rmspropUpdate, adagradUpdate, type SgdHyper, type AdamHyper, type RmspropHyper, type AdagradHyper } from './update.ts';
export { LRScheduler, type AnyOptimizer, type SchedulerStateDict } from './lr-scheduler.ts';
export {
  LambdaLR, StepLR, MultiStepLR, ExponentialLR, CosineAnnealingLR, LinearLR,
  type LambdaLROptions, type StepLROptions, type MultiStepLROptions, type ExponentialLROptions,
  type CosineAnnealingLROptions, type LinearLROptions,
} from './schedulers.ts';
export { OneCycleLR, type OneCycleLROptions } from './one-cycle.ts';
export { SequentialLR, type SequentialLROptions } from './sequential.ts';
export { clipGradNorm, clipGradValue } from './clip-grad.ts';
