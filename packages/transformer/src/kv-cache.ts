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

/** One layer's keys and values, `(B, nh, P, hs)` each, for the P positions seen so far. */
export class LayerKV {
  k: Tensor | null = null;
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

  dispose(): void {
    this.k?.dispose();
    this.v?.dispose();
    this.k = this.v = null;
  }
}

/** A {@link LayerKV} per layer; `length` is the number of positions cached. */
export class KVCache {
  readonly #layers: LayerKV[];

  constructor(numLayers: number) {
    this.#layers = Array.from({ length: numLayers }, () => new LayerKV());
  }

  get numLayers(): number {
    return this.#layers.length;
  }

  get length(): number {
    return this.#layers[0]?.length ?? 0;
  }

  layer(i: number): LayerKV {
    const l = this.#layers[i];
    if (!l) throw new RangeError(`KVCache: no layer ${i} (the cache has ${this.#layers.length})`);
    return l;
  }

  dispose(): void {
    for (const l of this.#layers) l.dispose();
  }

  [Symbol.dispose](): void {
    this.dispose();
  }
}
