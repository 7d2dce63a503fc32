/**
 * CIFAR-10 and CIFAR-100, "binary version" (https://www.cs.toronto.edu/~kriz/cifar.html):
 * CIFAR-10 records are 1 label byte + 3072 pixel bytes (1024 red, 1024 green, 1024 blue, each
 * 32x32 row-major): 3073 bytes. CIFAR-100 records have a coarse and a fine label byte: 3074 bytes.
 */
import { fromArray, type Tensor } from '@torchlet/core';
import { maybeGunzip, toBytes, type BytesLike } from './bytes.ts';
import { TensorDataset, type Splits } from './dataset.ts';
import { DatasetFormatError } from './errors.ts';
import { findFile, joinPath, listDir, readFileBytes } from './node-fs.ts';

const PIXELS = 3 * 32 * 32;

/** A parsed CIFAR batch file: N images of raw bytes [N, 3, 32, 32] and their labels. */
export interface CIFARArrays {
  /** N: the number of images. */
  count: number;
  /** N * 3072 bytes, channel-major per image (the files' own layout, copied out of the records). */
  pixels: Uint8Array;
  /** N labels (CIFAR-10: 0-9; CIFAR-100: the 100 fine labels). */
  labels: Int32Array;
  /** CIFAR-100 only: the 20 superclass labels. */
  coarseLabels?: Int32Array;
}

function parseRecords(bytes: Uint8Array, name: string, labelBytes: 1 | 2, ranges: readonly number[]): CIFARArrays {
  if (!(bytes instanceof Uint8Array)) throw new TypeError(`${name}: expected a Uint8Array`);
  const record = labelBytes + PIXELS;
  const kind = labelBytes === 1 ? 'CIFAR-10' : 'CIFAR-100';
  if (bytes.length === 0) throw new DatasetFormatError(name, `is empty; a ${kind} batch holds ${record}-byte records`);
  if (bytes.length % record !== 0) {
    const whole = Math.floor(bytes.length / record);
    throw new DatasetFormatError(name, `is ${bytes.length} bytes, not a whole number of ${record}-byte ${kind} records (${whole} records and ${bytes.length - whole * record} bytes left over; truncated or not a ${kind} binary batch?)`);
  }
  const count = bytes.length / record;
  const pixels = new Uint8Array(count * PIXELS);
  const labels = new Int32Array(count);
  const coarse = labelBytes === 2 ? new Int32Array(count) : undefined;
  const what = labelBytes === 1 ? ['label'] : ['coarse label', 'fine label'];
  for (let i = 0; i < count; i++) {
    const at = i * record;
    for (let k = 0; k < labelBytes; k++) {
      const v = bytes[at + k]!;
      if (v >= ranges[k]!) {
        throw new DatasetFormatError(name, `record ${i} (byte offset ${at + k}) has ${what[k]} ${v}, out of range 0 to ${ranges[k]! - 1}`);
      }
    }
    if (coarse) {
      coarse[i] = bytes[at]!;
      labels[i] = bytes[at + 1]!;
    } else {
      labels[i] = bytes[at]!;
    }
    pixels.set(bytes.subarray(at + labelBytes, at + record), i * PIXELS);
  }
  return coarse ? { count, pixels, labels, coarseLabels: coarse } : { count, pixels, labels };
}

/**
 * Parses a CIFAR-10 binary batch (data_batch_1.bin ... test_batch.bin), checking sizes and labels (0-9).
 *
 * @example
 * ```ts
 * import { parseCIFAR10 } from '@torchlet/datasets';
 * const record = new Uint8Array(1 + 3072);   // one label byte, then 32x32 pixels per channel
 * record[0] = 6;
 * const a = parseCIFAR10(record);
 * console.log(a.count, a.labels[0]);   // 1 6 (frog)
 * ```
 */
export function parseCIFAR10(bytes: Uint8Array, name = 'CIFAR-10 batch'): CIFARArrays {
  return parseRecords(bytes, name, 1, [10]);
}

/** CIFAR-100 records: the fine labels in `labels`, the 20 superclasses in `coarseLabels`. */
export interface CIFAR100Arrays extends CIFARArrays {
  /** One superclass (0-19) per image. */
  coarseLabels: Int32Array;
}

/**
 * Parses a CIFAR-100 binary file (train.bin, test.bin): coarse labels 0-19, fine labels 0-99 (`labels`).
 *
 * @example
 * ```ts
 * import { parseCIFAR100 } from '@torchlet/datasets';
 * const record = new Uint8Array(2 + 3072);   // coarse label, fine label, pixels
 * const a = parseCIFAR100(record);
 * console.log(a.count, a.coarseLabels![0], a.labels[0]);   // 1 0 0
 * ```
 */
export function parseCIFAR100(bytes: Uint8Array, name = 'CIFAR-100 file'): CIFAR100Arrays {
  return parseRecords(bytes, name, 2, [20, 100]) as CIFAR100Arrays;
}

/**
 * Joins parsed batches (e.g. the five CIFAR-10 training batches) into one.
 *
 * @example
 * ```ts
 * import { concatCIFAR, parseCIFAR10 } from '@torchlet/datasets';
 * const batch = parseCIFAR10(new Uint8Array(3073));
 * console.log(concatCIFAR([batch, batch]).count);   // 2: the five training batches become one
 * ```
 */
export function concatCIFAR(parts: readonly CIFARArrays[]): CIFARArrays {
  const count = parts.reduce((a, p) => a + p.count, 0);
  const pixels = new Uint8Array(count * PIXELS);
  const labels = new Int32Array(count);
  const hasCoarse = parts.every((p) => p.coarseLabels);
  const coarse = hasCoarse ? new Int32Array(count) : undefined;
  let at = 0;
  for (const p of parts) {
    pixels.set(p.pixels, at * PIXELS);
    labels.set(p.labels, at);
    if (coarse) coarse.set(p.coarseLabels!, at);
    at += p.count;
  }
  return coarse ? { count, pixels, labels, coarseLabels: coarse } : { count, pixels, labels };
}

/** Options of the CIFAR loaders. */
export interface CIFAROptions {
  /** CIFAR-100: which labels the dataset carries: 'fine' (default), 'coarse', or 'both' ([x, fine, coarse]). */
  labels?: 'fine' | 'coarse' | 'both';
}

/**
 * A dataset from parsed arrays: images float32 [N, 3, 32, 32] in [0, 1], labels int32.
 *
 * @example
 * ```ts
 * import { cifarDataset, parseCIFAR10 } from '@torchlet/datasets';
 * const ds = cifarDataset(parseCIFAR10(new Uint8Array(3073)));
 * console.log(ds.get(0)[0].shape);   // [3, 32, 32]
 * ```
 */
export function cifarDataset(a: CIFARArrays, options: CIFAROptions = {}): TensorDataset<Tensor[]> {
  const f = new Float32Array(a.pixels.length);
  for (let i = 0; i < f.length; i++) f[i] = a.pixels[i]! / 255;
  const x = fromArray(f, [a.count, 3, 32, 32], { dtype: 'float32' });
  const which = options.labels ?? 'fine';
  if (which === 'coarse' || which === 'both') {
    if (!a.coarseLabels) {
      x.dispose();
      throw new RangeError(`CIFAR: labels '${which}' needs CIFAR-100 data (coarse labels)`);
    }
  }
  const fine = (): Tensor => fromArray(a.labels, [a.count], { dtype: 'int32' });
  const coarse = (): Tensor => fromArray(a.coarseLabels!, [a.count], { dtype: 'int32' });
  if (which === 'coarse') return new TensorDataset(x, coarse());
  if (which === 'both') return new TensorDataset(x, fine(), coarse());
  return new TensorDataset(x, fine());
}

/** CIFAR-10 files: five training batches and one test batch (each gzip-compressed or not). */
export interface CIFAR10Bytes {
  /** The training batches `data_batch_1.bin` to `data_batch_5.bin`, in order (50,000 images). */
  train: readonly BytesLike[];
  /** The test batch `test_batch.bin` (10,000 images). */
  test: BytesLike;
}

/** CIFAR-10's class names, indexed by label (`batches.meta.txt`'s order). */
export const CIFAR10_CLASSES = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'] as const;

/** The folder holding the files: `dir` itself, or `dir/<sub>` when the archive's folder is inside it. */
async function resolveDir(dir: string, sub: string, probe: string): Promise<string> {
  const here = await listDir(dir);
  if (here === null) throw new Error(`CIFAR: directory ${dir} does not exist`);
  if (here.includes(probe) || here.includes(`${probe}.gz`)) return dir;
  if (here.includes(sub)) return joinPath(dir, sub);
  throw new Error(`CIFAR: neither ${dir} nor ${joinPath(dir, sub)} holds ${probe}`);
}

async function readNamed(dir: string, name: string): Promise<{ bytes: Uint8Array; name: string }> {
  const path = await findFile(dir, [name, `${name}.gz`]);
  if (!path) throw new Error(`CIFAR: ${name} is not in ${dir}`);
  return { bytes: await maybeGunzip(await readFileBytes(path), path), name: path };
}

/**
 * Loads CIFAR-10 from the extracted `cifar-10-batches-bin` folder (`{ dir }`, Node and Deno; the
 * folder itself or its parent) or from the files' bytes: `{ train, test }` datasets of float32
 * images [N, 3, 32, 32] in [0, 1] and int32 labels 0-9. The caller owns the tensors.
 *
 * @example
 * ```ts
 * // not run: needs the CIFAR-10 binary files (cifar-10-batches-bin)
 * import { CIFAR10_CLASSES, loadCIFAR10 } from '@torchlet/datasets';
 * const { train, test } = await loadCIFAR10({ dir: 'data/cifar-10-batches-bin' });
 * console.log(train.length, test.length, CIFAR10_CLASSES[0]);   // 50000 10000 'airplane'
 * ```
 */
export async function loadCIFAR10(source: { dir: string } | { bytes: CIFAR10Bytes }): Promise<Splits<TensorDataset<Tensor[]>>> {
  let train: CIFARArrays[];
  let test: CIFARArrays;
  if ('dir' in source) {
    const dir = await resolveDir(source.dir, 'cifar-10-batches-bin', 'test_batch.bin');
    const files = await Promise.all([1, 2, 3, 4, 5].map((i) => readNamed(dir, `data_batch_${i}.bin`)));
    train = files.map((f) => parseCIFAR10(f.bytes, f.name));
    const t = await readNamed(dir, 'test_batch.bin');
    test = parseCIFAR10(t.bytes, t.name);
  } else {
    const b = source.bytes;
    train = await Promise.all(b.train.map(async (x, i) => parseCIFAR10(await maybeGunzip(toBytes(x, `data_batch_${i + 1}.bin`), `data_batch_${i + 1}.bin`), `data_batch_${i + 1}.bin`)));
    test = parseCIFAR10(await maybeGunzip(toBytes(b.test, 'test_batch.bin'), 'test_batch.bin'), 'test_batch.bin');
  }
  return { train: cifarDataset(concatCIFAR(train)), test: cifarDataset(test) };
}

/**
 * Loads CIFAR-100 from the extracted `cifar-100-binary` folder (train.bin, test.bin) or bytes:
 * images as in {@link loadCIFAR10}, labels fine (0-99) by default, see {@link CIFAROptions}.
 *
 * @example
 * ```ts
 * // not run: needs the CIFAR-100 binary files (cifar-100-binary)
 * import { loadCIFAR100 } from '@torchlet/datasets';
 * const { train } = await loadCIFAR100({ dir: 'data/cifar-100-binary' }, { labels: 'coarse' });
 * ```
 */
export async function loadCIFAR100(
  source: { dir: string } | { bytes: { train: BytesLike; test: BytesLike } },
  options: CIFAROptions = {},
): Promise<Splits<TensorDataset<Tensor[]>>> {
  let train: CIFARArrays;
  let test: CIFARArrays;
  if ('dir' in source) {
    const dir = await resolveDir(source.dir, 'cifar-100-binary', 'test.bin');
    const [a, b] = await Promise.all([readNamed(dir, 'train.bin'), readNamed(dir, 'test.bin')]);
    train = parseCIFAR100(a.bytes, a.name);
    test = parseCIFAR100(b.bytes, b.name);
  } else {
    train = parseCIFAR100(await maybeGunzip(toBytes(source.bytes.train, 'train.bin'), 'train.bin'), 'train.bin');
    test = parseCIFAR100(await maybeGunzip(toBytes(source.bytes.test, 'test.bin'), 'test.bin'), 'test.bin');
  }
  return { train: cifarDataset(train, options), test: cifarDataset(test, options) };
}
