/** scaledDotProductAttention, masks and MultiheadAttention: layouts, options and argument errors. Values are checked by the conformance suite. */
import '@torchlet/backend-wasm';
import '@torchlet/autograd';
import * as torch from '@torchlet/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { MultiheadAttention, generateSquareSubsequentMask, scaledDotProductAttention } from '../src/index.ts';

beforeAll(async () => {
  await torch.setBackend('wasm');
});

const close = (a: torch.Tensor, b: torch.Tensor, tol = 1e-5): void => {
  expect(a.shape).toEqual(b.shape);
  const x = a.dataSync(), y = b.dataSync();
  for (let i = 0; i < x.length; i++) expect(Math.abs(x[i]! - y[i]!)).toBeLessThan(tol);
};

describe('scaledDotProductAttention', () => {
  it('is softmax(Q K^T / sqrt(E) + mask) V', () => {
    const q = torch.randn([2, 3, 4]), k = torch.randn([2, 5, 4]), v = torch.randn([2, 5, 6]);
    const ref = torch.softmax(q.matmul(k.transpose(1, 2)).div(2), -1).matmul(v);
    close(scaledDotProductAttention(q, k, v), ref);
    const scaled = torch.softmax(q.matmul(k.transpose(1, 2)).mul(0.3), -1).matmul(v);
    close(scaledDotProductAttention(q, k, v, { scale: 0.3 }), scaled);
  });

  it('bool masks (true = masked), additive masks and isCausal agree', () => {
    const q = torch.randn([2, 4, 8]), k = torch.randn([2, 4, 8]), v = torch.randn([2, 4, 8]);
    const causalFloat = generateSquareSubsequentMask(4);
    const causalBool = causalFloat.eq(-Infinity);
    const a = scaledDotProductAttention(q, k, v, { attnMask: causalFloat });
    close(scaledDotProductAttention(q, k, v, { attnMask: causalBool }), a);
    close(scaledDotProductAttention(q, k, v, { isCausal: true }), a);
    // the first query sees only the first key
    close(a.select(1, 0), v.select(1, 0));
  });

  it('rejects masks that do not broadcast, naming both shapes', () => {
    const q = torch.randn([2, 4, 8]);
    expect(() => scaledDotProductAttention(q, q, q, { attnMask: torch.zeros([3, 4]) })).toThrow(/attnMask of shape \[3, 4\] does not broadcast to the attention scores' shape \[2, 4, 4\]/);
    expect(() => scaledDotProductAttention(q, torch.randn([2, 4, 7]), q)).toThrow(/same last dim.*\[2, 4, 8\].*\[2, 4, 7\]/);
    expect(() => scaledDotProductAttention(q, q, q, { isCausal: true, attnMask: torch.zeros([4, 4]) })).toThrow(/not both/);
  });
});

describe('generateSquareSubsequentMask', () => {
  it('is -inf above the diagonal and 0 elsewhere', async () => {
    await expect(generateSquareSubsequentMask(3).tolist()).resolves.toEqual([
      [0, -Infinity, -Infinity],
      [0, 0, -Infinity],
      [0, 0, 0],
    ]);
  });
});

describe('MultiheadAttention', () => {
  it("has PyTorch's parameters, layout and init", () => {
    const mha = new MultiheadAttention(8, 2);
    const sd = mha.stateDict();
    expect(Object.entries(sd).map(([k, t]) => [k, t.shape])).toEqual([
      ['in_proj_weight', [24, 8]],
      ['in_proj_bias', [24]],
      ['out_proj.weight', [8, 8]],
      ['out_proj.bias', [8]],
    ]);
    expect(Array.from(sd.in_proj_bias!.dataSync()).every((x) => x === 0)).toBe(true);
    expect(Array.from(sd['out_proj.bias']!.dataSync()).every((x) => x === 0)).toBe(true);
    const bound = Math.sqrt(6 / (8 + 24)); // xavier-uniform of (3E, E)
    expect(Math.max(...Array.from(sd.in_proj_weight!.dataSync()).map(Math.abs))).toBeLessThanOrEqual(bound);
    const kv = new MultiheadAttention(8, 2, { kdim: 5, vdim: 3, bias: false });
    expect(Object.entries(kv.stateDict()).map(([k, t]) => [k, t.shape])).toEqual([
      ['q_proj_weight', [8, 8]],
      ['k_proj_weight', [8, 5]],
      ['v_proj_weight', [8, 3]],
      ['out_proj.weight', [8, 8]],
    ]);
  });

  it('rejects an embedDim not divisible by numHeads', () => {
    expect(() => new MultiheadAttention(10, 3)).toThrow(/embedDim must be divisible by numHeads, got embedDim=10 and numHeads=3/);
  });

  it('returns batch-major weights, averaged or per head, or null', () => {
    const mha = new MultiheadAttention(8, 2);
    const q = torch.randn([4, 2, 8]), kv = torch.randn([5, 2, 8]); // (L, N, E), (S, N, E)
    const [o, w] = mha.forward(q, kv, kv);
    expect(o.shape).toEqual([4, 2, 8]);
    expect(w!.shape).toEqual([2, 4, 5]);
    const [, wh] = mha.forward(q, kv, kv, { averageAttnWeights: false });
    expect(wh!.shape).toEqual([2, 2, 4, 5]);
    close(wh!.mean({ dim: 1 }), w!);
    const [o2, none] = mha.forward(q, kv, kv, { needWeights: false });
    expect(none).toBeNull();
    close(o2, o);
    // weights rows sum to 1
    close(w!.sum({ dim: -1 }), torch.ones([2, 4]));
  });

  it('batchFirst is the same network on transposed inputs', () => {
    const a = new MultiheadAttention(8, 4);
    const b = new MultiheadAttention(8, 4, { batchFirst: true });
    b.loadStateDict(a.stateDict());
    const q = torch.randn([3, 2, 8]), k = torch.randn([6, 2, 8]);
    const kpm = torch.tensor([[0, 0, 0, 0, 1, 1], [0, 0, 0, 0, 0, 0]], { dtype: 'bool' });
    const [oa, wa] = a.forward(q, k, k, { keyPaddingMask: kpm });
    const [ob, wb] = b.forward(q.transpose(0, 1), k.transpose(0, 1), k.transpose(0, 1), { keyPaddingMask: kpm });
    close(ob.transpose(0, 1).contiguous(), oa);
    close(wb!, wa!);
    // padded keys get zero weight
    expect(Array.from(wa!.select(0, 0).narrow(1, 4, 2).contiguous().dataSync()).every((x) => x === 0)).toBe(true);
  });

  it('accepts unbatched (L, E) inputs', () => {
    const mha = new MultiheadAttention(8, 2);
    const q = torch.randn([4, 8]), k = torch.randn([5, 8]);
    const [o, w] = mha.forward(q, k, k, { attnMask: torch.zeros([4, 5]) });
    expect(o.shape).toEqual([4, 8]);
    expect(w!.shape).toEqual([4, 5]);
    const [ob] = mha.forward(q.unsqueeze(1), k.unsqueeze(1), k.unsqueeze(1));
    close(o, ob.squeeze(1));
  });

  it('rejects wrong input and mask shapes, naming both shapes', () => {
    const mha = new MultiheadAttention(8, 2, { batchFirst: true });
    const x = torch.randn([2, 4, 8]);
    expect(() => mha.forward(torch.randn([2, 4, 6]), x, x)).toThrow(/was expecting query embedding dimension of 8, but got query of shape \[2, 4, 6\]/);
    expect(() => mha.forward(x, x, torch.randn([2, 3, 8]))).toThrow(/key and value must have the same sequence length, got key \[2, 4, 8\] and value \[2, 3, 8\]/);
    expect(() => mha.forward(x, x, x, { attnMask: torch.zeros([4, 3]) })).toThrow(/The shape of the 2D attnMask is \[4, 3\], but should be \[4, 4\]/);
    expect(() => mha.forward(x, x, x, { attnMask: torch.zeros([2, 4, 4]) })).toThrow(/The shape of the 3D attnMask is \[2, 4, 4\], but should be \[4, 4, 4\]/);
    expect(() => mha.forward(x, x, x, { keyPaddingMask: torch.zeros([4, 2], { dtype: 'bool' }) })).toThrow(/expected keyPaddingMask of shape \[2, 4\] \(N, S\), but got \[4, 2\]/);
    expect(() => mha.forward(x, x, x, { attnMask: torch.zeros([4, 4], { dtype: 'int32' }) })).toThrow(/only bool and float32 attnMask/);
    expect(() => mha.forward(x, torch.randn([3, 4, 8]), torch.randn([3, 4, 8]))).toThrow(/same batch size/);
  });
});
