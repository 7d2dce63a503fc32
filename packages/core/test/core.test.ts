import { beforeAll, describe, expect, it } from 'vitest';
import * as torch from '../src/index.ts';
import { createReferenceBackend } from './reference-backend.ts';

beforeAll(async () => {
  torch.registerBackend('reference', () => createReferenceBackend());
  await torch.setBackend('reference');
});

describe('creation and readback', () => {
  it('builds tensors from nested arrays', async () => {
    const x = torch.tensor([[1, 2, 3], [4, 5, 6]]);
    expect(x.shape).toEqual([2, 3]);
    expect(x.dtype).toBe('float32');
    expect(await x.tolist()).toEqual([[1, 2, 3], [4, 5, 6]]);
    expect(x.toString()).toBe('tensor([[1., 2., 3.],\n        [4., 5., 6.]])');
  });
  it('arange, linspace, eye', async () => {
    expect(Array.from(torch.arange(5).dataSync())).toEqual([0, 1, 2, 3, 4]);
    expect(torch.arange(5).dtype).toBe('int32');
    expect(Array.from(torch.arange(0, 1, 0.25).dataSync())).toEqual([0, 0.25, 0.5, 0.75]);
    expect(Array.from(torch.linspace(0, 1, 5).dataSync())).toEqual([0, 0.25, 0.5, 0.75, 1]);
    expect(await torch.eye(2, 3).tolist()).toEqual([[1, 0, 0], [0, 1, 0]]);
  });
  it('prints like PyTorch', () => {
    expect(torch.tensor([0.1, -1.25]).toString()).toBe('tensor([ 0.1000, -1.2500])');
    expect(torch.tensor(2.5).toString()).toBe('tensor(2.5000)');
    expect(torch.tensor([true, false]).toString()).toBe('tensor([ True, False])');
    expect(torch.tensor([1e-5, 1]).toString()).toBe('tensor([1.0000e-05, 1.0000e+00])');
  });
});

describe('views', () => {
  it('transpose, flip and slice share the buffer', async () => {
    const x = torch.arange(6).reshape([2, 3]);
    const before = torch.memory().buffers;
    const t = x.t();
    const f = x.flip(1);
    const s = x.slice(1, 0, null, 2);
    expect(torch.memory().buffers).toBe(before);
    expect(await t.tolist()).toEqual([[0, 3], [1, 4], [2, 5]]);
    expect(await f.tolist()).toEqual([[2, 1, 0], [5, 4, 3]]);
    expect(await s.tolist()).toEqual([[0, 2], [3, 5]]);
  });
  it('view refuses a non-viewable layout, reshape copies', () => {
    const x = torch.arange(6).reshape([2, 3]).t();
    expect(() => x.view([6])).toThrow(/view size is not compatible/);
    expect(Array.from(x.reshape([6]).dataSync())).toEqual([0, 3, 1, 4, 2, 5]);
  });
});

describe('ops', () => {
  it('broadcasts and promotes', async () => {
    const a = torch.tensor([[1], [2]], { dtype: 'int32' });
    const b = torch.tensor([0.5, 1.5]);
    const c = a.add(b);
    expect(c.dtype).toBe('float32');
    expect(await c.tolist()).toEqual([[1.5, 2.5], [2.5, 3.5]]);
    expect(a.add(1).dtype).toBe('int32');
    expect(a.mul(0.5).dtype).toBe('float32');
    expect(a.div(2).dtype).toBe('float32');
  });
  it('rejects mismatched shapes with both shapes', () => {
    expect(() => torch.ones([2, 3]).add(torch.ones([4]))).toThrow(/size of tensor a \(3\) must match the size of tensor b \(4\).*\[2, 3\] and \[4\]/);
    expect(() => torch.matmul(torch.ones([64, 784]), torch.ones([128, 10]))).toThrow('mat1 and mat2 shapes cannot be multiplied (64x784 and 128x10)');
  });
  it('reduces', async () => {
    const x = torch.tensor([[1, 5, 3], [4, 2, 6]]);
    expect(await x.sum().item()).toBe(21);
    expect(await x.sum({ dim: 1 }).tolist()).toEqual([9, 12]);
    const [v, i] = x.max({ dim: 1 });
    expect(await v.tolist()).toEqual([5, 6]);
    expect(await i.tolist()).toEqual([1, 2]);
    expect(await x.argmax().item()).toBe(5);
  });
});

describe('memory', () => {
  it('tidy frees temporaries and keeps the result', async () => {
    const start = torch.memory();
    const r = torch.tidy(() => torch.ones([4]).add(1).mul(3));
    expect(torch.memory().tensors).toBe(start.tensors + 1);
    expect(Array.from(r.dataSync())).toEqual([6, 6, 6, 6]);
    r.dispose();
    expect(torch.memory().tensors).toBe(start.tensors);
    expect(torch.memory().bytes).toBe(start.bytes);
  });
  it('throws on use after dispose', () => {
    const x = torch.ones([2]);
    x.dispose();
    expect(() => x.add(1)).toThrow(/disposed/);
  });
  it('using disposes at scope end', () => {
    const before = torch.memory().tensors;
    {
      using x = torch.ones([3]);
      expect(torch.memory().tensors).toBe(before + 1);
      void x;
    }
    expect(torch.memory().tensors).toBe(before);
  });
});

describe('random', () => {
  it('is repeatable under manualSeed', () => {
    torch.manualSeed(42);
    const a = torch.randn([5]).dataSync();
    torch.manualSeed(42);
    const b = torch.randn([5]).dataSync();
    expect(Array.from(a)).toEqual(Array.from(b));
  });
  it('philox matches the Random123 known answers', () => {
    const hex = (w: number[]) => w.map((x) => x.toString(16).padStart(8, '0')).join(' ');
    expect(hex(torch.philox4x32([0, 0, 0, 0], [0, 0]))).toBe('6627e8d5 e169c58d bc57ac4c 9b00dbd8');
    expect(hex(torch.philox4x32([0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff], [0xffffffff, 0xffffffff]))).toBe('408f276d 41c83b0e a20bc7c6 6d5451fd');
    expect(hex(torch.philox4x32([0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344], [0xa4093822, 0x299f31d0]))).toBe('d16cfe09 94fdcceb 5001e420 24126ea1');
  });
});

describe('unfold', () => {
  it('gives sliding windows as a view', async () => {
    const x = torch.arange(7);
    const w = x.unfold(0, 3, 2);
    expect(w.shape).toEqual([3, 3]);
    expect(await w.tolist()).toEqual([[0, 1, 2], [2, 3, 4], [4, 5, 6]]);
    const m = torch.arange(12).reshape([3, 4]).unfold(1, 2, 1);
    expect(await m.tolist()).toEqual([[[0, 1], [1, 2], [2, 3]], [[4, 5], [5, 6], [6, 7]], [[8, 9], [9, 10], [10, 11]]]);
    expect(() => x.unfold(0, 8, 1)).toThrow(/maximum size for tensor at dimension 0 is 7 but size is 8/);
  });
});
