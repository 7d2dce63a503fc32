/**
 * LoRA on the tiny Llama against PEFT's semantics written out in plain PyTorch
 * (fixtures/make_llama_fixtures.py): the adapter saved under PEFT's keys loads, the adapted
 * model's logits, loss and every adapter gradient match, the base gets no gradient, merge and
 * unmerge keep the outputs, and saving gives back PyTorch's bytes.
 */
import '@torchlet/backend-wasm';
import '@torchlet/autograd';
import { readFileSync } from 'node:fs';
import * as torch from '@torchlet/core';
import { F, applyLora, loadLoraAdapter, loadSafetensors, loraLayers, loraStateDict, readSafetensorsHeader, saveLoraAdapter } from '@torchlet/nn';
import { beforeAll, describe, expect, it } from 'vitest';
import { LlamaForCausalLM, llamaConfigFromHF } from '../src/index.ts';
import { maxAbsDiff, readLlamaFixture } from './llama-fixture.ts';

beforeAll(async () => {
  await torch.setBackend('wasm');
});

const bytesOf = (name: string): Uint8Array => new Uint8Array(readFileSync(new URL(`./fixtures/${name}`, import.meta.url)));

function adaptedModel(): { model: LlamaForCausalLM; idx: torch.Tensor; adapter: Uint8Array } {
  const { weights, test, metadata } = readLlamaFixture('llama-tiny.safetensors');
  const model = new LlamaForCausalLM(llamaConfigFromHF(JSON.parse(metadata.config!)));
  model.loadStateDict(weights);
  const cfg = JSON.parse(readSafetensorsHeader(bytesOf('llama-tiny-lora-test.safetensors')).metadata!.adapter_config!);
  const paths = applyLora(model, { r: cfg.r, alpha: cfg.lora_alpha, dropout: cfg.lora_dropout, targetModules: cfg.target_modules });
  expect(paths).toEqual(['model.layers.0.self_attn.q_proj', 'model.layers.0.self_attn.v_proj', 'model.layers.1.self_attn.q_proj', 'model.layers.1.self_attn.v_proj']);
  const adapter = bytesOf('llama-tiny-lora.safetensors');
  loadLoraAdapter(model, adapter);
  return { model, idx: test.idx!, adapter };
}

describe('LoRA (PEFT semantics and keys)', () => {
  it('logits, loss and every adapter gradient match PyTorch; the base is frozen and gets no gradient', async () => {
    const { model, idx } = adaptedModel();
    const ref = loadSafetensors(bytesOf('llama-tiny-lora-test.safetensors'));
    const logits = model.forward(idx);
    expect(maxAbsDiff((await logits.data()) as Float32Array, (await ref.logits!.data()) as Float32Array)).toBeLessThan(1e-4);
    const loss = F.crossEntropy(logits.view(-1, model.config.vocabSize), ref.targets!.reshape([-1]));
    expect(Math.abs(((await loss.item()) as number) - ((await ref.loss!.data())[0] as number))).toBeLessThan(1e-5);
    loss.backward();
    for (const [k, p] of Object.entries(loraStateDict(model))) {
      expect(maxAbsDiff((await p.grad!.data()) as Float32Array, (await ref[`grad.${k}`]!.data()) as Float32Array), k).toBeLessThan(1e-4);
    }
    const trainable = model.parameters().filter((p) => p.requiresGrad);
    expect(trainable.length).toBe(8);
    expect(model.parameters().filter((p) => !p.requiresGrad).every((p) => p.grad === null)).toBe(true);
    model.dispose();
  });

  it('merge folds the update into the base weights with the same outputs, unmerge takes it out', async () => {
    const { model, idx } = adaptedModel();
    const before = (await model.forward(idx).data()) as Float32Array;
    const adapters = loraLayers(model).map(([, l]) => l);
    const q = adapters[0]!;
    const w0 = (await q.base_layer.weight.data()).slice() as Float32Array;
    for (const l of adapters) l.merge();
    expect(maxAbsDiff((await model.forward(idx).data()) as Float32Array, before)).toBeLessThan(1e-4);
    expect(maxAbsDiff((await q.base_layer.weight.data()) as Float32Array, w0)).toBeGreaterThan(1e-3);
    for (const l of adapters) l.unmerge();
    expect(maxAbsDiff((await q.base_layer.weight.data()) as Float32Array, w0)).toBeLessThan(1e-6);
    expect(() => q.unmerge()).toThrow(/not merged/);
    model.dispose();
  });

  it('saves the adapter as the very bytes PyTorch wrote (PEFT keys), and a few steps on the adapter alone lower the loss', async () => {
    const { model, idx, adapter } = adaptedModel();
    expect(await saveLoraAdapter(model)).toEqual(adapter);
    const ref = loadSafetensors(bytesOf('llama-tiny-lora-test.safetensors'));
    const params = model.parameters().filter((p) => p.requiresGrad);
    const losses: number[] = [];
    for (let step = 0; step < 4; step++) {
      for (const p of params) p.grad = null;
      const loss = F.crossEntropy(model.forward(idx).view(-1, model.config.vocabSize), ref.targets!.reshape([-1]));
      loss.backward();
      torch.noGrad(() => { for (const p of params) p.sub_(p.grad!.mul(0.5)); });
      losses.push((await loss.item()) as number);
    }
    expect(losses[3]!).toBeLessThan(losses[0]!);
    model.dispose();
  });

  it('names an unknown config key, a target that matches nothing, and an adapter for other modules', () => {
    const model = new LlamaForCausalLM({ vocabSize: 8, hiddenSize: 8, intermediateSize: 8, numHiddenLayers: 1, numAttentionHeads: 2 });
    expect(() => applyLora(model, { r: 2, lora_alpha: 4, targetModules: ['q_proj'] } as never)).toThrow(/unknown config key 'lora_alpha' \(did you mean alpha\?\)/);
    expect(() => applyLora(model, { r: 2, targetModules: ['query'] })).toThrow(/no module matches targetModules \["query"\]; the Linear layers are: model\.layers\.0\.self_attn\.q_proj/);
    applyLora(model, { r: 2, targetModules: ['k_proj'] });
    expect(() => loadLoraAdapter(model, bytesOf('llama-tiny-lora.safetensors'))).toThrow(/which the model's adapters do not/);
    model.dispose();
  });
});
