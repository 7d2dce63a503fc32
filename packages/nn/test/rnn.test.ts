/** RNN, LSTM, GRU: names, shapes, layouts, argument errors and memory. Values are checked by the conformance suite. */
import '@torchlet/backend-wasm';
import '@torchlet/autograd';
import * as torch from '@torchlet/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { GRU, LSTM, RNN } from '../src/index.ts';

beforeAll(async () => {
  await torch.setBackend('wasm');
});

const close = (a: torch.Tensor, b: torch.Tensor): void => {
  expect(a.shape).toEqual(b.shape);
  const x = a.dataSync(), y = b.dataSync();
  for (let i = 0; i < x.length; i++) expect(Math.abs(x[i]! - y[i]!)).toBeLessThan(1e-5);
};

describe('parameters', () => {
  it("uses PyTorch's names, shapes and order", () => {
    const lstm = new LSTM(4, 6, { numLayers: 2, bidirectional: true });
    const shapes = Object.fromEntries(Object.entries(lstm.stateDict()).map(([k, t]) => [k, t.shape]));
    expect(Object.keys(shapes)).toEqual([
      'weight_ih_l0', 'weight_hh_l0', 'bias_ih_l0', 'bias_hh_l0',
      'weight_ih_l0_reverse', 'weight_hh_l0_reverse', 'bias_ih_l0_reverse', 'bias_hh_l0_reverse',
      'weight_ih_l1', 'weight_hh_l1', 'bias_ih_l1', 'bias_hh_l1',
      'weight_ih_l1_reverse', 'weight_hh_l1_reverse', 'bias_ih_l1_reverse', 'bias_hh_l1_reverse',
    ]);
    expect(shapes.weight_ih_l0).toEqual([24, 4]);
    expect(shapes.weight_hh_l0).toEqual([24, 6]);
    expect(shapes.weight_ih_l1).toEqual([24, 12]); // the layer below is bidirectional
    expect(shapes.bias_hh_l1_reverse).toEqual([24]);
    expect(new GRU(3, 5).stateDict().weight_ih_l0!.shape).toEqual([15, 3]);
    expect(Object.keys(new RNN(3, 5, { bias: false }).stateDict())).toEqual(['weight_ih_l0', 'weight_hh_l0']);
    lstm.dispose();
  });

  it('initialises every parameter from U(-1/sqrt(H), 1/sqrt(H))', () => {
    torch.manualSeed(0);
    const gru = new GRU(8, 16);
    for (const p of gru.parameters()) {
      const v = p.dataSync();
      expect(Math.max(...v)).toBeLessThanOrEqual(0.25);
      expect(Math.min(...v)).toBeGreaterThanOrEqual(-0.25);
      expect(Math.max(...v)).toBeGreaterThan(0.2); // not all zeros
    }
    gru.dispose();
  });

  it('prints like PyTorch', () => {
    expect(new LSTM(4, 6, { numLayers: 2, batchFirst: true }).toString()).toBe('LSTM(4, 6, num_layers=2, batch_first=True)');
    expect(new RNN(4, 6, { nonlinearity: 'relu' }).toString()).toBe("RNN(4, 6, nonlinearity='relu')");
  });
});

describe('shapes', () => {
  it('returns [output, hN] and [output, hN, cN], sequence-first', () => {
    const x = torch.randn([5, 3, 4]);
    const [o, h] = new GRU(4, 6, { numLayers: 2 }).forward(x);
    expect(o.shape).toEqual([5, 3, 6]);
    expect(h.shape).toEqual([2, 3, 6]);
    const [o2, h2, c2] = new LSTM(4, 6, { numLayers: 3, bidirectional: true }).forward(x);
    expect(o2.shape).toEqual([5, 3, 12]);
    expect(h2.shape).toEqual([6, 3, 6]);
    expect(c2.shape).toEqual([6, 3, 6]);
  });

  it('batchFirst gives the transposed output of the same network; the states stay (L*D, N, H)', () => {
    torch.manualSeed(1);
    const a = new LSTM(4, 6, { numLayers: 2, bidirectional: true });
    const b = new LSTM(4, 6, { numLayers: 2, bidirectional: true, batchFirst: true });
    b.loadStateDict(a.stateDict());
    const x = torch.randn([5, 3, 4]);
    const h0 = torch.randn([4, 3, 6]), c0 = torch.randn([4, 3, 6]);
    const [oa, ha, ca] = a.forward(x, [h0, c0]);
    const [ob, hb, cb] = b.forward(x.transpose(0, 1), h0, c0);
    expect(ob.shape).toEqual([3, 5, 12]);
    close(ob.transpose(0, 1).contiguous(), oa);
    close(hb, ha);
    close(cb, ca);
  });

  it('bidirectional: the forward half ends at t = T-1 and the reverse half at t = 0', () => {
    const gru = new GRU(4, 6, { bidirectional: true });
    const [o, h] = gru.forward(torch.randn([5, 2, 4]));
    close(o.select(0, 4).narrow(1, 0, 6).contiguous(), h.select(0, 0).contiguous());
    close(o.select(0, 0).narrow(1, 6, 6).contiguous(), h.select(0, 1).contiguous());
  });

  it('accepts unbatched (T, I) input with (L*D, H) states, like a batch of one', () => {
    const rnn = new RNN(4, 6, { numLayers: 2, bidirectional: true });
    const x = torch.randn([5, 4]);
    const h0 = torch.randn([4, 6]);
    const [o, h] = rnn.forward(x, h0);
    expect(o.shape).toEqual([5, 12]);
    expect(h.shape).toEqual([4, 6]);
    const [ob, hb] = rnn.forward(x.unsqueeze(1), h0.unsqueeze(1));
    close(o, ob.squeeze(1));
    close(h, hb.squeeze(1));
  });

  it('LSTM takes hx = [h0, c0] or (h0, c0) alike', () => {
    const lstm = new LSTM(3, 4);
    const x = torch.randn([2, 1, 3]), h0 = torch.randn([1, 1, 4]), c0 = torch.randn([1, 1, 4]);
    const [a] = lstm.forward(x, [h0, c0]);
    const [b] = lstm.forward(x, h0, c0);
    close(a, b);
  });

  it('dropout between layers applies only in training', () => {
    torch.manualSeed(2);
    const rnn = new RNN(4, 8, { numLayers: 2, dropout: 0.5 });
    const x = torch.randn([3, 2, 4]);
    const [a] = rnn.forward(x);
    const [b] = rnn.forward(x);
    expect(Array.from(a.dataSync())).not.toEqual(Array.from(b.dataSync()));
    rnn.eval();
    close(rnn.forward(x)[0], rnn.forward(x)[0]);
  });
});

describe('argument errors', () => {
  it('names the sizes', () => {
    const rnn = new RNN(4, 6, { numLayers: 2 });
    expect(() => rnn.forward(torch.zeros([5, 3, 7]))).toThrow(/RNN: input.size\(-1\) must be equal to inputSize. Expected 4, got 7/);
    expect(() => rnn.forward(torch.zeros([5, 3, 2, 4]))).toThrow(/Expected input to be 2D \(unbatched\) or 3D \(batched\), got 4D/);
    expect(() => rnn.forward(torch.zeros([5, 3, 4]), torch.zeros([1, 3, 6]))).toThrow(/Expected h0 of shape \[2, 3, 6\].*got \[1, 3, 6\]/);
    const lstm = new LSTM(4, 6, { batchFirst: true });
    expect(() => lstm.forward(torch.zeros([3, 5, 4]), torch.zeros([1, 3, 6]))).toThrow(/give both h0 and c0 or neither/);
    expect(() => lstm.forward(torch.zeros([3, 5, 4]), torch.zeros([1, 3, 6]), torch.zeros([1, 5, 6]))).toThrow(/Expected c0 of shape \[1, 3, 6\]/);
    expect(() => new GRU(4, 6).forward(torch.zeros([5, 4]), torch.zeros([1, 1, 6]))).toThrow(/Expected h0 of shape \[1, 6\].*unbatched/);
  });

  it('checks the constructor options', () => {
    expect(() => new RNN(4, 6, { nonlinearity: 'sigmoid' as 'tanh' })).toThrow(/Unknown nonlinearity 'sigmoid'/);
    expect(() => new LSTM(4, 0)).toThrow(/hiddenSize must be an integer >= 1/);
    expect(() => new GRU(4, 6, { dropout: 1.5 })).toThrow(/dropout should be a number in range \[0, 1\]/);
    expect(() => new GRU(4, 6, { numLayers: 0 })).toThrow(/numLayers must be an integer >= 1/);
  });
});

describe('memory', () => {
  it('forward and backward leak nothing, and every parameter gets a gradient', () => {
    torch.manualSeed(3);
    const lstm = new LSTM(4, 6, { numLayers: 2, bidirectional: true, batchFirst: true });
    const x = torch.randn([2, 5, 4]);
    const step = (): void => {
      torch.tidy(() => {
        const [o, h, c] = lstm.forward(x);
        o.sum().add(h.sum()).add(c.sum()).backward();
      });
      lstm.zeroGrad();
    };
    step();
    const before = torch.memory();
    for (let i = 0; i < 20; i++) step();
    const after = torch.memory();
    expect(after.tensors).toBe(before.tensors);
    expect(after.bytes).toBe(before.bytes);
    torch.tidy(() => lstm.forward(x)[0].sum().backward());
    for (const [name, p] of lstm.namedParameters()) {
      expect(p.grad, name).not.toBeNull();
      expect(p.grad!.abs().sum().dataSync()[0], name).toBeGreaterThan(0);
    }
  });
});
