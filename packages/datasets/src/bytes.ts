/** Byte helpers shared by the file loaders: gzip detection and bounded decompression. */
import { DatasetFormatError, MAX_BYTES } from './errors.ts';

/** True when `bytes` start with the gzip magic number 0x1f 0x8b (RFC 1952, section 2.3.1). */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** Options of {@link gunzip} and of the loaders that call it. */
export interface GunzipOptions {
  /** Refuse to inflate past this many bytes (a guard against gzip bombs). Default 2^31. */
  maxBytes?: number;
}

/**
 * Inflates a gzip stream with the standard `DecompressionStream('gzip')` (Node 18+, Deno,
 * browsers), stopping with an error as soon as the output passes `maxBytes`.
 * A corrupt stream becomes a {@link DatasetFormatError} naming `file`.
 */
export async function gunzip(bytes: Uint8Array, file = 'gzip data', options: GunzipOptions = {}): Promise<Uint8Array> {
  const maxBytes = options.maxBytes ?? MAX_BYTES;
  if (typeof DecompressionStream !== 'function') {
    throw new DatasetFormatError(file, 'is gzip-compressed, but this runtime has no DecompressionStream; decompress it first');
  }
  const input = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream();
  const reader = input.pipeThrough(new DecompressionStream('gzip')).getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.length;
      if (total > maxBytes) {
        throw new DatasetFormatError(file, `inflates to more than ${maxBytes} bytes; refusing to decompress further`);
      }
      chunks.push(value);
    }
  } catch (e) {
    await reader.cancel().catch(() => {});
    if (e instanceof DatasetFormatError) throw e;
    throw new DatasetFormatError(file, `is not a valid gzip stream (${e instanceof Error ? e.message : String(e)})`);
  }
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** `bytes` inflated when they start with the gzip magic, else `bytes` themselves. */
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
