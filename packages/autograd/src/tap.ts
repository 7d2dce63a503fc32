/**
 * The node behind core's `tapGradient`: an identity whose backward hands the gradient to a
 * function and passes on what it returns (Module's full backward hooks read and replace
 * gradients there, as PyTorch's BackwardHookFunction does).
 */
import type { GradientTap, Primitive, Tensor } from '@torchlet/core';
import { Node } from './node.ts';
import type { Rule } from './rules.ts';

/** A graph node for `out`, an alias of `input`, whose gradient `fn` maps (null: none flows on). */
export function tapNode(input: Tensor, out: Tensor, name: string, fn: GradientTap): Node {
  const rule: Rule<'reshape'> = {
    backward: (g) => {
      const r = fn(g);
      if (r === null) return [null];
      if (!r || typeof r !== 'object' || r.constructor?.name !== 'Tensor') throw new TypeError(`${name}: a gradient tap must return a Tensor or null`);
      if (r.shape.length !== g.shape.length || r.shape.some((s, i) => s !== g.shape[i])) {
        throw new RangeError(`${name}: the gradient returned has shape [${r.shape.join(', ')}], expected [${g.shape.join(', ')}]`);
      }
      return [r];
    },
  };
  // A reshape to the same shape as far as the graph is concerned: one input, one output.
  return new Node('reshape', { shape: out.shape }, rule as Rule<Primitive>, [input], out, name);
}
