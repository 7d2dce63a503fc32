/**
 * A WebGPU allocation that fails (issue 13): the device reports out-of-memory late, through an
 * error scope, and the backend used to hand the invalid buffer on (later reads gave confusing
 * validation errors) with a message naming only the bytes. Now the next call throws an error
 * naming the bytes, what the pool holds and torch.memory(), every use of the failed buffer
 * throws it too, and the backend keeps working. Size classes stay within the device's limit.
 */
import * as torch from '@torchlet/core';
import { removeBackendInstance } from '@torchlet/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import '../src/index.ts'; // registers 'webgpu'
import type { WebGpuBackend } from '../src/index.ts';
import { BufferPool } from '../src/pool.ts';

let backend: WebGpuBackend;
beforeAll(async () => {
  backend = (await torch.setBackend('webgpu')) as WebGpuBackend;
});
afterAll(() => removeBackendInstance('webgpu'));

describe('size classes', () => {
  it('never pass the device limit, which need not be a power of two', () => {
    const limit = 2_147_483_644; // maxStorageBufferBindingSize of some real devices (2^31 - 4)
    // A fake device that records the sizes it is asked for.
    const sizes: number[] = [];
    const device = {
      pushErrorScope() {},
      popErrorScope: async () => null,
      createBuffer: ({ size }: { size: number }) => (sizes.push(size), { destroy() {} }),
    } as unknown as GPUDevice;
    const pool = new BufferPool(device, 0, undefined, limit);
    pool.alloc(2_000_000_000, () => new Error('unused'));
    pool.alloc(limit, () => new Error('unused'));
    expect(sizes).toEqual([limit, limit]); // 2,000,000,000 rounded up to 2^31 before
    expect(BufferPool.sizeClass(1000, limit)).toBe(1024);
    expect(BufferPool.sizeClass(3, limit)).toBe(256);
  });
});

describe('an allocation the device reports as out of memory', () => {
  it('throws a clear error on the next call and on every use of that tensor, and the backend keeps working', async () => {
    // Make the device report out-of-memory for the next buffer it creates (SwiftShader has the
    // host's memory: really exhausting it here would take the machine down with it).
    const device = backend.device;
    const pop = device.popErrorScope.bind(device);
    let failNext = true;
    device.popErrorScope = async () => {
      const real = await pop();
      if (!failNext) return real;
      failNext = false;
      return { message: 'Out of memory (simulated)' } as GPUError;
    };
    try {
      const big = torch.empty([1000, 1001]); // a size class no earlier test left in the pool
      await new Promise((resolve) => setTimeout(resolve, 10)); // the device's report arrives
      const message = /out of memory: the GPU could not allocate a buffer of 4004000 bytes \(1001000 float32 elements; .*device says: Out of memory \(simulated\)\)\. torch\.memory\(\) shows which tensors are live/;
      // The next call, whatever it is, reports it, once.
      expect(() => torch.ones([2])).toThrow(message);
      // Every use of the tensor that has no memory reports it.
      await expect(big.data()).rejects.toThrow(message);
      expect(() => big.add(1)).toThrow(message);
      big.dispose();
      // Everything else works.
      expect(Array.from(await torch.ones([3]).mul(2).data())).toEqual([2, 2, 2]);
    } finally {
      device.popErrorScope = pop;
    }
  });
});
