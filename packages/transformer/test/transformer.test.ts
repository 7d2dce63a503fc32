/** Transformer layers and models: state-dict keys, independent layers, shapes, errors and flat memory in training. */
import '@torchlet/backend-wasm';
import '@torchlet/autograd';
import * as torch from '@torchlet/core';
import { LayerNorm } from '@torchlet/nn';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  Transformer, TransformerDecoder, TransformerDecoderLayer, TransformerEncoder, TransformerEncoderLayer, generateSquareSubsequentMask,
} from '../src/index.ts';

beforeAll(async () => {
  await torch.setBackend('wasm');
});

const cfg = { dModel: 16, nhead: 2, dimFeedforward: 32, dropout: 0, batchFirst: true };
const same = (a: torch.Tensor, b: torch.Tensor): boolean => Array.from(a.dataSync()).every((x, i) => x === b.dataSync()[i]);

describe('state-dict keys are PyTorch\'s', () => {
  it('TransformerEncoderLayer and TransformerDecoderLayer', () => {
    expect(Object.keys(new TransformerEncoderLayer(16, 2).stateDict())).toEqual([
      'self_attn.in_proj_weight', 'self_attn.in_proj_bias', 'self_attn.out_proj.weight', 'self_attn.out_proj.bias',
      'linear1.weight', 'linear1.bias', 'linear2.weight', 'linear2.bias', 'norm1.weight', 'norm1.bias', 'norm2.weight', 'norm2.bias',
    ]);
    const dec = Object.keys(new TransformerDecoderLayer(16, 2, { dimFeedforward: 8 }).stateDict());
    expect(dec.filter((k) => k.startsWith('multihead_attn.'))).toEqual([
      'multihead_attn.in_proj_weight', 'multihead_attn.in_proj_bias', 'multihead_attn.out_proj.weight', 'multihead_attn.out_proj.bias',
    ]);
    expect(dec.slice(-2)).toEqual(['norm3.weight', 'norm3.bias']);
  });

  it('Transformer with its final encoder.norm and decoder.norm', () => {
    const keys = Object.keys(new Transformer({ ...cfg, numEncoderLayers: 2, numDecoderLayers: 1 }).stateDict());
    expect(keys[0]).toBe('encoder.layers.0.self_attn.in_proj_weight');
    expect(keys).toContain('encoder.layers.1.norm2.bias');
    expect(keys).toContain('encoder.norm.weight');
    expect(keys).toContain('decoder.layers.0.multihead_attn.out_proj.bias');
    expect(keys.slice(-2)).toEqual(['decoder.norm.weight', 'decoder.norm.bias']);
    expect(keys).not.toContain('decoder.layers.1.norm1.weight');
  });
});

describe('TransformerEncoder layers', () => {
  it('are independent, freshly initialised from a configuration', () => {
    const enc = new TransformerEncoder(cfg, 3, new LayerNorm(16));
    const sd = enc.stateDict();
    expect(Object.keys(sd)).toContain('layers.2.linear2.bias');
    expect(Object.keys(sd).slice(-2)).toEqual(['norm.weight', 'norm.bias']);
    expect(same(sd['layers.0.linear1.weight']!, sd['layers.1.linear1.weight']!)).toBe(false);
    expect(sd['layers.0.linear1.weight']).not.toBe(sd['layers.1.linear1.weight']);
  });

  it('copy a given layer (PyTorch deep-copies it): same weights, separate tensors', () => {
    const layer = new TransformerEncoderLayer(16, 2, { dimFeedforward: 32, normFirst: true });
    const enc = new TransformerEncoder(layer, 2);
    const sd = enc.stateDict();
    expect(same(sd['layers.0.linear1.weight']!, layer.linear1.weight)).toBe(true);
    expect(same(sd['layers.1.self_attn.in_proj_weight']!, layer.selfAttn.inProjWeight!)).toBe(true);
    expect(sd['layers.0.linear1.weight']).not.toBe(layer.linear1.weight);
    expect(enc.layers.at(1).normFirst).toBe(true);
  });

  it('come from a factory, which must not return the same layer twice', () => {
    const dec = new TransformerDecoder(() => new TransformerDecoderLayer(16, 2, { dimFeedforward: 8 }), 2);
    expect(dec.layers.length).toBe(2);
    const one = new TransformerEncoderLayer(16, 2);
    expect(() => new TransformerEncoder(() => one, 2)).toThrow(/same layer twice/);
    expect(() => new TransformerEncoder(new LayerNorm(16) as never, 2)).toThrow(/expected a TransformerEncoderLayer, a layer configuration/);
  });
});

describe('shapes and arguments', () => {
  it('seq-first and batch-first give the same result with the same weights', () => {
    const a = new Transformer({ ...cfg, batchFirst: false, numEncoderLayers: 1, numDecoderLayers: 1 });
    const b = new Transformer({ ...cfg, numEncoderLayers: 1, numDecoderLayers: 1 });
    b.loadStateDict(a.stateDict());
    const src = torch.randn([5, 2, 16]), tgt = torch.randn([4, 2, 16]);
    const tgtMask = generateSquareSubsequentMask(4);
    const srcKeyPaddingMask = torch.tensor([[0, 0, 0, 1, 1], [0, 0, 0, 0, 0]], { dtype: 'bool' });
    const opts = { tgtMask, srcKeyPaddingMask, memoryKeyPaddingMask: srcKeyPaddingMask };
    const oa = a.forward(src, tgt, opts);
    const ob = b.forward(src.transpose(0, 1), tgt.transpose(0, 1), opts);
    expect(oa.shape).toEqual([4, 2, 16]);
    expect(ob.shape).toEqual([2, 4, 16]);
    const x = ob.transpose(0, 1).contiguous().dataSync(), y = oa.dataSync();
    for (let i = 0; i < x.length; i++) expect(Math.abs(x[i]! - y[i]!)).toBeLessThan(1e-4);
  });

  it('errors name the shapes', () => {
    const t = new Transformer({ ...cfg, numEncoderLayers: 1, numDecoderLayers: 1 });
    expect(() => t.forward(torch.randn([2, 5, 16]), torch.randn([3, 4, 16]))).toThrow(/the batch number of src and tgt must be equal, got src \[2, 5, 16\] and tgt \[3, 4, 16\]/);
    expect(() => t.forward(torch.randn([2, 5, 16]), torch.randn([2, 4, 8]))).toThrow(/must be equal to dModel=16/);
    const layer = new TransformerEncoderLayer(16, 2, { batchFirst: true });
    expect(() => layer.forward(torch.randn([2, 5, 16]), { srcMask: torch.zeros([4, 4]) })).toThrow(/The shape of the 2D attnMask is \[4, 4\], but should be \[5, 5\]/);
    expect(() => new TransformerEncoderLayer(16, 3)).toThrow(/dModel must be divisible by nhead, got dModel=16 and nhead=3/);
    expect(() => new TransformerEncoderLayer(16, 2, { activation: 'tanh' as 'relu' })).toThrow(/activation should be relu\/gelu, not tanh/);
  });
});

describe('memory', () => {
  it('200 training steps of a Transformer layer hold memory() flat', () => {
    torch.manualSeed(0);
    const layer = new TransformerEncoderLayer(16, 2, { dimFeedforward: 32, dropout: 0.1, batchFirst: true });
    const src = torch.randn([2, 5, 16]);
    const mask = generateSquareSubsequentMask(5);
    const kpm = torch.tensor([[0, 0, 0, 0, 1], [0, 0, 0, 0, 0]], { dtype: 'bool' });
    const target = torch.randn([2, 5, 16]);
    const step = (): number => {
      const loss = torch.tidy(() => {
        const l = layer.forward(src, { srcMask: mask, srcKeyPaddingMask: kpm }).sub(target).square().mean();
        l.backward();
        return l.detach();
      });
      torch.noGrad(() => {
        for (const p of layer.parameters()) torch.tidy(() => p.sub_(p.grad!.mul(0.05)));
      });
      layer.zeroGrad();
      const v = loss.dataSync()[0]!;
      loss.dispose();
      return v;
    };
    const first = step();
    step();
    const before = torch.memory();
    let last = first;
    for (let i = 0; i < 200; i++) last = step();
    const after = torch.memory();
    expect(after.tensors).toBe(before.tensors);
    expect(after.bytes).toBe(before.bytes);
    expect(after.buffers).toBe(before.buffers);
    expect(last).toBeLessThan(first); // and it learned
  });
});
