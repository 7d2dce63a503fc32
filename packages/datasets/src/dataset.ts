/** Map-style datasets: Dataset, TensorDataset, Subset, randomSplit (PyTorch's torch.utils.data). */
import { fromArray, isTensor, type Tensor } from '@torchlet/core';
import { Rng, randomSeed } from './rng.ts';

/**
 * A map-style dataset: `length` samples, `get(i)` for 0 <= i < length.
 *
 * Ownership: `get` returns a new sample that the caller owns. Tensors in it may be views of the
 * dataset's storage (disposing a view never frees the dataset's data), and the caller disposes
 * them when done; the DataLoader's default collate does so after batching.
 *
 * A dataset may also implement `getBatch(indices)`, returning a whole batch at once (already
 * collated); the DataLoader then uses it instead of `get` + collate, which for tensor data is
 * one gather per tensor instead of a stack of `batchSize` views.
 *
 * @example
 * ```ts
 * import * as torch from 'torchlet';
 * import { Dataset, DataLoader } from '@torchlet/datasets';
 * // torch.utils.data.Dataset: a length and get(i).
 * class Squares extends Dataset<[torch.Tensor, torch.Tensor]> {
 *   get length() { return 100; }
 *   get(i: number): [torch.Tensor, torch.Tensor] { return [torch.tensor([i]), torch.tensor([i * i])]; }
 * }
 * for await (const [x, y] of new DataLoader(new Squares(), { batchSize: 32 })) {
 *   console.log(x.shape, y.shape);   // [32, 1] [32, 1] ... then [4, 1] [4, 1]
 * }
 * ```
 */
export abstract class Dataset<T> {
  /** The number of samples. */
  abstract get length(): number;
  /**
   * Sample `index`, for `0 <= index < length`: a new value owned by the caller. An index out of
   * range throws a RangeError.
   */
  abstract get(index: number): T;
  /** Optional fast path: the collated batch of samples at `indices`, owned by the caller. */
  getBatch?(indices: Int32Array): T;
}

/** Checks `index` against `length` with a PyTorch-like message; returns it normalized (negatives count from the end). */
export function checkIndex(index: number, length: number, what: string): number {
  if (!Number.isInteger(index) || index < -length || index >= length) {
    throw new RangeError(`${what}: index ${index} is out of range for a dataset of length ${length}`);
  }
  return index < 0 ? index + length : index;
}

/** The sample type of a TensorDataset over `T`: one tensor per input tensor. */
export type TensorTuple = readonly Tensor[];

/**
 * A dataset over tensors that share their first dimension: sample `i` is `[t0[i], t1[i], ...]`
 * (views). The dataset does not own its tensors: dispose them yourself when you no longer need
 * the dataset. Batches come from one `indexSelect` per tensor.
 *
 * @example
 * ```ts
 * import * as torch from 'torchlet';
 * import { TensorDataset } from '@torchlet/datasets';
 * const ds = new TensorDataset(torch.randn([100, 4]), torch.randint(0, 2, [100]));
 * const [x, y] = ds.get(0);
 * console.log(ds.length, x.shape, y.shape);   // 100 [4] []
 * ```
 */
export class TensorDataset<T extends TensorTuple = Tensor[]> extends Dataset<T> {
  /** The tensors, as given (not copied, not owned). */
  readonly tensors: T;

  constructor(...tensors: T) {
    super();
    if (tensors.length === 0) throw new RangeError('TensorDataset: give at least one tensor');
    tensors.forEach((t, i) => {
      if (!isTensor(t)) throw new TypeError(`TensorDataset: argument ${i} is not a Tensor`);
      if (t.ndim === 0) throw new RangeError(`TensorDataset: tensor ${i} is 0-dimensional; every tensor needs a first (sample) dimension`);
    });
    const n = tensors[0]!.shape[0]!;
    tensors.forEach((t, i) => {
      if (t.shape[0] !== n) {
        throw new RangeError(`TensorDataset: size mismatch between tensors: tensor 0 has ${n} samples, tensor ${i} has ${t.shape[0]} (shape [${t.shape.join(', ')}])`);
      }
    });
    this.tensors = tensors;
  }

  /** The tensors' shared first dimension. */
  get length(): number {
    return this.tensors[0]!.shape[0]!;
  }

  /**
   * `[t0[index], t1[index], ...]`: views that the caller disposes (disposing them never frees the
   * dataset's tensors).
   */
  get(index: number): T {
    const i = checkIndex(index, this.length, 'TensorDataset.get');
    return this.tensors.map((t) => t.select(0, i)) as unknown as T;
  }

  override getBatch(indices: Int32Array): T {
    const n = this.length;
    for (const i of indices) {
      if (i < 0 || i >= n) throw new RangeError(`TensorDataset.getBatch: index ${i} is out of range for a dataset of length ${n}`);
    }
    const first = this.tensors[0]!;
    const idx = fromArray(indices, [indices.length], { dtype: 'int32', backend: first.backend });
    try {
      return this.tensors.map((t) => t.indexSelect(0, idx)) as unknown as T;
    } finally {
      idx.dispose();
    }
  }
}

/**
 * The samples of `dataset` at `indices`, in that order.
 *
 * @example
 * ```ts
 * import * as torch from 'torchlet';
 * import { Subset, TensorDataset } from '@torchlet/datasets';
 * const ds = new TensorDataset(torch.arange(10));
 * const evens = new Subset(ds, [0, 2, 4, 6, 8]);
 * console.log(evens.length);   // 5
 * ```
 */
export class Subset<T> extends Dataset<T> {
  /** The underlying dataset (not owned). */
  readonly dataset: Dataset<T>;
  /** The underlying dataset's indices of this subset's samples, in order. */
  readonly indices: Int32Array;

  constructor(dataset: Dataset<T>, indices: ArrayLike<number>) {
    super();
    const n = dataset.length;
    const idx = Int32Array.from(indices as ArrayLike<number>);
    for (let k = 0; k < indices.length; k++) {
      const i = indices[k]!;
      if (!Number.isInteger(i) || i < 0 || i >= n) throw new RangeError(`Subset: index ${i} (position ${k}) is out of range for a dataset of length ${n}`);
    }
    this.dataset = dataset;
    this.indices = idx;
    if (dataset.getBatch) {
      this.getBatch = (batch: Int32Array): T => {
        const mapped = new Int32Array(batch.length);
        for (let k = 0; k < batch.length; k++) mapped[k] = this.indices[checkIndex(batch[k]!, this.indices.length, 'Subset.getBatch')]!;
        return this.dataset.getBatch!(mapped);
      };
    }
  }

  /** The number of indices. */
  get length(): number {
    return this.indices.length;
  }

  /** Sample `indices[index]` of the underlying dataset, owned by the caller. */
  get(index: number): T {
    return this.dataset.get(this.indices[checkIndex(index, this.indices.length, 'Subset.get')]!);
  }
}

/** Options of {@link randomSplit}. */
export interface RandomSplitOptions {
  /** Seed of the permutation; the same seed gives the same split. Default: random. */
  seed?: number;
}

/**
 * Splits `dataset` into non-overlapping random subsets of the given lengths (which must sum to
 * its length), or of the given fractions (which must sum to 1; as in PyTorch, the remainder of
 * flooring is dealt one sample at a time to the subsets in order).
 *
 * @example
 * ```ts
 * import * as torch from 'torchlet';
 * import { TensorDataset, randomSplit } from '@torchlet/datasets';
 * const ds = new TensorDataset(torch.randn([100, 4]));
 * const [train, val] = randomSplit(ds, [80, 20], { seed: 0 });
 * console.log(train!.length, val!.length);   // 80 20
 * ```
 */
export function randomSplit<T>(dataset: Dataset<T>, lengths: readonly number[], options: RandomSplitOptions = {}): Subset<T>[] {
  const n = dataset.length;
  if (!Array.isArray(lengths) || lengths.length === 0) throw new RangeError('randomSplit: give a non-empty list of lengths or fractions');
  let sizes: number[];
  const total = lengths.reduce((a, b) => a + b, 0);
  if (lengths.every((l) => l >= 0 && l <= 1) && Math.abs(total - 1) < 1e-9 && total !== n) {
    sizes = lengths.map((f) => Math.floor(n * f));
    let rest = n - sizes.reduce((a, b) => a + b, 0);
    for (let i = 0; rest > 0; i = (i + 1) % sizes.length, rest--) sizes[i]!++;
  } else {
    if (lengths.some((l) => !Number.isInteger(l) || l < 0)) {
      throw new RangeError(`randomSplit: lengths must be non-negative integers or fractions summing to 1, got [${lengths.join(', ')}]`);
    }
    if (total !== n) throw new RangeError(`randomSplit: sum of input lengths (${total}) does not equal the length of the input dataset (${n})`);
    sizes = [...lengths];
  }
  const perm = new Rng(options.seed ?? randomSeed(), 0).permutation(n);
  const out: Subset<T>[] = [];
  let at = 0;
  for (const s of sizes) {
    out.push(new Subset(dataset, perm.subarray(at, at + s)));
    at += s;
  }
  return out;
}

/** A data set's standard split: what the loaders return. The caller owns both datasets' tensors. */
export interface Splits<D> {
  /** The training split. */
  train: D;
  /** The held-out split. */
  test: D;
}
