/**
 * Issue 12, part 7: a module is callable as in PyTorch. `net(x)` gives what `net.forward(x)`
 * gives for every exported layer class (a class without a case here fails the test), and the
 * forward hooks fire in both.
 */
import { inspect } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import * as torch from '../src/index.ts';

const { nn, transformer } = torch;
type Tensor = torch.Tensor;

beforeAll(async () => {
  await torch.setBackend('wasm');
});

const gpt = { vocabSize: 11, blockSize: 8, nLayer: 1, nHead: 2, nEmbd: 8 };
const llama = { vocabSize: 11, hiddenSize: 8, intermediateSize: 12, numHiddenLayers: 1, numAttentionHeads: 2, numKeyValueHeads: 1 };
const ids = (): Tensor => torch.tensor([[1, 2, 3, 4]], { dtype: 'int64' });
const rope = (): InstanceType<typeof transformer.RotaryEmbedding> => new transformer.RotaryEmbedding(4, 8);

/** One module and its forward arguments per exported class. */
const CASES: Record<string, () => [torch.nn.Module, unknown[]]> = {
  Sequential: () => [new nn.Sequential(new nn.Linear(4, 3), new nn.ReLU()), [torch.randn(2, 4)]],
  Linear: () => [new nn.Linear(4, 3), [torch.randn(2, 4)]],
  ReLU: () => [new nn.ReLU(), [torch.randn(2, 4)]],
  GELU: () => [new nn.GELU(), [torch.randn(2, 4)]],
  SiLU: () => [new nn.SiLU(), [torch.randn(2, 4)]],
  Tanh: () => [new nn.Tanh(), [torch.randn(2, 4)]],
  Sigmoid: () => [new nn.Sigmoid(), [torch.randn(2, 4)]],
  LeakyReLU: () => [new nn.LeakyReLU(0.1), [torch.randn(2, 4)]],
  ELU: () => [new nn.ELU(), [torch.randn(2, 4)]],
  Softplus: () => [new nn.Softplus(), [torch.randn(2, 4)]],
  Softmax: () => [new nn.Softmax(1), [torch.randn(2, 4)]],
  LogSoftmax: () => [new nn.LogSoftmax(1), [torch.randn(2, 4)]],
  Identity: () => [new nn.Identity(), [torch.randn(2, 4)]],
  Flatten: () => [new nn.Flatten(), [torch.randn(2, 3, 4)]],
  RNN: () => [new nn.RNN(4, 3), [torch.randn(5, 2, 4)]],
  LSTM: () => [new nn.LSTM(4, 3), [torch.randn(5, 2, 4)]],
  GRU: () => [new nn.GRU(4, 3), [torch.randn(5, 2, 4)]],
  Conv1d: () => [new nn.Conv1d(2, 3, 3), [torch.randn(1, 2, 6)]],
  Conv2d: () => [new nn.Conv2d(2, 3, 3), [torch.randn(1, 2, 5, 5)]],
  MaxPool2d: () => [new nn.MaxPool2d(2), [torch.randn(1, 2, 4, 4)]],
  AvgPool2d: () => [new nn.AvgPool2d(2), [torch.randn(1, 2, 4, 4)]],
  AdaptiveAvgPool2d: () => [new nn.AdaptiveAvgPool2d(1), [torch.randn(1, 2, 4, 4)]],
  BatchNorm1d: () => [new nn.BatchNorm1d(4), [torch.randn(3, 4)]],
  BatchNorm2d: () => [new nn.BatchNorm2d(2), [torch.randn(2, 2, 3, 3)]],
  LayerNorm: () => [new nn.LayerNorm(4), [torch.randn(2, 4)]],
  RMSNorm: () => [new nn.RMSNorm(4), [torch.randn(2, 4)]],
  Dropout: () => [new nn.Dropout(0.5), [torch.randn(2, 4)]],
  Embedding: () => [new nn.Embedding(10, 3), [torch.tensor([1, 2, 9], { dtype: 'int64' })]],
  MSELoss: () => [new nn.MSELoss(), [torch.randn(2, 4), torch.randn(2, 4)]],
  L1Loss: () => [new nn.L1Loss(), [torch.randn(2, 4), torch.randn(2, 4)]],
  SmoothL1Loss: () => [new nn.SmoothL1Loss(), [torch.randn(2, 4), torch.randn(2, 4)]],
  CrossEntropyLoss: () => [new nn.CrossEntropyLoss(), [torch.randn(2, 4), torch.tensor([1, 3], { dtype: 'int64' })]],
  NLLLoss: () => [new nn.NLLLoss(), [nn.F.logSoftmax(torch.randn(2, 4), 1), torch.tensor([1, 3], { dtype: 'int64' })]],
  BCELoss: () => [new nn.BCELoss(), [torch.rand(2, 4), torch.rand(2, 4)]],
  BCEWithLogitsLoss: () => [new nn.BCEWithLogitsLoss(), [torch.randn(2, 4), torch.rand(2, 4)]],
  KLDivLoss: () => [new nn.KLDivLoss({ reduction: 'batchmean' }), [nn.F.logSoftmax(torch.randn(2, 4), 1), torch.rand(2, 4)]],
  LoraLinear: () => [new nn.LoraLinear(new nn.Linear(4, 3), { r: 2, targetModules: ['fc'] }), [torch.randn(2, 4)]],
  QuantizedLinear: () => [new nn.QuantizedLinear(4, 2, new Int8Array([1, -2, 3, 4, 5, 6, -7, 8]), new Float32Array([0.1, 0.2]), new Float32Array([0, 1])), [torch.randn(3, 4)]],
  Float16Linear: () => [new nn.Float16Linear(2, 1, new Uint16Array([0x3c00, 0xc000]), null), [torch.randn(3, 2)]],
  MultiheadAttention: () => [new transformer.MultiheadAttention(8, 2), [torch.randn(3, 1, 8), torch.randn(3, 1, 8), torch.randn(3, 1, 8)]],
  TransformerEncoderLayer: () => [new transformer.TransformerEncoderLayer(8, 2, 16), [torch.randn(3, 1, 8)]],
  TransformerEncoder: () => [new transformer.TransformerEncoder(new transformer.TransformerEncoderLayer(8, 2, 16), 2), [torch.randn(3, 1, 8)]],
  TransformerDecoderLayer: () => [new transformer.TransformerDecoderLayer(8, 2, 16), [torch.randn(3, 1, 8), torch.randn(2, 1, 8)]],
  TransformerDecoder: () => [new transformer.TransformerDecoder(new transformer.TransformerDecoderLayer(8, 2, 16), 1), [torch.randn(3, 1, 8), torch.randn(2, 1, 8)]],
  Transformer: () => [new transformer.Transformer(8, 2, 1, 1, 16), [torch.randn(3, 1, 8), torch.randn(2, 1, 8)]],
  SinusoidalPositionalEncoding: () => [new transformer.SinusoidalPositionalEncoding(8, 20), [torch.randn(1, 3, 8)]],
  LearnedPositionalEmbedding: () => [new transformer.LearnedPositionalEmbedding(10, 8), [torch.randn(1, 3, 8)]],
  CausalSelfAttention: () => [new transformer.CausalSelfAttention(gpt), [torch.randn(1, 4, 8)]],
  MLP: () => [new transformer.MLP(gpt), [torch.randn(1, 4, 8)]],
  Block: () => [new transformer.Block(gpt), [torch.randn(1, 4, 8)]],
  GPTModel: () => [new transformer.GPTModel(gpt), [ids()]],
  GPT: () => [new transformer.GPT(gpt), [ids(), torch.tensor([[2, 3, 4, 5]], { dtype: 'int64' })]],
  RotaryEmbedding: () => [rope(), [torch.randn(1, 2, 4, 4)]],
  LlamaAttention: () => [new transformer.LlamaAttention(llama), [torch.randn(1, 4, 8), rope()]],
  LlamaMLP: () => [new transformer.LlamaMLP(llama), [torch.randn(1, 4, 8)]],
  LlamaDecoderLayer: () => [new transformer.LlamaDecoderLayer(llama), [torch.randn(1, 4, 8), rope()]],
  LlamaModel: () => [new transformer.LlamaModel(llama), [ids()]],
  LlamaForCausalLM: () => [new transformer.LlamaForCausalLM(llama), [ids()]],
};
/** Abstract bases and containers without a forward of their own. */
const NO_FORWARD = new Set(['Module', 'RNNBase', 'ModuleList', 'ModuleDict']);

/** Every class exported by nn and transformer whose instances are modules. */
function moduleClasses(): string[] {
  const names = new Set<string>();
  for (const ns of [nn, transformer] as unknown as Array<Record<string, unknown>>) {
    for (const [name, v] of Object.entries(ns)) {
      if (typeof v === 'function' && (v === nn.Module || (v as { prototype?: unknown }).prototype instanceof nn.Module)) names.add(name);
    }
  }
  return [...names].sort();
}

/** Nested arrays of every tensor in a forward's result (tensors, arrays of them, null). */
async function values(out: unknown): Promise<unknown> {
  if (out instanceof torch.Tensor) return out.tolist();
  if (Array.isArray(out)) return Promise.all(out.map(values));
  return out;
}

describe('calling a module runs forward', () => {
  it('every exported module class has a case here', () => {
    const missing = moduleClasses().filter((n) => !(n in CASES) && !NO_FORWARD.has(n));
    expect(missing).toEqual([]);
    expect(Object.keys(CASES).filter((n) => !moduleClasses().includes(n))).toEqual([]);
  });

  it.each(Object.keys(CASES))('%s: net(...args) equals net.forward(...args)', async (name) => {
    const [m, args] = CASES[name]!();
    expect(typeof m).toBe('function');
    expect(m).toBeInstanceOf(nn.Module);
    m.eval();
    torch.manualSeed(3);
    const called = await values((m as unknown as (...a: unknown[]) => unknown)(...args));
    torch.manualSeed(3);
    const forwarded = await values((m.forward as (...a: unknown[]) => unknown).apply(m, args));
    expect(called).toEqual(forwarded);
  });

  it('training-mode dropout draws the same numbers through either door', async () => {
    const d = new nn.Dropout(0.5);
    const x = torch.ones(4, 4);
    torch.manualSeed(1);
    const a = await d(x).tolist();
    torch.manualSeed(1);
    expect(a).toEqual(await d.forward(x).tolist());
  });

  it('containers without forward throw the same error when called', () => {
    const list = new nn.ModuleList([new nn.Linear(2, 2)]);
    expect(() => (list as unknown as () => unknown)()).toThrow(/ModuleList has no forward/);
    expect(list.length).toBe(1); // the getter, not the function's own length
  });
});

describe('a module is a function object', () => {
  class Net extends nn.Module {
    override name = 'net';   // own fields called name/length are allowed (Function's, hence override)
    override length = 3;
    fc = new nn.Linear(2, 1);
    scale!: Tensor;
    constructor() {
      super();
      this.registerBuffer('scale', torch.tensor([2]));
    }
    forward(x: Tensor): Tensor {
      return this.fc(x).mul(this.scale);
    }
  }

  it('typeof, instanceof, fields, state dict, repr, to() and train()', async () => {
    const net = new Net();
    expect(typeof net).toBe('function');
    expect(net instanceof Net && net instanceof nn.Module && net instanceof Function).toBe(true);
    expect([net.name, net.length]).toEqual(['net', 3]);
    expect(Object.keys(net.stateDict())).toEqual(['scale', 'fc.weight', 'fc.bias']);   // PyTorch: own buffers before children
    expect(net.namedParameters().map(([n]) => n)).toEqual(['fc.weight', 'fc.bias']);
    expect(String(net)).toBe('Net(\n  (fc): Linear(in_features=2, out_features=1, bias=True)\n)');
    expect(inspect(net)).toBe(String(net));
    expect(net.eval().training || net.fc.training).toBe(false);
    net.half();
    expect(net.fc.weight.dtype).toBe('float16');
    net.float();
    const x = torch.randn(3, 2);
    expect(await net(x).tolist()).toEqual(await net.forward(x).tolist());
    // net.apply is PyTorch's Module.apply, not Function.prototype.apply.
    const seen: string[] = [];
    net.apply((m) => void seen.push(m.constructor.name));
    expect(seen).toEqual(['Linear', 'Net']);
    expect(() => new (net as unknown as new () => unknown)()).toThrow(TypeError);
  });

  it('JSON and structuredClone treat it as a function: save through the state dict', () => {
    const net = new Net();
    expect(JSON.stringify(net)).toBeUndefined();
    expect(JSON.stringify({ net })).toBe('{}');
    expect(() => structuredClone(net)).toThrow(/could not be cloned/);
  });

  it('a module is a valid activation callable (PyTorch passes modules where callables go)', async () => {
    const layer = new transformer.TransformerEncoderLayer(8, 2, 16, 0, new nn.GELU());
    const ref = new transformer.TransformerEncoderLayer(8, 2, 16, 0, 'gelu');
    ref.loadStateDict(layer.stateDict());
    const x = torch.randn(3, 1, 8);
    expect(await layer(x).tolist()).toEqual(await ref(x).tolist());
    // A layer of the wrong class given to a stack is refused, not called as a factory.
    expect(() => new transformer.TransformerEncoder(new nn.Linear(2, 2) as never, 1)).toThrow(/expected a TransformerEncoderLayer, a layer configuration .* got a Linear/);
  });
});

describe('hooks fire when the module is called', () => {
  it('pre-hooks replace arguments and forward hooks replace the output, in net(x) and net.forward(x)', async () => {
    const fc = new nn.Linear(2, 2);
    const log: string[] = [];
    const pre = fc.registerForwardPreHook((_m, args) => {
      log.push('pre');
      return [(args[0] as Tensor).mul(2)];
    });
    const post = fc.registerForwardHook((_m, _args, out) => {
      log.push('post');
      return (out as Tensor).add(1);
    });
    const x = torch.ones(1, 2);
    const expected = await fc.weight.matmul(torch.full([2, 1], 2)).t().add(fc.bias!).add(1).tolist();
    expect(await fc(x).tolist()).toEqual(expected);
    expect(await fc.forward(x).tolist()).toEqual(expected);
    expect(log).toEqual(['pre', 'post', 'pre', 'post']);
    pre.remove();
    post.remove();
    expect(await fc(x).tolist()).toEqual(await x.matmul(fc.weight.t()).add(fc.bias!).tolist());
    expect(log.length).toBe(4);
  });

  it('children called as this.child(x) inside forward run their hooks', () => {
    const net = new nn.Sequential(new nn.Linear(2, 2), new nn.ReLU());
    const outs: number[][] = [];
    net.getSubmodule('1').registerForwardHook((_m, _a, out) => void outs.push([...(out as Tensor).shape]));
    net(torch.ones(3, 2));
    expect(outs).toEqual([[3, 2]]);
  });
});
