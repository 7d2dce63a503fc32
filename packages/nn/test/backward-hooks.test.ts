/**
 * registerFullBackwardHook against PyTorch 1.13 (fixtures/make_backward_hook_fixtures.py wrote
 * backward_hooks.json): grad_input and grad_output, a replacement grad_input, a module whose
 * input needs no gradient, several arguments and outputs, the order in a Sequential, and
 * PyTorch's error for a wrong number of gradients.
 */
import '@torchlet/autograd';
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import * as torch from '@torchlet/core';
import { createReferenceBackend } from '../../core/test/reference-backend.ts';
import { Linear, Module, Sequential, Tanh } from '../src/index.ts';

type Tensor = torch.Tensor;
const REF = JSON.parse(readFileSync(new URL('./fixtures/backward_hooks.json', import.meta.url), 'utf8')).cases;
const TOL = 1e-5;

beforeAll(async () => {
  torch.registerBackend('reference', () => createReferenceBackend());
  await torch.setBackend('reference');
});

function linear(): Linear {
  const fc = new Linear(3, 2);
  torch.noGrad(() => {
    fc.weight.copy_(torch.tensor([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]]));
    fc.bias!.copy_(torch.tensor([0.1, -0.2]));
  });
  return fc;
}

/** Copies of a hook's gradients that outlive the call (null stays null). */
function snapshot(gs: Array<Tensor | null>): Array<Tensor | null> {
  return gs.map((g) => (g ? torch.keep(g.clone()) : null));
}

async function lists(gs: Array<Tensor | null>): Promise<unknown[]> {
  return Promise.all(gs.map((g) => (g ? g.tolist() : null)));
}

function close(actual: unknown, expected: unknown): void {
  if (expected === null) return void expect(actual).toBeNull();
  if (typeof expected === 'number') return void expect(Math.abs((actual as number) - expected)).toBeLessThanOrEqual(TOL * (1 + Math.abs(expected)));
  expect(Array.isArray(actual)).toBe(true);
  expect((actual as unknown[]).length).toBe((expected as unknown[]).length);
  (expected as unknown[]).forEach((e, i) => close((actual as unknown[])[i], e));
}

describe('registerFullBackwardHook (PyTorch values)', () => {
  const loss = (y: Tensor): Tensor => y.mul(torch.tensor(REF.linear.wOut)).sum();

  it('Linear: grad_input is dL/dx, grad_output dL/dy, once per backward', async () => {
    const fc = linear();
    const seen: Array<[Array<Tensor | null>, Array<Tensor | null>]> = [];
    fc.registerFullBackwardHook((m, gi, go) => {
      expect(m).toBe(fc);
      seen.push([snapshot(gi), snapshot(go)]);
    });
    const x = torch.tensor(REF.linear.x, { requiresGrad: true });
    loss(fc(x)).backward();
    expect(seen.length).toBe(REF.linear.calls);
    close(await lists(seen[0]![0]), REF.linear.gradInput);
    close(await lists(seen[0]![1]), REF.linear.gradOutput);
    close(await x.grad!.tolist(), REF.linear.xGrad);
    close(await fc.weight.grad!.tolist(), REF.linear.weightGrad);
  });

  it('a returned grad_input replaces what reaches the input (the weight is unaffected)', async () => {
    const fc = linear();
    fc.registerFullBackwardHook((_m, gi) => gi.map((g) => (g ? g.mul(2) : null)));
    const x = torch.tensor(REF.linear.x, { requiresGrad: true });
    loss(fc(x)).backward();
    close(await x.grad!.tolist(), REF.replace.xGrad);
    close(await fc.weight.grad!.tolist(), REF.replace.weightGrad);
  });

  it('an input without a gradient: the hook runs with grad_input [null]', async () => {
    const fc = linear();
    const seen: Array<[Array<Tensor | null>, Array<Tensor | null>]> = [];
    fc.registerFullBackwardHook((_m, gi, go) => void seen.push([snapshot(gi), snapshot(go)]));
    loss(fc(torch.tensor(REF.linear.x))).backward();
    expect(seen.length).toBe(REF.noInputGrad.calls);
    close(await lists(seen[0]![0]), REF.noInputGrad.gradInput);
    close(await lists(seen[0]![1]), REF.noInputGrad.gradOutput);
  });

  it('several arguments (a number among them) and two outputs', async () => {
    class Two extends Module {
      forward(a: Tensor, k: number, b: Tensor, c: Tensor): [Tensor, Tensor] {
        return [a.mul(b).add(c.mul(k)), a.sub(c).exp()];
      }
    }
    const m = new Two();
    const seen: Array<[Array<Tensor | null>, Array<Tensor | null>]> = [];
    m.registerFullBackwardHook((_m, gi, go) => void seen.push([snapshot(gi), snapshot(go)]));
    const t = REF.two;
    const a = torch.tensor(t.a, { requiresGrad: true }), b = torch.tensor(t.b), c = torch.tensor(t.c, { requiresGrad: true });
    const [y1, y2] = m(a, t.k, b, c);
    y1.mul(2).add(y2.mul(torch.tensor(REF.linear.wOut))).sum().backward();
    expect(seen.length).toBe(t.calls);
    close(await lists(seen[0]![0]), t.gradInput);
    close(await lists(seen[0]![1]), t.gradOutput);
    close(await a.grad!.tolist(), t.aGrad);
    close(await c.grad!.tolist(), t.cGrad);
  });

  it('hooks in a Sequential fire from the last module back, with the chained gradients', async () => {
    const seq = new Sequential(linear(), new Tanh());
    const order: Array<[string, Array<Tensor | null>, Array<Tensor | null>]> = [];
    seq.at(0).registerFullBackwardHook((_m, gi, go) => void order.push(['linear', snapshot(gi), snapshot(go)]));
    seq.at(1).registerFullBackwardHook((_m, gi, go) => void order.push(['tanh', snapshot(gi), snapshot(go)]));
    seq(torch.tensor(REF.linear.x, { requiresGrad: true })).sum().backward();
    const s = REF.sequential;
    expect(order.map(([n]) => n)).toEqual(s.order);
    close(await lists(order[0]![1]), s.tanhGradInput);
    close(await lists(order[0]![2]), s.tanhGradOutput);
    close(await lists(order[1]![1]), s.linearGradInput);
    close(await lists(order[1]![2]), s.linearGradOutput);
  });

  it("a wrong number of gradients throws PyTorch's error; a wrong shape names the argument", () => {
    const fc = linear();
    const h = fc.registerFullBackwardHook((_m, gi) => [gi[0]!, gi[0]!]);
    const x = torch.tensor(REF.linear.x, { requiresGrad: true });
    expect(() => fc(x).sum().backward()).toThrow(REF.wrongCount);
    h.remove();
    fc.registerFullBackwardHook(() => [torch.zeros(3)]);
    expect(() => fc(x).sum().backward()).toThrow(/grad_input\[0\] of shape \[3\]; the argument's shape is \[2, 3\]/);
  });

  it('removed hooks stop firing; noGrad forwards set nothing up; forward() and calls both hook', async () => {
    const fc = linear();
    let calls = 0;
    const h = fc.registerFullBackwardHook(() => void calls++);
    const x = torch.tensor(REF.linear.x, { requiresGrad: true });
    fc.forward(x).sum().backward();
    fc(x).sum().backward();
    expect(calls).toBe(2);
    const y = torch.noGrad(() => fc(x));
    expect(y.requiresGrad).toBe(false);
    h.remove();
    fc(x).sum().backward();
    expect(calls).toBe(2);
    expect(() => fc.registerFullBackwardHook('not a function' as never)).toThrow(/a hook must be a function/);
  });
});
