import type { CaseDType, JsonNumber, TensorJson } from './cases.ts';

/** A decoded case tensor: the typed array of its dtype (`bool` as 0/1 bytes). */
export interface DecodedTensor {
  readonly dtype: CaseDType;
  readonly shape: number[];
  readonly data: Float32Array | Int32Array | Uint8Array | Float64Array;
}

/**
 * A JSON scalar as a number: `Number()` maps "Infinity", "-Infinity" and "NaN" and keeps -0.
 * Not rounded: a Float32Array store (see {@link decodeTensor}) or `Math.fround` does that.
 */
export function decodeNumber(v: JsonNumber | boolean): number {
  const n = Number(v);
  if (Number.isNaN(n) && v !== 'NaN') throw new TypeError(`conformance: '${String(v)}' is not a number`);
  return n;
}

/** The number of elements of a shape (1 for a 0-d tensor). */
export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/**
 * Decodes a case tensor into a typed array of its dtype, checking that `data` fills `shape`.
 * float32 elements round once (the Float32Array store does `Math.fround`).
 */
export function decodeTensor(t: TensorJson): DecodedTensor {
  const n = numel(t.shape);
  if (t.data.length !== n) {
    throw new Error(`conformance: tensor${t.name ? ` '${t.name}'` : ''} of shape [${t.shape}] has ${t.data.length} elements, expected ${n}`);
  }
  let data: DecodedTensor['data'];
  switch (t.dtype) {
    case 'float32':
      data = new Float32Array(n);
      break;
    case 'float64':
      data = new Float64Array(n);
      break;
    case 'int32':
      data = new Int32Array(n);
      break;
    case 'bool':
      data = new Uint8Array(n);
      break;
    default:
      throw new Error(`conformance: unknown dtype '${String((t as TensorJson).dtype)}'`);
  }
  for (let i = 0; i < n; i++) data[i] = decodeNumber(t.data[i]!);
  return { dtype: t.dtype, shape: [...t.shape], data };
}
