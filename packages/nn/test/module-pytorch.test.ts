/**
 * Modules as PyTorch users write them: registerBuffer makes a readable and writable field, state
 * dicts list parameters, then buffers, then children (PyTorch 1.13's order for the module below:
 * ['w', 'scale', 'fc.weight', 'fc.bias']), hooks, getSubmodule, requiresGrad_.
 */
import '@torchlet/autograd';
import { beforeAll, describe, expect, it } from 'vitest';
import * as torch from '@torchlet/core';
import { createReferenceBackend } from '../../core/test/reference-backend.ts';
import { Linear, Module, Parameter, ReLU, Sequential } from '../src/index.ts';

beforeAll(async () => {
  torch.registerBackend('reference', () => createReferenceBackend());
  await torch.setBackend('reference');
});

class Scaled extends Module {
  fc: Linear;
  declare scale: torch.Tensor;
  w: Parameter;
  constructor() {
    super();
    this.fc = new Linear(2, 2);
    this.registerBuffer('scale', torch.tensor([2, 2]));
    this.w = new Parameter(torch.ones(2));
  }
  forward(x: torch.Tensor): torch.Tensor {
    return this.fc.forward(x).mul(this.scale).add(this.w);
  }
}

describe('modules as in PyTorch', () => {
  it('registerBuffer makes this.scale readable and writable', async () => {
    const m = new Scaled();
    expect(await m.scale.tolist()).toEqual([2, 2]);
    m.scale = torch.tensor([3, 3]);
    expect(await m.stateDict().scale!.tolist()).toEqual([3, 3]);
    expect(() => {
      (m as unknown as { scale: number }).scale = 5;
    }).toThrow("cannot assign number as buffer 'scale'");
    expect(() => m.registerBuffer('bad', 5 as never)).toThrow("registerBuffer('bad'): expected a Tensor or null, got number");
  });
  it('state-dict keys: parameters, buffers, then children (PyTorch order)', () => {
    expect(Object.keys(new Scaled().stateDict())).toEqual(['w', 'scale', 'fc.weight', 'fc.bias']);
    expect(new Scaled().namedParameters().map(([n]) => n)).toEqual(['w', 'fc.weight', 'fc.bias']);
  });
  it('forward hooks and pre-hooks can read and replace arguments and outputs', async () => {
    const net = new Sequential(new Linear(2, 2), new ReLU());
    const seen: string[] = [];
    const h1 = net.registerForwardPreHook((_m, args) => {
      seen.push('pre');
      return [(args[0] as torch.Tensor).mul(0)];
    });
    const h2 = net.registerForwardHook((_m, _args, out) => {
      seen.push('post');
      return (out as torch.Tensor).add(1);
    });
    const y = net.forward(torch.ones(1, 2));
    expect(seen).toEqual(['pre', 'post']);
    const b = (await net.getSubmodule('0').stateDict().bias!.tolist()) as number[];
    expect(await y.tolist()).toEqual([b.map((v) => Math.max(v, 0) + 1)]);
    h1.remove();
    h2.remove();
    net.forward(torch.ones(1, 2));
    expect(seen).toEqual(['pre', 'post']);
  });
  it('getSubmodule, namedModules, apply, requiresGrad_', () => {
    const net = new Sequential(new Linear(2, 3), new Sequential(new ReLU(), new Linear(3, 1)));
    expect(net.getSubmodule('1.1')).toBeInstanceOf(Linear);
    expect(() => net.getSubmodule('1.fc')).toThrow('Sequential.1 has no attribute `fc` (children: 0, 1)');
    expect([...net.namedModules()].map(([n]) => n)).toEqual(['', '0', '1', '1.0', '1.1']);
    const order: string[] = [];
    net.apply((m) => void order.push(m.constructor.name));
    expect(order).toEqual(['Linear', 'ReLU', 'Linear', 'Sequential', 'Sequential']);
    net.requiresGrad_(false);
    expect(net.parameters().every((p) => !p.requiresGrad)).toBe(true);
    net.requiresGrad_();
    expect(net.parameters().every((p) => p.requiresGrad)).toBe(true);
  });
});
