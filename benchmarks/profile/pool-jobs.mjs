// The thread pool's jobs in a compiled Transformer layer step (../transformer) under `threads:
// 'auto'`: how many per step, of which kinds, how long the calling thread spends inside them and
// between them (the serial ops and the replay's JavaScript, which no pool thread can take). Times
// each ThreadPool.run from the caller, so it needs no change to the pool; medians over --steps.
// Usage: node benchmarks/profile/pool-jobs.mjs [--variant relaxed|simd] [--steps 40]
import { performance } from 'node:perf_hooks';
import * as torch from 'torchlet';
import { createWasmBackend, loadThreadPool } from '@torchlet/backend-wasm';

const ThreadPool = await loadThreadPool();
import { transformerWorkload } from '../steps.mjs';

const argv = process.argv.slice(2);
const get = (name, def) => (argv.includes(`--${name}`) ? argv[argv.indexOf(`--${name}`) + 1] : def);
const variant = get('variant', 'relaxed'), steps = Number(get('steps', 40));
const KIND = { 1: 'matmul', 2: 'attention', 3: 'attentionBackward', 4: 'elementwise', 5: 'generated' };

let jobs = null;
const poolRun = ThreadPool.prototype.run;
ThreadPool.prototype.run = function (kind, ...rest) {
  const t0 = performance.now();
  try {
    return poolRun.call(this, kind, ...rest);
  } finally {
    jobs?.push({ kind, t0, t1: performance.now() });
  }
};

torch.registerBackend('pool-jobs', () => createWasmBackend({ variant, threads: 'auto' }));
const be = await torch.setBackend('pool-jobs');
const step = torch.compile(transformerWorkload().step);
const run = () => {
  const l = step();
  l.dataSync();
  l.dispose();
};
for (let i = 0; i < 15; i++) run();
const rows = [];
for (let s = 0; s < steps; s++) {
  jobs = [];
  const t0 = performance.now();
  run();
  const t1 = performance.now();
  const inside = jobs.reduce((sum, j) => sum + j.t1 - j.t0, 0);
  const byKind = {};
  for (const j of jobs) byKind[KIND[j.kind]] = (byKind[KIND[j.kind]] ?? 0) + j.t1 - j.t0;
  rows.push({ step: t1 - t0, jobs: jobs.length, inside, outside: t1 - t0 - inside, byKind });
}
const med = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
console.log(`compiled Transformer layer step, wasm ${variant}, 'auto' = ${be.threads} threads; medians over ${steps} steps`);
console.log(`step ${med(rows.map((r) => r.step)).toFixed(2)} ms (min ${Math.min(...rows.map((r) => r.step)).toFixed(2)}); pool jobs per step ${med(rows.map((r) => r.jobs))}`);
console.log(`inside jobs ${med(rows.map((r) => r.inside)).toFixed(2)} ms, outside (serial ops, replay JavaScript) ${med(rows.map((r) => r.outside)).toFixed(2)} ms`);
for (const k of Object.values(KIND)) {
  const xs = rows.map((r) => r.byKind[k] ?? 0);
  if (xs.some((x) => x > 0)) console.log(`  ${k.padEnd(18)} ${med(xs).toFixed(2)} ms`);
}
