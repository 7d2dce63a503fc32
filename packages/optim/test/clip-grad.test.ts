import { beforeAll, describe, expect, it } from 'vitest';
import * as torch from '@torchlet/core';
import { clipGradNorm, clipGradValue } from '../src/index.ts';
import { useWasm } from './setup.ts';

beforeAll(useWasm);

const withGrad = (g: number[]) => {
  const p = torch.zeros([g.length], { requiresGrad: true });
  p.grad = torch.tensor(g);
  return p;
};

describe('gradient clipping', () => {
  it('clipGradNorm scales every gradient by maxNorm / total norm and returns the norm before clipping', () => {
    const a = withGrad([3, 0]);
    const b = withGrad([0, 4]);
    const none = torch.zeros([2], { requiresGrad: true });
    const total = clipGradNorm([a, b, none], 1);
    expect(total.shape).toEqual([]);
    expect(total.dataSync()[0]).toBeCloseTo(5, 6);
    expect(Array.from(a.grad!.dataSync())[0]).toBeCloseTo(0.6, 6);
    expect(Array.from(b.grad!.dataSync())[1]).toBeCloseTo(0.8, 6);
    expect(none.grad).toBeNull();
  });

  it('clipGradNorm with Infinity uses the largest magnitude, and with no gradients returns 0', () => {
    const a = withGrad([-2, 1]);
    expect(clipGradNorm(a, 1, Infinity).dataSync()[0]).toBe(2);
    expect(a.grad!.dataSync()[0]).toBeCloseTo(-1, 6);
    expect(clipGradNorm([torch.zeros([1], { requiresGrad: true })], 1).dataSync()[0]).toBe(0);
    expect(() => clipGradNorm(a, 1, 0)).toThrow('normType');
  });

  it('clipGradValue clamps in place', () => {
    const a = withGrad([-2, 0.5, 3]);
    const g = a.grad;
    clipGradValue([a], 1);
    expect(a.grad).toBe(g);
    expect(Array.from(a.grad!.dataSync())).toEqual([-1, 0.5, 1]);
  });

  it('frees its temporaries', () => {
    const a = withGrad([1, 2, 3]);
    const before = torch.memory().tensors;
    clipGradNorm(a, 1).dispose();
    clipGradValue(a, 0.1);
    expect(torch.memory().tensors).toBe(before);
  });
});
