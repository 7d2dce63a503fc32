/**
 * torch.compile against eager, the same checks in Node (vitest), Deno and Chromium, on whichever
 * backend the caller registered:
 * - every `modules` case with forward and gradients computed by a replayed plan (the third call:
 *   warm-up, trace, replay) and judged with the case's tolerances;
 * - two training loops, the seed MLP (784-128-64-10, cross-entropy, SGD with momentum) and a
 *   Transformer encoder layer (Adam, dropout, GELU), trained eagerly and compiled from the same
 *   weights, whose losses and parameters must agree: bit for bit where `exact` (wasm: the same
 *   kernels run in the same order), else within rtol 1e-5 / atol 1e-6;
 * - a new input shape traces a second plan, and each shape replays its own;
 * - a read of values inside the function (`item()`) makes that signature run eagerly with the
 *   documented warning, with eager results, and throws under `fullgraph: true`.
 * Each check throws on failure; none reads expected values from anywhere but the cases.
 */
import * as torch from '@torchlet/core';
import type { Tensor } from '@torchlet/core';
import '@torchlet/autograd';
import * as nn from '@torchlet/nn';
import * as optim from '@torchlet/optim';
import * as transformer from '@torchlet/transformer';
import { loadFamily } from './cases.ts';
import { compareResult } from './compare.ts';
import { runModuleCase } from './run-module.ts';

/** One named check: `run` resolves when it passes and throws saying what differed. */
export interface CompiledCheck {
  readonly name: string;
  run(): Promise<void>;
}

/** Options of {@link compiledChecks}. */
export interface CompiledChecksOptions {
  /** Compiled results must equal eager ones bit for bit (wasm), else within rtol 1e-5 / atol 1e-6. */
  readonly exact: boolean;
}

type Net = nn.Module & { forward(x: Tensor): Tensor };

/** The checks on the current backend (the caller has set it): the modules cases, then the rest. */
export async function compiledChecks(options: CompiledChecksOptions): Promise<CompiledCheck[]> {
  const { exact } = options;
  const cases = await loadFamily('modules');
  return [
    ...cases.map((c) => ({
      name: `modules ${c.id}`,
      run: async () => {
        const r = compareResult(c, await runModuleCase(c, { compiled: true }));
        if (!r.ok) throw new Error(r.failures.join('\n'));
      },
    })),
    { name: 'the seed MLP (784-128-64-10, cross-entropy, SGD momentum) trains as eager does', run: () => seedMlp(exact) },
    { name: 'a Transformer encoder layer (Adam, dropout, GELU) trains as eager does', run: () => encoderLayer(exact) },
    { name: 'a new input shape traces its own plan; each shape replays its own', run: () => retrace(exact) },
    { name: 'a value read inside the function runs it eagerly with a warning; fullgraph throws', run: () => valueRead(exact) },
  ];
}

/** Summary of {@link runCompiledChecks}, the shape of one conformance family's counts. */
export interface CompiledSummary {
  passed: number;
  failed: number;
  /** One line per failed check: its name and what differed. */
  failures: string[];
}

/** Runs every check one after another (browser page, Deno), logging one line per failure. */
export async function runCompiledChecks(options: CompiledChecksOptions, log: (line: string) => void = () => {}): Promise<CompiledSummary> {
  const summary: CompiledSummary = { passed: 0, failed: 0, failures: [] };
  const start = Date.now();
  for (const check of await compiledChecks(options)) {
    try {
      await check.run();
      summary.passed++;
    } catch (err) {
      summary.failed++;
      const line = `compiled ${check.name}: ${err instanceof Error ? err.message : String(err)}`;
      summary.failures.push(line);
      log(line);
    }
  }
  log(`compiled: ${summary.passed} passed, ${summary.failed} failed (${Date.now() - start} ms)`);
  return summary;
}

function fail(what: string): never {
  throw new Error(what);
}

/** `got` equals `want`: bit for bit when `exact`, else within rtol 1e-5 / atol 1e-6 per element. */
function agree(got: ArrayLike<number>, want: ArrayLike<number>, exact: boolean, what: string): void {
  if (got.length !== want.length) fail(`${what}: ${got.length} elements, eager gives ${want.length}`);
  for (let i = 0; i < got.length; i++) {
    const g = got[i]!, w = want[i]!;
    const ok = exact ? Object.is(g, w) : Math.abs(g - w) <= 1e-6 + 1e-5 * Math.abs(w);
    if (!ok) fail(`${what}: element ${i} is ${g}, eager gives ${w}${exact ? ' (bit for bit expected)' : ''}`);
  }
}

/** The fields of `stats` named in `want` equal it. */
function expectStats(stats: torch.CompileStats, want: Partial<Record<'calls' | 'eagerCalls' | 'traces' | 'replays' | 'plans', number>>, what: string): void {
  for (const [k, v] of Object.entries(want)) {
    const got = stats[k as keyof typeof want];
    if (got !== v) fail(`${what}: stats().${k} is ${got}, expected ${v} (${JSON.stringify({ ...stats, lastPlan: undefined })})`);
  }
}

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
  try {
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
  } finally {
    step.dispose();
    a.dispose();
    b.dispose();
    for (const [x, y] of data) {
      x.dispose();
      y.dispose();
    }
  }
}

async function seedMlp(exact: boolean): Promise<void> {
  torch.manualSeed(2);
  const data: Array<[Tensor, Tensor]> = [0, 1].map(() => [torch.randn([16, 784]), torch.randint(0, 10, [16])]);
  const make = (): Net => new nn.Sequential(new nn.Linear(784, 128), new nn.ReLU(), new nn.Linear(128, 64), new nn.ReLU(), new nn.Linear(64, 10));
  const crit = new nn.CrossEntropyLoss();
  const r = await trainBoth(make, (n) => new optim.SGD(n.parameters(), { lr: 0.05, momentum: 0.9 }), (o, y) => crit.forward(o, y), data, 5);
  agree(r.lb, r.la, exact, 'losses');
  r.pa.forEach((p, i) => agree(r.pb[i]!, p, exact, `parameter ${i}`));
  if (!(r.la.at(-1)! < r.la[0]!)) fail(`the loss did not fall: ${r.la.join(', ')}`);
  expectStats(r.stats, { traces: 1, replays: 3 }, 'MLP step');
}

async function encoderLayer(exact: boolean): Promise<void> {
  torch.manualSeed(3);
  const data: Array<[Tensor, Tensor]> = [[torch.randn([2, 4, 8]), torch.randn([2, 4, 8])]];
  const make = (): Net => new transformer.TransformerEncoderLayer(8, 2, { dimFeedforward: 16, dropout: 0.1, activation: 'gelu', batchFirst: true });
  // eps 1e-4, not 1e-8: the attention's key bias has a zero gradient in exact arithmetic, so its
  // gradient is rounding noise (~1e-9), which Adam with eps 1e-8 turns into steps of size lr —
  // any rounding difference (a fused WGSL program vs the eager kernels) would show as 1e-4.
  const r = await trainBoth(make, (n) => new optim.Adam(n.parameters(), { lr: 0.01, eps: 1e-4 }), (o, y) => o.sub(y).square().mean(), data, 4);
  agree(r.lb, r.la, exact, 'losses');
  r.pa.forEach((p, i) => agree(r.pb[i]!, p, exact, `parameter ${i}`));
  expectStats(r.stats, { traces: 1, replays: 2 }, 'Transformer step');
  if (!(r.stats.lastPlan!.fusedGroups > 0)) fail('the Transformer step fused no element-wise chain');
}

async function retrace(exact: boolean): Promise<void> {
  torch.manualSeed(5);
  const net = new nn.Sequential(new nn.Linear(12, 16), new nn.ReLU(), new nn.Linear(16, 4));
  const f = (x: Tensor): Tensor => torch.noGrad(() => torch.softmax(net.forward(x), -1));
  const fwd = torch.compile(f);
  const x5 = torch.randn([5, 12]), x3 = torch.randn([3, 12]);
  try {
    const want5 = await f(x5).data(), want3 = await f(x3).data();
    const call = async (x: Tensor, want: Float32Array | ArrayLike<number>, what: string) => {
      const y = fwd(x);
      if (y.shape[0] !== x.shape[0] || y.shape[1] !== 4) fail(`${what}: shape [${y.shape.join(', ')}]`);
      agree(await y.data(), want, exact, what);
      y.dispose();
    };
    for (let i = 0; i < 3; i++) await call(x5, want5, `[5, 12] call ${i + 1}`);
    expectStats(fwd.stats(), { traces: 1, replays: 1, plans: 1 }, 'after three calls with [5, 12]');
    // A new shape warms up and traces again (calls 4 and 5), then replays its own plan.
    for (let i = 0; i < 3; i++) await call(x3, want3, `[3, 12] call ${i + 1}`);
    expectStats(fwd.stats(), { traces: 2, replays: 2, plans: 2 }, 'after three calls with [3, 12]');
    // The first shape's plan is still cached: it replays without tracing.
    await call(x5, want5, '[5, 12] again');
    expectStats(fwd.stats(), { calls: 7, eagerCalls: 2, traces: 2, replays: 3, plans: 2 }, 'back to [5, 12]');
  } finally {
    fwd.dispose();
    net.dispose();
    x5.dispose();
    x3.dispose();
  }
}

/** Runs `body` with console.warn collected into the returned lines. */
async function collectWarnings(body: () => Promise<void>): Promise<string[]> {
  const warn = console.warn;
  const lines: string[] = [];
  console.warn = (...a: unknown[]) => void lines.push(a.map(String).join(' '));
  try {
    await body();
  } finally {
    console.warn = warn;
  }
  return lines;
}

async function valueRead(exact: boolean): Promise<void> {
  torch.manualSeed(6);
  // A step that logs a value from inside (the promise is awaited outside): a read the trace cannot replay.
  const logged: Array<Promise<number>> = [];
  const body = (x: Tensor): Tensor => {
    const s = x.abs().sum();
    logged.push(s.item());
    return x.mul(2).add(s);
  };
  const named = function stepWithLog(x: Tensor): Tensor {
    return body(x);
  };
  const stepWithLog = torch.compile(named);
  const x = torch.randn([6]);
  try {
    const warnings = await collectWarnings(async () => {
      for (let i = 0; i < 4; i++) {
        const xi = x.mul(i + 1);
        const want = await body(xi).data();
        agree(await stepWithLog(xi).data(), want, exact, `call ${i + 1}`);
        xi.dispose();
      }
    });
    // The warm-up runs eagerly, the trace stops at the read (its call still completes eagerly),
    // and the signature runs eagerly from then on: no plan, no replay.
    expectStats(stepWithLog.stats(), { calls: 4, traces: 1, replays: 0, plans: 0, eagerCalls: 3 }, 'a step that reads a value');
    const sums = await Promise.all(logged);
    if (sums.length !== 8) fail(`${sums.length} values were logged, expected 8 (4 eager calls, 4 compiled)`);
    for (let i = 0; i < 4; i++) agree([sums[2 * i + 1]!], [sums[2 * i]!], exact, `the value logged in call ${i + 1}`);
    // The warning names the function (a minifier may have dropped the name: compile says so then).
    const reason = new RegExp(`^torch\\.compile: ${named.name || 'anonymous function'} runs eagerly for this signature: it reads tensor values \\(item\\(\\), data\\(\\)`);
    if (warnings.filter((w) => reason.test(w)).length !== 1) fail(`expected one warning matching ${reason}, got: ${JSON.stringify(warnings)}`);
    if (!reason.test(stepWithLog.stats().graphBreaks.join('\n'))) fail(`stats().graphBreaks does not say why: ${JSON.stringify(stepWithLog.stats().graphBreaks)}`);

    // With fullgraph the trace (the second call) throws, naming the read; the read's own promise
    // rejects with the same error (item() is asynchronous: the trace's stop is thrown inside it).
    const reads: Array<Promise<unknown>> = [];
    const strict = torch.compile((x: Tensor) => {
      const s = x.abs().sum();
      reads.push(s.item().then(() => null, (err: unknown) => err));
      return x.mul(2).add(s);
    }, { fullgraph: true });
    strict(x).dispose();
    let threw: unknown = null;
    try {
      strict(x);
    } catch (err) {
      threw = err;
    }
    strict.dispose();
    const breaks = /^torch\.compile \(fullgraph\): it reads tensor values/;
    if (!(threw instanceof torch.GraphBreak) || !breaks.test(threw.message)) {
      fail(`fullgraph: expected a GraphBreak naming the read, got ${threw instanceof Error ? `${threw.name}: ${threw.message}` : String(threw)}`);
    }
    const [warmRead, tracedRead] = await Promise.all(reads);
    if (warmRead !== null) fail(`fullgraph: the warm-up call's read failed: ${String(warmRead)}`);
    if (!(tracedRead instanceof Error) || !breaks.test(tracedRead.message)) fail(`fullgraph: the traced read's promise gave ${String(tracedRead)}, expected the GraphBreak`);
  } finally {
    stepWithLog.dispose();
    x.dispose();
  }
}
