// PyTorch's autograd semantics, one behaviour per test.
import { beforeAll, describe, expect, it } from 'vitest';
import * as torch from '@torchlet/core';
import { grad, gradOf, valueAndGrad } from '../src/index.ts';
import { useWasm } from './setup.ts';

beforeAll(useWasm);

const list = (t: torch.Tensor | null): number[] => Array.from(t!.dataSync());

describe('backward', () => {
  it('computes leaf gradients and accumulates them across calls', () => {
    const x = torch.tensor([1, 2, 3], { requiresGrad: true });
    const y = torch.tensor([4, 5, 6], { requiresGrad: true });
    x.mul(y).sum().backward();
    expect(list(x.grad)).toEqual([4, 5, 6]);
    expect(list(y.grad)).toEqual([1, 2, 3]);
    x.mul(y).sum().backward();
    expect(list(x.grad)).toEqual([8, 10, 12]);
    x.grad!.dispose();
    x.grad = null;
    x.mul(2).sum().backward();
    expect(list(x.grad)).toEqual([2, 2, 2]);
  });

  it('reduces broadcast gradients back to each input shape', () => {
    const a = torch.ones([3, 1], { requiresGrad: true });
    const b = torch.tensor([1, 2, 3, 4], { requiresGrad: true });
    a.mul(b).sum().backward();
    expect(a.grad!.shape).toEqual([3, 1]);
    expect(list(a.grad)).toEqual([10, 10, 10]);
    expect(list(b.grad)).toEqual([3, 3, 3, 3]);
  });

  it('takes a gradient for non-scalar outputs and rejects a missing one', () => {
    const x = torch.tensor([1, 2], { requiresGrad: true });
    const y = x.mul(3);
    expect(() => y.backward()).toThrow(/grad can be implicitly created only for scalar outputs/);
    y.backward(torch.tensor([1, 10]));
    expect(list(x.grad)).toEqual([3, 30]);
    expect(() => x.mul(2).backward(torch.ones([3]))).toThrow(/gradient's shape \[3\] does not match the tensor's shape \[2\]/);
  });

  it('frees the graph after backward unless retainGraph', () => {
    const x = torch.tensor([1, 2], { requiresGrad: true });
    const y = x.exp().sum();
    expect(() => y.backward([1] as never)).toThrow(/backward: the gradient must be a Tensor, got an array/);
    y.backward(undefined, { retainGraph: true });
    y.backward();
    expect(() => y.backward()).toThrow(/Trying to backward through the graph a second time.*retainGraph: true/);
  });

  it('names nodes, tracks leaves, detaches and stops in noGrad', () => {
    const x = torch.tensor([1, 2], { requiresGrad: true });
    const y = x.mul(2);
    expect(x.isLeaf).toBe(true);
    expect(y.isLeaf).toBe(false);
    expect(y.gradFn?.name).toBe('MulBackward');
    expect(y.detach().requiresGrad).toBe(false);
    expect(torch.noGrad(() => x.mul(2)).requiresGrad).toBe(false);
    expect(torch.noGrad(() => torch.enableGrad(() => x.mul(2))).requiresGrad).toBe(true);
    expect(() => (y.requiresGrad = false)).toThrow(/only change requiresGrad flags of leaf tensors/);
  });

  it('keeps the gradient of a non-leaf with retainGrad', () => {
    const x = torch.tensor([1, 2], { requiresGrad: true });
    const y = x.mul(3).retainGrad();
    y.mul(y).sum().backward();
    expect(list(y.grad)).toEqual([6, 12]);
    expect(list(x.grad)).toEqual([18, 36]);
  });
});

describe('misuse gets clear errors', () => {
  it('backward of a tensor that does not require grad', () => {
    expect(() => torch.ones([1]).backward()).toThrow(/does not require grad and does not have a grad_fn/);
  });
  it('gradients of non-float tensors', () => {
    expect(() => torch.arange(3).requiresGrad_()).toThrow(/only tensors of floating point dtype can require gradients, got int32/);
    expect(() => grad((x: torch.Tensor) => x.float().sum())(torch.arange(3))).toThrow(/argument 0 has dtype int32/);
  });
  it('in-place ops on a leaf that requires grad', () => {
    const w = torch.ones([2], { requiresGrad: true });
    expect(() => w.add_(1)).toThrow(/a leaf Variable that requires grad is being used in an in-place operation/);
    torch.noGrad(() => w.add_(1));
    expect(list(w)).toEqual([2, 2]);
  });
  it('backward through a tensor modified in place after it was saved', () => {
    const x = torch.tensor([0.5, 1], { requiresGrad: true });
    const y = x.exp(); // saves its output
    const z = y.sum();
    torch.noGrad(() => y.mul_(2));
    expect(() => z.backward()).toThrow(/modified by an inplace operation.*ExpBackward.*version 1; expected version 0/);
  });
});

describe('functional', () => {
  it('grad and valueAndGrad with argnums', () => {
    const f = (a: torch.Tensor, b: torch.Tensor) => a.mul(b).sum();
    const a = torch.tensor([1, 2]), b = torch.tensor([3, 4]);
    expect(list(grad(f)(a, b) as torch.Tensor)).toEqual([3, 4]);
    const [v, gs] = valueAndGrad(f, { argnums: [0, 1] })(a, b);
    expect(list(v)).toEqual([11]);
    expect((gs as torch.Tensor[]).map(list)).toEqual([[3, 4], [1, 2]]);
    expect(a.grad).toBe(null); // functional forms touch no .grad
  });
  it('nests for second derivatives', () => {
    const f = (x: torch.Tensor) => x.mul(x).mul(x).sum(); // x^3
    const d2 = grad((x: torch.Tensor) => (grad(f)(x) as torch.Tensor).sum());
    expect(list(d2(torch.tensor([1, 2])) as torch.Tensor)).toEqual([6, 12]); // 6x
  });
  it('gradOf with createGraph', () => {
    const x = torch.tensor([2], { requiresGrad: true });
    const y = x.pow(3);
    const [dy] = gradOf(y.sum(), [x], { createGraph: true });
    expect(list(dy!)).toEqual([12]);
    const [d2] = gradOf(dy!.sum(), [x]);
    expect(list(d2!)).toEqual([12]);
  });
});

describe('memory', () => {
  it('10,000 training steps hold memory flat', () => {
    torch.manualSeed(0);
    const w1 = torch.randn([8, 16]).mul(0.3).detach().requiresGrad_();
    const w2 = torch.randn([16, 1]).mul(0.3).detach().requiresGrad_();
    const x = torch.randn([32, 8]);
    const y = x.sum({ dim: 1, keepdim: true }).tanh();
    const step = (): number => {
      const loss = torch.tidy(() => {
        const l = x.matmul(w1).tanh().matmul(w2).sub(y).pow(2).mean();
        l.backward();
        return l.detach();
      });
      torch.noGrad(() => {
        for (const w of [w1, w2]) {
          torch.tidy(() => w.sub_(w.grad!.mul(0.1)));
          w.grad!.dispose();
          w.grad = null;
        }
      });
      const v = loss.dataSync()[0]!;
      loss.dispose();
      return v;
    };
    const first = step();
    step();
    const before = torch.memory();
    const wasm = before.backends.wasm!.reservedBytes;
    let last = first;
    for (let i = 0; i < 10_000; i++) last = step();
    const after = torch.memory();
    expect(after.tensors).toBe(before.tensors);
    expect(after.bytes).toBe(before.bytes);
    expect(after.backends.wasm!.reservedBytes).toBe(wasm);
    expect(last).toBeLessThan(first / 5); // and it learned
  });
});
