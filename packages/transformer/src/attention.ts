/**
 * Scaled dot-product attention, `softmax(Q K^T * scale + mask) V`, composed from core ops.
 *
 * This file is the seam for a fused attention kernel: `scaledDotProductAttention` is the one
 * function that a backend's fast path will replace; `attentionWithWeights` is the same math
 * that also returns the attention weights (MultiheadAttention with `needWeights`), which a fused
 * kernel does not materialise.
 */
import * as T from '@torchlet/core';
import type { Tensor } from '@torchlet/core';

const shapeStr = (s: readonly number[]): string => `[${s.join(', ')}]`;

export interface ScaledDotProductAttentionOptions {
  /**
   * A mask broadcastable to the scores `(..., L, S)`. dtype `bool`: `true` = masked (the
   * position may not be attended), as in MultiheadAttention's masks. Note that PyTorch 2.0's
   * `F.scaled_dot_product_attention` uses the opposite convention for bool masks (`True` =
   * take part). dtype `float32`: added to the scores (`-Infinity` masks).
   */
  attnMask?: Tensor | null;
  /** Apply a causal mask (query i attends keys j <= i); not together with `attnMask`. */
  isCausal?: boolean;
  /** Dropout probability on the attention weights (default 0). */
  dropoutP?: number;
  /** Applied to `Q K^T` (default `1 / sqrt(E)`). */
  scale?: number | null;
}

/**
 * An attention mask as an additive float mask: bool `true` -> `-Infinity`, `false` -> 0; a float
 * mask is returned as a new reference to the same elements. The caller disposes the result.
 *
 * @example
 * ```ts
 * const masked = torch.tensor([[true, false], [false, false]]);   // true: may not attend (nn.MultiheadAttention's convention)
 * const additive = torch.transformer.toAdditiveMask(masked);
 * console.log(await additive.tolist());   // [[-Infinity, 0], [0, 0]]
 * ```
 */
export function toAdditiveMask(mask: Tensor, op = 'attention'): Tensor {
  if (mask.dtype === 'bool') return T.where(mask, -Infinity, 0);
  if (mask.dtype === 'float32') return mask.reshape([...mask.shape]);
  throw new TypeError(`${op}: only bool and float32 masks are supported, got a mask of dtype ${mask.dtype}`);
}

/**
 * The causal mask `(L, S)` as bool, `true` above the diagonal (positions j > i are masked).
 *
 * @example
 * ```ts
 * const mask = torch.transformer.causalMask(3, 3);   // true where a query may not attend (a later key)
 * console.log(await mask.tolist());   // [[false, true, true], [false, false, true], [false, false, false]]
 * ```
 */
export function causalMask(L: number, S: number, backend?: T.Backend): Tensor {
  return T.tidy(() => T.ones([L, S], { dtype: 'bool', backend }).triu(1));
}

function check(q: Tensor, k: Tensor, v: Tensor, o: ScaledDotProductAttentionOptions, op: string): void {
  for (const [t, n] of [[q, 'query'], [k, 'key'], [v, 'value']] as const) {
    if (!(t instanceof T.Tensor)) throw new TypeError(`${op}: expected ${n} to be a Tensor`);
    if (t.dtype !== 'float32') throw new TypeError(`${op}: expected ${n} of dtype float32, got ${t.dtype}`);
    if (t.ndim < 2) throw new RangeError(`${op}: expected ${n} to have at least 2 dims (..., seq, features), got shape ${shapeStr(t.shape)}`);
  }
  const E = q.shape[q.ndim - 1]!;
  if (k.shape[k.ndim - 1] !== E) throw new RangeError(`${op}: query and key must have the same last dim, got query ${shapeStr(q.shape)} and key ${shapeStr(k.shape)}`);
  if (k.shape[k.ndim - 2] !== v.shape[v.ndim - 2]) throw new RangeError(`${op}: key and value must have the same sequence length, got key ${shapeStr(k.shape)} and value ${shapeStr(v.shape)}`);
  if (o.isCausal && o.attnMask) throw new TypeError(`${op}: give either attnMask or isCausal, not both`);
  const p = o.dropoutP ?? 0;
  if (typeof p !== 'number' || !(p >= 0 && p <= 1)) throw new RangeError(`${op}: dropoutP must be in [0, 1], got ${String(p)}`);
  if (o.attnMask) {
    const L = q.shape[q.ndim - 2]!, S = k.shape[k.ndim - 2]!;
    const scores = [...T.broadcastShapes(q.shape.slice(0, -2), k.shape.slice(0, -2)), L, S];
    let ok = true;
    try {
      ok = T.broadcastShapes(scores, o.attnMask.shape).every((s, i) => s === scores[i]) && o.attnMask.ndim <= scores.length;
    } catch {
      ok = false;
    }
    if (!ok) throw new RangeError(`${op}: attnMask of shape ${shapeStr(o.attnMask.shape)} does not broadcast to the attention scores' shape ${shapeStr(scores)}`);
  }
}

/**
 * The attention output `(..., L, Ev)` and weights `(..., L, S)` (after dropout, as PyTorch 1.13) for `q (..., L, E)`,
 * `k (..., S, E)`, `v (..., S, Ev)` (leading dims broadcast). See
 * {@link scaledDotProductAttention} for the options.
 *
 * @example
 * ```ts
 * const q = torch.randn([1, 3, 4]), k = torch.randn([1, 5, 4]), v = torch.randn([1, 5, 4]);
 * const [out, weights] = torch.transformer.attentionWithWeights(q, k, v);
 * console.log(out.shape, weights.shape);   // [1, 3, 4] [1, 3, 5]: each row of weights sums to 1
 * ```
 */
export function attentionWithWeights(q: Tensor, k: Tensor, v: Tensor, options: ScaledDotProductAttentionOptions = {}): [Tensor, Tensor] {
  check(q, k, v, options, 'scaledDotProductAttention');
  const E = q.shape[q.ndim - 1]!;
  const scale = options.scale ?? 1 / Math.sqrt(E);
  const p = options.dropoutP ?? 0;
  return T.tidy(() => {
    // PyTorch 1.13 scales q before the product (q / sqrt(E)) @ k^T: the same up to rounding.
    let scores = q.mul(scale).matmul(k.transpose(-2, -1)); // (..., L, S)
    const L = q.shape[q.ndim - 2]!, S = k.shape[k.ndim - 2]!;
    if (options.isCausal) scores = scores.maskedFill(causalMask(L, S, q.backend), -Infinity);
    else if (options.attnMask) {
      scores = options.attnMask.dtype === 'bool' ? T.where(options.attnMask, -Infinity, scores) : scores.add(toAdditiveMask(options.attnMask, 'scaledDotProductAttention'));
    }
    let weights = T.softmax(scores, -1);
    // As PyTorch 1.13, the weights returned are the ones used, after dropout.
    if (p > 0) weights = T.dropout(weights, { p, training: true });
    const out = weights.matmul(v); // (..., L, Ev)
    return [out, weights] as [Tensor, Tensor];
  });
}

/**
 * `softmax(Q K^T * scale + mask) V` for `q (..., L, E)`, `k (..., S, E)`, `v (..., S, Ev)`;
 * returns `(..., L, Ev)`. Dropout with `dropoutP` applies whenever it is positive (pass 0 in
 * evaluation, as with PyTorch's functional form).
 *
 * Without dropout, on a backend with a fused attention kernel (`FusedKernels.attention`), this
 * runs core's `fusedAttention` when it can (q, k, v of up to 4 dims with equal leading dims; a
 * bool mask becomes an additive one of its own shape; a float mask that requires grad keeps the
 * composite): no `L x S` buffer forward or backward. Otherwise it is composed from core ops.
 *
 * @example
 * ```ts
 * const q = torch.randn([2, 4, 16, 8]);   // (N, heads, L, E)
 * const k = torch.randn([2, 4, 16, 8]);
 * const v = torch.randn([2, 4, 16, 8]);
 * const out = torch.scaledDotProductAttention(q, k, v, { isCausal: true });   // F.scaled_dot_product_attention
 * console.log(out.shape);   // [2, 4, 16, 8]
 * ```
 */
export function scaledDotProductAttention(q: Tensor, k: Tensor, v: Tensor, options: ScaledDotProductAttentionOptions = {}): Tensor {
  if ((options.dropoutP ?? 0) === 0 && q instanceof T.Tensor && T.hasFusedAttention(q.backend)) {
    check(q, k, v, options, 'scaledDotProductAttention');
    const fused = T.tidy(() => {
      const mask = options.attnMask ? toAdditiveMask(options.attnMask, 'scaledDotProductAttention') : null;
      if (!T.canFuseAttention(q, k, v, mask)) return null;
      return T.fusedAttention(q, k, v, { mask, isCausal: options.isCausal ?? false, scale: options.scale ?? null });
    });
    if (fused) return fused;
  }
  return T.tidy(() => attentionWithWeights(q, k, v, options)[0]);
}
