/** distillationLoss against the formula on fixed logits: value and gradient (hand-derived). */
import { beforeAll, describe, expect, it } from 'vitest';
import * as torch from '@torchlet/core';
import '@torchlet/autograd';
import { createReferenceBackend } from '../../core/test/reference-backend.ts';
import { distillationLoss } from '../src/index.ts';

beforeAll(async () => {
  torch.registerBackend('reference', () => createReferenceBackend());
  await torch.setBackend('reference');
});

const softmax = (z: number[], t: number): number[] => {
  const m = Math.max(...z), e = z.map((v) => Math.exp((v - m) / t)), s = e.reduce((a, b) => a + b);
  return e.map((v) => v / s);
};

describe('distillationLoss', () => {
  const S = [[1.0, -0.5, 2.0], [0.3, 0.1, -1.2]], Tt = [[0.5, 0.2, 1.5], [-0.4, 1.1, 0.0]], y = [2, 1];
  const temperature = 3, alpha = 0.7;
  it('matches alpha T^2 KL(teacher || student) + (1 - alpha) CE, forward and gradient', async () => {
    const s = torch.tensor(S).requiresGrad_();
    const loss = distillationLoss(s, torch.tensor(Tt), torch.tensor(y, { dtype: 'int32' }), { temperature, alpha });
    // Reference in float64. d/ds KL term = (p_T - q_T) / T per row (batchmean: / B), times alpha T^2;
    // d/ds CE = (softmax(s) - onehot) / B, times (1 - alpha).
    const B = S.length;
    let want = 0;
    const grad: number[][] = [];
    S.forEach((row, b) => {
      const p = softmax(row, temperature), q = softmax(Tt[b]!, temperature), p1 = softmax(row, 1);
      const kl = q.reduce((a, qi, i) => a + qi * (Math.log(qi) - Math.log(p[i]!)), 0);
      want += (alpha * temperature ** 2 * kl) / B - ((1 - alpha) * Math.log(p1[y[b]!]!)) / B;
      grad.push(row.map((_, i) => (alpha * temperature ** 2 * (p[i]! - q[i]!)) / temperature / B + ((1 - alpha) * (p1[i]! - (i === y[b] ? 1 : 0))) / B));
    });
    expect(await loss.item()).toBeCloseTo(want, 5);
    loss.backward();
    const g = await s.grad!.data();
    grad.flat().forEach((v, i) => expect(g[i]).toBeCloseTo(v, 5));
  });
  it('rejects bad options', () => {
    const s = torch.zeros([1, 2]);
    expect(() => distillationLoss(s, s, torch.tensor([0], { dtype: 'int32' }), { temperature: 0 })).toThrow(/temperature must be > 0/);
    expect(() => distillationLoss(s, s, torch.tensor([0], { dtype: 'int32' }), { alpha: 2 })).toThrow(/alpha must be in \[0, 1\]/);
  });
});
