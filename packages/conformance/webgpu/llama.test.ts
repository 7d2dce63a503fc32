/**
 * The Llama family on WebGPU (Dawn on SwiftShader in CI): the tiny Hugging Face-layout Llama with
 * grouped-query attention, forward and every weight's gradient against plain PyTorch's
 * (packages/transformer/test/fixtures/make_llama_fixtures.py), as the wasm test does.
 */
import '@torchlet/backend-webgpu';
import '@torchlet/autograd';
import { existsSync } from 'node:fs';
import * as torch from '@torchlet/core';
import { beforeAll, expect, it } from 'vitest';
import { LlamaForCausalLM } from '@torchlet/transformer';
import { compareTinyLlama } from '../../transformer/test/llama-fixture.ts';

const SWIFTSHADER = '/usr/lib/chromium/vk_swiftshader_icd.json';
if (process.env.VK_ICD_FILENAMES === undefined && existsSync(SWIFTSHADER)) process.env.VK_ICD_FILENAMES = SWIFTSHADER;

beforeAll(async () => {
  await torch.setBackend('webgpu');
});

it('Llama (RMSNorm, rotary embeddings, SwiGLU, grouped-query attention): logits and gradients match PyTorch on WebGPU', async () => {
  const r = await compareTinyLlama();
  expect(r.keysMatch).toBe(true);
  expect(r.logits).toBeLessThan(1e-4);
  for (const [k, d] of Object.entries(r.grads)) expect(d, k).toBeLessThan(1e-4);
});

it('Llama generation on WebGPU: greedy streaming equals full-forward argmax; seeded sampling is reproducible', async () => {
  torch.manualSeed(3);
  const V = 24;
  const model = new LlamaForCausalLM({ vocabSize: V, hiddenSize: 16, intermediateSize: 24, numHiddenLayers: 1, numAttentionHeads: 4, numKeyValueHeads: 2, maxPositionEmbeddings: 16 });
  torch.noGrad(() => { for (const p of model.parameters()) p.mul_(20); }); // peaked logits: no near-ties
  const collect = async (it: AsyncIterable<number>): Promise<number[]> => {
    const out: number[] = [];
    for await (const t of it) out.push(t);
    return out;
  };
  const prompt = [1, 7, 3];
  const greedy = await collect(model.generate(prompt, { maxNewTokens: 5, temperature: 0 }));
  const full = torch.noGrad(() => model.forward(torch.tensor([[...prompt, ...greedy.slice(0, -1)]], { dtype: 'int32' })));
  const rows = (await full.data()) as Float32Array;
  const argmax = greedy.map((_, i) => {
    const row = rows.subarray((prompt.length - 1 + i) * V, (prompt.length + i) * V);
    return row.indexOf(Math.max(...row));
  });
  expect(greedy).toEqual(argmax);
  const opts = { maxNewTokens: 5, temperature: 1, topK: 8, seed: 11 };
  const sampled = await collect(model.generate(prompt, opts));
  expect(await collect(model.generate(prompt, opts))).toEqual(sampled);
  // The decode steps ran compiled (the default): the eager steps give the same tokens.
  expect(await collect(model.generate(prompt, { ...opts, compile: false }))).toEqual(sampled);
  expect(await collect(model.generate(prompt, { maxNewTokens: 5, temperature: 0, compile: false }))).toEqual(greedy);
  model.dispose();
});
