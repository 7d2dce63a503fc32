/**
 * The backend's fused optimizer kernels (`backend.fused.adamStep`, `sgdStep`), used by the update
 * rules in update.ts when the backend has one and the tensors suit it; otherwise the composite
 * rule runs. Both paths are checked by the same conformance cases (the wasm backend has the
 * kernels, core's reference backend has none).
 */
import { markModifiedInPlace, type FusedKernels, type Tensor } from '@torchlet/core';

/**
 * The fused kernel `name` of the tensors' backend, when it has one and every tensor is a
 * contiguous float32 tensor of the same size on that backend; else null.
 */
export function fusedKernel<K extends keyof FusedKernels>(name: K, tensors: ReadonlyArray<Tensor | null>): FusedKernels[K] | null {
  const first = tensors[0]!;
  const kernel = first.backend.fused?.[name];
  if (!kernel) return null;
  const n = first.numel();
  for (const t of tensors) {
    if (t && (t.backend !== first.backend || t.dtype !== 'float32' || !t.isContiguous() || t.numel() !== n)) return null;
  }
  return kernel.bind(first.backend.fused) as FusedKernels[K];
}

/** After a fused kernel wrote `written` in place: autograd's version counters must see it. */
export const markWritten = markModifiedInPlace;
