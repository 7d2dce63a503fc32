/** `nn.utils`: gradient clipping (as `torch.nn.utils`), pruning (`utils.prune`) and `skipInit`. */
import type * as core from '@torchlet/core';

export * as prune from './prune.ts';
export { skipInit, skipInit as skip_init } from '../init.ts';
export {
  clipGradNorm_, clipGradNorm_ as clip_grad_norm_, clipGradNorm_ as clipGradNorm,
  clipGradValue_, clipGradValue_ as clip_grad_value_, clipGradValue_ as clipGradValue,
} from '@torchlet/core';
// A local alias rather than `export type {...} from`: tsup's declaration bundler turns a type
// re-exported from another package into a value inside `export * as utils`, which Deno's type
// check of the built .d.ts rejects.
/** Options of `clipGradNorm_` (core's `ClipGradNormOptions`): `normType`, `errorIfNonfinite`, `foreach`. */
export type ClipGradNormOptions = core.ClipGradNormOptions;
