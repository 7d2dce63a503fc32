/** DataLoader: batches, shuffling and one-batch-ahead prefetching over a map-style dataset. */
import { adoptIntoStep, isTensor, keep, stepBoundary, type Tensor } from '@torchlet/core';
import { defaultCollate, type Collated } from './collate.ts';
import type { Dataset } from './dataset.ts';
import { Rng, randomSeed } from './rng.ts';

/** Options of `DataLoader` (PyTorch's `batch_size`, `shuffle`, `drop_last`, `collate_fn`, camelCased). */
export interface DataLoaderOptions<T, B> {
  /** Samples per batch. Default 1. */
  batchSize?: number;
  /** Visit the samples in a new random order each epoch. Default false. */
  shuffle?: boolean;
  /** Seed of the shuffle: epoch `e` uses the permutation drawn from (seed, e), so runs repeat. Default: random. */
  seed?: number;
  /** Drop the last batch when it is smaller than `batchSize`. Default false. */
  dropLast?: boolean;
  /**
   * Turns a list of samples into a batch. Default: {@link defaultCollate}, or the dataset's
   * `getBatch` fast path when it has one (TensorDataset: one indexSelect per tensor).
   */
  collate?: (samples: T[]) => B;
  /** Build the next batch while the consumer works on the current one. Default true. */
  prefetch?: boolean;
}

/**
 * Iterates a dataset in batches: `for await (const [x, y] of loader) { ... }`.
 *
 * Each `for await` is one epoch. With `shuffle`, epoch e visits the samples in the order of a
 * Philox permutation keyed by (`seed`, e): a different order every epoch, the same orders for
 * the same seed.
 *
 * Ownership: every batch belongs to the consumer, who disposes it (or builds it inside `tidy`);
 * the loader keeps no reference. Batches are created outside any `tidy` scope of the consumer
 * (`keep`), so an async `tidy` open while the next batch is prefetched does not dispose it.
 * A typical loop:
 *
 * ```ts
 * for await (const [x, y] of loader) {
 *   const loss = tidy(() => step(x, y));
 *   x.dispose(); y.dispose();
 * }
 * ```
 *
 * Order of work: when batch k is handed out, batch k+1 is scheduled on a macrotask, so it is
 * built while the consumer awaits (a readback, I/O); if the consumer asks for it first, it is
 * built on the spot. Leaving the loop early (break, throw) disposes a prefetched batch.
 *
 * @example
 * ```ts
 * import * as torch from 'torchlet';
 * import { DataLoader, TensorDataset } from '@torchlet/datasets';
 * const ds = new TensorDataset(torch.randn([100, 784]), torch.randint(0, 10, [100]));
 * const loader = new DataLoader(ds, { batchSize: 32, shuffle: true, seed: 0 });
 * for await (const [x, y] of loader) {
 *   console.log(x.shape, y.shape);   // [32, 784] [32], ..., [4, 784] [4]
 *   x.dispose(); y.dispose();        // batches belong to the caller
 * }
 * ```
 */
export class DataLoader<T, B = Collated<T>> implements AsyncIterable<B> {
  /** The dataset batches are drawn from (not owned). */
  readonly dataset: Dataset<T>;
  /** Samples per batch (the last batch may be smaller unless `dropLast`). */
  readonly batchSize: number;
  /** Whether each epoch visits the samples in a new random order. */
  readonly shuffle: boolean;
  /** Whether a last batch smaller than `batchSize` is dropped. */
  readonly dropLast: boolean;
  /** The shuffle's seed (drawn at random when not given); epoch `e` uses the permutation of (seed, e). */
  readonly seed: number;
  private readonly collate: ((samples: T[]) => B) | undefined;
  private readonly prefetch: boolean;
  private epochCount = 0;

  constructor(dataset: Dataset<T>, options: DataLoaderOptions<T, B> = {}) {
    const { batchSize = 1, shuffle = false, dropLast = false, prefetch = true } = options;
    if (!dataset || typeof dataset.get !== 'function' || typeof dataset.length !== 'number') {
      throw new TypeError('DataLoader: expected a Dataset (an object with length and get(i))');
    }
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`DataLoader: batchSize must be a positive integer, got ${batchSize}`);
    this.dataset = dataset;
    this.batchSize = batchSize;
    this.shuffle = shuffle;
    this.dropLast = dropLast;
    this.seed = options.seed ?? randomSeed();
    new Rng(this.seed); // validates the seed now rather than at the first epoch
    this.collate = options.collate;
    this.prefetch = prefetch;
  }

  /** Batches per epoch. */
  get length(): number {
    const n = this.dataset.length;
    return this.dropLast ? Math.floor(n / this.batchSize) : Math.ceil(n / this.batchSize);
  }

  /** The epoch the next `for await` will run (0-based). Settable, to resume a run. */
  get epoch(): number {
    return this.epochCount;
  }
  /** Sets the epoch the next `for await` runs, e.g. to resume; a RangeError unless a non-negative integer. */
  set epoch(e: number) {
    if (!Number.isSafeInteger(e) || e < 0) throw new RangeError(`DataLoader: epoch must be a non-negative integer, got ${e}`);
    this.epochCount = e;
  }

  /** The sample order of epoch `epoch` (its permutation when shuffling). */
  order(epoch: number): Int32Array {
    const n = this.dataset.length;
    if (this.shuffle) return new Rng(this.seed, epoch).permutation(n);
    const o = new Int32Array(n);
    for (let i = 0; i < n; i++) o[i] = i;
    return o;
  }

  private build(indices: Int32Array): B {
    let batch: B;
    if (!this.collate && this.dataset.getBatch) {
      batch = this.dataset.getBatch(indices) as unknown as B;
    } else {
      const samples: T[] = [];
      try {
        for (const i of indices) samples.push(this.dataset.get(i));
        batch = this.collate ? this.collate(samples) : (defaultCollate(samples) as B);
      } catch (e) {
        // The samples were ours (see Dataset.get); free them rather than leak them.
        forEachTensor(samples, (t) => t.dispose());
        throw e;
      }
    }
    // Built ahead of time (prefetch), so outside any scope until take() hands it out.
    forEachTensor(batch, (t) => keep(t));
    return batch;
  }

  /**
   * One epoch: yields `length` batches in the epoch's order and advances `epoch` when the iteration
   * starts. Each batch is the consumer's to dispose; leaving early disposes a prefetched one.
   */
  async *[Symbol.asyncIterator](): AsyncIterator<B> {
    const order = this.order(this.epochCount++);
    const nBatches = this.length;
    const bs = this.batchSize;
    const indicesOf = (b: number): Int32Array => order.subarray(b * bs, Math.min(order.length, (b + 1) * bs));

    // One slot for the batch being prepared ahead.
    interface Slot {
      b: number;
      timer: ReturnType<typeof setTimeout> | undefined;
      done: boolean;
      value?: B;
      error?: unknown;
    }
    const fill = (slot: Slot): void => {
      if (slot.done) return;
      slot.done = true;
      slot.timer = undefined;
      try {
        slot.value = this.build(indicesOf(slot.b));
      } catch (e) {
        slot.error = e;
      }
    };
    const schedule = (b: number): Slot => {
      const slot: Slot = { b, timer: undefined, done: false };
      if (this.prefetch) slot.timer = setTimeout(() => fill(slot), 0);
      return slot;
    };
    const take = (slot: Slot): B => {
      if (slot.timer !== undefined) clearTimeout(slot.timer);
      fill(slot);
      if (slot.error !== undefined) throw slot.error;
      const v = slot.value as B;
      slot.value = undefined;
      // Each batch is a step boundary (core's step-scope.ts): a loop that never disposes its
      // batches frees them, and what it computed from them, two batches later.
      stepBoundary(this, 'DataLoader batch');
      forEachTensor(v, (t) => adoptIntoStep(t));
      return v;
    };

    let next: Slot | undefined = nBatches > 0 ? schedule(0) : undefined;
    try {
      for (let b = 0; b < nBatches; b++) {
        const current = take(next!);
        next = b + 1 < nBatches ? schedule(b + 1) : undefined;
        yield current;
      }
    } finally {
      // Left early: a batch prepared but never handed out is ours to free.
      if (next) {
        if (next.timer !== undefined) clearTimeout(next.timer);
        next.done = true;
        if (next.value !== undefined) forEachTensor(next.value, (t) => t.dispose());
      }
    }
  }
}

/**
 * Calls `fn` on every tensor in a batch (arrays and plain objects, a few levels deep).
 *
 * @example
 * ```ts
 * import * as torch from 'torchlet';
 * import { forEachTensor } from '@torchlet/datasets';
 * const batch = { x: torch.zeros([2]), extra: [torch.ones([3])] };
 * let n = 0;
 * forEachTensor(batch, (t) => { n += t.numel(); });
 * console.log(n);   // 5
 * ```
 */
export function forEachTensor(value: unknown, fn: (t: Tensor) => void, depth = 0): void {
  if (depth > 8 || value === null || typeof value !== 'object') return;
  if (isTensor(value)) fn(value);
  else if (Array.isArray(value)) for (const v of value) forEachTensor(v, fn, depth + 1);
  else if (Object.getPrototypeOf(value) === Object.prototype) for (const v of Object.values(value)) forEachTensor(v, fn, depth + 1);
}

/**
 * Disposes every tensor of a batch: `for await (const b of loader) { ...; disposeBatch(b); }`.
 *
 * @example
 * ```ts
 * import * as torch from 'torchlet';
 * import { DataLoader, TensorDataset, disposeBatch } from '@torchlet/datasets';
 * const loader = new DataLoader(new TensorDataset(torch.randn([8, 2]), torch.zeros([8])), { batchSize: 4 });
 * for await (const batch of loader) {
 *   // ... use batch ...
 *   disposeBatch(batch);   // frees every tensor in it, however nested
 * }
 * ```
 */
export function disposeBatch(batch: unknown): void {
  forEachTensor(batch, (t) => t.dispose());
}
