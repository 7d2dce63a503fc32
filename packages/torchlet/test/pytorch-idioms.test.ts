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

describe('PyTorch idioms (plain JavaScript)', () => {
  it('pytorch-idioms.plain.mjs passes', async () => {
    await runIdioms();
  });
});
