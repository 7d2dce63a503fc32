/**
 * Element types. `bool` is stored one byte per element (0 or 1).
 * PyTorch's int64 index tensors map to `int32` here.
 */
export type DType = 'float32' | 'int32' | 'bool';

/** The typed array that holds a dtype's elements on the host. */
export type TypedArray = Float32Array | Int32Array | Uint8Array;

/** Every {@link DType}. */
export const DTYPES: readonly DType[] = ['float32', 'int32', 'bool'];

/** Bytes per element. */
export function dtypeSize(dtype: DType): number {
  return dtype === 'bool' ? 1 : 4;
}

/** Type guard: true for the strings `'float32'`, `'int32'` and `'bool'`. */
export function isDType(x: unknown): x is DType {
  return x === 'float32' || x === 'int32' || x === 'bool';
}

/** True for floating-point dtypes (only `'float32'` here): the only ones that can require gradients. */
export function isFloat(dtype: DType): boolean {
  return dtype === 'float32';
}

/** A host array of `n` elements of `dtype`. */
export function allocTyped(dtype: DType, n: number): TypedArray {
  switch (dtype) {
    case 'float32':
      return new Float32Array(n);
    case 'int32':
      return new Int32Array(n);
    case 'bool':
      return new Uint8Array(n);
  }
}

/** The typed-array view of `bytes` for `dtype`, sharing memory. */
export function typedView(dtype: DType, buffer: ArrayBufferLike, byteOffset: number, length: number): TypedArray {
  switch (dtype) {
    case 'float32':
      return new Float32Array(buffer, byteOffset, length);
    case 'int32':
      return new Int32Array(buffer, byteOffset, length);
    case 'bool':
      return new Uint8Array(buffer, byteOffset, length);
  }
}

const RANK: Record<DType, number> = { bool: 0, int32: 1, float32: 2 };

/** PyTorch's promotion between two tensor dtypes: bool < int32 < float32. */
export function promoteTypes(a: DType, b: DType): DType {
  return RANK[a] >= RANK[b] ? a : b;
}
