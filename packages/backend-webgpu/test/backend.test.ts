/**
 * The WebGPU backend in Node: Dawn (npm `webgpu`) on SwiftShader (vitest.config.ts sets
 * VK_ICD_FILENAMES). What the conformance suite does not cover: Philox against core's reference,
 * strided/bool/int layouts, the index-range error on read, no readSync, pooling, device loss.
 */
import * as torch from '@torchlet/core';
import { philoxFill, removeBackendInstance } from '@torchlet/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BufferPool, WebGpuBackend } from '../src/index.ts';

let backend: WebGpuBackend;

beforeAll(async () => {
  backend = (await torch.setBackend('webgpu')) as WebGpuBackend;
});

afterAll(() => removeBackendInstance('webgpu'));

const view = (buffer: number, dtype: torch.DType, shape: number[], strides: number[], offset = 0): torch.View => ({ buffer, dtype, shape, strides, offset });

describe('webgpu backend', () => {
  it('uniform random is bit-exact with core philoxFill; normal within a few ulp', async () => {
    for (const kind of ['uniform', 'normal'] as const) {
      const n = 1001;
      const ref = new Float32Array(n);
      philoxFill(ref, kind, 0x12345678, 0x9abcdef0, 2 ** 32 - 3); // the counter carries into the high word
      const b = backend.alloc(n * 4 + 8);
      backend.random(view(b, 'float32', [n], [1], 2), { kind, seedLo: 0x12345678, seedHi: 0x9abcdef0, counter: 2 ** 32 - 3 });
      const got = (await backend.read(view(b, 'float32', [n], [1], 2))) as Float32Array;
      backend.free(b);
      if (kind === 'uniform') expect(got).toEqual(ref);
      else for (let i = 0; i < n; i++) expect(Math.abs(got[i]! - ref[i]!)).toBeLessThanOrEqual(4e-6 * Math.max(1, Math.abs(ref[i]!)));
    }
  });

  it('copies with negative, zero and odd strides, casting, and bool bytes at odd offsets', async () => {
    const x = torch.arange(0, 12).reshape([3, 4]);
    expect([...(await x.flip([0, 1]).t().contiguous().data())]).toEqual([11, 7, 3, 10, 6, 2, 9, 5, 1, 8, 4, 0]);
    expect([...(await x.slice(1, 1, 4, 2).gt(4).data())]).toEqual([0, 0, 1, 1, 1, 1]);
    expect([...(await torch.tensor([-1.5, 2.7, NaN, 3e10]).to('int32').data())]).toEqual([-1, 2, 0, 2147483647]);
    const bools = torch.tensor([true, false, true, true, false], { dtype: 'bool' });
    const read = await bools.slice(0, 1, 5).data();
    expect(read).toBeInstanceOf(Uint8Array);
    expect([...read]).toEqual([0, 1, 1, 0]);
  });

  it('reduces over arbitrary axes, with NaN and first-index ties', async () => {
    const x = torch.tensor([[1, 5, 5], [NaN, 2, NaN]]);
    expect([...(await x.argmax({ dim: 1 }).data())]).toEqual([1, 0]);
    expect([...(await x.max({ dim: 1 }).values.data())].map(String)).toEqual(['5', 'NaN']);
    const y = torch.arange(0, 24).reshape([2, 3, 4]).permute([2, 0, 1]);
    expect([...(await y.sum({ dim: [0, 2] }).data())]).toEqual([66, 210]);
  });

  it('reports an out-of-range gather index on the next read, then recovers', async () => {
    const x = torch.tensor([[1, 2], [3, 4]]);
    const bad = torch.tensor([[0, 2]], { dtype: 'int32' });
    const g = x.gather(1, bad);
    await expect(g.data()).rejects.toThrow(/gather index 2 is out of bounds for dimension 1 with size 2/);
    expect([...(await x.gather(1, torch.tensor([[1, 0]], { dtype: 'int32' })).data())]).toEqual([2, 1]);
  });

  it('reports an out-of-range index even when a submit comes between the op and the read (issue 13)', async () => {
    // Embedding -> Linear -> loss: the matmul submits the gather's work before the loss is read.
    const weight = torch.tensor([[1, 2], [3, 4], [5, 6]]);
    const rows = torch.embedding(torch.tensor([0, 7], { dtype: 'int32' }), weight);
    const loss = rows.matmul(torch.ones([2, 2])).sum();
    await expect(loss.data()).rejects.toThrow(/gather index 7 is out of bounds for dimension 0 with size 3/);
    // Reported once; later reads are clean.
    expect([...(await weight.sum().data())]).toEqual([21]);
  });

  it('has no readSync: dataSync() says to await data()', () => {
    expect((backend as torch.Backend).readSync).toBeUndefined();
    expect(() => torch.ones([2]).dataSync()).toThrow(/await tensor\.data\(\)/);
  });

  it('reuses freed buffers by size class', async () => {
    expect(BufferPool.sizeClass(1)).toBe(256);
    expect(BufferPool.sizeClass(1000)).toBe(1024);
    expect(BufferPool.sizeClass(1100)).toBe(1280);
    const step = async () => {
      const b = torch.tidy(() => {
        const a = torch.rand([64, 32]);
        return a.matmul(a.t()).relu().sum();
      });
      await b.data();
      b.dispose();
    };
    await step();
    await step();
    const before = backend.bufferStats();
    for (let i = 0; i < 20; i++) await step();
    // Tensors leaked by earlier tests may be collected meanwhile (live -> pooled): compare totals.
    const after = backend.bufferStats();
    expect(after.live + after.pooled).toBe(before.live + before.pooled);
    expect(after.reservedBytes).toBe(before.reservedBytes);
  });

  it('a lost device makes calls throw, and setBackend creates a fresh one', async () => {
    const old = backend;
    const before = torch.tensor([1, 2]);
    old.device.destroy();
    await new Promise((r) => setTimeout(r, 50));
    expect(() => old.alloc(4)).toThrow(/GPU device was lost.*setBackend\('webgpu'\)/);
    // Its tensors lost their data with it: using one says so instead of reading a dead device.
    expect(() => before.add(1)).toThrow(/lived on the 'webgpu' backend instance, which was removed \(removeBackendInstance\(\), or a lost GPU device\)/);
    expect(before.isDisposed).toBe(true);
    backend = (await torch.setBackend('webgpu')) as WebGpuBackend;
    expect(backend).not.toBe(old);
    expect([...(await torch.tensor([1, 2]).add(1).data())]).toEqual([2, 3]);
  });
});
