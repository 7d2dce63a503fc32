/** Attention masks. */
import * as T from '@torchlet/core';
import type { Tensor } from '@torchlet/core';

/**
 * PyTorch's `Transformer.generate_square_subsequent_mask(sz)`: a float `(sz, sz)` mask with
 * `-Infinity` above the diagonal and 0 elsewhere, so position i attends positions j <= i.
 *
 * @example
 * ```ts
 * const mask = torch.generateSquareSubsequentMask(3);   // nn.Transformer.generate_square_subsequent_mask(3)
 * console.log(await mask.tolist());   // [[0, -Infinity, -Infinity], [0, 0, -Infinity], [0, 0, 0]]
 * ```
 */
export function generateSquareSubsequentMask(sz: number, options: { backend?: T.Backend } = {}): Tensor {
  if (!Number.isInteger(sz) || sz < 0) throw new RangeError(`generateSquareSubsequentMask: sz must be a non-negative integer, got ${String(sz)}`);
  return T.tidy(() => T.full([sz, sz], -Infinity, { backend: options.backend }).triu(1));
}
