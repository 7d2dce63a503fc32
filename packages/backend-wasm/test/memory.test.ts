import { describe, expect, it } from 'vitest';
import { createWasmBackend } from '../src/index.ts';

describe('allocator', () => {
  it('returns 16-byte aligned, non-overlapping, writable blocks', async () => {
    const be = await createWasmBackend({ variant: 'simd' });
    const sizes = [0, 1, 3, 15, 16, 17, 100, 4096, 70000, 5];
    const blocks = sizes.map((n) => ({ ptr: be.alloc(n), n }));
    for (const { ptr } of blocks) expect(ptr % 16).toBe(0);
    const sorted = [...blocks].sort((a, b) => a.ptr - b.ptr);
    for (let i = 1; i < sorted.length; i++) expect(sorted[i]!.ptr).toBeGreaterThanOrEqual(sorted[i - 1]!.ptr + sorted[i - 1]!.n);
    expect(new Set(blocks.map((b) => b.ptr)).size).toBe(blocks.length);
    blocks.forEach(({ ptr, n }, i) => be.write(ptr, new Uint8Array(n).fill(i + 1)));
    blocks.forEach(({ ptr, n }, i) => {
      const v = be.readSync({ buffer: ptr, dtype: 'bool', shape: [n], strides: [1], offset: 0 });
      expect(v.every((x) => x === i + 1)).toBe(true);
    });
    for (const { ptr } of blocks) be.free(ptr);
  });

  it('keeps memory flat over 100k alloc/free cycles', async () => {
    const be = await createWasmBackend({ variant: 'simd' });
    const cycle = () => {
      const a = be.alloc(4096), b = be.alloc(64), c = be.alloc(1 << 20);
      be.free(b);
      const d = be.alloc(48);
      be.free(a);
      be.free(c);
      be.free(d);
    };
    cycle();
    const reserved = be.memory().reservedBytes;
    const heap = be.heapBytes();
    for (let i = 0; i < 100_000; i++) cycle();
    expect(be.memory().reservedBytes).toBe(reserved);
    expect(be.heapBytes()).toBe(heap);
  });

  it('coalesces freed neighbours so a larger block fits without growing', async () => {
    const be = await createWasmBackend({ variant: 'simd' });
    const parts = Array.from({ length: 16 }, () => be.alloc(1 << 16));
    const reserved = be.memory().reservedBytes;
    for (const p of parts) be.free(p);
    const big = be.alloc(15 << 16);
    expect(be.memory().reservedBytes).toBe(reserved);
    be.free(big);
  });

  it('grows memory on demand and keeps data valid across growth (views are re-created)', async () => {
    const be = await createWasmBackend({ variant: 'simd' });
    const first = be.alloc(16);
    be.write(first, Float32Array.of(1, 2, 3, 4));
    const before = be.memory().reservedBytes;
    const big = be.alloc(64 << 20);
    expect(be.memory().reservedBytes).toBeGreaterThan(before);
    expect(Array.from(be.readSync({ buffer: first, dtype: 'float32', shape: [4], strides: [1], offset: 0 }))).toEqual([1, 2, 3, 4]);
    be.fill({ buffer: big, dtype: 'float32', shape: [16 << 20], strides: [1], offset: 0 }, 2);
    expect(be.readSync({ buffer: big, dtype: 'float32', shape: [3], strides: [1], offset: (16 << 20) - 3 })).toEqual(Float32Array.of(2, 2, 2));
    be.free(big);
    be.free(first);
  });

  it('rejects double frees, unknown buffers and overrunning writes', async () => {
    const be = await createWasmBackend({ variant: 'simd' });
    const p = be.alloc(8);
    expect(() => be.write(p, new Float32Array(3))).toThrow(RangeError);
    be.free(p);
    expect(() => be.free(p)).toThrow(/unknown buffer/);
    expect(() => be.alloc(-1)).toThrow(RangeError);
    expect(() => be.alloc(2 ** 33)).toThrow(/out of memory/);
  });
});
