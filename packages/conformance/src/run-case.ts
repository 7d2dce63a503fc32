import * as torch from '@torchlet/core';
import { gradOf } from '@torchlet/autograd';
import { isModuleCase, runModuleCase } from './run-module.ts';
import { isOptimCase, runOptimCase } from './run-optim.ts';
import type { Tensor } from '@torchlet/core';
import { F } from '@torchlet/nn';
import type { Case, TensorJson } from './cases.ts';
import { decodeNumber, decodeTensor } from './decode.ts';
import { EXTRA_OPS } from './ops-extra.ts';
import { MATH_OPS } from './ops-math.ts';

/**
 * A result tensor. `data` may be a typed array, a number array, or booleans for bool tensors;
 * `dtype` is required for outputs and optional for gradients (which are float32).
 */
export interface ResultTensor {
  readonly dtype?: string;
  readonly shape: readonly number[];
  readonly data: ArrayLike<number | boolean>;
}

/**
 * What {@link runCase} returns, in the case file's own layout: `outputs` in PyTorch's order
 * (`null` where PyTorch returns None), and, for cases that have `grads`, the gradients it
 * computed for the inputs named in the case (and for every parameter of a module), and for
 * optimizer cases the parameters after each step (and for schedulers the `initial` values).
 */
export interface CaseResult {
  readonly outputs: readonly (ResultTensor | null)[];
  readonly grads?: {
    readonly inputs: Readonly<Record<string, ResultTensor>>;
    readonly params?: Readonly<Record<string, ResultTensor>>;
  };
  readonly steps?: readonly { readonly params: readonly ResultTensor[] }[];
  /** lr schedulers: the param-group values right after construction. */
  readonly initial?: Readonly<Record<string, number>>;
}

export type Kwargs = Readonly<Record<string, unknown>>;
/** A case's tensor arguments by name (`tensors.0`, `tensors.1`, ... for lists). */
export type Args = Readonly<Record<string, Tensor>>;
/** What a mapped op returns; data-dependent ops (nonzero, unique) use their async forms. */
export type OpResult = Tensor | readonly Tensor[];
export type OpFn = (args: Args, kw: Kwargs) => OpResult | Promise<OpResult>;

/** A kwarg as a number: the case files write special floats as strings. */
export function num(v: unknown): number {
  return decodeNumber(v as number);
}

export function optNum(v: unknown): number | undefined {
  return v === undefined || v === null ? undefined : num(v);
}

/** `other` / `exponent`: a tensor input if there is one, else the Python number in kwargs. */
function operand(args: Args, kw: Kwargs, name: string): Tensor | number {
  const t = args[name];
  if (t) return t;
  if (!(name in kw)) throw new Error(`runCase: the case has neither an input nor a kwarg named '${name}'`);
  return num(kw[name]);
}

function reduceOpts(kw: Kwargs): { dim?: number | number[]; keepdim?: boolean } {
  return { dim: kw.dim as number | number[] | undefined, keepdim: kw.keepdim as boolean | undefined };
}

type IntOrList = number | number[];

function convOpts(kw: Kwargs): F.ConvOptions {
  return {
    stride: kw.stride as IntOrList | undefined,
    padding: kw.padding as IntOrList | 'same' | 'valid' | undefined,
    dilation: kw.dilation as IntOrList | undefined,
    groups: kw.groups as number | undefined,
  };
}

function lossOpts(a: Args, kw: Kwargs): { reduction?: F.Reduction; weight?: Tensor } {
  return { reduction: kw.reduction as F.Reduction | undefined, weight: a.weight };
}

function classOpts(a: Args, kw: Kwargs): F.CrossEntropyOptions {
  return { ...lossOpts(a, kw), ignoreIndex: kw.ignoreIndex as number | undefined, labelSmoothing: optNum(kw.labelSmoothing) };
}

const unary = (f: (x: Tensor) => Tensor): OpFn => (a) => f(a.input!);
const binary = (f: (x: Tensor, y: Tensor | number) => Tensor, other = 'other'): OpFn => (a, kw) => f(a.input!, operand(a, kw, other));
const tensorList = (a: Args): Tensor[] =>
  Object.keys(a)
    .filter((k) => k.startsWith('tensors.'))
    .sort((x, y) => Number(x.slice(8)) - Number(y.slice(8)))
    .map((k) => a[k]!);

/**
 * The functional cases: PyTorch's name in the case file -> the torchlet call. Each entry is the
 * line a user would write, so this table doubles as a translation reference.
 */
const OPS: Record<string, OpFn> = {
  // element-wise
  neg: unary(torch.neg), abs: unary(torch.abs), exp: unary(torch.exp), log: unary(torch.log),
  sqrt: unary(torch.sqrt), rsqrt: unary(torch.rsqrt), sin: unary(torch.sin), cos: unary(torch.cos),
  tanh: unary(torch.tanh), sigmoid: unary(torch.sigmoid), relu: unary(torch.relu), silu: unary(torch.silu),
  gelu: (a, kw) => torch.gelu(a.input!, { approximate: kw.approximate as 'none' | 'tanh' | undefined }),
  leakyRelu: (a, kw) => torch.leakyRelu(a.input!, optNum(kw.negativeSlope)),
  elu: (a, kw) => torch.elu(a.input!, optNum(kw.alpha)),
  softplus: (a, kw) => torch.softplus(a.input!, { beta: optNum(kw.beta), threshold: optNum(kw.threshold) }),
  add: (a, kw) => torch.add(a.input!, operand(a, kw, 'other'), { alpha: optNum(kw.alpha) }),
  sub: (a, kw) => torch.sub(a.input!, operand(a, kw, 'other'), { alpha: optNum(kw.alpha) }),
  mul: binary(torch.mul),
  maximum: binary(torch.maximum), minimum: binary(torch.minimum),
  pow: binary(torch.pow, 'exponent'),
  where: (a) => torch.where(a.condition!, a.input!, a.other!),
  eq: binary(torch.eq), ne: binary(torch.ne), lt: binary(torch.lt),
  le: binary(torch.le), gt: binary(torch.gt), ge: binary(torch.ge),
  // reductions
  sum: (a, kw) => torch.sum(a.input!, reduceOpts(kw)),
  mean: (a, kw) => torch.mean(a.input!, reduceOpts(kw)),
  prod: (a, kw) => torch.prod(a.input!, reduceOpts(kw)),
  logsumexp: (a, kw) => torch.logsumexp(a.input!, reduceOpts(kw)),
  var: (a, kw) => torch.var(a.input!, { ...reduceOpts(kw), unbiased: kw.unbiased as boolean | undefined }),
  std: (a, kw) => torch.std(a.input!, { ...reduceOpts(kw), unbiased: kw.unbiased as boolean | undefined }),
  max: (a, kw) => (kw.dim === undefined || kw.dim === null ? torch.max(a.input!) : torch.max(a.input!, { dim: kw.dim as number, keepdim: kw.keepdim as boolean | undefined })),
  min: (a, kw) => (kw.dim === undefined || kw.dim === null ? torch.min(a.input!) : torch.min(a.input!, { dim: kw.dim as number, keepdim: kw.keepdim as boolean | undefined })),
  argmax: (a, kw) => torch.argmax(a.input!, { dim: kw.dim as number | undefined, keepdim: kw.keepdim as boolean | undefined }),
  argmin: (a, kw) => torch.argmin(a.input!, { dim: kw.dim as number | undefined, keepdim: kw.keepdim as boolean | undefined }),
  // shapes
  reshape: (a, kw) => a.input!.reshape(kw.shape as number[]),
  view: (a, kw) => a.input!.view(kw.shape as number[]),
  permute: (a, kw) => a.input!.permute(kw.dims as number[]),
  transpose: (a, kw) => a.input!.transpose(kw.dim0 as number, kw.dim1 as number),
  unsqueeze: (a, kw) => a.input!.unsqueeze(kw.dim as number),
  squeeze: (a, kw) => a.input!.squeeze(kw.dim as number | undefined),
  expand: (a, kw) => a.input!.expand(kw.size as number[]),
  flatten: (a, kw) => a.input!.flatten(kw.startDim as number | undefined, kw.endDim as number | undefined),
  contiguous: (a) => a.input!.contiguous(),
  cat: (a, kw) => torch.cat(tensorList(a), kw.dim as number | undefined),
  stack: (a, kw) => torch.stack(tensorList(a), kw.dim as number | undefined),
  split: (a, kw) => torch.split(a.input!, kw.splitSizeOrSections as number | number[], kw.dim as number | undefined),
  chunk: (a, kw) => torch.chunk(a.input!, kw.chunks as number, kw.dim as number | undefined),
  narrow: (a, kw) => a.input!.narrow(kw.dim as number, kw.start as number, kw.length as number),
  slice: (a, kw) => a.input!.slice(kw.dim as number, kw.start as number | null, kw.end as number | null, kw.step as number | undefined),
  select: (a, kw) => a.input!.select(kw.dim as number, kw.index as number),
  flip: (a, kw) => a.input!.flip(kw.dims as number[]),
  gather: (a, kw) => torch.gather(a.input!, kw.dim as number, a.index!),
  indexSelect: (a, kw) => torch.indexSelect(a.input!, kw.dim as number, a.index!),
  maskedFill: (a, kw) => torch.maskedFill(a.input!, a.mask!, num(kw.value)),
  tril: (a, kw) => torch.tril(a.input!, kw.diagonal as number | undefined),
  triu: (a, kw) => torch.triu(a.input!, kw.diagonal as number | undefined),
  repeat: (a, kw) => a.input!.repeat(kw.sizes as number[]),
  chain: (a, kw) => {
    let x = a.input!;
    for (const step of kw.ops as ReadonlyArray<{ fn: string; kwargs: Kwargs }>) {
      const f = OPS[step.fn];
      if (!f) throw new Error(`runCase: chain step '${step.fn}' has no torchlet mapping`);
      const r = f({ input: x }, step.kwargs);
      if (r instanceof Promise) throw new Error(`runCase: chain step '${step.fn}' is asynchronous`);
      x = r as Tensor;
    }
    return x;
  },
  // linear algebra
  matmul: (a) => torch.matmul(a.input!, a.other!),
  mm: (a) => torch.mm(a.input!, a.mat2!),
  bmm: (a) => torch.bmm(a.input!, a.mat2!),
  linear: (a) => torch.linear(a.input!, a.weight!, a.bias),
  // nn ops (F = torch.nn.functional)
  softmax: (a, kw) => F.softmax(a.input!, kw.dim as number),
  logSoftmax: (a, kw) => F.logSoftmax(a.input!, kw.dim as number),
  layerNorm: (a, kw) => F.layerNorm(a.input!, kw.normalizedShape as number[], { weight: a.weight, bias: a.bias, eps: optNum(kw.eps) }),
  batchNorm: (a, kw) => {
    const y = F.batchNorm(a.input!, a.runningMean, a.runningVar, {
      weight: a.weight, bias: a.bias, training: kw.training as boolean | undefined, momentum: optNum(kw.momentum), eps: optNum(kw.eps),
    });
    // The running statistics were updated in place.
    return [y, a.runningMean!, a.runningVar!];
  },
  dropout: (a, kw) => F.dropout(a.input!, { p: optNum(kw.p), training: kw.training as boolean | undefined }),
  embedding: (a, kw) => F.embedding(a.input!, a.weight!, { paddingIdx: kw.paddingIdx as number | null | undefined }),
  conv1d: (a, kw) => F.conv1d(a.input!, a.weight!, a.bias, convOpts(kw)),
  conv2d: (a, kw) => F.conv2d(a.input!, a.weight!, a.bias, convOpts(kw)),
  maxPool2d: (a, kw) => F.maxPool2d(a.input!, {
    kernelSize: kw.kernelSize as IntOrList, stride: kw.stride as IntOrList | null | undefined, padding: kw.padding as IntOrList | undefined,
    dilation: kw.dilation as IntOrList | undefined, ceilMode: kw.ceilMode as boolean | undefined,
  }),
  avgPool2d: (a, kw) => F.avgPool2d(a.input!, {
    kernelSize: kw.kernelSize as IntOrList, stride: kw.stride as IntOrList | null | undefined, padding: kw.padding as IntOrList | undefined,
    ceilMode: kw.ceilMode as boolean | undefined, countIncludePad: kw.countIncludePad as boolean | undefined,
    divisorOverride: kw.divisorOverride as number | null | undefined,
  }),
  adaptiveAvgPool2d: (a, kw) => F.adaptiveAvgPool2d(a.input!, kw.outputSize as number | (number | null)[]),
  oneHot: (a, kw) => F.oneHot(a.tensor!, kw.numClasses as number | undefined),
  cosineSimilarity: (a, kw) => F.cosineSimilarity(a.x1!, a.x2!, { dim: kw.dim as number | undefined, eps: optNum(kw.eps) }),
  // losses
  mseLoss: (a, kw) => F.mseLoss(a.input!, a.target!, lossOpts(a, kw)),
  l1Loss: (a, kw) => F.l1Loss(a.input!, a.target!, lossOpts(a, kw)),
  smoothL1Loss: (a, kw) => F.smoothL1Loss(a.input!, a.target!, { ...lossOpts(a, kw), beta: optNum(kw.beta) }),
  crossEntropy: (a, kw) => F.crossEntropy(a.input!, a.target!, classOpts(a, kw)),
  nllLoss: (a, kw) => F.nllLoss(a.input!, a.target!, classOpts(a, kw)),
  binaryCrossEntropy: (a, kw) => F.binaryCrossEntropy(a.input!, a.target!, lossOpts(a, kw)),
  binaryCrossEntropyWithLogits: (a, kw) => F.binaryCrossEntropyWithLogits(a.input!, a.target!, { ...lossOpts(a, kw), posWeight: a.posWeight }),
  klDiv: (a, kw) => F.klDiv(a.input!, a.target!, { reduction: kw.reduction as F.KlDivOptions['reduction'], logTarget: kw.logTarget as boolean | undefined }),
  ...EXTRA_OPS,
  ...MATH_OPS,
};

/** Uploads a case tensor to the current backend. */
function toTensor(t: TensorJson, requiresGrad = false): Tensor {
  const d = decodeTensor(t);
  if (d.dtype === 'float64') throw new Error(`runCase: float64 input '${t.name ?? ''}' has no torchlet dtype`);
  return torch.fromArray(d.data as Float32Array | Int32Array | Uint8Array, d.shape, { dtype: d.dtype, requiresGrad });
}

/** Inputs that never take gradients (the conformance README): running stats and class weights. */
const NEVER_DIFFERENTIATED = new Set(['runningMean', 'runningVar', 'posWeight']);
const CLASS_WEIGHTED = new Set(['crossEntropy', 'nllLoss', 'binaryCrossEntropy', 'binaryCrossEntropyWithLogits']);

/**
 * Whether runCase asks for the gradient of an input: every float32 input but those. (It cannot
 * look at which gradients the case lists: those are expected values.)
 */
function differentiable(fn: string, t: TensorJson): boolean {
  const name = t.name ?? '';
  return t.dtype === 'float32' && !NEVER_DIFFERENTIATED.has(name) && !(name === 'weight' && CLASS_WEIGHTED.has(fn));
}

/**
 * The gradients of `sum_i sum(outputs[i] * upstream[i])` with respect to `inputs` (zeros for
 * inputs the outputs do not depend on), as the README defines them.
 */
function inputGradients(outputs: readonly Tensor[], upstream: readonly (TensorJson | null)[], inputs: Record<string, Tensor>): Record<string, Tensor> {
  const names = Object.keys(inputs);
  let total: Tensor | null = null;
  outputs.forEach((o, i) => {
    const u = upstream[i];
    if (!u || !o.requiresGrad) return;
    const term = o.mul(toTensor(u)).sum();
    total = total ? total.add(term) : term;
  });
  const grads: Tensor[] = total
    ? gradOf(total, names.map((n) => inputs[n]!), { allowUnused: true })
    : names.map((n) => torch.zerosLike(inputs[n]!));
  return Object.fromEntries(names.map((n, i) => [n, grads[i]!]));
}

async function toResult(t: Tensor): Promise<ResultTensor> {
  return { dtype: t.dtype, shape: [...t.shape], data: await t.data() };
}

/**
 * The case's kwargs, with any value that needs the data resolved first, as a user on an
 * asynchronous backend would: `oneHot(t, -1)` infers the class count from the values, which
 * needs a synchronous read (wasm has one, WebGPU does not), so the count is read with
 * `await max().item()` and passed explicitly. Core's own tests cover the synchronous -1 path.
 */
async function resolveKwargs(c: Case): Promise<Kwargs> {
  const kw = c.kwargs ?? {};
  if (c.fn === 'oneHot' && (kw.numClasses === -1 || kw.numClasses === undefined)) {
    const input = c.inputs.find((t) => t.name === 'tensor');
    if (input && input.data.length > 0) {
      const t = toTensor(input);
      try {
        const m = t.max();
        const numClasses = (await m.item()) as number + 1;
        m.dispose();
        return { ...kw, numClasses };
      } finally {
        t.dispose();
      }
    }
  }
  return kw;
}

/**
 * Runs one conformance case on the backend called `backendName` and returns what torchlet
 * computed, in the case file's layout (see {@link CaseResult}).
 *
 * It reads only the case's arguments: `fn`, `kwargs`, `inputs`, `grads.upstream`, `state`,
 * `training`, `forwardKwargs`, `steps[].grads`, `optimizer`, `numSteps`. It never reads the
 * expected values (`outputs`, `grads.inputs`, `grads.params`, `steps[].params`, `initial`)
 * — the conformance tests run it on copies with those deleted to check.
 *
 * Every tensor it creates is disposed before it returns.
 */
export async function runCase(caseJson: Case, backendName: string): Promise<CaseResult> {
  if (torch.getBackendName() !== backendName) await torch.setBackend(backendName);
  if (isModuleCase(caseJson)) return runModuleCase(caseJson);
  if (isOptimCase(caseJson)) return runOptimCase(caseJson);
  const op = OPS[caseJson.fn];
  if (!op) throw new Error(`runCase: no torchlet mapping for '${caseJson.fn}' (case ${caseJson.id})`);
  const kwargs = await resolveKwargs(caseJson);
  const withGrads = caseJson.grads !== undefined;
  const created: Tensor[] = [];
  try {
    const { outputs, grads } = await torch.tidy(async () => {
      const args: Record<string, Tensor> = {};
      const diff: Record<string, Tensor> = {};
      caseJson.inputs.forEach((t, i) => {
        const name = t.name ?? `input${i}`;
        const wants = withGrads && differentiable(caseJson.fn, t);
        args[name] = toTensor(t, wants);
        if (wants) diff[name] = args[name]!;
      });
      const r = await op(args, kwargs);
      const outs = Array.isArray(r) ? [...r] : [r as Tensor];
      return { outputs: outs, grads: withGrads ? inputGradients(outs, caseJson.grads!.upstream, diff) : {} };
    });
    created.push(...outputs, ...Object.values(grads));
    const result: CaseResult = { outputs: await Promise.all(outputs.map(toResult)) };
    if (!withGrads) return result;
    const inputs: Record<string, ResultTensor> = {};
    for (const [name, g] of Object.entries(grads)) inputs[name] = await toResult(g);
    return { ...result, grads: { inputs } };
  } finally {
    for (const t of created) t.dispose();
  }
}
