// The synchronous forms and the errors of issue 12's ops (sort, scans, norms, closeness, ...);
// their values and gradients are checked against PyTorch by the conformance cases
// (ops_extra.json and cases/ops_new.json in packages/conformance).
import { beforeAll, describe, expect, it } from 'vitest';
import * as torch from '../src/index.ts';
import { createReferenceBackend } from './reference-backend.ts';

beforeAll(async () => {
  torch.registerBackend('reference', () => createReferenceBackend());
  torch.registerBackend('reference-async', () => {
    // The reference backend without its synchronous read, as WebGPU is.
    const b = createReferenceBackend('reference-async');
    const readSync = b.readSync!.bind(b);
    return Object.assign(b, { readSync: undefined, read: async (v: torch.View) => readSync(v) });
  });
  await torch.setBackend('reference');
});

describe('sorting', () => {
  it('sort gives values and indices, positionally or as options', async () => {
    const x = torch.tensor([3, 1, 2]);
    const [v, i] = torch.sort(x);
    expect(await v.tolist()).toEqual([1, 2, 3]);
    expect(await i.tolist()).toEqual([1, 2, 0]);
    expect(await x.sort(0, true).values.tolist()).toEqual([3, 2, 1]);
    expect(await x.argsort({ descending: true }).tolist()).toEqual([0, 2, 1]);
    expect(await x.topk(2).indices.tolist()).toEqual([0, 2]);
  });
  it('refuses unknown options and bad k', () => {
    const x = torch.tensor([3, 1, 2]);
    expect(() => torch.sort(x, { decending: true } as never)).toThrow(/unknown option 'decending'; did you mean descending/);
    expect(() => torch.topk(x, 4)).toThrow(/k \(4\) is larger than the size 3/);
    expect(() => torch.kthvalue(x, 0)).toThrow(/k must be a positive integer/);
  });
  it('refuses a sort too large for the pairwise method instead of exhausting memory', () => {
    const big = torch.zeros(2 ** 14 + 1);
    expect(() => torch.sort(big)).toThrow(/more than the 134217728 this pairwise sort allows/);
  });
});

describe('scans', () => {
  it('cumsum of int32 stays int32 and needs a dim', async () => {
    const x = torch.tensor([1, 2, 3], { dtype: 'int32' });
    const c = torch.cumsum(x, 0);
    expect(c.dtype).toBe('int32');
    expect(await c.tolist()).toEqual([1, 3, 6]);
    expect(() => torch.cumsum(x, undefined as never)).toThrow(/missing the dim/);
  });
});

describe('norms and closeness', () => {
  it('allclose and equal answer synchronously where the backend can read so', () => {
    const a = torch.tensor([1, 2, 3]);
    expect(torch.allclose(a, a.add(1e-7))).toBe(true);
    expect(torch.allclose(a, a.add(1e-3))).toBe(false);
    expect(torch.allclose(a, a.add(1e-3), 1e-2)).toBe(true);
    expect(torch.equal(a, a.clone())).toBe(true);
    expect(torch.equal(a, a.reshape([3, 1]))).toBe(false);
  });
  it('the synchronous forms name the async ones on a backend without synchronous reads', async () => {
    await torch.setBackend('reference-async');
    try {
      const a = torch.tensor([1, 2]);
      expect(() => torch.allclose(a, a)).toThrow(/use `await torch.allcloseAsync/);
      expect(await torch.allcloseAsync(a, a)).toBe(true);
      expect(await torch.equalAsync(a, a)).toBe(true);
    } finally {
      await torch.setBackend('reference');
    }
  });
  it('SVD norms throw, naming what is supported', () => {
    const a = torch.ones(2, 2);
    expect(() => torch.linalg.matrixNorm(a, 2)).toThrow(/ord 2 is not supported.*SVD/);
    expect(() => torch.norm(a, 'nuc' as never)).toThrow(/nuc/);
    expect(() => torch.linalg.vectorNorm(a, { ord: 2, dims: 1 } as never)).toThrow(/did you mean dim/);
  });
});

describe('arrangement, products, scatter', () => {
  it('T, mT and movedim are views with PyTorch shapes', () => {
    const x = torch.zeros(2, 3, 4);
    expect(x.T.shape).toEqual([4, 3, 2]);
    expect(x.mT.shape).toEqual([2, 4, 3]);
    expect(x.movedim(0, -1).shape).toEqual([3, 4, 2]);
    expect(() => torch.zeros(3).mT).toThrow(/only supported on matrices/);
  });
  it('roll, rot90, tile, diag by hand-checked values', async () => {
    expect(await torch.roll(torch.tensor([1, 2, 3, 4]), 1).tolist()).toEqual([4, 1, 2, 3]);
    expect(await torch.rot90(torch.tensor([[1, 2], [3, 4]])).tolist()).toEqual([[2, 4], [1, 3]]);
    expect(await torch.tile(torch.tensor([1, 2]), [2]).tolist()).toEqual([1, 2, 1, 2]);
    expect(await torch.diag(torch.tensor([1, 2]), 1).tolist()).toEqual([[0, 1, 0], [0, 0, 2], [0, 0, 0]]);
    expect(await torch.triuIndices(3, 3, 1).tolist()).toEqual([[0, 0, 1], [1, 2, 2]]);
  });
  it('scatter and friends refuse bad arguments by name', () => {
    const x = torch.zeros(2, 3);
    const idx = torch.tensor([[0, 1]], { dtype: 'int32' });
    expect(() => torch.scatter(x, 1, idx, 1, { reduce: 'mean' as never })).toThrow(/reduce must be one of 'add', 'multiply'/);
    expect(() => torch.scatterReduce(x, 1, idx, torch.ones(1, 2), 'max' as never)).toThrow(/reduce must be one of/);
    expect(() => torch.scatter(x, 1, idx.float(), 1)).toThrow(/index of dtype int32/);
    expect(() => torch.addmm(x, x, x.T, 0.5 as never)).toThrow(/keyword-only/);
    expect(() => torch.cross(torch.zeros(2, 4), torch.zeros(2, 4))).toThrow(/no dimension of size 3/);
  });
});

describe('data-dependent shapes', () => {
  it('nonzero, maskedSelect, unique, bincount, repeatInterleave read synchronously on wasm-like backends', async () => {
    const x = torch.tensor([[0, 3], [5, 0]]);
    expect(await torch.nonzero(x).tolist()).toEqual([[0, 1], [1, 0]]);
    const [r, c] = torch.nonzero(x, { asTuple: true });
    expect([await r!.tolist(), await c!.tolist()]).toEqual([[0, 1], [1, 0]]);
    expect(await torch.maskedSelect(x, x.gt(0)).tolist()).toEqual([3, 5]);
    const [u, inv, cnt] = torch.unique(torch.tensor([3, 1, 3]), { returnInverse: true, returnCounts: true }) as torch.Tensor[];
    expect([await u!.tolist(), await inv!.tolist(), await cnt!.tolist()]).toEqual([[1, 3], [1, 0, 1], [1, 2]]);
    expect(await torch.bincount(torch.tensor([0, 2, 2], { dtype: 'int32' })).tolist()).toEqual([1, 0, 2]);
    expect(await torch.repeatInterleave(torch.tensor([1, 2]), torch.tensor([2, 1], { dtype: 'int32' })).tolist()).toEqual([1, 1, 2]);
  });
  it('name the async form where the backend cannot read synchronously', async () => {
    await torch.setBackend('reference-async');
    try {
      const x = torch.tensor([0, 1]);
      expect(() => torch.nonzero(x)).toThrow(/use `await torch.nonzeroAsync/);
      expect(() => torch.unique(x)).toThrow(/use `await torch.uniqueAsync/);
      expect(await (await torch.nonzeroAsync(x)).tolist()).toEqual([[1]]);
    } finally {
      await torch.setBackend('reference');
    }
  });
  it('bincount refuses negative values', () => {
    expect(() => torch.bincount(torch.tensor([1, -1], { dtype: 'int32' }))).toThrow(/non-negative/);
  });
});

describe('einsum', () => {
  it('three operands and errors that name the problem', async () => {
    const a = torch.ones(2, 3), b = torch.ones(3, 4), c = torch.ones(4);
    expect(await torch.einsum('ij,jk,k->i', a, b, c).tolist()).toEqual([12, 12]);
    expect(() => torch.einsum('ij,jk->ik', a, a)).toThrow(/subscript j has size 2/);
    expect(() => torch.einsum('ij->ik', a)).toThrow(/output subscript k does not appear/);
    expect(() => torch.einsum('ij', a, b)).toThrow(/1 operand in the equation/);
  });
});

describe('indexing with at() and indexPut', () => {
  it('reads and writes as PyTorch, synchronously on wasm-like backends', async () => {
    const x = torch.arange(12).reshape(3, 4);
    expect(await x.at(':, 1:3').tolist()).toEqual([[1, 2], [5, 6], [9, 10]]);
    expect(await x.at('..., -1').tolist()).toEqual([3, 7, 11]);
    expect(await x.at([2, 0]).tolist()).toEqual([[8, 9, 10, 11], [0, 1, 2, 3]]);
    expect(await x.at(x.gt(9)).tolist()).toEqual([10, 11]);
    const y = x.clone();
    y.indexPut_([':, 0'], -1);
    expect(await y.at(':, 0').tolist()).toEqual([-1, -1, -1]);
    const z = torch.zeros(3).indexPut([[0, 0, 2]], torch.ones(3), { accumulate: true });
    expect(await z.tolist()).toEqual([2, 0, 1]);
  });
  it('refuses what PyTorch refuses, by name', () => {
    const x = torch.zeros(3, 4);
    expect(() => x.at(1.5)).toThrow(/only integers/);
    expect(() => x.at(torch.tensor([0.0, 1.0]))).toThrow(/must be int32.*float indices/);
    expect(() => x.at('0, 0, 0')).toThrow(/too many indices for tensor of dimension 2/);
    expect(() => x.at('::-1')).toThrow(/step must be greater than zero/);
    expect(() => x.at('1:a')).toThrow(/not an integer/);
    expect(() => x.at([5])).toThrow();
    expect(() => x.indexPut([':, 1:3'], torch.ones(3, 3))).toThrow(/cannot be broadcast to indexing result of shape \[3, 2\]/);
  });
});

describe('clipGradNorm_', () => {
  it('clips in place, returns the norm before clipping, and checks its arguments', async () => {
    const p = torch.zeros(2).requiresGrad_();
    p.grad = torch.tensor([3, 4]);
    const n = torch.clipGradNorm_([p], 1);
    expect(await n.item()).toBeCloseTo(5, 5);
    expect((await p.grad!.tolist()) as number[]).toEqual([expect.closeTo(0.6, 5), expect.closeTo(0.8, 5)]);
    expect(() => torch.clipGradNorm_([p], 1, { norm_type: 2 } as never)).toThrow(/did you mean normType/);
    p.grad = torch.tensor([Infinity, 1]);
    expect(() => torch.clipGradNorm_([p], 1, { errorIfNonfinite: true })).toThrow(/non-finite/);
  });
});
