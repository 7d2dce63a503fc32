/** Transformer layers and forwards take PyTorch's positional arguments as well as options. */
import '@torchlet/backend-wasm';
import '@torchlet/autograd';
import * as torch from '@torchlet/core';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  MultiheadAttention, Transformer, TransformerDecoder, TransformerDecoderLayer, TransformerEncoder, TransformerEncoderLayer, generateSquareSubsequentMask,
} from '../src/index.ts';

beforeAll(async () => {
  await torch.setBackend('wasm');
});

const same = (a: torch.Tensor, b: torch.Tensor): boolean => Array.from(a.dataSync()).every((x, i) => x === b.dataSync()[i]);

describe('constructors in PyTorch order', () => {
  it('TransformerEncoderLayer(8, 2, 16) has a 16-wide feed-forward block', () => {
    const l = new TransformerEncoderLayer(8, 2, 16);
    expect(l.linear1.weight.shape).toEqual([16, 8]);
    const l2 = new TransformerEncoderLayer(8, 2, 16, 0.0, 'gelu', 1e-6, true, true);
    expect(l2.batchFirst).toBe(true);
    expect(l2.normFirst).toBe(true);
    expect(l2.norm1.eps).toBe(1e-6);
    expect(new TransformerEncoderLayer(8, 2, 16, { batchFirst: true }).batchFirst).toBe(true);
    expect(new TransformerDecoderLayer(8, 2, 12).linear2.weight.shape).toEqual([8, 12]);
  });
  it('Transformer and MultiheadAttention', () => {
    const t = new Transformer(8, 2, 1, 2, 16, 0.0);
    expect(Object.keys(t.stateDict()).filter((k) => k.startsWith('decoder.layers.1.linear1.weight'))).toEqual(['decoder.layers.1.linear1.weight']);
    expect(t.stateDict()['encoder.layers.0.linear1.weight']!.shape).toEqual([16, 8]);
    const m = new MultiheadAttention(8, 2, 0.0, false, false, false, null, null, true);
    expect(m.batchFirst).toBe(true);
    expect(m.inProjBias).toBe(null);
  });
  it('snake_case options and bad values throw with the closest name', () => {
    expect(() => new TransformerEncoderLayer(8, 2, { dim_feedforward: 16 } as never)).toThrow(
      "TransformerEncoderLayer: unknown option 'dim_feedforward'; did you mean dimFeedforward?",
    );
    expect(() => new TransformerEncoderLayer(8, 2, 16, { batch_first: true } as never)).toThrow('did you mean batchFirst?');
    expect(() => new TransformerEncoderLayer(8, 2, 16, 1.5)).toThrow('TransformerEncoderLayer: dropout must be between 0 and 1, got 1.5');
    expect(() => new TransformerEncoderLayer(8, 2, 16, 0.1, 'relu', 1e-5, 'yes' as never)).toThrow('TransformerEncoderLayer: batchFirst must be true or false');
    expect(() => new MultiheadAttention(8, 2, 0.0, true, true)).toThrow('MultiheadAttention: addBiasKv=true is not supported');
  });
});

describe('forward masks in PyTorch order', () => {
  it('decoder.forward(tgt, memory, tgtMask) applies the mask', () => {
    torch.manualSeed(0);
    const dec = new TransformerDecoder(new TransformerDecoderLayer(8, 2, 16, 0.0), 2);
    const tgt = torch.randn(5, 1, 8), memory = torch.randn(3, 1, 8);
    const mask = generateSquareSubsequentMask(5);
    const positional = dec.forward(tgt, memory, mask);
    const named = dec.forward(tgt, memory, { tgtMask: mask });
    const none = dec.forward(tgt, memory);
    expect(same(positional, named)).toBe(true);
    expect(same(positional, none)).toBe(false);
    // A causal mask: the first position sees only itself, so it does not depend on later targets.
    const tgt2 = torch.cat([tgt.narrow(0, 0, 1), torch.randn(4, 1, 8)], 0);
    const first = (t: torch.Tensor) => Array.from(t.narrow(0, 0, 1).dataSync());
    const a = first(dec.forward(tgt2, memory, mask)), b = first(positional);
    a.forEach((v, i) => expect(v).toBeCloseTo(b[i]!, 5));
  });
  it('encoder, layer, Transformer and MultiheadAttention forwards', () => {
    torch.manualSeed(1);
    const layer = new TransformerEncoderLayer(8, 2, 16, 0.0);
    const enc = new TransformerEncoder(layer, 1);
    const src = torch.randn(4, 2, 8);
    const mask = generateSquareSubsequentMask(4);
    const kpm = torch.tensor([[false, false, false, true], [false, false, false, false]]);
    expect(same(layer.forward(src, mask, kpm), layer.forward(src, { srcMask: mask, srcKeyPaddingMask: kpm }))).toBe(true);
    expect(same(layer.forward(src, null, kpm), layer.forward(src, { srcKeyPaddingMask: kpm }))).toBe(true);
    expect(same(enc.forward(src, mask), enc.forward(src, { mask }))).toBe(true);
    expect(same(enc.forward(src, mask), enc.forward(src))).toBe(false);
    const t = new Transformer(8, 2, 1, 1, 16, 0.0);
    const tgt = torch.randn(3, 2, 8);
    const tmask = generateSquareSubsequentMask(3);
    expect(same(t.forward(src, tgt, null, tmask), t.forward(src, tgt, { tgtMask: tmask }))).toBe(true);
    const m = new MultiheadAttention(8, 2);
    const [o1, w1] = m.forward(src, src, src, kpm, true, mask);
    const [o2, w2] = m.forward(src, src, src, { keyPaddingMask: kpm, attnMask: mask });
    expect(same(o1, o2) && same(w1!, w2!)).toBe(true);
    expect(m.forward(src, src, src, null, false)[1]).toBe(null);
    expect(() => enc.forward(src, { src_key_padding_mask: kpm } as never)).toThrow('did you mean srcKeyPaddingMask?');
  });
});
