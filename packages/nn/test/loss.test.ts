import { beforeAll, describe, expect, it } from 'vitest';
import * as torch from '@torchlet/core';
import { createReferenceBackend } from '../../core/test/reference-backend.ts';
import { F, functional } from '../src/index.ts';

beforeAll(async () => {
  torch.registerBackend('reference', () => createReferenceBackend());
  await torch.setBackend('reference');
});

const idx = (v: number[]): torch.Tensor => torch.tensor(v, { dtype: 'int32' });
const item = (t: torch.Tensor): number => t.dataSync()[0]!;

describe('F', () => {
  it('is torch.nn.functional under both names, with core ops and the losses', () => {
    expect(F).toBe(functional);
    for (const name of ['relu', 'gelu', 'softmax', 'logSoftmax', 'conv2d', 'maxPool2d', 'layerNorm', 'dropout', 'embedding', 'crossEntropy', 'mseLoss', 'klDiv']) {
      expect(typeof (F as Record<string, unknown>)[name]).toBe('function');
    }
  });
});

describe('losses: argument errors name the loss and the shapes', () => {
  let x: torch.Tensor;
  beforeAll(() => {
    x = torch.zeros([4, 5]);
  });

  it('crossEntropy / nllLoss', () => {
    expect(() => F.crossEntropy(x, idx([1, 2, 3]))).toThrow(/crossEntropy: Expected input batch_size \(4\) to match target batch_size \(3\)/);
    expect(() => F.crossEntropy(torch.zeros([4, 5, 3]), torch.zeros([4, 2], { dtype: 'int32' }))).toThrow(/Expected target size \[4, 3\], got \[4, 2\]/);
    expect(() => F.crossEntropy(x, torch.zeros([4]))).toThrow(/crossEntropy: expected target of dtype int32 \(class indices\) or a float32 target of the same shape as input/);
    expect(() => F.crossEntropy(x, torch.zeros([4, 5], { dtype: 'int32' }))).toThrow(/Expected floating point type for target with class probabilities, got int32/);
    expect(() => F.crossEntropy(x, idx([0, 1, 2, 3]), { weight: torch.ones([4]) })).toThrow(/weight tensor should be defined either for all 5 classes or no classes but got weight tensor of shape: \[4\]/);
    expect(() => F.crossEntropy(x, idx([0, 1, 2, 3]), { labelSmoothing: 1.5 })).toThrow(/label_smoothing must be between 0.0 and 1.0. Got: 1.5/);
    expect(() => F.crossEntropy(x, idx([0, 1, 2, 3]), { reduction: 'avg' as 'mean' })).toThrow(/"avg" is not a valid value for reduction/);
    expect(() => F.crossEntropy(x, torch.zeros([4, 5]), { ignoreIndex: 1 })).toThrow(/ignore_index is not supported for floating point target/);
    expect(() => F.crossEntropy(torch.zeros([]), idx([0]))).toThrow(/at least 1 dim/);
    expect(() => F.crossEntropy(torch.zeros([5]), idx([0]))).toThrow(/for unbatched input of size \[5\] the target must be 0-d/);
    expect(() => F.nllLoss(x, torch.zeros([4]))).toThrow(/nllLoss: expected target of dtype int32 \(class indices\)/);
    expect(() => F.nllLoss(x.to('int32'), idx([0, 1, 2, 3]))).toThrow(/nllLoss: expected input of dtype float32, got int32/);
    expect(() => F.nllLoss(x, 'a' as unknown as torch.Tensor)).toThrow(/nllLoss: expected target to be a Tensor, got string/);
  });

  it('binary cross entropy', () => {
    expect(() => F.binaryCrossEntropy(x, torch.zeros([4, 1]))).toThrow(/Using a target size \(\[4, 1\]\) that is different to the input size \(\[4, 5\]\) is deprecated/);
    expect(() => F.binaryCrossEntropyWithLogits(x, torch.zeros([5]))).toThrow(/Target size \(\[5\]\) must be the same as input size \(\[4, 5\]\)/);
    expect(() => F.binaryCrossEntropyWithLogits(x, x, { posWeight: torch.ones([5], { dtype: 'int32' }) })).toThrow(/expected posWeight of dtype float32, got int32/);
  });

  it('regression losses and klDiv', () => {
    expect(() => F.mseLoss(x, torch.zeros([3, 5]))).toThrow(/mseLoss: the size of input \[4, 5\] and target \[3, 5\] do not match and do not broadcast/);
    expect(() => F.l1Loss(x, x, { reduction: 'batchmean' as 'mean' })).toThrow(/"batchmean" is not a valid value for reduction/);
    expect(() => F.smoothL1Loss(x, x, { beta: -1 })).toThrow(/smooth_l1_loss does not support negative values for beta/);
    expect(() => F.klDiv(x, x, { reduction: 'avg' as 'mean' })).toThrow(/klDiv: "avg" is not a valid value for reduction \(expected 'none', 'batchmean', 'sum', 'mean'\)/);
  });
});

describe('losses: PyTorch 1.13 rules', () => {
  it('crossEntropy: all targets ignored gives NaN for mean, 0 for sum', () => {
    const x = torch.randn([3, 4]);
    const t = idx([-100, -100, -100]);
    expect(Number.isNaN(item(F.crossEntropy(x, t)))).toBe(true);
    expect(item(F.crossEntropy(x, t, { reduction: 'sum' }))).toBe(0);
  });

  it('crossEntropy with uniform logits is log(C); weighted mean divides by the target weights', () => {
    const x = torch.zeros([2, 4]);
    expect(item(F.crossEntropy(x, idx([1, 3])))).toBeCloseTo(Math.log(4), 6);
    const w = torch.tensor([1, 2, 3, 4]);
    expect(item(F.crossEntropy(x, idx([1, 3]), { weight: w }))).toBeCloseTo(Math.log(4), 6);
    expect(item(F.crossEntropy(x, idx([1, 3]), { weight: w, reduction: 'sum' }))).toBeCloseTo(6 * Math.log(4), 5);
  });

  it('binaryCrossEntropy clamps the logs at -100', () => {
    const l = F.binaryCrossEntropy(torch.tensor([0, 1]), torch.tensor([1, 0]), { reduction: 'none' });
    expect(Array.from(l.dataSync())).toEqual([100, 100]);
  });

  it('klDiv batchmean divides the sum by the batch size', () => {
    const input = torch.tensor([[-1, -2], [-3, -4]]);
    const target = torch.tensor([[0.5, 0.5], [0, 1]]);
    const s = item(F.klDiv(input, target, { reduction: 'sum' }));
    expect(item(F.klDiv(input, target, { reduction: 'batchmean' }))).toBeCloseTo(s / 2, 6);
    expect(item(F.klDiv(input, target))).toBeCloseTo(s / 4, 6);
  });
});
