/**
 * The layers: PyTorch's print, defaults and initialisation, BatchNorm's running statistics
 * against PyTorch 1.13.1's numbers, Dropout and Embedding semantics, loss modules against F,
 * and constructor validation. (Conv2d, LayerNorm and Embedding forward/backward against PyTorch
 * run in the conformance suite's module cases.)
 */
import '@torchlet/autograd';
import { beforeAll, describe, expect, it } from 'vitest';
import * as torch from '@torchlet/core';
import { createReferenceBackend } from '../../core/test/reference-backend.ts';
import * as nn from '../src/index.ts';
import { F } from '../src/index.ts';

beforeAll(async () => {
  torch.registerBackend('reference', () => createReferenceBackend());
  await torch.setBackend('reference');
});

const close = (got: ArrayLike<number>, want: number[], tol = 1e-5): void => {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) expect(Math.abs(got[i]! - want[i]!), `element ${i}: ${got[i]} vs ${want[i]}`).toBeLessThanOrEqual(tol * (1 + Math.abs(want[i]!)));
};

describe("toString matches PyTorch's repr", () => {
  it('for each layer', () => {
    // Each right-hand side is repr(layer) from PyTorch 1.13.1 for the same arguments.
    const cases: Array<[nn.Module, string]> = [
      [new nn.Conv2d(3, 4, 3, { padding: 1 }), 'Conv2d(3, 4, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))'],
      [new nn.Conv2d(4, 6, [3, 2], { stride: 2, padding: [1, 0], dilation: [1, 2], groups: 2, bias: false }), 'Conv2d(4, 6, kernel_size=(3, 2), stride=(2, 2), padding=(1, 0), dilation=(1, 2), groups=2, bias=False)'],
      [new nn.Conv1d(2, 3, 5, { padding: 'same' }), 'Conv1d(2, 3, kernel_size=(5,), stride=(1,), padding=same)'],
      [new nn.Conv2d(1, 1, 3, { padding: 'valid' }), 'Conv2d(1, 1, kernel_size=(3, 3), stride=(1, 1), padding=valid)'],
      [new nn.MaxPool2d(2), 'MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)'],
      [new nn.MaxPool2d([3, 2], { stride: 1, padding: 1 }), 'MaxPool2d(kernel_size=(3, 2), stride=1, padding=1, dilation=1, ceil_mode=False)'],
      [new nn.AvgPool2d(3, { stride: 2 }), 'AvgPool2d(kernel_size=3, stride=2, padding=0)'],
      [new nn.AdaptiveAvgPool2d([5, null]), 'AdaptiveAvgPool2d(output_size=(5, None))'],
      [new nn.AdaptiveAvgPool2d(1), 'AdaptiveAvgPool2d(output_size=1)'],
      [new nn.BatchNorm2d(3, { momentum: null, eps: 1e-3 }), 'BatchNorm2d(3, eps=0.001, momentum=None, affine=True, track_running_stats=True)'],
      [new nn.LayerNorm([3, 8], { elementwiseAffine: false }), 'LayerNorm((3, 8), eps=1e-05, elementwise_affine=False)'],
      [new nn.Dropout(), 'Dropout(p=0.5, inplace=False)'],
      [new nn.Embedding(10, 4, { paddingIdx: 0 }), 'Embedding(10, 4, padding_idx=0)'],
      [new nn.Embedding(5, 2), 'Embedding(5, 2)'],
      [new nn.CrossEntropyLoss(), 'CrossEntropyLoss()'],
      [new nn.Linear(3, 2), 'Linear(in_features=3, out_features=2, bias=True)'],
    ];
    for (const [m, want] of cases) {
      expect(m.toString()).toBe(want);
      m.dispose();
    }
  });
});

describe('initialisation and parameters', () => {
  it('Conv2d: weight (out, in/groups, kH, kW) within the kaiming-uniform bound, bias within 1/sqrt(fanIn)', async () => {
    torch.manualSeed(0);
    const c = new nn.Conv2d(4, 6, [3, 2], { groups: 2 });
    expect(c.weight.shape).toEqual([6, 2, 3, 2]);
    const fanIn = 2 * 3 * 2;
    const bound = 1 / Math.sqrt(fanIn); // kaiming-uniform with a = sqrt(5): sqrt(6 / (1 + 5) / fanIn)
    for (const t of [c.weight, c.bias!]) for (const v of await t.data()) expect(Math.abs(v)).toBeLessThanOrEqual(bound);
    expect(Object.keys(c.stateDict())).toEqual(['weight', 'bias']);
    c.dispose();
  });

  it('norm layers start at weight 1, bias 0, running mean 0, var 1; no buffers without tracking', async () => {
    const bn = new nn.BatchNorm2d(3);
    expect(Object.keys(bn.stateDict())).toEqual(['weight', 'bias', 'running_mean', 'running_var', 'num_batches_tracked']);
    expect(Array.from(await bn.weight!.data())).toEqual([1, 1, 1]);
    expect(Array.from(await bn.runningVar!.data())).toEqual([1, 1, 1]);
    expect(bn.parameters().length).toBe(2);
    const plain = new nn.BatchNorm2d(2, { affine: false, trackRunningStats: false });
    expect(Object.keys(plain.stateDict())).toEqual([]); // PyTorch: odict_keys([])
    const ln = new nn.LayerNorm([2, 3]);
    expect(ln.weight!.shape).toEqual([2, 3]);
    for (const m of [bn, plain, ln]) m.dispose();
  });

  it('Embedding: N(0, 1) with the padding row zero; fromPretrained shares and freezes', async () => {
    torch.manualSeed(3);
    const e = new nn.Embedding(50, 8, { paddingIdx: -1 });
    expect(e.paddingIdx).toBe(49);
    const w = await e.weight.data();
    expect(Array.from(w.slice(49 * 8))).toEqual(new Array(8).fill(0));
    expect(Array.from(w.slice(0, 49 * 8)).some((v) => Math.abs(v) > 1)).toBe(true);
    const pre = torch.fromArray(new Float32Array([1, 2, 3, 4, 5, 6]), [3, 2]);
    const f = nn.Embedding.fromPretrained(pre);
    expect(f.weight.requiresGrad).toBe(false);
    expect(nn.Embedding.fromPretrained(pre, { freeze: false }).weight.requiresGrad).toBe(true);
    const y = f.forward(torch.tensor([[2, 0]], { dtype: 'int32' }));
    expect(y.shape).toEqual([1, 2, 2]);
    expect(Array.from(await y.data())).toEqual([5, 6, 1, 2]);
    e.dispose();
    f.dispose();
  });
});

describe('forward against PyTorch 1.13.1 values', () => {
  it("Conv1d with padding='same' and dilation", async () => {
    const c = new nn.Conv1d(2, 3, 4, { padding: 'same', dilation: 2 });
    torch.noGrad(() => {
      c.weight.copy_(torch.arange(24).reshape([3, 2, 4]).to('float32').div(24).sub(0.5));
      c.bias!.copy_(torch.tensor([0.1, -0.2, 0.3]));
    });
    const y = c.forward(torch.arange(24).reshape([1, 2, 12]).to('float32').div(10));
    expect(y.shape).toEqual([1, 3, 12]);
    close(await y.data(), [
      -0.69167, -1.16667, -1.36667, -1.96667, -2.25, -2.53333, -2.81667, -3.1, -3.38333, -2.71667, -2.94167, -2.06667, 0.075, 0.13333, 0.13333,
      0.13333, 0.11667, 0.1, 0.08333, 0.06667, 0.05, -0.21667, -0.24167, -0.36667, 1.64167, 2.23333, 2.43333, 3.03333, 3.28333, 3.53333,
      3.78333, 4.03333, 4.28333, 3.08333, 3.25833, 2.13333,
    ], 2e-5);
    c.dispose();
  });

  it('the pooling layers', async () => {
    // x = (arange(50).reshape(1, 2, 5, 5) * 37 % 11) / 4
    const x = torch.arange(50).mul(37).remainder(11).div(4).reshape([1, 2, 5, 5]).to('float32');
    close(await new nn.MaxPool2d(2, { stride: 2, ceilMode: true }).forward(x).data(), [2.25, 2.5, 1.25, 2.25, 2.0, 2.5, 1.75, 1.0, 2.0, 2.5, 2.25, 1.5, 2.5, 2.25, 0.5, 2.0, 1.25, 2.25]);
    close(await new nn.AvgPool2d(3, { stride: 2, padding: 1, countIncludePad: false }).forward(x).data(), [
      0.9375, 1.29167, 1.1875, 1.33333, 1.30556, 1.58333, 1.5, 1.16667, 1.75, 1.1875, 1.08333, 0.75, 1.58333, 1.25, 0.91667, 1.75, 1.41667, 1.3125,
    ]);
    close(await new nn.AdaptiveAvgPool2d([2, 3]).forward(x).data(), [0.91667, 1.19444, 1.16667, 1.29167, 1.11111, 1.54167, 1.16667, 1.13889, 0.95833, 1.54167, 1.36111, 1.33333]);
  });
});

describe('BatchNorm running statistics (PyTorch 1.13.1 values)', () => {
  const x1 = (): torch.Tensor => torch.tensor([[1, 2, 3], [4, -5, 6], [0.5, 0, -1], [2, 2, 2]]);
  const x2 = (): torch.Tensor => torch.tensor([[0, 1, -1], [3, 3, 1], [-2, 0.5, 4], [1, 1, 1]]);
  const Y2 = [-0.27735, -0.390565, -1.26025, 1.386748, 1.692447, -0.140028, -1.386748, -0.911318, 1.540306, 0.27735, -0.390565, -0.140028];

  it('momentum 0.1: train updates the buffers, eval uses them', async () => {
    const bn = new nn.BatchNorm1d(3);
    bn.forward(x1());
    const y2 = bn.forward(x2());
    close(await y2.data(), Y2);
    close(await bn.runningMean!.data(), [0.21875, 0.115, 0.35]);
    close(await bn.runningVar!.data(), [1.458958, 1.915417, 1.985]);
    expect(await bn.numBatchesTracked!.item()).toBe(2);
    bn.eval();
    close(await bn.forward(x1()).data(), [0.646796, 1.362005, 1.880895, 3.130491, -3.695837, 4.01021, 0.232846, -0.083093, -0.958192, 1.474694, 1.362005, 1.171123]);
    expect(await bn.numBatchesTracked!.item()).toBe(2);
    bn.dispose();
  });

  it('momentum null: a cumulative average', async () => {
    const bn = new nn.BatchNorm1d(3, { momentum: null });
    bn.forward(x1());
    close(await bn.forward(x2()).data(), Y2);
    close(await bn.runningMean!.data(), [1.1875, 0.5625, 1.875]);
    close(await bn.runningVar!.data(), [3.364583, 6.072917, 6.291667]);
    bn.eval();
    close(await bn.forward(x1()).data(), [-0.10222, 0.583323, 0.448507, 1.533297, -2.257205, 1.644526, -0.374806, -0.228257, -1.146185, 0.442952, 0.583323, 0.049834]);
    bn.dispose();
  });

  it('without running statistics, eval normalizes with the batch statistics', async () => {
    const bn = new nn.BatchNorm2d(2, { trackRunningStats: false, affine: false }).eval();
    const y = bn.forward(torch.arange(16).reshape([2, 2, 2, 2]).to('float32'));
    close(await y.data(), [-1.32424, -1.08347, -0.8427, -0.60193, -1.32424, -1.08347, -0.8427, -0.60193, 0.60193, 0.8427, 1.08347, 1.32424, 0.60193, 0.8427, 1.08347, 1.32424]);
    bn.dispose();
  });

  it('checks the input', () => {
    const bn = new nn.BatchNorm2d(3);
    expect(() => bn.forward(torch.zeros([2, 3]))).toThrow(/BatchNorm2d: expected 4D input \(got 2D input/);
    expect(() => bn.forward(torch.zeros([2, 4, 2, 2]))).toThrow(/BatchNorm2d: expected input with 3 channels/);
    bn.dispose();
  });
});

describe('Dropout and Embedding semantics', () => {
  it('Dropout is active only in training', async () => {
    torch.manualSeed(4);
    const d = new nn.Dropout(0.5);
    const x = torch.ones([1000]);
    const y = await d.forward(x).data();
    const zeros = Array.from(y).filter((v) => v === 0).length;
    expect(zeros).toBeGreaterThan(400);
    expect(zeros).toBeLessThan(600);
    expect(Array.from(y).every((v) => v === 0 || v === 2)).toBe(true);
    d.eval();
    expect(Array.from(await d.forward(x).data()).every((v) => v === 1)).toBe(true);
  });

  it('the padding row gets no gradient; repeated indices accumulate', async () => {
    const e = new nn.Embedding(4, 2, { paddingIdx: 1 });
    e.forward(torch.tensor([1, 2, 2, 1, 0], { dtype: 'int32' })).sum().backward();
    expect(Array.from(await e.weight.grad!.data())).toEqual([1, 1, 0, 0, 2, 2, 0, 0]);
    e.dispose();
  });
});

describe('loss modules call the functional losses with their options', () => {
  it('give the same values as F', async () => {
    torch.manualSeed(5);
    const x = torch.randn([4, 3]);
    const t = torch.rand([4, 3]);
    const cls = torch.tensor([0, 2, 1, 2], { dtype: 'int32' });
    const w = torch.tensor([1, 2, 0.5]);
    const pairs: Array<[torch.Tensor, torch.Tensor]> = [
      [new nn.MSELoss().forward(x, t), F.mseLoss(x, t)],
      [new nn.L1Loss({ reduction: 'sum' }).forward(x, t), F.l1Loss(x, t, { reduction: 'sum' })],
      [new nn.SmoothL1Loss({ beta: 0.5 }).forward(x, t), F.smoothL1Loss(x, t, { beta: 0.5 })],
      [new nn.CrossEntropyLoss({ weight: w, ignoreIndex: 1, labelSmoothing: 0.1 }).forward(x, cls), F.crossEntropy(x, cls, { weight: w, ignoreIndex: 1, labelSmoothing: 0.1 })],
      [new nn.NLLLoss({ reduction: 'none' }).forward(F.logSoftmax(x, 1), cls), F.nllLoss(F.logSoftmax(x, 1), cls, { reduction: 'none' })],
      [new nn.BCELoss().forward(x.sigmoid(), t), F.binaryCrossEntropy(x.sigmoid(), t)],
      [new nn.BCEWithLogitsLoss({ posWeight: w }).forward(x, t), F.binaryCrossEntropyWithLogits(x, t, { posWeight: w })],
      [new nn.KLDivLoss({ reduction: 'batchmean' }).forward(F.logSoftmax(x, 1), t), F.klDiv(F.logSoftmax(x, 1), t, { reduction: 'batchmean' })],
    ];
    for (const [a, b] of pairs) expect(Array.from(await a.data())).toEqual(Array.from(await b.data()));
  });

  it('class weights are buffers under PyTorch keys', () => {
    const w = torch.ones([3]);
    expect(Object.keys(new nn.CrossEntropyLoss({ weight: w }).stateDict())).toEqual(['weight']);
    expect(Object.keys(new nn.BCEWithLogitsLoss({ posWeight: w }).stateDict())).toEqual(['pos_weight']);
    expect(Object.keys(new nn.MSELoss().stateDict())).toEqual([]);
  });
});

describe('constructor arguments are validated with clear errors', () => {
  it('names the layer, the argument and the value', () => {
    expect(() => new nn.Conv2d(3, 4, 0)).toThrow('Conv2d: kernelSize must be a positive integer, got 0');
    expect(() => new nn.Conv2d(3, 4, [3])).toThrow('Conv2d: kernelSize must be an integer or a list of 2 integers, got [3]');
    expect(() => new nn.Conv2d(3, 4, 3, { groups: 2 })).toThrow('Conv2d: inChannels must be divisible by groups (inChannels=3, groups=2)');
    expect(() => new nn.Conv2d(4, 3, 3, { groups: 2 })).toThrow('Conv2d: outChannels must be divisible by groups (outChannels=3, groups=2)');
    expect(() => new nn.Conv2d(3, 4, 3, { padding: 'same', stride: 2 })).toThrow("Conv2d: padding='same' is not supported for strided convolutions");
    expect(() => new nn.Conv2d(3, 4, 3, { padding: 'full' as 'same' })).toThrow("Conv2d: Invalid padding string 'full'");
    expect(() => new nn.Conv1d(0, 4, 3)).toThrow('Conv1d: inChannels must be a positive integer, got 0');
    expect(() => new nn.Conv2d(3, 4, 3, { paddingMode: 'reflect' as 'zeros' })).toThrow("Conv2d: paddingMode 'reflect' is not supported");
    expect(() => new nn.MaxPool2d(2, { padding: 2 })).toThrow('MaxPool2d: pad should be at most half of kernel size');
    expect(() => new nn.AvgPool2d(2, { divisorOverride: 0 })).toThrow('AvgPool2d: divisorOverride must be a nonzero number');
    expect(() => new nn.AdaptiveAvgPool2d([1, 2, 3] as unknown as number[])).toThrow('AdaptiveAvgPool2d: outputSize must be an integer or a list of 2');
    expect(() => new nn.BatchNorm1d(0)).toThrow('BatchNorm1d: numFeatures must be a positive integer, got 0');
    expect(() => new nn.BatchNorm1d(3, { momentum: 2 })).toThrow('BatchNorm1d: momentum must be a number between 0 and 1, got 2');
    expect(() => new nn.BatchNorm1d(3, { eps: -1 })).toThrow('BatchNorm1d: eps must be a number >= 0, got -1');
    expect(() => new nn.LayerNorm([])).toThrow('LayerNorm: normalizedShape must be an integer or a non-empty list of integers');
    expect(() => new nn.LayerNorm(4, { elementwiseAffine: 1 as unknown as boolean })).toThrow('LayerNorm: elementwiseAffine must be a boolean, got 1');
    expect(() => new nn.Dropout(1.5)).toThrow('Dropout: dropout probability has to be between 0 and 1, but got 1.5');
    expect(() => new nn.Embedding(10, 4, { paddingIdx: 10 })).toThrow('Embedding: paddingIdx must be within numEmbeddings (10), got 10');
    expect(() => new nn.Embedding(-1, 4)).toThrow('Embedding: numEmbeddings must be a non-negative integer, got -1');
    expect(() => new nn.Embedding(10, 4, { sparse: true })).toThrow('Embedding: sparse gradients are not supported');
    expect(() => nn.Embedding.fromPretrained(torch.zeros([3]))).toThrow('Embeddings parameter is expected to be 2-dimensional');
    expect(() => new nn.CrossEntropyLoss({ reduction: 'avg' as 'mean' })).toThrow("CrossEntropyLoss: 'avg' is not a valid value for reduction");
    expect(() => new nn.CrossEntropyLoss({ labelSmoothing: 2 })).toThrow('CrossEntropyLoss: label_smoothing must be between 0.0 and 1.0. Got: 2');
    expect(() => new nn.SmoothL1Loss({ beta: -1 })).toThrow('SmoothL1Loss: beta must be a number >= 0, got -1');
  });
});
