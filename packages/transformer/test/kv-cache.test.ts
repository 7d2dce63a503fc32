/** The key/value cache: in-place appends into growing buffers equal concatenation, the differentiable path, errors and freeing. */
import '@torchlet/backend-wasm';
import '@torchlet/autograd';
import * as torch from '@torchlet/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { KVCache, LayerKV } from '../src/index.ts';

beforeAll(async () => {
  await torch.setBackend('wasm');
});

describe('LayerKV', () => {
  it('appends in place: the cached keys and values are exactly the concatenation of every step, across buffer growth', () => {
    torch.manualSeed(0);
    const kv = new LayerKV();
    const ks: torch.Tensor[] = [], vs: torch.Tensor[] = [];
    // A prompt of 5, then single tokens: the buffer grows from 5 to 10 to 20 positions.
    for (const T of [5, 1, 1, 1, 1, 1, 1, 3, 1]) {
      const k = torch.randn([2, 3, T, 4]), v = torch.randn([2, 3, T, 6]);
      ks.push(k);
      vs.push(v);
      const [ck, cv] = torch.noGrad(() => kv.append(k, v));
      expect(Array.from(ck.dataSync())).toEqual(Array.from(torch.cat(ks, 2).dataSync()));
      expect(Array.from(cv.dataSync())).toEqual(Array.from(torch.cat(vs, 2).dataSync()));
    }
    expect(kv.length).toBe(15);
    expect(kv.k!.shape).toEqual([2, 3, 15, 4]);
    kv.dispose();
    expect(kv.length).toBe(0);
  });

  it('concatenates when gradients flow through the new keys, so the cache stays differentiable', () => {
    const kv = new LayerKV();
    torch.noGrad(() => kv.append(torch.ones([1, 1, 2, 2]), torch.ones([1, 1, 2, 2])));
    const k = torch.full([1, 1, 1, 2], 2, { requiresGrad: true }), v = torch.full([1, 1, 1, 2], 3, { requiresGrad: true });
    const [ck, cv] = kv.append(k, v);
    ck.mul(cv).sum().backward();
    expect(Array.from(k.grad!.dataSync())).toEqual([3, 3]);
    expect(Array.from(v.grad!.dataSync())).toEqual([2, 2]);
    expect(Array.from(ck.dataSync())).toEqual([1, 1, 1, 1, 2, 2]);
    kv.dispose();
  });

  it('rejects keys that do not continue the cache, naming the shapes', () => {
    const kv = new LayerKV();
    torch.noGrad(() => kv.append(torch.zeros([1, 2, 3, 4]), torch.zeros([1, 2, 3, 4])));
    expect(() => kv.append(torch.zeros([1, 3, 1, 4]), torch.zeros([1, 3, 1, 4]))).toThrow(/\[1, 3, 1, 4\] do not continue the cached \[1, 2, 3, 4\]/);
    expect(() => kv.append(torch.zeros([2, 4]) as torch.Tensor, torch.zeros([2, 4]))).toThrow(/shape \(B, heads, T, head size\), got \[2, 4\]/);
    kv.dispose();
  });

  it('frees its buffers on dispose: no tensor outlives the cache', () => {
    const before = torch.memory().tensors;
    const cache = new KVCache(2);
    torch.noGrad(() =>
      torch.tidy(() => {
        for (let t = 0; t < 4; t++) for (let i = 0; i < 2; i++) cache.layer(i).append(torch.zeros([1, 2, 1, 4]), torch.zeros([1, 2, 1, 4]));
      }),
    );
    expect(cache.length).toBe(4);
    cache.dispose();
    expect(torch.memory().tensors).toBe(before);
  });
});
