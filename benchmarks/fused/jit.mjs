// The other design the issue names, measured against the interpreter: a small WebAssembly
// module generated per program that keeps every register in a v128 local (no L1 round trip per
// instruction), importing the kernels' memory. A prototype for the decision only: contiguous
// float32 inputs and outputs, ops with a v128 form, element counts a multiple of 4.
// Usage: node benchmarks/fused/jit.mjs [--n 1048576] [--reps 30]
import { performance } from 'node:perf_hooks';
import { checkProgram, contiguousStrides } from '@torchlet/core';
import { createWasmBackend } from '@torchlet/backend-wasm';

const argv = process.argv.slice(2);
const arg = (name, dflt) => (argv.includes(name) ? Number(argv[argv.indexOf(name) + 1]) : dflt);
const n = arg('--n', 1 << 20);
const reps = arg('--reps', 30);

const leb = (v) => {
  const out = [];
  do {
    let b = v & 0x7f;
    v >>>= 7;
    if (v) b |= 0x80;
    out.push(b);
  } while (v);
  return out;
};
const sleb = (v) => {
  const out = [];
  for (;;) {
    const b = v & 0x7f;
    v >>= 7;
    if ((v === 0 && !(b & 0x40)) || (v === -1 && b & 0x40)) return [...out, b];
    out.push(b | 0x80);
  }
};
const section = (id, bytes) => [id, ...leb(bytes.length), ...bytes];
const str = (s) => [...leb(s.length), ...new TextEncoder().encode(s)];
const SIMD = { load: 0x00, store: 0x0b, const: 0x0c, abs: 0xe0, neg: 0xe1, sqrt: 0xe3, add: 0xe4, sub: 0xe5, mul: 0xe6, div: 0xe7, minimum: 0xe8, maximum: 0xe9 };
const simd = (op) => [0xfd, ...leb(SIMD[op])];

/** A module exporting run(in0.., out0.., bytes) for `p`. */
function generate(p, shared) {
  const nIn = p.inputs.length, nOut = p.outputs.length;
  const params = nIn + nOut + 1;
  const I = params; // byte offset local
  const reg = (r) => params + 1 + r;
  const body = [];
  const get = (l) => body.push(0x20, ...leb(l));
  const set = (l) => body.push(0x21, ...leb(l));
  for (const [j, ins] of p.instrs.entries()) {
    if (ins.kind !== 'const') continue;
    const bytes = new Uint8Array(new Float32Array(4).fill(ins.value).buffer);
    body.push(...simd('const'), ...bytes);
    set(reg(nIn + j));
  }
  body.push(0x02, 0x40, 0x03, 0x40);
  get(I); get(params - 1); body.push(0x4f, 0x0d, 1); // i >= bytes: leave
  for (let k = 0; k < nIn; k++) {
    get(k); get(I); body.push(0x6a, ...simd('load'), 4, 0);
    set(reg(k));
  }
  for (const [j, ins] of p.instrs.entries()) {
    if (ins.kind === 'unary') { get(reg(ins.x)); body.push(...simd(ins.op)); }
    else if (ins.kind === 'binary') { get(reg(ins.a)); get(reg(ins.b)); body.push(...simd(ins.op)); }
    else continue;
    set(reg(nIn + j));
  }
  for (const [k, r] of p.outputs.entries()) {
    get(nIn + k); get(I); body.push(0x6a); get(reg(r)); body.push(...simd('store'), 4, 0);
  }
  get(I); body.push(0x41, ...sleb(16), 0x6a); set(I);
  body.push(0x0c, 0, 0x0b, 0x0b, 0x0b);
  const locals = [2, 1, 0x7f, ...leb(p.dtypes.length), 0x7b];
  const fn = [...locals, ...body];
  const limits = shared ? [0x03, 0, ...leb(65536)] : [0x00, 0];
  const bytes = [
    0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0,
    ...section(1, [1, 0x60, ...leb(params), ...new Array(params).fill(0x7f), 0]),
    ...section(2, [1, ...str('env'), ...str('memory'), 0x02, ...limits]),
    ...section(3, [1, 0]),
    ...section(7, [1, ...str('run'), 0x00, 0]),
    ...section(10, [1, ...leb(fn.length), ...fn]),
  ];
  return new Uint8Array(bytes);
}

const median = (a) => [...a].sort((x, y) => x - y)[a.length >> 1];
const time = (fn) => {
  // Enough calls for V8 to tier the kernels up from its baseline compiler.
  for (let i = 0; i < 25; i++) fn();
  const ts = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    fn();
    ts.push(performance.now() - t0);
  }
  return [median(ts), Math.min(...ts)];
};

const be = await createWasmBackend({ variant: 'simd', threads: 1 });
const memory = be.k.memory; // the kernels' memory (a private field, read here for the prototype only)
const shape = [n];
const view = (fill) => {
  const buffer = be.alloc(n * 4);
  be.write(buffer, Float32Array.from({ length: n }, (_, i) => fill(i)));
  return { buffer, dtype: 'float32', shape, strides: contiguousStrides(shape), offset: 0 };
};
const u = (op, x) => ({ kind: 'unary', op, x });
const b = (op, a, bb) => ({ kind: 'binary', op, a, b: bb });
const c = (value) => ({ kind: 'const', value });
const chain = [c(1)];
for (let i = 0; i < 16; i++) chain.push(b(i % 2 ? 'mul' : 'add', i === 0 ? 0 : 1 + i, 1));
const cases = [
  ['16 alternating add/mul with a constant', checkProgram(['float32'], chain, [17]), 1],
  ['Adam-like update of p, m, v in place', checkProgram(['float32', 'float32', 'float32', 'float32'], [
    c(0.9), b('mul', 2, 4), c(0.1), b('mul', 1, 6), b('add', 5, 7),
    c(0.999), b('mul', 3, 9), b('mul', 1, 1), c(0.001), b('mul', 11, 12), b('add', 10, 13),
    u('sqrt', 14), c(1e-8), b('add', 15, 16), b('div', 8, 17), c(1e-3), b('mul', 18, 19), b('sub', 0, 20),
  ], [21, 8, 14]), 4],
];
console.log(`generated module vs interpreter, ${n} float32 elements, one thread; ms median [min] of ${reps}`);
for (const [name, p, nIn] of cases) {
  const ins = Array.from({ length: nIn }, (_, k) => view((i) => Math.abs(Math.sin(i + k))));
  const outs = nIn === 4 ? [ins[0], ins[2], ins[3]] : [view(() => 0)];
  const t0 = performance.now();
  const { instance } = await WebAssembly.instantiate(generate(p, false), { env: { memory } });
  const compileMs = performance.now() - t0;
  const ptrs = [...ins, ...outs].map((v) => v.buffer);
  const jit = time(() => instance.exports.run(...ptrs, n * 4));
  // Same bits as the interpreter (vector ops only, each the eager kernel's v128 form).
  const fromJit = outs.map((v) => be.readSync(v).slice());
  for (const v of ins) be.write(v.buffer, Float32Array.from({ length: n }, (_, i) => Math.abs(Math.sin(i + ins.indexOf(v)))));
  instance.exports.run(...ptrs, n * 4);
  const once = outs.map((v) => be.readSync(v).slice());
  for (const v of ins) be.write(v.buffer, Float32Array.from({ length: n }, (_, i) => Math.abs(Math.sin(i + ins.indexOf(v)))));
  be.fused.elementwise(p, ins, outs);
  const same = outs.every((v, k) => be.readSync(v).every((x, i) => Object.is(x, once[k][i])));
  const interp = time(() => be.fused.elementwise(p, ins, outs));
  void fromJit;
  console.log(`${name.padEnd(40)} generated ${jit[0].toFixed(3)} [${jit[1].toFixed(3)}]  interpreter ${interp[0].toFixed(3)} [${interp[1].toFixed(3)}]  ${(interp[1] / jit[1]).toFixed(2)}x by minima; module compiled in ${compileMs.toFixed(2)} ms; same bits: ${same}`);
}
be.destroy();
