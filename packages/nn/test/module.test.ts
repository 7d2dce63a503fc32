/**
 * Module behaviour against PyTorch 1.13.1: state-dict keys and order, strict loading, train/eval,
 * zeroGrad, parameter order, tidy(), the printed tree, and nn.init's statistics. Expected strings
 * and key lists were printed by PyTorch for the same module (see each test).
 */
import '@torchlet/autograd';
import { beforeAll, describe, expect, it } from 'vitest';
import * as torch from '@torchlet/core';
import { createReferenceBackend } from '../../core/test/reference-backend.ts';
import { BatchNorm1d, Dropout, LayerNorm, Linear, Module, ReLU, Sequential, init } from '../src/index.ts';

beforeAll(async () => {
  torch.registerBackend('reference', () => createReferenceBackend());
  await torch.setBackend('reference');
});

/** A module shaped like a transformer block's fields (camelCase here, snake_case in the keys). */
class Block extends Module {
  selfAttn = new Linear(4, 4);
  linear1 = new Linear(4, 8, { bias: false });
  normFirst = new LayerNorm(4);
  ff = new Sequential(new Linear(8, 4), new ReLU(), new Dropout(0.1));
  bn = new BatchNorm1d(4);
  forward(x: torch.Tensor): torch.Tensor {
    return this.ff.forward(this.linear1.forward(this.normFirst.forward(this.selfAttn.forward(x))));
  }
}

// PyTorch: list(Block().state_dict().keys()) for the same module in Python.
const TORCH_KEYS = [
  'self_attn.weight', 'self_attn.bias', 'linear1.weight', 'norm_first.weight', 'norm_first.bias',
  'ff.0.weight', 'ff.0.bias', 'bn.weight', 'bn.bias', 'bn.running_mean', 'bn.running_var', 'bn.num_batches_tracked',
];

describe('state dict', () => {
  it("has PyTorch's keys in PyTorch's order, buffers included", () => {
    const m = new Block();
    const sd = m.stateDict();
    expect(Object.keys(sd)).toEqual(TORCH_KEYS);
    expect(sd['bn.num_batches_tracked']!.dtype).toBe('int32');
    expect(sd['bn.num_batches_tracked']!.shape).toEqual([]);
    expect(m.namedParameters().map(([n]) => n)).toEqual(TORCH_KEYS.filter((k) => !k.startsWith('bn.running') && !k.endsWith('num_batches_tracked')));
    expect(m.namedBuffers().map(([n]) => n)).toEqual(['bn.running_mean', 'bn.running_var', 'bn.num_batches_tracked']);
    m.dispose();
  });

  it('parameters() lists each parameter once, in registration order', () => {
    const shared = new Linear(3, 3);
    const net = new Sequential(shared, new ReLU(), shared);
    expect(net.parameters()).toEqual([shared.weight, shared.bias]);
    const m = new Block();
    expect(m.parameters()[0]).toBe(m.selfAttn.weight);
    expect(m.parameters().at(-1)).toBe(m.bn.bias);
    net.dispose();
    m.dispose();
  });

  it('loadStateDict copies values in place (the parameters stay the same objects)', async () => {
    const a = new Block(), b = new Block();
    const w = b.selfAttn.weight;
    b.loadStateDict(a.stateDict());
    expect(b.selfAttn.weight).toBe(w);
    for (const [k, t] of Object.entries(a.stateDict())) expect(Array.from(await b.stateDict()[k]!.data()), k).toEqual(Array.from(await t.data()));
    a.dispose();
    b.dispose();
  });

  it('strict loading names missing and unexpected keys; non-strict reports them', () => {
    const m = new Block();
    const sd = { ...m.stateDict() };
    delete sd['linear1.weight'];
    const extra = torch.zeros([1]);
    sd['linear2.weight'] = extra;
    expect(() => m.loadStateDict(sd)).toThrow(/Error\(s\) in loading state_dict for Block: Missing key\(s\): "linear1.weight"\. Unexpected key\(s\): "linear2.weight"\./);
    expect(m.loadStateDict(sd, false)).toEqual({ missingKeys: ['linear1.weight'], unexpectedKeys: ['linear2.weight'] });
    extra.dispose();
    m.dispose();
  });

  it('strict loading rejects keys named like Object.prototype members (issue 13)', () => {
    const m = new Linear(2, 2);
    for (const key of ['constructor', 'toString', '__proto__', 'hasOwnProperty', 'valueOf']) {
      const sd = { ...m.stateDict() };
      const extra = torch.zeros([1]);
      // defineProperty makes '__proto__' an own key, as JSON.parse or a file's header would.
      Object.defineProperty(sd, key, { value: extra, enumerable: true, configurable: true, writable: true });
      expect(() => m.loadStateDict(sd), key).toThrow(`Unexpected key(s): "${key}".`);
      expect(m.loadStateDict(sd, false), key).toEqual({ missingKeys: [], unexpectedKeys: [key] });
      extra.dispose();
    }
    // A state object that lacks a key does not find it on its prototype either.
    const sd = { ...m.stateDict() };
    delete sd['bias'];
    expect(() => m.loadStateDict(Object.assign(Object.create({ bias: torch.zeros([2]) }), sd))).toThrow('Missing key(s): "bias".');
    m.dispose();
  });

  it('a shape mismatch names the key and both shapes, and writes nothing', async () => {
    const m = new Block();
    const before = Object.fromEntries(await Promise.all(Object.entries(m.stateDict()).map(async ([k, t]) => [k, Array.from(await t.data())] as const)));
    const sd: Record<string, torch.Tensor> = {};
    for (const [k, t] of Object.entries(m.stateDict())) sd[k] = t.dtype === 'float32' ? torch.fullLike(t, 9) : torch.zerosLike(t);
    sd['ff.0.weight']!.dispose();
    sd['ff.0.weight'] = torch.zeros([8, 4]);
    expect(() => m.loadStateDict(sd)).toThrow(
      'Error(s) in loading state_dict for Block: size mismatch for ff.0.weight: copying a param with shape [8, 4] from checkpoint, the shape in current model is [4, 8].',
    );
    // Keys before ff.0.weight in the order were not written either.
    for (const [k, t] of Object.entries(m.stateDict())) expect(Array.from(await t.data()), k).toEqual(before[k]);
    for (const t of Object.values(sd)) t.dispose();
    m.dispose();
  });
});

describe('modes and gradients', () => {
  it('train() and eval() reach every descendant', () => {
    const m = new Block();
    expect([...m.modules()].every((x) => x.training)).toBe(true);
    m.eval();
    expect([...m.modules()].map((x) => x.training)).toEqual(new Array([...m.modules()].length).fill(false));
    m.ff.train();
    expect(m.training).toBe(false);
    expect(m.ff.at(2).training).toBe(true);
    m.train();
    expect([...m.modules()].every((x) => x.training)).toBe(true);
    m.dispose();
  });

  it('zeroGrad drops gradients, or zeroes them in place with setToNone=false', async () => {
    const m = new Linear(3, 2);
    const x = torch.ones([4, 3]);
    const loss = m.forward(x).sum();
    loss.backward();
    expect(m.weight.grad).not.toBeNull();
    const g = m.weight.grad!;
    m.zeroGrad(false);
    expect(m.weight.grad).toBe(g);
    expect(Array.from(await g.data())).toEqual([0, 0, 0, 0, 0, 0]);
    m.zeroGrad();
    expect(m.weight.grad).toBeNull();
    expect(m.bias!.grad).toBeNull();
    loss.dispose();
    x.dispose();
    m.dispose();
  });

  it('a module built inside tidy() keeps its parameters and buffers', async () => {
    const m = torch.tidy(() => new Block());
    for (const t of Object.values(m.stateDict())) expect(t.isDisposed).toBe(false);
    const y = torch.noGrad(() => m.forward(torch.ones([2, 4])));
    expect(y.shape).toEqual([2, 4]);
    y.dispose();
    m.dispose();
    expect(m.selfAttn.weight.isDisposed).toBe(true);
  });
});

describe('toString', () => {
  it("prints like PyTorch's print(module)", () => {
    const m = new Block();
    // PyTorch 1.13.1: print(Block()) for the Python module with the same fields.
    expect(m.toString()).toBe(
      [
        'Block(',
        '  (self_attn): Linear(in_features=4, out_features=4, bias=True)',
        '  (linear1): Linear(in_features=4, out_features=8, bias=False)',
        '  (norm_first): LayerNorm((4,), eps=1e-05, elementwise_affine=True)',
        '  (ff): Sequential(',
        '    (0): Linear(in_features=8, out_features=4, bias=True)',
        '    (1): ReLU()',
        '    (2): Dropout(p=0.1, inplace=False)',
        '  )',
        '  (bn): BatchNorm1d(4, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)',
        ')',
      ].join('\n'),
    );
    m.dispose();
  });
});

describe('nn.init', () => {
  const N = [256, 512];
  async function stats(t: torch.Tensor): Promise<{ mean: number; std: number; min: number; max: number }> {
    const d = await t.data();
    let s = 0, s2 = 0, min = Infinity, max = -Infinity;
    for (const v of d) {
      s += v;
      s2 += v * v;
      min = Math.min(min, v);
      max = Math.max(max, v);
    }
    const mean = s / d.length;
    return { mean, std: Math.sqrt(s2 / d.length - mean * mean), min, max };
  }
  const fresh = (shape = N): torch.Tensor => torch.zeros(shape);

  it("uniform_, normal_, constant_ follow their parameters", async () => {
    torch.manualSeed(0);
    const t = fresh();
    let s = await stats(init.uniform_(t, -2, 4));
    expect(s.mean).toBeCloseTo(1, 1);
    expect(s.std).toBeCloseTo(6 / Math.sqrt(12), 1);
    expect(s.min).toBeGreaterThanOrEqual(-2);
    expect(s.max).toBeLessThan(4);
    s = await stats(init.normal_(t, 3, 0.5));
    expect(Math.abs(s.mean - 3)).toBeLessThan(0.01);
    expect(Math.abs(s.std - 0.5) / 0.5).toBeLessThan(0.02);
    s = await stats(init.constant_(t, 0.25));
    expect([s.min, s.max]).toEqual([0.25, 0.25]);
    t.dispose();
  });

  it('xavier and kaiming have the std of their formulas (fanIn = 512, fanOut = 256)', async () => {
    torch.manualSeed(1);
    const t = fresh();
    const [fanIn, fanOut] = init.calculateFanInAndFanOut(t);
    expect([fanIn, fanOut]).toEqual([512, 256]);
    const cases: Array<[string, () => torch.Tensor, number]> = [
      ['xavierUniform_', () => init.xavierUniform_(t, 2), 2 * Math.sqrt(2 / (fanIn + fanOut))],
      ['xavierNormal_', () => init.xavierNormal_(t), Math.sqrt(2 / (fanIn + fanOut))],
      ['kaimingUniform_', () => init.kaimingUniform_(t, { a: Math.sqrt(5) }), Math.sqrt(2 / 6) / Math.sqrt(fanIn)],
      ['kaimingNormal_ relu fanOut', () => init.kaimingNormal_(t, { mode: 'fanOut', nonlinearity: 'relu' }), Math.SQRT2 / Math.sqrt(fanOut)],
    ];
    for (const [name, run, std] of cases) {
      const s = await stats(run());
      expect(Math.abs(s.mean), name).toBeLessThan(0.02 * std + 1e-4);
      expect(Math.abs(s.std - std) / std, name).toBeLessThan(0.02);
    }
    // The uniform ones are bounded by sqrt(3) * std.
    const s = await stats(init.kaimingUniform_(t, { nonlinearity: 'relu' }));
    expect(Math.max(-s.min, s.max)).toBeLessThanOrEqual(Math.sqrt(3) * Math.SQRT2 / Math.sqrt(fanIn) + 1e-6);
    t.dispose();
  });

  it('calculateGain has PyTorch values', () => {
    expect(init.calculateGain('tanh')).toBeCloseTo(5 / 3);
    expect(init.calculateGain('relu')).toBeCloseTo(Math.SQRT2);
    expect(init.calculateGain('leaky_relu', 0.2)).toBeCloseTo(Math.sqrt(2 / 1.04));
    expect(init.calculateGain('selu')).toBe(0.75);
  });

  it('orthogonal_ gives Q^T Q = I (tall) and Q Q^T = I (wide), times gain', async () => {
    torch.manualSeed(2);
    for (const [shape, gain] of [[[12, 5], 1], [[4, 9], 2], [[6, 2, 3], 1]] as Array<[number[], number]>) {
      const t = init.orthogonal_(torch.zeros(shape), gain);
      const q = t.reshape([shape[0]!, -1]);
      const tall = q.shape[0]! >= q.shape[1]!;
      const prod = tall ? q.t().matmul(q) : q.matmul(q.t());
      const d = await prod.data();
      const k = prod.shape[0]!;
      for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) expect(Math.abs(d[i * k + j]! - (i === j ? gain * gain : 0)), `${shape} (${i}, ${j})`).toBeLessThan(1e-5);
      for (const x of [t, q, prod]) x.dispose();
    }
  });
});
