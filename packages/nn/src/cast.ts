/**
 * Converting a module's floating-point parameters and buffers to another float dtype, as
 * PyTorch's `module.to(dtype)`, `half()`, `bfloat16()` and `float()` do: integer and bool
 * tensors (index buffers, counters) are left alone; each tensor keeps its identity (its data is
 * replaced, like PyTorch's `param.data = ...`), so an optimizer or a module field holding a
 * parameter sees the new dtype. Gradients present are converted too.
 */
import { isFloat, noGrad, toDType, type DType, type DTypeLike, type Tensor } from '@torchlet/core';
import type { Module } from './module.ts';

/**
 * Converts every float parameter and buffer of `module` (and its descendants) to the float dtype
 * `dtype` in place; returns `module`. A non-float dtype throws, as PyTorch's `Module.to` does.
 *
 * @example
 * const net = new nn.Sequential(new nn.Linear(4, 2));
 * nn.castParameters(net, 'bfloat16');   // what net.bfloat16() does
 * console.log(net.stateDict()['0.weight']!.dtype);   // 'bfloat16'
 */
export function castParameters<M extends Module>(module: M, dtype: DTypeLike, op = 'Module.to'): M {
  const target: DType = toDType(dtype, op);
  if (!isFloat(target)) {
    throw new TypeError(`${op}: only accepts floating point dtypes (float32, float16, bfloat16), but got desired dtype=${target}`);
  }
  const seen = new Set<Tensor>();
  const tensors = [...module.parameters(), ...module.buffers()].filter((t) => {
    if (seen.has(t) || !isFloat(t.dtype)) return false;
    seen.add(t);
    return true;
  });
  noGrad(() => {
    for (const t of tensors) {
      if (t.dtype !== target) {
        const c = t.to(target);
        try {
          t.setData_(c);
        } finally {
          c.dispose();
        }
      }
      if (t.grad && t.grad.dtype !== target) {
        const g = t.grad.to(target);
        t.grad.dispose();
        t.grad = g;
      }
    }
  });
  return module;
}
