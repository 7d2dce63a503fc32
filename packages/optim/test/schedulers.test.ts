// LR schedulers beyond the conformance cases (which cover Step, MultiStep, Exponential,
// CosineAnnealing, Linear and OneCycle with SGD): expected values printed by PyTorch 1.13.1.
import { beforeAll, describe, expect, it } from 'vitest';
import * as torch from '@torchlet/core';
import { Adagrad, Adam, CosineAnnealingLR, ExponentialLR, LambdaLR, LinearLR, OneCycleLR, SGD, SequentialLR, StepLR } from '../src/index.ts';
import { useWasm } from './setup.ts';

beforeAll(useWasm);

const p = () => torch.zeros([1], { requiresGrad: true });
const expectSeries = (got: number[], want: number[]) => got.forEach((v, i) => expect(v).toBeCloseTo(want[i]!, 12));

describe('lr schedulers', () => {
  it('SequentialLR switches at the milestone and restarts the next schedule', () => {
    const opt = new SGD([p()], { lr: 0.1 });
    const warmup = new LinearLR(opt, { startFactor: 0.25, totalIters: 3 });
    const cosine = new CosineAnnealingLR(opt, { tMax: 5, etaMin: 0.01 });
    const sched = new SequentialLR(opt, { schedulers: [warmup, cosine], milestones: [3] });
    expect(opt.paramGroups[0]!.lr).toBeCloseTo(0.025, 15);
    const lrs: number[] = [];
    for (let i = 0; i < 10; i++) {
      opt.step();
      sched.step();
      lrs.push(opt.paramGroups[0]!.lr);
    }
    expectSeries(lrs, [0.05, 0.075, 0.1, 0.09140576474687263, 0.06890576474687263, 0.04109423525312736, 0.018594235253127367, 0.01, 0.018594235253127367, 0.04109423525312739]);
    expect(sched.getLastLr()).toEqual([lrs[9]]);
  });

  it('LambdaLR takes one function per group', () => {
    const opt = new SGD([{ params: [p()] }, { params: [p()], lr: 0.5 }], { lr: 0.1 });
    const sched = new LambdaLR(opt, { lrLambda: [(e) => 0.9 ** e, (e) => 1 / (e + 1)] });
    const lrs: number[][] = [];
    for (let i = 0; i < 4; i++) {
      opt.step();
      sched.step();
      lrs.push(opt.paramGroups.map((g) => g.lr));
    }
    expectSeries(lrs.flat(), [0.09, 0.25, 0.081, 1 / 6, 0.0729, 0.125, 0.06561, 0.1]);
    expect(() => new LambdaLR(opt, { lrLambda: [(e) => e] })).toThrow('Expected 2 lr_lambdas, but got 1');
  });

  it('OneCycleLR cycles Adam beta1 and takes epochs * stepsPerEpoch', () => {
    const opt = new Adam([p()], { lr: 0.1 });
    const sched = new OneCycleLR(opt, { maxLr: 0.2, epochs: 2, stepsPerEpoch: 5 });
    const got: number[] = [];
    for (let i = 0; i < 9; i++) {
      opt.step();
      sched.step();
      got.push(opt.paramGroups[0]!.lr, opt.paramGroups[0]!.betas[0]);
    }
    expectSeries(got, [
      0.10400000000000001, 0.8999999999999999, 0.2, 0.85, 0.19009692640269477, 0.854951556604879, 0.1623491307899526,
      0.8688255099070633, 0.12225240438725786, 0.8888739533021842, 0.07774839561274215, 0.9111260466978157,
      0.0376516692100474, 0.9311744900929366, 0.009903873597305258, 0.945048443395121, 8e-7, 0.95,
    ]);
    expect(opt.paramGroups[0]!.betas[1]).toBe(0.999);
    sched.step();
    expect(() => sched.step()).toThrow('Tried to step 12 times. The specified number of total steps is 10');
  });

  it('checks its arguments', () => {
    const opt = new SGD([p()], { lr: 0.1 });
    expect(() => new OneCycleLR(opt, { maxLr: 1 } as never)).toThrow('You must define either totalSteps');
    expect(() => new OneCycleLR(opt, { maxLr: 1, totalSteps: 0 })).toThrow('Expected positive integer totalSteps');
    expect(() => new OneCycleLR(opt, { maxLr: 1, totalSteps: 10, pctStart: 2 })).toThrow('pctStart');
    expect(() => new OneCycleLR(opt, { maxLr: [1, 2], totalSteps: 10 })).toThrow('expected 1 values for maxLr, got 2');
    expect(() => new OneCycleLR(new Adagrad([p()]), { maxLr: 1, totalSteps: 10 })).toThrow('optimizer must support momentum');
    expect(() => new LinearLR(opt, { startFactor: 0 })).toThrow('Starting multiplicative factor');
    expect(() => new StepLR(opt, { stepSize: 0 })).toThrow('stepSize must be a positive integer');
    expect(() => new SequentialLR(opt, { schedulers: [new StepLR(opt, { stepSize: 2 })], milestones: [3] })).toThrow('number of milestones');
  });

  it('stateDict round trip resumes the schedule', () => {
    const run = (steps: number, opt: SGD, s: ExponentialLR) => {
      for (let i = 0; i < steps; i++) {
        opt.step();
        s.step();
      }
    };
    const optA = new SGD([p()], { lr: 0.1 });
    const a = new ExponentialLR(optA, { gamma: 0.5 });
    run(6, optA, a);
    const optB = new SGD([p()], { lr: 0.1 });
    const b = new ExponentialLR(optB, { gamma: 0.5 });
    run(3, optB, b);
    const sdOpt = optB.stateDict();
    const sd = JSON.parse(JSON.stringify(b.stateDict())) as Record<string, unknown>;
    expect(sd).toEqual({ base_lrs: [0.1], last_epoch: 3, _step_count: 4, _last_lr: [0.0125] });
    const optC = new SGD([p()], { lr: 0.1 });
    const c = new ExponentialLR(optC, { gamma: 0.5 });
    optC.loadStateDict(sdOpt);
    c.loadStateDict(sd);
    run(3, optC, c);
    expect(c.getLastLr()).toEqual(a.getLastLr());
    expect(c.lastEpoch).toBe(6);
  });
});
