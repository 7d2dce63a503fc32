// What each backend call of the compiled Transformer layer step (or forward) costs on its own: one
// replay runs with every backend method (and `fused.*` kernel) wrapped so that each call, when it
// comes, first runs `--reps` more times on the same views and is timed in process CPU time; the
// costs are summed per call kind (matmul by shape and layout, element-wise program by size,
// reduction and copy by layout). The repeats run with the call's operands in cache, so kinds are
// compared without the preemptions of a loaded machine; they do not add up to a cold step. Calls
// that update in place (Adam) run `reps + 2` times in that replay: the figures, not the values,
// are what this is for. The step's own time (plain replays, CPU time) is printed first.
// Usage: node benchmarks/profile/percall.mjs [--variant simd|relaxed] [--reps 20] [--forward]
import * as torch from 'torchlet';
import { cpuMs } from '../floor.mjs';
import { createWasmBackend } from '@torchlet/backend-wasm';
import { transformerWorkload } from '../steps.mjs';
import { timeBackendCalls } from '../timed-calls.mjs';

const argv = process.argv.slice(2);
const get = (name, def) => (argv.includes(`--${name}`) ? argv[argv.indexOf(`--${name}`) + 1] : def);
const variant = get('variant', 'relaxed'), reps = Number(get('reps', 20));
const forward = argv.includes('--forward');
torch.registerBackend('percall', () => createWasmBackend({ variant, threads: 1 }));
const be = await torch.setBackend('percall');
await be.loadGeneratedKernels?.();
const workload = transformerWorkload();
const body = forward ? workload.forward : workload.step;
const cpu = cpuMs;

/** A short name for one call: the method, and the shapes and strides that tell its cost apart. */
function callKey(method, a) {
  const dims = (v) => v.shape.join('x');
  const layout = (v) => `${dims(v)}[${v.strides.join(',')}]`;
  const views = (vs) => vs.filter((v) => v && v.shape).map(layout).join(' ');
  switch (method) {
    case 'unary': case 'binary': case 'reduce': return `${method} ${a[0]} ${views(a.slice(1))}`;
    case 'copy': return `copy ${views([a[0]])} -> ${views([a[1]])}`;
    case 'matmul': return `matmul ${dims(a[0])}${a[0].strides.at(-1) !== 1 ? 'T' : ''} @ ${dims(a[1])}${a[1].strides.at(-1) !== 1 ? 'T' : ''}`;
    case 'fused.elementwise': return `fused.elementwise ${a[2][0]?.shape.reduce((p, n) => p * n, 1)} elements, ${a[0].instrs.length} instrs, ${a[1].length} in ${a[2].length} out`;
    case 'fused.reduction': return `fused.reduction ${views(a[1])} -> ${views(a[4])}`;
    default: return method;
  }
}

const calls = [];
let recording = false;
/** Runs `run`, a call of `method` with arguments `a`; while recording, first `reps` more times, timed. */
function timed(method, a, run) {
  const key = callKey(method, a);
  if (recording && !/^(alloc|free|readSync|size|write)\b/.test(key)) {
    run();
    const t0 = cpu();
    for (let r = 0; r < reps; r++) run();
    calls.push({ key, ms: (cpu() - t0) / reps });
  }
  return run();
}
// Wrapped before the trace: a plan binds the backend's methods when it is built.
timeBackendCalls(be, timed);

const step = torch.compile(body);
for (let i = 0; i < 5; i++) step().dispose();
const t0 = cpu();
for (let i = 0; i < 10; i++) step().dispose();
const stepMs = (cpu() - t0) / 10;
recording = true;
step().dispose();
recording = false;

const kinds = new Map();
for (const c of calls) {
  const s = kinds.get(c.key) ?? { n: 0, ms: 0 };
  s.n++;
  s.ms += c.ms;
  kinds.set(c.key, s);
}
const rows = [...kinds].sort((p, q) => q[1].ms - p[1].ms);
const total = calls.reduce((s, c) => s + c.ms, 0);
const matmul = rows.filter(([k]) => k.startsWith('matmul')).reduce((s, [, v]) => s + v.ms, 0);
console.log(`${forward ? 'forward' : 'step'} compiled, wasm ${variant}, one thread: ${stepMs.toFixed(2)} ms CPU per call; its backend calls alone (operands in cache): ${total.toFixed(2)} ms, matmul ${matmul.toFixed(2)}, the rest ${(total - matmul).toFixed(2)}`);
for (const [k, v] of rows) console.log(`${v.ms.toFixed(3).padStart(8)} ms ${String(v.n).padStart(3)}x  ${k}`);
be.destroy();
