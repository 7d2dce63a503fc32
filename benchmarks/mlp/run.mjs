// The seed MLP's training step, side by side in one run: torchlet on its wasm backend vs
// TensorFlow.js on its wasm backend vs PyTorch CPU (one thread each). The workload is the peers'
// (../peers/README.md): Linear(784,128)-ReLU-Linear(128,64)-ReLU-Linear(64,10), softmax
// cross-entropy, SGD lr 0.01, batch 64; ms per step = median over 200 steps after 20 warm-up.
// torchlet's step is what a user writes: zeroGrad, forward, loss, backward, step, loss.item().
// Usage: node benchmarks/mlp/run.mjs [--steps 200]
import { performance } from 'node:perf_hooks';
import * as torch from 'torchlet';
import { runTfjs, runTorch } from '../peers/run-peer.mjs';

const argv = process.argv.slice(2);
const steps = Number(argv[argv.indexOf('--steps') + 1] || 200);
const median = (a) => {
  const s = [...a].sort((x, y) => x - y);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

await torch.setBackend('wasm');
torch.manualSeed(0);
const { nn, optim, F } = torch;
const model = new nn.Sequential(new nn.Linear(784, 128), new nn.ReLU(), new nn.Linear(128, 64), new nn.ReLU(), new nn.Linear(64, 10));
const opt = new optim.SGD(model.parameters(), { lr: 0.01 });
const x = torch.randn([64, 784]);
const y = torch.randint(0, 10, [64]);
const losses = [];
const step = () => {
  const loss = torch.tidy(() => {
    opt.zeroGrad();
    const l = F.crossEntropy(model.forward(x), y);
    l.backward();
    opt.step();
    return l.detach();
  });
  losses.push(loss.dataSync()[0]);
  loss.dispose();
};
for (let i = 0; i < 20; i++) step();
const ts = [];
for (let i = 0; i < steps; i++) {
  const t0 = performance.now();
  step();
  ts.push(performance.now() - t0);
}
const rows = [{ impl: 'torchlet-wasm', ms: median(ts), note: `loss ${losses[0].toFixed(3)} -> ${losses.at(-1).toFixed(3)}` }];

const peerArgs = ['--only', 'mlp', '--mlp-steps', String(steps)];
for (const [name, run] of [['tfjs-wasm 4.22', runTfjs], ['PyTorch CPU', runTorch]]) {
  const { results, reason } = run(peerArgs);
  const r = results?.find((o) => o.bench === 'mlp_train');
  rows.push(r ? { impl: name, ms: r.ms, note: r.blas ? `BLAS ${r.blas}` : '' } : { impl: name, ms: NaN, note: reason });
}

console.log(`MLP 784-128-64-10 training step, batch 64, SGD (median of ${steps} steps, one thread)`);
const ours = rows[0].ms;
for (const r of rows) {
  const ratio = Number.isFinite(r.ms) ? `${(r.ms / ours).toFixed(2)}x torchlet's time` : '-';
  console.log(`${r.impl.padEnd(16)} ${Number.isFinite(r.ms) ? r.ms.toFixed(3).padStart(8) + ' ms' : '       -   '}  ${ratio.padEnd(22)} ${r.note}`);
}
console.log(JSON.stringify({ bench: 'mlp_train', results: rows }));
