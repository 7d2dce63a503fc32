/** Installs autograd into core: records graph nodes and implements `Tensor.backward`. */
import * as T from '@torchlet/core';
import type { AutogradHook, Primitive, PrimitiveAttrs, Tensor } from '@torchlet/core';
import { runBackward } from './engine.ts';
import { Node, ruleOf } from './node.ts';
import { tapNode } from './tap.ts';

const hook: AutogradHook = {
  record<P extends Primitive>(prim: P, attrs: PrimitiveAttrs[P], inputs: readonly Tensor[], out: Tensor): void {
    // Only float outputs carry gradients (comparisons, argmax and int casts stop the graph).
    if (!T.isFloat(out.dtype)) return;
    const rule = ruleOf(prim);
    if (!rule) return;
    out.setGradFn_(new Node(prim, attrs as PrimitiveAttrs[Primitive], rule, inputs, out));
  },

  tap(t, name, fn) {
    // A view of t with no node of its own (noGrad), then the tap's node on it.
    const out = T.noGrad(() => T.view(t, t.shape));
    out.setGradFn_(tapNode(t, out, name, fn));
    return out;
  },

  backward(t, gradient, options) {
    if (!t.requiresGrad) {
      throw new Error(
        `element 0 of tensors does not require grad and does not have a grad_fn (shape [${t.shape.join(', ')}]): ` +
          'call requiresGrad_() on the inputs you want gradients for, and do not compute the loss inside noGrad().',
      );
    }
    let seed = gradient;
    if (seed === undefined) {
      if (t.numel() !== 1) {
        throw new Error(`grad can be implicitly created only for scalar outputs; backward() of a tensor of shape [${t.shape.join(', ')}] needs a gradient argument of that shape`);
      }
      seed = T.onesLike(t);
    } else {
      if (!(seed instanceof T.Tensor)) {
        throw new TypeError(`backward: the gradient must be a Tensor, got ${Array.isArray(seed) ? 'an array' : typeof seed}`);
      }
      seed.view_();
      if (seed.numel() !== t.numel() || seed.shape.some((s, i) => s !== t.shape[i])) {
        throw new RangeError(`backward: the gradient's shape [${seed.shape.join(', ')}] does not match the tensor's shape [${t.shape.join(', ')}]`);
      }
      if (seed.dtype !== t.dtype) throw new TypeError(`backward: the gradient must have the tensor's dtype ${t.dtype}, got ${seed.dtype}`);
    }
    try {
      // As in PyTorch, retainGraph defaults to createGraph.
      runBackward(t, seed, { createGraph: options.createGraph, retainGraph: options.retainGraph ?? options.createGraph });
    } finally {
      if (seed !== gradient) seed.dispose();
    }
  },
};

/** Installs the hook (idempotent); importing this package does it. */
export function installAutograd(): void {
  T.setAutogradHook(hook);
}
