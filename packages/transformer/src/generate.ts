/**
 * Token generation for causal language models with a key/value cache: streaming (an async
 * iterator of token ids, one per step) and batched (prompts of different lengths left-padded
 * into one batch), with Hugging Face's `generate` options — temperature, top-k, top-p,
 * repetition penalty, stop tokens or sequences — and a seed.
 *
 * Each step reads back one row of logits per sequence (`await data()`), so generation is async
 * on every backend. The model runs in eval mode without gradients; its mode is restored after.
 */
import * as T from '@torchlet/core';
import type { Tensor } from '@torchlet/core';
import type { KVCache } from './kv-cache.ts';
import { Sampler } from './sampler.ts';

/** What generation needs of a model: logits for token ids continuing a cache, and its context length. */
export interface CausalLM {
  /**
   * int32 `(B, T)` token ids -> logits `(B, T, V)`; with a cache, continues it; `attentionMask`
   * `(B, P + T)` marks left padding with 0; `logitsToKeep` (when positive, and if the model
   * supports it): logits of only the last that many positions, `(B, logitsToKeep, V)`;
   * `cachePosition` (only when `supportsStaticCache`): the fixed-shape step of
   * `LlamaModel.forward`, which generation compiles.
   */
  forward(idx: Tensor, cache: KVCache | null, attentionMask?: Tensor | null, logitsToKeep?: number, cachePosition?: Tensor | null): Tensor;
  /** An empty cache for this model. */
  newCache(): KVCache;
  /** The longest sequence the model takes. */
  readonly maxLength: number;
  /** Training mode (dropout etc.); generation runs in eval mode and restores this. */
  readonly training: boolean;
  /** Sets training mode. */
  train(mode?: boolean): unknown;
  /**
   * Whether `forward` takes `cachePosition` (Hugging Face's `_supports_static_cache`): then each
   * one-token decode step runs through `torch.compile`, one plan replayed for every token.
   */
  readonly supportsStaticCache?: boolean;
}

/** Options of {@link generateStream} and {@link generateBatch} (Hugging Face's `generate` arguments, camelCased). */
export interface GenerationOptions {
  /** How many tokens to generate at most (required). */
  maxNewTokens: number;
  /** Divides the logits (default 1); 0 is greedy decoding (argmax, no randomness). */
  temperature?: number;
  /** Sample only among the k most likely tokens (null or 0: all). */
  topK?: number | null;
  /** Nucleus sampling: only among the most likely tokens whose probabilities reach topP (null or 1: all). */
  topP?: number | null;
  /**
   * Hugging Face's repetition penalty (Keskar et al. 2019): the logit of every token already in the
   * sequence is divided by it when positive and multiplied by it when negative (default 1: off).
   */
  repetitionPenalty?: number;
  /** Stop after emitting one of these token ids, or one of these id sequences (the stop tokens are emitted). */
  stop?: ReadonlyArray<number | readonly number[]>;
  /** Seeds the sampler (Philox): the same seed gives the same tokens. Without it a seed is drawn from `torch.manualSeed`'s stream. */
  seed?: number;
  /** The id used for left padding in {@link generateBatch} (default 0); padded positions are masked out. */
  padTokenId?: number;
  /**
   * Run each one-token decode step through `torch.compile` (default true; used when the model
   * `supportsStaticCache`): the step attends over the cache's whole capacity with the positions
   * not yet written masked, so its shapes stay the same and one traced plan replays for every
   * token until the cache grows (doubling). The tokens are those of the eager step; false runs
   * every step eagerly.
   */
  compile?: boolean;
}

const KEYS = new Set(['maxNewTokens', 'temperature', 'topK', 'topP', 'repetitionPenalty', 'stop', 'seed', 'padTokenId', 'compile']);

/** @internal Generation options checked, with defaults (shared with GPT.generate). */
export interface Checked {
  maxNewTokens: number;
  temperature: number;
  topK: number | null;
  topP: number | null;
  repetitionPenalty: number;
  stop: number[][];
  seed: number | undefined;
  padTokenId: number;
  compile: boolean;
}

/** @internal Checks generation options (unknown keys named) and fills the defaults. */
export function checkOptions(op: string, o: GenerationOptions): Checked {
  if (o === null || typeof o !== 'object') throw new TypeError(`${op}: expected an options object with maxNewTokens, got ${String(o)}`);
  for (const k of Object.keys(o)) {
    if (!KEYS.has(k)) {
      const camel = k.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
      throw new TypeError(`${op}: unknown option '${k}'${KEYS.has(camel) ? ` (did you mean ${camel}?)` : ''}; known: ${[...KEYS].join(', ')}`);
    }
  }
  const { maxNewTokens, temperature = 1, topK = null, topP = null, repetitionPenalty = 1, stop = [], seed, padTokenId = 0, compile = true } = o;
  if (!Number.isInteger(maxNewTokens) || maxNewTokens < 0) throw new RangeError(`${op}: maxNewTokens must be a non-negative integer, got ${String(maxNewTokens)}`);
  if (typeof temperature !== 'number' || !(temperature >= 0)) throw new RangeError(`${op}: temperature must be >= 0, got ${String(temperature)}`);
  if (topK !== null && (!Number.isInteger(topK) || topK < 0)) throw new RangeError(`${op}: topK must be a non-negative integer or null, got ${String(topK)}`);
  if (topP !== null && (typeof topP !== 'number' || !(topP > 0 && topP <= 1))) throw new RangeError(`${op}: topP must be in (0, 1] or null, got ${String(topP)}`);
  if (typeof repetitionPenalty !== 'number' || !(repetitionPenalty > 0)) throw new RangeError(`${op}: repetitionPenalty must be > 0, got ${String(repetitionPenalty)}`);
  if (!Array.isArray(stop)) throw new TypeError(`${op}: stop must be an array of token ids or id sequences`);
  const stops = stop.map((s) => (typeof s === 'number' ? [s] : Array.isArray(s) ? [...s] : null));
  if (stops.some((s) => s === null || s.length === 0 || s.some((t) => !Number.isInteger(t)))) throw new TypeError(`${op}: every stop entry must be a token id or a non-empty array of token ids`);
  if (seed !== undefined && (!Number.isSafeInteger(seed) || seed < 0)) throw new RangeError(`${op}: seed must be a non-negative integer, got ${String(seed)}`);
  if (!Number.isInteger(padTokenId)) throw new RangeError(`${op}: padTokenId must be an integer, got ${String(padTokenId)}`);
  if (typeof compile !== 'boolean') throw new TypeError(`${op}: compile must be a boolean, got ${String(compile)}`);
  return { maxNewTokens, temperature, topK, topP, repetitionPenalty, stop: stops as number[][], seed, padTokenId, compile };
}

function checkPrompt(op: string, prompt: unknown, maxLength: number): number[] {
  if (!Array.isArray(prompt) || prompt.length === 0 || prompt.some((t) => !Number.isInteger(t) || t < 0)) {
    throw new TypeError(`${op}: a prompt must be a non-empty array of non-negative integer token ids`);
  }
  if (prompt.length > maxLength) throw new RangeError(`${op}: the prompt has ${prompt.length} tokens, the model takes at most ${maxLength}`);
  return prompt as number[];
}

async function drawSeed(seed: number | undefined): Promise<number> {
  if (seed !== undefined) return seed;
  const r = T.rand([1]);
  try {
    return Math.floor((await r.data())[0]! * 2 ** 32);
  } finally {
    r.dispose();
  }
}

/** Applies the repetition penalty to `logits` (one row, in place) for the tokens of `seen`. */
function penalize(logits: Float32Array, seen: readonly number[], penalty: number): void {
  if (penalty === 1) return;
  for (const t of new Set(seen)) {
    if (t < 0 || t >= logits.length) continue;
    const l = logits[t]!;
    logits[t] = l > 0 ? l / penalty : l * penalty;
  }
}

const endsWith = (seq: readonly number[], tail: readonly number[]): boolean =>
  seq.length >= tail.length && tail.every((t, i) => seq[seq.length - tail.length + i] === t);

/** How {@link decodeRows} feeds the model (what differs between generateStream/Batch and GPT.generate). */
export interface DecodeSetup {
  /** Keep a key/value cache and feed only the new tokens (default true). */
  useCache: boolean;
  /**
   * Past `maxLength` positions: `'stop'` ends generation (Hugging Face's max_length); `'crop'`
   * keeps only the last `maxLength` tokens and recomputes them each step without the cache (nanoGPT).
   */
  overflow: 'stop' | 'crop';
  /** Left-pad rows of different lengths and mask the padding (generateBatch). */
  pad: boolean;
}

/**
 * The one generation loop: continues every row of `seqs` (token ids, appended to in place),
 * yielding each step's new token per row (`null` for a row that has stopped). Prefill once, then
 * one token per step through the cache; the one-token steps of a model that
 * `supportsStaticCache` run through `torch.compile` (see {@link GenerationOptions.compile}).
 * Eval mode without gradients; the mode is restored and the cache freed when the iterator ends or
 * is abandoned.
 */
export async function* decodeRows(model: CausalLM, seqs: number[][], o: Checked, setup: DecodeSetup): AsyncGenerator<Array<number | null>, void, undefined> {
  const B = seqs.length;
  const sampler = new Sampler(await drawSeed(o.seed));
  const done = seqs.map(() => false);
  const longest = Math.max(...seqs.map((s) => s.length));
  // Left padding: every row ends at the same position, so each step appends one column.
  const pads = seqs.map((s) => (setup.pad ? longest - s.length : 0));
  const mask = setup.pad ? seqs.map((s, b) => [...new Array<number>(pads[b]!).fill(0), ...s.map(() => 1)]) : null;
  // Tokens of each row as fed to the model (padding included).
  const fed = seqs.map((s, b) => [...new Array<number>(pads[b]!).fill(o.padTokenId), ...s]);
  const steps = setup.overflow === 'stop' ? Math.min(o.maxNewTokens, model.maxLength - longest) : o.maxNewTokens;
  // The positions this generation can reach: the compiled step's cache never grows past them.
  const limit = Math.min(model.maxLength, longest + steps);
  const wasTraining = model.training;
  model.train(false);
  let cache: KVCache | null = null;
  let step: StaticStep | null = null;
  try {
    for (let i = 0; i < steps && !done.every(Boolean); i++) {
      const len = fed[0]!.length;
      let rowsLogits: Float32Array;
      if (setup.useCache && cache && cache.length === len - 1 && len <= model.maxLength) {
        const last = fed.map((r) => [r[len - 1]!]);
        if (o.compile && model.supportsStaticCache) {
          step ??= new StaticStep(model, cache, limit);
          rowsLogits = await step.run(last, mask);
        } else rowsLogits = await lastLogits(model, last, cache, mask);
      } else {
        // The first step, no cache, or (crop) a context past maxLength: the whole window afresh.
        step?.dispose();
        step = null;
        cache?.dispose();
        cache = setup.useCache ? model.newCache() : null;
        const from = Math.max(0, len - model.maxLength);
        rowsLogits = await lastLogits(model, fed.map((r) => r.slice(from)), cache, mask && mask.map((m) => m.slice(from)));
      }
      const vocab = rowsLogits.length / B;
      const next = seqs.map((seq, b) => {
        if (done[b]) return null;
        const row = rowsLogits.subarray(b * vocab, (b + 1) * vocab);
        penalize(row, seq, o.repetitionPenalty);
        const t = sampler.pick(row, o.temperature, o.topK, o.topP);
        seq.push(t);
        if (o.stop.some((s) => endsWith(seq, s))) done[b] = true;
        return t;
      });
      next.forEach((t, b) => fed[b]!.push(t ?? o.padTokenId));
      if (mask) for (const m of mask) m.push(1);
      yield next;
    }
  } finally {
    step?.dispose();
    cache?.dispose();
    model.train(wasTraining);
  }
}

/**
 * The compiled one-token decode step of a model that `supportsStaticCache`: the cache's buffers
 * are reserved ahead (doubling, up to `limit` positions), the tokens, their position and the
 * padding mask (over the whole capacity) are tensors, and `torch.compile` traces the step once
 * and replays it for every later token; when the buffers grow, the plans are dropped and the
 * step warms up and traces again at the new capacity.
 */
class StaticStep {
  readonly #cache: KVCache;
  readonly #limit: number;
  readonly #compiled: T.CompiledFunction<[Tensor, Tensor, Tensor | null], Tensor>;

  constructor(model: CausalLM, cache: KVCache, limit: number) {
    this.#cache = cache;
    this.#limit = limit;
    this.#compiled = T.compile((idx: Tensor, position: Tensor, mask: Tensor | null) =>
      T.tidy(() => {
        const out = model.forward(idx, cache, mask, 1, position); // (B, 1, V)
        return out.view(out.shape[0]!, -1);
      }),
    );
  }

  /**
   * The logits `(B * V,)` after feeding one token per row (`tokens` `(B, 1)`) at the cache's next
   * position, which it then counts; `mask` the rows' padding masks over the cached positions and
   * this one.
   */
  async run(tokens: number[][], mask: number[][] | null): Promise<Float32Array> {
    const cache = this.#cache;
    const P = cache.length;
    if (cache.capacity < P + 1) {
      cache.reserve(Math.min(this.#limit, Math.max(P + 1, 2 * cache.capacity, 32)));
      // The plans read the old buffers: drop them (and their arenas) rather than keep one per
      // capacity (a padding mask's shape follows the capacity, so each would be a signature).
      this.#compiled.reset();
    }
    const cap = cache.capacity;
    const logits = T.noGrad(() =>
      T.tidy(() => {
        const idx = T.tensor(tokens, { dtype: 'int32' });
        const position = T.tensor([P], { dtype: 'int32' });
        // Positions not yet written count as padding; the causal mask hides them anyway.
        const padded = mask && T.tensor(mask.map((m) => [...m, ...new Array<number>(cap - m.length).fill(0)]), { dtype: 'int32' });
        return this.#compiled(idx, position, padded);
      }),
    );
    cache.advance(1);
    try {
      return (await logits.data()) as Float32Array;
    } finally {
      logits.dispose();
    }
  }

  /** Frees the compiled plans. */
  dispose(): void {
    this.#compiled.dispose();
  }
}

/**
 * Generates up to `maxNewTokens` tokens after `prompt`, yielding each as soon as it is picked
 * (prefill once, then one token per step through the model's key/value cache; the one-token
 * steps compiled, see {@link GenerationOptions.compile}). Greedy at `temperature: 0` (each
 * token is the argmax of the logits a full forward would give at that position); otherwise
 * samples with `topK`/`topP` from a Philox stream keyed by `seed`. Ends early after a `stop`
 * token or sequence, or at the model's `maxLength`. The cache is freed when the iterator
 * finishes or is abandoned with `break` / `return()`.
 *
 * @example
 * ```ts
 * import * as torch from 'torchlet';
 * import { LlamaForCausalLM, generateStream } from '@torchlet/transformer';
 * const model = new LlamaForCausalLM({ vocabSize: 64, hiddenSize: 32, intermediateSize: 88, numHiddenLayers: 1, numAttentionHeads: 4 });
 * const out: number[] = [];
 * for await (const id of generateStream(model, [1, 42], { maxNewTokens: 16, topK: 40, seed: 7 })) out.push(id);
 * ```
 */
export async function* generateStream(model: CausalLM, prompt: readonly number[], options: GenerationOptions): AsyncGenerator<number, void, undefined> {
  const o = checkOptions('generate', options);
  const seq = [...checkPrompt('generate', prompt, model.maxLength)];
  for await (const [t] of decodeRows(model, [seq], o, { useCache: true, overflow: 'stop', pad: false })) yield t!;
}

/** The last position's logits of each row after feeding `rows` (equal lengths) through the cache. */
async function lastLogits(model: CausalLM, rows: number[][], cache: KVCache | null, mask: number[][] | null): Promise<Float32Array> {
  const logits = T.noGrad(() =>
    T.tidy(() => {
      const idx = T.tensor(rows, { dtype: 'int32' }); // (B, T)
      const attention = mask ? T.tensor(mask, { dtype: 'int32' }) : null;
      const out = model.forward(idx, cache, attention, 1); // (B, 1, V), or (B, T, V) from a model without logitsToKeep
      return out.select(1, out.shape[1]! - 1); // (B, V)
    }),
  );
  try {
    return (await logits.data()) as Float32Array;
  } finally {
    logits.dispose();
  }
}

/**
 * Continues every prompt in one batch: prompts of different lengths are left-padded with
 * `padTokenId` and the padding is masked out of attention, so each row's tokens are those it
 * would get alone (up to float rounding). Returns the new tokens of each prompt (without the
 * prompt); a row stops at its own stop token or sequence. Options as {@link generateStream}
 * (one sampler stream for the batch, drawn row by row).
 *
 * @example
 * ```ts
 * import * as torch from 'torchlet';
 * import { LlamaForCausalLM, generateBatch } from '@torchlet/transformer';
 * const model = new LlamaForCausalLM({ vocabSize: 64, hiddenSize: 32, intermediateSize: 88, numHiddenLayers: 1, numAttentionHeads: 4 });
 * const [a, b] = await generateBatch(model, [[1, 5, 9], [1, 7]], { maxNewTokens: 8, temperature: 0 });
 * ```
 */
export async function generateBatch(model: CausalLM, prompts: ReadonlyArray<readonly number[]>, options: GenerationOptions): Promise<number[][]> {
  const o = checkOptions('generateBatch', options);
  if (!Array.isArray(prompts) || prompts.length === 0) throw new TypeError('generateBatch: expected a non-empty array of prompts (arrays of token ids)');
  const seqs = prompts.map((p) => [...checkPrompt('generateBatch', p, model.maxLength)]);
  const out: number[][] = seqs.map(() => []);
  for await (const next of decodeRows(model, seqs, o, { useCache: true, overflow: 'stop', pad: true })) {
    next.forEach((t, b) => t !== null && out[b]!.push(t));
  }
  return out;
}
