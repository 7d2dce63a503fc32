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

  it('update writes at tensor-held positions into reserved buffers: the buffers equal the appended keys, zeros after', () => {
    torch.manualSeed(1);
    const kv = new LayerKV();
    const ks = [torch.randn([1, 2, 3, 4])], vs = [torch.randn([1, 2, 3, 4])];
    torch.noGrad(() => kv.append(ks[0]!, vs[0]!));
    expect(() => kv.update(ks[0]!.narrow(2, 0, 1), vs[0]!.narrow(2, 0, 1), torch.tensor([3], { dtype: 'int32' }))).toThrow(/do not fit the capacity 3; reserve more/);
    kv.reserve(6);
    expect(kv.capacity).toBe(6);
    expect(kv.length).toBe(3);
    for (let p = 3; p < 5; p++) {
      const k = torch.randn([1, 2, 1, 4]), v = torch.randn([1, 2, 1, 4]);
      ks.push(k);
      vs.push(v);
      const [kb, vb] = torch.noGrad(() => kv.update(k, v, torch.tensor([p], { dtype: 'int32' })));
      kv.advance(1);
      expect(kb.shape).toEqual([1, 2, 6, 4]);
      const pad = torch.zeros([1, 2, 6 - p - 1, 4]);
      expect(Array.from(kb.dataSync())).toEqual(Array.from(torch.cat([...ks, pad], 2).dataSync()));
      expect(Array.from(vb.dataSync())).toEqual(Array.from(torch.cat([...vs, pad], 2).dataSync()));
    }
    expect(Array.from(kv.k!.dataSync())).toEqual(Array.from(torch.cat(ks, 2).dataSync()));
    expect(() => kv.advance(2)).toThrow(/5 \+ 2 positions exceed the capacity 6/);
    expect(() => kv.update(ks[1]!, vs[1]!, torch.tensor([5]))).toThrow(/cachePosition must be an int32 tensor of shape \(T,\) = \[1\]/);
    kv.dispose();
    expect(kv.capacity).toBe(0);
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
    cache.reserve(16); // new buffers and the key positions 0..15
    expect(cache.keyPositions!.shape).toEqual([16]);
    cache.dispose();
    expect(torch.memory().tensors).toBe(before);
  });
});
