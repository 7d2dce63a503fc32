/**
 * The Llama family's causal language model (Touvron et al. 2023), after Hugging Face
 * transformers' `modeling_llama.py`: pre-norm blocks with RMSNorm, rotary position embeddings,
 * grouped-query attention (fewer key/value heads than query heads), a SwiGLU feed-forward block,
 * no biases, and an output head tied to the token embedding or not.
 *
 * Fields carry Hugging Face's names (`model.layers.{i}.self_attn.q_proj`, `mlp.gate_proj`,
 * `input_layernorm`, `model.norm`, `lm_head`), so a Llama checkpoint's state dict loads as it is.
 */
import * as T from '@torchlet/core';
import type { Tensor } from '@torchlet/core';
import { Embedding, Linear, Module, ModuleList, RMSNorm, checkpointFiles, init, loadSafetensorsInto, readCheckpointText, utils, type CheckpointSource } from '@torchlet/nn';
import { scaledDotProductAttention } from './attention.ts';
import { KVCache, type LayerKV } from './kv-cache.ts';
import { RotaryEmbedding, type RopeStyle } from './rope.ts';
import { generateBatch, generateStream, type GenerationOptions } from './generate.ts';

/**
 * The hyper-parameters of a Llama model: Hugging Face's `LlamaConfig` fields, camelCased; the
 * first five are required. {@link llamaConfigFromHF} reads a `config.json`.
 */
export interface LlamaConfig {
  /** Tokens in the vocabulary (Llama 2: 32000). */
  vocabSize: number;
  /** Model width C (`hidden_size`). */
  hiddenSize: number;
  /** Width of the SwiGLU block (`intermediate_size`). */
  intermediateSize: number;
  /** Number of decoder layers (`num_hidden_layers`). */
  numHiddenLayers: number;
  /** Query heads per layer (`num_attention_heads`); divides `hiddenSize`. */
  numAttentionHeads: number;
  /** Key/value heads (`num_key_value_heads`, default = query heads); divides `numAttentionHeads`. Fewer is grouped-query attention. */
  numKeyValueHeads?: number;
  /** The longest context the rotary tables cover (`max_position_embeddings`, default 2048). */
  maxPositionEmbeddings?: number;
  /** RMSNorm epsilon (`rms_norm_eps`, default 1e-6). */
  rmsNormEps?: number;
  /** Rotary base (`rope_theta`, default 10000). */
  ropeTheta?: number;
  /** The rotary pairing: `'half'` (default, Hugging Face checkpoints) or `'interleaved'` (Meta's and llama2.c's). */
  ropeStyle?: RopeStyle;
  /** Share the output head's weight with the token embedding (`tie_word_embeddings`, default false). */
  tieWordEmbeddings?: boolean;
}

type FullConfig = Required<LlamaConfig>;

const KNOWN = new Set(['vocabSize', 'hiddenSize', 'intermediateSize', 'numHiddenLayers', 'numAttentionHeads', 'numKeyValueHeads', 'maxPositionEmbeddings', 'rmsNormEps', 'ropeTheta', 'ropeStyle', 'tieWordEmbeddings']);

function fullConfig(c: LlamaConfig): FullConfig {
  if (c === null || typeof c !== 'object') throw new TypeError(`Llama: expected a config object, got ${String(c)}`);
  for (const k of Object.keys(c)) if (!KNOWN.has(k)) throw new TypeError(`Llama: unknown config key '${k}' (known: ${[...KNOWN].join(', ')})`);
  for (const k of ['vocabSize', 'hiddenSize', 'intermediateSize', 'numHiddenLayers', 'numAttentionHeads'] as const) {
    if (!Number.isInteger(c[k]) || c[k] <= 0) throw new RangeError(`Llama: config.${k} must be a positive integer, got ${String(c[k])}`);
  }
  const f: FullConfig = {
    numKeyValueHeads: c.numAttentionHeads, maxPositionEmbeddings: 2048, rmsNormEps: 1e-6, ropeTheta: 10000, ropeStyle: 'half', tieWordEmbeddings: false,
    ...Object.fromEntries(Object.entries(c).filter(([, v]) => v !== undefined)),
  } as FullConfig;
  if (f.hiddenSize % f.numAttentionHeads !== 0) throw new RangeError(`Llama: hiddenSize (${f.hiddenSize}) must be divisible by numAttentionHeads (${f.numAttentionHeads})`);
  if ((f.hiddenSize / f.numAttentionHeads) % 2 !== 0) throw new RangeError(`Llama: the head size hiddenSize / numAttentionHeads must be even for rotary embeddings, got ${f.hiddenSize / f.numAttentionHeads}`);
  if (!Number.isInteger(f.numKeyValueHeads) || f.numKeyValueHeads <= 0 || f.numAttentionHeads % f.numKeyValueHeads !== 0) {
    throw new RangeError(`Llama: numKeyValueHeads must be a positive divisor of numAttentionHeads (${f.numAttentionHeads}), got ${String(f.numKeyValueHeads)}`);
  }
  if (!Number.isInteger(f.maxPositionEmbeddings) || f.maxPositionEmbeddings <= 0) throw new RangeError(`Llama: maxPositionEmbeddings must be a positive integer, got ${String(f.maxPositionEmbeddings)}`);
  if (!(f.rmsNormEps >= 0)) throw new RangeError(`Llama: rmsNormEps must be a non-negative number, got ${String(f.rmsNormEps)}`);
  return f;
}

/**
 * A {@link LlamaConfig} from a Hugging Face `config.json` object (snake_case keys). Throws for
 * a model type other than Llama-style (`llama`, `mistral` without sliding windows, ...) or for
 * features this implementation does not have (rope scaling, attention biases), naming them.
 *
 * @example
 * ```ts
 * // not run: needs a Hugging Face Llama config.json
 * import { readFileSync } from 'node:fs';
 * import { LlamaForCausalLM, llamaConfigFromHF } from '@torchlet/transformer';
 * const config = llamaConfigFromHF(JSON.parse(readFileSync('config.json', 'utf8')));
 * const model = new LlamaForCausalLM(config);
 * ```
 */
export function llamaConfigFromHF(json: Record<string, unknown>): LlamaConfig {
  if (json === null || typeof json !== 'object') throw new TypeError('llamaConfigFromHF: expected the parsed config.json object');
  const arch = (json.architectures as string[] | undefined)?.[0];
  if (json.model_type !== undefined && json.model_type !== 'llama') throw new Error(`llamaConfigFromHF: unsupported model_type '${String(json.model_type)}' (this loader reads 'llama')`);
  if (arch !== undefined && arch !== 'LlamaForCausalLM') throw new Error(`llamaConfigFromHF: unsupported architecture '${arch}' (this loader reads LlamaForCausalLM)`);
  if (json.rope_scaling != null) throw new Error(`llamaConfigFromHF: rope_scaling ${JSON.stringify(json.rope_scaling)} is not supported`);
  if (json.attention_bias === true || json.mlp_bias === true) throw new Error('llamaConfigFromHF: attention_bias / mlp_bias are not supported');
  if (json.hidden_act !== undefined && json.hidden_act !== 'silu') throw new Error(`llamaConfigFromHF: hidden_act '${String(json.hidden_act)}' is not supported (Llama uses 'silu')`);
  const num = (k: string): number | undefined => (json[k] === undefined || json[k] === null ? undefined : Number(json[k]));
  return {
    vocabSize: num('vocab_size')!,
    hiddenSize: num('hidden_size')!,
    intermediateSize: num('intermediate_size')!,
    numHiddenLayers: num('num_hidden_layers')!,
    numAttentionHeads: num('num_attention_heads')!,
    numKeyValueHeads: num('num_key_value_heads'),
    maxPositionEmbeddings: num('max_position_embeddings'),
    rmsNormEps: num('rms_norm_eps'),
    ropeTheta: num('rope_theta'),
    tieWordEmbeddings: json.tie_word_embeddings === undefined ? undefined : Boolean(json.tie_word_embeddings),
    ropeStyle: 'half',
  };
}

/**
 * Grouped-query self-attention with rotary embeddings: `q_proj (C -> nh hs)`, `k_proj`/`v_proj`
 * `(C -> nkv hs)`, `o_proj (nh hs -> C)`, no biases. Each key/value head serves `nh / nkv`
 * consecutive query heads (Hugging Face's `repeat_kv`). With a {@link LayerKV}, keys and values
 * of earlier positions are read from it (stored with `nkv` heads) and this call's are appended.
 *
 * @example
 * ```ts
 * const config = { vocabSize: 64, hiddenSize: 32, intermediateSize: 64, numHiddenLayers: 1, numAttentionHeads: 4, numKeyValueHeads: 2 };
 * const attn = new torch.transformer.LlamaAttention(config);   // grouped-query attention: 2 key/value heads
 * const rope = new torch.transformer.RotaryEmbedding(8, 128);
 * console.log(attn.forward(torch.randn([1, 3, 32]), rope).shape);   // [1, 3, 32]
 * ```
 */
export class LlamaAttention extends Module {
  /** Query heads. */
  readonly numHeads: number;
  /** Key/value heads. */
  readonly numKeyValueHeads: number;
  /** The head width hs. */
  readonly headDim: number;
  /** `C -> nh hs`. */
  q_proj: Linear;
  /** `C -> nkv hs`. */
  k_proj: Linear;
  /** `C -> nkv hs`. */
  v_proj: Linear;
  /** `nh hs -> C`. */
  o_proj: Linear;

  constructor(config: LlamaConfig) {
    super();
    const c = fullConfig(config);
    this.numHeads = c.numAttentionHeads;
    this.numKeyValueHeads = c.numKeyValueHeads;
    this.headDim = c.hiddenSize / c.numAttentionHeads;
    const kvDim = this.numKeyValueHeads * this.headDim;
    this.q_proj = new Linear(c.hiddenSize, c.hiddenSize, { bias: false });
    this.k_proj = new Linear(c.hiddenSize, kvDim, { bias: false });
    this.v_proj = new Linear(c.hiddenSize, kvDim, { bias: false });
    this.o_proj = new Linear(c.hiddenSize, c.hiddenSize, { bias: false });
  }

  /**
   * `x (B, T, C)` -> `(B, T, C)`; `rope` rotates q and k; `kv` (optional) the layer's cache;
   * `keyMask` (optional) an additive float mask `(B, 1, 1, P + T)` over the keys (padding).
   * With `cachePosition` (an int32 tensor `(T,)` of the new positions; Hugging Face's
   * `cache_position`), the step has fixed shapes for `torch.compile`: the rotation reads its
   * angles at those positions, `kv.update` writes the keys and values there, attention runs over
   * the cache's whole capacity, and `keyMask` must be the complete additive mask `(B or 1, 1, T,
   * capacity)` (causality and the positions not yet written; {@link LlamaModel.forward} makes it).
   */
  forward(x: Tensor, rope: RotaryEmbedding, kv: LayerKV | null = null, keyMask: Tensor | null = null, cachePosition: Tensor | null = null): Tensor {
    const [B, Tn, C] = x.shape as [number, number, number];
    const nh = this.numHeads, nkv = this.numKeyValueHeads, hs = this.headDim;
    if (cachePosition && !kv) throw new TypeError('LlamaAttention: cachePosition needs a cache (kv)');
    const P = kv?.length ?? 0;
    const at = cachePosition ?? P;
    return T.tidy(() => {
      let q = rope.forward(this.q_proj.forward(x).view(B, Tn, nh, hs).transpose(1, 2), at); // (B, nh, T, hs)
      let k = rope.forward(this.k_proj.forward(x).view(B, Tn, nkv, hs).transpose(1, 2), at); // (B, nkv, T, hs)
      let v = this.v_proj.forward(x).view(B, Tn, nkv, hs).transpose(1, 2); // (B, nkv, T, hs)
      if (cachePosition) [k, v] = kv!.update(k, v, cachePosition); // (B, nkv, capacity, hs)
      else if (kv) [k, v] = kv.append(k, v); // (B, nkv, P + T, hs)
      const S = k.shape[2]!;
      // Grouped-query attention: key/value head j serves query heads j*rep .. j*rep + rep - 1 (HF's
      // repeat_kv). One new token: its rep query heads become rep query rows of head j (no copy of
      // the cache); several: the keys and values are repeated per query head.
      const rep = nh / nkv;
      const grouped = rep > 1 && Tn === 1;
      if (grouped) q = q.reshape([B, nkv, rep, hs]);
      else if (rep > 1) {
        k = k.unsqueeze(2).expand([B, nkv, rep, S, hs]).reshape([B, nh, S, hs]);
        v = v.unsqueeze(2).expand([B, nkv, rep, S, hs]).reshape([B, nh, S, hs]);
      }
      let attnMask: Tensor | null;
      let isCausal = false;
      if (cachePosition) attnMask = keyMask;
      else {
        // Query t (absolute position P + t) attends keys 0..P+t: above the P-th diagonal is masked.
        attnMask = Tn > 1 && (P > 0 || keyMask) ? T.ones([Tn, S], { dtype: 'bool' }).triu(P + 1) : null;
        if (keyMask) attnMask = attnMask ? T.where(attnMask, -Infinity, keyMask) : keyMask; // (B, 1, T or 1, S)
        isCausal = Tn > 1 && P === 0 && !keyMask;
      }
      let y = scaledDotProductAttention(q, k, v, { isCausal, attnMask }); // (B, nh, T, hs), grouped: (B, nkv, rep, hs)
      if (grouped) y = y.reshape([B, nh, 1, hs]);
      return this.o_proj.forward(y.transpose(1, 2).contiguous().view(B, Tn, C));
    });
  }
}

/**
 * The SwiGLU feed-forward block: `down_proj(silu(gate_proj(x)) * up_proj(x))`.
 *
 * @example
 * ```ts
 * const config = { vocabSize: 64, hiddenSize: 32, intermediateSize: 64, numHiddenLayers: 1, numAttentionHeads: 4 };
 * const mlp = new torch.transformer.LlamaMLP(config);   // SwiGLU: down(silu(gate(x)) * up(x))
 * console.log(mlp.forward(torch.randn([1, 3, 32])).shape);   // [1, 3, 32]
 * ```
 */
export class LlamaMLP extends Module {
  /** `C -> intermediateSize`, through SiLU. */
  gate_proj: Linear;
  /** `C -> intermediateSize`, the linear branch. */
  up_proj: Linear;
  /** `intermediateSize -> C`. */
  down_proj: Linear;

  constructor(config: LlamaConfig) {
    super();
    const c = fullConfig(config);
    this.gate_proj = new Linear(c.hiddenSize, c.intermediateSize, { bias: false });
    this.up_proj = new Linear(c.hiddenSize, c.intermediateSize, { bias: false });
    this.down_proj = new Linear(c.intermediateSize, c.hiddenSize, { bias: false });
  }

  /** `(B, T, C)` -> `(B, T, C)`. */
  forward(x: Tensor): Tensor {
    return T.tidy(() => this.down_proj.forward(T.silu(this.gate_proj.forward(x)).mul(this.up_proj.forward(x))));
  }
}

/**
 * A pre-norm decoder layer: `x + attn(norm(x))`, then `x + mlp(norm(x))`, with RMSNorms.
 *
 * @example
 * ```ts
 * const config = { vocabSize: 64, hiddenSize: 32, intermediateSize: 64, numHiddenLayers: 1, numAttentionHeads: 4 };
 * const layer = new torch.transformer.LlamaDecoderLayer(config);
 * const rope = new torch.transformer.RotaryEmbedding(8, 128);   // head size 32 / 4 heads
 * console.log(layer.forward(torch.randn([1, 3, 32]), rope).shape);   // [1, 3, 32]
 * ```
 */
export class LlamaDecoderLayer extends Module {
  /** RMSNorm before attention. */
  input_layernorm: RMSNorm;
  /** Grouped-query self-attention. */
  self_attn: LlamaAttention;
  /** RMSNorm before the MLP. */
  post_attention_layernorm: RMSNorm;
  /** The SwiGLU block. */
  mlp: LlamaMLP;

  constructor(config: LlamaConfig) {
    super();
    const c = fullConfig(config);
    this.input_layernorm = new RMSNorm(c.hiddenSize, { eps: c.rmsNormEps });
    this.self_attn = new LlamaAttention(c);
    this.post_attention_layernorm = new RMSNorm(c.hiddenSize, { eps: c.rmsNormEps });
    this.mlp = new LlamaMLP(c);
  }

  /** `(B, T, C)` -> `(B, T, C)`; the arguments after `x` as {@link LlamaAttention.forward}'s. */
  forward(x: Tensor, rope: RotaryEmbedding, kv: LayerKV | null = null, keyMask: Tensor | null = null, cachePosition: Tensor | null = null): Tensor {
    return T.tidy(() => {
      x = x.add(this.self_attn.forward(this.input_layernorm.forward(x), rope, kv, keyMask, cachePosition));
      return x.add(this.mlp.forward(this.post_attention_layernorm.forward(x)));
    });
  }
}

/**
 * The body (Hugging Face's `LlamaModel`): token embedding, decoder layers, final RMSNorm; returns hidden states.
 *
 * @example
 * ```ts
 * const config = { vocabSize: 64, hiddenSize: 32, intermediateSize: 64, numHiddenLayers: 2, numAttentionHeads: 4 };
 * const body = new torch.transformer.LlamaModel(config);
 * const hidden = body.forward(torch.tensor([[1, 5, 9]], { dtype: 'int32' }));
 * console.log(hidden.shape);   // [1, 3, 32]
 * ```
 */
export class LlamaModel extends Module {
  /** The configuration with every default filled in. */
  readonly config: Readonly<FullConfig>;
  /** Token embedding `(vocabSize, C)`. */
  embed_tokens: Embedding;
  /** The decoder layers (`layers.0.*`, ...). */
  layers: ModuleList<LlamaDecoderLayer>;
  /** The final RMSNorm. */
  norm: RMSNorm;
  /** The rotary tables, shared by every layer (non-persistent buffers). */
  rotary_emb: RotaryEmbedding;

  constructor(config: LlamaConfig) {
    super();
    const c = fullConfig(config);
    this.config = c;
    this.embed_tokens = new Embedding(c.vocabSize, c.hiddenSize);
    this.layers = new ModuleList(Array.from({ length: c.numHiddenLayers }, () => new LlamaDecoderLayer(c)));
    this.norm = new RMSNorm(c.hiddenSize, { eps: c.rmsNormEps });
    this.rotary_emb = new RotaryEmbedding(c.hiddenSize / c.numAttentionHeads, c.maxPositionEmbeddings, { theta: c.ropeTheta, style: c.ropeStyle });
  }

  /**
   * int32 `idx (B, T)` -> hidden states `(B, T, C)`. With a cache, `idx` continues the cached
   * sequence (positions start at `cache.length`) and every layer's keys/values are appended.
   * `attentionMask` (Hugging Face's `attention_mask`): `(B, P + T)`, 1 (or true) for tokens and
   * 0 for left padding, over the cached and the new positions; padded keys get no attention.
   * Rotary embeddings depend only on relative positions, so a left-padded row's tokens see the
   * same scores as the unpadded row's.
   *
   * `cachePosition` (Hugging Face's `cache_position`, with its static cache): an int32 tensor
   * `(T,)` holding the new positions `cache.length ..`, for a step whose shapes stay the same from
   * token to token so that `torch.compile` replays it: the cache must have room
   * (`cache.reserve(n)`), the keys and values are written at those positions and attention runs
   * over the whole capacity with the positions after each query masked; `attentionMask`, if
   * given, is then `(B, capacity)`. The caller counts the new positions with `cache.advance(T)`.
   */
  forward(idx: Tensor, cache: KVCache | null = null, attentionMask: Tensor | null = null, cachePosition: Tensor | null = null): Tensor {
    if (!(idx instanceof T.Tensor) || idx.ndim !== 2 || idx.dtype !== 'int32') {
      throw new TypeError(`Llama: expected int32 token ids of shape (B, T), got ${idx instanceof T.Tensor ? `${idx.dtype} [${idx.shape.join(', ')}]` : String(idx)}`);
    }
    const offset = cache?.length ?? 0;
    const [B, Tn] = idx.shape as [number, number];
    if (offset + Tn > this.config.maxPositionEmbeddings) throw new RangeError(`Llama: cannot forward positions up to ${offset + Tn}, maxPositionEmbeddings is ${this.config.maxPositionEmbeddings}`);
    if (cache && cache.numLayers !== this.layers.length) throw new RangeError(`Llama: the cache has ${cache.numLayers} layers, the model ${this.layers.length}`);
    let keys = offset + Tn;
    if (cachePosition) {
      if (!cache) throw new TypeError('Llama: cachePosition needs a cache');
      if (!(cachePosition instanceof T.Tensor) || cachePosition.dtype !== 'int32' || cachePosition.ndim !== 1 || cachePosition.shape[0] !== Tn) {
        throw new TypeError(`Llama: cachePosition must be an int32 tensor of shape [${Tn}] (the new positions), got ${cachePosition instanceof T.Tensor ? `${cachePosition.dtype} [${cachePosition.shape.join(', ')}]` : String(cachePosition)}`);
      }
      if (cache.keyPositions === null || cache.capacity < offset + Tn) throw new RangeError(`Llama: with cachePosition the cache needs room for ${offset + Tn} positions (cache.reserve), it has ${cache.capacity}`);
      keys = cache.capacity;
    }
    if (attentionMask && (attentionMask.ndim !== 2 || attentionMask.shape[0] !== B || attentionMask.shape[1] !== keys)) {
      throw new RangeError(`Llama: attentionMask must be (B, ${cachePosition ? 'cache capacity' : 'cached + new positions'}) = [${B}, ${keys}], got [${attentionMask.shape.join(', ')}]`);
    }
    return T.tidy(() => {
      // Padded keys get a large finite negative score rather than -Infinity, so a padding query
      // (which sees only padding) has finite weights instead of NaN.
      let keyMask = attentionMask ? attentionMask.to('float32').sub(1).mul(1e30).view(B, 1, 1, keys) : null;
      if (cachePosition) {
        // Key s is visible to the query at position p when s <= p: the later (unwritten) ones are masked.
        const later = cache!.keyPositions!.view(1, keys).gt(cachePosition.view(Tn, 1)); // (T, capacity)
        keyMask = keyMask ? T.where(later, -Infinity, keyMask) : T.where(later, -Infinity, 0).view(1, 1, Tn, keys); // (B or 1, 1, T, capacity)
      }
      let x = this.embed_tokens.forward(idx); // (B, T, C)
      let i = 0;
      for (const layer of this.layers) x = layer.forward(x, this.rotary_emb, cache?.layer(i++) ?? null, keyMask, cachePosition);
      return this.norm.forward(x);
    });
  }
}

/**
 * Llama for causal language modelling (Hugging Face's `LlamaForCausalLM`): {@link LlamaModel}
 * and an output head `lm_head (C -> vocabSize)`, or the token embedding's weight when
 * `tieWordEmbeddings` (then there is no `lm_head` parameter or state-dict key).
 *
 * @example
 * ```ts
 * import * as torch from 'torchlet';
 * import { LlamaForCausalLM } from '@torchlet/transformer';
 * const model = new LlamaForCausalLM({ vocabSize: 64, hiddenSize: 32, intermediateSize: 88,
 *   numHiddenLayers: 2, numAttentionHeads: 4, numKeyValueHeads: 2 });
 * const logits = model.forward(torch.tensor([[1, 5, 9]], { dtype: 'int32' })); // (1, 3, 64)
 * ```
 */
export class LlamaForCausalLM extends Module {
  /** The configuration with every default filled in. */
  readonly config: Readonly<FullConfig>;
  /** The body (state-dict prefix `model.`). */
  model: LlamaModel;
  /** The output head; null when tied to `model.embed_tokens.weight`. */
  lm_head: Linear | null;
  /** `forward` takes `cachePosition` (Hugging Face's `_supports_static_cache`): generation compiles its decode step. */
  readonly supportsStaticCache = true;

  constructor(config: LlamaConfig) {
    super();
    this.model = new LlamaModel(config);
    this.config = this.model.config;
    this.lm_head = this.config.tieWordEmbeddings ? null : new Linear(this.config.hiddenSize, this.config.vocabSize, { bias: false });
    // Hugging Face's _init_weights: N(0, initializer_range = 0.02) for Linear and Embedding weights.
    for (const m of this.modules()) if (m instanceof Linear || m instanceof Embedding) init.normal_(m.weight, 0, 0.02);
  }

  /**
   * A model from a Hugging Face Llama checkpoint folder (`from_pretrained`): `config.json` and
   * `model.safetensors` or shards with `model.safetensors.index.json`, F32/F16/BF16 weights
   * (computed in float32), read tensor by tensor from a directory (Node, Deno), a URL, or
   * `File`s (see `nn.checkpointFiles`). A tied `lm_head.weight` in the checkpoint is skipped.
   * Throws, naming the file and key, for a missing file or shard, an unsupported architecture,
   * or a key or shape mismatch; the model is freed on failure. Memory: the float32 model plus a
   * few megabytes (the weights are not initialised first, and each tensor is read and converted
   * in slices).
   *
   * @example
   * ```ts
   * const model = await LlamaForCausalLM.fromPretrained('./TinyLlama-1.1B-Chat');
   * for await (const id of model.generate([1, 15043], { maxNewTokens: 20 })) console.log(id);
   * ```
   */
  static async fromPretrained(source: CheckpointSource): Promise<LlamaForCausalLM> {
    const files = checkpointFiles(source);
    const configText = await readCheckpointText(files, 'config.json');
    if (configText === null) throw new Error(`LlamaForCausalLM.fromPretrained: no config.json in ${files.description}`);
    let json: Record<string, unknown>;
    try {
      json = JSON.parse(configText) as Record<string, unknown>;
    } catch (e) {
      throw new Error(`LlamaForCausalLM.fromPretrained: config.json in ${files.description} is not valid JSON: ${e instanceof Error ? e.message : String(e)}`);
    }
    // Not initialised: every weight is read next (one tensor at a time; see loadSafetensorsInto).
    const model = utils.skipInit(LlamaForCausalLM, llamaConfigFromHF(json));
    try {
      const tied = model.config.tieWordEmbeddings;
      await loadSafetensorsInto(model, files, { mapKey: (k) => (tied && k === 'lm_head.weight' ? null : k) });
    } catch (e) {
      model.dispose();
      throw e;
    }
    return model;
  }

  /** Hidden `(..., C)` -> logits `(..., vocabSize)`. */
  lmHead(hidden: Tensor): Tensor {
    return T.linear(hidden, this.lm_head ? this.lm_head.weight : this.model.embed_tokens.weight);
  }

  /**
   * int32 `idx (B, T)` -> logits `(B, T, vocabSize)`; `cache` and `attentionMask` as
   * {@link LlamaModel.forward}'s. `logitsToKeep` (Hugging Face's `logits_to_keep`): when
   * positive, only the last `logitsToKeep` positions go through the output head, giving
   * `(B, logitsToKeep, vocabSize)`; generation needs only the last, and the head over a 32000-word
   * vocabulary costs more than the rest of a small model's prefill. `cachePosition`: the
   * fixed-shape step of {@link LlamaModel.forward}, which `generate` compiles.
   */
  forward(idx: Tensor, cache: KVCache | null = null, attentionMask: Tensor | null = null, logitsToKeep = 0, cachePosition: Tensor | null = null): Tensor {
    if (!Number.isInteger(logitsToKeep) || logitsToKeep < 0) throw new RangeError(`Llama: logitsToKeep must be a non-negative integer, got ${String(logitsToKeep)}`);
    return T.tidy(() => {
      const hidden = this.model.forward(idx, cache, attentionMask, cachePosition);
      const Tn = hidden.shape[1]!;
      return this.lmHead(logitsToKeep > 0 && logitsToKeep < Tn ? hidden.narrow(1, Tn - logitsToKeep, logitsToKeep) : hidden);
    });
  }

  /** The longest sequence the model takes (`maxPositionEmbeddings`). */
  get maxLength(): number {
    return this.config.maxPositionEmbeddings;
  }

  /**
   * Streams the tokens that follow `prompt` (token ids), one per step, as an async iterator;
   * see {@link generateStream} for the options.
   *
   * @example
   * ```ts
   * for await (const id of model.generate([1, 403, 9], { maxNewTokens: 20, temperature: 0 })) process.stdout.write(`${id} `);
   * ```
   */
  generate(prompt: readonly number[], options: GenerationOptions): AsyncGenerator<number, void, undefined> {
    return generateStream(this, prompt, options);
  }

  /** Continues each prompt (left-padded together into one batch); see {@link generateBatch}. */
  generateBatch(prompts: ReadonlyArray<readonly number[]>, options: GenerationOptions): Promise<number[][]> {
    return generateBatch(this, prompts, options);
  }

  /** An empty key/value cache (one LayerKV per layer); the caller disposes it. */
  newCache(): KVCache {
    return new KVCache(this.config.numHiddenLayers);
  }
}
