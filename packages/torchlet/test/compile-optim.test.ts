// torch.compile with the optimizer update inside the plan (optim/src/traced.ts): SGD, Adam and
// AdamW steps replay as fused programs whose learning rate, momentum, betas and step count are
// read at every replay, so schedulers stay exact; compiled and eager agree bit for bit on wasm
// (the programs are the fused kernels' formulas); a change of an option the programs depend on
// re-traces.
import { beforeAll, describe, expect, it } from 'vitest';
import * as torch from '../src/index.ts';

const { nn, optim, F } = torch;

beforeAll(async () => {
  await torch.setBackend('wasm');
});

type Net = torch.nn.Module & { forward(x: torch.Tensor): torch.Tensor };
type Sched = { step(): void };

const mlp = (): Net => new nn.Sequential(new nn.Linear(12, 16), new nn.ReLU(), new nn.Linear(16, 4));

/**
 * Trains two copies, one eagerly and one compiled, each with its optimizer and scheduler stepped
 * after every call (`between` may change the options, on both alike); returns losses and parameters.
 */
async function trainBoth(makeOpt: (n: Net) => torch.optim.Optimizer, makeSched: (o: torch.optim.Optimizer) => Sched | null, steps: number, between?: (o: torch.optim.Optimizer, i: number) => void) {
  torch.manualSeed(1);
  const a = mlp();
  torch.manualSeed(1);
  const b = mlp();
  const oa = makeOpt(a), ob = makeOpt(b);
  const sa = makeSched(oa), sb = makeSched(ob);
  const body = (net: Net, opt: torch.optim.Optimizer) => (x: torch.Tensor, y: torch.Tensor) => {
    opt.zeroGrad();
    const l = F.mseLoss(net.forward(x), y);
    l.backward();
    opt.step();
    return l;
  };
  const eager = body(a, oa);
  const step = torch.compile(body(b, ob), { fullgraph: true });
  torch.manualSeed(2);
  const data = [0, 1].map(() => [torch.keep(torch.randn([6, 12])), torch.keep(torch.randn([6, 4]))] as const);
  const la: number[] = [], lb: number[] = [];
  for (let i = 0; i < steps; i++) {
    const [x, y] = data[i % 2]!;
    la.push(await eager(x, y).item());
    lb.push(await step(x, y).item());
    sa?.step();
    sb?.step();
    between?.(oa, i);
    between?.(ob, i);
  }
  const pa = await Promise.all(a.parameters().map((p) => p.data()));
  const pb = await Promise.all(b.parameters().map((p) => p.data()));
  return { la, lb, pa, pb, step, oa, ob, b };
}

describe('torch.compile: optimizer updates inside the plan', () => {
  it('SGD (momentum, nesterov, weight decay) under a StepLR schedule: the eager bits, the lr read at every replay', async () => {
    const r = await trainBoth(
      (n) => new optim.SGD(n.parameters(), { lr: 0.05, momentum: 0.9, nesterov: true, weightDecay: 0.01 }),
      (o) => new optim.StepLR(o, { stepSize: 2, gamma: 0.5 }),
      8,
    );
    expect(r.ob.paramGroups[0]!.lr).toBeCloseTo(0.05 / 16, 12);
    expect(r.lb).toEqual(r.la);
    expect(r.pb).toEqual(r.pa);
    const s = r.step.stats();
    expect([s.traces, s.replays]).toEqual([1, 6]);
    // zeroGrad and the step's scalars: the updates themselves are plan calls.
    expect(s.lastPlan!.hostSteps).toBe(2);
  });

  it('Adam and AdamW (amsgrad) under OneCycleLR, which cycles lr and beta1: the eager bits', async () => {
    for (const Opt of [optim.Adam, optim.AdamW]) {
      const r = await trainBoth(
        (n) => new Opt(n.parameters(), { lr: 0.01, weightDecay: 0.05, amsgrad: true }),
        (o) => new optim.OneCycleLR(o, { maxLr: 0.02, totalSteps: 10 }),
        6,
      );
      const beta1 = (r.ob as torch.optim.Adam).paramGroups[0]!.betas[0];
      expect(beta1 > 0.85 && beta1 < 0.95).toBe(true);
      expect(r.ob.state.get(r.b.parameters()[0]!)!.step).toBe(6);
      expect(r.lb).toEqual(r.la);
      expect(r.pb).toEqual(r.pa);
      expect(r.step.stats().replays).toBe(4);
    }
  });

  it('runs one fused program per parameter and no per-parameter optimizer kernel at replay', async () => {
    const r = await trainBoth((n) => new optim.Adam(n.parameters(), { lr: 0.01 }), () => null, 3);
    const backend = torch.getBackend();
    const fused = backend.fused!;
    const calls = { elementwise: 0, adamStep: 0 };
    const elementwise = fused.elementwise!, adamStep = fused.adamStep!, prepare = fused.prepareElementwise;
    fused.elementwise = (...a) => {
      calls.elementwise++;
      elementwise.apply(fused, a);
    };
    // A replay runs the programs through the calls the backend prepared for it: count those runs.
    if (prepare) {
      fused.prepareElementwise = (...a) => {
        const run = prepare.apply(fused, a);
        return run && (() => {
          calls.elementwise++;
          run();
        });
      };
    }
    fused.adamStep = (...a) => {
      calls.adamStep++;
      adamStep.apply(fused, a);
    };
    try {
      const x = torch.keep(torch.randn([6, 12])), y = torch.keep(torch.randn([6, 4]));
      r.step.reset();
      for (let i = 0; i < 3; i++) r.step(x, y);
      calls.elementwise = 0;
      calls.adamStep = 0;
      r.step(x, y);
    } finally {
      fused.elementwise = elementwise;
      fused.adamStep = adamStep;
      if (prepare) fused.prepareElementwise = prepare;
    }
    const plan = r.step.stats().lastPlan!;
    expect(calls.adamStep).toBe(0);
    expect(calls.elementwise).toBe(plan.fusedGroups + r.b.parameters().length);
  });

  it('re-traces when an option the programs depend on changes (weight decay set, amsgrad on), with the eager bits', async () => {
    const r = await trainBoth(
      (n) => new optim.Adam(n.parameters(), { lr: 0.01 }),
      () => null,
      8,
      (o, i) => {
        const g = o.paramGroups[0] as unknown as { weightDecay: number; amsgrad: boolean };
        if (i === 3) g.weightDecay = 0.1;
        if (i === 5) g.amsgrad = true;
      },
    );
    expect(r.lb).toEqual(r.la);
    expect(r.pb).toEqual(r.pa);
    // Warm-up, trace, replays; the weight decay and amsgrad changes each trace again.
    expect(r.step.stats()).toMatchObject({ traces: 3, replays: 4 });
  });

  it('runs the programs op by op on a backend without a fused element-wise kernel, with the same bits', async () => {
    const fused = torch.getBackend().fused as { elementwise?: unknown };
    const kernel = fused.elementwise;
    delete fused.elementwise;
    try {
      const r = await trainBoth((n) => new optim.SGD(n.parameters(), { lr: 0.05, momentum: 0.9, dampening: 0.1 }), (o) => new optim.ExponentialLR(o, { gamma: 0.9 }), 5);
      expect(r.lb).toEqual(r.la);
      expect(r.pb).toEqual(r.pa);
      expect(r.step.stats().replays).toBe(3);
    } finally {
      fused.elementwise = kernel;
    }
  });

  it('leaves other optimizers as host steps, with the eager bits', async () => {
    const r = await trainBoth((n) => new optim.RMSprop(n.parameters(), { lr: 0.01, momentum: 0.5 }), () => null, 4);
    expect(r.lb).toEqual(r.la);
    expect(r.pb).toEqual(r.pa);
    expect(r.step.stats().lastPlan!.hostSteps).toBe(2);
    // A subclass may override the update: it stays a host step too.
    class HalvedSGD extends optim.SGD {
      protected override updateParam(p: torch.Tensor, g: torch.Tensor, group: torch.optim.ParamGroup<Required<torch.optim.SGDOptions>>, state: torch.optim.ParamState): void {
        super.updateParam(p, g.mul(0.5), group, state);
      }
    }
    const h = await trainBoth((n) => new HalvedSGD(n.parameters(), { lr: 0.05, momentum: 0.9 }), () => null, 4);
    expect(h.lb).toEqual(h.la);
    expect(h.pb).toEqual(h.pa);
    expect(h.step.stats().lastPlan!.hostSteps).toBe(2);
  });
});
