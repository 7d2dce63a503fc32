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

/** A training loop that the reduction pass must leave at the eager bits. */
interface TrainingCase {
  name: string;
  seed: number;
  data: () => ReadonlyArray<readonly [torch.Tensor, torch.Tensor]>;
  make: () => Net;
  opt: (n: Net) => torch.optim.Optimizer;
  loss: (o: torch.Tensor, y: torch.Tensor) => torch.Tensor;
  /** The fewest reductions the plan must fuse. */
  fusedReductions: number;
}

const trainingCases: TrainingCase[] = [
  {
    name: 'the MLP with cross-entropy (log-softmax, bias-gradient sums)',
    seed: 2,
    data: () => [0, 1].map(() => [torch.keep(torch.randn([8, 20])), torch.keep(torch.randint(0, 5, [8]))] as const),
    make: () => new nn.Sequential(new nn.Linear(20, 16), new nn.ReLU(), new nn.Linear(16, 5)),
    opt: (n) => new optim.SGD(n.parameters(), { lr: 0.1, momentum: 0.9 }),
    loss: (o, y) => F.crossEntropy(o, y),
    fusedReductions: 2,
  },
  {
    name: 'a Transformer encoder layer (LayerNorm forward and backward, GELU, Adam)',
    seed: 3,
    data: () => [[torch.keep(torch.randn([2, 5, 16])), torch.keep(torch.randn([2, 5, 16]))] as const],
    make: () => new torch.transformer.TransformerEncoderLayer(16, 2, { dimFeedforward: 32, dropout: 0.1, activation: 'gelu', batchFirst: true }),
    opt: (n) => new optim.Adam(n.parameters(), { lr: 0.01 }),
    loss: (o, y) => F.mseLoss(o, y),
    fusedReductions: 4,
  },
];

describe('torch.compile: reductions fused with their prologue and epilogue', () => {
  for (const c of trainingCases) it(`${c.name}: the eager bits with either kernel, fewer calls`, async () => {
    torch.manualSeed(c.seed);
    const data = c.data();
    const train = () => trainBoth(c.make, c.opt, c.loss, data, 4);
    // No reduction kernel: torch.compile fuses no reductions; the loss the others must give.
    undo = removeKernel();
    const plain = await train();
    undo();
    undo = null;
    expect(plain.lb).toEqual(plain.la);
    // The wasm backend's own kernel (generated modules, backend-wasm/src/jit-reduce.ts), then the composite.
    const own = await train();
    const k = installComposite();
    undo = k.undo;
    const composite = await train();
    for (const r of [own, composite]) {
      expect(r.lb).toEqual(r.la);
      expect(r.pb).toEqual(r.pa);
      expect(r.lb).toEqual(plain.lb);
      expect(r.stats.lastPlan!.fusedReductions).toBeGreaterThanOrEqual(c.fusedReductions);
      expect(r.stats.lastPlan!.replayCalls).toBeLessThan(plain.stats.lastPlan!.replayCalls);
    }
    expect(k.calls()).toBeGreaterThanOrEqual(2 * composite.stats.lastPlan!.fusedReductions);
  });
});

/** A traced function whose compiled plan must give the eager bits, and the plan it must make. */
interface PlanCase {
  name: string;
  /** Which reduction kernel runs the fused reductions: the composite (whose calls are counted) or the backend's own. */
  kernel: 'composite' | 'backend';
  shape: number[];
  f: (t: torch.Tensor) => torch.Tensor | torch.Tensor[];
  fusedReductions: number;
  replayCalls: number;
  fusedGroups?: number;
}

// c: a strided view made contiguous (a copy), summed over its first dim as [5, 24], and read
// again (stored as the extra output); d: the same, read by nothing else.
const copyBeforeReduction = (t: torch.Tensor): torch.Tensor[] => {
  const c = t.permute([1, 0, 2]).contiguous();
  const a = c.reshape([5, 24]).sum(0);
  const b = c.mul(2).add(1);
  const d = t.permute([1, 0, 2]).contiguous();
  return [a, b, d.reshape([5, 24]).sum(0)];
};

const planCases: PlanCase[] = [
  {
    // n * m of two traced scalars (LayerNorm backward's n * n): a 0-dim call between two [4, 3]
    // calls, which would split the run; folded, div and neg are one program.
    name: 'folds arithmetic on traced scalars into the program constants, with the kernel\'s f32 bits',
    kernel: 'backend',
    shape: [4, 3],
    f: (t) => t.div(torch.tensor(0.1).mul(torch.tensor(0.3))).neg(),
    fusedReductions: 0,
    replayCalls: 1,
    fusedGroups: 1,
  },
  {
    // The reduction (with y stored as its extra output) and the program after it.
    name: 'a reduction takes the program before it as its prologue when that program\'s output is read again',
    kernel: 'composite',
    shape: [6, 5],
    f: (t) => {
      const y = t.mul(2).add(1);
      return [y.sum(0), y.mul(3).sub(t)];
    },
    fusedReductions: 1,
    replayCalls: 2,
  },
  {
    // s leaves the call (read after the epilogue): the epilogue stores it as one more output.
    name: 'a reduction takes the program after it as its epilogue when its result is read again',
    kernel: 'composite',
    shape: [6, 5],
    f: (t) => {
      const s = t.sum(1, true);
      return [s.div(4).exp(), t.mul(3).add(1), s];
    },
    fusedReductions: 1,
    replayCalls: 2,
  },
  {
    // y stored [6, 5], reduced as [5, 6]; the sum's [1, 1] result read as [] by the epilogue.
    name: 'takes a prologue and an epilogue across a reshape (the program runs in the reduction\'s shapes)',
    kernel: 'composite',
    shape: [6, 5],
    f: (t) => t.mul(2).add(1).reshape([5, 6]).sum().mul(3).exp(),
    fusedReductions: 1,
    replayCalls: 1,
  },
  ...(['composite', 'backend'] as const).map((kernel): PlanCase => ({
    // Two reductions (each with its copy) and the program.
    name: `takes a copy before a reduction as an identity prologue, through a reshape that merges dims (${kernel} kernel)`,
    kernel,
    shape: [4, 5, 6],
    f: copyBeforeReduction,
    fusedReductions: 2,
    replayCalls: 3,
  })),
];

describe('torch.compile: constants folded, prologues whose values are read again', () => {
  for (const c of planCases) it(c.name, async () => {
    const k = c.kernel === 'composite' ? installComposite() : null;
    undo = k?.undo ?? null;
    if (!k) expect(typeof torch.getBackend().fused?.reduction).toBe('function');
    const x = torch.keep(torch.randn(c.shape));
    const f = (t: torch.Tensor): torch.Tensor[] => [c.f(t)].flat();
    const eager = await Promise.all(f(x).map((t) => t.data()));
    const step = torch.compile(f, { fullgraph: true });
    step(x); // the trace
    step(x);
    const before = k?.calls() ?? 0;
    const got = await Promise.all(step(x).map((t) => t.data()));
    expect(got.map((a) => Array.from(a))).toEqual(eager.map((a) => Array.from(a)));
    const s = step.stats().lastPlan!;
    expect(s.fusedReductions).toBe(c.fusedReductions);
    expect(s.replayCalls).toBe(c.replayCalls);
    if (c.fusedGroups !== undefined) expect(s.fusedGroups).toBe(c.fusedGroups);
    // One call of the kernel per fused reduction in a replay.
    if (k) expect(k.calls() - before).toBe(c.fusedReductions);
  });
});
