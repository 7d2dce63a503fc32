/**
 * llama2.c's legacy float32 checkpoints (Karpathy's `run.c`, "version 0"): a header of 7
 * little-endian int32 — dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size (negative
 * when the classifier is not shared with the embedding), seq_len — then float32 arrays, each
 * kind for all layers together: token embedding (vocab, dim); attention RMSNorm weights
 * (layers, dim); wq (layers, dim, dim); wk, wv (layers, kv_dim, dim); wo (layers, dim, dim); FFN
 * RMSNorm weights (layers, dim); w1 (layers, hidden, dim); w2 (layers, dim, hidden); w3 (layers,
 * hidden, dim); the final RMSNorm (dim); two legacy RoPE tables (seq_len, head_size / 2) each,
 * skipped; the classifier (vocab, dim) when not shared. Matrices are (out, in) as nn.Linear.
 * RMSNorm eps 1e-5, RoPE theta 10000 over interleaved pairs.
 */
import * as T from '@torchlet/core';
import { utils } from '@torchlet/nn';
import { LlamaForCausalLM, type LlamaConfig } from './llama.ts';

const skipInitLlama = (config: LlamaConfig): LlamaForCausalLM => utils.skipInit(LlamaForCausalLM, config);

const HEADER_BYTES = 28;

/** What a llama2.c checkpoint's 28-byte header says. */
export interface Llama2cHeader {
  /** The model's configuration (interleaved rotary pairing, RMSNorm eps 1e-5, theta 10000, as llama2.c). */
  config: LlamaConfig;
  /** Whether the output head is the token embedding (a positive vocab_size in the header). */
  sharedClassifier: boolean;
}

/**
 * The {@link LlamaConfig} of a llama2.c checkpoint's header, and whether its classifier is shared. Throws for a malformed header.
 *
 * @example
 * ```ts
 * // not run: needs a llama2.c checkpoint (stories15M.bin)
 * import * as torch from 'torchlet';
 * import { readFileSync } from 'node:fs';
 * const header = torch.transformer.readLlama2cHeader(readFileSync('stories15M.bin'));
 * console.log(header.config.numHiddenLayers, header.config.vocabSize);
 * ```
 */
export function readLlama2cHeader(bytes: Uint8Array): Llama2cHeader {
  if (!(bytes instanceof Uint8Array)) throw new TypeError('readLlama2cHeader: expected the file as a Uint8Array');
  if (bytes.byteLength < HEADER_BYTES) throw new RangeError(`llama2.c checkpoint: ${bytes.byteLength} bytes is shorter than the 28-byte header`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, HEADER_BYTES);
  const [dim, hidden, layers, heads, kvHeads, vocabSigned, seqLen] = Array.from({ length: 7 }, (_, i) => dv.getInt32(4 * i, true)) as [number, number, number, number, number, number, number];
  const bad = (what: string, v: number): never => {
    throw new RangeError(`llama2.c checkpoint: malformed header, ${what} = ${v}`);
  };
  for (const [what, v] of [['dim', dim], ['hidden_dim', hidden], ['n_layers', layers], ['n_heads', heads], ['n_kv_heads', kvHeads], ['seq_len', seqLen]] as const) if (v <= 0) bad(what, v);
  if (vocabSigned === 0 || vocabSigned === -(2 ** 31)) bad('vocab_size', vocabSigned);
  if (dim % heads !== 0 || (dim / heads) % 2 !== 0) bad('dim (not a multiple of 2 * n_heads)', dim);
  if (heads % kvHeads !== 0) bad('n_kv_heads (does not divide n_heads)', kvHeads);
  const config: LlamaConfig = {
    vocabSize: Math.abs(vocabSigned), hiddenSize: dim, intermediateSize: hidden, numHiddenLayers: layers, numAttentionHeads: heads,
    numKeyValueHeads: kvHeads, maxPositionEmbeddings: seqLen, rmsNormEps: 1e-5, ropeTheta: 10000, ropeStyle: 'interleaved', tieWordEmbeddings: vocabSigned > 0,
  };
  return { config, sharedClassifier: vocabSigned > 0 };
}

/**
 * A {@link LlamaForCausalLM} holding a llama2.c checkpoint's weights (e.g. the TinyStories models
 * `stories15M.bin`, `stories260K.bin`), with the interleaved rotary pairing those checkpoints
 * were trained with. `bytes` is the whole file; the model copies the weights (the caller keeps
 * `bytes`). Throws a RangeError naming the sizes when the file's length is not exactly what the
 * header implies. Memory: the float32 model plus its largest tensor (the file is not copied whole).
 *
 * @example
 * ```ts
 * // not run: needs a llama2.c checkpoint
 * import * as torch from 'torchlet';
 * import { readFileSync } from 'node:fs';
 * import { loadLlama2c } from '@torchlet/transformer';
 * const model = loadLlama2c(new Uint8Array(readFileSync('stories260K.bin')));
 * const logits = model.forward(torch.tensor([[1]], { dtype: 'int32' })); // BOS is 1
 * ```
 */
export function loadLlama2c(bytes: Uint8Array): LlamaForCausalLM {
  const { config, sharedClassifier } = readLlama2cHeader(bytes);
  const C = config.hiddenSize, H = config.intermediateSize, L = config.numHiddenLayers, V = config.vocabSize;
  const hs = C / config.numAttentionHeads, kvd = hs * config.numKeyValueHeads!, S = config.maxPositionEmbeddings!;
  const perLayer: [string, number[]][] = [
    ['input_layernorm.weight', [C]], ['self_attn.q_proj.weight', [C, C]], ['self_attn.k_proj.weight', [kvd, C]],
    ['self_attn.v_proj.weight', [kvd, C]], ['self_attn.o_proj.weight', [C, C]], ['post_attention_layernorm.weight', [C]],
    ['mlp.gate_proj.weight', [H, C]], ['mlp.down_proj.weight', [C, H]], ['mlp.up_proj.weight', [H, C]],
  ];
  const size = (shape: number[]): number => shape.reduce((a, b) => a * b, 1);
  const floats = V * C + L * perLayer.reduce((n, [, s]) => n + size(s), 0) + C + 2 * S * (hs / 2) + (sharedClassifier ? 0 : V * C);
  const expected = HEADER_BYTES + 4 * floats;
  if (bytes.byteLength !== expected) {
    throw new RangeError(`llama2.c checkpoint: the header (dim ${C}, hidden ${H}, ${L} layers, vocab ${V}, seq_len ${S}) implies ${expected} bytes, the file has ${bytes.byteLength}`);
  }
  // Each tensor is copied into its parameter on its own (from an aligned float32 copy of just
  // its bytes: the file's offset 28 is 4-aligned, the caller's view may not be), so loading
  // needs the model plus the largest tensor, not a second copy of the file.
  let at = HEADER_BYTES;
  const skip = (n: number): void => {
    at += 4 * n;
  };
  const model = skipInitLlama(config);
  const targets = model.stateDict();
  const put = (key: string, offset: number, n: number): void => {
    const values = new Float32Array(n);
    new Uint8Array(values.buffer).set(bytes.subarray(offset, offset + 4 * n));
    T.noGrad(() => T.tidy(() => targets[key]!.copy_(T.tensor(values).view(targets[key]!.shape as number[]))));
  };
  try {
    put('model.embed_tokens.weight', at, V * C);
    skip(V * C);
    for (const [name, shape] of perLayer) {
      const n = size(shape);
      for (let i = 0; i < L; i++) put(`model.layers.${i}.${name}`, at + 4 * i * n, n);
      skip(L * n);
    }
    put('model.norm.weight', at, C);
    skip(C);
    skip(2 * S * (hs / 2)); // the legacy RoPE tables: recomputed by RotaryEmbedding
    if (!sharedClassifier) put('lm_head.weight', at, V * C);
  } catch (err) {
    model.dispose();
    throw err;
  }
  return model;
}
