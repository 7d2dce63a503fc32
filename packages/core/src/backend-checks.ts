/**
 * Checks shared by backends, so every backend words the contract's errors the same way: an op it
 * cannot run names the op, the backend and the dtypes (backend.ts), and a malformed call names
 * the shapes. Core never makes such calls; these guard a backend used directly.
 */
import type { View } from './backend.ts';
import type { DType } from './dtype.ts';
import { isContiguous, numel } from './shape.ts';

/**
 * The error for an op a backend cannot run with these dtypes.
 *
 * @example
 * ```ts
 * // For backend authors: the error a backend throws for an op/dtype it lacks.
 * const err = torch.unsupportedError('mybackend', 'matmul', { a: 'int32' });
 * console.log(err.message);
 * ```
 */
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
 *
 * @example
 * ```ts
 * // For backend authors: validates Backend.matmul's views and returns M, N, K.
 * const view = (shape: number[]) => ({ buffer: 0, dtype: 'float32' as const, shape, strides: torch.contiguousStrides(shape), offset: 0 });
 * console.log(torch.checkMatmulViews('mybackend', view([2, 3]), view([3, 4]), view([2, 4])));   // { M: 2, N: 4, K: 3, ... }
 * ```
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

/**
 * Checks the operands of an element-wise fused kernel (`adamStep`, `sgdStep`): contiguous float32
 * views of one size, which it returns; throws an error naming the backend, the op and the layout.
 *
 * @example
 * ```ts
 * // For backend authors: checks that a fused op's views are float32 and contiguous; returns the element count.
 * const view = (shape: number[]) => ({ buffer: 0, dtype: 'float32' as const, shape, strides: torch.contiguousStrides(shape), offset: 0 });
 * console.log(torch.checkFusedViews('mybackend', 'adamStep', [view([10]), view([10])]));   // 10
 * ```
 */
export function checkFusedViews(backend: string, op: string, views: readonly View[]): number {
  const n = numel(views[0]!.shape);
  for (const v of views) {
    if (v.dtype !== 'float32') throw unsupportedError(backend, op, { operand: v.dtype });
    if (!isContiguous(v.shape, v.strides) || numel(v.shape) !== n) {
      throw new Error(`${backend} backend: ${op} needs contiguous float32 operands of ${n} elements, got shape [${v.shape.join(', ')}] with strides [${v.strides.join(', ')}]`);
    }
  }
  return n;
}

/** The sizes of an `int8Linear` call, after {@link checkInt8LinearViews}. */
export interface Int8LinearDims {
  /** Rows of `x` and `out`. */
  M: number;
  /** Output features: rows of `weight`, columns of `out`. */
  N: number;
  /** Input features: columns of `x`. */
  K: number;
  /** Bytes per weight row (K padded to a multiple of 16; `weight` holds them as int32 words). */
  kp: number;
}

/**
 * Checks the operands of `FusedKernels.int8Linear` (contiguous; x, weightScale, bias, out float32,
 * weight int32 words of packed int8 rows of `kp` bytes, kp a multiple of 16 and >= K) and returns
 * the sizes; throws an error naming the backend and the operand or the shapes.
 *
 * @example
 * ```ts
 * // For backend authors: validates the views of the int8 linear kernel (weight: int8 rows packed in int32 words).
 * const v = (shape: number[], dtype: torch.DType) => ({ buffer: 0, dtype, shape, strides: torch.contiguousStrides(shape), offset: 0 });
 * const dims = torch.checkInt8LinearViews('mybackend', v([2, 16], 'float32'), v([4, 4], 'int32'), v([4], 'float32'), null, v([2, 4], 'float32'));
 * console.log(dims);
 * ```
 */
export function checkInt8LinearViews(backend: string, x: View, weight: View, weightScale: View, bias: View | null, out: View): Int8LinearDims {
  const operands: Array<[string, View | null, DType]> = [['x', x, 'float32'], ['weight', weight, 'int32'], ['weightScale', weightScale, 'float32'], ['bias', bias, 'float32'], ['out', out, 'float32']];
  for (const [name, v, dtype] of operands) {
    if (!v) continue;
    if (v.dtype !== dtype) throw unsupportedError(backend, 'int8Linear', { [name]: v.dtype });
    if (!isContiguous(v.shape, v.strides)) throw new Error(`${backend} backend: int8Linear needs a contiguous ${name}, got strides [${v.strides.join(', ')}]`);
  }
  const [M, K] = x.shape as [number, number];
  const N = weight.shape[0]!, kp = 4 * weight.shape[1]!;
  if (x.shape.length !== 2 || weight.shape.length !== 2 || kp % 16 !== 0 || kp < K || numel(weightScale.shape) !== N || (bias && numel(bias.shape) !== N) || out.shape[0] !== M || out.shape[1] !== N) {
    throw new Error(`${backend} backend: int8Linear shapes do not agree: x [${x.shape}], weight [${weight.shape}] (int8 rows of ${kp} bytes), weightScale [${weightScale.shape}], out [${out.shape}]`);
  }
  return { M, N, K, kp };
}
