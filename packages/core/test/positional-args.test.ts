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

describe('joining, softmax and clamp take dim / bounds positionally or as options', () => {
  it('cat, stack, split, chunk, unbind', async () => {
    const a = torch.tensor([[1, 2]]), b = torch.tensor([[3, 4]]);
    expect(await torch.cat([a, b], { dim: 1 }).tolist()).toEqual([[1, 2, 3, 4]]);
    expect(await torch.cat([a, b], 1).tolist()).toEqual([[1, 2, 3, 4]]);
    expect(await torch.cat([a, b]).tolist()).toEqual([[1, 2], [3, 4]]);
    expect(torch.stack([a, b], { dim: 1 }).shape).toEqual([1, 2, 2]);
    expect(x().split(2, { dim: 1 }).map((t) => t.shape)).toEqual([[2, 2], [2, 2]]);
    expect(x().chunk(2, 1).map((t) => t.shape)).toEqual([[2, 2], [2, 2]]);
    expect(x().unbind({ dim: 1 }).length).toBe(4);
    expect(() => torch.cat([a, b], { dims: 1 } as never)).toThrow("cat: unknown option 'dims'; did you mean dim?");
    expect(() => torch.cat([a, b], 0.5)).toThrow('cat: dim must be an integer, got 0.5');
  });
  it('softmax and logSoftmax', async () => {
    const s = (await torch.softmax(torch.tensor([0, Math.log(3)]), { dim: 0 }).tolist()) as number[];
    expect(s[0]).toBeCloseTo(0.25, 6);
    expect(await torch.softmax(torch.tensor([[0, 0]]), -1).tolist()).toEqual([[0.5, 0.5]]);
    expect(await torch.logSoftmax(torch.tensor([[0, 0]]), { dim: 1 }).tolist()).toEqual([[-Math.fround(Math.LN2), -Math.fround(Math.LN2)]]);
    expect(() => (torch.softmax as (x: unknown) => unknown)(torch.tensor([1]))).toThrow('softmax: missing the dim argument');
  });
  it('clamp', async () => {
    const v = torch.tensor([-2, 0.5, 3]);
    expect(await torch.clamp(v, { min: 0, max: 1 }).tolist()).toEqual([0, 0.5, 1]);
    expect(await v.clamp({ max: 1 }).tolist()).toEqual([-2, 0.5, 1]);
    expect(await v.clamp(0).tolist()).toEqual([0, 0.5, 3]);
    expect(await v.clamp(null, 0).tolist()).toEqual([-2, 0, 0]);
    expect(() => v.clamp({ minimum: 0 } as never)).toThrow("clamp: unknown option 'minimum'; did you mean min?");
    expect(() => v.clamp('0' as never)).toThrow("clamp: min must be a number, got '0'");
  });
});

describe('creation takes sizes as varargs or a list and checks integer ranges', () => {
  it('zeros, ones, empty, rand, randn, randint', async () => {
    expect(torch.zeros(2, 3).shape).toEqual([2, 3]);
    expect(torch.zeros([2, 3]).shape).toEqual([2, 3]);
    expect(torch.zeros(4).shape).toEqual([4]);
    expect(torch.zeros([]).shape).toEqual([]);
    expect(torch.ones(2, 3, { dtype: 'int32' }).dtype).toBe('int32');
    expect(torch.empty(1, 2).shape).toEqual([1, 2]);
    expect(torch.rand(2, 3).shape).toEqual([2, 3]);
    const r = torch.randn(2, 2, { requiresGrad: true });
    expect(r.shape).toEqual([2, 2]);
    expect(r.requiresGrad).toBe(true);
    const k = torch.randint(10, [50]);
    expect(k.shape).toEqual([50]);
    expect(((await k.tolist()) as number[]).every((v) => v >= 0 && v < 10)).toBe(true);
    expect(() => torch.zeros(2, { requires_grad: true } as never)).toThrow("zeros: unknown option 'requires_grad'; did you mean requiresGrad?");
    expect(() => torch.zeros(2, -3)).toThrow('zeros: shape must contain non-negative integers, got [2, -3]');
    expect(() => torch.randn([2, 3], { device: 'cuda' } as never)).toThrow("randn: unknown option 'device' (known options: dtype, backend, requiresGrad)");
  });
  it('integer overflow throws as in PyTorch', () => {
    expect(() => torch.tensor([2 ** 32 + 5], { dtype: 'int32' })).toThrow('tensor: value 4294967301 cannot be converted to type int32 without overflow');
    expect(() => torch.arange(2 ** 31 - 2, 2 ** 31 + 2)).toThrow('arange: value 2147483649 cannot be converted to type int32 without overflow');
    expect(torch.arange(2 ** 31 - 2, 2 ** 31 + 2, { dtype: 'float32' }).shape).toEqual([4]);
    expect(torch.tensor([2 ** 31 - 1, -(2 ** 31)], { dtype: 'int32' }).dataSync()).toEqual(Int32Array.from([2 ** 31 - 1, -(2 ** 31)]));
    expect(Array.from(torch.tensor([1.7, -1.7], { dtype: 'int32' }).dataSync())).toEqual([1, -1]);
  });
  it('arange takes options last', async () => {
    expect(torch.arange(3, { dtype: 'float32' }).dtype).toBe('float32');
    expect(await torch.arange(1, 7, 2, { dtype: 'float32' }).tolist()).toEqual([1, 3, 5]);
    expect(await torch.arange(2, 5).tolist()).toEqual([2, 3, 4]);
  });
});
