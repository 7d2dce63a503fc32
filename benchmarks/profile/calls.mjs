// Where a training step's time goes, per backend call: runs the Transformer layer step of
// ../transformer (or the MLP step of ../mlp) eagerly or through torch.compile on the wasm
// backend, with every backend method (and `fused.*` kernel) wrapped in a timer, and prints per
// call kind (matmul by shape and layout, element-wise program by size, reduce by op...) the
// milliseconds and calls per step, then the step's median and the time spent outside backend
// calls (JavaScript: op dispatch, autograd, the replay loop). Timers cost about a microsecond a
// call; `--no-timers` gives the plain step time. For JavaScript versus wasm self time, run it
// under `node --cpu-prof` instead.
// Usage: node benchmarks/profile/calls.mjs [--workload transformer|mlp] [--mode compiled|eager]
//        [--threads 1|auto|n] [--variant simd|relaxed] [--steps 30] [--top 30] [--no-timers]
//        [--interpreter] (fused programs on the built-in interpreter, generatedKernels: false)
// Tiny calls on a loaded machine: their means are mostly the preemptions that hit them, so each
// row also gives its median call times its calls per step ("med ms"), which a preemption moves less.
import { performance } from 'node:perf_hooks';
import * as torch from 'torchlet';
import { createWasmBackend } from '@torchlet/backend-wasm';
import { mlpWorkload, transformerWorkload } from '../steps.mjs';
import { timeBackendCalls } from '../timed-calls.mjs';

const argv = process.argv.slice(2);
const get = (name, def) => (argv.includes(`--${name}`) ? argv[argv.indexOf(`--${name}`) + 1] : def);
const threadsArg = get('threads', '1');
const threads = threadsArg === 'auto' ? 'auto' : Number(threadsArg);
const variant = get('variant', 'simd');
const steps = Number(get('steps', 30));
const mode = get('mode', 'compiled');
const workload = get('workload', 'transformer');
const timers = !argv.includes('--no-timers');
if (mode !== 'compiled' && mode !== 'eager') throw new Error(`--mode: 'compiled' or 'eager', got '${mode}'`);

torch.registerBackend('wasm-profile', () => createWasmBackend({ variant, threads, ...(argv.includes('--interpreter') ? { generatedKernels: false } : {}) }));
const backend = await torch.setBackend('wasm-profile');
// The steps below never yield, so the generator of fused-program modules would never load.
await backend.loadGeneratedKernels();

/** A short name for one call: the method, and what tells its cost apart. */
function callKey(method, a) {
  const dims = (v) => v.shape.join('x');
  const layoutOf = (v) => (v.shape.length >= 2 && v.strides.at(-1) !== 1 ? 'T' : '');
  switch (method) {
    case 'unary': case 'binary': case 'reduce': return `${method} ${a[0]}`;
    case 'matmul': return `matmul ${dims(a[0])}${layoutOf(a[0])} @ ${dims(a[1])}${layoutOf(a[1])}`;
    case 'fused.elementwise': return `fused.elementwise ${a[2][0]?.shape.reduce((x, y) => x * y, 1)} elements, ${a[0].instrs.length} instrs`;
    default: return method;
  }
}

const stats = new Map();
/** Runs `run` timed as one call of `method` with arguments `a`. */
function timed(method, a, run) {
  const t0 = performance.now();
  try {
    return run();
  } finally {
    const dt = performance.now() - t0;
    const key = callKey(method, a);
    const s = stats.get(key) ?? { calls: 0, ms: 0, all: [] };
    s.calls++;
    s.ms += dt;
    s.all.push(dt);
    stats.set(key, s);
  }
}
if (timers) timeBackendCalls(backend, timed);

const body = (workload === 'mlp' ? mlpWorkload() : transformerWorkload()).step;
const read = (t) => {
  t.dataSync();
  t.dispose();
};
let run;
if (mode === 'compiled') {
  const step = torch.compile(body);
  run = () => read(step());
} else run = () => read(torch.tidy(body));
for (let i = 0; i < 5; i++) run();
stats.clear();
const ts = [];
for (let i = 0; i < steps; i++) {
  const t0 = performance.now();
  run();
  ts.push(performance.now() - t0);
}
function median(xs) {
  const s = [...xs].sort((x, y) => x - y);
  return s[s.length >> 1];
}
const sorted = [...ts].sort((x, y) => x - y);
const mean = ts.reduce((x, y) => x + y, 0) / steps;
const rows = [...stats].map(([k, s]) => ({ k, calls: s.calls / steps, ms: s.ms / steps, med: (median(s.all) * s.calls) / steps })).sort((x, y) => y.ms - x.ms);
const inCalls = rows.reduce((x, r) => x + r.ms, 0);
console.log(`${workload} ${mode}, wasm ${backend.variant}, ${backend.threads} thread(s): median ${sorted[steps >> 1].toFixed(2)} ms, min ${sorted[0].toFixed(2)} ms over ${steps} steps`);
if (timers) {
  console.log(`per step (means): ${inCalls.toFixed(2)} ms in ${rows.reduce((x, r) => x + r.calls, 0).toFixed(0)} backend calls, ${(mean - inCalls).toFixed(2)} ms outside them`);
  console.log(`${'mean ms'.padStart(9)} ${'med ms'.padStart(9)} calls`);
  for (const r of rows.slice(0, Number(get('top', 30)))) console.log(`${r.ms.toFixed(3).padStart(9)} ${r.med.toFixed(3).padStart(9)} ${r.calls.toFixed(0).padStart(4)}x  ${r.k}`);
}
backend.destroy();
