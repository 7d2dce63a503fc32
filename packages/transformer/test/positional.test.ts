/** Positional encodings: the sinusoid table, its buffer status, learned positions and offsets. */
import '@torchlet/backend-wasm';
import '@torchlet/autograd';
import * as torch from '@torchlet/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { LearnedPositionalEmbedding, SinusoidalPositionalEncoding } from '../src/index.ts';

beforeAll(async () => {
  await torch.setBackend('wasm');
});

describe('SinusoidalPositionalEncoding', () => {
  it('adds sin/cos of pos / 10000^(2i/d) and is a non-persistent buffer', () => {
    const pe = new SinusoidalPositionalEncoding(6, 20);
    expect(Object.keys(pe.stateDict())).toEqual([]);
    expect(pe.namedBuffers().map(([n]) => n)).toEqual(['pe']);
    expect(pe.parameters()).toEqual([]);
    const y = pe.forward(torch.zeros([2, 5, 6])); // (N, T, E)
    expect(y.shape).toEqual([2, 5, 6]);
    const v = y.dataSync();
    for (const pos of [0, 3, 4]) {
      for (let i = 0; i < 6; i += 2) {
        const angle = pos / 10000 ** (i / 6);
        expect(v[30 + pos * 6 + i]).toBeCloseTo(Math.sin(angle), 6);
        expect(v[30 + pos * 6 + i + 1]).toBeCloseTo(Math.cos(angle), 6);
      }
    }
    // offset: the rows of positions 3..4; seq-first layout broadcasts over the batch.
    const z = pe.forward(torch.zeros([2, 6]), { offset: 3 }).dataSync();
    expect(Array.from(z)).toEqual(Array.from(v.subarray(18, 30)));
    const sf = new SinusoidalPositionalEncoding(6, 20, { batchFirst: false }).forward(torch.zeros([5, 3, 6]));
    expect(Array.from(sf.dataSync().subarray(6 * 3 * 4, 6 * 3 * 4 + 6))).toEqual(Array.from(v.subarray(24, 30)));
    expect(() => pe.forward(torch.zeros([1, 21, 6]))).toThrow(/exceed maxLen=20/);
  });
});

describe('LearnedPositionalEmbedding', () => {
  it('is a (maxLen, d) parameter added by position, with gradients', () => {
    const wpe = new LearnedPositionalEmbedding(8, 4);
    expect(Object.keys(wpe.stateDict())).toEqual(['weight']);
    const y = wpe.forward(torch.ones([3, 2, 4]), { offset: 5 });
    const w = wpe.weight.dataSync();
    expect(y.dataSync()[4]).toBeCloseTo(1 + w[6 * 4]!, 6);
    y.sum().backward();
    const g = Array.from(wpe.weight.grad!.dataSync());
    expect(g.slice(0, 20).every((x) => x === 0)).toBe(true);
    expect(g.slice(20, 28).every((x) => x === 3)).toBe(true);
    expect(wpe.embed(torch.tensor([[7]], { dtype: 'int32' })).shape).toEqual([1, 1, 4]);
  });
});
