/**
 * The key/value cache of autoregressive decoding: each attention layer keeps the keys and values
 * of the positions already processed, so the next step feeds only the new token and attends to
 * everything before it.
 *
 * Memory: the cache owns its tensors (they live outside any `tidy` scope) until `dispose()`.
 * Appending concatenates and frees the previous tensors, O(P) copying per step, which is small
 * next to the step's matmuls for the models this library trains.
 */
import * as T from '@torchlet/core';
import type { Tensor } from '@torchlet/core';

/**
 * One layer's keys and values, `(B, nh, P, hs)` each, for the P positions seen so far.
 *
 * @example
 * ```ts
 * const kv = new torch.transformer.KVCache(1).layer(0);
 * const [k, v] = kv.append(torch.randn([1, 2, 3, 4]), torch.randn([1, 2, 3, 4]));   // (B, heads, T, head size)
 * console.log(kv.length, k.shape);   // 3 [1, 2, 3, 4]
 * ```
 */
export class LayerKV {
  /** The cached keys `(B, nh, P, hs)`, owned by the cache; null before the first append. */
  k: Tensor | null = null;
  /** The cached values `(B, nh, P, hs)`, owned by the cache; null before the first append. */
  v: Tensor | null = null;

  /** P: positions cached. */
  get length(): number {
    return this.k?.shape[2] ?? 0;
  }

  /**
   * Appends this step's `k`, `v` `(B, nh, T, hs)` and returns the whole `(B, nh, P + T, hs)`
   * pair (owned by the cache: do not dispose them).
   */
  append(k: Tensor, v: Tensor): [Tensor, Tensor] {
    const nk = T.keep(this.k ? T.cat([this.k, k], 2) : k.contiguous().clone());
    const nv = T.keep(this.v ? T.cat([this.v, v], 2) : v.contiguous().clone());
    this.dispose();
    this.k = nk;
    this.v = nv;
    return [nk, nv];
  }

  /** Frees the cached keys and values and empties the layer (length 0); it can be appended to again. */
  dispose(): void {
    this.k?.dispose();
    this.v?.dispose();
    this.k = this.v = null;
  }
}

/**
 * A {@link LayerKV} per layer; `length` is the number of positions cached.
 *
 * @example
 * ```ts
 * const gpt = new torch.transformer.GPT({ vocabSize: 50, blockSize: 16, nLayer: 2, nHead: 2, nEmbd: 16 });
 * const cache = gpt.newCache();   // a KVCache with one LayerKV per block
 * const [first] = gpt.forward(torch.tensor([[1, 2, 3]], { dtype: 'int32' }));
 * cache.dispose();
 * ```
 */
export class KVCache {
  readonly #layers: LayerKV[];

  constructor(numLayers: number) {
    this.#layers = Array.from({ length: numLayers }, () => new LayerKV());
  }

  /** The number of layers (one LayerKV each). */
  get numLayers(): number {
    return this.#layers.length;
  }

  /** P: the positions cached (those of layer 0; every layer holds the same number after a full forward). */
  get length(): number {
    return this.#layers[0]?.length ?? 0;
  }

  /**
   * Layer `i`'s keys and values (owned by the cache). Throws a RangeError for an index outside `[0,
   * numLayers)`.
   */
  layer(i: number): LayerKV {
    const l = this.#layers[i];
    if (!l) throw new RangeError(`KVCache: no layer ${i} (the cache has ${this.#layers.length})`);
    return l;
  }

  /** Frees every layer's tensors; the cache is empty afterwards and may be reused from position 0. */
  dispose(): void {
    for (const l of this.#layers) l.dispose();
  }

  /** Calls `dispose()`, so `using cache = gpt.newCache()` frees it at the end of the scope. */
  [Symbol.dispose](): void {
    this.dispose();
  }
}
