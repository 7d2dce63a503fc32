/**
 * The tiny Hugging Face-layout Llama of fixtures/make_llama_fixtures.py, run forward and backward
 * on the current backend and compared with plain PyTorch's logits and gradients. Shared by the
 * wasm test here and the WebGPU one in packages/conformance/webgpu.
 */
import { readFileSync } from 'node:fs';
import * as torch from '@torchlet/core';
import { loadSafetensors, readSafetensorsHeader } from '@torchlet/nn';
import { LlamaForCausalLM, llamaConfigFromHF } from '../src/index.ts';

/** A fixture's entries split by prefix: the weights (no prefix), `test.*` and `grad.*`, and its metadata. */
export interface LlamaFixture {
  weights: Record<string, torch.Tensor>;
  test: Record<string, torch.Tensor>;
  grads: Record<string, torch.Tensor>;
  metadata: Record<string, string>;
}

export function readLlamaFixture(name: string): LlamaFixture {
  const bytes = new Uint8Array(readFileSync(new URL(`./fixtures/${name}`, import.meta.url)));
  const f: LlamaFixture = { weights: {}, test: {}, grads: {}, metadata: readSafetensorsHeader(bytes).metadata ?? {} };
  for (const [k, t] of Object.entries(loadSafetensors(bytes))) {
    if (k.startsWith('test.')) f.test[k.slice(5)] = t;
    else if (k.startsWith('grad.')) f.grads[k.slice(5)] = t;
    else f.weights[k] = t;
  }
  return f;
}

export const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return a.length === b.length ? m : Infinity;
};

/** The largest |difference| of the logits and of each weight's gradient against PyTorch's. */
export async function compareTinyLlama(): Promise<{ logits: number; grads: Record<string, number>; keysMatch: boolean }> {
  const f = readLlamaFixture('llama-tiny.safetensors');
  const model = new LlamaForCausalLM(llamaConfigFromHF(JSON.parse(f.metadata.config!)));
  try {
    const keysMatch = JSON.stringify(Object.keys(model.stateDict()).sort()) === JSON.stringify(Object.keys(f.weights).sort());
    model.loadStateDict(f.weights);
    const logits = model.forward(f.test.idx!);
    logits.mul(f.test.upstream!).sum().backward();
    const grads: Record<string, number> = {};
    for (const [k, p] of Object.entries(model.stateDict())) grads[k] = maxAbsDiff((await p.grad!.data()) as Float32Array, (await f.grads[k]!.data()) as Float32Array);
    return { logits: maxAbsDiff((await logits.data()) as Float32Array, (await f.test.logits!.data()) as Float32Array), grads, keysMatch };
  } finally {
    model.dispose();
    for (const group of [f.weights, f.test, f.grads]) for (const t of Object.values(group)) t.dispose();
  }
}
