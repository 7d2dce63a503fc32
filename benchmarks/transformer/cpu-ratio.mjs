// The Transformer layer's compiled training step and forward against their matmul floor, in
// process CPU time, with the compiled call and the floor's replay alternating call by call so
// that load on a shared machine hits both alike. One thread, both kernel builds in one process.
// Prints per build and workload the median of compiled ms, floor ms and their ratio per round.
// Usage: node benchmarks/transformer/cpu-ratio.mjs [--rounds 5] [--steps 20] [--variants simd,relaxed]
import * as torch from 'torchlet';
import { createWasmBackend } from '@torchlet/backend-wasm';
import { median, productReplay, recordProducts } from '../floor.mjs';

const argv = process.argv.slice(2);
const get = (name, def) => (argv.includes(`--${name}`) ? argv[argv.indexOf(`--${name}`) + 1] : def);
const rounds = Number(get('rounds', 5)), steps = Number(get('steps', 20));
const variants = get('variants', 'simd,relaxed').split(',');
const { optim, F } = torch;
const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

const setups = [];
for (const variant of variants) {
  const name = `ratio-${variant}`;
  torch.registerBackend(name, () => createWasmBackend({ variant, threads: 1 }));
  const be = await torch.setBackend(name);
  if (be.loadGeneratedKernels) await be.loadGeneratedKernels();
  torch.manualSeed(0);
  const layer = new torch.TransformerEncoderLayer(128, 4, { dimFeedforward: 512, dropout: 0, batchFirst: true });
  const adam = new optim.Adam(layer.parameters(), { lr: 1e-3 });
  const x = torch.keep(torch.randn([16, 64, 128])), target = torch.keep(torch.randn([16, 64, 128]));
  const body = () => {
    adam.zeroGrad();
    const l = F.mseLoss(layer.forward(x), target);
    l.backward();
    adam.step();
    return l.detach();
  };
  const forward = () => torch.noGrad(() => layer.forward(x));
  for (const [wname, eager, fn, read] of [
    ['step', () => torch.tidy(body).dispose(), body, (t) => { t.dataSync(); t.dispose(); }],
    ['forward', () => forward().dispose(), forward, (t) => t.dispose()],
  ]) {
    const products = recordProducts(be, eager);
    const floor = productReplay(be, products).once;
    const c = torch.compile(fn);
    const run = () => read(c());
    for (let i = 0; i < 5; i++) { run(); floor(); }
    setups.push({ label: `${variant} ${wname}`, be: name, run, floor, res: [] });
  }
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
  console.log(`${u.label.padEnd(16)} compiled ${c.toFixed(2)} ms  floor ${f.toFixed(2)} ms  ratio ${q.toFixed(3)}  (per round: ${u.res.map((x) => (x.c / x.f).toFixed(3)).join(' ')})`);
}
