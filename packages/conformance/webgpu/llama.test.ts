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
