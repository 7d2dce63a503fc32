/**
 * `fused.elementwise` on WebGPU (program.ts): each program is one generated shader, checked bit
 * for bit against the same program run op by op on this backend's eager kernels
 * (runProgramComposite), and within tolerance against core's float64 oracle (evalProgramRef).
 * Programs are wide rather than many (every op of the table in one program, each a separate
 * output) and sizes tiny: SwiftShader compiles each shader slowly.
 */
import * as torch from '@torchlet/core';
import { BINARY_OPS, UNARY_OPS, checkProgram, evalProgramRef, opKind, removeBackendInstance, runProgramComposite, type ElementwiseProgram, type ProgramInstr, type View } from '@torchlet/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type WebGpuBackend } from '../src/index.ts';
import '../src/index.ts';

let backend: WebGpuBackend;

beforeAll(async () => {
  backend = (await torch.setBackend('webgpu')) as WebGpuBackend;
});

afterAll(() => removeBackendInstance('webgpu'));

const contiguous = (shape: readonly number[]): number[] => torch.contiguousStrides(shape);
const size = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/** Specials (NaN, infinities, signed zeros, halves, tiny and large) then ordinary values. */
const XS = [NaN, Infinity, -Infinity, -0, 0, 0.5, 1.5, 2.5, -2.5, 1e-30, 88, -104, 1e-8, -0.75, 0.3, 3];
const YS = [1, 2, -0, NaN, 0, -1.5, 0.5, 2.5, -2, Infinity, 3, -3, 1e-8, 0.75, -0.3, 0.5];
const CS = [1, 0, 1, 1, 0, 0, 1, 0, 1, 0, 1, 1, 0, 0, 1, 0];
const DS = [0, 0, 1, 1, 0, 1, 1, 0, 0, 1, 0, 1, 1, 0, 1, 1];

/** A fresh buffer holding `values` (float32 or bool bytes). */
function upload(dtype: 'float32' | 'bool', values: readonly number[]): number {
  const b = backend.alloc(values.length * (dtype === 'bool' ? 1 : 4));
  backend.write(b, dtype === 'bool' ? Uint8Array.from(values) : Float32Array.from(values));
  return b;
}

/** Outputs of `p` over `shape`: outputs of one dtype share one buffer, at consecutive offsets (one binding). */
function outputViews(p: ElementwiseProgram, shape: readonly number[]): { views: View[]; buffers: number[] } {
  const n = size(shape);
  const count = { float32: 0, bool: 0 };
  const views = p.outputs.map((r) => {
    const dtype = p.dtypes[r]!;
    return { buffer: 0, dtype, shape, strides: contiguous(shape), offset: n * count[dtype]++ } as View;
  });
  const f = backend.alloc(Math.max(1, count.float32) * n * 4), b = backend.alloc(Math.max(1, count.bool) * n);
  return { views: views.map((v) => ({ ...v, buffer: v.dtype === 'bool' ? b : f })), buffers: [f, b] };
}

const bitsOf = (v: number): number => new Uint32Array(new Float32Array([v]).buffer)[0]!;

/**
 * Runs `p` fused and op by op on the same inputs, expects identical bits (NaN payloads
 * included), then the fused result against evalProgramRef within `rel` (relative) plus `abs`.
 */
async function check(p: ElementwiseProgram, inputs: readonly View[], oracle: (e: number) => number[], rel = 4e-6, abs = 1e-6): Promise<void> {
  const shape = inputs[0]!.shape;
  const fused = outputViews(p, shape), composite = outputViews(p, shape);
  const off: string[] = [];
  backend.fused.elementwise!(p, inputs, fused.views);
  runProgramComposite(backend, p, inputs, composite.views);
  for (const [k, v] of fused.views.entries()) {
    const got = await backend.read(v), want = await backend.read(composite.views[k]!);
    const label = `output ${k} (register ${p.outputs[k]}: ${describe_(p, p.outputs[k]!)})`;
    if (v.dtype === 'float32') {
      expect([...got].map(bitsOf), `${label} vs the eager kernels`).toEqual([...want].map(bitsOf));
    } else {
      expect([...got], `${label} vs the eager kernels`).toEqual([...want]);
    }
    for (let e = 0; e < got.length; e++) {
      const g = got[e]!, w = oracle(e)[k]!;
      const ok = Number.isNaN(w) ? Number.isNaN(g) : g === w || Math.abs(g - w) <= rel * Math.abs(w) + abs;
      if (!ok) off.push(`${label} element ${e}: ${g}, evalProgramRef ${w}`);
    }
  }
  expect(off).toEqual([]);
  for (const b of [...fused.buffers, ...composite.buffers]) backend.free(b);
}

/** The instruction defining register `r`, for failure messages. */
function describe_(p: ElementwiseProgram, r: number): string {
  const ins = p.instrs[r - p.inputs.length];
  return ins ? `${ins.kind}${'op' in ins ? ` ${ins.op}` : ''}` : 'input';
}

/** Ops per test program. */
const CHUNK = 8;
const chunks = <T>(xs: readonly T[], k: number): T[][] => Array.from({ length: Math.ceil(xs.length / k) }, (_, i) => xs.slice(i * k, i * k + k));

const flat = (buffer: number, dtype: 'float32' | 'bool', n: number): View => ({ buffer, dtype, shape: [n], strides: [1], offset: 0 });

describe('webgpu fused.elementwise', () => {
  it('runs every unary op of the table, on an input and on an intermediate register', async () => {
    const n = XS.length;
    const x = upload('float32', XS), y = upload('float32', YS), c = upload('bool', CS);
    const views = [flat(x, 'float32', n), flat(y, 'float32', n), flat(c, 'bool', n)];
    // A few ops per program: one shader of every op compiles superlinearly slowly on SwiftShader.
    for (const ops of chunks(UNARY_OPS, CHUNK)) {
      const instrs: ProgramInstr[] = [{ kind: 'binary', op: 'mul', a: 0, b: 1 }]; // r3 = x * y
      const outputs: number[] = [];
      const push = (ins: ProgramInstr): void => {
        instrs.push(ins);
        outputs.push(2 + instrs.length);
      };
      for (const op of ops) {
        if (opKind('unary', op) === 'logical') push({ kind: 'unary', op, x: 2 });
        else {
          push({ kind: 'unary', op, x: 0 });
          push({ kind: 'unary', op, x: 3 });
        }
      }
      const p = checkProgram(['float32', 'float32', 'bool'], instrs, outputs);
      // The oracle's transcendentals are float64; the kernels' are f32 approximations (wgsl.ts's MATH).
      await check(p, views, (e) => evalProgramRef(p, [XS[e]!, YS[e]!, CS[e]!]), 2e-5, 2e-6);
    }
    for (const b of [x, y, c]) backend.free(b);
  });

  it('runs every binary op, comparisons on float32 and bool registers, logical ops, constants and where', async () => {
    const n = XS.length;
    const ins = [upload('float32', XS), upload('float32', YS), upload('bool', CS), upload('bool', DS)];
    const views = ins.map((b, k) => flat(b, k < 2 ? 'float32' : 'bool', n));
    for (const ops of chunks(BINARY_OPS, CHUNK)) {
      const instrs: ProgramInstr[] = [
        { kind: 'const', value: 0.5 }, // r4
        { kind: 'binary', op: 'add', a: 1, b: 4 }, // r5 = y + 0.5
        { kind: 'const', value: NaN }, // r6
        { kind: 'const', value: -Infinity }, // r7
      ];
      const outputs: number[] = [6, 7];
      const push = (ins: ProgramInstr): number => {
        instrs.push(ins);
        outputs.push(3 + instrs.length);
        return 3 + instrs.length;
      };
      for (const op of ops) {
        const kind = opKind('binary', op);
        if (kind === 'logical') {
          push({ kind: 'binary', op, a: 2, b: 3 });
          continue;
        }
        push({ kind: 'binary', op, a: 0, b: 1 });
        const r = push({ kind: 'binary', op, a: 0, b: 5 });
        if (kind === 'compare') {
          push({ kind: 'binary', op, a: 2, b: 3 });
          push({ kind: 'where', cond: r, a: 0, b: 7 });
        }
      }
      const p = checkProgram(['float32', 'float32', 'bool', 'bool'], instrs, outputs);
      await check(p, views, (e) => evalProgramRef(p, [XS[e]!, YS[e]!, CS[e]!, DS[e]!]), 2e-5, 2e-6);
    }
    for (const b of ins) backend.free(b);
  });

  it('reads broadcast, transposed, flipped and offset inputs over odd sizes; two outputs of two dtypes', async () => {
    // out[i, j] over [5, 27] (135 elements: three workgroups, the last partial).
    const shape = [5, 27];
    const R = 5, C = 27;
    const xt = Array.from({ length: R * C }, (_, i) => Math.sin(i * 1.7) * 3); // stored transposed [C, R]
    const row = Array.from({ length: C }, (_, j) => (j % 7) - 3); // broadcast over rows
    const flipped = Array.from({ length: 3 + R * C }, (_, i) => Math.cos(i) * 2); // offset 3, flipped rows and columns
    const mask = Array.from({ length: R * C }, (_, i) => (i * 7) % 3 === 0 ? 1 : 0);
    const bx = upload('float32', xt), br = upload('float32', row), bf = upload('float32', flipped), bm = upload('bool', mask);
    const views: View[] = [
      { buffer: bx, dtype: 'float32', shape, strides: [1, R], offset: 0 },
      { buffer: br, dtype: 'float32', shape, strides: [0, 1], offset: 0 },
      { buffer: bf, dtype: 'float32', shape, strides: [-C, -1], offset: 3 + R * C - 1 },
      { buffer: bm, dtype: 'bool', shape, strides: [C, 1], offset: 0 },
    ];
    const at = (v: View, data: readonly number[], i: number, j: number): number => data[v.offset + i * v.strides[0]! + j * v.strides[1]!]!;
    // GELU-like chain: y = 0.5 * x * (1 + erf((x - r) * f)), z = where(m, y, r) > 0
    const p = checkProgram(['float32', 'float32', 'float32', 'bool'], [
      { kind: 'binary', op: 'sub', a: 0, b: 1 }, // r4
      { kind: 'binary', op: 'mul', a: 4, b: 2 }, // r5
      { kind: 'unary', op: 'erf', x: 5 }, // r6
      { kind: 'const', value: 1 }, // r7
      { kind: 'binary', op: 'add', a: 6, b: 7 }, // r8
      { kind: 'binary', op: 'mul', a: 0, b: 8 }, // r9
      { kind: 'const', value: 0.5 }, // r10
      { kind: 'binary', op: 'mul', a: 9, b: 10 }, // r11
      { kind: 'where', cond: 3, a: 11, b: 1 }, // r12
      { kind: 'const', value: 0 }, // r13
      { kind: 'binary', op: 'gt', a: 12, b: 13 }, // r14
    ], [11, 14]);
    await check(p, views, (e) => {
      const i = Math.floor(e / C), j = e % C;
      return evalProgramRef(p, views.map((v, k) => at(v, [xt, row, flipped, mask][k]!, i, j)));
    });
    for (const b of [bx, br, bf, bm]) backend.free(b);
  });

  it('updates in place: an output that is an input view (float32 and bool)', async () => {
    // An SGD-with-momentum step: buf = 0.9 buf + g; w = w - 0.1 buf; and a bool mask flipped in place.
    const p = checkProgram(['float32', 'float32', 'float32', 'bool'], [
      { kind: 'const', value: 0.9 }, // r4
      { kind: 'binary', op: 'mul', a: 2, b: 4 }, // r5
      { kind: 'binary', op: 'add', a: 5, b: 1 }, // r6 = new buf
      { kind: 'const', value: 0.1 }, // r7
      { kind: 'binary', op: 'mul', a: 6, b: 7 }, // r8
      { kind: 'binary', op: 'sub', a: 0, b: 8 }, // r9 = new w
      { kind: 'unary', op: 'logicalNot', x: 3 }, // r10
    ], [9, 6, 10]);
    const n = 13;
    const w0 = XS.slice(3, 3 + n), g0 = YS.slice(0, n).map((v) => (Number.isNaN(v) ? 1 : v)), m0 = Array.from({ length: n }, (_, i) => i * 0.25 - 1);
    const c0 = CS.slice(0, n);
    const w = upload('float32', w0), g = upload('float32', g0), m = upload('float32', m0), c = upload('bool', c0);
    const views = [flat(w, 'float32', n), flat(g, 'float32', n), flat(m, 'float32', n), flat(c, 'bool', n)];
    backend.fused.elementwise!(p, views, [views[0]!, views[2]!, views[3]!]);
    const want = Array.from({ length: n }, (_, e) => evalProgramRef(p, [w0[e]!, g0[e]!, m0[e]!, c0[e]!]));
    const eq = (got: ArrayLike<number>, k: number): void => expect(Array.from(got).map(String)).toEqual(want.map((r) => String(Math.fround(r[k]!))));
    eq(await backend.read(views[0]!), 0);
    eq(await backend.read(views[2]!), 1);
    eq(await backend.read(views[3]!), 2);
    for (const b of [w, g, m, c]) backend.free(b);
  });

  it('rejects operands that do not fit the program, naming them', () => {
    const p = checkProgram(['float32', 'bool'], [{ kind: 'where', cond: 1, a: 0, b: 0 }], [2]);
    const f = backend.alloc(64), b = backend.alloc(16), o = backend.alloc(64);
    const fv = flat(f, 'float32', 4), bv = flat(b, 'bool', 4);
    const run = (ins: View[], outs: View[]) => () => backend.fused.elementwise!(p, ins, outs);
    expect(run([fv], [fv])).toThrow(/takes 2 inputs and 1 outputs, got 1 and 1/);
    expect(run([bv, bv], [fv])).toThrow(/input 0 is bool, the program takes float32/);
    expect(run([fv, bv], [bv])).toThrow(/output 0 is bool, its register is float32/);
    expect(run([{ ...fv, shape: [2, 2], strides: [1, 2] }, { ...bv, shape: [2, 2], strides: [2, 1] }], [{ ...fv, buffer: o, shape: [2, 2], strides: [1, 2] }])).toThrow(/output 0 is not contiguous/);
    expect(run([{ ...fv, shape: [2] }, bv], [fv])).toThrow(/input 0 has shape \[2\], the outputs \[4\]/);
    expect(() => backend.fused.elementwise!({ key: 'x' } as never, [fv], [fv])).toThrow(/not a checked ElementwiseProgram/);
    for (const id of [f, b, o]) backend.free(id);
  });
});

describe('fused elementwiseBatch', () => {
  // An Adam-like update: p' = p - lr * g, m' = 0.9 m + g, in place, with a broadcast scalar lr.
  const p = checkProgram(['float32', 'float32', 'float32', 'float32'], [
    { kind: 'binary', op: 'mul', a: 3, b: 1 },
    { kind: 'binary', op: 'sub', a: 0, b: 4 },
    { kind: 'const', value: 0.9 },
    { kind: 'binary', op: 'mul', a: 2, b: 6 },
    { kind: 'binary', op: 'add', a: 7, b: 1 },
  ], [5, 8]);
  const shapes = [[3, 5], [7], [2, 2, 3], [1], [65], [4, 4]];

  /** Per call: p, g, m buffers (fresh) and views; lr shared, at a per-call offset of one buffer. */
  function setup(lr: number) {
    return shapes.map((shape, i) => {
      const n = size(shape);
      const vals = (s: number) => Array.from({ length: n }, (_, j) => ((j * 7 + i * 3 + s) % 11) - 5 + 0.25 * s);
      const view = (buffer: number): View => ({ buffer, dtype: 'float32', shape, strides: contiguous(shape), offset: 0 });
      const [pb, gb, mb] = [upload('float32', vals(1)), upload('float32', vals(2)), upload('float32', vals(3))];
      return { pv: view(pb), gv: view(gb), mv: view(mb), lr: { buffer: lr, dtype: 'float32', shape, strides: shape.map(() => 0), offset: i } as View };
    });
  }

  it('runs every call as elementwise does, in place, over as many dispatches as the bindings allow', async () => {
    const lrValues = shapes.map((_, i) => 0.01 * (i + 1));
    const lr1 = upload('float32', lrValues), lr2 = upload('float32', lrValues);
    const a = setup(lr1), b = setup(lr2);
    const limit = (backend as unknown as { storageBindings: number }).storageBindings;
    for (const bindings of [limit, 5]) {
      (backend as unknown as { storageBindings: number }).storageBindings = bindings;
      backend.resetCounters();
      backend.fused.elementwiseBatch!(p, a.map((c) => ({ inputs: [c.pv, c.gv, c.mv, c.lr], outputs: [c.pv, c.mv] })));
      const batched = backend.counters().dispatches;
      for (const c of b) backend.fused.elementwise!(p, [c.pv, c.gv, c.mv, c.lr], [c.pv, c.mv]);
      // 3 distinct buffers per call plus the shared lr and the meta: 3 calls per dispatch at 12 bindings, 1 at 5.
      expect(batched).toBe(Math.ceil(shapes.length / Math.max(1, Math.floor((bindings - 2) / 3))));
      for (const [i, c] of a.entries()) {
        for (const k of ['pv', 'mv'] as const) {
          const got = await backend.read(c[k]), want = await backend.read(b[i]![k]);
          expect(Array.from(got), `call ${i} ${k} with ${bindings} bindings`).toEqual(Array.from(want));
        }
      }
    }
    (backend as unknown as { storageBindings: number }).storageBindings = limit;
    for (const c of [...a, ...b]) for (const v of [c.pv, c.gv, c.mv]) backend.free(v.buffer);
    backend.free(lr1);
    backend.free(lr2);
  });
});
