/**
 * Loading GPT-2 checkpoints saved by Hugging Face `transformers` (`GPT2LMHeadModel`, e.g. the
 * `model.safetensors` of the `gpt2` model) into {@link GPT}.
 *
 * The key mapping (HF -> torchlet), every other key unchanged:
 *
 * | Hugging Face                                   | torchlet                                 |
 * |------------------------------------------------|------------------------------------------|
 * | `transformer.wte.weight` (or `wte.weight`)     | `transformer.wte.weight`                 |
 * | `transformer.wpe.weight`                       | `transformer.wpe.weight`                 |
 * | `transformer.h.{i}.ln_1.{weight,bias}`         | same                                     |
 * | `transformer.h.{i}.attn.c_attn.weight` (C, 3C) | same, transposed to Linear's (3C, C)     |
 * | `transformer.h.{i}.attn.c_proj.weight` (C, C)  | same, transposed                         |
 * | `transformer.h.{i}.mlp.c_fc.weight` (C, 4C)    | same, transposed to (4C, C)              |
 * | `transformer.h.{i}.mlp.c_proj.weight` (4C, C)  | same, transposed to (C, 4C)              |
 * | `transformer.ln_f.{weight,bias}`               | same                                     |
 * | `lm_head.weight`                               | dropped: tied to `transformer.wte.weight` |
 * | `h.{i}.attn.bias`, `h.{i}.attn.masked_bias`    | dropped: the causal-mask buffers of older checkpoints |
 *
 * GPT-2's `c_attn`, `c_proj` and `c_fc` are `Conv1D` modules, which compute `x W + b` with `W`
 * of shape `(in, out)`: the transpose of `nn.Linear`'s `(out, in)`. Biases need no change.
 * The original OpenAI-converted checkpoints have no `transformer.` prefix; both forms load.
 */
import type { Tensor } from '@torchlet/core';
import { GPT, type GPTConfig } from './gpt.ts';

/** Keys whose weights are GPT-2 `Conv1D` `(in, out)` matrices. */
const CONV1D = /\.(attn\.c_attn|attn\.c_proj|mlp\.c_fc|mlp\.c_proj)\.weight$/;
/** The causal-mask buffers older GPT-2 checkpoints carry (not parameters). */
const MASK_BUFFER = /\.attn\.(bias|masked_bias)$/;

/**
 * A Hugging Face GPT-2 state dict under torchlet's {@link GPT} keys and layouts (see the table
 * above). Every returned tensor is a new view of the caller's tensor (transposed for Conv1D
 * weights, no copy): dispose the returned tensors after loading; the caller's stay its own.
 *
 * @example
 * ```ts
 * // Hugging Face GPT-2 names -> torchlet's GPT names (transposing Conv1D weights).
 * const hf = { 'wte.weight': torch.zeros([50, 16]) };
 * console.log(Object.keys(torch.transformer.mapGPT2Keys(hf)));   // ['transformer.wte.weight']
 * ```
 */
export function mapGPT2Keys(stateDict: Readonly<Record<string, Tensor>>): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  for (const [hfKey, t] of Object.entries(stateDict)) {
    if (hfKey === 'lm_head.weight' || MASK_BUFFER.test(hfKey)) continue;
    const key = hfKey.startsWith('transformer.') ? hfKey : `transformer.${hfKey}`;
    if (key in out) throw new Error(`mapGPT2Keys: "${hfKey}" maps to "${key}", which another key already gave`);
    out[key] = CONV1D.test(key) ? (t.ndim === 2 ? t.t() : t.view(t.shape)) : t.view(t.shape);
  }
  return out;
}

/**
 * The {@link GPTConfig} a GPT-2 state dict implies (vocabulary, block size, width and depth
 * read from the shapes); the number of heads cannot be read and is given.
 *
 * @example
 * ```ts
 * // not run: needs a GPT-2 checkpoint
 * import * as torch from 'torchlet';
 * import { readFileSync } from 'node:fs';
 * const sd = torch.nn.loadSafetensors(readFileSync('gpt2/model.safetensors'));
 * console.log(torch.transformer.inferGPT2Config(sd, 12));   // { vocabSize: 50257, blockSize: 1024, nLayer: 12, ... }
 * ```
 */
export function inferGPT2Config(stateDict: Readonly<Record<string, Tensor>>, nHead: number): GPTConfig {
  const get = (k: string): Tensor | undefined => stateDict[k] ?? stateDict[k.replace(/^transformer\./, '')];
  const wte = get('transformer.wte.weight'), wpe = get('transformer.wpe.weight');
  if (!wte || !wpe) throw new Error('inferGPT2Config: the state dict has no wte.weight / wpe.weight: is it a GPT-2 checkpoint?');
  let nLayer = 0;
  while (get(`transformer.h.${nLayer}.ln_1.weight`)) nLayer++;
  const bias = get('transformer.h.0.attn.c_attn.bias') !== undefined;
  return { vocabSize: wte.shape[0]!, blockSize: wpe.shape[0]!, nEmbd: wte.shape[1]!, nLayer, nHead, bias, dropout: 0, layerNormEps: 1e-5, geluApproximate: 'tanh' };
}

/**
 * A {@link GPT} holding the weights of a Hugging Face GPT-2 state dict (for example
 * `nn.loadSafetensors(bytes)` of `model.safetensors`). `config` defaults to what the shapes
 * imply ({@link inferGPT2Config}); `nHead` must be given (GPT-2 small: 12). The load is strict:
 * a missing or unexpected key throws, naming it. The model copies the weights; the caller keeps
 * `stateDict`'s tensors.
 *
 * @example
 * ```ts
 * // not run: needs a GPT-2 checkpoint (https://huggingface.co/gpt2)
 * import * as torch from 'torchlet';
 * import { readFileSync } from 'node:fs';
 * const sd = torch.nn.loadSafetensors(readFileSync('gpt2/model.safetensors'));
 * const gpt = torch.transformer.gptFromHuggingFace(sd, { nHead: 12 });
 * const ids = await gpt.generate([15496, 11], { maxNewTokens: 20, topK: 40 });
 * ```
 */
export function gptFromHuggingFace(stateDict: Readonly<Record<string, Tensor>>, config: Partial<GPTConfig> & { nHead: number }): GPT {
  const model = new GPT({ ...inferGPT2Config(stateDict, config.nHead), ...config });
  const mapped = mapGPT2Keys(stateDict);
  try {
    model.loadStateDict(mapped);
  } catch (err) {
    model.dispose();
    throw err;
  } finally {
    for (const t of Object.values(mapped)) t.dispose();
  }
  return model;
}
