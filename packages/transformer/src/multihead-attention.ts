/**
 * `MultiheadAttention` with PyTorch 1.13's parameter layout, masks, options and init.
 */
import * as T from '@torchlet/core';
import type { Tensor } from '@torchlet/core';
import { Linear, Module, Parameter, init } from '@torchlet/nn';
import { attentionWithWeights, scaledDotProductAttention, toAdditiveMask } from './attention.ts';

const shapeStr = (s: readonly number[]): string => `[${s.join(', ')}]`;

/** Options of `MultiheadAttention` (PyTorch's keyword arguments, camelCased). */
export interface MultiheadAttentionOptions {
  /** Dropout on the attention weights, in training (default 0). */
  dropout?: number;
  /** Biases on the input and output projections (default true). */
  bias?: boolean;
  /** PyTorch's `add_bias_kv`: only false (the default) is supported; true throws. */
  addBiasKv?: boolean;
  /** PyTorch's `add_zero_attn`: only false (the default) is supported; true throws. */
  addZeroAttn?: boolean;
  /** Features of the keys (default embedDim). */
  kdim?: number | null;
  /** Features of the values (default embedDim). */
  vdim?: number | null;
  /** Inputs and output are `(N, L, E)` instead of `(L, N, E)` (default false). */
  batchFirst?: boolean;
}

/**
 * Options of `MultiheadAttention.forward` (PyTorch's `key_padding_mask`, `need_weights`, `attn_mask`,
 * `average_attn_weights`).
 */
export interface MultiheadAttentionForwardOptions {
  /**
   * `(N, S)` (or `(S)` unbatched): bool `true` = ignore that key, or float added to the scores.
   * Given together with `attnMask`, both masks apply (added, or OR-ed when both are bool), as in
   * PyTorch 2. PyTorch 1.13 differs in one case: a float `keyPaddingMask` with a float `attnMask`
   * — there it ignores the padding mask.
   */
  keyPaddingMask?: Tensor | null;
  /** Return the attention weights (default true). */
  needWeights?: boolean;
  /**
   * `(L, S)` or `(N*numHeads, L, S)` (row `n*numHeads + h`): bool `true` = not allowed, or
   * float added to the scores (e.g. `generateSquareSubsequentMask(L)`).
   */
  attnMask?: Tensor | null;
  /** Average the weights over heads to `(N, L, S)`; otherwise `(N, numHeads, L, S)` (default true). */
  averageAttnWeights?: boolean;
}

/** PyTorch's positional order of the constructor's optional arguments, after `embedDim, numHeads`. */
const MHA_ARGS = ['dropout', 'bias', 'addBiasKv', 'addZeroAttn', 'kdim', 'vdim', 'batchFirst'] as const;
/** PyTorch's positional order of `forward`'s optional arguments, after `query, key, value`. */
const MHA_FORWARD_ARGS = ['keyPaddingMask', 'needWeights', 'attnMask', 'averageAttnWeights'] as const;

/** Fresh parameter of `shape` (values set by the initialiser). */
function param(shape: number[]): Parameter {
  const t = T.zeros(shape);
  try {
    return new Parameter(t);
  } finally {
    t.dispose();
  }
}

/**
 * Attention over `numHeads` heads of size `embedDim / numHeads`:
 * `out_proj(concat_h(softmax(q_h k_h^T / sqrt(d) + mask) v_h))` with
 * `q = query W_q^T + b_q` and so on.
 *
 * Parameters (PyTorch's state-dict keys): `in_proj_weight (3E, E)` stacking `[W_q; W_k; W_v]`,
 * or `q_proj_weight (E, E)`, `k_proj_weight (E, kdim)`, `v_proj_weight (E, vdim)` when kdim/vdim
 * differ from embedDim; `in_proj_bias (3E)`; `out_proj.weight`, `out_proj.bias`.
 * Init as PyTorch 1.13: xavier-uniform projection weights, zero biases.
 *
 * @example
 * ```ts
 * const mha = new torch.MultiheadAttention(64, 8, { batchFirst: true });
 * const x = torch.randn([2, 10, 64]);   // (N, L, E)
 * const [out, weights] = mha.forward(x, x, x, { needWeights: true });
 * console.log(out.shape, weights!.shape);   // [2, 10, 64] [2, 10, 10] (averaged over heads)
 * ```
 */
export class MultiheadAttention extends Module {
  /** The model width E of queries and outputs. */
  readonly embedDim: number;
  /** The number of heads. */
  readonly numHeads: number;
  /** The width of each head, `embedDim / numHeads`. */
  readonly headDim: number;
  /** Features of the keys (embedDim unless given). */
  readonly kdim: number;
  /** Features of the values (embedDim unless given). */
  readonly vdim: number;
  /** Dropout probability on the attention weights, applied in training only. */
  readonly dropout: number;
  /** Whether inputs and output are `(N, L, E)` rather than `(L, N, E)`. */
  readonly batchFirst: boolean;
  // Field order is the state-dict order (PyTorch's).
  /** `in_proj_weight (3E, E)`, stacking `[W_q; W_k; W_v]`; null when kdim or vdim differ from embedDim. */
  inProjWeight: Parameter | null = null;
  /** `q_proj_weight (E, E)`; set only when kdim or vdim differ from embedDim. */
  qProjWeight: Parameter | null = null;
  /** `k_proj_weight (E, kdim)`; set only when kdim or vdim differ from embedDim. */
  kProjWeight: Parameter | null = null;
  /** `v_proj_weight (E, vdim)`; set only when kdim or vdim differ from embedDim. */
  vProjWeight: Parameter | null = null;
  /** `in_proj_bias (3E)`, the q, k and v biases stacked; null with `bias: false`. */
  inProjBias: Parameter | null = null;
  /** The output projection `out_proj`, `E -> E` (biased unless `bias: false`). */
  outProj: Linear;

  /**
   * PyTorch's `MultiheadAttention(embed_dim, num_heads, dropout, bias, add_bias_kv, add_zero_attn,
   * kdim, vdim, batch_first)`: the optional arguments positionally in that order and/or as options.
   *
   * @example
   * new MultiheadAttention(16, 4, 0.0, true, false, false, null, null, true);
   * new MultiheadAttention(16, 4, { batchFirst: true });
   */
  constructor(embedDim: number, numHeads: number, ...args: T.PosArgs<MultiheadAttentionOptions, typeof MHA_ARGS>) {
    super();
    const options = T.parseArgs('MultiheadAttention', args, MHA_ARGS) as MultiheadAttentionOptions;
    for (const k of ['addBiasKv', 'addZeroAttn'] as const) {
      if (options[k] !== undefined && T.argBool('MultiheadAttention', k, options[k])) throw new TypeError(`MultiheadAttention: ${k}=true is not supported`);
    }
    if (options.batchFirst !== undefined) T.argBool('MultiheadAttention', 'batchFirst', options.batchFirst);
    if (options.bias !== undefined) T.argBool('MultiheadAttention', 'bias', options.bias);
    if (!Number.isInteger(embedDim) || embedDim <= 0) throw new RangeError(`MultiheadAttention: embedDim must be a positive integer, got ${String(embedDim)}`);
    if (!Number.isInteger(numHeads) || numHeads <= 0) throw new RangeError(`MultiheadAttention: numHeads must be a positive integer, got ${String(numHeads)}`);
    if (embedDim % numHeads !== 0) throw new RangeError(`MultiheadAttention: embedDim must be divisible by numHeads, got embedDim=${embedDim} and numHeads=${numHeads}`);
    const dropout = options.dropout ?? 0;
    if (typeof dropout !== 'number' || !(dropout >= 0 && dropout <= 1)) throw new RangeError(`MultiheadAttention: dropout must be in [0, 1], got ${String(dropout)}`);
    this.embedDim = embedDim;
    this.numHeads = numHeads;
    this.headDim = embedDim / numHeads;
    this.kdim = options.kdim ?? embedDim;
    this.vdim = options.vdim ?? embedDim;
    for (const [v, n] of [[this.kdim, 'kdim'], [this.vdim, 'vdim']] as const) {
      if (!Number.isInteger(v) || v <= 0) throw new RangeError(`MultiheadAttention: ${n} must be a positive integer, got ${String(v)}`);
    }
    this.dropout = dropout;
    this.batchFirst = options.batchFirst ?? false;
    const bias = options.bias ?? true;
    if (this.sameEmbedDim) this.inProjWeight = param([3 * embedDim, embedDim]);
    else {
      this.qProjWeight = param([embedDim, embedDim]);
      this.kProjWeight = param([embedDim, this.kdim]);
      this.vProjWeight = param([embedDim, this.vdim]);
    }
    if (bias) this.inProjBias = param([3 * embedDim]);
    this.outProj = new Linear(embedDim, embedDim, { bias });
    this.resetParameters();
  }

  /** PyTorch's `_qkv_same_embed_dim`: one stacked `in_proj_weight`. */
  get sameEmbedDim(): boolean {
    return this.kdim === this.embedDim && this.vdim === this.embedDim;
  }

  /** PyTorch 1.13's `_reset_parameters`: xavier-uniform projections, zero biases. */
  resetParameters(): void {
    for (const w of [this.inProjWeight, this.qProjWeight, this.kProjWeight, this.vProjWeight]) if (w) init.xavierUniform_(w);
    if (this.inProjBias) init.zeros_(this.inProjBias);
    if (this.outProj.bias) init.zeros_(this.outProj.bias);
  }

  /**
   * `query (L, N, E)`, `key (S, N, kdim)`, `value (S, N, vdim)` (batch first with `batchFirst`,
   * or unbatched `(L, E)`...). Returns `[attnOutput, attnWeights]`: the output shaped like
   * `query`, and the weights `(N, L, S)` averaged over heads or `(N, numHeads, L, S)`,
   * batch-major whatever `batchFirst`, or `null` with `needWeights: false`. The optional
   * arguments in PyTorch's order `(key_padding_mask, need_weights, attn_mask,
   * average_attn_weights)`, positionally and/or as options.
   */
  forward(query: Tensor, key: Tensor, value: Tensor, ...args: T.PosArgs<MultiheadAttentionForwardOptions, typeof MHA_FORWARD_ARGS>): [Tensor, Tensor | null] {
    const options = T.parseArgs('MultiheadAttention.forward', args, MHA_FORWARD_ARGS) as MultiheadAttentionForwardOptions;
    const { keyPaddingMask = null, attnMask = null, needWeights = true, averageAttnWeights = true } = options;
    const batched = this.#checkInputs(query, key, value);
    const E = this.embedDim, H = this.numHeads, hd = this.headDim;
    const L = query.shape[batched ? (this.batchFirst ? 1 : 0) : 0]!;
    const S = key.shape[batched ? (this.batchFirst ? 1 : 0) : 0]!;
    const N = batched ? query.shape[this.batchFirst ? 0 : 1]! : 1;
    this.#checkMasks(keyPaddingMask, attnMask, batched, N, L, S);
    return T.tidy(() => {
      // Batch-major: (N, L, E), (N, S, kdim), (N, S, vdim).
      const bm = (t: Tensor): Tensor => (!batched ? t.unsqueeze(0) : this.batchFirst ? t : t.transpose(0, 1));
      let q: Tensor, k: Tensor, v: Tensor;
      let qkv: Tensor | null = null; // self-attention: q, k, v stacked, (3, N, H, L, hd)
      if (this.inProjWeight && query === key && key === value) {
        // Self-attention: one in-projection product for q, k and v, as PyTorch does (one matmul
        // and one bias add instead of three, and in backward one weight product and one bias sum
        // instead of three, and no re-assembly of in_proj_weight's gradient from three pieces).
        // q, k, v are views of it, (N, L, 3, H, hd) -> (N, H, L, hd) each, last dim contiguous.
        const packed = T.linear(bm(query), this.inProjWeight, this.inProjBias).reshape([N, L, 3, H, hd]);
        const stacked = packed.permute([2, 0, 3, 1, 4]);
        [q, k, v] = [0, 1, 2].map((i) => stacked.select(0, i)) as [Tensor, Tensor, Tensor];
        qkv = stacked;
      } else {
        const [wq, wk, wv] = this.inProjWeight ? T.chunk(this.inProjWeight, 3, 0) : [this.qProjWeight!, this.kProjWeight!, this.vProjWeight!];
        const [bq, bk, bv] = this.inProjBias ? T.chunk(this.inProjBias, 3, 0) : [null, null, null];
        // (N, seq, E) -> (N, H, seq, hd)
        const heads = (t: Tensor, w: Tensor, b: Tensor | null): Tensor => {
          const p = T.linear(bm(t), w!, b);
          return p.reshape([N, p.shape[1]!, H, hd]).permute([0, 2, 1, 3]);
        };
        q = heads(query, wq!, bq ?? null);
        k = heads(key, wk!, bk ?? null);
        v = heads(value, wv!, bv ?? null);
      }
      const mask = this.#mergeMasks(keyPaddingMask, attnMask, batched, N, L, S);
      const dropoutP = this.training ? this.dropout : 0;
      let out: Tensor;
      let weights: Tensor | null = null;
      if (needWeights) [out, weights] = attentionWithWeights(q, k, v, { attnMask: mask, dropoutP });
      else if (qkv && dropoutP === 0 && T.hasFusedAttention(qkv.backend)) {
        // One fused attention over the stacked q, k, v: in backward its gradient is one tensor in
        // the in-projection's layout, where three views' gradients would each be padded with
        // zeros to (N, L, 3, H, hd) and summed.
        out = T.fusedAttentionQkv(qkv, { mask: mask ? toAdditiveMask(mask, 'MultiheadAttention') : null });
      } else out = scaledDotProductAttention(q, k, v, { attnMask: mask, dropoutP });
      // (N, H, L, hd) -> (N, L, E)
      out = this.outProj.forward(out.permute([0, 2, 1, 3]).reshape([N, L, E]));
      out = !batched ? out.squeeze(0) : this.batchFirst ? out : out.transpose(0, 1);
      if (weights) {
        if (averageAttnWeights) weights = weights.mean({ dim: 1 });
        if (!batched) weights = weights.squeeze(0);
      }
      return [out, weights] as [Tensor, Tensor | null];
    });
  }

  /** Shape checks; returns whether the inputs are batched. */
  #checkInputs(query: Tensor, key: Tensor, value: Tensor): boolean {
    const op = 'MultiheadAttention';
    for (const [t, n] of [[query, 'query'], [key, 'key'], [value, 'value']] as const) {
      if (!(t instanceof T.Tensor)) throw new TypeError(`${op}: expected ${n} to be a Tensor`);
      if (t.dtype !== 'float32') throw new TypeError(`${op}: expected ${n} of dtype float32, got ${t.dtype}`);
    }
    if (query.ndim !== 3 && query.ndim !== 2) throw new RangeError(`${op}: query should be unbatched 2D or batched 3D tensor but received ${query.ndim}-D query tensor of shape ${shapeStr(query.shape)}`);
    const batched = query.ndim === 3;
    if (key.ndim !== query.ndim || value.ndim !== query.ndim) {
      throw new RangeError(`${op}: For ${batched ? 'batched (3-D)' : 'unbatched (2-D)'} query, expected key and value to be ${query.ndim}-D, but found key ${shapeStr(key.shape)} and value ${shapeStr(value.shape)}`);
    }
    for (const [t, n, d] of [[query, 'query', this.embedDim], [key, 'key', this.kdim], [value, 'value', this.vdim]] as const) {
      if (t.shape[t.ndim - 1] !== d) throw new RangeError(`${op}: was expecting ${n} embedding dimension of ${d}, but got ${n} of shape ${shapeStr(t.shape)}`);
    }
    const seq = batched && this.batchFirst ? 1 : 0;
    if (key.shape[seq] !== value.shape[seq]) throw new RangeError(`${op}: key and value must have the same sequence length, got key ${shapeStr(key.shape)} and value ${shapeStr(value.shape)}`);
    if (batched) {
      const b = this.batchFirst ? 0 : 1;
      if (key.shape[b] !== query.shape[b] || value.shape[b] !== query.shape[b]) {
        throw new RangeError(`${op}: query, key and value must have the same batch size (dim ${b}${this.batchFirst ? ', batchFirst' : ''}), got query ${shapeStr(query.shape)}, key ${shapeStr(key.shape)} and value ${shapeStr(value.shape)}`);
      }
    }
    return batched;
  }

  #checkMasks(kpm: Tensor | null, attnMask: Tensor | null, batched: boolean, N: number, L: number, S: number): void {
    const op = 'MultiheadAttention';
    for (const [m, n] of [[kpm, 'keyPaddingMask'], [attnMask, 'attnMask']] as const) {
      if (m === null) continue;
      if (!(m instanceof T.Tensor)) throw new TypeError(`${op}: expected ${n} to be a Tensor or null`);
      if (m.dtype !== 'bool' && m.dtype !== 'float32') throw new TypeError(`${op}: only bool and float32 ${n} are supported, got dtype ${m.dtype}`);
    }
    if (kpm) {
      const want = batched ? [N, S] : [S];
      if (kpm.ndim !== want.length || kpm.shape.some((s, i) => s !== want[i])) {
        throw new RangeError(`${op}: expected keyPaddingMask of shape ${shapeStr(want)} (${batched ? 'N, S' : 'S'}), but got ${shapeStr(kpm.shape)}`);
      }
    }
    if (attnMask) {
      const want2 = [L, S];
      const want3 = [batched ? N * this.numHeads : this.numHeads, L, S];
      if (attnMask.ndim === 2) {
        if (attnMask.shape[0] !== L || attnMask.shape[1] !== S) throw new RangeError(`${op}: The shape of the 2D attnMask is ${shapeStr(attnMask.shape)}, but should be ${shapeStr(want2)} (L, S)`);
      } else if (attnMask.ndim === 3) {
        if (attnMask.shape.some((s, i) => s !== want3[i])) throw new RangeError(`${op}: The shape of the 3D attnMask is ${shapeStr(attnMask.shape)}, but should be ${shapeStr(want3)} (${batched ? 'N*numHeads' : 'numHeads'}, L, S)`);
      } else throw new RangeError(`${op}: attnMask's dimension ${attnMask.ndim} is not supported (expected 2-D ${shapeStr(want2)} or 3-D ${shapeStr(want3)})`);
    }
  }

  /** One mask broadcastable to the scores (N, H, L, S), bool when both are bool, else additive. */
  #mergeMasks(kpm: Tensor | null, attnMask: Tensor | null, batched: boolean, N: number, L: number, S: number): Tensor | null {
    const a = attnMask === null ? null : attnMask.ndim === 3 ? attnMask.reshape([N, this.numHeads, L, S]) : attnMask;
    const k = kpm === null ? null : kpm.reshape([batched ? N : 1, 1, 1, S]);
    if (!a || !k) return a ?? k;
    if (a.dtype === 'bool' && k.dtype === 'bool') return a.logicalOr(k);
    return toAdditiveMask(a, 'MultiheadAttention').add(toAdditiveMask(k, 'MultiheadAttention'));
  }

  override extraRepr(): string {
    return '';
  }
}
