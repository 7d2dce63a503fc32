/**
 * Checkpoint folders as Hugging Face publishes them — `config.json`, and `model.safetensors` or
 * shards `model-0000N-of-0000M.safetensors` listed by `model.safetensors.index.json` — read from
 * a directory (Node, Deno), a URL (any runtime with fetch; byte ranges when the server allows
 * them) or a set of `File`s/`Blob`s (a browser file picker), and loaded into a module one tensor
 * at a time, so loading needs the model's memory plus one tensor, not a second copy of the model.
 */
import * as T from '@torchlet/core';
import type { Module } from './module.ts';
import { MAX_HEADER_BYTES, SafetensorsError, loadSafetensorsEntry, readSafetensorsHeader, type SafetensorsEntry } from './safetensors.ts';

/** Random access to one file: its size and byte ranges. */
export interface RangeReader {
  /** The file's size in bytes. */
  readonly size: number;
  /** `length` bytes from `offset` (a new array the caller owns). Rejects when the range runs past the end. */
  read(offset: number, length: number): Promise<Uint8Array>;
  /** Releases the file (a no-op for in-memory sources). */
  close(): Promise<void>;
}

/** A checkpoint folder: named files, each opened on demand. */
export interface CheckpointFiles {
  /** Where the files come from, for error messages. */
  readonly description: string;
  /** Opens `name` for range reads, or resolves to null when the folder has no such file. */
  open(name: string): Promise<RangeReader | null>;
}

/** What {@link checkpointFiles} accepts: a directory path, a URL, `File`s, or name -> bytes/Blob. */
export type CheckpointSource = string | URL | Iterable<NamedBlob> | Readonly<Record<string, Uint8Array | Blob>>;

/** A `Blob` with a file name (a `File`). */
export interface NamedBlob extends Blob {
  /** The file's name in the checkpoint folder (`config.json`, `model.safetensors`, ...). */
  readonly name: string;
}

interface FileHandleLike {
  stat(): Promise<{ size: number }>;
  read(buffer: Uint8Array, offset: number, length: number, position: number): Promise<{ bytesRead: number }>;
  close(): Promise<void>;
}

function memoryReader(bytes: Uint8Array): RangeReader {
  return {
    size: bytes.length,
    read: async (offset, length) => {
      if (offset < 0 || offset + length > bytes.length) throw new RangeError(`read of [${offset}, ${offset + length}) past the end of a ${bytes.length}-byte file`);
      return bytes.slice(offset, offset + length);
    },
    close: async () => {},
  };
}

function blobReader(blob: Blob): RangeReader {
  return {
    size: blob.size,
    read: async (offset, length) => {
      if (offset < 0 || offset + length > blob.size) throw new RangeError(`read of [${offset}, ${offset + length}) past the end of a ${blob.size}-byte file`);
      return new Uint8Array(await blob.slice(offset, offset + length).arrayBuffer());
    },
    close: async () => {},
  };
}

async function directoryFile(dir: string, name: string): Promise<RangeReader | null> {
  // A variable specifier keeps bundlers from resolving node:fs for a browser build.
  const specifier = 'node:fs/promises';
  let fs: { open(path: string, flags: string): Promise<FileHandleLike> };
  try {
    fs = (await import(/* @vite-ignore */ specifier)) as typeof fs;
  } catch (e) {
    throw new Error(`checkpointFiles: reading the directory ${dir} needs node:fs (Node or Deno); in a browser pass a URL or File objects (${e instanceof Error ? e.message : String(e)})`);
  }
  let handle: FileHandleLike;
  try {
    handle = await fs.open(dir.endsWith('/') ? dir + name : `${dir}/${name}`, 'r');
  } catch (e) {
    if ((e as { code?: string }).code === 'ENOENT') return null;
    throw e;
  }
  const { size } = await handle.stat();
  return {
    size,
    read: async (offset, length) => {
      if (offset < 0 || offset + length > size) throw new RangeError(`read of [${offset}, ${offset + length}) past the end of ${name} (${size} bytes)`);
      const out = new Uint8Array(length);
      let done = 0;
      while (done < length) {
        const { bytesRead } = await handle.read(out, done, length - done, offset + done);
        if (bytesRead === 0) throw new RangeError(`${name} ended at ${offset + done} bytes while reading [${offset}, ${offset + length})`);
        done += bytesRead;
      }
      return out;
    },
    close: () => handle.close(),
  };
}

async function urlFile(base: URL, name: string): Promise<RangeReader | null> {
  const url = new URL(name, base.href.endsWith('/') ? base : new URL(`${base.href}/`));
  // Ask for the first byte: a server that honours ranges answers 206 with the total size.
  const probe = await fetch(url, { headers: { Range: 'bytes=0-0' } });
  if (probe.status === 404) return null;
  if (!probe.ok) throw new Error(`checkpointFiles: GET ${url.href} answered ${probe.status} ${probe.statusText}`);
  const total = /\/(\d+)$/.exec(probe.headers.get('content-range') ?? '')?.[1];
  if (probe.status !== 206 || total === undefined) {
    // No range support: the whole body came back; read from it in memory.
    return memoryReader(new Uint8Array(await probe.arrayBuffer()));
  }
  await probe.body?.cancel();
  const size = Number(total);
  return {
    size,
    read: async (offset, length) => {
      if (offset < 0 || offset + length > size) throw new RangeError(`read of [${offset}, ${offset + length}) past the end of ${url.href} (${size} bytes)`);
      if (length === 0) return new Uint8Array(0);
      const r = await fetch(url, { headers: { Range: `bytes=${offset}-${offset + length - 1}` } });
      const body = new Uint8Array(await r.arrayBuffer());
      if (r.status === 206 && body.length === length) return body;
      if (r.status === 200 && body.length === size) return body.slice(offset, offset + length);
      throw new Error(`checkpointFiles: GET ${url.href} bytes ${offset}-${offset + length - 1} answered ${r.status} with ${body.length} bytes`);
    },
    close: async () => {},
  };
}

/**
 * A {@link CheckpointFiles} over `source`: a directory path (Node, Deno), an `http(s)` URL (a
 * string or URL object: the folder's base), an iterable of `File`s (their `name`s; e.g. an
 * `<input type="file" multiple>`'s `files`), or an object of name -> `Uint8Array` / `Blob`.
 *
 * @example
 * ```ts
 * const model = new nn.Linear(2, 2);
 * const bytes = await nn.saveSafetensors(model.stateDict());
 * const files = nn.checkpointFiles({ 'model.safetensors': bytes });   // or a directory path (Node, Deno),
 * await nn.loadSafetensorsInto(model, files);                         // a URL, or <input type="file" multiple>'s files
 * ```
 */
export function checkpointFiles(source: CheckpointSource): CheckpointFiles {
  if (source instanceof URL || (typeof source === 'string' && /^https?:\/\//.test(source))) {
    const base = new URL(String(source));
    return { description: base.href, open: (name) => urlFile(base, name) };
  }
  if (typeof source === 'string') return { description: source, open: (name) => directoryFile(source, name) };
  if (source !== null && typeof source === 'object' && Symbol.iterator in source) {
    const byName = new Map<string, Blob>();
    for (const f of source as Iterable<NamedBlob>) byName.set(f.name, f);
    return { description: `files [${[...byName.keys()].join(', ')}]`, open: async (name) => (byName.has(name) ? blobReader(byName.get(name)!) : null) };
  }
  if (source !== null && typeof source === 'object') {
    const entries = source as Readonly<Record<string, Uint8Array | Blob>>;
    return {
      description: `files {${Object.keys(entries).join(', ')}}`,
      open: async (name) => {
        if (!Object.prototype.hasOwnProperty.call(entries, name)) return null;
        const v = entries[name]!;
        return v instanceof Uint8Array ? memoryReader(v) : blobReader(v);
      },
    };
  }
  throw new TypeError(`checkpointFiles: expected a directory path, a URL, File objects or an object of name -> bytes, got ${source === null ? 'null' : typeof source}`);
}

/**
 * The text of a small file of the folder (config.json, an index), or null when absent.
 *
 * @example
 * ```ts
 * const files = nn.checkpointFiles({ 'config.json': new TextEncoder().encode('{"hidden_size": 64}') });
 * const text = await nn.readCheckpointText(files, 'config.json');
 * console.log(JSON.parse(text!).hidden_size, await nn.readCheckpointText(files, 'absent.json'));   // 64 null
 * ```
 */
export async function readCheckpointText(files: CheckpointFiles, name: string): Promise<string | null> {
  const r = await files.open(name);
  if (!r) return null;
  try {
    return new TextDecoder().decode(await r.read(0, r.size));
  } finally {
    await r.close();
  }
}

/** Options of {@link loadSafetensorsInto}. */
export interface LoadSafetensorsIntoOptions {
  /** The module's key for a checkpoint key, or null to skip it (e.g. a tied `lm_head.weight`). Default: the same key. */
  mapKey?: (key: string) => string | null;
}

/** The shard files of a folder: those the index lists, or the single `model.safetensors`. */
async function shardList(files: CheckpointFiles): Promise<{ shards: string[]; weightMap: Map<string, string> | null }> {
  const indexText = await readCheckpointText(files, 'model.safetensors.index.json');
  if (indexText === null) return { shards: ['model.safetensors'], weightMap: null };
  let index: unknown;
  try {
    index = JSON.parse(indexText);
  } catch (e) {
    throw new SafetensorsError(`model.safetensors.index.json in ${files.description} is not valid JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
  const wm = (index as { weight_map?: unknown })?.weight_map;
  if (wm === null || typeof wm !== 'object' || Array.isArray(wm)) throw new SafetensorsError(`model.safetensors.index.json in ${files.description} has no weight_map object`);
  const weightMap = new Map<string, string>();
  for (const [k, v] of Object.entries(wm as Record<string, unknown>)) {
    if (typeof v !== 'string' || !/^[\w.-]+\.safetensors$/.test(v)) throw new SafetensorsError(`model.safetensors.index.json: weight_map[${JSON.stringify(k)}] must name a .safetensors file in the folder, got ${JSON.stringify(v)}`);
    weightMap.set(k, v);
  }
  return { shards: [...new Set(weightMap.values())], weightMap };
}

/**
 * Loads a Hugging Face-style safetensors checkpoint (single file or sharded with an index) into
 * `module`'s parameters and buffers in place, reading one tensor at a time: the checkpoint's
 * keys (through `mapKey`) must be exactly the module's state-dict keys with the same shapes;
 * F32, F16, BF16, I64, I32 and BOOL convert as `loadSafetensors` converts. Throws, naming the
 * file and the key, for a missing shard or `model.safetensors`, a malformed header, a key the
 * module lacks, a shape mismatch, a key the index places in another shard, or a module key the
 * checkpoint never gave. Async: it reads files. The module keeps its own tensors (updated).
 *
 * @example
 * ```ts
 * // not run: needs a Hugging Face checkpoint folder
 * import * as torch from 'torchlet';
 * import { readFileSync } from 'node:fs';
 * import { LlamaForCausalLM, llamaConfigFromHF } from '@torchlet/transformer';
 * const model = new LlamaForCausalLM(llamaConfigFromHF(JSON.parse(readFileSync('./my-llama/config.json', 'utf8'))));
 * await torch.nn.loadSafetensorsInto(model, torch.nn.checkpointFiles('./my-llama'));
 * ```
 */
export async function loadSafetensorsInto(module: Module, files: CheckpointFiles, options: LoadSafetensorsIntoOptions = {}): Promise<{
  /** The module keys that were loaded (all of them, when it resolves). */
  loaded: string[];
}> {
  const mapKey = options.mapKey ?? ((k: string) => k);
  const targets = module.stateDict();
  const loaded = new Set<string>();
  const { shards, weightMap } = await shardList(files);
  for (const shard of shards) {
    const reader = await files.open(shard);
    if (!reader) {
      throw new SafetensorsError(weightMap
        ? `checkpoint shard ${shard} (listed in model.safetensors.index.json) is missing from ${files.description}`
        : `no model.safetensors or model.safetensors.index.json in ${files.description}`);
    }
    try {
      if (reader.size < 8) throw new SafetensorsError(`${shard}: the file is ${reader.size} bytes long, shorter than the 8-byte header length`);
      const n = new DataView((await reader.read(0, 8)).buffer).getBigUint64(0, true);
      if (n > BigInt(Math.min(MAX_HEADER_BYTES, reader.size - 8))) throw new SafetensorsError(`${shard}: the header length ${n} is larger than the file or the ${MAX_HEADER_BYTES}-byte limit`);
      const headerBytes = await reader.read(0, 8 + Number(n));
      const header = withFile(shard, () => readSafetensorsHeader(headerBytes, reader.size));
      for (const [name, entry] of header.tensors) {
        if (weightMap && weightMap.get(name) !== shard) {
          throw new SafetensorsError(`${shard}: tensor ${JSON.stringify(name)} is not listed for this shard in model.safetensors.index.json (it says ${weightMap.get(name) ?? 'nothing'})`);
        }
        const key = mapKey(name);
        if (key === null) continue;
        const target = Object.prototype.hasOwnProperty.call(targets, key) ? targets[key]! : null;
        if (!target) throw new SafetensorsError(`${shard}: the checkpoint has ${JSON.stringify(name)}, which the ${module.constructor.name} has no parameter or buffer for`);
        if (target.shape.length !== entry.shape.length || target.shape.some((s, i) => s !== entry.shape[i])) {
          throw new SafetensorsError(`${shard}: ${JSON.stringify(name)} has shape [${entry.shape.join(', ')}], the model's ${key} is [${target.shape.join(', ')}]`);
        }
        await readInto(target, reader, header.dataStart, shard, name, entry);
        loaded.add(key);
      }
    } finally {
      await reader.close();
    }
  }
  const missing = Object.keys(targets).filter((k) => !loaded.has(k));
  if (missing.length > 0) throw new SafetensorsError(`the checkpoint in ${files.description} has no value for ${missing.length} of the model's keys: ${missing.slice(0, 8).join(', ')}${missing.length > 8 ? ', ...' : ''}`);
  return { loaded: [...loaded] };
}

/**
 * Bytes read and converted at a time: a large tensor (a 32000-word embedding) goes into its
 * parameter in slices of this size, so loading holds the model plus a few of these, never a
 * second copy of the largest tensor in JavaScript and in the backend at once.
 */
const CHUNK_BYTES = 4 << 20;
const ELEMENT_BYTES: Partial<Record<string, number>> = { F32: 4, F16: 2, BF16: 2 };

/** Reads one tensor of a shard into `target` (same shape), converting dtypes as `copy_` does. */
async function readInto(target: T.Tensor, reader: RangeReader, dataStart: number, shard: string, name: string, entry: SafetensorsEntry): Promise<void> {
  const begin = dataStart + entry.dataOffsets[0], bytes = entry.dataOffsets[1] - entry.dataOffsets[0];
  const size = ELEMENT_BYTES[entry.dtype];
  if (size === undefined || bytes <= CHUNK_BYTES || !target.isContiguous()) {
    const data = await reader.read(begin, bytes);
    const t = withFile(shard, () => loadSafetensorsEntry(name, entry, data, { backend: target.backend }));
    try {
      T.noGrad(() => target.copy_(t));
    } finally {
      t.dispose();
    }
    return;
  }
  // A float tensor in slices of whole elements, each converted into its range of the flat target.
  const flat = target.view(-1);
  try {
    const per = Math.floor(CHUNK_BYTES / size), total = bytes / size;
    for (let at = 0; at < total; at += per) {
      const n = Math.min(per, total - at);
      const data = await reader.read(begin + at * size, n * size);
      const slice: SafetensorsEntry = { dtype: entry.dtype, shape: [n], dataOffsets: [0, n * size] };
      const t = withFile(shard, () => loadSafetensorsEntry(name, slice, data, { backend: target.backend }));
      try {
        T.noGrad(() => T.tidy(() => flat.narrow(0, at, n).copy_(t)));
      } finally {
        t.dispose();
      }
    }
  } finally {
    flat.dispose();
  }
}

/** Runs `f`, prefixing a SafetensorsError's message with the file's name. */
function withFile<R>(file: string, f: () => R): R {
  try {
    return f();
  } catch (e) {
    if (e instanceof SafetensorsError) throw new SafetensorsError(`${file}: ${e.message.replace(/^safetensors: /, '')}`);
    throw e;
  }
}
