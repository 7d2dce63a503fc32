import { describe, expect, it } from 'vitest';
import { getBackendName, listBackends, setBackend, type View } from '@torchlet/core';
import '../src/index.ts';
import { backend } from './helpers.ts';

const f32 = (buffer: number, shape: number[]): View => ({ buffer, dtype: 'float32', shape, strides: shape.map(() => 1), offset: 0 });
const i32 = (buffer: number, shape: number[]): View => ({ ...f32(buffer, shape), dtype: 'int32' });
const bool = (buffer: number, shape: number[]): View => ({ ...f32(buffer, shape), dtype: 'bool' });

describe('registration', () => {
  it("registers 'wasm' on import and creates it with setBackend", async () => {
    expect(listBackends()).toContain('wasm');
    const be = await setBackend('wasm');
    expect(be.name).toBe('wasm');
    expect(getBackendName()).toBe('wasm');
    expect(typeof be.readSync).toBe('function');
    expect(be.memory!().reservedBytes).toBeGreaterThan(0);
  });
});

describe('unsupported dtypes', () => {
  it('throw errors naming the op, the backend and the dtypes', async () => {
    const be = await backend();
    const b = be.alloc(64);
    const cases: [() => void, RegExp][] = [
      [() => be.unary('exp', i32(b, [2]), i32(b, [2])), /wasm.*'unary exp'.*x: int32, out: int32/],
      [() => be.unary('logicalNot', f32(b, [2]), f32(b, [2])), /wasm.*logicalNot.*float32/],
      [() => be.unary('neg', bool(b, [2]), bool(b, [2])), /wasm.*neg.*bool/],
      [() => be.binary('div', i32(b, [2]), i32(b, [2]), i32(b, [2])), /wasm.*'binary div'.*a: int32, b: int32, out: int32/],
      [() => be.binary('add', f32(b, [2]), i32(b, [2]), f32(b, [2])), /wasm.*add.*a: float32, b: int32/],
      [() => be.binary('logicalAnd', f32(b, [2]), f32(b, [2]), bool(b, [2])), /wasm.*logicalAnd.*float32/],
      [() => be.binary('lt', f32(b, [2]), f32(b, [2]), f32(b, [2])), /wasm.*lt.*out: float32/],
      [() => be.where(f32(b, [2]), f32(b, [2]), f32(b, [2]), f32(b, [2])), /wasm.*where.*cond: float32/],
      [() => be.reduce('sum', bool(b, [2]), [0], bool(b, [1])), /wasm.*reduce sum.*bool/],
      [() => be.reduce('argmax', f32(b, [2]), [0], f32(b, [1])), /wasm.*argmax.*out: float32/],
      [() => be.matmul(i32(b, [1, 1]), i32(b, [1, 1]), i32(b, [1, 1])), /wasm.*matmul.*int32/],
      [() => be.gather(f32(b, [2]), 0, f32(b, [2]), f32(b, [2])), /wasm.*gather.*index: float32/],
      [() => be.scatterAdd(bool(b, [2]), 0, i32(b, [2]), bool(b, [2])), /wasm.*scatterAdd.*dst: bool/],
      [() => be.random(i32(b, [2]), { kind: 'uniform', seedLo: 0, seedHi: 0, counter: 0 }), /wasm.*random uniform.*int32/],
    ];
    for (const [fn, re] of cases) expect(fn).toThrow(re);
  });

  it('refuses use after destroy', async () => {
    const { createWasmBackend } = await import('../src/index.ts');
    const be = await createWasmBackend();
    const kept = be.alloc(16);
    be.destroy();
    expect(() => be.alloc(4)).toThrow(/destroy/);
    // ... except free, which the garbage collector's safety net may still call: a no-op.
    expect(() => be.free(kept)).not.toThrow();
  });
});
