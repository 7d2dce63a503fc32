/** Functional gradients: `grad(f)`, `valueAndGrad(f)` and PyTorch's `autograd.grad(outputs, inputs)`. */
import * as T from '@torchlet/core';
import type { Tensor } from '@torchlet/core';
import { runBackward } from './engine.ts';

/**
 * Options of `grad(f, options)` and `valueAndGrad(f, options)` (jax's `argnums`, PyTorch's
 * `create_graph`).
 */
export interface GradOptions {
  /** Which arguments to differentiate with respect to (default 0). */
  argnums?: number | readonly number[];
  /**
   * Record the gradient computation so it can be differentiated again. Defaults to true when
   * gradients are being recorded and an argument already requires grad (a nested `grad`).
   */
  createGraph?: boolean;
}

/** Options of `gradOf(output, inputs, options)`, named as in PyTorch's `torch.autograd.grad`. */
export interface AutogradGradOptions {
  /** The cotangent of `output` (required unless it has one element). */
  gradOutput?: Tensor;
  /**
   * Keep the graph's saved tensors after this pass so it can be walked again (PyTorch's
   * `retain_graph`). Defaults to `createGraph`; without it the nodes release what they saved, and a
   * second pass through them throws.
   */
  retainGraph?: boolean;
  /**
   * Record the backward computation so the returned gradients can themselves be differentiated
   * (PyTorch's `create_graph`). Default false.
   */
  createGraph?: boolean;
  /** Return zeros instead of throwing for inputs the output does not depend on. */
  allowUnused?: boolean;
}

/**
 * Gradients of `output` with respect to `inputs`, without touching any `.grad` (PyTorch's
 * `torch.autograd.grad`). The caller owns the returned tensors.
 *
 * @example
 * ```ts
 * const x = torch.tensor([1, 2, 3], { requiresGrad: true });
 * const y = x.mul(x).sum();                  // y = sum(x^2)
 * const [dx] = torch.autograd.gradOf(y, [x]);   // torch.autograd.grad(y, [x])
 * console.log(await dx!.tolist());           // [2, 4, 6]
 * ```
 */
export function gradOf(output: Tensor, inputs: readonly Tensor[], options: AutogradGradOptions = {}): Tensor[] {
  output.view_();
  if (!output.requiresGrad) throw new Error('gradOf: the output does not require grad: none of the inputs it was computed from requires grad');
  inputs.forEach((t, i) => {
    t.view_();
    if (!t.requiresGrad) throw new Error(`gradOf: input ${i} (shape [${t.shape.join(', ')}]) does not require grad`);
  });
  let seed = options.gradOutput;
  if (!seed) {
    if (output.numel() !== 1) throw new Error(`grad can be implicitly created only for scalar outputs (shape [${output.shape.join(', ')}])`);
    seed = T.onesLike(output);
  }
  let grads: Array<Tensor | null>;
  try {
    grads = runBackward(output, seed, { inputs, retainGraph: options.retainGraph ?? options.createGraph, createGraph: options.createGraph });
  } finally {
    if (seed !== options.gradOutput) seed.dispose();
  }
  return grads.map((g, i) => {
    if (g) return g;
    if (!options.allowUnused) {
      grads.forEach((h) => h?.dispose());
      throw new Error(`gradOf: input ${i} was not used to compute the output; pass allowUnused: true to get zeros`);
    }
    return T.keep(T.zerosLike(inputs[i]!));
  });
}

function argIndices(argnums: GradOptions['argnums'], n: number): number[] {
  const list = argnums === undefined ? [0] : typeof argnums === 'number' ? [argnums] : [...argnums];
  for (const a of list) {
    if (!Number.isInteger(a) || a < 0 || a >= n) throw new RangeError(`grad: argnums ${a} is out of range for a call with ${n} arguments`);
  }
  return list;
}

/**
 * `valueAndGrad(f)(...args)` returns `[f(...args), gradients]`: the gradients of the scalar
 * `f(...args)` with respect to the arguments in `argnums` (one tensor, or an array when
 * `argnums` is an array). The caller owns the value and the gradients; everything else created
 * during the call is disposed.
 *
 * @example
 * ```ts
 * const f = torch.valueAndGrad((x: torch.Tensor) => x.exp().sum());
 * const [value, g] = f(torch.zeros([3]));
 * console.log(await value.item(), await (g as torch.Tensor).tolist());   // 3 [1, 1, 1]
 * ```
 */
export function valueAndGrad<A extends Tensor[]>(
  f: (...args: A) => Tensor,
  options: GradOptions = {},
): (...args: A) => [Tensor, Tensor | Tensor[]] {
  return (...args: A) => {
    const which = argIndices(options.argnums, args.length);
    const createGraph = options.createGraph ?? (T.isGradEnabled() && which.some((i) => args[i]!.requiresGrad));
    return T.tidy(() => {
      // Each differentiated argument enters as a fresh node: a leaf of its own, or (when it
      // already requires grad, as in a nested grad) a recorded alias that stays connected.
      const inner = args.map((a, i) => {
        if (!which.includes(i)) return a;
        if (!(a instanceof T.Tensor)) throw new TypeError(`grad: argument ${i} must be a Tensor to differentiate with respect to it`);
        if (!T.isFloat(a.dtype)) throw new TypeError(`grad: argument ${i} has dtype ${a.dtype}; only float tensors (float32, float16, bfloat16) have gradients`);
        return a.requiresGrad ? a.reshape(a.shape) : a.detach().requiresGrad_(true);
      }) as A;
      const value = T.enableGrad(() => f(...inner));
      if (!(value instanceof T.Tensor)) throw new TypeError('grad: the function must return a Tensor');
      if (value.numel() !== 1) throw new Error(`grad: the function must return a single-element tensor, got shape [${value.shape.join(', ')}]`);
      if (!T.isFloat(value.dtype)) throw new TypeError(`grad: the function must return a float tensor, got ${value.dtype}`);
      const diffInputs = which.map((i) => inner[i]!);
      const grads = value.requiresGrad
        ? gradOf(value, diffInputs, { createGraph, allowUnused: true })
        : diffInputs.map((t) => T.zerosLike(t));
      const result = createGraph ? value : value.detach();
      return [result, typeof options.argnums === 'object' ? grads : grads[0]!] as [Tensor, Tensor | Tensor[]];
    });
  };
}

/**
 * `grad(f)(...args)`: the gradients of the scalar `f(...args)`; see {@link valueAndGrad}.
 *
 * @example
 * ```ts
 * // JAX-style: a function of tensors -> its gradient function
 * const df = torch.grad((x: torch.Tensor) => x.mul(x).sum());
 * const g = df(torch.tensor([1, 2, 3])) as torch.Tensor;
 * console.log(await g.tolist());   // [2, 4, 6]
 * ```
 */
export function grad<A extends Tensor[]>(f: (...args: A) => Tensor, options: GradOptions = {}): (...args: A) => Tensor | Tensor[] {
  const vg = valueAndGrad(f, options);
  return (...args: A) => {
    const [value, grads] = vg(...args);
    value.dispose();
    return grads;
  };
}
