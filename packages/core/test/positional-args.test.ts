// PyTorch's positional argument order and the options object give the same results
// (values checked against PyTorch 1.13 by hand: x = arange(8).reshape(2, 4)).
import { beforeAll, describe, expect, it } from 'vitest';
import * as torch from '../src/index.ts';
import { createReferenceBackend } from './reference-backend.ts';

beforeAll(async () => {
  torch.registerBackend('reference', () => createReferenceBackend());
  await torch.setBackend('reference');
});

const x = () => torch.arange(8).reshape(2, 4).float();

describe('reductions take dim and keepdim positionally', () => {
  it('sum, mean, prod, amax, logsumexp, all, any', async () => {
    expect(await x().sum(1).tolist()).toEqual([6, 22]);
    expect(await torch.sum(x(), 1).tolist()).toEqual([6, 22]);
    expect(await x().sum(1, true).tolist()).toEqual([[6], [22]]);
    expect(await x().sum([0, 1]).tolist()).toBe(28);
    expect(await x().sum(1, { keepdim: true }).tolist()).toEqual([[6], [22]]);
    expect(await x().sum({ dim: 0 }).tolist()).toEqual([4, 6, 8, 10]);
    expect(await x().mean(1).tolist()).toEqual([1.5, 5.5]);
    expect(await torch.mean(x(), -1, true).tolist()).toEqual([[1.5], [5.5]]);
    expect(await x().add(1).prod(1).tolist()).toEqual([24, 1680]);
    expect(await x().amax(0).tolist()).toEqual([4, 5, 6, 7]);
    expect(await x().amin(1, true).tolist()).toEqual([[0], [4]]);
    expect(await x().gt(2).all(1).tolist()).toEqual([false, true]);
    expect(await x().gt(2).any(1).tolist()).toEqual([true, true]);
    const l = (await torch.logsumexp(x(), 1).tolist()) as number[];
    expect(l[0]).toBeCloseTo(3.4401897, 5);
  });
  it('argmax and max(x, dim) with values and indices', async () => {
    expect(await x().argmax(1).tolist()).toEqual([3, 3]);
    expect(await torch.argmax(x(), 0, true).tolist()).toEqual([[1, 1, 1, 1]]);
    expect(await x().argmax().tolist()).toBe(7);
    const [values, indices] = torch.max(x(), 1);
    expect(await values.tolist()).toEqual([3, 7]);
    expect(await indices.tolist()).toEqual([3, 3]);
    const r = x().min(1, true);
    expect(await r.values.tolist()).toEqual([[0], [4]]);
    expect(await r.indices.tolist()).toEqual([[0], [0]]);
    expect(await torch.max(x()).tolist()).toBe(7);
    // torch.max(a, b) is the element-wise maximum.
    expect(await torch.max(torch.tensor([1, 5]), torch.tensor([3, 2])).tolist()).toEqual([3, 5]);
  });
  it('var and std in PyTorch order (dim, unbiased, keepdim)', async () => {
    expect(await x().var(1).tolist()).toEqual([5 / 3, 5 / 3].map(Math.fround));
    expect(await x().var(1, false).tolist()).toEqual([1.25, 1.25]);
    expect(await x().var(1, false, true).tolist()).toEqual([[1.25], [1.25]]);
    expect(await x().var(false).tolist()).toBe(5.25);
    expect(await x().std({ dim: 1, unbiased: false }).tolist()).toEqual([Math.fround(Math.sqrt(1.25)), Math.fround(Math.sqrt(1.25))]);
  });
  it('refuses bad arguments with clear errors', () => {
    expect(() => x().sum(1, 1 as unknown as boolean)).toThrow('sum: keepdim must be true or false, got 1');
    expect(() => x().sum({ dims: 1 } as never)).toThrow("sum: unknown option 'dims'; did you mean dim?");
    expect(() => x().sum({ keep_dim: true } as never)).toThrow('did you mean keepdim?');
    expect(() => x().sum('1' as never)).toThrow("sum: dim must be an integer or a list of integers, got '1'");
    expect(() => x().mean(1.5)).toThrow('mean: dim must be an integer, got 1.5');
    expect(() => x().max([0, 1] as never)).toThrow('max: dim must be a single integer');
    expect(() => (x().sum as (...a: unknown[]) => unknown).call(x(), 1, true, true)).toThrow('sum: takes at most 2 positional arguments (dim, keepdim), got 3');
  });
});
