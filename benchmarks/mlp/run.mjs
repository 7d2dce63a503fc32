// The seed MLP's training step, side by side in one run: torchlet on its wasm backend vs
// TensorFlow.js on its wasm backend (one thread) vs PyTorch CPU, torchlet and PyTorch on one
// thread and on --threads (default 2). The workload is the peers'
// (../peers/README.md): Linear(784,128)-ReLU-Linear(128,64)-ReLU-Linear(64,10), softmax
// cross-entropy, SGD lr 0.01, batch 64; ms per step = median over 200 steps after 20 warm-up.
// torchlet's step is what a user writes: zeroGrad, forward, loss, backward, step, loss.item().
// Usage: node benchmarks/mlp/run.mjs [--steps 200] [--threads 2]
import { performance } from 'node:perf_hooks';
import * as torch from 'torchlet';
import { createWasmBackend } from '@torchlet/backend-wasm';
import { runTfjs, runTorch } from '../peers/run-peer.mjs';

const argv = process.argv.slice(2);
const steps = Number(argv[argv.indexOf('--steps') + 1] || 200);
const maxThreads = argv.includes('--threads') ? Number(argv[argv.indexOf('--threads') + 1]) : 2;
const threadCounts = maxThreads > 1 ? [1, maxThreads] : [1];
const median = (a) => {
  const s = [...a].sort((x, y) => x - y);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

const { nn, optim, F } = torch;
const rows = [];
for (const threads of threadCounts) {
  const name = `wasm-bench-${threads}t`;
  torch.registerBackend(name, () => createWasmBackend({ threads }));
  await torch.setBackend(name);
  torch.manualSeed(0);
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
  rows.push({ impl: 'torchlet-wasm', threads, ms: median(ts), note: `loss ${losses[0].toFixed(3)} -> ${losses.at(-1).toFixed(3)}` });
  torch.getBackend().destroy();
}

const peerArgs = ['--only', 'mlp', '--mlp-steps', String(steps)];
const peers = [['tfjs-wasm 4.22', runTfjs, [1]], ['PyTorch CPU', runTorch, threadCounts]];
for (const [name, run, counts] of peers) {
  for (const threads of counts) {
    const { results, reason } = run(peerArgs, { threads });
    const r = results?.find((o) => o.bench === 'mlp_train');
    rows.push(r ? { impl: name, threads, ms: r.ms, note: r.blas ? `BLAS ${r.blas}` : '' } : { impl: name, threads, ms: NaN, note: reason });
  }
}

console.log(`MLP 784-128-64-10 training step, batch 64, SGD (median of ${steps} steps)`);
const ours = rows[0].ms;
for (const r of rows) {
  const ratio = Number.isFinite(r.ms) ? `${(r.ms / ours).toFixed(2)}x torchlet's time (1 thread)` : '-';
  console.log(`${r.impl.padEnd(16)} ${String(r.threads).padStart(2)} thr ${Number.isFinite(r.ms) ? r.ms.toFixed(3).padStart(8) + ' ms' : '       -   '}  ${ratio.padEnd(34)} ${r.note}`);
}
console.log(JSON.stringify({ bench: 'mlp_train', results: rows }));
