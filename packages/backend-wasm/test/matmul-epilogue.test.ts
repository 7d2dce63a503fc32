// The fused matmul (core's fused-matmul.ts): the kernel runs the epilogue's generated module on
// each block of the product as soon as it is final (assembly/matmul.ts), and must give core's
// composite's bits (the backend's matmul, then the program) for every path the product takes:
// the plain loop, the few-rows path, the blocked path with several depth and column blocks, edge
// tiles (M not a multiple of the 5-row tile), a pool of threads, the interpreter; and it falls
// back to the composite where the kernel cannot hold the product in an output.
import { describe, expect, it } from 'vitest';
import { checkProgram, contiguousStrides, runMatmulComposite, type ElementwiseProgram, type View } from '@torchlet/core';
import { WasmBackend, createWasmBackend } from '../src/index.ts';

function fill(be: WasmBackend, shape: number[], seed: number): View {
  const n = shape.reduce((a, b) => a * b, 1);
  let s = seed >>> 0;
  const data = Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296 - 0.5;
  });
  const buffer = be.alloc(Math.max(4, n * 4));
  be.write(buffer, data);
  return { buffer, dtype: 'float32', shape, strides: contiguousStrides(shape), offset: 0 };
}

const read = (be: WasmBackend, v: View): Float32Array => (be.readSync(v) as Float32Array).slice();

/** A Linear's bias add, then ReLU (input 1: the bias broadcast along rows). */
const biasRelu = checkProgram(['float32', 'float32'], [{ kind: 'binary', op: 'add', a: 0, b: 1 }, { kind: 'unary', op: 'relu', x: 2 }], [3]);
/** GELU (erf form) of the product alone, also storing the product: two outputs. */
const gelu = checkProgram(['float32'], [
  { kind: 'const', value: Math.SQRT1_2 }, { kind: 'binary', op: 'mul', a: 0, b: 1 }, { kind: 'unary', op: 'erf', x: 2 },
  { kind: 'const', value: 1 }, { kind: 'binary', op: 'add', a: 3, b: 4 }, { kind: 'binary', op: 'mul', a: 0, b: 5 },
  { kind: 'const', value: 0.5 }, { kind: 'binary', op: 'mul', a: 6, b: 7 },
], [8, 0]);

/** `x W^T` (W seen transposed, as a Linear reads it) with `program`, by the kernel and by the composite. */
function both(be: WasmBackend, M: number, K: number, N: number, program: ElementwiseProgram): { got: Float32Array[]; want: Float32Array[] } {
  const x = fill(be, [M, K], 1), w = fill(be, [N, K], 2), bias = fill(be, [N], 3);
  const wt: View = { ...w, shape: [K, N], strides: [1, K] };
  const ins = program.inputs.length > 1 ? [{ ...bias, shape: [M, N], strides: [0, 1] }] : [];
  const outs = (): View[] => program.outputs.map(() => fill(be, [M, N], 9));
  const mine = outs(), theirs = outs();
  be.fused.matmulEpilogue!(program, x, wt, ins, mine);
  runMatmulComposite(be, program, x, wt, ins, theirs);
  const got = mine.map((v) => read(be, v)), want = theirs.map((v) => read(be, v));
  for (const v of [x, w, bias, ...mine, ...theirs]) be.free(v.buffer);
  return { got, want };
}

/** Entries the kernels' function table holds (a fused matmul's epilogue module adds one). */
const tableLength = (be: WasmBackend): number => (be as unknown as { k: { table: WebAssembly.Table } }).k.table.length;

describe('fused matmul epilogue (wasm)', () => {
  it('gives the composite\'s bits on every path of the product, the epilogue run by the kernel', async () => {
    const be = await createWasmBackend({ variant: 'simd', threads: 1 });
    const before = tableLength(be);
    // [M, K, N]: the plain loop; the few-rows path; edge tiles (M % 5, N % 8); several depth
    // blocks (K > 256) and column blocks (N > 1024: the epilogue then runs row by row).
    for (const [M, K, N] of [[3, 4, 5], [3, 40, 37], [13, 17, 19], [131, 33, 517], [126, 300, 1030]] as const) {
      for (const p of [biasRelu, gelu]) {
        const { got, want } = both(be, M, K, N, p);
        for (const [k, g] of got.entries()) expect(g, `${M}x${K}x${N} output ${k}`).toEqual(want[k]);
      }
    }
    // One module per program and layout, put in the table once.
    expect(tableLength(be) - before).toBe(2);
    be.destroy();
  });

  it('gives the same bits on a pool of 2 threads and on the interpreter', async () => {
    const one = await createWasmBackend({ variant: 'simd', threads: 1 });
    const pool = await createWasmBackend({ variant: 'simd', threads: 2, parallelThreshold: 1 });
    const interp = await createWasmBackend({ variant: 'simd', threads: 1, generatedKernels: false });
    // On the pool each thread runs the epilogue on its own row (column) blocks: no pass after.
    const passes = (be: WasmBackend): { n: number } => {
      const count = { n: 0 };
      const own = be as unknown as { runKernel: (...a: unknown[]) => void };
      const runKernel = own.runKernel.bind(be);
      own.runKernel = (...a: unknown[]) => {
        count.n++;
        runKernel(...a);
      };
      return count;
    };
    const afterwards = passes(pool);
    // Row blocks, then column blocks (4 rows: the epilogue runs row by row in each block).
    for (const [M, K, N] of [[131, 33, 517], [4, 64, 300]] as const) {
      const ref = both(one, M, K, N, biasRelu).got;
      for (const be of [pool, interp]) {
        const { got, want } = both(be, M, K, N, biasRelu);
        expect(got).toEqual(want);
        expect(got).toEqual(ref);
      }
    }
    // The composite's own program runs are the only passes after a product.
    expect(afterwards.n).toBe(2);
    for (const be of [one, pool, interp]) be.destroy();
  });

  it('runs the composite where an output is an epilogue input (in place) or overlaps an operand', async () => {
    const be = await createWasmBackend({ variant: 'simd', threads: 1 });
    const [M, K, N] = [7, 9, 9];
    // acc += x W: the one output is the epilogue input's very view, so it cannot hold the product.
    const add = checkProgram(['float32', 'float32'], [{ kind: 'binary', op: 'add', a: 0, b: 1 }], [2]);
    const x = fill(be, [M, K], 1), w = fill(be, [K, N], 2), acc = fill(be, [M, N], 3);
    const product = fill(be, [M, N], 0);
    be.matmul(x, w, product);
    const p = read(be, product), a0 = read(be, acc);
    be.fused.matmulEpilogue!(add, x, w, [acc], [acc]);
    expect(read(be, acc)).toEqual(Float32Array.from(a0, (v, i) => Math.fround(p[i]! + v)));
    // x = relu(x W + b) written over x itself (square): the product must be read in full first.
    const sq = fill(be, [M, M], 4), w2 = fill(be, [M, M], 5), bias = fill(be, [M], 6);
    const want = fill(be, [M, M], 0);
    const bb: View = { ...bias, shape: [M, M], strides: [0, 1] };
    runMatmulComposite(be, biasRelu, sq, w2, [bb], [want]);
    be.fused.matmulEpilogue!(biasRelu, sq, w2, [bb], [sq]);
    expect(read(be, sq)).toEqual(read(be, want));
    be.destroy();
  });

  it('names what is wrong with a bad call', async () => {
    const be = await createWasmBackend({ variant: 'simd', threads: 1 });
    const x = fill(be, [2, 3], 1), w = fill(be, [3, 4], 2), out = fill(be, [2, 4], 3);
    const boolFirst = checkProgram(['bool'], [{ kind: 'unary', op: 'logicalNot', x: 0 }], [1]);
    expect(() => be.fused.matmulEpilogue!(boolFirst, x, w, [], [out])).toThrow(/input 0 \(the product\) must be float32/);
    expect(() => be.fused.matmulEpilogue!(biasRelu, x, w, [], [out])).toThrow(/takes 1 inputs and stores 1 outputs, got 0 and 1/);
    expect(() => be.fused.matmulEpilogue!({} as ElementwiseProgram, x, w, [], [out])).toThrow(/must be an ElementwiseProgram/);
    // A product of the wrong shape for the outputs: the matmul's own check names it.
    const wide = fill(be, [2, 5], 4);
    expect(() => be.fused.matmulEpilogue!(gelu, x, w, [], [wide, wide])).toThrow();
    be.destroy();
  });
});
