/**
 * Two wasm backend instances (the backends guide's `registerBackend('wasm-mt', ...)` pattern) have
 * separate memories. An op mixing their tensors must throw (issue 13: `embedding` read the index
 * from the other instance's memory and returned wrong rows with no error).
 */
import { describe, expect, it } from 'vitest';
import * as torch from '@torchlet/core';
import { createWasmBackend } from '../src/index.ts';

describe('tensors of two wasm instances', () => {
  it('embedding, gather, indexSelect, matmul and add refuse to mix them', async () => {
    const one = await createWasmBackend({ variant: 'simd' });
    const two = await createWasmBackend({ variant: 'simd' });
    const weight = torch.tensor([[1, 2], [3, 4], [5, 6]], { backend: one });
    const index = torch.tensor([2, 0], { dtype: 'int32', backend: two });
    const same = /two different 'wasm' backend instances/;
    expect(() => torch.embedding(index, weight)).toThrow(same);
    expect(() => weight.indexSelect(0, index)).toThrow(same);
    expect(() => weight.gather(0, index.reshape([2, 1]))).toThrow(same);
    expect(() => weight.matmul(torch.ones([2, 1], { backend: two }))).toThrow(same);
    expect(() => weight.add(torch.ones([3, 2], { backend: two }))).toThrow(same);
    // On one instance the same call gives PyTorch's rows.
    const local = torch.tensor([2, 0], { dtype: 'int32', backend: one });
    expect(await torch.embedding(local, weight).tolist()).toEqual([[5, 6], [1, 2]]);
    one.destroy();
    two.destroy();
  });
});
