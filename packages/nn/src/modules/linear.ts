import * as T from '@torchlet/core';
import type { Tensor } from '@torchlet/core';
import { Module } from '../module.ts';
import { Parameter } from '../parameter.ts';
import { kaimingUniform_, uniform_ } from '../init.ts';
import { pyBool } from './args.ts';

export interface LinearOptions {
  bias?: boolean;
}

/**
 * `y = x W^T + b`, with `weight` of shape `[outFeatures, inFeatures]` as in PyTorch, and
 * PyTorch's default initialisation (kaiming-uniform with a = sqrt(5), bias U(-1/sqrt(in), 1/sqrt(in))).
 */
export class Linear extends Module {
  readonly inFeatures: number;
  readonly outFeatures: number;
  weight: Parameter;
  bias: Parameter | null;

  constructor(inFeatures: number, outFeatures: number, options: LinearOptions = {}) {
    super();
    for (const [v, n] of [[inFeatures, 'inFeatures'], [outFeatures, 'outFeatures']] as const) {
      if (!Number.isInteger(v) || v < 0) throw new RangeError(`Linear: ${n} must be a non-negative integer, got ${v}`);
    }
    this.inFeatures = inFeatures;
    this.outFeatures = outFeatures;
    this.weight = newParameter([outFeatures, inFeatures]);
    this.bias = options.bias === false ? null : newParameter([outFeatures]);
    this.resetParameters();
  }

  resetParameters(): void {
    kaimingUniform_(this.weight, { a: Math.sqrt(5) });
    if (this.bias) {
      const bound = this.inFeatures > 0 ? 1 / Math.sqrt(this.inFeatures) : 0;
      uniform_(this.bias, -bound, bound);
    }
  }

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
