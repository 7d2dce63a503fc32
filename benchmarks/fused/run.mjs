// The wasm backend's fused element-wise kernels (`fused.elementwise`, what torch.compile hands
// chains of element-wise ops to): the module generated per program (src/jit.ts, the default)
// and the interpreter (assembly/program.ts, `generatedKernels: false`), against the same
// programs run op by op on the eager kernels (core's runProgramComposite), and against the
// memory-bandwidth floor: a plain contiguous copy moving the same number of bytes. 1M float32
// elements by default, one thread unless --threads. Prints the median ms per call after warm-up
// (minima in brackets), and checks that both kernels give the same bits.
// Usage: node benchmarks/fused/run.mjs [--n 1048576] [--reps 30] [--threads 1]
import { performance } from 'node:perf_hooks';
import { checkProgram, contiguousStrides, runProgramComposite } from '@torchlet/core';
import { createWasmBackend } from '@torchlet/backend-wasm';

const argv = process.argv.slice(2);
const arg = (name, dflt) => (argv.includes(name) ? Number(argv[argv.indexOf(name) + 1]) : dflt);
const n = arg('--n', 1 << 20);
const reps = arg('--reps', 30);
const threads = arg('--threads', 1);
const median = (a) => {
  const s = [...a].sort((x, y) => x - y);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
// Medians, and minima: on a shared machine the minimum is the closer estimate of a quiet run.
const mins = [];
const time = (fn) => {
  // Enough calls for V8 to tier the kernels up from its baseline compiler.
  for (let i = 0; i < 25; i++) fn();
  const ts = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    fn();
    ts.push(performance.now() - t0);
  }
  mins.push(Math.min(...ts));
  return median(ts);
};
const min = () => mins[mins.length - 1];

const be = await createWasmBackend({ variant: 'simd', threads });
const interp = await createWasmBackend({ variant: 'simd', threads, generatedKernels: false });
await be.loadGeneratedKernels();
const rows = 1024, cols = n / rows;
const shape = [rows, cols];
let on = be;
const view = (strides = contiguousStrides(shape), len = n, fill = (i) => Math.sin(i) * 2) => {
  const buffer = on.alloc(len * 4);
  on.write(buffer, Float32Array.from({ length: len }, (_, i) => fill(i)));
  return { buffer, dtype: 'float32', shape, strides, offset: 0 };
};
const u = (op, x) => ({ kind: 'unary', op, x });
const b = (op, a, bb) => ({ kind: 'binary', op, a, b: bb });
const c = (value) => ({ kind: 'const', value });

// Element bytes read and written per element, for the floor.
const cases = [
  {
    name: 'GELU (erf) 0.5x(1+erf(x/sqrt2))',
    program: checkProgram(['float32'], [c(Math.SQRT1_2), b('mul', 0, 1), u('erf', 2), c(1), b('add', 3, 4), b('mul', 0, 5), c(0.5), b('mul', 6, 7)], [8]),
    views: () => [[view()], [view()]],
    moved: 2,
  },
  {
    name: 'GELU (tanh) 0.5x(1+tanh(k(x+0.044715x^3)))',
    program: checkProgram(['float32'], [
      b('mul', 0, 0), b('mul', 1, 0), c(0.044715), b('mul', 2, 3), b('add', 0, 4), c(Math.sqrt(2 / Math.PI)), b('mul', 5, 6),
      u('tanh', 7), c(1), b('add', 8, 9), b('mul', 0, 10), c(0.5), b('mul', 11, 12),
    ], [13]),
    views: () => [[view()], [view()]],
    moved: 2,
  },
  {
    name: 'LayerNorm tail (x-mean)*rstd*gamma+beta',
    program: checkProgram(['float32', 'float32', 'float32', 'float32', 'float32'], [b('sub', 0, 1), b('mul', 5, 2), b('mul', 6, 3), b('add', 7, 4)], [8]),
    views: () => [[view(), view([1, 0], rows), view([1, 0], rows, () => 1.5), view([0, 1], cols), view([0, 1], cols)], [view()]],
    moved: 2,
  },
  {
    name: 'Adam-like update of p, m, v in place',
    program: checkProgram(['float32', 'float32', 'float32', 'float32'], [
      c(0.9), b('mul', 2, 4), c(0.1), b('mul', 1, 6), b('add', 5, 7),
      c(0.999), b('mul', 3, 9), b('mul', 1, 1), c(0.001), b('mul', 11, 12), b('add', 10, 13),
      u('sqrt', 14), c(1e-8), b('add', 15, 16), b('div', 8, 17), c(1e-3), b('mul', 18, 19), b('sub', 0, 20),
    ], [21, 8, 14]),
    views: () => {
      const [p, g, m, v] = [view(), view(), view(), view(undefined, n, (i) => Math.abs(Math.cos(i)))];
      return [[p, g, m, v], [p, m, v]];
    },
    moved: 7,
  },
];

const src = view(), dst = view();
const copyMs = time(() => be.copy(src, dst));
const copyMin = min();
const perByte = copyMs / (n * 8);
console.log(`wasm fused element-wise, ${n} float32 elements, ${threads} thread(s), median of ${reps}`);
console.log(`copy floor: ${copyMs.toFixed(3)} ms for a ${(n * 4) / 2 ** 20} MiB copy (${((n * 8) / copyMs / 1e6).toFixed(1)} GB/s read+write)`);
console.log(`copy floor, minimum: ${copyMin.toFixed(3)} ms`);
console.log('program (medians; minima in brackets)        generated ms       interpreter ms      composite ms      interp/gen  floor ms  gen/floor  same bits');
const f = (x) => x.toFixed(3);
const cell = (med, lo) => `${f(med)} [${f(lo)}]`.padStart(19);
for (const k of cases) {
  on = be;
  const [ins, outs] = k.views();
  on = interp;
  const [insI, outsI] = k.views();
  const gen = time(() => be.fused.elementwise(k.program, ins, outs));
  const genMin = min();
  const it = time(() => interp.fused.elementwise(k.program, insI, outsI));
  const itMin = min();
  const composite = time(() => runProgramComposite(be, k.program, ins, outs));
  const compositeMin = min();
  // Same inputs again on both (the in-place programs moved them), one call each, then the bits.
  on = be;
  const [ins2, outs2] = k.views();
  on = interp;
  const [insI2, outsI2] = k.views();
  be.fused.elementwise(k.program, ins2, outs2);
  interp.fused.elementwise(k.program, insI2, outsI2);
  const same = outs2.every((v, o) => {
    const a = new Uint32Array(be.readSync(v).slice().buffer), b = new Uint32Array(interp.readSync(outsI2[o]).slice().buffer);
    return a.every((x, i) => x === b[i] || ((x & 0x7fffffff) > 0x7f800000 && (b[i] & 0x7fffffff) > 0x7f800000));
  });
  const floor = perByte * n * 4 * k.moved;
  console.log(`${k.name.padEnd(44)} ${cell(gen, genMin)} ${cell(it, itMin)} ${cell(composite, compositeMin)} ${(itMin / genMin).toFixed(2).padStart(9)}x ${f(floor).padStart(9)} ${(gen / floor).toFixed(2).padStart(9)}x  ${same}`);
}
be.destroy();
interp.destroy();
