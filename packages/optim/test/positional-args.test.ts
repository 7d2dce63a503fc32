/** Optimizers take PyTorch's positional order as well as options, and refuse unknown or mistyped options. */
import '@torchlet/backend-wasm';
import '@torchlet/autograd';
import * as torch from '@torchlet/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { Adagrad, Adam, AdamW, RMSprop, SGD } from '../src/index.ts';

beforeAll(async () => {
  await torch.setBackend('wasm');
});

const param = () => torch.tensor([1, 2]).requiresGrad_();

describe('optimizer arguments', () => {
  it('positional order as in PyTorch', () => {
    const s = new SGD([param()], 0.1, 0.9);
    expect(s.defaults.lr).toBe(0.1);
    expect(s.defaults.momentum).toBe(0.9);
    const a = new Adam([param()], 1e-2, [0.8, 0.9], 1e-6, 0.1, true);
    expect(a.defaults).toMatchObject({ lr: 1e-2, betas: [0.8, 0.9], eps: 1e-6, weightDecay: 0.1, amsgrad: true, maximize: false });
    expect(new Adam([param()], 1e-2, { weightDecay: 0.5 }).defaults.weightDecay).toBe(0.5);
    expect(new AdamW([param()]).defaults.weightDecay).toBe(0.01);
    expect(new AdamW([param()], 1e-3, { weightDecay: 0.1 }).defaults.weightDecay).toBe(0.1);
    expect(new RMSprop([param()], 0.1, 0.9).defaults.alpha).toBe(0.9);
    expect(new Adagrad([param()], 0.1, 0.01).defaults.lrDecay).toBe(0.01);
  });
  it('snake_case and unknown options throw naming the closest key', () => {
    expect(() => new Adam([param()], { lr: 1e-3, weight_decay: 0.1 } as never)).toThrow(
      "Adam: unknown option 'weight_decay'; did you mean weightDecay? (known options: lr, betas, eps, weightDecay, amsgrad, maximize)",
    );
    expect(() => new AdamW([param()], { weight_decay: 0.1 } as never)).toThrow("AdamW: unknown option 'weight_decay'; did you mean weightDecay?");
    expect(() => new SGD([param()], { lr: 0.1, nesterov_momentum: true } as never)).toThrow('did you mean nesterov?');
    expect(() => new SGD([{ params: [param()], weight_decay: 0.1 } as never], { lr: 0.1 })).toThrow(
      "SGD param group: unknown option 'weight_decay'; did you mean weightDecay?",
    );
  });
  it('mistyped values throw', () => {
    expect(() => new SGD([param()], { lr: '0.1' } as never)).toThrow("SGD: lr must be a number, got string (0.1)");
    expect(() => new Adam([param()], { amsgrad: 1 } as never)).toThrow('Adam: amsgrad must be a boolean, got number (1)');
    expect(() => new Adam([param()], 1e-3, 0.9 as never)).toThrow('Adam: betas must be an array');
  });
});
