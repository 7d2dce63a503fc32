// The whole 4 GiB of wasm32 memory: wasm returns addresses as i32, so a buffer placed past 2 GiB
// came back as a negative number, reads sliced from the end of memory (`sum()` returned 0) and
// writes threw a RangeError. Filler blocks are allocated but never touched, so the engine maps
// their pages lazily and these tests take well under a second of real memory.
import { registerBackend, setBackend, full, type View } from '@torchlet/core';
import { afterAll, describe, expect, it } from 'vitest';
import { createWasmBackend, type WasmBackend } from '../src/index.ts';

const GIB = 2 ** 30;

function vec(buffer: number, n: number, offset = 0): View {
  return { buffer, dtype: 'float32', shape: [n], strides: [1], offset };
}

/** Allocates a filler so that the next allocation lands past 2 GiB; returns the filler. */
function pushPast2GiB(be: WasmBackend): number {
  const filler = be.alloc(2 * GIB + (1 << 20));
  expect(filler).toBeGreaterThan(0);
  return filler;
}

const backends: WasmBackend[] = [];
afterAll(() => {
  for (const be of backends) be.destroy();
});

describe('wasm memory past 2 GiB', () => {
  it('reads, writes and computes on buffers at addresses past 2 GiB (one thread)', async () => {
    const be = await createWasmBackend({ variant: 'simd' });
    backends.push(be);
    const filler = pushPast2GiB(be);
    const a = be.alloc(64), b = be.alloc(64), out = be.alloc(64);
    for (const p of [a, b, out]) expect(p).toBeGreaterThanOrEqual(2 ** 31);
    be.write(a, Float32Array.from({ length: 16 }, (_, i) => i + 1));
    be.write(b, new Float32Array(16).fill(0.5), 0);
    expect(Array.from(be.readSync(vec(a, 4, 12)))).toEqual([13, 14, 15, 16]);
    be.binary('mul', vec(a, 16), vec(b, 16), vec(out, 16));
    expect(Array.from(be.readSync(vec(out, 16)))).toEqual(Array.from({ length: 16 }, (_, i) => (i + 1) / 2));
    be.reduce('sum', vec(a, 16), [0], { buffer: out, dtype: 'float32', shape: [], strides: [], offset: 0 });
    expect(be.readSync({ buffer: out, dtype: 'float32', shape: [], strides: [], offset: 0 })[0]).toBe(136);
    // A strided (non-contiguous) read goes through a temporary, also past 2 GiB.
    expect(Array.from(be.readSync({ buffer: a, dtype: 'float32', shape: [4], strides: [4], offset: 1 }))).toEqual([2, 6, 10, 14]);
    for (const p of [a, b, out, filler]) be.free(p);
  });

  it('runs the issue\'s own example through core: full([4], 42).sum() past 2 GiB', async () => {
    const be = await createWasmBackend({ variant: 'simd' });
    backends.push(be);
    registerBackend('wasm-4gib', () => be);
    await setBackend('wasm-4gib');
    const filler = pushPast2GiB(be);
    const t = full([4], 42);
    const s = t.sum();
    expect(await s.item()).toBe(168);
    expect(Array.from(t.dataSync())).toEqual([42, 42, 42, 42]);
    t.dispose();
    s.dispose();
    be.free(filler);
    expect(() => full([2 ** 28, 5], 1)).toThrow(/float32 tensor of shape \[268435456, 5\].*out of memory allocating 5368709120 bytes.*torch\.memory\(\)/);
  });

  it('computes on the thread pool past 2 GiB (matmul split across threads)', async () => {
    const be = await createWasmBackend({ variant: 'simd', threads: 2, parallelThreshold: 0 });
    backends.push(be);
    expect(be.threads).toBe(2);
    const filler = pushPast2GiB(be);
    const n = 32;
    const a = be.alloc(n * n * 4), b = be.alloc(n * n * 4), c = be.alloc(n * n * 4);
    for (const p of [a, b, c]) expect(p).toBeGreaterThanOrEqual(2 ** 31);
    const av = Float32Array.from({ length: n * n }, (_, i) => (i % 7) - 3);
    const bv = Float32Array.from({ length: n * n }, (_, i) => (i % 5) - 2);
    be.write(a, av);
    be.write(b, bv);
    const m = (p: number): View => ({ buffer: p, dtype: 'float32', shape: [n, n], strides: [n, 1], offset: 0 });
    be.matmul(m(a), m(b), m(c));
    const got = be.readSync(m(c));
    for (const [i, j] of [[0, 0], [5, 17], [31, 31], [16, 3]] as const) {
      let want = 0;
      for (let k = 0; k < n; k++) want += av[i * n + k]! * bv[k * n + j]!;
      expect(got[i * n + j]).toBe(want);
    }
    for (const p of [a, b, c, filler]) be.free(p);
  });

  it('names the size, the 4 GiB limit and torch.memory() when memory runs out, and stays usable', async () => {
    const be = await createWasmBackend({ variant: 'simd' });
    backends.push(be);
    const held = be.alloc(3.5 * GIB);
    expect(() => be.alloc(GIB)).toThrow(/out of memory allocating 1073741824 bytes \(1\.00 GiB\).*4\.00 GiB.*torch\.memory\(\)/);
    be.free(held);
    const ok = be.alloc(GIB);
    be.write(ok, Float32Array.of(7), GIB - 4);
    expect(be.readSync(vec(ok, 1, GIB / 4 - 1))[0]).toBe(7);
    be.free(ok);
  });
});
