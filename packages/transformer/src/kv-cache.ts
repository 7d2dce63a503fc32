/**
 * The key/value cache of autoregressive decoding: each attention layer keeps the keys and values
 * of the positions already processed, so the next step feeds only the new token and attends to
 * everything before it.
 *
 * Memory: the cache owns its tensors (they live outside any `tidy` scope) until `dispose()`.
 * Keys and values are written in place into buffers with room for more positions (doubling when
 * full, so the buffers hold at most twice the positions cached): a step copies only its own
 * positions, not the whole cache as concatenating would (O(P) per token, which at a 1024-token
 * context of a 110M model costs more than the step's attention). When gradients are recorded
 * through the new keys or values, appending concatenates instead, so the cache stays
 * differentiable.
 *
 * Fixed-shape decoding (Hugging Face's `StaticCache`, for `torch.compile`): after `reserve(n)`
 * the buffers hold n positions, `LayerKV.update(k, v, cachePosition)` writes at positions held in
 * an int32 tensor (not a JavaScript number, which a compiled plan would freeze) and returns the
 * whole buffers, and the caller masks the positions not yet written and calls `advance(T)`. So
 * one compiled decode step replays for every token until the buffers grow. Buffers are made
 * zero-filled and positions at and after `length` stay zero until written: `update` adds into
 * them (`scatterAdd_`, the in-place write at a tensor-held index that backends have).
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
  // The buffers `(B, nh, capacity, hs)` that k and v are views of (null when k and v are not views).
  #kBuf: Tensor | null = null;
  #vBuf: Tensor | null = null;

  /** P: positions cached. */
  get length(): number {
    return this.k?.shape[2] ?? 0;
  }

  /** Positions the buffers hold (0 before the first append, or on the differentiable path). */
  get capacity(): number {
    return this.#kBuf?.shape[2] ?? 0;
  }

  /**
   * Appends this step's `k`, `v` `(B, nh, T, hs)` and returns the whole `(B, nh, P + T, hs)`
   * pair (owned by the cache: do not dispose them; they are views that stay valid until the
   * next append or dispose).
   */
  append(k: Tensor, v: Tensor): [Tensor, Tensor] {
    if (!(k instanceof T.Tensor) || !(v instanceof T.Tensor) || k.ndim !== 4 || v.ndim !== 4) {
      throw new TypeError(`LayerKV.append: expected keys and values of shape (B, heads, T, head size), got ${describe(k)} and ${describe(v)}`);
    }
    const P = this.length;
    if (this.k && (k.shape[0] !== this.k.shape[0] || k.shape[1] !== this.k.shape[1] || k.shape[3] !== this.k.shape[3] || v.shape[3] !== this.v!.shape[3])) {
      throw new RangeError(`LayerKV.append: new keys [${k.shape.join(', ')}] do not continue the cached [${this.k.shape.join(', ')}] (batch, heads and head size must match)`);
    }
    if (T.isGradEnabled() && (k.requiresGrad || v.requiresGrad || this.k?.requiresGrad || this.v?.requiresGrad)) return this.#concat(k, v);
    const Tn = k.shape[2]!;
    const capacity = this.#kBuf?.shape[2] ?? 0;
    if (P + Tn > capacity) this.#grow(k, v, Math.max(P + Tn, 2 * capacity));
    const kBuf = this.#kBuf!, vBuf = this.#vBuf!;
    T.noGrad(() =>
      T.tidy(() => {
        kBuf.narrow(2, P, Tn).copy_(k);
        vBuf.narrow(2, P, Tn).copy_(v);
      }),
    );
    this.#setLength(P + Tn);
    return [this.k!, this.v!];
  }

  /**
   * Makes the buffers hold at least `capacity` positions (the cached ones are kept), for
   * {@link update}. Needs one append first (it gives the shapes). The buffers, and the views
   * `k` and `v`, are new tensors when they grow: a compiled step that read the old ones traces again.
   */
  reserve(capacity: number): void {
    if (!Number.isInteger(capacity) || capacity < 0) throw new RangeError(`LayerKV.reserve: capacity must be a non-negative integer, got ${String(capacity)}`);
    if (!this.k || !this.v) throw new Error('LayerKV.reserve: nothing cached yet; append (a forward through the cache) first, which gives the shapes');
    if (capacity <= this.capacity) return;
    this.#grow(this.k, this.v, capacity);
    this.#setLength(this.length);
  }

  /**
   * Writes this step's `k`, `v` `(B, nh, T, hs)` at the positions of the int32 tensor
   * `cachePosition` `(T,)` and returns the whole buffers `(B, nh, capacity, hs)` (owned by the
   * cache), as Hugging Face's `StaticCache.update`: shapes that do not change from token to token,
   * so a compiled decode step replays. The positions must be the next ones, `length ..
   * length + T - 1` (they are not read back to check: the write adds into positions that still
   * hold zeros), within the capacity made by {@link reserve}; positions not yet written read as
   * zeros and must be masked by the caller, who then calls {@link advance}. Not differentiable.
   */
  update(k: Tensor, v: Tensor, cachePosition: Tensor): [Tensor, Tensor] {
    if (!(k instanceof T.Tensor) || !(v instanceof T.Tensor) || k.ndim !== 4 || v.ndim !== 4) {
      throw new TypeError(`LayerKV.update: expected keys and values of shape (B, heads, T, head size), got ${describe(k)} and ${describe(v)}`);
    }
    if (!(cachePosition instanceof T.Tensor) || cachePosition.dtype !== 'int32' || cachePosition.ndim !== 1 || cachePosition.shape[0] !== k.shape[2]) {
      throw new TypeError(`LayerKV.update: cachePosition must be an int32 tensor of shape (T,) = [${k.shape[2]}], got ${cachePosition instanceof T.Tensor ? `${cachePosition.dtype} [${cachePosition.shape.join(', ')}]` : String(cachePosition)}`);
    }
    const kBuf = this.#kBuf, vBuf = this.#vBuf;
    if (!kBuf || !vBuf) throw new Error('LayerKV.update: no buffers; call reserve(capacity) after the first append');
    if (k.shape[0] !== kBuf.shape[0] || k.shape[1] !== kBuf.shape[1] || k.shape[3] !== kBuf.shape[3] || v.shape[3] !== vBuf.shape[3] || v.shape[2] !== k.shape[2]) {
      throw new RangeError(`LayerKV.update: new keys [${k.shape.join(', ')}] and values [${v.shape.join(', ')}] do not fit the buffers [${kBuf.shape.join(', ')}] (batch, heads and head size must match)`);
    }
    const Tn = k.shape[2]!;
    if (this.length + Tn > kBuf.shape[2]!) throw new RangeError(`LayerKV.update: ${this.length} positions cached and ${Tn} new ones do not fit the capacity ${kBuf.shape[2]}; reserve more first`);
    T.noGrad(() =>
      T.tidy(() => {
        const at = (x: Tensor): Tensor => cachePosition.view(1, 1, Tn, 1).expand([...x.shape]);
        kBuf.scatterAdd_(2, at(k), k);
        vBuf.scatterAdd_(2, at(v), v);
      }),
    );
    return [kBuf, vBuf];
  }

  /** Counts `n` more positions as cached, after {@link update} wrote them. */
  advance(n: number): void {
    if (!Number.isInteger(n) || n < 0) throw new RangeError(`LayerKV.advance: n must be a non-negative integer, got ${String(n)}`);
    if (this.length + n > this.capacity) throw new RangeError(`LayerKV.advance: ${this.length} + ${n} positions exceed the capacity ${this.capacity}`);
    if (n > 0) this.#setLength(this.length + n);
  }

  /** Points `k` and `v` at the first `n` positions of the buffers. */
  #setLength(n: number): void {
    this.k?.dispose();
    this.v?.dispose();
    this.k = T.keep(this.#kBuf!.narrow(2, 0, n));
    this.v = T.keep(this.#vBuf!.narrow(2, 0, n));
  }

  /** New zero-filled buffers of `capacity` positions holding the cached ones (the old buffers are freed). */
  #grow(k: Tensor, v: Tensor, capacity: number): void {
    const [B, nh, , hs] = k.shape as [number, number, number, number];
    const P = this.length;
    const kBuf = T.keep(T.zeros([B, nh, capacity, hs], { dtype: k.dtype, backend: k.backend }));
    const vBuf = T.keep(T.zeros([B, nh, capacity, v.shape[3]!], { dtype: v.dtype, backend: v.backend }));
    if (P > 0) {
      T.noGrad(() =>
        T.tidy(() => {
          kBuf.narrow(2, 0, P).copy_(this.k!);
          vBuf.narrow(2, 0, P).copy_(this.v!);
        }),
      );
    }
    this.#kBuf?.dispose();
    this.#vBuf?.dispose();
    this.#kBuf = kBuf;
    this.#vBuf = vBuf;
  }

  /** The differentiable path: the whole cache concatenated with the new positions. */
  #concat(k: Tensor, v: Tensor): [Tensor, Tensor] {
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
    this.#kBuf?.dispose();
    this.#vBuf?.dispose();
    this.k = this.v = this.#kBuf = this.#vBuf = null;
  }
}

const describe = (t: unknown): string => (t instanceof T.Tensor ? `[${t.shape.join(', ')}]` : String(t));

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

  /** Positions every layer's buffers hold (see {@link reserve}). */
  get capacity(): number {
    return this.#layers.length === 0 ? 0 : Math.min(...this.#layers.map((l) => l.capacity));
  }

  /**
   * `0 .. capacity - 1` as an int32 tensor (owned by the cache; null before {@link reserve}): the
   * key positions a fixed-shape step compares with its `cachePosition` to mask the positions not
   * yet written.
   */
  get keyPositions(): Tensor | null {
    return this.#keyPositions;
  }

  #keyPositions: Tensor | null = null;

  /**
   * Makes every layer hold at least `capacity` positions, for fixed-shape steps
   * ({@link LayerKV.update}, a model's `cachePosition`): after a first forward through the cache
   * (it gives the shapes). Growing replaces the buffers (a compiled step traces again).
   */
  reserve(capacity: number): void {
    for (const l of this.#layers) l.reserve(capacity);
    const cap = this.capacity;
    if (this.#keyPositions?.shape[0] !== cap) {
      const backend = this.#layers[0]?.k?.backend;
      this.#keyPositions?.dispose();
      this.#keyPositions = T.keep(T.arange(cap, { dtype: 'int32', backend }));
    }
  }

  /** Counts `n` more positions as cached in every layer, after a forward with `cachePosition` wrote them. */
  advance(n: number): void {
    for (const l of this.#layers) l.advance(n);
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
    this.#keyPositions?.dispose();
    this.#keyPositions = null;
  }

  /** Calls `dispose()`, so `using cache = gpt.newCache()` frees it at the end of the scope. */
  [Symbol.dispose](): void {
    this.dispose();
  }
}
