/**
 * Creation arguments that cannot be honoured throw instead of aborting the process (issue 13:
 * `linspace(0, 1, 2**31)` filled 16 GB of host memory and was killed; a self-referencing array
 * passed to `tensor()` nested forever).
 */
import { describe, expect, it } from 'vitest';
import * as torch from '@torchlet/core';
import { createWasmBackend } from '../src/index.ts';

describe('huge or malformed creation arguments', () => {
  it('linspace with more steps than the backend can hold throws the allocation error at once', async () => {
    const backend = await createWasmBackend({ variant: 'simd' });
    const t0 = performance.now();
    expect(() => torch.linspace(0, 1, 2 ** 31, { backend })).toThrow(/cannot allocate a float32 tensor of shape \[2147483648\]: wasm backend: out of memory/);
    expect(performance.now() - t0).toBeLessThan(2000);
    expect(Array.from(torch.linspace(0, 1, 5, { backend }).dataSync())).toEqual([0, 0.25, 0.5, 0.75, 1]);
    backend.destroy();
  });

  it('a self-referencing array passed to tensor() throws', async () => {
    const backend = await createWasmBackend({ variant: 'simd' });
    const a: unknown[] = [1];
    a[0] = a;
    expect(() => torch.tensor(a, { backend })).toThrow(/tensor: nested arrays deeper than 64 levels \(is an array inside itself\?\)/);
    const b: unknown[] = [[1, 2], [3, 4]];
    (b[1] as unknown[])[0] = b;
    expect(() => torch.tensor(b, { backend })).toThrow(/tensor: expected a number or boolean at \[1\]\[0\]/);
    backend.destroy();
  });
});
