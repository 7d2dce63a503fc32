/**
 * The op table's public surface: a function and a Tensor method for every unary primitive, the
 * binary and composite methods, and div's rounding-mode argument checked at run time. Values are
 * PyTorch 1.13.1's (the kernels themselves are checked in conformance's op-table-special tests).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import * as torch from '../src/index.ts';
import { createReferenceBackend } from './reference-backend.ts';

beforeAll(async () => {
  torch.registerBackend('reference', () => createReferenceBackend());
  await torch.setBackend('reference');
});

const close = async (t: torch.Tensor, want: number[]): Promise<void> => {
  const got = Array.from(await t.data(), Number);
  expect(got.length).toBe(want.length);
  got.forEach((g, i) => expect(g).toBeCloseTo(want[i]!, 5));
};

describe('op table surface', () => {
  it('every unary op is a function and a method giving the same values', async () => {
    const x = torch.tensor([0.25, 0.5]);
    for (const op of torch.UNARY_OPS) {
      if (op === 'logicalNot') continue;
      const fn = (torch as unknown as Record<string, (t: torch.Tensor) => torch.Tensor>)[op]!;
      const method = (x as unknown as Record<string, () => torch.Tensor>)[op]!;
      expect(typeof fn, op).toBe('function');
      expect(Array.from(await method.call(x).data()), op).toEqual(Array.from(await fn(x).data()));
    }
  });

  it('binary and composite methods match PyTorch', async () => {
    const a = torch.tensor([7, -7, 1.5, -1.25]);
    await close(a.fmod(2), [1, -1, 1.5, -1.25]);
    await close(a.floorDivide(2), [3, -4, 0, -1]);
    await close(a.frac(), [0, 0, 0.5, -0.25]);
    await close(a.atan2(torch.tensor([-1, -1, 1, 1])), [1.7126933336, -1.7126933336, 0.9827937484, -0.8960554004]);
    await close(a.hypot(torch.tensor([24, 24, 2, 3])), [25, 25, 2.5, 3.25]);
    await close(torch.tensor([0, 10]).lerp(torch.tensor([10, 20]), 0.25), [2.5, 12.5]);
    await close(torch.tensor([0]).logaddexp(torch.tensor([0])), [Math.LN2]);
    const s = torch.tensor([NaN, Infinity, -Infinity, -0, 1]);
    expect(Array.from(await s.isnan().data())).toEqual([1, 0, 0, 0, 0]);
    expect(Array.from(await s.isinf().data())).toEqual([0, 1, 1, 0, 0]);
    expect(Array.from(await s.isfinite().data())).toEqual([0, 0, 0, 1, 1]);
    expect(Array.from(await s.signbit().data())).toEqual([0, 0, 1, 1, 0]);
    expect(Array.from(await s.nanToNum({ posinf: 9 }).data())).toEqual([0, 9, -3.4028234663852886e38, -0, 1]);
  });

  it('div takes roundingMode positionally or as an option and checks it', async () => {
    const a = torch.tensor([7, -7], { dtype: 'int32' }), b = torch.tensor([2, 2], { dtype: 'int32' });
    expect(Array.from(await torch.div(a, b).data())).toEqual([3.5, -3.5]);
    const floor = torch.div(a, b, { roundingMode: 'floor' });
    expect(floor.dtype).toBe('int32');
    expect(Array.from(await floor.data())).toEqual([3, -4]);
    expect(Array.from(await torch.div(a, b, 'trunc').data())).toEqual([3, -3]);
    expect(() => torch.div(a, b, { roundingMode: 'round' as 'floor' })).toThrow(/roundingMode must be one of 'trunc', 'floor'/);
    expect(() => torch.div(a, b, { rounding_mode: 'floor' } as object)).toThrow(/roundingMode/);
  });
});
