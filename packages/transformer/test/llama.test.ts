import '@torchlet/backend-wasm';
import '@torchlet/autograd';
import { existsSync, readFileSync } from 'node:fs';
import { compareTinyLlama, maxAbsDiff, readLlamaFixture } from './llama-fixture.ts';
import * as torch from '@torchlet/core';
import { F } from '@torchlet/nn';
import { beforeAll, describe, expect, it } from 'vitest';
import { LlamaForCausalLM, RotaryEmbedding, llamaConfigFromHF, loadLlama2c, readLlama2cHeader } from '../src/index.ts';

beforeAll(async () => {
  await torch.setBackend('wasm');
});

describe('Llama (Hugging Face layout, grouped-query attention)', () => {
  it('matches the plain-torch forward and every weight gradient of fixtures/make_llama_fixtures.py, with HF state-dict keys', async () => {
    const r = await compareTinyLlama();
    expect(r.keysMatch).toBe(true);
    expect(r.logits).toBeLessThan(1e-4);
    for (const [k, d] of Object.entries(r.grads)) expect(d, k).toBeLessThan(1e-4);
  });

  it('the key/value cache gives the full forward\'s logits position by position', async () => {
    const { weights, test, metadata } = readLlamaFixture('llama-tiny.safetensors');
    const model = new LlamaForCausalLM(llamaConfigFromHF(JSON.parse(metadata.config!)));
    model.loadStateDict(weights);
    const idx = test.idx!.narrow(0, 0, 1); // (1, 13)
    const full = (await model.forward(idx).data()) as Float32Array;
    const cache = model.newCache();
    const V = model.config.vocabSize;
    // A prompt of 5 positions, then one token at a time.
    const first = (await model.forward(idx.narrow(1, 0, 5), cache).data()) as Float32Array;
    expect(maxAbsDiff(first, full.subarray(0, 5 * V))).toBeLessThan(1e-4);
    for (let t = 5; t < 13; t++) {
      const step = (await model.forward(idx.narrow(1, t, 1), cache).data()) as Float32Array;
      expect(maxAbsDiff(step, full.subarray(t * V, (t + 1) * V))).toBeLessThan(1e-4);
    }
    cache.dispose();
    model.dispose();
  });

  it('trains: gradients reach every parameter and a few SGD steps lower the loss', async () => {
    const model = new LlamaForCausalLM({ vocabSize: 20, hiddenSize: 16, intermediateSize: 24, numHiddenLayers: 2, numAttentionHeads: 4, numKeyValueHeads: 2, tieWordEmbeddings: true });
    const idx = torch.tensor([[1, 2, 3, 4, 5, 6, 7, 8]], { dtype: 'int32' });
    const target = torch.tensor([2, 3, 4, 5, 6, 7, 8, 9], { dtype: 'int32' });
    const losses: number[] = [];
    for (let step = 0; step < 5; step++) {
      const loss = torch.tidy(() => {
        for (const p of model.parameters()) p.grad = null;
        const l = torch.tidy(() => {
          return F.crossEntropy(model.forward(idx).view(-1, 20), target);
        });
        l.backward();
        torch.noGrad(() => { for (const p of model.parameters()) p.sub_(p.grad!.mul(0.5)); });
        return l.detach();
      });
      losses.push(await loss.item() as number);
      loss.dispose();
    }
    expect(model.parameters().every((p) => p.grad !== null)).toBe(true);
    expect(losses[4]!).toBeLessThan(losses[0]!);
    model.dispose();
  });

  it('rejects a bad config and a non-Llama config.json, naming what is wrong', () => {
    expect(() => new LlamaForCausalLM({ vocabSize: 8, hiddenSize: 16, intermediateSize: 8, numHiddenLayers: 1, numAttentionHeads: 4, numKeyValueHeads: 3 })).toThrow(/numKeyValueHeads must be a positive divisor/);
    expect(() => new LlamaForCausalLM({ vocabSize: 8, hiddenSize: 12, intermediateSize: 8, numHiddenLayers: 1, numAttentionHeads: 4, num_key_value_heads: 2 } as never)).toThrow(/unknown config key 'num_key_value_heads'/);
    expect(() => llamaConfigFromHF({ model_type: 'gpt2' })).toThrow(/unsupported model_type 'gpt2'/);
    expect(() => llamaConfigFromHF({ model_type: 'llama', rope_scaling: { type: 'linear', factor: 2 } })).toThrow(/rope_scaling/);
  });
});

describe('RotaryEmbedding', () => {
  it('half and interleaved pairings rotate the same planes, permuted; norms are kept', async () => {
    const half = new RotaryEmbedding(4, 8, { style: 'half' }), inter = new RotaryEmbedding(4, 8, { style: 'interleaved' });
    const x = torch.randn([1, 1, 3, 4]);
    // Interleaved (a0, b0, a1, b1) is half-split (a0, a1, b0, b1) with the features permuted.
    const perm = torch.tensor([0, 2, 1, 3], { dtype: 'int32' });
    const viaHalf = half.forward(x.indexSelect(-1, perm), 2).indexSelect(-1, perm);
    expect(maxAbsDiff((await inter.forward(x, 2).data()) as Float32Array, (await viaHalf.data()) as Float32Array)).toBeLessThan(1e-6);
    const n0 = (await x.square().sum({ dim: -1 }).data()) as Float32Array, n1 = (await half.forward(x, 5).square().sum({ dim: -1 }).data()) as Float32Array;
    expect(maxAbsDiff(n0, n1)).toBeLessThan(1e-5);
    expect(() => half.forward(x, 6)).toThrow(/positions up to 8 requested, the tables cover 8/);
    half.dispose();
    inter.dispose();
  });

  it('equals the textbook rotation bit for bit (x1 cos - x2 sin, x2 cos + x1 sin), values and gradients, both pairings', () => {
    torch.manualSeed(4);
    for (const style of ['half', 'interleaved'] as const) {
      const rope = new RotaryEmbedding(8, 16, { style, theta: 500 });
      const x = torch.randn([2, 3, 5, 8], { requiresGrad: true });
      const up = torch.randn([2, 3, 5, 8]);
      const y = rope.forward(x, 7);
      y.mul(up).sum().backward();
      const gx = Array.from(x.grad!.dataSync());
      x.grad = null;
      // The six-op form with concatenation the rotation used before (cosCached/sinCached: (positions, hs/2)).
      const cos = rope.cosCached.narrow(0, 7, 5), sin = rope.sinCached.narrow(0, 7, 5);
      const [x1, x2] = style === 'half' ? [x.narrow(-1, 0, 4), x.narrow(-1, 4, 4)] : [x.reshape([2, 3, 5, 4, 2]).select(-1, 0), x.reshape([2, 3, 5, 4, 2]).select(-1, 1)];
      const [r1, r2] = [x1.mul(cos).sub(x2.mul(sin)), x2.mul(cos).add(x1.mul(sin))];
      const ref = style === 'half' ? torch.cat([r1, r2], -1) : torch.stack([r1, r2], -1).reshape([2, 3, 5, 8]);
      ref.mul(up).sum().backward();
      expect(Array.from(y.dataSync())).toEqual(Array.from(ref.dataSync()));
      expect(gx).toEqual(Array.from(x.grad!.dataSync()));
      rope.dispose();
    }
  });
});

const STORIES = new URL('../../../../shared/models/stories260K.bin', import.meta.url);

describe.runIf(existsSync(STORIES))('llama2.c: stories260K.bin (../shared/models)', () => {
  it('logits match the plain-torch reference and 64 greedy tokens (KV cache) are identical', async () => {
    const model = loadLlama2c(new Uint8Array(readFileSync(STORIES)));
    expect(model.config).toMatchObject({ hiddenSize: 64, numHiddenLayers: 5, numAttentionHeads: 8, numKeyValueHeads: 4, vocabSize: 512, ropeStyle: 'interleaved', tieWordEmbeddings: true });
    const { test } = readLlamaFixture('llama-stories260K.safetensors');
    const logits = model.forward(test.idx!); // (1, 64, 512)
    const rows = (await test.rows!.data()) as Int32Array;
    const picked = logits.squeeze(0).indexSelect(0, test.rows!);
    expect(maxAbsDiff((await picked.data()) as Float32Array, (await test.logits!.data()) as Float32Array)).toBeLessThan(1e-4);
    expect(rows.length).toBe(8);
    // Greedy decoding through generate(): the prompt once, then one token per step from the cache.
    const prompt = Array.from((await test.idx!.data()) as Int32Array);
    const tokens: number[] = [];
    for await (const t of model.generate(prompt, { maxNewTokens: 64, temperature: 0 })) tokens.push(t);
    expect(tokens).toEqual(Array.from((await test.greedy!.data()) as Int32Array));
    model.dispose();
  });
});

describe('llama2.c loader errors', () => {
  it('names a short file, a malformed header and a size mismatch', () => {
    expect(() => loadLlama2c(new Uint8Array(10))).toThrow(/shorter than the 28-byte header/);
    const header = (vals: number[]): Uint8Array => new Uint8Array(new Int32Array(vals).buffer);
    expect(() => readLlama2cHeader(header([64, 172, 5, 8, 3, 512, 512]))).toThrow(/n_kv_heads/);
    expect(() => readLlama2cHeader(header([64, 172, 0, 8, 4, 512, 512]))).toThrow(/n_layers = 0/);
    expect(() => loadLlama2c(header([8, 16, 1, 2, 2, 10, 4]))).toThrow(/implies \d+ bytes, the file has 28/);
  });
});

describe('generation (streaming, batched, sampling options)', () => {
  const config = { vocabSize: 24, hiddenSize: 16, intermediateSize: 24, numHiddenLayers: 2, numAttentionHeads: 4, numKeyValueHeads: 2, maxPositionEmbeddings: 32 };

  /** Greedy decoding by full forwards (no cache), applying the repetition penalty by hand. */
  async function referenceGreedy(model: LlamaForCausalLM, prompt: number[], n: number, penalty = 1): Promise<number[]> {
    const seq = [...prompt];
    for (let i = 0; i < n; i++) {
      const logits = torch.noGrad(() => model.forward(torch.tensor([seq], { dtype: 'int32' })));
      const row = ((await logits.data()) as Float32Array).slice((seq.length - 1) * config.vocabSize, seq.length * config.vocabSize);
      logits.dispose();
      for (const t of new Set(seq)) row[t] = row[t]! > 0 ? row[t]! / penalty : row[t]! * penalty;
      seq.push(row.indexOf(Math.max(...row)));
    }
    return seq.slice(prompt.length);
  }

  const collect = async (it: AsyncIterable<number>): Promise<number[]> => {
    const out: number[] = [];
    for await (const t of it) out.push(t);
    return out;
  };

  it('greedy streaming equals the argmax of a full forward at every step, with and without a repetition penalty', async () => {
    torch.manualSeed(3);
    const model = new LlamaForCausalLM(config);
    for (const p of model.parameters()) torch.noGrad(() => p.mul_(20)); // peaked logits: no near-ties
    const prompt = [1, 7, 3, 7, 9];
    expect(await collect(model.generate(prompt, { maxNewTokens: 12, temperature: 0 }))).toEqual(await referenceGreedy(model, prompt, 12));
    expect(await collect(model.generate(prompt, { maxNewTokens: 12, temperature: 0, repetitionPenalty: 1.5 }))).toEqual(await referenceGreedy(model, prompt, 12, 1.5));
    model.dispose();
  });

  it('a batch of left-padded prompts gives each prompt its own greedy tokens', async () => {
    torch.manualSeed(4);
    const model = new LlamaForCausalLM(config);
    for (const p of model.parameters()) torch.noGrad(() => p.mul_(20));
    const prompts = [[1, 2, 3, 4, 5, 6], [1, 9], [1, 4, 4, 8]];
    const batch = await model.generateBatch(prompts, { maxNewTokens: 6, temperature: 0 });
    for (let b = 0; b < prompts.length; b++) expect(batch[b]).toEqual(await referenceGreedy(model, prompts[b]!, 6));
    model.dispose();
  });

  it('seeded sampling is reproducible, stops at a stop token, and stays within maxLength', async () => {
    torch.manualSeed(5);
    const model = new LlamaForCausalLM(config);
    const opts = { maxNewTokens: 10, temperature: 1.2, topK: 10, topP: 0.9, seed: 42 };
    const a = await collect(model.generate([1, 2], opts));
    expect(await collect(model.generate([1, 2], opts))).toEqual(a);
    expect(a.length).toBe(10);
    const stopAt = a[3]!;
    const stopped = await collect(model.generate([1, 2], { ...opts, stop: [stopAt] }));
    expect(stopped).toEqual(a.slice(0, a.indexOf(stopAt) + 1));
    expect((await collect(model.generate(new Array(30).fill(1), { maxNewTokens: 10, temperature: 0 }))).length).toBe(2); // 32 positions in all
    model.dispose();
  });

  it('rejects unknown options (naming the camelCase spelling) and bad prompts', async () => {
    const model = new LlamaForCausalLM(config);
    await expect(collect(model.generate([1], { max_new_tokens: 5 } as never))).rejects.toThrow(/unknown option 'max_new_tokens' \(did you mean maxNewTokens\?\)/);
    await expect(collect(model.generate([], { maxNewTokens: 5 }))).rejects.toThrow(/non-empty array/);
    await expect(model.generateBatch([[1], [2.5]], { maxNewTokens: 1 })).rejects.toThrow(/token ids/);
    await expect(collect(model.generate([1], { maxNewTokens: 2, topP: 0 }))).rejects.toThrow(/topP must be in \(0, 1\]/);
    model.dispose();
  });
});
