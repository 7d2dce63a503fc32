import '@torchlet/backend-wasm';
import '@torchlet/autograd';
import { readFileSync, readdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as torch from '@torchlet/core';
import { saveSafetensors } from '@torchlet/nn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LlamaForCausalLM } from '../src/index.ts';
import { maxAbsDiff, readLlamaFixture } from './llama-fixture.ts';

const FOLDER = new URL('./fixtures/llama-tiny-hf-bf16/', import.meta.url);
const folderFiles = (): Record<string, Uint8Array<ArrayBuffer>> =>
  Object.fromEntries(readdirSync(FOLDER).map((n) => [n, new Uint8Array(readFileSync(new URL(n, FOLDER)))]));

let server: Server;
let baseUrl = '';
const ranges: string[] = [];

beforeAll(async () => {
  await torch.setBackend('wasm');
  // A static server for the folder that honours byte ranges, as the Hugging Face hub does.
  server = createServer((req, res) => {
    const name = decodeURIComponent(new URL(req.url!, 'http://x').pathname.split('/').pop()!);
    let body: Buffer;
    try {
      body = readFileSync(new URL(name, FOLDER));
    } catch {
      res.writeHead(404).end();
      return;
    }
    const m = /^bytes=(\d+)-(\d+)$/.exec(req.headers.range ?? '');
    if (!m) return void res.writeHead(200, { 'content-length': body.length }).end(body);
    ranges.push(`${name} ${m[1]}-${m[2]}`);
    const [a, b] = [Number(m[1]), Math.min(Number(m[2]), body.length - 1)];
    res.writeHead(206, { 'content-range': `bytes ${a}-${b}/${body.length}`, 'content-length': b - a + 1 }).end(body.subarray(a, b + 1));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/llama/`;
});

afterAll(() => new Promise<void>((r) => server.close(() => r())));

async function logitsDiff(model: LlamaForCausalLM, expectedKey: 'logits' | 'logits_bf16'): Promise<number> {
  const { test } = readLlamaFixture('llama-tiny.safetensors');
  const logits = model.forward(test.idx!);
  return maxAbsDiff((await logits.data()) as Float32Array, (await test[expectedKey]!.data()) as Float32Array);
}

describe('LlamaForCausalLM.fromPretrained (Hugging Face folders)', () => {
  it('reads a bfloat16 checkpoint in two shards from a directory, tensor by tensor', async () => {
    const model = await LlamaForCausalLM.fromPretrained(FOLDER.pathname);
    expect(model.config).toMatchObject({ hiddenSize: 32, numKeyValueHeads: 2, ropeStyle: 'half', tieWordEmbeddings: false });
    expect(await logitsDiff(model, 'logits_bf16')).toBeLessThan(1e-4);
    model.dispose();
  });

  it('reads the same folder over HTTP with byte ranges, and from File objects', async () => {
    ranges.length = 0;
    const viaUrl = await LlamaForCausalLM.fromPretrained(baseUrl);
    expect(await logitsDiff(viaUrl, 'logits_bf16')).toBeLessThan(1e-4);
    // One range per tensor after each shard's header: never the whole shard at once.
    expect(ranges.filter((r) => r.startsWith('model-00001')).length).toBeGreaterThan(5);
    viaUrl.dispose();
    const files = Object.entries(folderFiles()).map(([n, b]) => new File([b], n));
    const viaFiles = await LlamaForCausalLM.fromPretrained(files);
    expect(await logitsDiff(viaFiles, 'logits_bf16')).toBeLessThan(1e-4);
    viaFiles.dispose();
  });

  it('reads a single float32 model.safetensors', async () => {
    const { weights, metadata } = readLlamaFixture('llama-tiny.safetensors');
    const model = await LlamaForCausalLM.fromPretrained({ 'config.json': new TextEncoder().encode(metadata.config!), 'model.safetensors': await saveSafetensors(weights) });
    expect(await logitsDiff(model, 'logits')).toBeLessThan(1e-4);
    model.dispose();
  });

  it('names a missing config, a missing shard, an unknown key, a wrong shape and a missing key', async () => {
    const all = folderFiles();
    const without = (name: string): Record<string, Uint8Array> => Object.fromEntries(Object.entries(all).filter(([n]) => n !== name));
    await expect(LlamaForCausalLM.fromPretrained(without('config.json'))).rejects.toThrow(/no config\.json/);
    await expect(LlamaForCausalLM.fromPretrained(without('model-00002-of-00002.safetensors'))).rejects.toThrow(/shard model-00002-of-00002\.safetensors \(listed in model\.safetensors\.index\.json\) is missing/);
    await expect(LlamaForCausalLM.fromPretrained({ 'config.json': all['config.json']! })).rejects.toThrow(/no model\.safetensors or model\.safetensors\.index\.json/);
    const { weights, metadata } = readLlamaFixture('llama-tiny.safetensors');
    const config = new TextEncoder().encode(metadata.config!);
    const extra = await saveSafetensors({ ...weights, 'model.layers.9.mlp.up_proj.weight': torch.zeros([2, 2]) });
    await expect(LlamaForCausalLM.fromPretrained({ 'config.json': config, 'model.safetensors': extra })).rejects.toThrow(/"model\.layers\.9\.mlp\.up_proj\.weight", which the LlamaForCausalLM has no parameter/);
    const wrong = await saveSafetensors({ ...weights, 'model.norm.weight': torch.ones([31]) });
    await expect(LlamaForCausalLM.fromPretrained({ 'config.json': config, 'model.safetensors': wrong })).rejects.toThrow(/"model\.norm\.weight" has shape \[31\], the model's model\.norm\.weight is \[32\]/);
    const { ['model.norm.weight']: _dropped, ...fewer } = weights;
    const short = await saveSafetensors(fewer);
    await expect(LlamaForCausalLM.fromPretrained({ 'config.json': config, 'model.safetensors': short })).rejects.toThrow(/no value for 1 of the model's keys: model\.norm\.weight/);
    const gpt2 = new TextEncoder().encode(JSON.stringify({ model_type: 'gpt2' }));
    await expect(LlamaForCausalLM.fromPretrained({ 'config.json': gpt2, 'model.safetensors': short })).rejects.toThrow(/unsupported model_type 'gpt2'/);
  });
});
