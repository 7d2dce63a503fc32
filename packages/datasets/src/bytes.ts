/** Byte helpers shared by the file loaders: gzip detection and bounded decompression. */
import { DatasetFormatError, MAX_BYTES } from './errors.ts';

/**
 * True when `bytes` start with the gzip magic number 0x1f 0x8b (RFC 1952, section 2.3.1).
 *
 * @example
 * ```ts
 * import { isGzip } from '@torchlet/datasets';
 * console.log(isGzip(new Uint8Array([0x1f, 0x8b, 8, 0])));   // true: the gzip magic
 * ```
 */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** Options of {@link gunzip} and of the loaders that call it. */
export interface GunzipOptions {
  /** Refuse to inflate past this many bytes (a guard against gzip bombs). Default 2^31. */
  maxBytes?: number;
  /**
   * The format's own size: given the first inflated bytes, the total size the file declares, or
   * null while more bytes are needed to tell. Once known it bounds the inflation (a file that
   * inflates past what its header declares is refused at once) and sizes the one output buffer.
   */
  sizeFromHead?: (head: Uint8Array) => number | null;
}

/**
 * Inflates a gzip stream with the standard `DecompressionStream('gzip')` (Node 18+, Deno,
 * browsers), stopping with an error as soon as the output passes `maxBytes`.
 * A corrupt stream becomes a {@link DatasetFormatError} naming `file`.
 *
 * @example
 * ```ts
 * import { gunzip, isGzip } from '@torchlet/datasets';
 * const zipped = new Uint8Array(await new Response(new Blob(['hello']).stream().pipeThrough(new CompressionStream('gzip'))).arrayBuffer());
 * const bytes = await gunzip(zipped);
 * console.log(isGzip(zipped), new TextDecoder().decode(bytes));   // true 'hello'
 * ```
 */
export async function gunzip(bytes: Uint8Array, file = 'gzip data', options: GunzipOptions = {}): Promise<Uint8Array> {
  const maxBytes = options.maxBytes ?? MAX_BYTES;
  if (typeof DecompressionStream !== 'function') {
    throw new DatasetFormatError(file, 'is gzip-compressed, but this runtime has no DecompressionStream; decompress it first');
  }
  const input = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream();
  const reader = input.pipeThrough(new DecompressionStream('gzip')).getReader();
  // Chunks are kept until the declared size is known, then copied into one buffer of that size,
  // so a bomb costs at most min(maxBytes, declared size) plus one chunk, never a list of chunks
  // plus their concatenation.
  let chunks: Uint8Array[] = [];
  let out: Uint8Array | null = null;
  let limit = maxBytes;
  let declared = false;
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (total + value.length > limit) {
        throw new DatasetFormatError(file, declared
          ? `inflates to more than the ${limit} bytes its header declares; refusing to decompress further`
          : `inflates to more than ${limit} bytes; refusing to decompress further`);
      }
      if (out) out.set(value, total);
      else chunks.push(value);
      total += value.length;
      if (!out && options.sizeFromHead) {
        const head = chunks.length === 1 ? chunks[0]! : concat(chunks, total);
        const size = options.sizeFromHead(head);
        if (size !== null) {
          if (size < total || size > maxBytes) {
            // A header past the bound or a stream longer than its header: stop here and let the
            // format's parser name the problem in its own words.
            await reader.cancel().catch(() => {});
            return head;
          } else {
            limit = size;
            out = new Uint8Array(size);
            out.set(head, 0);
            chunks = [];
          }
          declared = true;
        }
      }
    }
  } catch (e) {
    await reader.cancel().catch(() => {});
    if (e instanceof DatasetFormatError) throw e;
    throw new DatasetFormatError(file, `is not a valid gzip stream (${e instanceof Error ? e.message : String(e)})`);
  }
  if (out) return total === out.length ? out : out.subarray(0, total);
  return chunks.length === 1 ? chunks[0]! : concat(chunks, total);
}

function concat(chunks: readonly Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/**
 * `bytes` inflated when they start with the gzip magic, else `bytes` themselves.
 *
 * @example
 * ```ts
 * import { maybeGunzip } from '@torchlet/datasets';
 * const raw = new Uint8Array([1, 2, 3]);
 * console.log(await maybeGunzip(raw, 'raw.bin'));   // not gzip: returned as is
 * ```
 */
export async function maybeGunzip(bytes: Uint8Array, file: string, options?: GunzipOptions): Promise<Uint8Array> {
  return isGzip(bytes) ? gunzip(bytes, file, options) : bytes;
}

/** Accepts the byte containers users have at hand: Uint8Array, ArrayBuffer, any ArrayBufferView. */
export type BytesLike = Uint8Array | ArrayBuffer | ArrayBufferView;

export function toBytes(b: BytesLike, file: string): Uint8Array {
  if (b instanceof Uint8Array) return b;
  if (b instanceof ArrayBuffer) return new Uint8Array(b);
  if (ArrayBuffer.isView(b)) return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  throw new TypeError(`${file}: expected a Uint8Array, ArrayBuffer or ArrayBufferView, got ${b === null ? 'null' : typeof b}`);
}

/**
 * Fetches `url` as bytes, with a clear error for HTTP failures. Returns null for 404 so callers
 * can try another file name (e.g. with and without `.gz`).
 */
export async function fetchBytes(url: string, init?: RequestInit): Promise<Uint8Array | null> {
  const res = await fetch(url, init);
  if (res.status === 404) return null;
  if (!res.ok) throw new Error(`fetch ${url}: HTTP ${res.status} ${res.statusText}`);
  return new Uint8Array(await res.arrayBuffer());
}
