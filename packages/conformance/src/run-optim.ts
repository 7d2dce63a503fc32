/**
 * Optimizer, lr-scheduler and gradient-clipping cases (family `optim`): optimizer trajectories
 * step by step, scheduler values, clipped gradients. Never reads expected values.
 */
import * as torch from '@torchlet/core';
import type { Tensor } from '@torchlet/core';
import * as optim from '@torchlet/optim';
import type { Case, FnJson, TensorJson } from './cases.ts';
import { decodeNumber, decodeTensor } from './decode.ts';
import type { CaseResult, ResultTensor } from './run-case.ts';

type Kwargs = Readonly<Record<string, unknown>>;

/** True for the cases this file runs. */
export function isOptimCase(c: Case): boolean {
  return c.steps !== undefined || c.optimizer !== undefined || c.fn === 'clipGradNorm' || c.fn === 'clipGradValue';
}

/**
 * The optimizers by PyTorch class name, each the line a user would write. The case kwargs are
 * already the camelCase constructor options (`betas` a list).
 */
const OPTIMIZERS: Record<string, (params: Tensor[], kw: Kwargs) => optim.Optimizer<optim.OptimizerOptions>> = {
  SGD: (p, kw) => new optim.SGD(p, kw as unknown as optim.SGDOptions),
  Adam: (p, kw) => new optim.Adam(p, kw as optim.AdamOptions),
  AdamW: (p, kw) => new optim.AdamW(p, kw as optim.AdamOptions),
  RMSprop: (p, kw) => new optim.RMSprop(p, kw as optim.RMSpropOptions),
  Adagrad: (p, kw) => new optim.Adagrad(p, kw as optim.AdagradOptions),
};

const SCHEDULERS: Record<string, (o: optim.AnyOptimizer, kw: Kwargs) => optim.LRScheduler> = {
  StepLR: (o, kw) => new optim.StepLR(o, kw as unknown as optim.StepLROptions),
  MultiStepLR: (o, kw) => new optim.MultiStepLR(o, kw as unknown as optim.MultiStepLROptions),
  ExponentialLR: (o, kw) => new optim.ExponentialLR(o, kw as unknown as optim.ExponentialLROptions),
  CosineAnnealingLR: (o, kw) => new optim.CosineAnnealingLR(o, kw as unknown as optim.CosineAnnealingLROptions),
  LinearLR: (o, kw) => new optim.LinearLR(o, kw as optim.LinearLROptions),
  OneCycleLR: (o, kw) => new optim.OneCycleLR(o, kw as unknown as optim.OneCycleLROptions),
};

function makeOptimizer(spec: FnJson, params: Tensor[]): optim.Optimizer<optim.OptimizerOptions> {
  const make = OPTIMIZERS[spec.fn];
  if (!make) throw new Error(`runCase: no torchlet optimizer for '${spec.fn}'`);
  return make(params, spec.kwargs ?? {});
}

function toTensor(t: TensorJson, requiresGrad = false): Tensor {
  const d = decodeTensor(t);
  if (d.dtype !== 'float32') throw new Error(`runCase: optim input '${t.name ?? ''}' is ${d.dtype}, expected float32`);
  return torch.fromArray(d.data as Float32Array, d.shape, { requiresGrad });
}

async function toResult(t: Tensor): Promise<ResultTensor> {
  return { dtype: t.dtype, shape: [...t.shape], data: await t.data() };
}

/** Replaces `p.grad` with a copy of the case's gradient. */
function setGrad(p: Tensor, g: TensorJson): void {
  p.grad?.dispose();
  p.grad = toTensor(g);
}

async function runOptimizer(c: Case, created: Tensor[]): Promise<CaseResult> {
  const params = c.inputs.map((t) => toTensor(t, true));
  created.push(...params);
  const opt = makeOptimizer({ fn: c.fn, kwargs: c.kwargs }, params);
  try {
    const steps: { params: ResultTensor[] }[] = [];
    for (const step of c.steps ?? []) {
      params.forEach((p, i) => setGrad(p, step.grads[i]!));
      opt.step();
      steps.push({ params: await Promise.all(params.map(toResult)) });
    }
    return { outputs: steps.length > 0 ? steps[steps.length - 1]!.params : await Promise.all(params.map(toResult)), steps };
  } finally {
    opt.dispose();
  }
}

/** The value a scheduler case records for `key` in the first param group. */
function groupValue(o: optim.AnyOptimizer, key: 'lr' | 'momentum'): number {
  const g = o.paramGroups[0] as unknown as { lr: number; momentum?: number; betas?: [number, number] };
  if (key === 'lr') return g.lr;
  return g.betas ? g.betas[0] : g.momentum!;
}

function runScheduler(c: Case, created: Tensor[]): CaseResult {
  const p = torch.zeros([1], { requiresGrad: true });
  created.push(p);
  const opt = makeOptimizer(c.optimizer!, [p]);
  try {
    const make = SCHEDULERS[c.fn];
    if (!make) throw new Error(`runCase: no torchlet lr scheduler for '${c.fn}'`);
    const sched = make(opt, c.kwargs ?? {});
    const keys: Array<'lr' | 'momentum'> = ['lr'];
    if (c.fn === 'OneCycleLR' && c.kwargs.cycleMomentum !== false) keys.push('momentum');
    const initial = Object.fromEntries(keys.map((k) => [k, groupValue(opt, k)]));
    const n = c.numSteps ?? 0;
    const series = keys.map(() => new Float64Array(n));
    for (let s = 0; s < n; s++) {
      opt.step(); // no parameter has a gradient: a no-op, as in the generator
      sched.step();
      keys.forEach((k, i) => {
        series[i]![s] = groupValue(opt, k);
      });
    }
    return { outputs: keys.map((k, i) => ({ name: k, dtype: 'float64', shape: [n], data: series[i]! })), initial };
  } finally {
    opt.dispose();
  }
}

async function runClip(c: Case, created: Tensor[]): Promise<CaseResult> {
  const params = c.inputs.map((t) => {
    // The parameter's values do not matter: only its gradient is clipped.
    const p = toTensor(t, true);
    created.push(p);
    p.grad = toTensor(t);
    return p;
  });
  const grads = () => params.map((p) => p.grad!);
  if (c.fn === 'clipGradNorm') {
    const normType = c.kwargs.normType === undefined ? 2 : decodeNumber(c.kwargs.normType as number);
    const total = optim.clipGradNorm(params, decodeNumber(c.kwargs.maxNorm as number), normType);
    created.push(total);
    return { outputs: await Promise.all([total, ...grads()].map(toResult)) };
  }
  optim.clipGradValue(params, decodeNumber(c.kwargs.clipValue as number));
  return { outputs: await Promise.all(grads().map(toResult)) };
}

/**
 * Optimizers: one param group with fresh state; each step sets `.grad` from `steps[k].grads`,
 * calls `step()` and records the parameters. Schedulers: the case's optimizer on a dummy
 * parameter; `initial` after construction, then `numSteps` times `optimizer.step();
 * scheduler.step()` recording `lr` (and `momentum` for OneCycleLR with cycleMomentum) as float64.
 * Clipping: the inputs are the `.grad` of three parameters. Every tensor created is disposed.
 */
export async function runOptimCase(c: Case): Promise<CaseResult> {
  const created: Tensor[] = [];
  try {
    if (c.steps !== undefined) return await runOptimizer(c, created);
    if (c.optimizer !== undefined) return runScheduler(c, created);
    return await runClip(c, created);
  } finally {
    for (const t of created) t.dispose();
  }
}
