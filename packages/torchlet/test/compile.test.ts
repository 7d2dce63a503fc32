// torch.compile: the traced plan replays what the eager calls compute (same bits on wasm: the same
// kernels run in the same order), re-traces on a new signature, handles a value read inside the
// function as documented, and holds memory flat over replays.
import { beforeAll, describe, expect, it } from 'vitest';
import * as torch from '../src/index.ts';

const { nn, optim, F } = torch;

beforeAll(async () => {
  await torch.setBackend('wasm');
});

const mlp = (): torch.nn.Sequential => new nn.Sequential(new nn.Linear(12, 16), new nn.ReLU(), new nn.Linear(16, 8), new nn.ReLU(), new nn.Linear(8, 4));

describe('torch.compile', () => {
  it('replays a forward pass with the eager results, allocating only its output', async () => {
    torch.manualSeed(0);
    const net = mlp();
    const fwd = torch.compile((x: torch.Tensor) => torch.noGrad(() => F.softmax(net.forward(x), -1)));
    const xs = [0, 1, 2, 3, 4].map(() => torch.randn([5, 12]));
    for (const x of xs) {
      const want = await torch.noGrad(() => F.softmax(net.forward(x), -1)).data();
      const got = fwd(x);
      expect(got.shape).toEqual([5, 4]);
      expect(await got.data()).toEqual(want);
      got.dispose();
    }
    const s = fwd.stats();
    expect([s.eagerCalls, s.traces, s.replays, s.plans]).toEqual([1, 1, 3, 1]);
    expect(s.lastPlan!.replayAllocs).toBe(1);
    expect(s.lastPlan!.eagerAllocs).toBeGreaterThan(5);
    expect(s.lastPlan!.arenaBytes).toBeGreaterThan(0);
    const before = torch.memory();
    for (let i = 0; i < 20; i++) fwd(xs[i % 5]!).dispose();
    const after = torch.memory();
    expect([after.tensors, after.buffers, after.bytes]).toEqual([before.tensors, before.buffers, before.bytes]);
    fwd.dispose();
    expect(torch.memory().bytes).toBe(before.bytes - s.lastPlan!.arenaBytes);
  });

  it('gives the eager bits while earlier results stay alive (each replay\'s output and argument at a new address)', async () => {
    torch.manualSeed(2);
    const w = torch.keep(torch.randn([8, 8]));
    // A product, a fused program, a fused reduction and a program writing the output: the calls
    // a replay prepares once per site, prepared again for each new address.
    const f = (x: torch.Tensor): torch.Tensor => x.matmul(w).relu().mul(0.5).sum(1).exp();
    const c = torch.compile(f);
    const xs = [0, 1, 2, 3, 4, 5, 6, 7].map(() => torch.keep(torch.randn([4, 8])));
    const outs = xs.map((x) => torch.keep(c(x))); // none disposed
    for (const [i, x] of xs.entries()) expect(await outs[i]!.data()).toEqual(await f(x).data());
    // Again on the first arguments, their outputs freed: addresses seen before come back.
    for (const t of outs) t.dispose();
    for (const x of xs.slice(0, 3)) {
      const got = c(x);
      expect(await got.data()).toEqual(await f(x).data());
      got.dispose();
    }
    expect(c.stats().replays).toBe(9);
    expect(c.stats().lastPlan!.fusedReductions).toBe(1);
  });
});

type Net = torch.nn.Module & { forward(x: torch.Tensor): torch.Tensor };

/** Two identical models and optimizers: one trained eagerly, one through a compiled step. */
async function trainBoth(make: () => Net, makeOpt: (n: Net) => torch.optim.Optimizer, steps: number, data: Array<[torch.Tensor, torch.Tensor]>, loss: (o: torch.Tensor, y: torch.Tensor) => torch.Tensor, after?: (which: 0 | 1) => void) {
  torch.manualSeed(1);
  const a = make();
  torch.manualSeed(1);
  const b = make();
  const oa = makeOpt(a), ob = makeOpt(b);
  const body = (net: Net, opt: torch.optim.Optimizer) => (x: torch.Tensor, y: torch.Tensor) => {
    opt.zeroGrad();
    const l = loss(net.forward(x), y);
    l.backward();
    opt.step();
    return l;
  };
  const eager = body(a, oa);
  const step = torch.compile(body(b, ob));
  const la: number[] = [], lb: number[] = [];
  for (let i = 0; i < steps; i++) {
    const [x, y] = data[i % data.length]!;
    torch.manualSeed(100 + i);
    la.push(await eager(x, y).item());
    after?.(0);
    torch.manualSeed(100 + i);
    lb.push(await step(x, y).item());
    after?.(1);
  }
  const pa = await Promise.all(a.parameters().map((p) => p.data()));
  const pb = await Promise.all(b.parameters().map((p) => p.data()));
  return { la, lb, pa, pb, step, b, ob };
}

describe('torch.compile training steps', () => {
  it('trains the MLP with SGD momentum as eager does, with memory flat over replays', async () => {
    torch.manualSeed(2);
    const data: Array<[torch.Tensor, torch.Tensor]> = [0, 1, 2].map(() => [torch.randn([6, 12]), torch.randint(0, 4, [6])]);
    const r = await trainBoth(mlp, (n) => new optim.SGD(n.parameters(), { lr: 0.1, momentum: 0.9 }), 8, data, (o, y) => F.crossEntropy(o, y));
    expect(r.lb).toEqual(r.la);
    expect(r.pb).toEqual(r.pa);
    expect(r.la.at(-1)!).toBeLessThan(r.la[0]!);
    const s = r.step.stats();
    expect([s.eagerCalls, s.traces, s.replays]).toEqual([1, 1, 6]);
    expect(s.lastPlan!.hostSteps).toBe(2);
    // Memory: flat over replays (the losses are freed by the step scopes, as in eager loops).
    const [x, y] = data[0]!;
    for (let i = 0; i < 4; i++) r.step(x, y);
    const before = torch.memory();
    for (let i = 0; i < 30; i++) r.step(x, y);
    const after = torch.memory();
    expect([after.tensors, after.buffers, after.bytes]).toEqual([before.tensors, before.buffers, before.bytes]);
    expect(after.backends.wasm!.reservedBytes).toBe(before.backends.wasm!.reservedBytes);
  });

  it('hands the parameters\' gradients out in one storage, which lives while any of them does', async () => {
    torch.manualSeed(4);
    const net = mlp();
    const opt = new optim.Adam(net.parameters(), { lr: 0.01 });
    const x = torch.keep(torch.randn([6, 12])), y = torch.keep(torch.randint(0, 4, [6]));
    const step = torch.compile((a: torch.Tensor, b: torch.Tensor) => {
      opt.zeroGrad();
      const l = F.crossEntropy(net.forward(a), b);
      l.backward();
      opt.step();
      return l;
    });
    for (let i = 0; i < 3; i++) step(x, y);
    expect(step.stats().replays).toBe(1);
    const grads = net.parameters().map((p) => p.grad!);
    // One storage (an optimizer kernel batched over the parameters binds one buffer for them all).
    expect(new Set(grads.map((g) => g.storage)).size).toBe(1);
    // A view of one gradient outlives zeroGrad's disposal of them all, and reads its values.
    const last = torch.keep(grads.at(-1)!.reshape([-1]));
    const want = Array.from(await last.data());
    opt.zeroGrad();
    for (const g of grads) expect(g.isDisposed).toBe(true);
    expect(Array.from(await last.data())).toEqual(want);
    last.dispose();
  });

  it('trains with Adam and a learning-rate schedule as eager does (the step count and lr stay live)', async () => {
    torch.manualSeed(3);
    const data: Array<[torch.Tensor, torch.Tensor]> = [0, 1].map(() => [torch.randn([6, 12]), torch.randn([6, 4])]);
    const scheds: torch.optim.StepLR[] = [];
    const r = await trainBoth(mlp, (n) => {
      const o = new optim.Adam(n.parameters(), { lr: 0.01 });
      scheds.push(new optim.StepLR(o, { stepSize: 2, gamma: 0.5 }));
      return o;
    }, 7, data, (o, y) => F.mseLoss(o, y), (which) => scheds[which]!.step());
    expect(r.ob.paramGroups[0]!.lr).toBeCloseTo(0.01 / 8, 12);
    expect(r.lb).toEqual(r.la);
    expect(r.pb).toEqual(r.pa);
    expect(r.step.stats().replays).toBe(5);
  });

  it('draws the random numbers eager calls draw (dropout)', async () => {
    torch.manualSeed(4);
    const data: Array<[torch.Tensor, torch.Tensor]> = [[torch.randn([6, 12]), torch.randn([6, 4])]];
    const make = (): Net => new nn.Sequential(new nn.Linear(12, 16), new nn.Dropout(0.3), new nn.ReLU(), new nn.Linear(16, 4));
    const r = await trainBoth(make, (n) => new optim.SGD(n.parameters(), { lr: 0.05 }), 6, data, (o, y) => F.mseLoss(o, y));
    expect(r.lb).toEqual(r.la);
    expect(r.pb).toEqual(r.pa);
    expect(r.step.stats().replays).toBe(4);
  });
});

describe('torch.compile: a Transformer encoder layer', () => {
  it('trains with Adam, dropout and GELU as eager does', async () => {
    torch.manualSeed(8);
    const data: Array<[torch.Tensor, torch.Tensor]> = [0, 1].map(() => [torch.randn([2, 5, 16]), torch.randn([2, 5, 16])]);
    const make = (): Net => new torch.transformer.TransformerEncoderLayer(16, 2, { dimFeedforward: 32, dropout: 0.1, activation: 'gelu', batchFirst: true });
    const r = await trainBoth(make, (n) => new optim.Adam(n.parameters(), { lr: 0.01 }), 5, data, (o, y) => F.mseLoss(o, y));
    expect(r.lb).toEqual(r.la);
    expect(r.pb).toEqual(r.pa);
    const s = r.step.stats();
    expect(s.replays).toBe(3);
    expect(s.lastPlan!.fusedGroups).toBeGreaterThan(5);
    expect(s.lastPlan!.replayCalls).toBeLessThan(s.lastPlan!.eagerCalls);
    expect(s.lastPlan!.replayAllocs).toBeLessThan(s.lastPlan!.eagerAllocs / 10);
  });
});

describe('torch.compile signatures and graph breaks', () => {
  it('re-traces when a shape changes and keeps one plan per signature', async () => {
    torch.manualSeed(5);
    const net = mlp();
    const fwd = torch.compile((x: torch.Tensor, scale: number) => torch.noGrad(() => net.forward(x).mul(scale)));
    const x5 = torch.randn([5, 12]), x3 = torch.randn([3, 12]);
    for (let i = 0; i < 3; i++) fwd(x5, 2);
    expect(fwd.stats()).toMatchObject({ traces: 1, replays: 1, plans: 1 });
    for (let i = 0; i < 3; i++) expect(fwd(x3, 2).shape).toEqual([3, 4]);
    expect(fwd.stats()).toMatchObject({ traces: 2, replays: 2, plans: 2 });
    // A non-tensor argument is part of the signature, compared by value.
    const want = await torch.noGrad(() => net.forward(x3).mul(3)).data();
    for (let i = 0; i < 3; i++) expect(await fwd(x3, 3).data()).toEqual(want);
    expect(fwd.stats()).toMatchObject({ traces: 3, replays: 3, plans: 3 });
    // A train/eval switch of a module re-traces too (dropout and batch norm depend on it).
    net.eval();
    fwd(x3, 3);
    expect(fwd.stats().plans).toBe(3);
    expect(fwd.stats().eagerCalls).toBe(4);
    fwd.dispose();
  });

  it('runs a function that reads values inside eagerly, with a warning, and throws with fullgraph', async () => {
    torch.manualSeed(6);
    const warn = console.warn;
    const warnings: string[] = [];
    console.warn = (m: string) => warnings.push(m);
    try {
      const f = torch.compile(function clipped(x: torch.Tensor) {
        const m = x.abs().max().dataSync()[0]!;
        return x.div(m);
      });
      const x = torch.randn([4]);
      for (let i = 0; i < 4; i++) {
        const xi = x.mul(i + 1);
        expect(await f(xi).data()).toEqual(await xi.div(xi.abs().max()).data());
      }
      expect(f.stats()).toMatchObject({ traces: 1, replays: 0, eagerCalls: 3 });
      expect(warnings.join('\n')).toMatch(/clipped runs eagerly for this signature: it reads tensor values \(item\(\), data\(\)/);
      const g = torch.compile((x: torch.Tensor) => x.mul(x.sum().dataSync()[0]!), { fullgraph: true });
      g(x);
      expect(() => g(x)).toThrow(/torch.compile \(fullgraph\): it reads tensor values/);
      const h = torch.compile((x: torch.Tensor) => x.add(torch.tensor(Array.from({ length: 32 }, (_, i) => i))));
      const x32 = torch.randn([32]);
      h(x32);
      expect(await h(x32).data()).toEqual(await x32.add(torch.arange(32)).data());
      expect(warnings.at(-1)).toMatch(/copies 32 elements of JavaScript data .* pass that data as an argument/);
    } finally {
      console.warn = warn;
    }
  });

  it('re-traces when gradients accumulate across calls (a tensor it read was replaced), with eager results', async () => {
    torch.manualSeed(9);
    const a = mlp();
    torch.manualSeed(9);
    const b = mlp();
    const body = (net: Net) => (x: torch.Tensor) => {
      net.forward(x).square().mean().backward();
      return null;
    };
    const eager = body(a), step = torch.compile(body(b));
    const x = torch.randn([4, 12]);
    for (let i = 0; i < 5; i++) {
      eager(x);
      step(x);
    }
    const ga = await Promise.all(a.parameters().map((p) => p.grad!.data()));
    const gb = await Promise.all(b.parameters().map((p) => p.grad!.data()));
    expect(gb).toEqual(ga);
    expect(step.stats().replays).toBe(0);
    expect(step.stats().traces).toBe(4);
  });

  it('runs an async function eagerly with a warning, and throws with fullgraph', async () => {
    const warn = console.warn;
    const warnings: string[] = [];
    console.warn = (m: string) => warnings.push(m);
    try {
      const f = torch.compile(async (x: torch.Tensor) => x.add(1));
      const x = torch.ones([2]);
      for (let i = 0; i < 3; i++) expect(await (await f(x)).tolist()).toEqual([2, 2]);
      expect(f.stats()).toMatchObject({ traces: 0, eagerCalls: 3 });
      expect(warnings.join('\n')).toMatch(/it is asynchronous/);
      const g = torch.compile(async (x: torch.Tensor) => x.add(1), { fullgraph: true });
      expect(() => g(x)).toThrow(/is asynchronous \(it returned a Promise\)/);
    } finally {
      console.warn = warn;
    }
  });

  it('rejects bad options naming the closest key', () => {
    expect(() => torch.compile((x: torch.Tensor) => x, { fullGraph: true } as never)).toThrow(/unknown option 'fullGraph'; did you mean fullgraph/);
    expect(() => torch.compile((x: torch.Tensor) => x, { dynamic: true })).toThrow(/dynamic shapes are not supported/);
    expect(() => torch.compile(3 as never)).toThrow(/expected a function, got number/);
  });
});

describe('torch.compile fusion', () => {
  it('runs element-wise chains as fused programs with the eager bits', async () => {
    torch.manualSeed(7);
    const ln = new nn.LayerNorm(16);
    const f = (x: torch.Tensor, b: torch.Tensor) => torch.noGrad(() => F.gelu(ln.forward(x.add(b))).mul(0.5).sub(x.sigmoid().mul(x)));
    const fused = torch.compile(f);
    const plain = torch.compile(f, { fusion: false });
    const x = torch.randn([3, 16]), b = torch.randn([16]);
    const want = await f(x, b).data();
    for (let i = 0; i < 3; i++) {
      expect(await fused(x, b).data()).toEqual(want);
      expect(await plain(x, b).data()).toEqual(want);
    }
    const s = fused.stats().lastPlan!, p = plain.stats().lastPlan!;
    expect(p.fusedGroups).toBe(0);
    // Programs, and reductions that took a program as prologue or epilogue (where the backend has the kernel).
    expect(s.fusedGroups + s.fusedReductions).toBeGreaterThanOrEqual(2);
    expect(s.fusedOps).toBeGreaterThanOrEqual(6);
    expect(s.replayCalls).toBeLessThanOrEqual(p.replayCalls - s.fusedOps + s.fusedGroups);
    expect(s.arenaBytes).toBeGreaterThan(0);
  });
});
