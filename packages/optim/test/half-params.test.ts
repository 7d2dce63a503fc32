/**
 * Optimizers update float32 parameters only (the PyTorch translation guide's dtype section says
 * so): a float16 or bfloat16 parameter is refused with an
 * error naming its shape and dtype and the fix, at construction and — since `model.half()`
 * converts parameters in place (nn's cast.ts: `setData_`, done here directly: optim does not
 * depend on nn) — at `step()` too, where it used to update half-precision weights without a
 * word (issue 13).
 */
import * as torch from '@torchlet/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { Adam, AdamW, Adagrad, RMSprop, SGD, type Optimizer } from '../src/index.ts';
import { useWasm } from './setup.ts';

beforeAll(useWasm);

const OPTIMIZERS: Record<string, (params: torch.Tensor[]) => Optimizer> = {
  SGD: (p) => new SGD(p, { lr: 0.1, momentum: 0.9 }),
  Adam: (p) => new Adam(p, { lr: 0.1 }),
  AdamW: (p) => new AdamW(p, { lr: 0.1 }),
  RMSprop: (p) => new RMSprop(p, { lr: 0.1 }),
  Adagrad: (p) => new Adagrad(p, { lr: 0.1 }),
};

describe('half-precision parameters', () => {
  for (const [name, make] of Object.entries(OPTIMIZERS)) {
    for (const dtype of ['float16', 'bfloat16'] as const) {
      it(`${name} refuses a ${dtype} parameter when constructed`, () => {
        const p = torch.zeros([2, 3], { dtype, requiresGrad: true });
        expect(() => make([p])).toThrow(new RegExp(`shape \\[2, 3\\] is ${dtype}: optimizers update float32 parameters only; train in float32 \\(model\\.float\\(\\)\\)`));
      });
    }

    it(`${name}.step() refuses parameters that model.half() converted after construction, and changes nothing`, async () => {
      const w = torch.randn([2, 4], { requiresGrad: true });
      const optimizer = make([w]);
      // model.half(): the same parameter object, its data now float16.
      torch.noGrad(() => w.setData_(w.half()));
      w.float().sum().backward();
      const before = await w.float().tolist();
      expect(() => optimizer.step()).toThrow(new RegExp(`^${name} can only optimize float32 tensors`));
      expect(() => optimizer.step()).toThrow(/shape \[2, 4\] is float16: optimizers update float32 parameters only/);
      expect(await w.float().tolist()).toEqual(before);
      // Back in float32 (model.float()) it trains.
      torch.noGrad(() => w.setData_(w.float()));
      optimizer.zeroGrad();
      w.mul(2).sum().backward();
      optimizer.step();
      expect(await w.tolist()).not.toEqual(before);
    });
  }
});
