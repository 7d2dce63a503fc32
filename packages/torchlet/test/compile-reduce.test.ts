// Fused reductions (core/src/fused-reduction.ts and compile/fuse-reduce.ts): the contract's
// reference evaluator against the composite on wasm, and torch.compile's reduction pass, which
// runs only for a backend with a `fused.reduction` kernel: wasm's own (generated modules) and the
// composite installed as one; either way the fused plan must give the eager bits.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import * as torch from '../src/index.ts';

const { nn, optim, F } = torch;

beforeAll(async () => {
  await torch.setBackend('wasm');
});

/**
 * Installs the composite as the backend's reduction kernel, counting calls (and takes away the
 * backend's prepared reductions, which would run its own kernel); returns the undo.
 */
function installComposite(): { calls: () => number; undo: () => void } {
  const b = torch.getBackend();
  const fused = b.fused as { reduction?: unknown; prepareReduction?: unknown };
  const own = fused.reduction, prepare = fused.prepareReduction;
  let calls = 0;
  fused.reduction = (...a: Parameters<typeof torch.runReductionComposite> extends [unknown, ...infer R] ? R : never) => {
    calls++;
    torch.runReductionComposite(b, ...a);
  };
  delete fused.prepareReduction;
  return {
    calls: () => calls,
    undo: () => {
      if (own === undefined) delete fused.reduction;
      else fused.reduction = own;
      if (prepare !== undefined) fused.prepareReduction = prepare;
    },
  };
}

/** Takes the backend's own reduction kernel away (torch.compile then builds no reduction programs); returns the undo. */
function removeKernel(): () => void {
  const fused = torch.getBackend().fused as { reduction?: unknown };
  const own = fused.reduction;
  delete fused.reduction;
  return () => {
    if (own !== undefined) fused.reduction = own;
  };
}

let undo: (() => void) | null = null;
afterEach(() => {
  undo?.();
  undo = null;
});

describe('fused reductions: the contract', () => {
  it('checks programs, naming what is wrong', () => {
    const sq = torch.checkProgram(['float32'], [{ kind: 'binary', op: 'mul', a: 0, b: 0 }], [1]);
    const lt = torch.checkProgram(['float32', 'float32'], [{ kind: 'binary', op: 'lt', a: 0, b: 1 }], [2]);
    expect(() => torch.checkReduction(sq, 'mean' as never, [0], null)).toThrow(/op must be one of sum, max, min, prod, got mean/);
    expect(() => torch.checkReduction(lt, 'sum', [0], null)).toThrow(/output 0 \(the value reduced\) must be a float32 register/);
    expect(() => torch.checkReduction(sq, 'sum', [1, 0], null)).toThrow(/axes must be sorted, distinct/);
    expect(() => torch.checkReduction(sq, 'sum', [], null)).toThrow(/axes must be sorted/);
  });

  it('the reference evaluator and the composite agree (sum, max, prologue outputs, epilogue)', async () => {
    torch.manualSeed(3);
    // x - m (stored), exp of it (reduced by sum), then log(sum) + m' in the epilogue: a logsumexp.
    const pro = torch.checkProgram(['float32', 'float32'], [
      { kind: 'binary', op: 'sub', a: 0, b: 1 },
      { kind: 'unary', op: 'exp', x: 2 },
    ], [3, 2]);
    const epi = torch.checkProgram(['float32', 'float32'], [
      { kind: 'unary', op: 'log', x: 0 },
      { kind: 'binary', op: 'add', a: 2, b: 1 },
    ], [3]);
    const r = torch.checkReduction(pro, 'sum', [1], epi);
    const x = torch.randn([3, 5]), m = torch.randn([3, 1]);
    const mB = m.expand([3, 5]);
    const shifted = torch.empty([3, 5]), out = torch.empty([3, 1]);
    torch.runReductionComposite(torch.getBackend(), r, [x.view_(), mB.view_()], [shifted.view_()], [m.view_()], [out.view_()]);
    const ref = torch.evalReductionRef(r, [3, 5], [await x.data(), await mB.contiguous().data()], [await m.data()]);
    expect(Array.from(await shifted.data())).toEqual(ref.extraOutputs[0]);
    const got = Array.from(await out.data());
    got.forEach((v, i) => expect(Math.abs(v - ref.outputs[0]![i]!)).toBeLessThanOrEqual(1e-6 * Math.abs(v)));
    const mx = torch.checkReduction(torch.checkProgram(['float32'], [], [0]), 'max', [0], null);
    const col = torch.empty([1, 5]);
    torch.runReductionComposite(torch.getBackend(), mx, [x.view_()], [], [], [col.view_()]);
    expect(Array.from(await col.data())).toEqual(torch.evalReductionRef(mx, [3, 5], [await x.data()], []).outputs[0]);
  });
});

type Net = torch.nn.Module & { forward(x: torch.Tensor): torch.Tensor };

async function trainBoth(make: () => Net, makeOpt: (n: Net) => torch.optim.Optimizer, loss: (o: torch.Tensor, y: torch.Tensor) => torch.Tensor, data: ReadonlyArray<readonly [torch.Tensor, torch.Tensor]>, steps: number) {
  torch.manualSeed(1);
  const a = make();
  torch.manualSeed(1);
  const b = make();
  const body = (net: Net, opt: torch.optim.Optimizer) => (x: torch.Tensor, y: torch.Tensor) => {
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
  return { la, lb, pa, pb, stats: step.stats() };
}

describe('torch.compile: reductions fused with their prologue and epilogue', () => {
  it('the MLP with cross-entropy (log-softmax, bias-gradient sums): the eager bits, fewer calls', async () => {
    torch.manualSeed(2);
    const data = [0, 1].map(() => [torch.keep(torch.randn([8, 20])), torch.keep(torch.randint(0, 5, [8]))] as const);
    const make = (): Net => new nn.Sequential(new nn.Linear(20, 16), new nn.ReLU(), new nn.Linear(16, 5));
    undo = removeKernel();
    const plain = await trainBoth(make, (n) => new optim.SGD(n.parameters(), { lr: 0.1, momentum: 0.9 }), (o, y) => F.crossEntropy(o, y), data, 4);
    undo();
    // The wasm backend's own kernel (generated modules, backend-wasm/src/jit-reduce.ts).
    const own = await trainBoth(make, (n) => new optim.SGD(n.parameters(), { lr: 0.1, momentum: 0.9 }), (o, y) => F.crossEntropy(o, y), data, 4);
    expect(own.lb).toEqual(own.la);
    expect(own.pb).toEqual(own.pa);
    expect(own.lb).toEqual(plain.lb);
    expect(own.stats.lastPlan!.fusedReductions).toBeGreaterThanOrEqual(2);
    const k = installComposite();
    undo = k.undo;
    const r = await trainBoth(make, (n) => new optim.SGD(n.parameters(), { lr: 0.1, momentum: 0.9 }), (o, y) => F.crossEntropy(o, y), data, 4);
    expect(r.lb).toEqual(r.la);
    expect(r.pb).toEqual(r.pa);
    expect(r.lb).toEqual(plain.lb);
    const s = r.stats.lastPlan!;
    expect(s.fusedReductions).toBeGreaterThanOrEqual(2);
    expect(k.calls()).toBeGreaterThanOrEqual(2 * s.fusedReductions);
    expect(s.replayCalls).toBeLessThan(plain.stats.lastPlan!.replayCalls);
  });

  it('a Transformer encoder layer (LayerNorm forward and backward, GELU, Adam): the eager bits', async () => {
    torch.manualSeed(3);
    const data = [[torch.keep(torch.randn([2, 5, 16])), torch.keep(torch.randn([2, 5, 16]))] as const];
    const make = (): Net => new torch.transformer.TransformerEncoderLayer(16, 2, { dimFeedforward: 32, dropout: 0.1, activation: 'gelu', batchFirst: true });
    const own = await trainBoth(make, (n) => new optim.Adam(n.parameters(), { lr: 0.01 }), (o, y) => F.mseLoss(o, y), data, 4);
    expect(own.lb).toEqual(own.la);
    expect(own.pb).toEqual(own.pa);
    expect(own.stats.lastPlan!.fusedReductions).toBeGreaterThanOrEqual(4);
    const k = installComposite();
    undo = k.undo;
    const r = await trainBoth(make, (n) => new optim.Adam(n.parameters(), { lr: 0.01 }), (o, y) => F.mseLoss(o, y), data, 4);
    expect(r.lb).toEqual(r.la);
    expect(r.pb).toEqual(r.pa);
    expect(r.lb).toEqual(own.lb);
    expect(r.stats.lastPlan!.fusedReductions).toBeGreaterThanOrEqual(4);
  });
});

describe('torch.compile: constants folded, prologues whose values are read again', () => {
  it('folds arithmetic on traced scalars into the program constants, with the kernel\'s f32 bits', async () => {
    const x = torch.keep(torch.randn([4, 3]));
    // n * m of two traced scalars (LayerNorm backward's n * n): a 0-dim call between two [4, 3]
    // calls, which would split the run; folded, div and neg are one program.
    const f = (t: torch.Tensor): torch.Tensor => t.div(torch.tensor(0.1).mul(torch.tensor(0.3))).neg();
    const eager = await f(x).data();
    const step = torch.compile(f, { fullgraph: true });
    await step(x).data();
    const got = await step(x).data();
    expect(Array.from(got)).toEqual(Array.from(eager));
    const s = step.stats().lastPlan!;
    expect(s.replayCalls).toBe(1);
    expect(s.fusedGroups).toBe(1);
  });

  it('a reduction takes the program before it as its prologue when that program\'s output is read again', async () => {
    const k = installComposite();
    undo = k.undo;
    const x = torch.keep(torch.randn([6, 5]));
    const f = (t: torch.Tensor): torch.Tensor[] => {
      const y = t.mul(2).add(1);
      return [y.sum(0), y.mul(3).sub(t)];
    };
    const eager = await Promise.all(f(x).map((t) => t.data()));
    const step = torch.compile(f, { fullgraph: true });
    step(x);
    step(x);
    const before = k.calls();
    const got = await Promise.all(step(x).map((t) => t.data()));
    expect(got.map((a) => Array.from(a))).toEqual(eager.map((a) => Array.from(a)));
    const s = step.stats().lastPlan!;
    expect(s.fusedReductions).toBe(1);
    expect(k.calls() - before).toBe(1);
    // The reduction (with y stored as its extra output) and the program after it.
    expect(s.replayCalls).toBe(2);
  });

  it('a reduction takes the program after it as its epilogue when its result is read again', async () => {
    const k = installComposite();
    undo = k.undo;
    const x = torch.keep(torch.randn([6, 5]));
    // s leaves the call (read after the epilogue): the epilogue stores it as one more output.
    const f = (t: torch.Tensor): torch.Tensor[] => {
      const s = t.sum(1, true);
      return [s.div(4).exp(), t.mul(3).add(1), s];
    };
    const eager = await Promise.all(f(x).map((t) => t.data()));
    const step = torch.compile(f, { fullgraph: true });
    step(x);
    step(x);
    const got = await Promise.all(step(x).map((t) => t.data()));
    expect(got.map((a) => Array.from(a))).toEqual(eager.map((a) => Array.from(a)));
    const s = step.stats().lastPlan!;
    expect(s.fusedReductions).toBe(1);
    expect(s.replayCalls).toBe(2);
  });

  it('takes a prologue and an epilogue across a reshape (the program runs in the reduction\'s shapes)', async () => {
    const k = installComposite();
    undo = k.undo;
    const x = torch.keep(torch.randn([6, 5]));
    // y stored [6, 5], reduced as [5, 6]; the sum's [1, 1] result read as [] by the epilogue.
    const f = (t: torch.Tensor): torch.Tensor => t.mul(2).add(1).reshape([5, 6]).sum().mul(3).exp();
    const eager = await f(x).data();
    const step = torch.compile(f, { fullgraph: true });
    step(x);
    step(x);
    expect(Array.from(await step(x).data())).toEqual(Array.from(eager));
    const s = step.stats().lastPlan!;
    expect(s.fusedReductions).toBe(1);
    expect(s.replayCalls).toBe(1);
  });

  it.each(['composite', 'backend'])('takes a copy before a reduction as an identity prologue, through a reshape that merges dims (%s kernel)', async (kernel) => {
    if (kernel === 'composite') undo = installComposite().undo;
    else expect(typeof torch.getBackend().fused?.reduction).toBe('function');
    const x = torch.keep(torch.randn([4, 5, 6]));
    // c: a strided view made contiguous (a copy), summed over its first dim as [5, 24], and read
    // again (stored as the extra output); d: the same, read by nothing else.
    const f = (t: torch.Tensor): torch.Tensor[] => {
      const c = t.permute([1, 0, 2]).contiguous();
      const a = c.reshape([5, 24]).sum(0);
      const b = c.mul(2).add(1);
      const d = t.permute([1, 0, 2]).contiguous();
      return [a, b, d.reshape([5, 24]).sum(0)];
    };
    const eager = await Promise.all(f(x).map((t) => t.data()));
    const step = torch.compile(f, { fullgraph: true });
    step(x);
    step(x);
    const got = await Promise.all(step(x).map((t) => t.data()));
    expect(got.map((a) => Array.from(a))).toEqual(eager.map((a) => Array.from(a)));
    const s = step.stats().lastPlan!;
    expect(s.fusedReductions).toBe(2);
    // Two reductions (each with its copy) and the program.
    expect(s.replayCalls).toBe(3);
  });
});
