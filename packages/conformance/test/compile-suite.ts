/**
 * torch.compile against eager on one backend, shared by the wasm run (test/compile.test.ts) and the
 * WebGPU run (webgpu/compile.test.ts): every `modules` case with forward and gradients computed by a
 * replayed plan (the third call: warm-up, trace, replay) and judged with the case's tolerances, and
 * two training loops — the seed MLP (784-128-64-10, cross-entropy, SGD with momentum) and a
 * Transformer encoder layer (Adam, dropout) — trained eagerly and compiled from the same weights,
 * whose losses and parameters must agree: bit for bit where `exact` (the same kernels run in the
 * same order), else within rtol 1e-5 / atol 1e-6.
 */
import * as torch from '@torchlet/core';
import type { Tensor } from '@torchlet/core';
import '@torchlet/autograd';
import * as nn from '@torchlet/nn';
import * as optim from '@torchlet/optim';
import * as transformer from '@torchlet/transformer';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadFamily } from '../src/cases.ts';
import { compareResult } from '../src/compare.ts';
import { runModuleCase } from '../src/run-module.ts';

type Net = nn.Module & { forward(x: Tensor): Tensor };

/** Trains two copies of `make()` for `steps` steps, one eagerly and one through torch.compile. */
async function trainBoth(make: () => Net, makeOpt: (n: Net) => optim.Optimizer, loss: (o: Tensor, y: Tensor) => Tensor, data: Array<[Tensor, Tensor]>, steps: number) {
  torch.manualSeed(1);
  const a = make();
  torch.manualSeed(1);
  const b = make();
  const body = (net: Net, opt: optim.Optimizer) => (x: Tensor, y: Tensor): Tensor => {
    opt.zeroGrad();
    const l = loss(net.forward(x), y);
    l.backward();
    opt.step();
    return l;
  };
  const eager = body(a, makeOpt(a));
  const step = torch.compile(body(b, makeOpt(b)), { fullgraph: true });
  const la: number[] = [], lb: number[] = [];
  for (let i = 0; i < steps; i++) {
    const [x, y] = data[i % data.length]!;
    torch.manualSeed(100 + i);
    la.push(await eager(x, y).item());
    torch.manualSeed(100 + i);
    lb.push(await step(x, y).item());
  }
  const pa = await Promise.all(a.parameters().map((p) => p.data()));
  const pb = await Promise.all(b.parameters().map((p) => p.data()));
  const stats = step.stats();
  step.dispose();
  a.dispose();
  b.dispose();
  return { la, lb, pa, pb, stats };
}

function agree(got: ArrayLike<number>, want: ArrayLike<number>, exact: boolean, what: string): void {
  if (exact) {
    expect(Array.from(got), what).toEqual(Array.from(want));
    return;
  }
  expect(got.length, what).toBe(want.length);
  for (let i = 0; i < got.length; i++) {
    const g = got[i]!, w = want[i]!;
    if (!(Math.abs(g - w) <= 1e-6 + 1e-5 * Math.abs(w))) throw new Error(`${what}: element ${i} is ${g}, eager gives ${w}`);
  }
}

/**
 * Defines the tests on `backend` (registered by the caller's import); `modules` false leaves out
 * the modules cases (on a software GPU they take minutes).
 */
export async function defineCompiledSuite(backend: string, exact: boolean, modules = true): Promise<void> {
  const cases = modules ? await loadFamily('modules') : [];
  beforeAll(async () => {
    await torch.setBackend(backend);
  });

  if (modules) describe(`modules, compiled (${backend})`, () => {
    it.each(cases.map((c) => [c.id, c] as const))('%s', async (_id, c) => {
      const r = compareResult(c, await runModuleCase(c, { compiled: true }));
      if (!r.ok) throw new Error(r.failures.join('\n'));
    });
  });

  describe(`training loops, compiled (${backend})`, () => {
    it('the seed MLP (784-128-64-10, cross-entropy, SGD momentum) trains as eager does', async () => {
      torch.manualSeed(2);
      const data: Array<[Tensor, Tensor]> = [0, 1].map(() => [torch.randn([16, 784]), torch.randint(0, 10, [16])]);
      const make = (): Net => new nn.Sequential(new nn.Linear(784, 128), new nn.ReLU(), new nn.Linear(128, 64), new nn.ReLU(), new nn.Linear(64, 10));
      const crit = new nn.CrossEntropyLoss();
      const r = await trainBoth(make, (n) => new optim.SGD(n.parameters(), { lr: 0.05, momentum: 0.9 }), (o, y) => crit.forward(o, y), data, 5);
      agree(r.lb, r.la, exact, 'losses');
      r.pa.forEach((p, i) => agree(r.pb[i]!, p, exact, `parameter ${i}`));
      expect(r.la.at(-1)!).toBeLessThan(r.la[0]!);
      expect(r.stats).toMatchObject({ traces: 1, replays: 3 });
    });

    it('a Transformer encoder layer (Adam, dropout, GELU) trains as eager does', async () => {
      torch.manualSeed(3);
      const data: Array<[Tensor, Tensor]> = [[torch.randn([2, 4, 8]), torch.randn([2, 4, 8])]];
      const make = (): Net => new transformer.TransformerEncoderLayer(8, 2, { dimFeedforward: 16, dropout: 0.1, activation: 'gelu', batchFirst: true });
      // eps 1e-4, not 1e-8: the attention's key bias has a zero gradient in exact arithmetic, so its
      // gradient is rounding noise (~1e-9), which Adam with eps 1e-8 turns into steps of size lr —
      // any rounding difference (a fused WGSL program vs the eager kernels) would show as 1e-4.
      const r = await trainBoth(make, (n) => new optim.Adam(n.parameters(), { lr: 0.01, eps: 1e-4 }), (o, y) => o.sub(y).square().mean(), data, 4);
      agree(r.lb, r.la, exact, 'losses');
      r.pa.forEach((p, i) => agree(r.pb[i]!, p, exact, `parameter ${i}`));
      expect(r.stats).toMatchObject({ traces: 1, replays: 2 });
      expect(r.stats.lastPlan!.fusedGroups).toBeGreaterThan(0);
    });
  });
}
