/**
 * Module cases (families `modules`): build the nn module from `kwargs`, load `state` with
 * loadStateDict, run forward on `inputs` (and `forwardKwargs`), and return the outputs with the
 * gradients of every float input and every parameter for `grads.upstream`. Never reads expected
 * values.
 */
import * as torch from '@torchlet/core';
import type { Tensor } from '@torchlet/core';
import { gradOf } from '@torchlet/autograd';
import * as nn from '@torchlet/nn';
import * as transformer from '@torchlet/transformer';
import type { Case, TensorJson } from './cases.ts';
import { decodeTensor } from './decode.ts';
import type { CaseResult, ResultTensor } from './run-case.ts';

type Kwargs = Readonly<Record<string, unknown>>;
type Args = Readonly<Record<string, Tensor | undefined>>;
type Outputs = ReadonlyArray<Tensor | null>;

/** How to build each module from its case kwargs and call it with the case's named inputs. */
interface ModuleSpec {
  build(kw: Kwargs): nn.Module;
  forward(m: nn.Module, a: Args, fkw: Kwargs): Outputs;
}

/** Builds a module from a `{fn, kwargs}` pair (Sequential layers, encoder layers, norms). */
export function buildModule(fn: string, kw: Kwargs): nn.Module {
  const spec = MODULES[fn];
  if (!spec) throw new Error(`runCase: no torchlet module for '${fn}'`);
  return spec.build(kw);
}

const one = (t: Tensor): Outputs => [t];

/** RNN/LSTM/GRU constructor options from case kwargs (PyTorch's names, camelCased). */
const rnnOptions = (kw: Kwargs): nn.RNNOptions => without(kw, 'inputSize', 'hiddenSize') as nn.RNNOptions;

/**
 * The module table: PyTorch's class name -> the torchlet constructor and call. Entries join as
 * layers land; a case whose module is missing fails with that message (no skip list).
 */
export const MODULES: Record<string, ModuleSpec> = {
  Linear: {
    build: (kw) => new nn.Linear(kw.inFeatures as number, kw.outFeatures as number, { bias: kw.bias as boolean | undefined }),
    forward: (m, a) => one((m as nn.Linear).forward(a.input!)),
  },
  ReLU: { build: () => new nn.ReLU(), forward: (m, a) => one((m as nn.ReLU).forward(a.input!)) },
  Sequential: {
    build: (kw) => new nn.Sequential(...(kw.layers as Array<{ fn: string; kwargs: Kwargs }>).map((l) => buildModule(l.fn, l.kwargs))),
    forward: (m, a) => one((m as nn.Sequential).forward(a.input!)),
  },
  Conv2d: {
    build: (kw) => new nn.Conv2d(kw.inChannels as number, kw.outChannels as number, kw.kernelSize as number | number[], without(kw, 'inChannels', 'outChannels', 'kernelSize') as nn.ConvOptions),
    forward: (m, a) => one((m as nn.Conv2d).forward(a.input!)),
  },
  LayerNorm: {
    build: (kw) => new nn.LayerNorm(kw.normalizedShape as number | number[], without(kw, 'normalizedShape') as nn.LayerNormOptions),
    forward: (m, a) => one((m as nn.LayerNorm).forward(a.input!)),
  },
  Embedding: {
    build: (kw) => new nn.Embedding(kw.numEmbeddings as number, kw.embeddingDim as number, without(kw, 'numEmbeddings', 'embeddingDim') as nn.EmbeddingOptions),
    forward: (m, a) => one((m as nn.Embedding).forward(a.input!)),
  },
  RNN: {
    build: (kw) => new nn.RNN(kw.inputSize as number, kw.hiddenSize as number, rnnOptions(kw)),
    forward: (m, a) => (m as nn.RNN).forward(a.input!, a.h0),
  },
  LSTM: {
    build: (kw) => new nn.LSTM(kw.inputSize as number, kw.hiddenSize as number, rnnOptions(kw)),
    forward: (m, a) => (m as nn.LSTM).forward(a.input!, a.h0, a.c0),
  },
  GRU: {
    build: (kw) => new nn.GRU(kw.inputSize as number, kw.hiddenSize as number, rnnOptions(kw)),
    forward: (m, a) => (m as nn.GRU).forward(a.input!, a.h0),
  },
  MultiheadAttention: {
    build: (kw) => new transformer.MultiheadAttention(kw.embedDim as number, kw.numHeads as number, without(kw, 'embedDim', 'numHeads') as transformer.MultiheadAttentionOptions),
    forward: (m, a, fkw) =>
      (m as transformer.MultiheadAttention).forward(a.query!, a.key!, a.value!, { ...(fkw as transformer.MultiheadAttentionForwardOptions), keyPaddingMask: a.keyPaddingMask, attnMask: a.attnMask }),
  },
  TransformerEncoderLayer: {
    build: (kw) => new transformer.TransformerEncoderLayer(kw.dModel as number, kw.nhead as number, without(kw, 'dModel', 'nhead') as transformer.TransformerLayerOptions),
    forward: (m, a) => one((m as transformer.TransformerEncoderLayer).forward(a.src!, { srcMask: a.srcMask, srcKeyPaddingMask: a.srcKeyPaddingMask })),
  },
  TransformerEncoder: {
    build: (kw) => {
      const norm = kw.norm as { normalizedShape: number[]; eps?: number } | null | undefined;
      return new transformer.TransformerEncoder(kw.encoderLayer as transformer.TransformerLayerConfig, kw.numLayers as number, norm ? new nn.LayerNorm(norm.normalizedShape, { eps: norm.eps }) : null);
    },
    forward: (m, a) => one((m as transformer.TransformerEncoder).forward(a.src!, { mask: a.mask, srcKeyPaddingMask: a.srcKeyPaddingMask })),
  },
  TransformerDecoderLayer: {
    build: (kw) => new transformer.TransformerDecoderLayer(kw.dModel as number, kw.nhead as number, without(kw, 'dModel', 'nhead') as transformer.TransformerLayerOptions),
    forward: (m, a) => one((m as transformer.TransformerDecoderLayer).forward(a.tgt!, a.memory!, without(a, 'tgt', 'memory') as transformer.TransformerDecoderLayerForwardOptions)),
  },
  Transformer: {
    build: (kw) => new transformer.Transformer(kw as transformer.TransformerOptions),
    forward: (m, a) => one((m as transformer.Transformer).forward(a.src!, a.tgt!, without(a, 'src', 'tgt') as transformer.TransformerForwardOptions)),
  },
};

/** `o` without the keys given positionally: options objects refuse keys they do not know. */
function without(o: object, ...keys: string[]): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([k]) => !keys.includes(k)));
}

function toTensor(t: TensorJson, requiresGrad: boolean): Tensor {
  const d = decodeTensor(t);
  if (d.dtype === 'float64') throw new Error(`runCase: float64 tensor '${t.name ?? ''}' has no torchlet dtype`);
  return torch.fromArray(d.data as Float32Array | Int32Array | Uint8Array, d.shape, { dtype: d.dtype, requiresGrad });
}

async function toResult(t: Tensor): Promise<ResultTensor> {
  return { dtype: t.dtype, shape: [...t.shape], data: await t.data() };
}

/** True for the cases this file runs: those with a module `state`. */
export function isModuleCase(c: Case): boolean {
  return c.state !== undefined;
}

/** Options of {@link runModuleCase}. */
export interface ModuleCaseOptions {
  /**
   * Run forward and gradients through `torch.compile` (three calls: the warm-up, the trace, and the
   * replay whose results are judged), so the same tolerances check compiled plans.
   */
  readonly compiled?: boolean;
}

export async function runModuleCase(c: Case, options: ModuleCaseOptions = {}): Promise<CaseResult> {
  const spec = MODULES[c.fn];
  if (!spec) throw new Error(`runCase: no torchlet module for '${c.fn}' (case ${c.id})`);
  const withGrads = c.grads !== undefined;
  const module = spec.build(c.kwargs ?? {});
  const owned: Tensor[] = [];
  try {
    const state: Record<string, Tensor> = {};
    for (const [k, t] of Object.entries(c.state ?? {})) owned.push((state[k] = toTensor(t, false)));
    module.loadStateDict(state);
    module.train(c.training ?? true);
    const args: Record<string, Tensor> = {};
    const diff: Record<string, Tensor> = {};
    for (const t of c.inputs) {
      const wants = withGrads && t.dtype === 'float32' && !/mask/i.test(t.name ?? '');
      owned.push((args[t.name!] = toTensor(t, wants)));
      if (wants) diff[t.name!] = args[t.name!]!;
    }
    const upstream = (c.grads?.upstream ?? []).map((u) => (u ? toTensor(u, false) : null));
    owned.push(...(upstream.filter(Boolean) as Tensor[]));
    const compute = (a: Record<string, Tensor>) => {
      const outs = spec.forward(module, a, c.forwardKwargs ?? {});
      if (!withGrads) return { outputs: outs, inputGrads: {}, paramGrads: {} };
      let total: Tensor | null = null;
      outs.forEach((o, i) => {
        const u = upstream[i];
        if (!o || !u || !o.requiresGrad) return;
        const term = o.mul(u).sum();
        total = total ? total.add(term) : term;
      });
      const inNames = Object.keys(diff);
      const params = module.namedParameters();
      const targets = [...inNames.map((n) => a[n]!), ...params.map(([, p]) => p)];
      const grads: Tensor[] = total ? gradOf(total, targets, { allowUnused: true }) : targets.map((t) => torch.zerosLike(t));
      return {
        outputs: outs,
        inputGrads: Object.fromEntries(inNames.map((n, i) => [n, grads[i]!])) as Record<string, Tensor>,
        paramGrads: Object.fromEntries(params.map(([n], i) => [n, grads[inNames.length + i]!])) as Record<string, Tensor>,
      };
    };
    type Computed = ReturnType<typeof compute>;
    const run = (f: (a: Record<string, Tensor>) => Computed): Computed => torch.tidy(() => f(args));
    let result1: Computed;
    if (options.compiled) {
      const compiled = torch.compile(compute, { fullgraph: true });
      const disposeAll = (r: Computed): void => {
        for (const t of [...r.outputs, ...Object.values(r.inputGrads), ...Object.values(r.paramGrads)]) t?.dispose();
      };
      disposeAll(run(compiled));
      disposeAll(run(compiled));
      result1 = run(compiled);
      if (compiled.stats().replays !== 1) throw new Error(`runCase: the compiled call did not replay (${JSON.stringify(compiled.stats())})`);
      compiled.dispose();
    } else result1 = run(compute);
    const { outputs, inputGrads, paramGrads } = result1;
    owned.push(...(outputs.filter(Boolean) as Tensor[]), ...Object.values(inputGrads), ...Object.values(paramGrads));
    const result: CaseResult = { outputs: await Promise.all(outputs.map((o) => (o ? toResult(o) : null))) };
    if (!withGrads) return result;
    const read = async (g: Record<string, Tensor>): Promise<Record<string, ResultTensor>> =>
      Object.fromEntries(await Promise.all(Object.entries(g).map(async ([k, t]) => [k, await toResult(t)] as const)));
    return { ...result, grads: { inputs: await read(inputGrads), params: await read(paramGrads) } };
  } finally {
    for (const t of owned) t.dispose();
    module.dispose();
  }
}
