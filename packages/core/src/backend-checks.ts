/**
 * Checks shared by backends, so every backend words the contract's errors the same way: an op it
 * cannot run names the op, the backend and the dtypes (backend.ts), and a malformed call names
 * the shapes. Core never makes such calls; these guard a backend used directly.
 */
import type { View } from './backend.ts';
import type { DType } from './dtype.ts';

/** The error for an op a backend cannot run with these dtypes. */
export function unsupportedError(backend: string, op: string, dtypes: Record<string, DType>): Error {
  const list = Object.entries(dtypes).map(([k, d]) => `${k}: ${d}`).join(', ');
  return new Error(`${backend} backend: '${op}' is not supported for dtypes (${list})`);
}

/** The sizes of a batched matmul call, after {@link checkMatmulViews}. */
export interface MatmulDims {
  /** The rank of every operand (>= 2). */
  rank: number;
  /** Rows of `a` and `out`. */
  M: number;
  /** Columns of `b` and `out`. */
  N: number;
  /** The contracted size: columns of `a`, rows of `b`. */
  K: number;
}

/**
 * Checks the views of `Backend.matmul` (float32, equal rank >= 2, `[..., M, K] @ [..., K, N] ->
 * [..., M, N]`) and returns the sizes; throws an error naming the backend and the shapes.
 */
export function checkMatmulViews(backend: string, a: View, b: View, out: View): MatmulDims {
  if (a.dtype !== 'float32' || b.dtype !== 'float32' || out.dtype !== 'float32') {
    throw unsupportedError(backend, 'matmul', { a: a.dtype, b: b.dtype, out: out.dtype });
  }
  const rank = out.shape.length;
  if (rank < 2 || a.shape.length !== rank || b.shape.length !== rank) {
    throw new Error(`${backend} backend: matmul needs operands of equal rank >= 2, got [${a.shape}] @ [${b.shape}] -> [${out.shape}]`);
  }
  const M = out.shape[rank - 2]!, N = out.shape[rank - 1]!, K = a.shape[rank - 1]!;
  if (a.shape[rank - 2] !== M || b.shape[rank - 2] !== K || b.shape[rank - 1] !== N) {
    throw new Error(`${backend} backend: matmul shapes do not agree: [${a.shape}] @ [${b.shape}] -> [${out.shape}]`);
  }
  return { rank, M, N, K };
}
