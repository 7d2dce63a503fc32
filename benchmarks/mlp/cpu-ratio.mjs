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
import { median, productReplay, recordProducts } from '../floor.mjs';

const argv = process.argv.slice(2);
const get = (name, def) => (argv.includes(`--${name}`) ? argv[argv.indexOf(`--${name}`) + 1] : def);
const rounds = Number(get('rounds', 9)), steps = Number(get('steps', 100)), warmup = Number(get('warmup', 1000));
const variants = get('variants', 'simd,relaxed').split(',');
const { nn, optim, F } = torch;
const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

const setups = [];
for (const variant of variants) {
  const name = `mlp-ratio-${variant}`;
  torch.registerBackend(name, () => createWasmBackend({ variant, threads: 1 }));
  const be = await torch.setBackend(name);
  if (be.loadGeneratedKernels) await be.loadGeneratedKernels();
  torch.manualSeed(0);
  const model = new nn.Sequential(new nn.Linear(784, 128), new nn.ReLU(), new nn.Linear(128, 64), new nn.ReLU(), new nn.Linear(64, 10));
  const opt = new optim.SGD(model.parameters(), { lr: 0.01 });
  const x = torch.keep(torch.randn([64, 784])), y = torch.keep(torch.randint(0, 10, [64]));
  const body = () => {
    opt.zeroGrad();
    const l = F.crossEntropy(model.forward(x), y);
    l.backward();
    opt.step();
    return l.detach();
  };
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
  setups.push({ label: variant, be: name, run, floor, res: [] });
}
for (let r = 0; r < rounds; r++) {
  for (const u of setups) {
    await torch.setBackend(u.be);
    let tc = 0, tf = 0;
    for (let s = 0; s < steps; s++) {
      let t0 = cpu();
      u.run();
      tc += cpu() - t0;
      t0 = cpu();
      u.floor();
      tf += cpu() - t0;
    }
    u.res.push({ c: tc / steps, f: tf / steps });
  }
}
for (const u of setups) {
  const c = median(u.res.map((x) => x.c)), f = median(u.res.map((x) => x.f)), q = median(u.res.map((x) => x.c / x.f));
  console.log(`MLP step ${u.label.padEnd(8)} compiled ${c.toFixed(3)} ms  floor ${f.toFixed(3)} ms  ratio ${q.toFixed(3)}  (per round: ${u.res.map((x) => (x.c / x.f).toFixed(3)).join(' ')})`);
}
