/**
 * The IDX format of the MNIST files (http://yann.lecun.com/exdb/mnist/, "THE IDX FILE FORMAT"):
 * a 4-byte magic `0x00 0x00 <dtype> <ndim>`, then `ndim` big-endian uint32 sizes, then the
 * elements, big-endian, in row-major order. Nothing else: the data must fill the file exactly.
 */
import { DatasetFormatError, MAX_BYTES } from './errors.ts';
import { isGzip } from './bytes.ts';

/** The element types IDX defines, by their dtype byte. */
export type IDXDType = 'uint8' | 'int8' | 'int16' | 'int32' | 'float32' | 'float64';

const IDX_TYPES: Record<number, { dtype: IDXDType; size: number }> = {
  0x08: { dtype: 'uint8', size: 1 },
  0x09: { dtype: 'int8', size: 1 },
  0x0b: { dtype: 'int16', size: 2 },
  0x0c: { dtype: 'int32', size: 4 },
  0x0d: { dtype: 'float32', size: 4 },
  0x0e: { dtype: 'float64', size: 8 },
};

/** A parsed IDX file. `data` has `shape`'s product elements in row-major order. */
export interface IDXArray {
  /** The element type named by the header's type byte. */
  dtype: IDXDType;
  /** The dimension sizes from the header, outermost first (MNIST images: `[count, 28, 28]`). */
  shape: number[];
  /** uint8 data is a view into the input bytes (no copy); other types are converted from big-endian. */
  data: Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;
}

/** Options of `parseIDX`. */
export interface ParseIDXOptions {
  /** A name for error messages (the file name). Default 'IDX data'. */
  name?: string;
  /** Refuse data larger than this many bytes, checked on the header before allocating. Default 2^31. */
  maxBytes?: number;
}

/**
 * The total size in bytes an IDX file's header declares (header plus data), from its first
 * bytes; null while the header is incomplete. A header that does not parse gives its own length,
 * so inflation stops early and {@link parseIDX} names the problem. Used to bound gzip inflation.
 */
export function idxDeclaredSize(head: Uint8Array): number | null {
  if (head.length < 4) return null;
  const type = IDX_TYPES[head[2]!];
  const ndim = head[3]!;
  if (head[0] !== 0 || head[1] !== 0 || !type || ndim === 0 || ndim > MAX_NDIM) return 4;
  const headerBytes = 4 + 4 * ndim;
  if (head.length < headerBytes) return null;
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  let size = type.size;
  for (let i = 0; i < ndim; i++) size *= view.getUint32(4 + 4 * i, false); // at most 2^(32*16): a finite double
  return headerBytes + size;
}

/** IDX allows up to 255 dims; no real file has more than a handful. */
const MAX_NDIM = 16;

/**
 * Parses an (uncompressed) IDX file, checking every length and offset before reading it:
 * the magic, the dtype byte, that the header fits, that the product of the sizes neither
 * overflows nor passes `maxBytes`, and that the data fills the rest of the file exactly.
 * Throws {@link DatasetFormatError} (naming the file) on any mismatch; gzip input is refused
 * with a hint (the async loaders inflate it, see `readIDX`).
 *
 * @example
 * ```ts
 * import { encodeIDX, parseIDX } from '@torchlet/datasets';
 * const bytes = encodeIDX('uint8', [2, 2], [0, 255, 128, 7]);
 * const { dtype, shape, data } = parseIDX(bytes);
 * console.log(dtype, shape, Array.from(data));   // 'uint8' [2, 2] [0, 255, 128, 7]
 * ```
 */
export function parseIDX(bytes: Uint8Array, options: ParseIDXOptions = {}): IDXArray {
  const name = options.name ?? 'IDX data';
  const maxBytes = options.maxBytes ?? MAX_BYTES;
  if (!(bytes instanceof Uint8Array)) throw new TypeError(`${name}: parseIDX expects a Uint8Array`);
  if (isGzip(bytes)) {
    throw new DatasetFormatError(name, 'is gzip-compressed; inflate it first (readIDX and the loaders do this for you)');
  }
  if (bytes.length < 4) {
    throw new DatasetFormatError(name, `is ${bytes.length} bytes long, too short for the 4-byte IDX magic number`);
  }
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    throw new DatasetFormatError(name, `is not an IDX file: the magic number must start with two zero bytes, got 0x${hex(bytes[0]!)} 0x${hex(bytes[1]!)}`);
  }
  const type = IDX_TYPES[bytes[2]!];
  if (!type) {
    throw new DatasetFormatError(name, `has unknown IDX dtype byte 0x${hex(bytes[2]!)} (known: 0x08 ubyte, 0x09 byte, 0x0B short, 0x0C int, 0x0D float, 0x0E double)`);
  }
  const ndim = bytes[3]!;
  if (ndim === 0 || ndim > MAX_NDIM) {
    throw new DatasetFormatError(name, `declares ${ndim} dimensions; expected 1 to ${MAX_NDIM}`);
  }
  const headerBytes = 4 + 4 * ndim;
  if (bytes.length < headerBytes) {
    throw new DatasetFormatError(name, `is truncated in its header: ${ndim} dimensions need a ${headerBytes}-byte header, but the file has ${bytes.length} bytes`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const shape: number[] = [];
  // The element count is accumulated against the bound at every step, so it stays an exact
  // integer (far below 2^53) and an overflowing product is caught before it is ever used.
  const maxElements = Math.floor(maxBytes / type.size);
  let count = 1;
  let tooBig = false;
  for (let i = 0; i < ndim; i++) {
    const s = view.getUint32(4 + 4 * i, false);
    shape.push(s);
    count *= s;
    if (count > maxElements) tooBig = true;
  }
  if (tooBig && count !== 0) {
    throw new DatasetFormatError(name, `declares shape [${shape.join(', ')}] of ${type.dtype}, more than the ${maxBytes}-byte limit; refusing to allocate`);
  }
  const dataBytes = count * type.size;
  const actual = bytes.length - headerBytes;
  if (actual < dataBytes) {
    throw new DatasetFormatError(name, `is truncated: shape [${shape.join(', ')}] of ${type.dtype} needs ${dataBytes} data bytes after the ${headerBytes}-byte header (${headerBytes + dataBytes} in all), but the file has ${actual} (${bytes.length} in all)`);
  }
  if (actual > dataBytes) {
    throw new DatasetFormatError(name, `has ${actual - dataBytes} bytes past the end of its data: shape [${shape.join(', ')}] of ${type.dtype} needs ${headerBytes + dataBytes} bytes in all, the file has ${bytes.length}`);
  }
  return { dtype: type.dtype, shape, data: readElements(bytes, view, headerBytes, count, type.dtype) };
}

function readElements(bytes: Uint8Array, view: DataView, at: number, n: number, dtype: IDXDType): IDXArray['data'] {
  switch (dtype) {
    case 'uint8':
      return bytes.subarray(at, at + n);
    case 'int8':
      return new Int8Array(bytes.buffer, bytes.byteOffset + at, n);
    case 'int16': {
      const out = new Int16Array(n);
      for (let i = 0; i < n; i++) out[i] = view.getInt16(at + 2 * i, false);
      return out;
    }
    case 'int32': {
      const out = new Int32Array(n);
      for (let i = 0; i < n; i++) out[i] = view.getInt32(at + 4 * i, false);
      return out;
    }
    case 'float32': {
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = view.getFloat32(at + 4 * i, false);
      return out;
    }
    case 'float64': {
      const out = new Float64Array(n);
      for (let i = 0; i < n; i++) out[i] = view.getFloat64(at + 8 * i, false);
      return out;
    }
  }
}

function hex(b: number): string {
  return b.toString(16).padStart(2, '0').toUpperCase();
}

/**
 * Writes an IDX file (the inverse of {@link parseIDX}): for tests, for exporting data, and for
 * making small files in the exact format.
 *
 * @example
 * ```ts
 * import { encodeIDX } from '@torchlet/datasets';
 * const labels = encodeIDX('uint8', [3], [7, 2, 1]);   // the format of MNIST's label files
 * console.log(labels.length);   // 11: 8 header bytes + 3
 * ```
 */
export function encodeIDX(dtype: IDXDType, shape: readonly number[], data: ArrayLike<number>): Uint8Array {
  const code = Number(Object.entries(IDX_TYPES).find(([, t]) => t.dtype === dtype)?.[0]);
  const size = IDX_TYPES[code]!.size;
  const n = shape.reduce((a, b) => a * b, 1);
  if (n !== data.length) throw new RangeError(`encodeIDX: ${data.length} elements do not fill shape [${shape.join(', ')}]`);
  const header = 4 + 4 * shape.length;
  const out = new Uint8Array(header + n * size);
  const view = new DataView(out.buffer);
  out[2] = code;
  out[3] = shape.length;
  shape.forEach((s, i) => view.setUint32(4 + 4 * i, s, false));
  for (let i = 0; i < n; i++) {
    const v = data[i]!;
    const at = header + i * size;
    if (dtype === 'uint8') view.setUint8(at, v);
    else if (dtype === 'int8') view.setInt8(at, v);
    else if (dtype === 'int16') view.setInt16(at, v, false);
    else if (dtype === 'int32') view.setInt32(at, v, false);
    else if (dtype === 'float32') view.setFloat32(at, v, false);
    else view.setFloat64(at, v, false);
  }
  return out;
}
