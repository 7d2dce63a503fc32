/** Dropout (PyTorch's `nn.Dropout`): active only in training mode. */
import * as T from '@torchlet/core';
import type { Tensor } from '@torchlet/core';
import { Module } from '../module.ts';
import { pyFloat } from './args.ts';

/**
 * Zeroes each element with probability `p` in training mode, scaling the rest by `1 / (1 - p)` (PyTorch's `nn.Dropout`);
 * the identity after `eval()`. The mask comes from the seeded generator (`manualSeed`). Throws a RangeError for `p` outside [0, 1].
 *
 * @example
 * ```ts
 * const drop = new nn.Dropout(0.1);
 * const x = torch.ones([4, 4]);
 * drop.forward(x);          // training: zeros 10% and scales the rest by 1/0.9
 * drop.eval();
 * console.log(await drop.forward(x).sum().item());   // 16: the identity in eval mode
 * ```
 */
export class Dropout extends Module {
  /** Probability of an element being zeroed (default 0.5). */
  readonly p: number;

  /** PyTorch's `Dropout(p=0.5, inplace=False)`: `p` positionally or as `{ p }` (`inplace` must be false). */
  constructor(...args: T.PosArgs<{ p?: number; inplace?: false }, ['p', 'inplace']>) {
    super();
    const { p = 0.5, inplace } = T.parseArgs('Dropout', args, ['p', 'inplace']) as { p?: number; inplace?: boolean };
    if (inplace) throw new TypeError('Dropout: inplace=true is not supported (tensors here are not modified in place by layers)');
    if (typeof p !== 'number' || !(p >= 0 && p <= 1)) throw new RangeError(`Dropout: dropout probability has to be between 0 and 1, but got ${String(p)}`);
    this.p = p;
  }

  /** Zeroes elements with probability `p` and scales the rest by `1 / (1 - p)` in training; the identity in eval. */
  forward(input: Tensor): Tensor {
    return T.dropout(input, { p: this.p, training: this.training });
  }

  override extraRepr(): string {
    return `p=${pyFloat(this.p)}, inplace=False`;
  }
}
