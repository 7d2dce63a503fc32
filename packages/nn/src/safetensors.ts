/**
 * Hugging Face's safetensors format (https://github.com/huggingface/safetensors):
 *
 *     8 bytes   N, the header length, unsigned little-endian
 *     N bytes   a UTF-8 JSON object: { "__metadata__"?: {str: str},
 *               name: { "dtype": "F32", "shape": [..], "data_offsets": [begin, end] }, ... }
 *     rest      the data section: each tensor's elements, little-endian, row-major; offsets are
 *               relative to its start, and the tensors cover it exactly (no holes, no overlap)
 *
 * `saveSafetensors` writes what the Rust `safetensors` crate writes for the same tensors (its
 * order: descending dtype alignment, then name; compact JSON; the header padded with spaces to a
 * multiple of 8). `loadSafetensors` treats the file as untrusted: every field is checked before
 * anything is allocated, nothing is read out of bounds, and each error names the tensor and the
 * problem.
 */
import * as T from '@torchlet/core';
import { Tensor, type DType } from '@torchlet/core';
import { parseStrictJson, JsonSyntaxError, type JsonValue } from './strict-json.ts';

/** The dtypes this reader understands and their element sizes in bytes. */
const DTYPE_SIZES = { BOOL: 1, U8: 1, I8: 1, I16: 2, U16: 2, F16: 2, BF16: 2, I32: 4, U32: 4, F32: 4, F64: 8, I64: 8, U64: 8 } as const;
/** A dtype name in a safetensors header (`'F32'`, `'I64'`, `'BF16'`, ...): every one this reader parses; `loadSafetensors` converts F32, I32, BOOL, I64, F16, BF16 and F64. */
export type SafetensorsDType = keyof typeof DTYPE_SIZES;

/** Of those, the ones `loadSafetensors` converts into a torchlet tensor. */
const LOADABLE: ReadonlySet<string> = new Set(['F32', 'I32', 'BOOL', 'I64', 'F16', 'BF16', 'F64']);

/** The Rust crate orders tensors by this rank (its `Dtype` enum order), largest first. */
const RUST_DTYPE_RANK: Record<string, number> = { BOOL: 0, U8: 1, I8: 2, I16: 5, U16: 6, F16: 7, BF16: 8, I32: 9, U32: 10, F32: 11, F64: 12, I64: 13, U64: 14 };

const WRITE_DTYPE: Record<DType, SafetensorsDType> = { float32: 'F32', int32: 'I32', bool: 'BOOL', float16: 'F16', bfloat16: 'BF16' };

/** Options of {@link saveSafetensors}. */
export interface SaveSafetensorsOptions {
  /**
   * Write int32 tensors as I64 (sign-extended), as PyTorch stores its int64 (`torch.long`) tensors,
   * so a checkpoint meant for PyTorch has the dtype its code expects. Default false (I32).
   */
  int64?: boolean;
}

/**
 * Raw elements for `saveSafetensors`, for dtypes torchlet tensors do not have (the int8 and
 * float16 weights of quantised layers): little-endian host data, row-major, `shape`'s numel long.
 */
export interface RawTensor {
  readonly dtype: 'I8' | 'U8' | 'F16' | 'I16' | 'U16';
  readonly shape: readonly number[];
  readonly data: Int8Array | Uint8Array | Uint16Array | Int16Array;
}

function isRawTensor(x: unknown): x is RawTensor {
  return typeof x === 'object' && x !== null && !(x instanceof Tensor) && ArrayBuffer.isView((x as RawTensor).data) && typeof (x as RawTensor).dtype === 'string';
}

/** The Rust crate's bound on the header (100 MB); larger headers are refused before reading. */
export const MAX_HEADER_BYTES = 100_000_000;

/**
 * The most JSON values (objects, arrays, strings, numbers) a safetensors header may hold. A tensor
 * entry is about 7 values plus one per dimension, so this admits about 100,000 tensors (the
 * largest public checkpoints have a few thousand per file) and bounds what a hostile header of
 * the allowed 100 MB costs: refused after at most this many values, in about a second and tens
 * of MB, instead of minutes and GBs for millions of tiny entries.
 */
export const MAX_HEADER_VALUES = 1_000_000;

/** One tensor's header entry, validated. */
export interface SafetensorsEntry {
  /** The stored element type, as the file names it. */
  dtype: SafetensorsDType;
  /** The tensor's shape (`[]` for a scalar); its numel times the dtype's size is the byte length. */
  shape: number[];
  /** Byte offsets into the data section: [begin, end). */
  dataOffsets: [number, number];
}

/** A validated header: the metadata and the entries in file order (by offset). */
export interface SafetensorsHeader {
  /** The header's `__metadata__` (string to string), or null when absent. */
  metadata: Record<string, string> | null;
  /** `[name, entry]` pairs, sorted by data offset. */
  tensors: Array<[string, SafetensorsEntry]>;
  /** Where the data section starts in the file (8 + header length). */
  dataStart: number;
}

/**
 * A problem with a safetensors file: the message says which tensor and what is wrong.
 *
 * @example
 * ```ts
 * try {
 *   nn.loadSafetensors(new Uint8Array([1, 2, 3]));
 * } catch (err) {
 *   console.log(err instanceof nn.SafetensorsError);   // true: the bytes are not a safetensors file
 * }
 * ```
 */
export class SafetensorsError extends Error {
  /** `'SafetensorsError'`, for `err.name` checks. */
  override name = 'SafetensorsError';
}

const utf8 = new TextEncoder();

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

/**
 * Serializes `stateDict` as a safetensors file: float32, float16, bfloat16, int32 and bool tensors
 * as F32, F16, BF16, I32 (or I64 with `options.int64`) and BOOL, the 2-byte floats bit for bit.
 * Async because reading a tensor is (on GPU backends); the tensors stay the caller's. `metadata`
 * becomes the header's `__metadata__` (string values only), keys in sorted order.
 *
 * @example
 * ```ts
 * const model = new nn.Linear(4, 2);
 * const bytes = await nn.saveSafetensors(model.stateDict(), { format: 'pt' });
 * // Node: writeFileSync('model.safetensors', bytes); PyTorch reads it with safetensors.torch.load_file
 * const half = await nn.saveSafetensors({ w: torch.ones([2], { dtype: 'float16' }) });                        // F16, bit for bit
 * const withLong = await nn.saveSafetensors({ idx: torch.tensor([2, 0], { dtype: 'int64' }) }, null, { int64: true });   // I64
 * ```
 */
export async function saveSafetensors(
  stateDict: Readonly<Record<string, Tensor | RawTensor>>,
  metadata?: Readonly<Record<string, string>> | null,
  options?: SaveSafetensorsOptions,
): Promise<Uint8Array> {
  if (options !== undefined && (options === null || typeof options !== 'object')) throw new TypeError('saveSafetensors: options must be an object such as { int64: true }');
  for (const k of Object.keys(options ?? {})) {
    if (k !== 'int64') throw new TypeError(`saveSafetensors: unknown option '${k}' (known: int64)`);
  }
  if (options?.int64 !== undefined && typeof options.int64 !== 'boolean') throw new TypeError(`saveSafetensors: int64 must be a boolean, got ${typeof options.int64}`);
  const int64 = options?.int64 ?? false;
  if (stateDict === null || typeof stateDict !== 'object') throw new TypeError('saveSafetensors: expected an object of tensors');
  const items: Array<{ name: string; key: Uint8Array; tensor: Tensor | RawTensor; dtype: SafetensorsDType }> = [];
  for (const [name, tensor] of Object.entries(stateDict)) {
    if (name === '__metadata__') throw new RangeError("saveSafetensors: '__metadata__' is reserved for the header's metadata and cannot name a tensor");
    if (isRawTensor(tensor)) {
      if (!(tensor.dtype in DTYPE_SIZES) || tensor.data.BYTES_PER_ELEMENT !== DTYPE_SIZES[tensor.dtype] || tensor.data.length !== tensor.shape.reduce((a, b) => a * b, 1)) {
        throw new TypeError(`saveSafetensors: raw tensor "${name}" (${tensor.dtype}, shape [${tensor.shape.join(', ')}]) does not match its ${tensor.data.length}-element data`);
      }
      items.push({ name, key: utf8.encode(name), tensor, dtype: tensor.dtype });
      continue;
    }
    if (!(tensor instanceof Tensor)) throw new TypeError(`saveSafetensors: "${name}" is not a Tensor`);
    if (tensor.isDisposed) throw new Error(`saveSafetensors: "${name}" (shape [${tensor.shape.join(', ')}]) was disposed`);
    const dtype = tensor.dtype === 'int32' && int64 ? 'I64' : WRITE_DTYPE[tensor.dtype];
    if (!dtype) throw new TypeError(`saveSafetensors: "${name}" has dtype ${tensor.dtype}, which has no safetensors dtype here`);
    items.push({ name, key: utf8.encode(name), tensor, dtype });
  }
  let meta: Record<string, string> | null = null;
  if (metadata !== undefined && metadata !== null) {
    if (typeof metadata !== 'object') throw new TypeError('saveSafetensors: metadata must be an object of strings');
    meta = {};
    for (const k of Object.keys(metadata).sort()) {
      const v = metadata[k];
      if (typeof v !== 'string') throw new TypeError(`saveSafetensors: metadata "${k}" must be a string, got ${typeof v}`);
      Object.defineProperty(meta, k, { value: v, enumerable: true, writable: true, configurable: true });
    }
  }
  // The Rust crate's order: descending dtype rank, then name by UTF-8 bytes.
  items.sort((a, b) => RUST_DTYPE_RANK[b.dtype]! - RUST_DTYPE_RANK[a.dtype]! || compareBytes(a.key, b.key));

  // readStorage: float16/bfloat16 as their bit patterns; I64 sign-extends int32 into a BigInt64Array.
  const datas = await Promise.all(
    items.map(async (it) => {
      if (!(it.tensor instanceof Tensor)) return it.tensor.data;
      const d = await T.readStorage(it.tensor);
      return it.dtype === 'I64' ? BigInt64Array.from(d as Int32Array, (v) => BigInt(v)) : d;
    }),
  );
  let json = '{';
  const parts: string[] = [];
  if (meta) parts.push(`"__metadata__":${JSON.stringify(meta)}`);
  let offset = 0;
  items.forEach((it, i) => {
    const bytes = datas[i]!.byteLength;
    parts.push(`${JSON.stringify(it.name)}:{"dtype":"${it.dtype}","shape":[${it.tensor.shape.join(',')}],"data_offsets":[${offset},${offset + bytes}]}`);
    offset += bytes;
  });
  json += parts.join(',') + '}';
  const header = utf8.encode(json);
  const padded = header.length + ((8 - (header.length % 8)) % 8);
  const out = new Uint8Array(8 + padded + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(padded), true);
  out.set(header, 8);
  out.fill(0x20, 8 + header.length, 8 + padded);
  let pos = 8 + padded;
  for (const d of datas) {
    if (LITTLE_ENDIAN || d.BYTES_PER_ELEMENT === 1) out.set(new Uint8Array(d.buffer, d.byteOffset, d.byteLength), pos);
    else if (d instanceof Float32Array) d.forEach((v, j) => view.setFloat32(pos + 4 * j, v, true));
    else if (d instanceof BigInt64Array) d.forEach((v, j) => view.setBigInt64(pos + 8 * j, v, true));
    else if (d.BYTES_PER_ELEMENT === 2) d.forEach((v, j) => view.setUint16(pos + 2 * j, v, true));
    else d.forEach((v, j) => view.setInt32(pos + 4 * j, v, true));
    pos += d.byteLength;
  }
  return out;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

function describeJson(v: JsonValue): string {
  switch (v.kind) {
    case 'object': return 'an object';
    case 'array': return 'an array';
    case 'string': return `the string ${JSON.stringify(v.value.length > 40 ? `${v.value.slice(0, 40)}...` : v.value)}`;
    case 'number': return `the number ${v.raw.length > 40 ? `${v.raw.slice(0, 40)}...` : v.raw}`;
    case 'bool': return String(v.value);
    default: return 'null';
  }
}

/** A JSON value that must be a non-negative integer below 2^53 written as one. */
function safeUint(v: JsonValue | undefined): number | null {
  if (!v || v.kind !== 'number' || !/^(0|[1-9][0-9]*)$/.test(v.raw) || !Number.isSafeInteger(v.value)) return null;
  return v.value;
}

function quote(name: string): string {
  return JSON.stringify(name.length > 80 ? `${name.slice(0, 80)}...` : name);
}

/**
 * Reads and validates the header of a safetensors file without touching the data: the length
 * prefix (at most {@link MAX_HEADER_BYTES}, 100 MB, and within the file), UTF-8 JSON object of
 * at most {@link MAX_HEADER_VALUES} values without duplicate keys,
 * `__metadata__` a string-to-string object, each entry a known dtype, a shape of non-negative
 * integers, and `data_offsets` that cover the data section exactly with byte lengths equal to
 * numel times the dtype size. Throws a `SafetensorsError` naming the tensor and the problem.
 *
 * `fileSize` (default `bytes.length`) lets a reader that fetches byte ranges validate the header
 * from the file's first `8 + header length` bytes alone: the data section's length is then
 * `fileSize - dataStart`.
 *
 * @example
 * ```ts
 * const bytes = await nn.saveSafetensors({ w: torch.zeros([2, 3]) });
 * const header = nn.readSafetensorsHeader(bytes);   // names, dtypes, shapes; no tensor is created
 * console.log(header.tensors.map(([name, e]) => [name, e.dtype, e.shape]));   // [['w', 'F32', [2, 3]]]
 * ```
 */
export function readSafetensorsHeader(bytes: Uint8Array, fileSize: number = bytes.length): SafetensorsHeader {
  if (!(bytes instanceof Uint8Array)) throw new TypeError(`loadSafetensors: expected a Uint8Array, got ${bytes === null ? 'null' : typeof bytes}`);
  const err = (msg: string): SafetensorsError => new SafetensorsError(`safetensors: ${msg}`);
  if (bytes.length < 8) throw err(`the file is ${bytes.length} bytes long, shorter than the 8-byte header length`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n64 = dv.getBigUint64(0, true);
  if (n64 > BigInt(MAX_HEADER_BYTES)) throw err(`the header length ${n64} is larger than the limit of ${MAX_HEADER_BYTES} bytes`);
  const n = Number(n64);
  if (8 + n > bytes.length) throw err(`the header length ${n} runs past the end of the file (${bytes.length} bytes, so at most ${bytes.length - 8})`);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes.subarray(8, 8 + n));
  } catch {
    throw err('the header is not valid UTF-8');
  }
  let root: JsonValue;
  try {
    root = parseStrictJson(text, MAX_HEADER_VALUES);
  } catch (e) {
    if (e instanceof JsonSyntaxError) throw err(`the header is not valid JSON: ${e.message}`);
    throw e;
  }
  if (root.kind !== 'object') throw err(`the header must be a JSON object, got ${describeJson(root)}`);
  const dataStart = 8 + n;
  if (!Number.isSafeInteger(fileSize) || fileSize < dataStart) throw err(`the file size ${fileSize} is smaller than the header's end at ${dataStart}`);
  const dataLength = fileSize - dataStart;
  let metadata: Record<string, string> | null = null;
  const tensors: Array<[string, SafetensorsEntry]> = [];
  for (const [name, v] of root.entries) {
    if (name === '__metadata__') {
      if (v.kind !== 'object') throw err(`__metadata__ must be an object of strings, got ${describeJson(v)}`);
      metadata = {};
      for (const [k, s] of v.entries) {
        if (s.kind !== 'string') throw err(`__metadata__ ${quote(k)} must be a string, got ${describeJson(s)}`);
        Object.defineProperty(metadata, k, { value: s.value, enumerable: true, writable: true, configurable: true });
      }
      continue;
    }
    const where = `tensor ${quote(name)}`;
    if (v.kind !== 'object') throw err(`${where}: expected an object with dtype, shape and data_offsets, got ${describeJson(v)}`);
    // Other fields are ignored, as the Rust crate's serde derive ignores them.
    const dt = v.entries.get('dtype');
    if (!dt || dt.kind !== 'string') throw err(`${where}: dtype must be a string, got ${dt ? describeJson(dt) : 'nothing'}`);
    if (!Object.prototype.hasOwnProperty.call(DTYPE_SIZES, dt.value)) throw err(`${where}: unknown dtype ${quote(dt.value)}`);
    const dtype = dt.value as SafetensorsDType;
    const sh = v.entries.get('shape');
    if (!sh || sh.kind !== 'array') throw err(`${where}: shape must be an array of non-negative integers, got ${sh ? describeJson(sh) : 'nothing'}`);
    const shape: number[] = [];
    for (const d of sh.items) {
      const s = safeUint(d);
      if (s === null) throw err(`${where}: shape must be an array of non-negative integers, found ${describeJson(d)}`);
      shape.push(s);
    }
    const off = v.entries.get('data_offsets');
    const begin = off?.kind === 'array' && off.items.length === 2 ? safeUint(off.items[0]) : null;
    const end = off?.kind === 'array' && off.items.length === 2 ? safeUint(off.items[1]) : null;
    if (begin === null || end === null) throw err(`${where}: data_offsets must be [begin, end] (two non-negative integers), got ${off ? describeJson(off) : 'nothing'}`);
    if (end < begin) throw err(`${where}: data_offsets [${begin}, ${end}] end before they begin`);
    if (end > dataLength) throw err(`${where}: data_offsets [${begin}, ${end}] run past the end of the data section (${dataLength} bytes)`);
    // numel * size, stopping as soon as it exceeds what the offsets hold (so no overflow).
    const size = DTYPE_SIZES[dtype];
    const have = end - begin;
    let bytesNeeded = shape.includes(0) ? 0 : size;
    for (const s of shape) {
      if (bytesNeeded === 0) break;
      bytesNeeded *= s;
      if (bytesNeeded > have) break;
    }
    if (bytesNeeded !== have) {
      throw err(`${where}: shape [${shape.join(', ')}] of ${dtype} needs ${bytesNeeded > have ? `more than ${have}` : bytesNeeded} bytes, but data_offsets [${begin}, ${end}] hold ${have}`);
    }
    tensors.push([name, { dtype, shape, dataOffsets: [begin, end] }]);
  }
  // The tensors must tile the data section: sorted by offset, each starts where the last ended.
  tensors.sort((a, b) => a[1].dataOffsets[0] - b[1].dataOffsets[0] || a[1].dataOffsets[1] - b[1].dataOffsets[1]);
  let at = 0;
  for (const [name, e] of tensors) {
    const [b, en] = e.dataOffsets;
    if (b < at) throw err(`tensor ${quote(name)}: data_offsets [${b}, ${en}] overlap the previous tensor, which ends at ${at}`);
    if (b > at) throw err(`tensor ${quote(name)}: data_offsets [${b}, ${en}] leave a hole in the data section at [${at}, ${b}]`);
    at = en;
  }
  if (at !== dataLength) throw err(`the tensors cover ${at} bytes of the data section, but it is ${dataLength} bytes long (the offsets must cover it exactly)`);
  return { metadata, tensors, dataStart };
}

/** The elements of one validated entry as a torchlet host array (float16/bfloat16: bit patterns). */
function decode(name: string, e: SafetensorsEntry, bytes: Uint8Array, start: number): { data: Float32Array | Int32Array | Uint8Array | Uint16Array; dtype: DType } {
  const len = e.dataOffsets[1] - e.dataOffsets[0];
  const dv = new DataView(bytes.buffer, bytes.byteOffset + start, len);
  switch (e.dtype) {
    case 'F32': {
      if (LITTLE_ENDIAN) return { data: new Float32Array(bytes.slice(start, start + len).buffer), dtype: 'float32' };
      const out = new Float32Array(len / 4);
      for (let i = 0; i < out.length; i++) out[i] = dv.getFloat32(4 * i, true);
      return { data: out, dtype: 'float32' };
    }
    case 'I32': {
      if (LITTLE_ENDIAN) return { data: new Int32Array(bytes.slice(start, start + len).buffer), dtype: 'int32' };
      const out = new Int32Array(len / 4);
      for (let i = 0; i < out.length; i++) out[i] = dv.getInt32(4 * i, true);
      return { data: out, dtype: 'int32' };
    }
    case 'BOOL': {
      // PyTorch writes 0/1; any other byte is read as true.
      const out = new Uint8Array(len);
      for (let i = 0; i < len; i++) out[i] = dv.getUint8(i) ? 1 : 0;
      return { data: out, dtype: 'bool' };
    }
    case 'I64': {
      const out = new Int32Array(len / 8);
      for (let i = 0; i < out.length; i++) {
        const v = dv.getBigInt64(8 * i, true);
        if (v > 2147483647n || v < -2147483648n) throw new SafetensorsError(`safetensors: tensor ${quote(name)}: I64 element ${i} is ${v}, outside the int32 range torchlet converts I64 to`);
        out[i] = Number(v);
      }
      return { data: out, dtype: 'int32' };
    }
    case 'F16':
    case 'BF16': {
      // kept as they are stored: the bit patterns become a float16/bfloat16 tensor
      const dtype = e.dtype === 'F16' ? 'float16' : 'bfloat16';
      if (LITTLE_ENDIAN) return { data: new Uint16Array(bytes.slice(start, start + len).buffer), dtype };
      const out = new Uint16Array(len / 2);
      for (let i = 0; i < out.length; i++) out[i] = dv.getUint16(2 * i, true);
      return { data: out, dtype: e.dtype === 'F16' ? 'float16' : 'bfloat16' };
    }
    case 'F64': {
      const out = new Float32Array(len / 8);
      for (let i = 0; i < out.length; i++) out[i] = dv.getFloat64(8 * i, true); // rounds to float32
      return { data: out, dtype: 'float32' };
    }
    default:
      if (e.dtype === 'I8') {
        throw new SafetensorsError(`safetensors: tensor ${quote(name)} is I8: this is an int8-quantised checkpoint, which a float model cannot load; quantise the model first (quantizeDynamic(model)) and read it with loadQuantized(model, bytes)`);
      }
      throw new SafetensorsError(`safetensors: tensor ${quote(name)} has dtype ${e.dtype}, which torchlet does not load (it loads ${[...LOADABLE].join(', ')})`);
  }
}

/**
 * One tensor of a safetensors file from its entry (see {@link readSafetensorsHeader}) and its
 * `data` bytes alone (exactly `dataOffsets[1] - dataOffsets[0]` long), converted as
 * {@link loadSafetensors} converts; for readers that load a large file tensor by tensor. The
 * caller owns the tensor.
 *
 * @example
 * ```ts
 * const bytes = await nn.saveSafetensors({ w: torch.ones([2, 2]) });
 * const header = nn.readSafetensorsHeader(bytes);
 * const [name, entry] = header.tensors[0]!;
 * const data = bytes.subarray(header.dataStart + entry.dataOffsets[0], header.dataStart + entry.dataOffsets[1]);
 * const w = nn.loadSafetensorsEntry(name, entry, data);   // one tensor at a time, for large files
 * console.log(w.shape);   // [2, 2]
 * ```
 */
export function loadSafetensorsEntry(name: string, entry: SafetensorsEntry, data: Uint8Array, options?: { backend?: T.Backend }): Tensor {
  const len = entry.dataOffsets[1] - entry.dataOffsets[0];
  if (!(data instanceof Uint8Array) || data.length !== len) throw new SafetensorsError(`safetensors: tensor ${quote(name)}: expected ${len} bytes of data, got ${data instanceof Uint8Array ? data.length : typeof data}`);
  const d = decode(name, entry, data, 0);
  return T.fromArray(d.data, entry.shape, { dtype: d.dtype, ...(options?.backend ? { backend: options.backend } : {}) });
}

/**
 * Parses a safetensors file into tensors on the current backend (or `options.backend`), keyed
 * by name (own properties, in file order). F32, I32 and BOOL load as float32, int32 and bool;
 * I64 loads as int32 (a value outside int32 is an error); F16 and BF16 load as float16 and
 * bfloat16, bit for bit (`loadStateDict` converts them to each parameter's dtype); F64 loads as
 * float32 (rounded: torchlet has no float64).
 * The file is validated first (see `readSafetensorsHeader`); the caller owns the tensors.
 *
 * @example
 * ```ts
 * const bytes = await nn.saveSafetensors(new nn.Linear(4, 2).stateDict());
 * const model = new nn.Linear(4, 2);
 * model.loadStateDict(nn.loadSafetensors(bytes));
 * ```
 */
export function loadSafetensors(bytes: Uint8Array, options?: { backend?: T.Backend }): Record<string, Tensor> {
  const header = readSafetensorsHeader(bytes);
  // Decode everything before creating any tensor, so a bad element leaks nothing.
  const decoded = header.tensors.map(([name, e]) => [name, e, decode(name, e, bytes, header.dataStart + e.dataOffsets[0])] as const);
  const out: Record<string, Tensor> = {};
  const made: Tensor[] = [];
  try {
    for (const [name, e, d] of decoded) {
      const t = T.fromArray(d.data, e.shape, { dtype: d.dtype, ...(options?.backend ? { backend: options.backend } : {}) });
      made.push(t);
      Object.defineProperty(out, name, { value: t, enumerable: true, writable: true, configurable: true });
    }
  } catch (e) {
    for (const t of made) t.dispose();
    throw e;
  }
  return out;
}
