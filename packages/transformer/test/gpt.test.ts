/** GPT: keys, weight tying, loss and gradients, the key/value cache, and loading GPT-2 weights in Hugging Face's layout. */
import '@torchlet/backend-wasm';
import '@torchlet/autograd';
import { readFileSync } from 'node:fs';
import * as torch from '@torchlet/core';
import { init, loadSafetensors, readSafetensorsHeader } from '@torchlet/nn';
import { beforeAll, describe, expect, it } from 'vitest';
import { GPT, gptFromHuggingFace, mapGPT2Keys, type GPTConfig } from '../src/index.ts';

beforeAll(async () => {
  await torch.setBackend('wasm');
});

const cfg: GPTConfig = { vocabSize: 23, blockSize: 16, nLayer: 2, nHead: 2, nEmbd: 16, dropout: 0, bias: true };
const ids = (rows: number[][]): torch.Tensor => torch.tensor(rows, { dtype: 'int32' });
const maxAbsDiff = (a: torch.Tensor, b: torch.Tensor): number => {
  const x = a.dataSync(), y = b.dataSync();
  expect(x.length).toBe(y.length);
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i]! - y[i]!));
  return m;
};

describe('GPT', () => {
  it('has GPT-2\'s state-dict keys and one tied embedding/head weight', () => {
    torch.manualSeed(0);
    const model = new GPT(cfg);
    const keys = Object.keys(model.stateDict());
    expect(keys.slice(0, 8)).toEqual([
      'transformer.wte.weight', 'transformer.wpe.weight', 'transformer.h.0.ln_1.weight', 'transformer.h.0.ln_1.bias',
      'transformer.h.0.attn.c_attn.weight', 'transformer.h.0.attn.c_attn.bias', 'transformer.h.0.attn.c_proj.weight', 'transformer.h.0.attn.c_proj.bias',
    ]);
    expect(keys).toContain('transformer.h.1.mlp.c_fc.weight');
    expect(keys.slice(-2)).toEqual(['transformer.ln_f.weight', 'transformer.ln_f.bias']);
    expect(keys.filter((k) => k.includes('lm_head') || k.endsWith('wte.weight'))).toEqual(['transformer.wte.weight']);
    expect(model.stateDict()['transformer.h.0.attn.c_attn.weight']!.shape).toEqual([48, 16]); // Linear layout (3C, C)
    const params = model.parameters();
    expect(params.filter((p) => p === model.transformer.wte.weight)).toHaveLength(1);
    expect(new Set(params).size).toBe(params.length);
    // 12 C^2 + 13 C per layer, + V C + blockSize C + 2 C (nanoGPT's count).
    expect(model.numParams(false)).toBe(2 * (12 * 256 + 13 * 16) + 23 * 16 + 16 * 16 + 32);
    const noBias = Object.keys(new GPT({ ...cfg, bias: false }).stateDict());
    expect(noBias.filter((k) => k.endsWith('.bias'))).toEqual([]);
  });

  it('forward gives (B, T, V) logits and a loss near ln(V) at init; the tied weight gets both gradients', () => {
    torch.manualSeed(1);
    const model = new GPT(cfg);
    const x = ids([[1, 2, 3, 4, 5], [6, 7, 8, 9, 10]]);
    const y = ids([[2, 3, 4, 5, 6], [7, 8, 9, 10, -1]]);
    const [logits, loss] = model.forward(x, y);
    expect(logits.shape).toEqual([2, 5, 23]);
    expect(Math.abs(loss!.dataSync()[0]! - Math.log(23))).toBeLessThan(0.1);
    loss!.backward();
    const g = model.transformer.wte.weight.grad!.dataSync();
    // Rows 0, 11..22 are never inputs; they still get gradient through the head (as targets and negatives).
    expect(Array.from(g.subarray(20 * 16, 21 * 16)).some((v) => v !== 0)).toBe(true);
    const [, none] = model.forward(x);
    expect(none).toBeNull();
  });

  it('is causal: a later token does not change earlier logits', () => {
    torch.manualSeed(2);
    const model = new GPT(cfg).eval();
    const [a] = model.forward(ids([[1, 2, 3, 4]]));
    const [b] = model.forward(ids([[1, 2, 3, 9]]));
    expect(maxAbsDiff(a.narrow(1, 0, 3), b.narrow(1, 0, 3))).toBe(0);
    expect(() => model.forward(ids([Array.from({ length: 17 }, () => 1)]))).toThrow(/block size is only 16/);
  });
});

describe('key/value cache', () => {
  it('step-by-step hidden states equal the full forward\'s', () => {
    torch.manualSeed(3);
    const model = new GPT(cfg).eval();
    const seq = [[3, 1, 4, 1, 5, 9, 2, 6], [2, 7, 1, 8, 2, 8, 1, 8]];
    torch.noGrad(() => {
      const full = model.transformer.forward(ids(seq));
      const cache = model.newCache();
      const parts = [model.transformer.forward(ids(seq.map((r) => r.slice(0, 3))), cache)]; // a prompt of 3 ...
      for (let t = 3; t < 8; t++) parts.push(model.transformer.forward(ids(seq.map((r) => [r[t]!])), cache)); // ... then one at a time
      expect(cache.length).toBe(8);
      expect(maxAbsDiff(torch.cat(parts, 1), full)).toBeLessThan(1e-5);
      const before = torch.memory().tensors;
      cache.dispose();
      // Per layer: the keys' and values' buffers and the views of their cached positions.
      expect(torch.memory().tensors).toBe(before - 4 * cfg.nLayer);
    });
  });

  it('greedy generation with the cache gives exactly the tokens of generation without it (timed)', async () => {
    torch.manualSeed(4);
    const model = new GPT({ vocabSize: 64, blockSize: 128, nLayer: 4, nHead: 4, nEmbd: 64 });
    // Larger weights than GPT-2's init, so that the logits depend on more than the last token.
    for (const p of model.parameters()) init.normal_(p, 0, 0.3);
    const prompts = [[1], [5, 9, 13], [60, 2, 2, 2, 7, 33, 12], Array.from({ length: 48 }, (_, i) => (i * 7) % 64)];
    let cached = 0, uncached = 0;
    for (const p of prompts) {
      let t0 = performance.now();
      const a = await model.generate(p, { maxNewTokens: 64, temperature: 0, useCache: true });
      cached += performance.now() - t0;
      t0 = performance.now();
      const b = await model.generate(p, { maxNewTokens: 64, temperature: 0, useCache: false });
      uncached += performance.now() - t0;
      expect(a).toEqual(b);
      expect(a.length).toBe(p.length + 64);
      // Sampled with a seed, the same too (this path draws varied tokens).
      const c = await model.generate(p, { maxNewTokens: 16, temperature: 1, seed: 11 });
      expect(await model.generate(p, { maxNewTokens: 16, temperature: 1, seed: 11, useCache: false })).toEqual(c);
      expect(new Set(c.slice(p.length)).size).toBeGreaterThan(1);
    }
    console.log(`generate, 4 prompts (1-48 tokens) x 64 new tokens, greedy (4 layers, C=64, wasm): with the KV cache ${cached.toFixed(0)} ms, without ${uncached.toFixed(0)} ms (${(uncached / cached).toFixed(1)}x faster)`);
    // Past blockSize the context is cropped and both paths recompute: still the same tokens.
    const small = new GPT(cfg);
    const long = await small.generate([1, 2, 3], { maxNewTokens: 20, temperature: 0 });
    expect(long).toEqual(await small.generate([1, 2, 3], { maxNewTokens: 20, temperature: 0, useCache: false }));
    // A batch of prompts of equal length, as a tensor.
    const batch = await small.generate(ids([[1, 2], [3, 4]]), { maxNewTokens: 5, temperature: 0 });
    expect(batch.shape).toEqual([2, 7]);
    expect(((await batch.tolist()) as number[][])[1]).toEqual(await small.generate([3, 4], { maxNewTokens: 5, temperature: 0 }));
  });

  it('sampling is reproducible with a seed and respects topK', async () => {
    torch.manualSeed(5);
    const model = new GPT(cfg);
    const a = await model.generate([1, 2], { maxNewTokens: 12, temperature: 1, seed: 7 });
    expect(await model.generate([1, 2], { maxNewTokens: 12, temperature: 1, seed: 7, useCache: false })).toEqual(a);
    const greedy = await model.generate([1, 2], { maxNewTokens: 12, temperature: 0 });
    expect(await model.generate([1, 2], { maxNewTokens: 12, temperature: 1, topK: 1, seed: 3 })).toEqual(greedy);
    expect(await model.generate([1, 2], { maxNewTokens: 12, temperature: 0.8, topP: 1e-6, seed: 3 })).toEqual(greedy);
    expect(model.training).toBe(true); // restored after generate
  });
});

/** A torchlet GPT's state dict written the way Hugging Face's GPT2LMHeadModel saves it. */
function toHuggingFace(model: GPT): Record<string, torch.Tensor> {
  const out: Record<string, torch.Tensor> = {};
  for (const [k, t] of Object.entries(model.stateDict())) {
    out[k] = /(c_attn|c_proj|c_fc)\.weight$/.test(k) ? t.t().contiguous() : t; // Conv1D stores (in, out)
  }
  out['transformer.h.0.attn.bias'] = torch.ones([1, 1, 16, 16]).tril(); // older checkpoints' mask buffer
  out['lm_head.weight'] = model.transformer.wte.weight;
  return out;
}

describe('GPT-2 weights in Hugging Face\'s layout', () => {
  it('mapGPT2Keys transposes Conv1D weights, drops lm_head and mask buffers, adds the prefix', () => {
    const w = torch.randn([16, 48]);
    const m = mapGPT2Keys({ 'h.0.attn.c_attn.weight': w, 'h.0.attn.bias': torch.ones([1]), 'lm_head.weight': w, 'wte.weight': torch.zeros([3, 16]) });
    expect(Object.keys(m)).toEqual(['transformer.h.0.attn.c_attn.weight', 'transformer.wte.weight']);
    expect(m['transformer.h.0.attn.c_attn.weight']!.shape).toEqual([48, 16]);
  });

  it('gptFromHuggingFace loads a GPT-2-shaped state dict built here and reproduces the logits', () => {
    torch.manualSeed(6);
    const src = new GPT(cfg).eval();
    const hf = toHuggingFace(src);
    const model = gptFromHuggingFace(hf, { nHead: 2 });
    expect(model.config).toMatchObject({ vocabSize: 23, blockSize: 16, nLayer: 2, nEmbd: 16, nHead: 2 });
    const x = ids([[1, 5, 7, 2, 0, 22]]);
    expect(maxAbsDiff(model.eval().forward(x)[0], src.forward(x)[0])).toBe(0);
    delete hf['transformer.ln_f.bias'];
    expect(() => gptFromHuggingFace(hf, { nHead: 2 })).toThrow(/Missing key\(s\): "transformer.ln_f.bias"/);
  });

  it('matches GPT-2\'s forward written in plain PyTorch (fixtures/make_gpt2_fixture.py)', () => {
    const bytes = new Uint8Array(readFileSync(new URL('./fixtures/gpt2-tiny.safetensors', import.meta.url)));
    const config = JSON.parse(readSafetensorsHeader(bytes).metadata!['config']!) as GPTConfig;
    const { 'test.idx': idx, 'test.logits': expected, ...hf } = loadSafetensors(bytes);
    const model = gptFromHuggingFace(hf, config).eval();
    const [logits] = model.forward(idx!);
    expect(logits.shape).toEqual(expected!.shape);
    expect(maxAbsDiff(logits, expected!)).toBeLessThan(1e-4);
  });
});
