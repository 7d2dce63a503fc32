/**
 * Issue 12's "Why" idioms, literally, in TypeScript (strict) and in plain JavaScript
 * (pytorch-idioms.plain.mjs, no types, so only the run-time checks protect it).
 */
import { inspect } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import * as torch from '../src/index.ts';
// @ts-expect-error: a plain .mjs without declarations, on purpose.
import { runIdioms } from './pytorch-idioms.plain.mjs';

const { nn, optim } = torch;

beforeAll(async () => {
  await torch.setBackend('wasm');
});

describe('PyTorch idioms (TypeScript)', () => {
  const x = () => torch.arange(24).float().reshape(2, 3, 4);
  it('positional dims and varargs shapes', async () => {
    expect(await x().sum(1).tolist()).toEqual([[12, 15, 18, 21], [48, 51, 54, 57]]);
    expect(await x().mean(1).tolist()).toEqual([[4, 5, 6, 7], [16, 17, 18, 19]]);
    expect(await x().argmax(1).tolist()).toEqual([[2, 2, 2, 2], [2, 2, 2, 2]]);
    const { values, indices } = torch.max(x(), 1);
    expect(await values.tolist()).toEqual([[8, 9, 10, 11], [20, 21, 22, 23]]);
    expect(await indices.tolist()).toEqual([[2, 2, 2, 2], [2, 2, 2, 2]]);
    expect(torch.zeros(2, 3).shape).toEqual([2, 3]);
  });
  it('positional layer and forward arguments', async () => {
    expect(new torch.TransformerEncoderLayer(8, 2, 16).linear1.weight.shape).toEqual([16, 8]);
    torch.manualSeed(0);
    const decoder = new torch.TransformerDecoder(new torch.TransformerDecoderLayer(8, 2, 16, 0.0), 1);
    const tgt = torch.randn(4, 1, 8), memory = torch.randn(3, 1, 8);
    const tgtMask = torch.generateSquareSubsequentMask(4);
    const masked = await decoder.forward(tgt, memory, tgtMask).tolist();
    expect(masked).toEqual(await decoder.forward(tgt, memory, { tgtMask }).tolist());
    expect(masked).not.toEqual(await decoder.forward(tgt, memory).tolist());
  });
  it('options objects, snake_case and overflow', async () => {
    expect(await torch.cat([torch.ones(2, 1), torch.zeros(2, 2)], { dim: 1 }).tolist()).toEqual([[1, 0, 0], [1, 0, 0]]);
    expect(await torch.tensor([-2, 0.5, 3]).clamp({ min: 0, max: 1 }).tolist()).toEqual([0, 0.5, 1]);
    const net = new nn.Linear(2, 1);
    // @ts-expect-error: strict TypeScript refuses the snake_case key too.
    expect(() => new optim.Adam(net.parameters(), { lr: 1e-3, weight_decay: 0.1 })).toThrow("unknown option 'weight_decay'; did you mean weightDecay?");
    expect(() => torch.tensor([2 ** 32 + 5], { dtype: 'int32' })).toThrow('value 4294967301 cannot be converted to type int32 without overflow');
  });
  it('item() without await throws; with await it is a number in strict TypeScript', async () => {
    const loss = torch.tensor(0.25);
    let total = 0;
    total += await loss.item();
    expect(total).toBe(0.25);
    // @ts-expect-error: strict TypeScript refuses the missing await as well.
    expect(() => (total += loss.item())).toThrow('tensor.item() returns a Promise');
  });
  it('printing and registerBuffer', async () => {
    const w = torch.tensor([1, 2], { requiresGrad: true });
    expect(inspect(w.mul(2))).toBe('tensor([2., 4.], grad_fn=<MulBackward0>)');
    class Scaled extends nn.Module {
      fc = new nn.Linear(2, 2);
      declare scale: torch.Tensor;
      constructor() {
        super();
        this.registerBuffer('scale', torch.tensor([2, 2]));
      }
      forward(input: torch.Tensor): torch.Tensor {
        return this.fc.forward(input).mul(this.scale);
      }
    }
    const m = new Scaled();
    expect(await m.scale.tolist()).toEqual([2, 2]);
    expect(Object.keys(m.stateDict())).toEqual(['scale', 'fc.weight', 'fc.bias']);
  });
});

describe('PyTorch positional arguments: view ops, F.*, pooling layers, loss constructors', () => {
  // Values from PyTorch 1.13 (fixtures-positional-idioms.py prints them).
  const { F } = torch;
  const close = (a: number, b: number): void => expect(Math.abs(a - b)).toBeLessThan(1e-6);
  const x4 = () => torch.arange(32).float().reshape(1, 2, 4, 4);
  it('pooling: F.max_pool2d(x, 3, 2, 1), F.avg_pool2d(x, 2, 1), nn.MaxPool2d(2, 1), nn.AvgPool2d(3, 1, 1, False, False)', async () => {
    expect(await F.maxPool2d(x4(), 3, 2, 1).tolist()).toEqual([[[[5, 7], [13, 15]], [[21, 23], [29, 31]]]]);
    expect(await F.avgPool2d(x4(), 2, 1).sum().item()).toBe(279);
    const mp = new nn.MaxPool2d(2, 1);
    expect([mp.stride, mp(x4()).shape, await mp(x4()).sum().item()]).toEqual([1, [1, 2, 3, 3], 324]);
    expect(await new nn.AvgPool2d(3, 1, 1, false, false)(x4()).select(2, 0).select(0, 0).select(0, 0).tolist()).toEqual([2.5, 3, 4, 4.5]);
    expect(new nn.MaxPool2d({ kernelSize: 3, stride: 2 }).toString()).toBe('MaxPool2d(kernel_size=3, stride=2, padding=0, dilation=1, ceil_mode=False)');
    expect(() => new nn.MaxPool2d(2, 2, 0, 1, true)).toThrow('MaxPool2d: returnIndices=true is not supported');
    expect(() => F.maxPool2d(x4())).toThrow('maxPool2d: kernelSize is required');
  });
  it("F.pad(x, (1, 1), 'constant', 5)", async () => {
    expect(await F.pad(torch.tensor([1, 2]), [1, 1], 'constant', 5).tolist()).toEqual([5, 1, 2, 5]);
    expect(await F.pad(torch.tensor([1, 2]), [1, 1], { value: 5 }).tolist()).toEqual([5, 1, 2, 5]);
    expect(() => F.pad(torch.tensor([1, 2]), [1, 1], 'reflect' as never)).toThrow("pad: mode 'reflect' is not supported");
  });
  it('losses: a class weight positionally, the deprecated size_average/reduce mapped as PyTorch maps them', async () => {
    const logits = torch.tensor([[1, 2, 0.5], [0.1, -1, 2]]), y = torch.tensor([1, 2], { dtype: 'int64' }), w = torch.tensor([1, 2, 0.5]);
    close(await F.crossEntropy(logits, y, w).item(), 0.4078519344329834);
    close(await new nn.CrossEntropyLoss(w)(logits, y).item(), 0.4078519344329834);
    close(await F.nllLoss(F.logSoftmax(logits, 1), y, w).item(), 0.4078519344329834);
    const a = torch.tensor([0.5, 1.5, 2]), b = torch.tensor([1, 1, 1]);
    expect(await F.mseLoss(a, b, null, null, 'sum').item()).toBe(1.5);
    expect(await F.mseLoss(a, b, false).item()).toBe(1.5);
    expect(await new nn.MSELoss(null, false)(a, b).tolist()).toEqual([0.25, 0.25, 1]);
    close(await new nn.SmoothL1Loss(null, null, 'mean', 0.5)(a, b).item(), 0.4166666567325592);
    const lp = torch.tensor([[-1.2, -0.4], [-0.7, -0.7]]), lt = torch.tensor([[-0.5, -0.9], [-1.5, -0.25]]);
    close(await new nn.KLDivLoss(null, null, 'batchmean', true)(lp, lt).item(), 0.19662144780158997);
    close(await F.binaryCrossEntropy(torch.tensor([0.2, 0.9]), torch.tensor([0, 1]), torch.tensor([2, 0.5])).item(), 0.24948367476463318);
    expect(() => F.mseLoss(a, b, 'sum' as never)).toThrow(/mseLoss: sizeAverage .*must be true or false, got 'sum'/);
    expect(() => new nn.CrossEntropyLoss({ label_smoothing: 0.1 } as never)).toThrow("unknown option 'label_smoothing'; did you mean labelSmoothing?");
  });
  it('view ops take keyword arguments as options: flatten(start_dim=1), transpose(dim0=, dim1=), ...', async () => {
    const x = torch.arange(24).float().reshape(2, 3, 4);
    expect([torch.flatten(x, { startDim: 1 }).shape, x.flatten({ startDim: 1 }).shape]).toEqual([[2, 12], [2, 12]]);
    expect(x.transpose({ dim0: 0, dim1: 2 }).shape).toEqual([4, 3, 2]);
    expect([x.unsqueeze({ dim: 0 }).shape, x.unsqueeze(0).squeeze({ dim: 0 }).shape]).toEqual([[1, 2, 3, 4], [2, 3, 4]]);
    expect(await x.narrow({ dim: 2, start: 1, length: 2 }).select(0, 0).select(0, 0).tolist()).toEqual([1, 2]);
    expect(await x.select({ dim: 1, index: 2 }).select(0, 0).tolist()).toEqual([8, 9, 10, 11]);
    expect(x.unflatten({ dim: 2, sizes: [2, 2] }).shape).toEqual([2, 3, 2, 2]);
    expect(() => x.flatten({ start_dim: 1 } as never)).toThrow("flatten: unknown option 'start_dim'; did you mean startDim?");
    expect(() => x.transpose(0)).toThrow('transpose: missing the dim1 argument');
  });
});

describe('PyTorch idioms (plain JavaScript)', () => {
  it('pytorch-idioms.plain.mjs passes', async () => {
    await runIdioms();
  });
});
