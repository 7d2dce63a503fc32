// Printing and reading values as PyTorch users expect. Expected strings are PyTorch 1.13's repr().
import { inspect } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import * as torch from '../src/index.ts';
import { createReferenceBackend } from './reference-backend.ts';

beforeAll(async () => {
  torch.registerBackend('reference', () => createReferenceBackend());
  await torch.setBackend('reference');
});

describe('printing', () => {
  it('console.log / util.inspect print tensor(...) with requires_grad', () => {
    const x = torch.tensor([1, 2], { requiresGrad: true });
    expect(inspect(x)).toBe('tensor([1., 2.], requires_grad=True)');
    expect(String(x)).toBe('tensor([1., 2.], requires_grad=True)');
    expect(inspect(torch.tensor([[1, 2], [3, 4]], { requiresGrad: true }))).toBe('tensor([[1., 2.],\n        [3., 4.]], requires_grad=True)');
    expect(inspect(torch.zeros([0, 3], { requiresGrad: true }))).toBe('tensor([], size=(0, 3), requires_grad=True)');
    expect(inspect({ w: torch.tensor([0.5]) })).toBe('{ w: tensor([0.5000]) }');
    const deno = (x as unknown as Record<symbol, () => string>)[Symbol.for('Deno.customInspect')]!;
    expect(deno.call(x)).toBe('tensor([1., 2.], requires_grad=True)');
  });
  it('summarises large tensors as PyTorch does', () => {
    expect(inspect(torch.arange(2000))).toBe('tensor([   0,    1,    2,  ..., 1997, 1998, 1999])');
    expect(inspect(torch.arange(2000).float().reshape(40, 50))).toBe(
      [
        'tensor([[0.0000e+00, 1.0000e+00, 2.0000e+00,  ..., 4.7000e+01, 4.8000e+01,',
        '         4.9000e+01],',
        '        [5.0000e+01, 5.1000e+01, 5.2000e+01,  ..., 9.7000e+01, 9.8000e+01,',
        '         9.9000e+01],',
        '        [1.0000e+02, 1.0100e+02, 1.0200e+02,  ..., 1.4700e+02, 1.4800e+02,',
        '         1.4900e+02],',
        '        ...,',
        '        [1.8500e+03, 1.8510e+03, 1.8520e+03,  ..., 1.8970e+03, 1.8980e+03,',
        '         1.8990e+03],',
        '        [1.9000e+03, 1.9010e+03, 1.9020e+03,  ..., 1.9470e+03, 1.9480e+03,',
        '         1.9490e+03],',
        '        [1.9500e+03, 1.9510e+03, 1.9520e+03,  ..., 1.9970e+03, 1.9980e+03,',
        '         1.9990e+03]])',
      ].join('\n'),
    );
  });
});

describe('reads used without await throw', () => {
  it('item(), tolist(), data() in arithmetic or a string', async () => {
    const loss = torch.tensor(0.5);
    let total = 0;
    total += await loss.item();
    expect(total).toBe(0.5);
    expect(() => {
      // PyTorch's `running_loss += loss.item()` ported without await.
      let running = 0;
      running += loss.item() as unknown as number;
      return running;
    }).toThrow('tensor.item() returns a Promise (reading a tensor is asynchronous): write `await x.item()`');
    expect(() => `${loss.item()}`).toThrow(TypeError);
    expect(() => String(loss.tolist())).toThrow('tensor.tolist() returns a Promise');
    expect(() => (loss.data() as unknown as number) * 2).toThrow('tensor.data() returns a Promise');
    expect(await Promise.all([loss.item(), loss.tolist()])).toEqual([0.5, 0.5]);
    expect(await loss.item().then((v) => v * 2)).toBe(1);
    expect(await torch.tensor(true).item()).toBe(1);
    expect(await torch.tensor([true]).tolist()).toEqual([true]);
    expect(() => torch.tensor([1, 2]).item()).toThrow('a Tensor with 2 elements cannot be converted to a scalar');
  });
});
