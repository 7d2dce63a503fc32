// The Optimizer base: argument checks, param groups, zeroGrad, stateDict, memory. The update
// formulas themselves are checked against PyTorch by the conformance suite (family optim).
import { beforeAll, describe, expect, it } from 'vitest';
import * as torch from '@torchlet/core';
import type { Tensor } from '@torchlet/core';
import { Adagrad, Adam, AdamW, RMSprop, SGD, type Optimizer, type OptimizerOptions } from '../src/index.ts';
import { useWasm } from './setup.ts';

beforeAll(useWasm);

const param = (data: number[]): Tensor => torch.tensor(data, { requiresGrad: true });
const list = (t: Tensor): number[] => Array.from(t.dataSync());
/** Element-wise within float32 rounding. */
const expectClose = (t: Tensor, expected: number[]): void => {
  const got = list(t);
  expect(got.length).toBe(expected.length);
  got.forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 6));
};

describe('argument checks', () => {
  const p = () => param([1, 2]);
  it('rejects bad hyperparameters with PyTorch-style messages', () => {
    expect(() => new SGD([p()], { lr: -1 })).toThrow('Invalid learning rate: -1');
    expect(() => new SGD([p()], { lr: 0.1, momentum: -0.5 })).toThrow('Invalid momentum value: -0.5');
    expect(() => new SGD([p()], { lr: 0.1, weightDecay: -1 })).toThrow('Invalid weightDecay value: -1');
    expect(() => new SGD([p()], { lr: 0.1, nesterov: true })).toThrow('Nesterov momentum requires a momentum and zero dampening');
    expect(() => new SGD([p()], { lr: 0.1, momentum: 0.9, dampening: 0.1, nesterov: true })).toThrow('Nesterov');
    expect(() => new Adam([p()], { betas: [1, 0.999] })).toThrow('Invalid beta parameter at index 0: 1');
    expect(() => new Adam([p()], { betas: [0.9, -0.1] })).toThrow('Invalid beta parameter at index 1: -0.1');
    expect(() => new AdamW([p()], { eps: -1 })).toThrow('Invalid epsilon value: -1');
    expect(() => new RMSprop([p()], { alpha: -1 })).toThrow('Invalid alpha value: -1');
    expect(() => new Adagrad([p()], { lrDecay: -1 })).toThrow('Invalid lrDecay value: -1');
    expect(() => new Adagrad([p()], { lr: Number.NaN })).toThrow('Invalid learning rate');
  });

  it('needs SGD lr in the defaults or in every group', () => {
    expect(() => new SGD([{ params: [p()] }], {} as { lr: number })).toThrow("didn't specify a value of required optimization parameter lr");
    const opt = new SGD([{ params: [p()], lr: 0.5 }], {} as { lr: number });
    expect(opt.paramGroups[0]!.lr).toBe(0.5);
  });

  it('rejects bad parameters', () => {
    expect(() => new Adam([])).toThrow('optimizer got an empty parameter list');
    expect(() => new Adam(param([1]) as unknown as Tensor[])).toThrow('should be an iterable of Tensors');
    expect(() => new Adam([torch.tensor([1, 2])])).toThrow('does not require grad');
    expect(() => new Adam([torch.tensor([1, 2], { dtype: 'int32' })])).toThrow('float32');
    expect(() => new Adam([3 as unknown as Tensor])).toThrow('optimizer can only optimize Tensors');
    const leaf = param([1, 2]);
    expect(() => new Adam([leaf.mul(2)])).toThrow("can't optimize a non-leaf Tensor");
    const a = param([1]);
    expect(() => new Adam([{ params: [a] }, { params: [param([2]), a] }])).toThrow('some parameters appear in more than one parameter group');
    expect(() => new Adam([a, a])).toThrow('duplicate parameters');
    expect(() => new Adam([{ params: new Set([a]) }])).toThrow('ordered collections');
  });
});

describe('param groups', () => {
  it('give each group its own options over the defaults', () => {
    const a = param([1, 1]);
    const b = param([1, 1]);
    const opt = new SGD([{ params: [a] }, { params: b, lr: 0.5, momentum: 0.9 }], { lr: 0.1 });
    expect(opt.paramGroups.map((g) => [g.lr, g.momentum])).toEqual([[0.1, 0], [0.5, 0.9]]);
    a.grad = torch.tensor([1, 2]);
    b.grad = torch.tensor([1, 2]);
    opt.step();
    expectClose(a, [0.9, 0.8]);
    expectClose(b, [0.5, 0]);
    // Groups are mutable (schedulers write lr).
    opt.paramGroups[0]!.lr = 1;
    opt.step();
    expectClose(a, [-0.1, -1.2]);
  });

  it('addParamGroup adds parameters later', () => {
    const a = param([1]);
    const opt = new Adam([a], { lr: 0.1 });
    const b = param([2]);
    opt.addParamGroup({ params: [b], lr: 0.01 });
    expect(opt.paramGroups[1]!.lr).toBe(0.01);
    expect(opt.paramGroups[1]!.betas).toEqual([0.9, 0.999]);
    expect(() => opt.addParamGroup({ params: [a] })).toThrow('more than one parameter group');
  });

  it('step skips parameters without gradients and checks gradient shapes', () => {
    const a = param([1, 2]);
    const b = param([3, 4]);
    const opt = new Adam([a, b], { lr: 0.1 });
    a.grad = torch.tensor([1, 1]);
    opt.step();
    expect(list(b)).toEqual([3, 4]);
    expect(opt.state.has(b)).toBe(false);
    expect(opt.state.get(a)!.step).toBe(1);
    b.grad = torch.tensor([1, 1, 1]);
    expect(() => opt.step()).toThrow('does not match');
  });

  it('step(closure) evaluates the closure with gradients on and returns its value', () => {
    const a = param([3]);
    const opt = new SGD([a], { lr: 0.1 });
    const loss = torch.noGrad(() =>
      opt.step(() => {
        opt.zeroGrad();
        const l = a.mul(a).sum();
        l.backward();
        return l;
      }),
    );
    expect(list(loss!)).toEqual([9]);
    expectClose(a, [2.4]);
  });
});

describe('zeroGrad', () => {
  it('disposes gradients and sets them to null by default', () => {
    const a = param([1, 2]);
    const opt = new SGD([a], { lr: 0.1 });
    const g = torch.tensor([1, 1]);
    a.grad = g;
    opt.zeroGrad();
    expect(a.grad).toBeNull();
    expect(g.isDisposed).toBe(true);
  });

  it('zeroes in place with setToNone = false', () => {
    const a = param([1, 2]);
    const opt = new SGD([a], { lr: 0.1 });
    const g = torch.tensor([1, 1]);
    a.grad = g;
    opt.zeroGrad(false);
    expect(a.grad).toBe(g);
    expect(list(g)).toEqual([0, 0]);
  });
});

/** Five steps of fixed pseudo-random gradients. */
function gradsFor(step: number, shape: number[]): Tensor {
  const n = shape.reduce((x, y) => x * y, 1);
  return torch.fromArray(Array.from({ length: n }, (_, i) => Math.sin(step * 7.1 + i * 1.3)), shape);
}

const MAKERS: Record<string, (ps: Tensor[]) => Optimizer<OptimizerOptions>> = {
  SGD: (ps) => new SGD(ps, { lr: 0.05, momentum: 0.9, nesterov: true }),
  Adam: (ps) => new Adam(ps, { lr: 0.01, amsgrad: true }),
  AdamW: (ps) => new AdamW(ps, { lr: 0.01 }),
  RMSprop: (ps) => new RMSprop(ps, { lr: 0.01, momentum: 0.5, centered: true }),
  Adagrad: (ps) => new Adagrad(ps, { lr: 0.1, lrDecay: 0.01 }),
};

describe('stateDict', () => {
  for (const [name, make] of Object.entries(MAKERS)) {
    it(`${name}: training resumed from a loaded state dict matches uninterrupted training exactly`, () => {
      const shapes = [[3, 2], [2]];
      const init = shapes.map((s, i) => gradsFor(100 + i, s));
      const run = (ps: Tensor[], opt: Optimizer<OptimizerOptions>, from: number, to: number) => {
        for (let k = from; k < to; k++) {
          ps.forEach((p, i) => {
            p.grad?.dispose();
            p.grad = gradsFor(k, shapes[i]!);
          });
          opt.step();
        }
      };
      const fresh = () => init.map((t) => t.clone().requiresGrad_());
      const a = fresh();
      const optA = make(a);
      run(a, optA, 0, 10);

      const b = fresh();
      const optB = make(b);
      run(b, optB, 0, 5);
      const sd = optB.stateDict();
      expect(sd.param_groups[0]!.params).toEqual([0, 1]);
      expect(Object.keys(sd.state)).toEqual(['0', '1']);
      const c = b.map((p) => p.detach().clone().requiresGrad_());
      const optC = make(c);
      optC.paramGroups[0]!.lr = 123; // overwritten by the load
      optC.loadStateDict(sd);
      expect(optC.paramGroups[0]!.lr).toBe(optB.paramGroups[0]!.lr);
      optB.dispose(); // the loaded state is a copy: freeing the source does not matter
      run(c, optC, 5, 10);
      a.forEach((p, i) => expect(list(c[i]!)).toEqual(list(p)));
      optA.dispose();
      optC.dispose();
    });
  }

  it('uses PyTorch keys and numbering', () => {
    const a = param([1, 2]);
    const b = param([3]);
    const opt = new AdamW([{ params: [a] }, { params: [b], weightDecay: 0.1 }], { lr: 0.01, amsgrad: true });
    b.grad = torch.tensor([1]);
    opt.step();
    const sd = opt.stateDict();
    expect(Object.keys(sd.state)).toEqual(['1']);
    expect(Object.keys(sd.state[1]!).sort()).toEqual(['exp_avg', 'exp_avg_sq', 'max_exp_avg_sq', 'step']);
    expect(sd.state[1]!.step).toBe(1);
    expect(sd.param_groups).toEqual([
      { lr: 0.01, betas: [0.9, 0.999], eps: 1e-8, weight_decay: 0.01, amsgrad: true, maximize: false, params: [0] },
      { lr: 0.01, betas: [0.9, 0.999], eps: 1e-8, weight_decay: 0.1, amsgrad: true, maximize: false, params: [1] },
    ]);
    opt.dispose();
  });

  it('refuses a state dict of another shape', () => {
    const opt = new SGD([param([1, 2])], { lr: 0.1 });
    expect(() => opt.loadStateDict({ state: {}, param_groups: [] })).toThrow('parameter groups');
    expect(() => opt.loadStateDict({ state: {}, param_groups: [{ lr: 0.1, params: [0, 1] }] })).toThrow("doesn't match the size");
    expect(() => opt.loadStateDict({ state: { 0: { momentum_buffer: torch.zeros([3]) } }, param_groups: [{ lr: 0.1, params: [0] }] })).toThrow('shape');
  });
});

describe('memory', () => {
  it('keeps state tensors alive past a user tidy() and frees them in dispose()', () => {
    const a = param([1, 2]);
    const opt = new Adam([a]);
    torch.tidy(() => {
      a.grad = torch.tensor([1, 1]);
      opt.step();
    });
    const s = opt.state.get(a)!;
    expect((s.exp_avg as Tensor).isDisposed).toBe(false);
    opt.dispose();
    expect((s.exp_avg as Tensor).isDisposed).toBe(true);
    expect(opt.state.size).toBe(0);
  });

  for (const name of Object.keys(MAKERS)) {
    it(`${name}: 2,000 training steps hold memory flat`, () => {
      const w = torch.randn([8, 4], { requiresGrad: true });
      const b = torch.zeros([4], { requiresGrad: true });
      const x = torch.randn([16, 8]);
      const y = torch.randn([16, 4]);
      const opt = MAKERS[name]!([w, b]);
      const trainStep = () =>
        torch.tidy(() => {
          opt.zeroGrad();
          const loss = x.matmul(w).add(b).sub(y).square().mean();
          loss.backward();
          opt.step();
        });
      for (let i = 0; i < 10; i++) trainStep();
      const before = torch.memory();
      for (let i = 0; i < 2000; i++) trainStep();
      const after = torch.memory();
      expect(after.tensors).toBe(before.tensors);
      expect(after.buffers).toBe(before.buffers);
      expect(after.bytes).toBe(before.bytes);
      opt.dispose();
      for (const t of [w, b, x, y]) t.dispose();
    });
  }
});
