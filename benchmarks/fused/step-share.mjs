// How much of a compiled training step the fused element-wise programs take, with the modules
// generated per program (the default) and with the interpreter (`generatedKernels: false`): the
// Transformer layer step of benchmarks/transformer and the seed MLP step of benchmarks/mlp,
// compiled, on one thread. Times are process CPU time (process.cpuUsage), which a loaded machine
// inflates less than the wall clock; the two kernels alternate step by step, so load hits both alike.
// Usage: node benchmarks/fused/step-share.mjs [--steps 30]
import * as torch from 'torchlet';
import { cpuMs } from '../floor.mjs';
import { createWasmBackend } from '@torchlet/backend-wasm';
import { mlpWorkload, transformerWorkload } from '../steps.mjs';

const argv = process.argv.slice(2);
const steps = argv.includes('--steps') ? Number(argv[argv.indexOf('--steps') + 1]) : 30;
const cpu = cpuMs;

const setups = [];
for (const generated of [true, false]) {
  const name = `share-${generated}`;
  torch.registerBackend(name, () => createWasmBackend({ variant: 'simd', threads: 1, generatedKernels: generated }));
  const be = await torch.setBackend(name);
  await be.loadGeneratedKernels();
  const inner = be.fused.elementwise;
  const acc = { ms: 0, calls: 0 };
  const timed = (run) => {
    const t0 = cpu();
    run();
    acc.ms += cpu() - t0;
    acc.calls++;
  };
  be.fused.elementwise = (p, i, o) => timed(() => inner(p, i, o));
  // A replay runs its programs through the calls it had the backend prepare: time those runs.
  const prepare = be.fused.prepareElementwise;
  be.fused.prepareElementwise = (p, i, o) => {
    const run = prepare(p, i, o);
    return run && (() => timed(run));
  };
  for (const [wname, make] of [['Transformer step', transformerWorkload], ['MLP step', () => mlpWorkload({ momentum: 0.9 })]]) {
    const step = torch.compile(make().step);
    const run = () => {
      const l = step();
      l.dataSync();
      l.dispose();
    };
    for (let i = 0; i < 5; i++) run();
    setups.push({ generated, wname, be: name, run, acc, total: 0, fused: 0, calls: 0 });
  }
}
for (let s = 0; s < steps; s++) {
  for (const u of setups) {
    await torch.setBackend(u.be);
    u.acc.ms = 0;
    u.acc.calls = 0;
    const t0 = cpu();
    u.run();
    u.total += cpu() - t0;
    u.fused += u.acc.ms;
    u.calls += u.acc.calls;
  }
}
console.log(`compiled steps, one thread, CPU ms per step (mean of ${steps}); fused = inside fused.elementwise`);
for (const u of setups) {
  console.log(`${u.wname.padEnd(18)} ${(u.generated ? 'generated' : 'interpreter').padEnd(12)} step ${(u.total / steps).toFixed(2).padStart(8)}  fused ${(u.fused / steps).toFixed(2).padStart(7)}  (${u.calls / steps} fused programs a step)`);
}
