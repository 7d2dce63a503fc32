// The serial share of a (compiled or eager) training step under `threads: 'auto'`, measured so that a loaded
// machine moves it little: one process holds two backends, 'auto' and one thread, each replaying
// the Transformer layer step (../transformer) in alternating rounds; every backend call is
// timed per call site (its index in the replayed step), keeping the minimum over steps, and the
// 'auto' backend's calls are marked by whether they ran a job on the thread pool. Prints how many
// calls run on the pool, the one-thread minima of the calls that do and of those that do not (the
// serial share), the pooled calls' speedup on 'auto', and the largest serial calls.
// Usage: node benchmarks/profile/serial-share.mjs [--variant relaxed|simd] [--mode compiled|eager] [--rounds 6] [--top 12]
import { performance } from 'node:perf_hooks';
import * as torch from 'torchlet';
import { createWasmBackend, loadThreadPool } from '@torchlet/backend-wasm';
import { transformerWorkload } from '../steps.mjs';
import { timeBackendCalls } from '../timed-calls.mjs';

const ThreadPool = await loadThreadPool();

const argv = process.argv.slice(2);
const get = (name, def) => (argv.includes(`--${name}`) ? argv[argv.indexOf(`--${name}`) + 1] : def);
const variant = get('variant', 'relaxed'), rounds = Number(get('rounds', 6)), top = Number(get('top', 12)), mode = get('mode', 'compiled');
if (mode !== 'compiled' && mode !== 'eager') throw new Error(`--mode: 'compiled' or 'eager', got '${mode}'`);

// Whether the call being timed ran a pool job.
let pooled = false;
const poolRun = ThreadPool.prototype.run;
ThreadPool.prototype.run = function (...a) {
  pooled = true;
  return poolRun.apply(this, a);
};

const describeArg = (v) =>
  typeof v === 'string' ? v
    : v?.shape ? `[${v.shape}]`
      : Array.isArray(v) ? `{${v.map((w) => (w?.shape ? `[${w.shape}]` : '')).join(' ')}}` : '';

/** Wraps `be`'s methods and fused kernels; returns the per-site records and a replayed step. */
function setup(be) {
  const sites = [];
  let at = 0;
  timeBackendCalls(be, (name, a, run) => {
    pooled = false;
    const t0 = performance.now();
    try {
      return run();
    } finally {
      const dt = performance.now() - t0;
      const s = (sites[at++] ??= { name: `${name} ${a.map(describeArg).join(' ')}`.trim(), min: Infinity, pooled: false });
      s.min = Math.min(s.min, dt);
      s.pooled ||= pooled;
    }
  });
  const body = transformerWorkload().step;
  const step = mode === 'compiled' ? torch.compile(body) : () => torch.tidy(body);
  return {
    sites,
    step: () => {
      at = 0;
      const l = step();
      l.dataSync();
      l.dispose();
    },
  };
}

const runs = {};
for (const [name, threads] of [['auto', 'auto'], ['one', 1]]) {
  torch.registerBackend(`serial-share-${name}`, () => createWasmBackend({ variant, threads }));
  const be = await torch.setBackend(`serial-share-${name}`);
  runs[name] = { ...setup(be), threads: be.threads, times: [] };
  for (let i = 0; i < 5; i++) runs[name].step(); // the trace, then replays
  runs[name].sites.length = 0;
}
for (let r = 0; r < rounds; r++) {
  for (const name of ['auto', 'one']) {
    await torch.setBackend(`serial-share-${name}`);
    for (let i = 0; i < 10; i++) {
      const t0 = performance.now();
      runs[name].step();
      runs[name].times.push(performance.now() - t0);
    }
  }
}
const A = runs.auto.sites, O = runs.one.sites;
let onPool = 0, serial = 0, onPoolAuto = 0;
const serialSites = [];
for (let i = 0; i < Math.min(A.length, O.length); i++) {
  if (A[i].pooled) {
    onPool += O[i].min;
    onPoolAuto += A[i].min;
  } else {
    serial += O[i].min;
    serialSites.push(O[i]);
  }
}
const med = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1].toFixed(2);
console.log(`${mode} Transformer layer step, wasm ${variant}; 'auto' = ${runs.auto.threads} threads; ${rounds} rounds of 10 steps each`);
console.log(`backend calls per step: ${O.length}, on the pool under 'auto': ${A.filter((s) => s.pooled).length}`);
console.log(`one thread (sums of per-call minima): calls 'auto' splits ${onPool.toFixed(2)} ms, the rest ${serial.toFixed(2)} ms = serial share ${((100 * serial) / (onPool + serial)).toFixed(1)}%`);
console.log(`'auto': the split calls ${onPoolAuto.toFixed(2)} ms (${(onPool / onPoolAuto).toFixed(2)}x one thread's)`);
console.log(`step medians: 'auto' ${med(runs.auto.times)} ms, one thread ${med(runs.one.times)} ms (wall clock: on a loaded machine, noise)`);
serialSites.sort((a, b) => b.min - a.min);
for (const s of serialSites.slice(0, top)) console.log(`  serial ${s.min.toFixed(3)} ms  ${s.name}`);
