// The seed MLP's compiled training step (benchmarks/mlp's: SGD lr 0.01, batch 64) against its
// matmul floor, in process CPU time, with the compiled step and the floor's replay (the step's
// own products on buffers of the same layouts, ../floor.mjs) alternating call by call, so that
// load on a shared machine hits both alike. One thread, both kernel builds in one process.
// Prints per build the median of compiled ms, floor ms and of their ratio per round.
// `--warmup` steps run first: the step's JavaScript (the replay's closures, each called once per
// step, and the backend's glue) reaches V8's optimizing tier only over several hundred steps (on
// Node 20 the compiled MLP step goes from ~0.88 to ~0.76 ms CPU over its first ~800 steps, relaxed
// SIMD; the floor's matmuls from 0.70 to 0.69), so a short warm-up measures that phase.
// Usage: node benchmarks/mlp/cpu-ratio.mjs [--rounds 9] [--steps 100] [--warmup 1000] [--variants simd,relaxed]
import * as torch from 'torchlet';
import { createWasmBackend } from '@torchlet/backend-wasm';
import { alternateCpu, productReplay, recordProducts } from '../floor.mjs';
import { mlpWorkload } from '../steps.mjs';

const argv = process.argv.slice(2);
const get = (name, def) => (argv.includes(`--${name}`) ? argv[argv.indexOf(`--${name}`) + 1] : def);
const rounds = Number(get('rounds', 9)), steps = Number(get('steps', 100)), warmup = Number(get('warmup', 1000));
const variants = get('variants', 'simd,relaxed').split(',');

const setups = [];
for (const variant of variants) {
  const name = `mlp-ratio-${variant}`;
  torch.registerBackend(name, () => createWasmBackend({ variant, threads: 1 }));
  const be = await torch.setBackend(name);
  if (be.loadGeneratedKernels) await be.loadGeneratedKernels();
  const body = mlpWorkload().step;
  const products = recordProducts(be, () => torch.tidy(body).dispose());
  const floor = productReplay(be, products).once;
  const step = torch.compile(body);
  const run = () => {
    const l = step();
    l.dataSync();
    l.dispose();
  };
  for (let i = 0; i < warmup; i++) {
    run();
    floor();
  }
  setups.push({ label: variant, be: name, run, floor });
}
for (const u of await alternateCpu(torch, setups, { rounds, steps })) {
  console.log(`MLP step ${u.label.padEnd(8)} compiled ${u.c.toFixed(3)} ms  floor ${u.f.toFixed(3)} ms  ratio ${u.q.toFixed(3)}  (per round: ${u.rounds})`);
}
