/**
 * The Llama family in Deno on the wasm backend, as examples/llm uses it: a Hugging Face folder
 * (two bfloat16 shards) read from a directory with LlamaForCausalLM.fromPretrained, logits against
 * plain PyTorch's, and greedy generation through the key/value cache from the real llama2.c
 * checkpoint ../shared/models/stories260K.bin against PyTorch's 64 tokens (fixtures written by
 * packages/transformer/test/fixtures/make_llama_fixtures.py).
 */
import '@torchlet/backend-wasm';
import * as torch from '@torchlet/core';
import { loadSafetensors } from '@torchlet/nn';
import { LlamaForCausalLM, loadLlama2c } from '@torchlet/transformer';

const FIXTURES = new URL('../../transformer/test/fixtures/', import.meta.url);
const STORIES = new URL('../../../../shared/models/stories260K.bin', import.meta.url);

function assert(ok: boolean, message: string): void {
  if (!ok) throw new Error(message);
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert(a.length === b.length, `lengths differ: ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

const fixture = (name: string): Record<string, torch.Tensor> => loadSafetensors(Deno.readFileSync(new URL(name, FIXTURES)));

Deno.test('Llama: fromPretrained reads a sharded bfloat16 folder from a directory; logits match PyTorch', async () => {
  await torch.setBackend('wasm');
  const model = await LlamaForCausalLM.fromPretrained(new URL('llama-tiny-hf-bf16/', FIXTURES).pathname);
  const f = fixture('llama-tiny.safetensors');
  const logits = model.forward(f['test.idx']!);
  const diff = maxAbsDiff((await logits.data()) as Float32Array, (await f['test.logits_bf16']!.data()) as Float32Array);
  assert(diff < 1e-4, `max |logits - PyTorch's| = ${diff}`);
  model.dispose();
});

let stories = true;
try {
  Deno.statSync(STORIES);
} catch {
  stories = false;
  console.log(`llm_test: ${STORIES.pathname} is absent (../shared/models), the stories260K test is not run`);
}

Deno.test({
  name: 'Llama: stories260K.bin (llama2.c) generates the 64 greedy tokens PyTorch does',
  ignore: !stories,
  fn: async () => {
    await torch.setBackend('wasm');
    const model = loadLlama2c(Deno.readFileSync(STORIES));
    const f = fixture('llama-stories260K.safetensors');
    const prompt = Array.from((await f['test.idx']!.data()) as Int32Array);
    const tokens: number[] = [];
    for await (const t of model.generate(prompt, { maxNewTokens: 64, temperature: 0 })) tokens.push(t);
    const want = Array.from((await f['test.greedy']!.data()) as Int32Array);
    assert(JSON.stringify(tokens) === JSON.stringify(want), `greedy tokens ${tokens.join(',')} != PyTorch's ${want.join(',')}`);
    model.dispose();
  },
});
