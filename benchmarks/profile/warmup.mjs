// How many steps a compiled step takes to reach its steady speed (V8 optimizes the replay's
// JavaScript over its first calls): a fresh process compiles the workload on one thread, then
// runs `--steps` steps, each followed by one replay of its matmul floor (../floor.mjs), and
// prints per block of `--block` steps the median compiled/floor ratio of the step's CPU time.
// The "steady" line names the first block whose median is within 3% of the last three blocks'.
// `--plain` takes the backend's prepared calls away (Backend.prepare, fused.prepareElementwise,
// fused.prepareReduction): the replay then makes every call with its checks, as before them.
// Usage: node benchmarks/profile/warmup.mjs [--workload mlp|transformer|forward] [--variant relaxed|simd]
//        [--steps 600] [--block 25] [--plain]
import * as torch from 'torchlet';
import { createWasmBackend } from '@torchlet/backend-wasm';
import { cpuMs, median, productReplay, recordProducts } from '../floor.mjs';
import { mlpWorkload, transformerWorkload } from '../steps.mjs';

const argv = process.argv.slice(2);
const get = (name, def) => (argv.includes(`--${name}`) ? argv[argv.indexOf(`--${name}`) + 1] : def);
const workload = get('workload', 'mlp'), variant = get('variant', 'relaxed');
const steps = Number(get('steps', workload === 'mlp' ? 600 : 120)), block = Number(get('block', workload === 'mlp' ? 25 : 10));
torch.registerBackend('warmup', () => createWasmBackend({ variant, threads: 1 }));
const be = await torch.setBackend('warmup');
await be.loadGeneratedKernels?.();
if (argv.includes('--plain')) {
  be.prepare = undefined;
  delete be.fused.prepareElementwise;
  delete be.fused.prepareReduction;
}
const w = workload === 'mlp' ? mlpWorkload() : transformerWorkload();
const body = workload === 'forward' ? w.forward : w.step;
const products = recordProducts(be, () => torch.tidy(body).dispose());
const floor = productReplay(be, products).once;
const step = torch.compile(body);
const ratios = [], cs = [];
for (let i = 0; i < steps; i++) {
  let t0 = cpuMs();
  const out = step();
  out.dataSync();
  out.dispose();
  const c = cpuMs() - t0;
  t0 = cpuMs();
  floor();
  const f = cpuMs() - t0;
  ratios.push(c / f);
  cs.push(c);
}
const blocks = [];
for (let i = 0; i < steps; i += block) blocks.push({ at: i, q: median(ratios.slice(i, i + block)), c: median(cs.slice(i, i + block)) });
const tail = median(blocks.slice(-3).map((b) => b.q));
const steady = blocks.find((b) => b.q <= tail * 1.03);
console.log(`${workload} ${variant}${argv.includes('--plain') ? ' (plain calls)' : ''}: compiled/floor per block of ${block} steps (CPU time; steps 0-2 warm up and trace):`);
console.log(blocks.map((b) => `${b.at}:${b.q.toFixed(3)}`).join(' '));
console.log(`steady ${tail.toFixed(3)} (compiled ${median(blocks.slice(-3).map((b) => b.c)).toFixed(3)} ms) from step ${steady.at}`);
