import { beforeAll, describe, expect, it } from 'vitest';
import * as torch from '../src/index.ts';
import { createReferenceBackend } from './reference-backend.ts';

beforeAll(async () => {
  torch.registerBackend('reference', () => createReferenceBackend());
  await torch.setBackend('reference');
});

const f32 = (t: torch.Tensor): number[] => Array.from(t.dataSync());
const x4 = (): torch.Tensor => torch.arange(0, 2 * 3 * 5 * 6).to('float32').reshape([2, 3, 5, 6]);

describe('nn ops: argument errors name the op and the shapes', () => {
  it('softmax / logSoftmax', () => {
    const i = torch.tensor([1, 2], { dtype: 'int32' });
    expect(() => torch.softmax(i, 0)).toThrow(/softmax: expected input of a float dtype .*got int32/);
    expect(() => torch.logSoftmax(torch.zeros([2, 3]), 2)).toThrow(/Dimension out of range/);
  });

  it('layerNorm', () => {
    const x = torch.zeros([2, 3]);
    expect(() => torch.layerNorm(x, [4])).toThrow(/Given normalized_shape=\[4\], expected input with shape \[\*, 4\], but got input of size \[2, 3\]/);
    expect(() => torch.layerNorm(x, [3], { weight: torch.ones([4]) })).toThrow(/Expected weight to be of same shape as normalized_shape, but got weight of shape \[4\] and normalized_shape = \[3\]/);
    expect(() => torch.layerNorm(x, [])).toThrow(/normalizedShape must be/);
  });

  it('batchNorm', () => {
    const x = torch.zeros([4, 3]);
    expect(() => torch.batchNorm(x, torch.zeros([4]), torch.ones([3]), { training: true })).toThrow(/runningMean should contain 3 elements not 4/);
    expect(() => torch.batchNorm(torch.zeros([1, 3]), null, null, { training: true })).toThrow(/Expected more than 1 value per channel when training, got input size \[1, 3\]/);
    expect(() => torch.batchNorm(x, null, null)).toThrow(/runningMean and runningVar must be given when training is false/);
    expect(() => torch.batchNorm(torch.zeros([3]), null, null, { training: true })).toThrow(/at least 2 dims/);
  });

  it('dropout, embedding', () => {
    expect(() => torch.dropout(torch.zeros([3]), { p: 1.5 })).toThrow(/dropout probability has to be between 0 and 1, but got 1.5/);
    expect(() => torch.embedding(torch.zeros([3]), torch.zeros([10, 4]))).toThrow(/embedding: expected input \(the indices\) of an integer dtype .*got float32/);
    const idx = torch.tensor([1, 2], { dtype: 'int32' });
    expect(() => torch.embedding(idx, torch.zeros([10]))).toThrow(/'weight' must be 2-D .* got weight of size \[10\]/);
    expect(() => torch.embedding(idx, torch.zeros([10, 4]), { paddingIdx: 10 })).toThrow(/paddingIdx must be within numEmbeddings \(10\), got 10/);
    expect(() => torch.embedding(idx, torch.zeros([10, 4]), { paddingIdx: -11 })).toThrow(/paddingIdx must be within/);
  });

  it('conv1d / conv2d', () => {
    const x = torch.zeros([2, 4, 5, 6]);
    expect(() => torch.conv2d(x, torch.zeros([3, 2, 3, 3]))).toThrow(/Given groups=1, weight of size \[3, 2, 3, 3\], expected input\[2, 4, 5, 6\] to have 2 channels, but got 4 channels instead/);
    expect(() => torch.conv2d(x, torch.zeros([3, 2, 3, 3]), null, { groups: 2 })).toThrow(/expected weight to be divisible by 2 at dimension 0/);
    expect(() => torch.conv2d(x, torch.zeros([3, 4, 3, 3]), torch.zeros([4]))).toThrow(/expected bias to be 1-dimensional with 3 elements, but got bias of size \[4\]/);
    expect(() => torch.conv2d(x, torch.zeros([3, 4, 3, 3]), null, { padding: 'same', stride: 2 })).toThrow(/padding='same' is not supported for strided convolutions/);
    expect(() => torch.conv2d(x, torch.zeros([3, 4, 7, 3]))).toThrow(/Calculated padded input size per channel: \(5 x 6\). Kernel size: \(7 x 3\)/);
    expect(() => torch.conv2d(torch.zeros([4, 5]), torch.zeros([3, 4, 3, 3]))).toThrow(/conv2d: Expected 3D \(unbatched\) or 4D \(batched\) input, but got input of size: \[4, 5\]/);
    expect(() => torch.conv2d(x, torch.zeros([3, 4, 3]))).toThrow(/Expected 4-dimensional weight/);
    expect(() => torch.conv2d(x, torch.zeros([3, 4, 3, 3]), null, { stride: [1, 2, 3] })).toThrow(/expected stride to be a single integer value or a list of 2 values/);
    expect(() => torch.conv2d(x, torch.zeros([3, 4, 3, 3]), null, { padding: -1 })).toThrow(/padding must be non-negative/);
    expect(() => torch.conv2d(x, torch.zeros([3, 4, 3, 3]), null, { padding: 'full' as 'same' })).toThrow(/Invalid padding string 'full'/);
    expect(() => torch.conv1d(torch.zeros([2, 4, 8]), torch.zeros([3, 4, 3]), null, { dilation: 0 })).toThrow(/dilation must be positive/);
    expect(() => torch.conv1d(torch.zeros([2, 4, 8], { dtype: 'int32' }), torch.zeros([3, 4, 3]))).toThrow(/conv1d: expected input of a float dtype .*got int32/);
  });

  it('pooling, pad', () => {
    expect(() => torch.maxPool2d(x4(), { kernelSize: 2, padding: 2 })).toThrow(/pad should be at most half of kernel size/);
    expect(() => torch.maxPool2d(torch.zeros([2, 3]), { kernelSize: 2 })).toThrow(/Expected 3D or 4D .* got input of size \[2, 3\]/);
    expect(() => torch.avgPool2d(x4(), { kernelSize: 7 })).toThrow(/Output size is too small/);
    expect(() => torch.avgPool2d(x4(), { kernelSize: 2, divisorOverride: 0 })).toThrow(/divisorOverride must be a nonzero number/);
    expect(() => torch.adaptiveAvgPool2d(x4(), [2, 0])).toThrow(/outputSize must be positive integers/);
    expect(() => torch.adaptiveAvgPool2d(x4(), [2, 2, 2])).toThrow(/a list of 2/);
    expect(() => torch.pad(torch.zeros([2, 3]), [1])).toThrow(/list of integers of even length/);
    expect(() => torch.pad(torch.zeros([2, 3]), [1, 1, 1, 1, 1, 1])).toThrow(/padding length too large/);
    expect(() => torch.pad(torch.zeros([2, 3]), [-2, -2])).toThrow(/is negative/);
  });

  it('oneHot, cosineSimilarity', () => {
    expect(() => torch.oneHot(torch.zeros([3]), 4)).toThrow(/one_hot is only applicable to index tensors \(int32\), got float32/);
    expect(() => torch.oneHot(torch.tensor([1, -1], { dtype: 'int32' }))).toThrow(/Class values must be non-negative/);
    expect(() => torch.oneHot(torch.zeros([0], { dtype: 'int32' }))).toThrow(/Can not infer total number of classes from empty tensor/);
    expect(() => torch.cosineSimilarity(torch.zeros([2, 3]), torch.zeros([4, 3]))).toThrow(/x1 of size \[2, 3\] and x2 of size \[4, 3\] do not broadcast/);
  });
});

describe('nn ops: behaviour', () => {
  it('pad crops with negative amounts and fills with value', () => {
    const x = torch.tensor([[1, 2, 3], [4, 5, 6]]);
    const y = torch.pad(x, [1, -1, 0, 1], 9);
    expect(y.shape).toEqual([3, 3]);
    expect(f32(y)).toEqual([9, 1, 2, 9, 4, 5, 9, 9, 9]);
  });

  it('batchNorm updates the running statistics in place, with the unbiased variance', () => {
    const x = torch.tensor([[1, 10], [3, 20]]);
    const rm = torch.zeros([2]), rv = torch.ones([2]);
    const y = torch.batchNorm(x, rm, rv, { training: true, momentum: 0.5 });
    expect(f32(rm)).toEqual([1, 7.5]);
    // batch var unbiased: [2, 50]; 0.5 * 1 + 0.5 * v
    expect(f32(rv)).toEqual([1.5, 25.5]);
    const out = f32(y);
    expect(out[0]).toBeCloseTo(-1, 4);
    expect(out[3]).toBeCloseTo(1, 4);
  });

  it('dropout: eval is an identity view, p = 1 gives zeros, training scales kept elements by 1/(1-p)', () => {
    const x = torch.ones([1000]);
    const id = torch.dropout(x, { training: false });
    expect(id).not.toBe(x);
    expect(f32(id).every((v) => v === 1)).toBe(true);
    expect(f32(torch.dropout(x, { p: 1 })).every((v) => v === 0)).toBe(true);
    torch.manualSeed(0);
    const d = f32(torch.dropout(x, { p: 0.25 }));
    expect(d.every((v) => v === 0 || Math.abs(v - 4 / 3) < 1e-6)).toBe(true);
    const kept = d.filter((v) => v !== 0).length;
    expect(kept).toBeGreaterThan(700);
    expect(kept).toBeLessThan(800);
    torch.manualSeed(0);
    expect(f32(torch.dropout(x, { p: 0.25 }))).toEqual(d);
  });

  it('conv2d takes unbatched input', () => {
    const w = torch.ones([2, 3, 3, 3]);
    const y = torch.conv2d(torch.ones([3, 5, 6]), w, null, { padding: 1 });
    expect(y.shape).toEqual([2, 5, 6]);
    expect(f32(y)[0]).toBe(12);
    expect(f32(y)[7]).toBe(27);
  });

  it('oneHot infers numClasses with -1', () => {
    const y = torch.oneHot(torch.tensor([0, 2], { dtype: 'int32' }));
    expect(y.dtype).toBe('int32');
    expect(Array.from(y.dataSync())).toEqual([1, 0, 0, 0, 0, 1]);
  });

  it('no op reads back (all run on a backend whose read and readSync throw), and tidy frees every temporary', () => {
    const base = createReferenceBackend('noread');
    torch.registerBackend('noread', () => ({
      ...base,
      name: 'noread',
      read: () => { throw new Error('readback'); },
      readSync: () => { throw new Error('readback'); },
    }));
    return (async () => {
      await torch.setBackend('noread');
      try {
        const x = torch.randn([2, 3, 6, 7]);
        const rm = torch.zeros([3]), rv = torch.ones([3]);
        const idx = torch.tensor([[1, 0]], { dtype: 'int32' }), emb = torch.randn([4, 3]);
        const w2 = torch.randn([4, 3, 3, 3]), b2 = torch.zeros([4]), w1 = torch.randn([6, 1, 3]);
        const x1 = x.reshape([2, 3, 42]);
        const before = torch.memory().tensors;
        const outs = [
          torch.softmax(x, 1), torch.logSoftmax(x, -1), torch.layerNorm(x, [6, 7]),
          torch.batchNorm(x, rm, rv, { training: true }), torch.dropout(x, { p: 0.3 }),
          torch.embedding(idx, emb, { paddingIdx: 0 }),
          torch.conv2d(x, w2, b2, { padding: 'same', dilation: 2 }),
          torch.conv1d(x1, w1, null, { groups: 3, stride: 2 }),
          torch.maxPool2d(x, { kernelSize: 3, stride: 2, padding: 1, ceilMode: true }),
          torch.avgPool2d(x, { kernelSize: 3, stride: 2, padding: 1, ceilMode: true, countIncludePad: false }),
          torch.adaptiveAvgPool2d(x, [4, 3]), torch.oneHot(idx, 3),
          torch.cosineSimilarity(x, x), torch.pad(x, [1, 2, 3, 4]),
        ];
        // Only the outputs remain: every temporary was freed.
        expect(torch.memory().tensors - before).toBe(outs.length);
        expect(outs[6]!.shape).toEqual([2, 4, 6, 7]);
        expect(outs[7]!.shape).toEqual([2, 6, 20]);
        expect(() => torch.oneHot(idx)).toThrow(/readback/);
      } finally {
        await torch.setBackend('reference');
      }
    })();
  });
});
