/**
 * The losses' arguments in PyTorch's positional order, after `(input, target)`, for the
 * functions here and the loss modules' constructors; and PyTorch's deprecated `size_average` /
 * `reduce` (still positional in every signature), mapped to a reduction as PyTorch maps them.
 */
import { argBool, parseArgs } from '@torchlet/core';

/** `F.mse_loss(input, target, size_average, reduce, reduction)`; `l1_loss` and `nn.MSELoss`/`nn.L1Loss` alike. */
export const MSE_ARGS = ['sizeAverage', 'reduce', 'reduction'] as const;
/** `F.smooth_l1_loss(input, target, size_average, reduce, reduction, beta)`. */
export const SMOOTH_L1_ARGS = ['sizeAverage', 'reduce', 'reduction', 'beta'] as const;
/** `F.nll_loss(input, target, weight, size_average, ignore_index, reduce, reduction)`. */
export const NLL_ARGS = ['weight', 'sizeAverage', 'ignoreIndex', 'reduce', 'reduction'] as const;
/** `F.cross_entropy(input, target, weight, size_average, ignore_index, reduce, reduction, label_smoothing)`. */
export const CROSS_ENTROPY_ARGS = ['weight', 'sizeAverage', 'ignoreIndex', 'reduce', 'reduction', 'labelSmoothing'] as const;
/** `F.binary_cross_entropy(input, target, weight, size_average, reduce, reduction)`. */
export const BCE_ARGS = ['weight', 'sizeAverage', 'reduce', 'reduction'] as const;
/** `F.binary_cross_entropy_with_logits(input, target, weight, size_average, reduce, reduction, pos_weight)`. */
export const BCE_LOGITS_ARGS = ['weight', 'sizeAverage', 'reduce', 'reduction', 'posWeight'] as const;
/** `F.kl_div(input, target, size_average, reduce, reduction, log_target)`. */
export const KL_DIV_ARGS = ['sizeAverage', 'reduce', 'reduction', 'logTarget'] as const;

/**
 * A loss's arguments as one record: positional in PyTorch's order and/or one options object
 * (unknown keys throw, naming the closest). When `sizeAverage` or `reduce` is given (not null),
 * `reduction` becomes what PyTorch 1.13's `_Reduction.legacy_get_string` makes of them: 'mean'
 * when both are true (the default of each), 'sum' when only `reduce` is, else 'none'.
 */
export function lossArgs(op: string, args: readonly unknown[], names: readonly string[]): Record<string, unknown> {
  const o = parseArgs(op, args, names);
  const sizeAverage = o.sizeAverage ?? null, reduce = o.reduce ?? null;
  delete o.sizeAverage;
  delete o.reduce;
  if (sizeAverage !== null || reduce !== null) {
    const hint = " (PyTorch's deprecated size_average/reduce; prefer { reduction: 'mean' | 'sum' | 'none' })";
    const sa = sizeAverage === null ? true : argBool(op, `sizeAverage${hint}`, sizeAverage);
    const r = reduce === null ? true : argBool(op, `reduce${hint}`, reduce);
    o.reduction = sa && r ? 'mean' : r ? 'sum' : 'none';
  }
  return o;
}
