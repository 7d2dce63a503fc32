/** scatterAdd_: PyTorch's in-place scatter_add_, the write at tensor-held indices of a static key/value cache. */
import '@torchlet/backend-wasm';
import '@torchlet/autograd';
import * as torch from '../src/index.ts';
import { beforeAll, describe, expect, it } from 'vitest';

beforeAll(async () => {
  await torch.setBackend('wasm');
});

describe('scatterAdd_', () => {
  it('adds into the tensor itself (strided index and src views, repeated indices accumulate), as the out-of-place form', () => {
    const x = torch.arange(12, { dtype: 'float32' }).reshape([3, 4]);
    const index = torch.tensor([[0, 3, 0]], { dtype: 'int32' }).expand([3, 3]); // stride 0 across rows
    const src = torch.arange(18, { dtype: 'float32' }).reshape([3, 6]).narrow(1, 1, 3); // strided
    const want = x.scatterAdd(1, index, src);
    const storage = x.storage;
    expect(x.scatterAdd_(1, index, src)).toBe(x);
    expect(x.storage).toBe(storage);
    expect(Array.from(x.dataSync())).toEqual(Array.from(want.dataSync()));
    expect(Array.from(x.dataSync())).toEqual([4, 1, 2, 5, 20, 5, 6, 15, 36, 9, 10, 25]);
  });

  it('writes one position of a (B, heads, capacity, head size) buffer at a position held in a tensor', () => {
    const buf = torch.zeros([1, 2, 5, 3]);
    const k = torch.ones([1, 2, 1, 3]).mul(7);
    const at = torch.tensor([2], { dtype: 'int32' }).view(1, 1, 1, 1).expand([1, 2, 1, 3]);
    buf.scatterAdd_(2, at, k);
    expect(Array.from(buf.sum({ dim: [0, 1, 3] }).dataSync())).toEqual([0, 0, 42, 0, 0]);
  });

  it('refuses a tensor that requires grad, a src of another dtype, mismatched shapes and an out-of-range index', () => {
    const idx = torch.tensor([0], { dtype: 'int32' });
    expect(() => torch.zeros([2], { requiresGrad: true }).scatterAdd_(0, idx, torch.ones([1]))).toThrow(/leaf Variable that requires grad/);
    expect(() => torch.zeros([2]).scatterAdd_(0, idx, torch.ones([1], { requiresGrad: true }))).toThrow(/src requires grad/);
    expect(() => torch.zeros([2]).scatterAdd_(0, idx, torch.ones([1], { dtype: 'int32' }))).toThrow(/src must have the input's dtype float32, got int32/);
    expect(() => torch.zeros([2]).scatterAdd_(0, idx, torch.ones([2]))).toThrow(/index \[1\] and src \[2\] must have the same shape/);
    expect(() => torch.zeros([2]).scatterAdd_(0, torch.tensor([5], { dtype: 'int32' }), torch.ones([1]))).toThrow(/index 5 is out of bounds for dimension 0 with size 2/);
    expect(() => torch.zeros([1]).expand([3]).scatterAdd_(0, idx, torch.ones([1]))).toThrow(/expanded tensor/);
  });
});
