// Each optimizer fits a small two-layer regression model: the loss must fall well below its start.
import { beforeAll, expect, it } from 'vitest';
import * as torch from '@torchlet/core';
import type { Tensor } from '@torchlet/core';
import { Adagrad, Adam, AdamW, clipGradNorm, CosineAnnealingLR, RMSprop, SGD, type Optimizer, type OptimizerOptions } from '../src/index.ts';
import { useWasm } from './setup.ts';

beforeAll(useWasm);

const MAKERS: Array<[string, (ps: Tensor[]) => Optimizer<OptimizerOptions>]> = [
  ['SGD', (ps) => new SGD(ps, { lr: 0.1, momentum: 0.9 })],
  ['Adam', (ps) => new Adam(ps, { lr: 0.02 })],
  ['AdamW', (ps) => new AdamW(ps, { lr: 0.02 })],
  ['RMSprop', (ps) => new RMSprop(ps, { lr: 0.005 })],
  ['Adagrad', (ps) => new Adagrad(ps, { lr: 0.2 })],
];

it.each(MAKERS)('%s fits y = sin(x) with a small MLP', (_name, make) => {
  torch.manualSeed(0);
  const x = torch.linspace(-2, 2, 64).reshape([64, 1]);
  const y = x.sin();
  const w1 = torch.randn([1, 16]).mul(0.8).requiresGrad_();
  const b1 = torch.zeros([16], { requiresGrad: true });
  const w2 = torch.randn([16, 1]).mul(0.25).requiresGrad_();
  const b2 = torch.zeros([1], { requiresGrad: true });
  const opt = make([w1, b1, w2, b2]);
  const sched = new CosineAnnealingLR(opt, { tMax: 300 });
  const lossAt = () => torch.noGrad(() => x.matmul(w1).add(b1).tanh().matmul(w2).add(b2).sub(y).square().mean().dataSync()[0]!);
  const first = lossAt();
  for (let i = 0; i < 300; i++) {
    torch.tidy(() => {
      opt.zeroGrad();
      x.matmul(w1).add(b1).tanh().matmul(w2).add(b2).sub(y).square().mean().backward();
      clipGradNorm([w1, b1, w2, b2], 5);
      opt.step();
      sched.step();
    });
  }
  const last = lossAt();
  expect(last).toBeLessThan(first * 0.05);
  expect(last).toBeLessThan(0.02);
  opt.dispose();
});
