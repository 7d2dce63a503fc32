/**
 * Element types.
 * - `float32`, `int32`: 4 bytes; `bool`: one byte per element (0 or 1).
 * - `float16` (IEEE binary16) and `bfloat16`: storage dtypes, 2 bytes per element holding the bit
 *   pattern. Ops compute on them in float32 and round the result back (PyTorch's CPU kernels do
 *   the same for most ops), so a half tensor costs half the memory, not less precision per op.
 * - PyTorch's `int64` (`torch.long`) is accepted wherever a dtype is written and stored as
 *   `int32`: values outside the int32 range throw instead of wrapping.
 * - `float64` is out of scope (WebAssembly SIMD and WebGPU compute in 32 bits); asking for it
 *   throws and says so.
 */
export type DType = 'float32' | 'int32' | 'bool' | 'float16' | 'bfloat16';

/**
 * What a caller may write for a dtype: a {@link DType} or one of PyTorch's other names for the
 * same thing (`'int64'`, `'long'`, `'int'`, `'half'`, `'float'`). {@link toDType} resolves it.
 */
export type DTypeLike = DType | 'int64' | 'long' | 'int' | 'half' | 'float';

/** The typed array that holds a dtype's elements on the host (float16/bfloat16: their bit patterns). */
export type TypedArray = Float32Array | Int32Array | Uint8Array | Uint16Array;

/** Every {@link DType}. */
export const DTYPES: readonly DType[] = ['float32', 'int32', 'bool', 'float16', 'bfloat16'];

/**
 * Bytes per element.
 *
 * @example
 * ```ts
 * console.log(torch.dtypeSize('float32'), torch.dtypeSize('bool'));   // 4 1
 * ```
 */
export function dtypeSize(dtype: DType): number {
  return dtype === 'bool' ? 1 : dtype === 'float16' || dtype === 'bfloat16' ? 2 : 4;
}

/**
 * Type guard: true for a {@link DType} string (`'float32'`, `'int32'`, `'bool'`, `'float16'`, `'bfloat16'`).
 *
 * @example
 * ```ts
 * console.log(torch.isDType('int32'), torch.isDType('float64'));   // true false
 * ```
 */
export function isDType(x: unknown): x is DType {
  return x === 'float32' || x === 'int32' || x === 'bool' || x === 'float16' || x === 'bfloat16';
}

/**
 * True for floating-point dtypes (float32, float16, bfloat16): the only ones that can require gradients.
 *
 * @example
 * ```ts
 * console.log(torch.isFloat('float32'), torch.isFloat('int32'));   // true false
 * ```
 */
export function isFloat(dtype: DType): boolean {
  return dtype === 'float32' || dtype === 'float16' || dtype === 'bfloat16';
}

/**
 * True for the 2-byte storage dtypes float16 and bfloat16, which compute in float32.
 *
 * @example
 * ```ts
 * console.log(torch.isHalf('bfloat16'), torch.isHalf('float32'));   // true false
 * ```
 */
export function isHalf(dtype: DType): dtype is 'float16' | 'bfloat16' {
  return dtype === 'float16' || dtype === 'bfloat16';
}

/** PyTorch's other names for torchlet's dtypes. */
const ALIASES: Readonly<Record<string, DType>> = {
  int64: 'int32', long: 'int32', int: 'int32',
  half: 'float16', float: 'float32',
};

const KNOWN = "'float32', 'float16', 'bfloat16', 'int32' (also 'int64'/'long', stored as int32) or 'bool'";

/**
 * Resolves a dtype a caller wrote ({@link DTypeLike}) to a {@link DType}, checked at run time for
 * plain JavaScript callers: `'int64'`/`'long'` become `'int32'`, `'half'` becomes `'float16'`.
 * Anything else throws a TypeError naming `op` and the value; `float64`/`double` throw and say they
 * are out of scope.
 *
 * @example
 * console.log(torch.toDType('int64', 'tensor'));   // 'int32'
 * console.log(torch.toDType(torch.half, 'to'));    // 'float16'
 * try { torch.toDType('float64', 'to'); } catch (err) { console.log((err as Error).message); }   // float64 is not supported ...
 */
export function toDType(x: unknown, op: string): DType {
  if (isDType(x)) return x;
  if (typeof x === 'string' && Object.prototype.hasOwnProperty.call(ALIASES, x)) return ALIASES[x]!;
  if (x === 'float64' || x === 'double') {
    throw new TypeError(
      `${op}: float64 is not supported: torchlet computes in 32 bits (WebAssembly SIMD and WebGPU have no fast float64); use 'float32'`,
    );
  }
  if (x === 'uint8' || x === 'int8' || x === 'int16' || x === 'uint16') {
    throw new TypeError(`${op}: ${x} is not supported: torchlet has float32, float16, bfloat16, int32 (int64) and bool; use 'int32' (or 'bool' for masks)`);
  }
  const shown = typeof x === 'string' ? `'${x}'` : x === null ? 'null' : typeof x === 'object' ? 'an object' : `${typeof x} ${String(x)}`;
  throw new TypeError(`${op}: unknown dtype ${shown}; expected ${KNOWN}`);
}

/**
 * A host array of `n` elements of `dtype` (zeros; float16/bfloat16 as bit patterns).
 *
 * @example
 * ```ts
 * console.log(torch.allocTyped('int32', 3));   // Int32Array(3) [0, 0, 0]
 * ```
 */
export function allocTyped(dtype: DType, n: number): TypedArray {
  switch (dtype) {
    case 'float32':
      return new Float32Array(n);
    case 'int32':
      return new Int32Array(n);
    case 'bool':
      return new Uint8Array(n);
    case 'float16':
    case 'bfloat16':
      return new Uint16Array(n);
  }
}

/**
 * The typed-array view of `bytes` for `dtype`, sharing memory.
 *
 * @example
 * ```ts
 * const buf = new ArrayBuffer(16);
 * const v = torch.typedView('float32', buf, 4, 2);   // elements 1 and 2 of the buffer, as Float32Array
 * console.log(v.length);   // 2
 * ```
 */
export function typedView(dtype: DType, buffer: ArrayBufferLike, byteOffset: number, length: number): TypedArray {
  switch (dtype) {
    case 'float32':
      return new Float32Array(buffer, byteOffset, length);
    case 'int32':
      return new Int32Array(buffer, byteOffset, length);
    case 'bool':
      return new Uint8Array(buffer, byteOffset, length);
    case 'float16':
    case 'bfloat16':
      return new Uint16Array(buffer, byteOffset, length);
  }
}

const RANK: Record<DType, number> = { bool: 0, int32: 1, float16: 2, bfloat16: 2, float32: 3 };

/**
 * PyTorch's promotion between two tensor dtypes: bool < int32 < float16, bfloat16 < float32, and
 * float16 with bfloat16 gives float32 (neither holds the other, as in PyTorch).
 * PyTorch's promotion between two tensor dtypes: bool < int32 < float32.
 *
 * @example
 * ```ts
 * console.log(torch.promoteTypes('int32', 'float32'), torch.promoteTypes('bool', 'int32'));   // 'float32' 'int32'
 * ```
 */
export function promoteTypes(a: DType, b: DType): DType {
  if (a !== b && isHalf(a) && isHalf(b)) return 'float32';
  return RANK[a] >= RANK[b] ? a : b;
}
