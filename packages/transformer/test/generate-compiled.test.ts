/** Generation's compiled decode step: fixed-shape steps over a static cache give the eager tokens, across cache growth. */
import '@torchlet/backend-wasm';
import '@torchlet/autograd';
import * as torch from '@torchlet/core';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { GPT, LlamaForCausalLM } from '../src/index.ts';

beforeAll(async () => {
  await torch.setBackend('wasm');
});

afterEach(() => {
  vi.restoreAllMocks();
});

const collect = async (it: AsyncIterable<number>): Promise<number[]> => {
  const out: number[] = [];
  for await (const t of it) out.push(t);
  return out;
};

/** A tiny Llama with peaked logits (no near-ties), grouped-query attention unless `nkv` says otherwise. */
function tinyLlama(seed: number, nkv = 2): LlamaForCausalLM {
  torch.manualSeed(seed);
  const model = new LlamaForCausalLM({ vocabSize: 24, hiddenSize: 16, intermediateSize: 24, numHiddenLayers: 2, numAttentionHeads: 4, numKeyValueHeads: nkv, maxPositionEmbeddings: 128 });
  for (const p of model.parameters()) torch.noGrad(() => p.mul_(20));
  return model;
}

/** Greedy decoding by full forwards, no cache: the argmax at every position. */
async function referenceGreedy(model: LlamaForCausalLM, prompt: number[], n: number): Promise<number[]> {
  const seq = [...prompt];
  const V = model.config.vocabSize;
  for (let i = 0; i < n; i++) {
    const logits = torch.noGrad(() => model.forward(torch.tensor([seq], { dtype: 'int32' }), null, null, 1));
    const row = Array.from((await logits.data()) as Float32Array).slice(0, V);
    logits.dispose();
    seq.push(row.indexOf(Math.max(...row)));
  }
  return seq.slice(prompt.length);
}

describe('compiled decode (generate)', () => {
  it('greedy tokens equal the eager steps and the full forward argmax, across two cache growths, with and without grouped-query attention', async () => {
    const warn = vi.spyOn(console, 'warn');
    for (const nkv of [2, 4]) {
      const model = tinyLlama(7, nkv);
      const prompt = [1, 5, 9];
      // 3 prompt positions, then the buffers hold 32, 64 and 73: the step traces again after each growth.
      const compiled = await collect(model.generate(prompt, { maxNewTokens: 70, temperature: 0 }));
      const eager = await collect(model.generate(prompt, { maxNewTokens: 70, temperature: 0, compile: false }));
      expect(compiled).toEqual(eager);
      expect(compiled).toEqual(await referenceGreedy(model, prompt, 70));
      expect(new Set(compiled).size).toBeGreaterThan(3);
      model.dispose();
    }
    // No graph break: every signature compiled (a break would warn and run eagerly).
    expect(warn).not.toHaveBeenCalled();
  });

  it('a left-padded batch decodes compiled (its padding mask a tensor over the capacity) to each prompt\'s own greedy tokens', async () => {
    const warn = vi.spyOn(console, 'warn');
    const model = tinyLlama(11);
    const prompts = [[1, 2, 3, 4, 5, 6], [1, 9], [1, 4, 4, 8]];
    const batch = await model.generateBatch(prompts, { maxNewTokens: 30, temperature: 0 });
    expect(await model.generateBatch(prompts, { maxNewTokens: 30, temperature: 0, compile: false })).toEqual(batch);
    for (let b = 0; b < prompts.length; b++) expect(batch[b]).toEqual(await referenceGreedy(model, prompts[b]!, 30));
    expect(warn).not.toHaveBeenCalled();
    model.dispose();
  });

  it('seeded sampling draws the same tokens compiled and eager, and frees everything it made', async () => {
    const model = tinyLlama(8);
    const before = torch.memory().tensors;
    const opts = { maxNewTokens: 40, temperature: 1.5, topK: 12, seed: 3 };
    const a = await collect(model.generate([1, 2], opts));
    expect(await collect(model.generate([1, 2], { ...opts, compile: false }))).toEqual(a);
    expect(new Set(a).size).toBeGreaterThan(3);
    // Abandoning the stream midway frees the cache and the compiled plan too.
    for await (const _ of model.generate([1, 2], opts)) if (Math.random() < 2) break;
    expect(torch.memory().tensors).toBe(before);
    model.dispose();
  });
});

describe('compiled decode (GPT.generate)', () => {
  it('GPT decodes compiled through the same loop: the tokens of the eager steps and of no cache, single and batched', async () => {
    const warn = vi.spyOn(console, 'warn');
    torch.manualSeed(12);
    const gpt = new GPT({ vocabSize: 32, blockSize: 64, nLayer: 2, nHead: 2, nEmbd: 16 });
    for (const p of gpt.parameters()) torch.noGrad(() => p.mul_(15));
    const a = await gpt.generate([1, 2, 3], { maxNewTokens: 45, temperature: 0 });
    expect(await gpt.generate([1, 2, 3], { maxNewTokens: 45, temperature: 0, compile: false })).toEqual(a);
    expect(await gpt.generate([1, 2, 3], { maxNewTokens: 45, temperature: 0, useCache: false })).toEqual(a);
    const rows = torch.tensor([[1, 2, 3], [7, 7, 9]], { dtype: 'int32' });
    const batch = (await (await gpt.generate(rows, { maxNewTokens: 20, temperature: 0 })).tolist()) as number[][];
    expect(batch[0]).toEqual(a.slice(0, 23));
    expect(batch[1]).toEqual(await gpt.generate([7, 7, 9], { maxNewTokens: 20, temperature: 0, compile: false }));
    expect(warn).not.toHaveBeenCalled();
    gpt.dispose();
  });
});

describe('cachePosition (the fixed-shape step)', () => {
  it('gives the logits of the appending cache, attending over the whole capacity with later positions masked', async () => {
    const model = tinyLlama(9);
    const ids = [1, 4, 7, 2, 9, 3];
    const V = model.config.vocabSize;
    const full = (await torch.noGrad(() => model.forward(torch.tensor([ids], { dtype: 'int32' }))).data()) as Float32Array;
    const cache = model.newCache();
    torch.noGrad(() => model.forward(torch.tensor([ids.slice(0, 3)], { dtype: 'int32' }), cache).dispose());
    cache.reserve(16);
    expect(cache.capacity).toBe(16);
    expect(cache.keyPositions!.shape).toEqual([16]);
    for (let t = 3; t < ids.length; t++) {
      const out = torch.noGrad(() => model.forward(torch.tensor([[ids[t]!]], { dtype: 'int32' }), cache, null, 0, torch.tensor([t], { dtype: 'int32' })));
      cache.advance(1);
      const got = (await out.data()) as Float32Array;
      const want = full.subarray(t * V, (t + 1) * V);
      expect(Math.max(...got.map((g, i) => Math.abs(g - want[i]!)))).toBeLessThan(1e-4);
    }
    expect(cache.length).toBe(ids.length);
    cache.dispose();
    model.dispose();
  });

  it('names what is missing: a cache, room reserved, an int32 position tensor of the right length', () => {
    const model = tinyLlama(10);
    const idx = torch.tensor([[1]], { dtype: 'int32' }), pos = torch.tensor([0], { dtype: 'int32' });
    expect(() => model.forward(idx, null, null, 0, pos)).toThrow(/cachePosition needs a cache/);
    const cache = model.newCache();
    expect(() => model.forward(idx, cache, null, 0, pos)).toThrow(/needs room for 1 positions \(cache.reserve\), it has 0/);
    expect(() => cache.reserve(8)).toThrow(/nothing cached yet/);
    torch.noGrad(() => model.forward(torch.tensor([[1, 2]], { dtype: 'int32' }), cache).dispose());
    cache.reserve(8);
    expect(() => model.forward(idx, cache, null, 0, torch.tensor([2.5]))).toThrow(/cachePosition must be an int32 tensor of shape \[1\]/);
    expect(() => model.forward(idx, cache, null, 0, torch.tensor([2, 3], { dtype: 'int32' }))).toThrow(/cachePosition must be an int32 tensor of shape \[1\]/);
    expect(() => model.forward(idx, cache, torch.ones([1, 3], { dtype: 'int32' }), 0, pos)).toThrow(/attentionMask must be \(B, cache capacity\) = \[1, 8\]/);
    cache.dispose();
    model.dispose();
  });
});
