/**
 * MNIST and Fashion-MNIST from the standard IDX files (gzip-compressed or not):
 * train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte.
 */
import { fromArray, type Tensor } from '@torchlet/core';
import { fetchBytes, maybeGunzip, toBytes, type BytesLike } from './bytes.ts';
import { TensorDataset, type Splits } from './dataset.ts';
import { DatasetFormatError, MAX_BYTES } from './errors.ts';
import { idxDeclaredSize, parseIDX, type IDXArray } from './idx.ts';
import { findFile, readFileBytes } from './node-fs.ts';

/** An image dataset: `[image, label]` samples; images float32 in [0, 1], labels int32. */
export type ImageDataset = TensorDataset<[Tensor, Tensor]>;

/**
 * Inflates `bytes` when gzip-compressed (detected by magic bytes), then parses them as IDX.
 *
 * @example
 * ```ts
 * import { encodeIDX, readIDX } from '@torchlet/datasets';
 * const idx = await readIDX(encodeIDX('uint8', [3], [7, 2, 1]), 'labels');   // gzip or not
 * console.log(idx.shape);   // [3]
 * ```
 */
export async function readIDX(bytes: BytesLike, name = 'IDX data', options: { maxBytes?: number } = {}): Promise<IDXArray> {
  // Inflation stops at the size the IDX header declares (issue 13: a 1 MB gzip bomb made the
  // loader hold 6.2 GB before the 2 GiB bound refused it).
  const raw = await maybeGunzip(toBytes(bytes, name), name, { maxBytes: options.maxBytes, sizeFromHead: idxDeclaredSize });
  return parseIDX(raw, { name, maxBytes: options.maxBytes ?? MAX_BYTES });
}

/** Options of the MNIST loaders. */
export interface MNISTOptions {
  /** Images as [N, 784] (rows of H*W) instead of [N, 1, 28, 28]. Default false. */
  flatten?: boolean;
  /** Labels must be below this. Default 10 (MNIST and Fashion-MNIST). */
  numClasses?: number;
}

/** The four files of an MNIST-style dataset, each gzip-compressed or not. */
export interface MNISTBytes {
  /** `train-images-idx3-ubyte` (60,000 images for MNIST). */
  trainImages: BytesLike;
  /** `train-labels-idx1-ubyte`. */
  trainLabels: BytesLike;
  /** `t10k-images-idx3-ubyte` (10,000 images for MNIST). */
  testImages: BytesLike;
  /** `t10k-labels-idx1-ubyte`. */
  testLabels: BytesLike;
}

/**
 * Where the files are: `{ dir }` a folder holding the four files (Node and Deno; `.gz` or not,
 * and the `train-images.idx3-ubyte` spelling too); `{ url }` a base URL they are fetched from
 * (`<url>/train-images-idx3-ubyte.gz`, falling back to the uncompressed name); `{ bytes }` the
 * four files' contents.
 */
export type MNISTSource = MNISTDirSource | MNISTUrlSource | MNISTBytesSource;

/** MNIST files in a folder (Node and Deno). */
export interface MNISTDirSource {
  /** The folder holding the four files. */
  dir: string;
}

/** MNIST files fetched from a base URL. */
export interface MNISTUrlSource {
  /** The base URL; `<url>/<file>.gz` is tried first, then the uncompressed name. */
  url: string;
  /** Passed to every `fetch` (headers, credentials, an abort signal). */
  fetchInit?: RequestInit;
}

/** MNIST files already in memory. */
export interface MNISTBytesSource {
  /** The four files' contents, gzip or not. */
  bytes: MNISTBytes;
}

/** The standard file stems, in the order of {@link MNISTBytes}' keys. */
export const MNIST_FILES = {
  /** 60,000 training images. */
  trainImages: 'train-images-idx3-ubyte',
  /** Their labels. */
  trainLabels: 'train-labels-idx1-ubyte',
  /** 10,000 test images. */
  testImages: 't10k-images-idx3-ubyte',
  /** Their labels. */
  testLabels: 't10k-labels-idx1-ubyte',
} as const;

/** Host arrays of one split, before they become tensors. */
export interface MNISTArrays {
  /** N * H * W floats in [0, 1] (byte / 255). */
  images: Float32Array;
  /** N labels. */
  labels: Int32Array;
  /** N: the number of images (and labels). */
  count: number;
  /** H: rows per image (28 for MNIST). */
  height: number;
  /** W: columns per image (28 for MNIST). */
  width: number;
}

/**
 * Checks and converts one images file and one labels file (both already inflated IDX):
 * images ubyte [N, H, W], labels ubyte [N] with values below `numClasses`.
 *
 * @example
 * ```ts
 * import { decodeMNIST, encodeIDX, parseIDX } from '@torchlet/datasets';
 * const a = decodeMNIST(parseIDX(encodeIDX('uint8', [1, 28, 28], new Uint8Array(784))), parseIDX(encodeIDX('uint8', [1], [5])));
 * console.log(a.count, a.height, a.width, a.labels[0]);   // 1 28 28 5 (pixels scaled to [0, 1])
 * ```
 */
export function decodeMNIST(
  images: IDXArray,
  labels: IDXArray,
  names: { images: string; labels: string } = { images: 'images', labels: 'labels' },
  numClasses = 10,
): MNISTArrays {
  if (images.dtype !== 'uint8' || images.shape.length !== 3) {
    throw new DatasetFormatError(names.images, `expected an images file of ubyte [N, rows, cols] (magic 0x00000803), got ${images.dtype} [${images.shape.join(', ')}]`);
  }
  if (labels.dtype !== 'uint8' || labels.shape.length !== 1) {
    throw new DatasetFormatError(names.labels, `expected a labels file of ubyte [N] (magic 0x00000801), got ${labels.dtype} [${labels.shape.join(', ')}]`);
  }
  const [count, height, width] = images.shape as [number, number, number];
  if (labels.shape[0] !== count) {
    throw new DatasetFormatError(names.labels, `has ${labels.shape[0]} labels but ${names.images} has ${count} images`);
  }
  const src = images.data as Uint8Array;
  const out = new Float32Array(src.length);
  for (let i = 0; i < src.length; i++) out[i] = src[i]! / 255;
  const lab = new Int32Array(count);
  const ls = labels.data as Uint8Array;
  for (let i = 0; i < count; i++) {
    const v = ls[i]!;
    if (v >= numClasses) throw new DatasetFormatError(names.labels, `label ${v} at index ${i} is out of range: expected 0 to ${numClasses - 1}`);
    lab[i] = v;
  }
  return { images: out, labels: lab, count, height, width };
}

/**
 * A TensorDataset from decoded arrays: images [N, 1, H, W] (or [N, H*W] with `flatten`), labels [N] int32.
 *
 * @example
 * ```ts
 * import { mnistDataset } from '@torchlet/datasets';
 * const ds = mnistDataset({ images: new Float32Array(2 * 784), labels: new Int32Array([3, 7]), count: 2, height: 28, width: 28 });
 * console.log(ds.get(1)[0].shape);   // [1, 28, 28]
 * ```
 */
export function mnistDataset(a: MNISTArrays, options: { flatten?: boolean } = {}): ImageDataset {
  const shape = options.flatten ? [a.count, a.height * a.width] : [a.count, 1, a.height, a.width];
  const x = fromArray(a.images, shape, { dtype: 'float32' });
  const y = fromArray(a.labels, [a.count], { dtype: 'int32' });
  return new TensorDataset<[Tensor, Tensor]>(x, y);
}

/**
 * Parses one (images, labels) pair of IDX files (gzip or not) into a dataset.
 *
 * @example
 * ```ts
 * import { encodeIDX, parseMNIST } from '@torchlet/datasets';
 * const images = encodeIDX('uint8', [2, 28, 28], new Uint8Array(2 * 28 * 28));
 * const labels = encodeIDX('uint8', [2], [3, 7]);
 * const ds = await parseMNIST(images, labels, { flatten: true });
 * console.log(ds.length, ds.get(0)[0].shape);   // 2 [784]
 * ```
 */
export async function parseMNIST(images: BytesLike, labels: BytesLike, options: MNISTOptions & { names?: { images: string; labels: string } } = {}): Promise<ImageDataset> {
  const names = options.names ?? { images: 'images', labels: 'labels' };
  const [im, lb] = await allInOrder([readIDX(images, names.images), readIDX(labels, names.labels)]);
  return mnistDataset(decodeMNIST(im, lb, names, options.numClasses ?? 10), options);
}

async function readSource(source: MNISTSource, key: keyof MNISTBytes): Promise<{ bytes: Uint8Array; name: string }> {
  const stem = MNIST_FILES[key];
  if ('bytes' in source) {
    const b = source.bytes[key];
    if (b === undefined) throw new TypeError(`loadMNIST: bytes.${key} is missing (the ${stem} file)`);
    return { bytes: toBytes(b, stem), name: stem };
  }
  if ('dir' in source) {
    const dotted = stem.replace(/-(idx\d-ubyte)$/, '.$1');
    const names = [stem, `${stem}.gz`, dotted, `${dotted}.gz`];
    const path = await findFile(source.dir, names);
    if (!path) throw new Error(`loadMNIST: none of ${names.join(', ')} is in ${source.dir}`);
    return { bytes: await readFileBytes(path), name: path };
  }
  if ('url' in source) {
    const base = source.url.replace(/\/+$/, '');
    for (const name of [`${stem}.gz`, stem]) {
      const bytes = await fetchBytes(`${base}/${name}`, source.fetchInit);
      if (bytes) return { bytes, name: `${base}/${name}` };
    }
    throw new Error(`loadMNIST: neither ${base}/${stem}.gz nor ${base}/${stem} was found (HTTP 404)`);
  }
  throw new TypeError('loadMNIST: give { dir }, { url } or { bytes }');
}

/**
 * Loads MNIST (or any dataset in its four-file IDX layout, such as Fashion-MNIST and KMNIST):
 * `{ train, test }` datasets of float32 images in [0, 1] shaped [N, 1, 28, 28] (or [N, 784] with
 * `flatten`) and int32 labels. The tensors live on the current backend; the caller owns them
 * (dispose `ds.tensors` when done).
 *
 * @example
 * ```ts
 * // not run: downloads MNIST (or reads it from a directory with { dir })
 * import { DataLoader, loadMNIST } from '@torchlet/datasets';
 * const { train, test } = await loadMNIST({ url: 'https://ossci-datasets.s3.amazonaws.com/mnist/' }, { flatten: true });
 * const loader = new DataLoader(train, { batchSize: 64, shuffle: true, seed: 0 });
 * ```
 */
export async function loadMNIST(source: MNISTSource, options: MNISTOptions = {}): Promise<Splits<ImageDataset>> {
  const keys = ['trainImages', 'trainLabels', 'testImages', 'testLabels'] as const;
  const files = await allInOrder(keys.map((k) => readSource(source, k)));
  const [ti, tl, vi, vl] = await allInOrder(files.map((f) => readIDX(f.bytes, f.name)));
  const numClasses = options.numClasses ?? 10;
  const train = decodeMNIST(ti!, tl!, { images: files[0]!.name, labels: files[1]!.name }, numClasses);
  const test = decodeMNIST(vi!, vl!, { images: files[2]!.name, labels: files[3]!.name }, numClasses);
  return { train: mnistDataset(train, options), test: mnistDataset(test, options) };
}

/**
 * Fashion-MNIST (Zalando): the same file names and format as MNIST, ten clothing classes.
 *
 * @example
 * ```ts
 * // not run: needs the Fashion-MNIST files
 * import { FASHION_MNIST_CLASSES, loadFashionMNIST } from '@torchlet/datasets';
 * const { train } = await loadFashionMNIST({ dir: 'data/fashion-mnist' });
 * const [, label] = train.get(0);
 * console.log(FASHION_MNIST_CLASSES[Number(await label.item())]);
 * ```
 */
export const loadFashionMNIST = loadMNIST;

/** Fashion-MNIST's class names, by label. */
export const FASHION_MNIST_CLASSES = [
  'T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot',
] as const;

/**
 * `Promise.all` that, when several fail, rejects with the first failure in list order rather than
 * the first to settle, so the error a user sees does not depend on timing.
 */
async function allInOrder<T>(promises: ReadonlyArray<Promise<T>>): Promise<T[]> {
  const settled = await Promise.allSettled(promises);
  const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  return settled.map((r) => (r as PromiseFulfilledResult<T>).value);
}
