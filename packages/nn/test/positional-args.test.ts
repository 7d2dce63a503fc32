/** Layers take PyTorch's positional constructor arguments as well as options, and refuse unknown ones. */
import '@torchlet/autograd';
import { beforeAll, describe, expect, it } from 'vitest';
import * as torch from '@torchlet/core';
import { createReferenceBackend } from '../../core/test/reference-backend.ts';
import { BatchNorm1d, Conv2d, Dropout, Embedding, F, GRU, LSTM, LayerNorm, Linear, RNN } from '../src/index.ts';

beforeAll(async () => {
  torch.registerBackend('reference', () => createReferenceBackend());
  await torch.setBackend('reference');
});

describe('layer constructors in PyTorch order', () => {
  it('positional and options forms agree', () => {
    expect(new Linear(2, 3, false).bias).toBe(null);
    expect(new Linear(2, 3, { bias: false }).bias).toBe(null);
    const c = new Conv2d(1, 2, 3, 2, 1);
    expect([c.stride, c.padding]).toEqual([[2, 2], [1, 1]]);
    expect(new Conv2d(1, 2, 3, 1, 0, 1, 1, false).bias).toBe(null);
    expect(new LayerNorm(4, 1e-6, false).weight).toBe(null);
    expect(new LayerNorm(4, 1e-6).eps).toBe(1e-6);
    expect(new BatchNorm1d(4, 1e-3, 0.2).momentum).toBe(0.2);
    expect(new Embedding(5, 2, 0).paddingIdx).toBe(0);
    expect(new Dropout(0.2).p).toBe(0.2);
    expect(new Dropout({ p: 0.3 }).p).toBe(0.3);
    expect(new LSTM(3, 4, 2).numLayers).toBe(2);
    expect(new GRU(3, 4, 1, true, true).batchFirst).toBe(true);
    expect(new RNN(3, 4, 1, 'relu').nonlinearity).toBe('relu');
  });
  it('snake_case and unknown options throw naming the closest', () => {
    expect(() => new Linear(2, 3, { bias: false, dtype: 'float32' } as never)).toThrow("Linear: unknown option 'dtype' (known options: bias)");
    expect(() => new LSTM(3, 4, { batch_first: true } as never)).toThrow("LSTM: unknown option 'batch_first'; did you mean batchFirst?");
    expect(() => new Conv2d(1, 2, 3, { padding_mode: 'zeros' } as never)).toThrow('did you mean paddingMode?');
    expect(() => new LayerNorm(4, { elementwise_affine: false } as never)).toThrow('did you mean elementwiseAffine?');
    expect(() => new Linear(2, 3, 'no' as never)).toThrow('Linear: bias must be true or false');
    expect(() => new Dropout(0.1, true as never)).toThrow('Dropout: inplace=true is not supported');
  });

  it('loss options are checked', () => {
    const x = torch.tensor([[1, 2]]), y = torch.tensor([1], { dtype: 'int32' });
    expect(() => F.crossEntropy(x, y, { label_smoothing: 0.1 } as never)).toThrow("crossEntropy: unknown option 'label_smoothing'; did you mean labelSmoothing?");
    // PyTorch's third positional argument is the deprecated size_average: a string there is refused.
    expect(() => F.mseLoss(x.float(), x.float(), 'sum' as never)).toThrow(/mseLoss: sizeAverage .*must be true or false, got 'sum'/);
  });
});
