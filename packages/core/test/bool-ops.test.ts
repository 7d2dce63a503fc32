/**
 * Arithmetic on two bool tensors keeps PyTorch's dtype and values (issue 13: `bool + bool` gave
 * int32). Expected values printed by PyTorch 1.13.1 for a = [T, F, T, F], b = [T, T, F, F].
 */
import { beforeAll, describe, expect, it } from 'vitest';
import * as torch from '../src/index.ts';
import { createReferenceBackend } from './reference-backend.ts';

beforeAll(async () => {
  torch.registerBackend('reference', () => createReferenceBackend());
  await torch.setBackend('reference');
});

describe('bool by bool arithmetic', () => {
  const a = () => torch.tensor([true, false, true, false]);
  const b = () => torch.tensor([true, true, false, false]);
  const cases: Array<[string, () => torch.Tensor, string, unknown[]]> = [
    ['a + b is logical or', () => a().add(b()), 'bool', [true, true, true, false]],
    ['a + True is logical or', () => a().add(true), 'bool', [true, true, true, true]],
    ['a * b is logical and', () => a().mul(b()), 'bool', [true, false, false, false]],
    ['maximum(a, b) is logical or', () => torch.maximum(a(), b()), 'bool', [true, true, true, false]],
    ['minimum(a, b) is logical and', () => torch.minimum(a(), b()), 'bool', [true, false, false, false]],
    ['a / b is float division', () => a().div(b()), 'float32', [1, 0, Infinity, NaN]],
    ['a + 1 is integer addition', () => a().add(1), 'int32', [2, 1, 2, 1]],
  ];
  for (const [name, run, dtype, values] of cases) {
    it(name, async () => {
      const r = run();
      expect(r.dtype).toBe(dtype);
      expect(Array.from(await r.data(), (v) => (dtype === 'bool' ? v === 1 : v))).toEqual(values);
    });
  }
  it('a - b throws as in PyTorch', () => {
    expect(() => a().sub(b())).toThrow(/subtraction.*bool.*logicalXor/);
  });
});
