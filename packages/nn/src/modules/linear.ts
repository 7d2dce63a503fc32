import * as T from '@torchlet/core';
import type { Tensor } from '@torchlet/core';
import { Module } from '../module.ts';
import { Parameter } from '../parameter.ts';
import { kaimingUniform_, uniform_ } from '../init.ts';
import { pyBool } from './args.ts';

/** Options of `Linear` (PyTorch's keyword arguments). */
export interface LinearOptions {
  /** Learn an additive bias `(outFeatures)`. Default true, as in PyTorch. */
  bias?: boolean;
}

/**
 * `y = x W^T + b`, with `weight` of shape `[outFeatures, inFeatures]` as in PyTorch, and
 * PyTorch's default initialisation (kaiming-uniform with a = sqrt(5), bias U(-1/sqrt(in), 1/sqrt(in))).
 *
 * @example
 * ```ts
 * const fc = new nn.Linear(784, 128);          // nn.Linear(784, 128)
 * const y = fc.forward(torch.randn([64, 784]));
 * console.log(y.shape, fc.weight.shape);         // [64, 128] [128, 784]
 * const noBias = new nn.Linear(4, 2, { bias: false });
 * ```
 */
export class Linear extends Module {
  /** Size of each input's last dim, PyTorch's `in_features`. */
  readonly inFeatures: number;
  /** Size of each output's last dim, PyTorch's `out_features`. */
  readonly outFeatures: number;
  /** `(outFeatures, inFeatures)`, kaiming-uniform with a = sqrt(5); state-dict key `weight`. */
  weight: Parameter;
  /** `(outFeatures)`, U(-1/sqrt(inFeatures), 1/sqrt(inFeatures)); state-dict key `bias`; null with `bias: false`. */
  bias: Parameter | null;

  /** PyTorch's `Linear(in_features, out_features, bias)`: `bias` positionally or as `{ bias }`. */
  constructor(inFeatures: number, outFeatures: number, ...args: T.PosArgs<LinearOptions, ['bias']>) {
    super();
    const options = T.parseArgs('Linear', args, ['bias']) as LinearOptions;
    if (options.bias !== undefined) T.argBool('Linear', 'bias', options.bias);
    for (const [v, n] of [[inFeatures, 'inFeatures'], [outFeatures, 'outFeatures']] as const) {
      if (!Number.isInteger(v) || v < 0) throw new RangeError(`Linear: ${n} must be a non-negative integer, got ${v}`);
    }
    this.inFeatures = inFeatures;
    this.outFeatures = outFeatures;
    this.weight = newParameter([outFeatures, inFeatures]);
    this.bias = options.bias === false ? null : newParameter([outFeatures]);
    this.resetParameters();
  }

  /** Re-draws `weight` and `bias` in place with PyTorch's default initialisation (from the seeded generator). */
  resetParameters(): void {
    kaimingUniform_(this.weight, { a: Math.sqrt(5) });
    if (this.bias) {
      const bound = this.inFeatures > 0 ? 1 / Math.sqrt(this.inFeatures) : 0;
      uniform_(this.bias, -bound, bound);
    }
  }

  /** `input: (N, *, inFeatures) -> (N, *, outFeatures)` (a 1-D `(inFeatures)` input gives `(outFeatures)`). */
  forward(input: Tensor): Tensor {
    return T.linear(input, this.weight, this.bias);
  }

  override extraRepr(): string {
    return `in_features=${this.inFeatures}, out_features=${this.outFeatures}, bias=${pyBool(this.bias !== null)}`;
  }
}

/** A parameter of `shape` (contents set by the caller's initialiser). */
export function newParameter(shape: readonly number[]): Parameter {
  const t = T.zeros(shape);
  try {
    return new Parameter(t);
  } finally {
    t.dispose();
  }
}
