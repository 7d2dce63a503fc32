/**
 * A decoder-only GPT (Radford et al. 2019, "Language Models are Unsupervised Multitask
 * Learners"), written after Karpathy's nanoGPT `model.py`: `GPTConfig`, `CausalSelfAttention`,
 * `MLP`, `Block` and `GPT`, with pre-norm blocks and a language-model head tied to the token
 * embedding.
 *
 * Fields carry GPT-2's checkpoint names verbatim (`wte`, `h`, `ln_1`, `c_attn`, `c_proj`, `c_fc`,
 * `ln_f`), as nanoGPT does, rather than camelCase: `ln_1` has no camelCase spelling that
 * `toSnakeCase` turns back into `ln_1`, and one naming for the whole model reads better than two.
 * So the state dict's keys are GPT-2's (`transformer.h.0.attn.c_attn.weight`); see gpt2.ts for
 * loading Hugging Face's checkpoints.
 */
import * as T from '@torchlet/core';
import type { Tensor } from '@torchlet/core';
import { Dropout, Embedding, F, LayerNorm, Linear, Module, ModuleList, init } from '@torchlet/nn';
import { scaledDotProductAttention } from './attention.ts';
import { KVCache, type LayerKV } from './kv-cache.ts';
import { LearnedPositionalEmbedding } from './positional.ts';
import { checkOptions, decodeRows, type CausalLM } from './generate.ts';

export { Sampler } from './sampler.ts';

/**
 * The hyper-parameters of a GPT (nanoGPT's `GPTConfig`, camelCased); the first five are required, the
 * rest default as GPT-2.
 */
export interface GPTConfig {
  /** Tokens in the vocabulary (GPT-2: 50257; nanoGPT pads to 50304 for speed). */
  vocabSize: number;
  /** The longest context, in tokens (GPT-2: 1024). */
  blockSize: number;
  /** The number of Transformer blocks (GPT-2 small: 12). */
  nLayer: number;
  /** The number of attention heads per block; divides `nEmbd` (GPT-2 small: 12). */
  nHead: number;
  /** Model width C (GPT-2 small: 768). */
  nEmbd: number;
  /** Dropout on embeddings, attention weights and residual branches (default 0). */
  dropout?: number;
  /** Biases in the Linear layers and LayerNorms (default true, as GPT-2). */
  bias?: boolean;
  /** LayerNorm epsilon (default 1e-5, GPT-2's `layer_norm_epsilon`). */
  layerNormEps?: number;
  /** The MLP's GELU: `'tanh'` (default; GPT-2's `gelu_new`) or `'none'` (exact, nanoGPT's `nn.GELU()`). */
  geluApproximate?: 'none' | 'tanh';
}

type FullConfig = Required<GPTConfig>;

function fullConfig(c: GPTConfig): FullConfig {
  for (const k of ['vocabSize', 'blockSize', 'nLayer', 'nHead', 'nEmbd'] as const) {
    if (!Number.isInteger(c[k]) || c[k] <= 0) throw new RangeError(`GPT: config.${k} must be a positive integer, got ${String(c[k])}`);
  }
  if (c.nEmbd % c.nHead !== 0) throw new RangeError(`GPT: nEmbd (${c.nEmbd}) must be divisible by nHead (${c.nHead})`);
  const dropout = c.dropout ?? 0;
  if (!(dropout >= 0 && dropout < 1)) throw new RangeError(`GPT: dropout must be in [0, 1), got ${String(dropout)}`);
  return { dropout, bias: c.bias ?? true, layerNormEps: c.layerNormEps ?? 1e-5, geluApproximate: c.geluApproximate ?? 'tanh', ...pick(c) };
}
const pick = ({ vocabSize, blockSize, nLayer, nHead, nEmbd }: GPTConfig) => ({ vocabSize, blockSize, nLayer, nHead, nEmbd });

/** LayerNorm with an optional bias (PyTorch 1.13's has none to turn off; nanoGPT writes its own). */
function layerNorm(c: FullConfig): LayerNorm {
  const ln = new LayerNorm(c.nEmbd, { eps: c.layerNormEps });
  if (!c.bias) {
    ln.bias!.dispose();
    ln.bias = null;
  }
  return ln;
}

/**
 * Multi-head masked self-attention with one fused `c_attn` projection to q, k, v (`(3C, C)`,
 * Linear layout) and an output projection `c_proj`. With a {@link LayerKV} the keys and values
 * of earlier steps are read from it and this call's are appended, so generation feeds only the
 * new token.
 *
 * @example
 * ```ts
 * const attn = new torch.transformer.CausalSelfAttention({ vocabSize: 100, blockSize: 16, nLayer: 1, nHead: 2, nEmbd: 16 });
 * console.log(attn.forward(torch.randn([1, 8, 16])).shape);   // [1, 8, 16]: each position sees only the past
 * ```
 */
export class CausalSelfAttention extends Module {
  /** The number of heads; each has width `nEmbd / nHead`. */
  readonly nHead: number;
  /** The model width C. */
  readonly nEmbd: number;
  /** The dropout probability of the attention weights (and, through `resid_dropout`, of the output). */
  readonly dropoutP: number;
  /** The fused q, k, v projection, `C -> 3C`. */
  c_attn: Linear;
  /** The output projection, `C -> C`. */
  c_proj: Linear;
  /** Dropout on the attention weights. */
  attn_dropout: Dropout;
  /** Dropout on the output, before the block's residual add. */
  resid_dropout: Dropout;

  constructor(config: GPTConfig) {
    super();
    const c = fullConfig(config);
    this.nHead = c.nHead;
    this.nEmbd = c.nEmbd;
    this.dropoutP = c.dropout;
    this.c_attn = new Linear(c.nEmbd, 3 * c.nEmbd, { bias: c.bias });
    this.c_proj = new Linear(c.nEmbd, c.nEmbd, { bias: c.bias });
    this.attn_dropout = new Dropout(c.dropout);
    this.resid_dropout = new Dropout(c.dropout);
  }

  /**
   * `x (B, T, C)` -> `(B, T, C)`; `kv` (optional) holds the keys/values of the P earlier positions.
   * With `cachePosition` (int32 `(T,)`, the new positions) the step has fixed shapes, as
   * `LlamaAttention.forward`'s: `kv.update` writes at those positions and `mask` is the complete
   * additive mask `(1, 1, T, capacity)` over the cache's capacity ({@link GPTModel.forward} makes it).
   */
  forward(x: Tensor, kv: LayerKV | null = null, mask: Tensor | null = null, cachePosition: Tensor | null = null): Tensor {
    const [B, Tn, C] = x.shape as [number, number, number];
    const nh = this.nHead, hs = C / nh;
    if (cachePosition && !kv) throw new TypeError('CausalSelfAttention: cachePosition needs a cache (kv)');
    return T.tidy(() => {
      // q, k, v for all heads in one matmul, then heads moved next to the batch.
      const [q0, k0, v0] = this.c_attn.forward(x).split(C, 2); // 3 x (B, T, C)
      const q = q0!.view(B, Tn, nh, hs).transpose(1, 2); // (B, nh, T, hs)
      let k = k0!.view(B, Tn, nh, hs).transpose(1, 2); // (B, nh, T, hs)
      let v = v0!.view(B, Tn, nh, hs).transpose(1, 2); // (B, nh, T, hs)
      const P = kv?.length ?? 0;
      let attnMask: Tensor | null = mask;
      if (cachePosition) [k, v] = kv!.update(k, v, cachePosition); // (B, nh, capacity, hs)
      else {
        if (kv) [k, v] = kv.append(k, v); // (B, nh, P + T, hs)
        // Query t (absolute position P + t) attends keys 0..P+t: above the P-th diagonal is masked.
        attnMask = Tn > 1 && P > 0 ? T.ones([Tn, P + Tn], { dtype: 'bool' }).triu(P + 1) : null;
      }
      const y = scaledDotProductAttention(q, k, v, {
        isCausal: Tn > 1 && P === 0 && !cachePosition,
        attnMask,
        dropoutP: this.training ? this.dropoutP : 0,
      }); // (B, nh, T, hs)
      const merged = y.transpose(1, 2).contiguous().view(B, Tn, C); // (B, T, C): heads side by side
      return this.resid_dropout.forward(this.c_proj.forward(merged));
    });
  }
}

/**
 * The position-wise feed-forward block: `c_fc` (C -> 4C), GELU, `c_proj` (4C -> C), dropout.
 *
 * @example
 * ```ts
 * const mlp = new torch.transformer.MLP({ vocabSize: 100, blockSize: 16, nLayer: 1, nHead: 2, nEmbd: 16 });
 * console.log(mlp.forward(torch.randn([1, 8, 16])).shape);   // [1, 8, 16] (through a 4x wider GELU layer)
 * ```
 */
export class MLP extends Module {
  readonly #approximate: 'none' | 'tanh';
  /** The expansion, `C -> 4C`. */
  c_fc: Linear;
  /** The projection back, `4C -> C`. */
  c_proj: Linear;
  /** Dropout on the output, before the block's residual add. */
  dropout: Dropout;

  constructor(config: GPTConfig) {
    super();
    const c = fullConfig(config);
    this.#approximate = c.geluApproximate;
    this.c_fc = new Linear(c.nEmbd, 4 * c.nEmbd, { bias: c.bias });
    this.c_proj = new Linear(4 * c.nEmbd, c.nEmbd, { bias: c.bias });
    this.dropout = new Dropout(c.dropout);
  }

  /** `(B, T, C)` -> `(B, T, C)`. */
  forward(x: Tensor): Tensor {
    return T.tidy(() => {
      const h = T.gelu(this.c_fc.forward(x), { approximate: this.#approximate }); // (B, T, 4C)
      return this.dropout.forward(this.c_proj.forward(h)); // (B, T, C)
    });
  }
}

/**
 * A pre-norm Transformer block: `x + attn(ln_1(x))`, then `x + mlp(ln_2(x))`.
 *
 * @example
 * ```ts
 * // nanoGPT's transformer block (pre-norm attention + MLP; no torch.nn class).
 * const block = new torch.transformer.Block({ vocabSize: 100, blockSize: 16, nLayer: 1, nHead: 2, nEmbd: 16 });
 * console.log(block.forward(torch.randn([1, 8, 16])).shape);   // [1, 8, 16]
 * ```
 */
export class Block extends Module {
  /** LayerNorm before attention. */
  ln_1: LayerNorm;
  /** Masked multi-head self-attention. */
  attn: CausalSelfAttention;
  /** LayerNorm before the MLP. */
  ln_2: LayerNorm;
  /** The feed-forward block. */
  mlp: MLP;

  constructor(config: GPTConfig) {
    super();
    const c = fullConfig(config);
    this.ln_1 = layerNorm(c);
    this.attn = new CausalSelfAttention(c);
    this.ln_2 = layerNorm(c);
    this.mlp = new MLP(c);
  }

  /** `(B, T, C)` -> `(B, T, C)`; the arguments after `x` as {@link CausalSelfAttention.forward}'s. */
  forward(x: Tensor, kv: LayerKV | null = null, mask: Tensor | null = null, cachePosition: Tensor | null = null): Tensor {
    return T.tidy(() => {
      x = x.add(this.attn.forward(this.ln_1.forward(x), kv, mask, cachePosition)); // (B, T, C)
      x = x.add(this.mlp.forward(this.ln_2.forward(x))); // (B, T, C)
      return x;
    });
  }
}

/**
 * The body of the model (Hugging Face's `GPT2Model`, nanoGPT's `transformer` ModuleDict): token
 * and position embeddings, the blocks, the final LayerNorm. Returns hidden states, not logits.
 *
 * @example
 * ```ts
 * // The GPT body without the language-model head: token ids -> hidden states.
 * const body = new torch.transformer.GPTModel({ vocabSize: 100, blockSize: 16, nLayer: 1, nHead: 2, nEmbd: 16 });
 * const hidden = body.forward(torch.randint(0, 100, [1, 16], { dtype: 'int32' }));
 * console.log(hidden.shape);   // [1, 16, 16]
 * ```
 */
export class GPTModel extends Module {
  /** The configuration with every default filled in. */
  readonly config: Readonly<FullConfig>;
  /** Token embedding, `(vocabSize, C)`; GPT's head reuses its weight. */
  wte: Embedding;
  /** Learned position embedding, `(blockSize, C)`, added to the token embedding. */
  wpe: LearnedPositionalEmbedding;
  /** Dropout on the summed embeddings. */
  drop: Dropout;
  /** The `nLayer` blocks, applied in order (state-dict keys `h.0.*`, `h.1.*`, ...). */
  h: ModuleList<Block>;
  /** The final LayerNorm, applied to the last block's output. */
  ln_f: LayerNorm;

  constructor(config: GPTConfig) {
    super();
    const c = fullConfig(config);
    this.config = c;
    this.wte = new Embedding(c.vocabSize, c.nEmbd);
    this.wpe = new LearnedPositionalEmbedding(c.blockSize, c.nEmbd);
    this.drop = new Dropout(c.dropout);
    this.h = new ModuleList(Array.from({ length: c.nLayer }, () => new Block(c)));
    this.ln_f = layerNorm(c);
  }

  /**
   * int32 `idx (B, T)` -> hidden states `(B, T, C)`. With a cache, `idx` continues the cached
   * sequence (positions start at `cache.length`) and every layer's keys/values are appended.
   * `cachePosition` (an int32 tensor `(T,)` of the new positions, as `LlamaModel.forward`'s): the
   * fixed-shape step that generation compiles; the cache must have room (`cache.reserve`) and
   * the caller counts the positions (`cache.advance(T)`).
   */
  forward(idx: Tensor, cache: KVCache | null = null, cachePosition: Tensor | null = null): Tensor {
    if (idx.ndim !== 2 || idx.dtype !== 'int32') throw new TypeError(`GPT: expected int32 token ids of shape (B, T), got ${idx.dtype} [${idx.shape.join(', ')}]`);
    const offset = cache?.length ?? 0;
    const Tn = idx.shape[1]!;
    if (offset + Tn > this.config.blockSize) throw new RangeError(`GPT: cannot forward a sequence of length ${offset + Tn}, the block size is only ${this.config.blockSize}`);
    if (cache && cache.numLayers !== this.h.length) throw new RangeError(`GPT: the cache has ${cache.numLayers} layers, the model ${this.h.length}`);
    if (cachePosition) {
      if (!cache) throw new TypeError('GPT: cachePosition needs a cache');
      if (!(cachePosition instanceof T.Tensor) || cachePosition.dtype !== 'int32' || cachePosition.ndim !== 1 || cachePosition.shape[0] !== Tn) {
        throw new TypeError(`GPT: cachePosition must be an int32 tensor of shape [${Tn}] (the new positions), got ${cachePosition instanceof T.Tensor ? `${cachePosition.dtype} [${cachePosition.shape.join(', ')}]` : String(cachePosition)}`);
      }
      if (cache.keyPositions === null || cache.capacity < offset + Tn) throw new RangeError(`GPT: with cachePosition the cache needs room for ${offset + Tn} positions (cache.reserve), it has ${cache.capacity}`);
    }
    return T.tidy(() => {
      const tok = this.wte.forward(idx); // (B, T, C)
      const placed = cachePosition ? tok.add(this.wpe.embed(cachePosition)) : this.wpe.forward(tok, { offset });
      let x = this.drop.forward(placed); // (B, T, C)
      // Fixed shapes: key s is visible to the query at position p when s <= p.
      const mask = cachePosition ? T.where(cache!.keyPositions!.view(1, -1).gt(cachePosition.view(Tn, 1)), -Infinity, 0).view(1, 1, Tn, -1) : null;
      let i = 0;
      for (const block of this.h) x = block.forward(x, cache?.layer(i++) ?? null, mask, cachePosition); // (B, T, C)
      return this.ln_f.forward(x); // (B, T, C)
    });
  }
}

/** Options of {@link GPT.generate}. */
export interface GenerateOptions {
  /** How many tokens to append. */
  maxNewTokens: number;
  /** Divides the logits (default 1); 0 picks the most likely token (greedy). */
  temperature?: number;
  /** Sample only among the k most likely tokens. */
  topK?: number | null;
  /** Nucleus sampling: only among the most likely tokens whose probabilities add up to topP. */
  topP?: number | null;
  /** Keep each layer's keys and values and feed only the new token each step (default true). */
  useCache?: boolean;
  /** Seeds the sampler (Philox, as core's RNG); without it a seed is drawn from `torch.manualSeed`'s stream. */
  seed?: number;
  /** Stop a sequence once it emits this token (the token is kept). */
  eosToken?: number | null;
  /** Run the one-token steps through `torch.compile` (default true; see generate's `GenerationOptions.compile`). */
  compile?: boolean;
}

/**
 * GPT: {@link GPTModel} and a language-model head that shares the token embedding's weight
 * (`logits = ln_f(h) wte^T`, "weight tying", Press & Wolf 2017, as GPT-2). The head has no
 * parameter of its own: the one weight appears once in `parameters()` and once in the state
 * dict, as `transformer.wte.weight` (Hugging Face drops the tied `lm_head.weight` when saving too).
 *
 * @example
 * ```ts
 * // nanoGPT's GPT (no torch.nn class): a decoder-only language model.
 * const gpt = new torch.transformer.GPT({ vocabSize: 65, blockSize: 32, nLayer: 2, nHead: 2, nEmbd: 32 });
 * const idx = torch.randint(0, 65, [4, 32], { dtype: 'int32' });
 * const [logits, loss] = gpt.forward(idx, idx);   // targets given: also the cross-entropy loss
 * console.log(logits.shape, await loss!.item());  // [4, 32, 65] and the cross-entropy
 * const ids = await gpt.generate([0, 1, 2], { maxNewTokens: 5, temperature: 0.8, topK: 10, seed: 0 });
 * ```
 */
export class GPT extends Module {
  /** The configuration with every default filled in. */
  readonly config: Readonly<FullConfig>;
  /** The body: embeddings, blocks, final LayerNorm (state-dict prefix `transformer.`). */
  transformer: GPTModel;

  constructor(config: GPTConfig) {
    super();
    this.transformer = new GPTModel(config);
    this.config = this.transformer.config;
    this.#initWeights();
  }

  /**
   * GPT-2's initialisation (nanoGPT `_init_weights`): N(0, 0.02) for Linear and embedding
   * weights, zero biases, and N(0, 0.02 / sqrt(2 nLayer)) for the projections into the residual
   * stream (`c_proj`), whose outputs add up over 2 nLayer branches.
   */
  #initWeights(): void {
    for (const m of this.modules()) {
      if (m instanceof Linear) {
        init.normal_(m.weight, 0, 0.02);
        if (m.bias) init.zeros_(m.bias);
      } else if (m instanceof Embedding) init.normal_(m.weight, 0, 0.02);
    }
    for (const [name, p] of this.namedParameters()) if (name.endsWith('c_proj.weight')) init.normal_(p, 0, 0.02 / Math.sqrt(2 * this.config.nLayer));
  }

  /** The tied head: hidden `(..., C)` -> logits `(..., vocabSize)`. */
  lmHead(hidden: Tensor): Tensor {
    return T.linear(hidden, this.transformer.wte.weight);
  }

  /**
   * int32 `idx (B, T)` -> `[logits (B, T, vocabSize), loss]`; the loss is the mean cross-entropy
   * against int32 `targets (B, T)` (entries -1 are ignored, as nanoGPT), or null without targets.
   */
  forward(idx: Tensor, targets: Tensor | null = null): [Tensor, Tensor | null] {
    return T.tidy(() => {
      const logits = this.lmHead(this.transformer.forward(idx)); // (B, T, V)
      if (!targets) return [logits, null] as [Tensor, Tensor | null];
      const V = this.config.vocabSize;
      const loss = F.crossEntropy(logits.view(-1, V), targets.reshape([-1]), { ignoreIndex: -1 });
      return [logits, loss] as [Tensor, Tensor | null];
    });
  }

  /** The number of parameters (the tied weight counted once; `nonEmbedding` leaves out wpe, as nanoGPT). */
  numParams(nonEmbedding = true): number {
    let n = 0;
    for (const p of this.parameters()) n += p.numel();
    return nonEmbedding ? n - this.transformer.wpe.weight.numel() : n;
  }

  /** An empty key/value cache (one LayerKV per block) to pass to `transformer.forward` step by step; the caller disposes it. */
  newCache(): KVCache {
    return new KVCache(this.config.nLayer);
  }

  /**
   * Appends `maxNewTokens` tokens to each sequence of `prompt` (int32 `(B, T)`, or one sequence
   * as a number[]) and returns the whole sequences in the same form. Runs in eval mode without
   * gradients. Greedy with `temperature: 0`, else samples (with `topK`/`topP` filtering).
   *
   * With `useCache` (the default), the prompt is run once and each later step feeds only the new
   * token, reading earlier keys and values from the cache: the logits are the same as a full
   * forward's up to float rounding. Past `blockSize` tokens the context is cropped to the last
   * `blockSize` (nanoGPT), which shifts every position: from then on each step recomputes the
   * cropped window, cache or not. The one-token steps through the cache run compiled (`compile`,
   * default true), as in `generateStream`, whose loop this is.
   */
  async generate(prompt: number[], options: GenerateOptions): Promise<number[]>;
  async generate(prompt: Tensor, options: GenerateOptions): Promise<Tensor>;
  async generate(prompt: Tensor | number[], options: GenerateOptions): Promise<Tensor | number[]> {
    const asArray = Array.isArray(prompt);
    if (options === null || typeof options !== 'object') throw new TypeError(`generate: expected an options object with maxNewTokens, got ${String(options)}`);
    const { useCache = true, eosToken = null, ...rest } = options;
    if (typeof useCache !== 'boolean') throw new TypeError(`generate: useCache must be a boolean, got ${String(useCache)}`);
    if (eosToken !== null && !Number.isInteger(eosToken)) throw new TypeError(`generate: eosToken must be a token id or null, got ${String(eosToken)}`);
    // The one generation loop (generate.ts), with nanoGPT's cropping past blockSize.
    const o = checkOptions('generate', { ...rest, stop: eosToken === null ? [] : [eosToken] });
    const rows: number[][] = asArray ? [[...prompt]] : await promptRows(prompt);
    if (rows.some((r) => r.length === 0)) throw new RangeError('generate: the prompt must hold at least one token');
    for await (const _ of decodeRows(this.#asCausalLM(), rows, o, { useCache, overflow: 'crop', pad: false }));
    if (asArray) return rows[0]!;
    // Rows that stopped early repeat their last token, so the result stays rectangular.
    const width = Math.max(...rows.map((r) => r.length));
    return T.tensor(rows.map((r) => [...r, ...new Array<number>(width - r.length).fill(r[r.length - 1]!)]), { dtype: 'int32' });
  }

  /** This model as generation sees it: logits of the last positions through the tied head, context `blockSize`. */
  #asCausalLM(): CausalLM {
    const gpt = this;
    return {
      forward: (idx, cache, _mask, logitsToKeep = 0, cachePosition = null) =>
        T.tidy(() => {
          const hidden = gpt.transformer.forward(idx, cache, cachePosition); // (B, T, C)
          const Tn = hidden.shape[1]!;
          return gpt.lmHead(logitsToKeep > 0 && logitsToKeep < Tn ? hidden.narrow(1, Tn - logitsToKeep, logitsToKeep) : hidden);
        }),
      newCache: () => gpt.newCache(),
      maxLength: gpt.config.blockSize,
      supportsStaticCache: true,
      get training() {
        return gpt.training;
      },
      train: (mode?: boolean) => gpt.train(mode),
    };
  }
}

async function promptRows(prompt: Tensor): Promise<number[][]> {
  if (prompt.ndim !== 2 || prompt.dtype !== 'int32') throw new TypeError(`generate: expected an int32 prompt of shape (B, T) or a number[], got ${prompt.dtype} [${prompt.shape.join(', ')}]`);
  return (await prompt.tolist()) as number[][];
}

