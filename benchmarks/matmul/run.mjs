// Matmul C = A B (float32, n x n) in one Node process: torchlet's wasm backend vs
// @tensorflow/tfjs-backend-wasm 4.22.0 (XNNPACK, SIMD, one thread: tfjs hard-wires Node to
// single-threaded, tfjs issue #3830) vs a plain-JS triple loop. GFLOP/s = 2 n^3 / time, the
// median of several timed repetitions after warm-up.
//
// What each repetition includes:
//  - torchlet: backend.alloc(out) + backend.matmul + backend.readSync(out) + backend.free(out),
//    measured through the backend object (the Tensor API is not used here). Inputs are uploaded
//    once before timing, as tfjs's are.
//  - tfjs: tf.matMul + dataSync() + dispose(). Inputs are tensors created before timing. tfjs also
//    caches the packed B matrix per tensor, so its figure omits B-packing; torchlet packs every call.
//  - plain JS: i-k-j loops over Float32Array (n <= 512 only).
// Usage: node benchmarks/matmul/run.mjs [--sizes 128,256,512,1024] [--variant simd|relaxed]
import { createRequire } from 'node:module';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { createWasmBackend } from '@torchlet/backend-wasm';

const require = createRequire(import.meta.url);
const argv = process.argv.slice(2);
const arg = (name, def) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : def;
};
const sizes = arg('sizes', '128,256,512,1024').split(',').map(Number);
const variant = arg('variant', undefined);

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/** Seconds per call: warm up, pick an inner count so a sample lasts ~50 ms, median of samples. */
function time(fn, { maxSeconds = 3 } = {}) {
  fn();
  let t0 = performance.now();
  fn();
  const one = (performance.now() - t0) / 1e3;
  const inner = Math.max(1, Math.floor(0.05 / Math.max(one, 1e-6)));
  for (let i = 0; i < Math.min(inner, 5); i++) fn();
  const samples = Math.max(3, Math.min(9, Math.floor(maxSeconds / Math.max(one * inner, 1e-6))));
  const ts = [];
  for (let s = 0; s < samples; s++) {
    t0 = performance.now();
    for (let i = 0; i < inner; i++) fn();
    ts.push((performance.now() - t0) / 1e3 / inner);
  }
  return median(ts);
}

function randomMatrix(n, seed) {
  let s = seed >>> 0;
  const a = new Float32Array(n * n);
  for (let i = 0; i < a.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    a[i] = s / 4294967296 - 0.5;
  }
  return a;
}

// ---- torchlet ----
// One thread, as the header says and as tfjs runs here (the backend's default is every core).
const be = await createWasmBackend(variant ? { variant, threads: 1 } : { threads: 1 });
function torchletCase(A, B, n) {
  const a = be.alloc(n * n * 4), b = be.alloc(n * n * 4);
  be.write(a, A);
  be.write(b, B);
  const view = (buffer) => ({ buffer, dtype: 'float32', shape: [n, n], strides: [n, 1], offset: 0 });
  const va = view(a), vb = view(b);
  const run = () => {
    const c = be.alloc(n * n * 4);
    const vc = view(c);
    be.matmul(va, vb, vc);
    const out = be.readSync(vc);
    be.free(c);
    return out;
  };
  return { run, dispose: () => { be.free(a); be.free(b); } };
}

// ---- tfjs-backend-wasm ----
const tf = require('@tensorflow/tfjs-core');
const tfwasm = require('@tensorflow/tfjs-backend-wasm');
const dist = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm'));
tfwasm.setWasmPaths(dist + path.sep);
await tf.setBackend('wasm');
await tf.ready();
const tfSimd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
function tfjsCase(A, B, n) {
  const a = tf.tensor2d(A, [n, n]), b = tf.tensor2d(B, [n, n]);
  const run = () => {
    const c = tf.matMul(a, b);
    const out = c.dataSync();
    c.dispose();
    return out;
  };
  return { run, dispose: () => { a.dispose(); b.dispose(); } };
}

// ---- plain JS ----
function plainCase(A, B, n) {
  const run = () => {
    const C = new Float32Array(n * n);
    for (let i = 0; i < n; i++)
      for (let k = 0; k < n; k++) {
        const aik = A[i * n + k];
        const bk = k * n, ci = i * n;
        for (let j = 0; j < n; j++) C[ci + j] += aik * B[bk + j];
      }
    return C;
  };
  return { run, dispose: () => {} };
}

console.log(`matmul C = A B, float32 n x n, Node ${process.version}, one thread`);
console.log(`torchlet: @torchlet/backend-wasm (${be.variant} build), per call: alloc out + matmul + readSync + free (input upload excluded)`);
console.log(`tfjs: @tensorflow/tfjs-backend-wasm ${tf.version_core} (XNNPACK, SIMD ${tfSimd}, threads ${tfwasm.getThreadsCount()}), per call: matMul + dataSync + dispose`);
console.log('');
const rows = [];
for (const n of sizes) {
  const A = randomMatrix(n, 1), B = randomMatrix(n, 2);
  const flops = 2 * n ** 3;
  const t = torchletCase(A, B, n), f = tfjsCase(A, B, n);
  // Cross-check the two results before timing.
  const ct = t.run(), cf = f.run();
  let maxErr = 0;
  for (let i = 0; i < ct.length; i++) maxErr = Math.max(maxErr, Math.abs(ct[i] - cf[i]));
  const gT = flops / time(t.run) / 1e9;
  const gF = flops / time(f.run) / 1e9;
  let gP = NaN;
  if (n <= 512) {
    const p = plainCase(A, B, n);
    gP = flops / time(p.run, { maxSeconds: 2 }) / 1e9;
  }
  t.dispose();
  f.dispose();
  rows.push({ n, torchlet: gT, tfjs: gF, plain: gP, ratio: gT / gF, maxErr });
}
const fmt = (x, w = 9) => (Number.isNaN(x) ? '-' : x.toFixed(2)).padStart(w);
console.log('     n | torchlet GF/s | tfjs-wasm GF/s | plain JS GF/s | torchlet/tfjs | max |diff|');
console.log('-------+---------------+----------------+---------------+---------------+----------');
for (const r of rows) {
  console.log(`${String(r.n).padStart(6)} | ${fmt(r.torchlet, 13)} | ${fmt(r.tfjs, 14)} | ${fmt(r.plain, 13)} | ${fmt(r.ratio, 12)}x | ${r.maxErr.toExponential(1)}`);
}
