// The Transformer layer's compiled training step and forward against their matmul floor, in
// process CPU time, with the compiled call and the floor's replay alternating call by call so
// that load on a shared machine hits both alike. One thread, both kernel builds in one process.
// Prints per build and workload the median of compiled ms, floor ms and their ratio per round.
// Usage: node benchmarks/transformer/cpu-ratio.mjs [--rounds 5] [--steps 20] [--variants simd,relaxed]
import * as torch from 'torchlet';
import { createWasmBackend } from '@torchlet/backend-wasm';
import { alternateCpu, productReplay, recordProducts } from '../floor.mjs';
import { transformerWorkload } from '../steps.mjs';

const argv = process.argv.slice(2);
const get = (name, def) => (argv.includes(`--${name}`) ? argv[argv.indexOf(`--${name}`) + 1] : def);
const rounds = Number(get('rounds', 5)), steps = Number(get('steps', 20));
const variants = get('variants', 'simd,relaxed').split(',');

const setups = [];
for (const variant of variants) {
  const name = `ratio-${variant}`;
  torch.registerBackend(name, () => createWasmBackend({ variant, threads: 1 }));
  const be = await torch.setBackend(name);
  if (be.loadGeneratedKernels) await be.loadGeneratedKernels();
  const { step: body, forward } = transformerWorkload();
  for (const [wname, eager, fn, read] of [
    ['step', () => torch.tidy(body).dispose(), body, (t) => { t.dataSync(); t.dispose(); }],
    ['forward', () => forward().dispose(), forward, (t) => t.dispose()],
  ]) {
    const products = recordProducts(be, eager);
    const floor = productReplay(be, products).once;
    const c = torch.compile(fn);
    const run = () => read(c());
    for (let i = 0; i < 5; i++) { run(); floor(); }
    setups.push({ label: `${variant} ${wname}`, be: name, run, floor });
  }
}
for (const u of await alternateCpu(torch, setups, { rounds, steps })) {
  console.log(`${u.label.padEnd(16)} compiled ${u.c.toFixed(2)} ms  floor ${u.f.toFixed(2)} ms  ratio ${u.q.toFixed(3)}  (per round: ${u.rounds})`);
}
