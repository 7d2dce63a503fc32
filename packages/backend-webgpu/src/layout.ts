// The same shape arithmetic as backend-wasm's layout.ts (backends never import each other).
/**
 * Shape arithmetic for the kernels: merging dimensions that can be walked as one, so kernels see
 * the smallest rank (a contiguous tensor of any rank becomes one row, which takes the SIMD path).
 */

export interface Layout {
  shape: number[];
  /** One stride array per operand, in elements. */
  strides: number[][];
}

/** The number of elements of a shape (1 for rank 0). */
export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Row-major strides of a shape, in elements. */
export function contiguousStrides(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i]!;
  }
  return s;
}

/**
 * Drops size-1 dimensions and merges neighbours `d, d+1` wherever every operand has
 * `strides[d] == strides[d+1] * shape[d+1]`. The result has rank >= 1 (a scalar becomes `[1]`).
 * Assumes no dimension is 0 (callers return early on empty tensors).
 */
export function coalesce(shape: readonly number[], strides: readonly (readonly number[])[]): Layout {
  const k = strides.length;
  const outShape: number[] = [];
  const outStrides: number[][] = strides.map(() => []);
  for (let d = shape.length - 1; d >= 0; d--) {
    const n = shape[d]!;
    if (n === 1) continue;
    const last = outShape.length - 1;
    let merge = last >= 0;
    if (merge) {
      const inner = outShape[0]!;
      for (let j = 0; j < k && merge; j++) merge = strides[j]![d] === outStrides[j]![0]! * inner;
    }
    if (merge) {
      outShape[0] = outShape[0]! * n;
    } else {
      outShape.unshift(n);
      for (let j = 0; j < k; j++) outStrides[j]!.unshift(strides[j]![d]!);
    }
  }
  if (outShape.length === 0) return { shape: [1], strides: strides.map(() => [0]) };
  return { shape: outShape, strides: outStrides };
}

/** True when a view's elements are one contiguous run in row-major order. */
export function isContiguous(shape: readonly number[], strides: readonly number[]): boolean {
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    if (shape[i] !== 1 && strides[i] !== acc) return false;
    acc *= shape[i]!;
  }
  return true;
}
