// The generated fused-program modules (src/jit.ts) beyond what program.test.ts compares bit for
// bit: that they are what runs, that their op forms are the kernels' current ones, that each
// program and layout class compiles once, that the generator loads on demand, and that a module
// the engine will not compile synchronously falls back to the interpreter with the same result,
// then is used once compiled.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { checkProgram, contiguousStrides, type ElementwiseProgram, type View } from '@torchlet/core';
import { WasmBackend, createWasmBackend, loadKernels } from '../src/index.ts';
import { Body, sleb, uleb } from '../src/jit-emit.ts';
import { compileProgram } from '../src/program.ts';
// @ts-expect-error: a build script in plain JavaScript
import { simdFormsText } from '../scripts/op-codes.mjs';

/** The backend's module cache (a private field, read here to see which path ran). */
const cache = (be: WasmBackend): Map<string, unknown> => (be as unknown as { generated: { cache: Map<string, unknown> } }).generated.cache;

function views(be: WasmBackend, shape: number[], values: (i: number) => number): View {
  const n = shape.reduce((a, b) => a * b, 1);
  const buffer = be.alloc(n * 4);
  be.write(buffer, Float32Array.from({ length: n }, (_, i) => values(i)));
  return { buffer, dtype: 'float32', shape, strides: contiguousStrides(shape), offset: 0 };
}

// exp(x) * 2 + bias, with the bias broadcast over rows.
const program: ElementwiseProgram = checkProgram(['float32', 'float32'], [
  { kind: 'unary', op: 'exp', x: 0 }, { kind: 'const', value: 2 }, { kind: 'binary', op: 'mul', a: 2, b: 3 }, { kind: 'binary', op: 'add', a: 4, b: 1 },
], [5]);

function runOnce(be: WasmBackend, shape = [5, 7]): Float32Array {
  const x = views(be, shape, (i) => i / 10 - 1);
  const bias = { ...views(be, [shape[1]!], (i) => i), shape, strides: [0, 1] };
  const out = views(be, shape, () => 0);
  be.fused.elementwise(program, [x, bias], [out]);
  const result = (be.readSync(out) as Float32Array).slice();
  for (const v of [x, bias, out]) be.free(v.buffer);
  return result;
}

describe('generated fused-program modules', () => {
  it('src/simd-forms.generated.ts is what the kernels in assembly/ say (rebuild the kernels if not)', async () => {
    const committed = readFileSync(fileURLToPath(new URL('../src/simd-forms.generated.ts', import.meta.url)), 'utf8');
    expect(committed).toBe(await simdFormsText());
  });

  it('are loaded by createWasmBackend in Node, so a loop that never awaits runs them from the first call', async () => {
    const be = await createWasmBackend({ variant: 'simd' });
    runOnce(be);
    expect([...cache(be).values()].filter(Boolean)).toHaveLength(1);
  });

  it('elsewhere load on the first fused program (the interpreter runs it), then run instead of it', async () => {
    // A backend built around the kernels directly, as a browser's starts: nothing loaded yet.
    const { exports, variant } = await loadKernels({ variant: 'simd' });
    const be = new WasmBackend(exports, variant);
    const interpreter = await createWasmBackend({ variant: 'simd', generatedKernels: false });
    const first = runOnce(be);
    expect((be as unknown as { generated: unknown }).generated).toBeNull();
    await be.loadGeneratedKernels();
    expect(cache(be).size).toBe(0);
    const a = runOnce(be);
    expect(Array.from(a)).toEqual(Array.from(first));
    expect([...cache(be).values()].filter(Boolean)).toHaveLength(1);
    runOnce(be, [3, 7]);
    expect(cache(be).size).toBe(1); // another shape, same classes: the same module
    runOnce(be, [1, 7]); // one row: the bias is now dense, another class
    expect(cache(be).size).toBe(2);
    await interpreter.loadGeneratedKernels();
    expect((interpreter as unknown as { generated: unknown }).generated).toBeNull();
    expect(Array.from(a)).toEqual(Array.from(runOnce(interpreter)));
  });

  it('fall back to the interpreter where the engine refuses to compile synchronously, then use the module', async () => {
    const be = await createWasmBackend({ variant: 'simd' });
    await be.loadGeneratedKernels();
    const expected = runOnce(await createWasmBackend({ variant: 'simd', generatedKernels: false }));
    const Module = WebAssembly.Module;
    // A browser's main thread refuses synchronous compiles of more than 4 KB with a RangeError.
    (WebAssembly as { Module: unknown }).Module = function refuse() {
      throw new RangeError('WebAssembly.Compile is disallowed on the main thread, if the buffer size is larger than 4KB');
    };
    let first: Float32Array;
    try {
      first = runOnce(be);
    } finally {
      (WebAssembly as { Module: unknown }).Module = Module;
    }
    expect(Array.from(first)).toEqual(Array.from(expected));
    expect([...cache(be).values()]).toEqual([null]);
    // The background compile lands, and the next call uses it.
    await new Promise((r) => setTimeout(r, 50));
    expect([...cache(be).values()].filter(Boolean)).toHaveLength(1);
    expect(Array.from(runOnce(be))).toEqual(Array.from(expected));
  });

  it("skip the checks for a replay's repeated views, and check anything changed again", async () => {
    const be = await createWasmBackend({ variant: 'simd' });
    await be.loadGeneratedKernels();
    const neg = checkProgram(['float32'], [{ kind: 'unary', op: 'neg', x: 0 }], [1]);
    const x = views(be, [8], (i) => i), out = views(be, [8], () => 0);
    const expected = Array.from({ length: 8 }, (_, i) => -i);
    be.fused.elementwise(neg, [x], [out]);
    be.fused.elementwise(neg, [x], [out]);
    expect(Array.from(be.readSync(out))).toEqual(expected);
    // A new view one element further into the same buffer reaches past its end.
    expect(() => be.fused.elementwise(neg, [x], [{ ...out, offset: 1 }])).toThrow(/output 0 .* reaches outside its 32-byte buffer/);
    // The same view object after a plain JavaScript caller changed its shape in place.
    (x.shape as number[])[0] = 9;
    expect(() => be.fused.elementwise(neg, [x], [out])).toThrow(/input 0 has shape \[9\], the outputs \[8\]/);
    (x.shape as number[])[0] = 8;
    be.fused.elementwise(neg, [x], [out]);
    // A freed buffer, and the view moved to a smaller one.
    be.free(x.buffer);
    expect(() => be.fused.elementwise(neg, [x], [out])).toThrow(/unknown buffer/);
    const small = be.alloc(16);
    expect(() => be.fused.elementwise(neg, [{ ...x, buffer: small }], [out])).toThrow(/input 0 .* reaches outside its 16-byte buffer/);
    be.free(small);
  });

  it('keep the views of each site that calls a program (an update per parameter), and check a changed one again', async () => {
    const be = await createWasmBackend({ variant: 'simd' });
    await be.loadGeneratedKernels();
    const neg = checkProgram(['float32'], [{ kind: 'unary', op: 'neg', x: 0 }], [1]);
    const a = views(be, [8], (i) => i), outA = views(be, [8], () => 0);
    const b = views(be, [3], (i) => 10 + i), outB = views(be, [3], () => 0);
    for (let i = 0; i < 3; i++) {
      be.fused.elementwise(neg, [a], [outA]);
      be.fused.elementwise(neg, [b], [outB]);
    }
    expect(Array.from(be.readSync(outA))).toEqual(Array.from({ length: 8 }, (_, i) => -i));
    expect(Array.from(be.readSync(outB))).toEqual([-10, -11, -12]);
    // Both sites are remembered (the checks ran once per site), not one evicting the other.
    const recent = (be as unknown as { lastCalls: WeakMap<object, unknown[]> }).lastCalls;
    expect(recent.get(compileProgram(neg))).toHaveLength(2);
    // A view changed in place at the second site is checked again.
    (b.shape as number[])[0] = 4;
    expect(() => be.fused.elementwise(neg, [b], [outB])).toThrow(/input 0 has shape \[4\], the outputs \[3\]/);
    (b.shape as number[])[0] = 3;
    be.fused.elementwise(neg, [a], [outA]);
    be.fused.elementwise(neg, [b], [outB]);
    expect(Array.from(be.readSync(outB))).toEqual([-10, -11, -12]);
  });

  it("prepared for a replay (prepareElementwise): the call's bits, checked when prepared, null until the generator has loaded", async () => {
    const be = await createWasmBackend({ variant: 'simd', threads: 1 });
    const shape = [5, 7];
    const x = views(be, shape, (i) => i / 10 - 1), bias = { ...views(be, [7], (i) => i), shape, strides: [0, 1] };
    const out = views(be, shape, () => 0), want = views(be, shape, () => 0);
    be.fused.elementwise(program, [x, bias], [want]);
    const run = be.fused.prepareElementwise!(program, [x, bias], [out]);
    expect(run).not.toBeNull();
    run!();
    run!();
    expect(Array.from(be.readSync(out))).toEqual(Array.from(be.readSync(want)));
    // The checks run when it is prepared.
    expect(() => be.fused.prepareElementwise!(program, [x, bias], [{ ...out, offset: 1 }])).toThrow(/output 0 .* reaches outside its 140-byte buffer/);
    // With `generatedKernels: false`, and before the generator has loaded (a browser's backend at
    // first), nothing is prepared: the caller makes the plain call.
    const interpreter = await createWasmBackend({ variant: 'simd', generatedKernels: false });
    const xi = views(interpreter, shape, () => 1), bi = { ...views(interpreter, [7], () => 1), shape, strides: [0, 1] };
    expect(interpreter.fused.prepareElementwise!(program, [xi, bi], [views(interpreter, shape, () => 0)])).toBeNull();
    const { exports, variant } = await loadKernels({ variant: 'simd' });
    const fresh = new WasmBackend(exports, variant);
    const xf = views(fresh, shape, () => 1), bf = { ...views(fresh, [7], () => 1), shape, strides: [0, 1] };
    expect(fresh.fused.prepareElementwise!(program, [xf, bf], [views(fresh, shape, () => 0)])).toBeNull();
    // A destroyed backend's prepared call throws, as the call does.
    be.destroy();
    expect(() => run!()).toThrow(/used after destroy/);
  });

  it('prepared on a pool: split as the plain call is, the same bits', async () => {
    const be = await createWasmBackend({ variant: 'simd', threads: 2, parallelThreshold: 1 });
    try {
      const shape = [64, 33];
      const x = views(be, shape, (i) => (i % 17) / 7 - 1), bias = { ...views(be, [33], (i) => i / 3), shape, strides: [0, 1] };
      const out = views(be, shape, () => 0), want = views(be, shape, () => 0);
      be.fused.elementwise(program, [x, bias], [want]);
      const run = be.fused.prepareElementwise!(program, [x, bias], [out])!;
      run();
      expect(Array.from(be.readSync(out))).toEqual(Array.from(be.readSync(want)));
    } finally {
      be.destroy();
    }
  });

  it('the emitter: LEB128 encodings and forms it cannot generate', () => {
    expect(uleb(0)).toEqual([0]);
    expect(uleb(624485)).toEqual([0xe5, 0x8e, 0x26]);
    expect(sleb(-1)).toEqual([0x7f]);
    expect(sleb(-123456)).toEqual([0xc0, 0xbb, 0x78]);
    expect(sleb(64)).toEqual([0xc0, 0x00]);
    expect(() => new Body().expr(['f32x4.fma', 0, 1, 2], [0, 1, 2])).toThrow(/no generated form of f32x4.fma/);
    expect(() => new Body().expr(['f32x4.add', 0, 3], [0, 1])).toThrow(/reads operand 3 of 2/);
  });
});
