// A post-norm TransformerEncoderLayer (dModel 128, 4 heads, ff 512, ReLU, dropout 0, batch
// first), input [16, 64, 128], MSE loss, Adam 1e-3 — the peers' workload (../peers/README.md) —
// side by side in one run: torchlet on its wasm backend vs PyTorch CPU (OpenBLAS) vs
// TensorFlow.js on its wasm backend (one thread) vs onnxruntime-node (forward only), each of
// torchlet, PyTorch and onnxruntime on one thread and on --threads (default 2) threads. Reports
// ms per training step (zeroGrad, forward, loss, backward, Adam step, loss.item()) and per
// forward (no grad, training mode, as PyTorch's generic path), medians after warm-up, with
// ratios to PyTorch on one thread and to PyTorch on as many threads.
// Usage: node benchmarks/transformer/run.mjs [--steps 100] [--tfjs-steps 20] [--threads 2] [--no-fused]
//   --no-fused hides the backend's fused attention kernel (the composite path, for comparison).
import { performance } from 'node:perf_hooks';
import * as torch from 'torchlet';
import { createWasmBackend } from '@torchlet/backend-wasm';
import { runOrt, runTfjs, runTorch } from '../peers/run-peer.mjs';

const argv = process.argv.slice(2);
const opt = (name, def) => (argv.includes(`--${name}`) ? Number(argv[argv.indexOf(`--${name}`) + 1]) : def);
const steps = opt('steps', 100);
const tfjsSteps = opt('tfjs-steps', 20);
const maxThreads = opt('threads', 2);
const threadCounts = maxThreads > 1 ? [1, maxThreads] : [1];
const median = (a) => {
  const s = [...a].sort((x, y) => x - y);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const time = (fn, n, warmup) => {
  for (let i = 0; i < warmup; i++) fn();
  const ts = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    fn();
    ts.push(performance.now() - t0);
  }
  return median(ts);
};

const { optim, F } = torch;
const [D, H, FF, S, B] = [128, 4, 512, 64, 16];
const rows = [];
for (const threads of threadCounts) {
  const name = `wasm-bench-${threads}t`;
  torch.registerBackend(name, () => createWasmBackend({ threads }));
  await torch.setBackend(name);
  const backend = torch.getBackend();
  const fused = !argv.includes('--no-fused') && Boolean(backend.fused?.attention);
  if (!fused && backend.fused) {
    const { attention, attentionBackward, ...rest } = backend.fused;
    Object.defineProperty(backend, 'fused', { value: rest });
  }
  torch.manualSeed(0);
  const layer = new torch.TransformerEncoderLayer(D, H, { dimFeedforward: FF, dropout: 0, batchFirst: true });
  const adam = new optim.Adam(layer.parameters(), { lr: 1e-3 });
  const x = torch.randn([B, S, D]);
  const target = torch.randn([B, S, D]);
  const losses = [];
  const step = () => {
    const loss = torch.tidy(() => {
      adam.zeroGrad();
      const l = F.mseLoss(layer.forward(x), target);
      l.backward();
      adam.step();
      return l.detach();
    });
    losses.push(loss.dataSync()[0]);
    loss.dispose();
  };
  const trainMs = time(step, steps, 10);
  const fwdMs = time(() => torch.noGrad(() => layer.forward(x).dispose()), steps, 10);
  rows.push({ impl: `torchlet-wasm${fused ? '' : ' (composite attn)'}`, threads, train: trainMs, fwd: fwdMs, note: `loss ${losses[0].toFixed(3)} -> ${losses.at(-1).toFixed(3)}` });
  backend.destroy();
}

const pick = (results, bench) => results?.find((o) => o.bench === bench)?.ms ?? NaN;
for (const threads of threadCounts) {
  const { results, reason } = runTorch(['--only', 'transformer', '--tf-steps', String(steps)], { threads });
  const blas = results?.[0]?.blas;
  rows.push({ impl: 'PyTorch CPU', threads, train: pick(results, 'transformer_train'), fwd: pick(results, 'transformer_fwd'), note: reason ?? (blas ? `BLAS ${blas}` : '') });
}
{
  const { results, reason } = runTfjs(['--only', 'transformer', '--tf-steps', String(tfjsSteps), '--tf-warmup', '3']);
  rows.push({ impl: 'tfjs-wasm 4.22', threads: 1, train: pick(results, 'transformer_train'), fwd: pick(results, 'transformer_fwd'), note: reason ?? `${tfjsSteps} steps` });
}
for (const threads of threadCounts) {
  const { results, reason } = runOrt(['--only', 'transformer', '--tf-steps', String(steps)], { threads });
  rows.push({ impl: 'onnxruntime-node', threads, train: NaN, fwd: pick(results, 'transformer_fwd'), note: reason ?? 'forward only' });
}

const torchOn = (threads) => rows.find((r) => r.impl === 'PyTorch CPU' && r.threads === threads) ?? {};
const fmt = (ms) => (Number.isFinite(ms) ? `${ms.toFixed(2)} ms`.padStart(11) : '          -');
const ratio = (ms, ref) => (Number.isFinite(ms) && Number.isFinite(ref) ? `${(ms / ref).toFixed(2)}x`.padStart(8) : '       -');
console.log(`TransformerEncoderLayer d=${D} h=${H} ff=${FF}, batch ${B} x seq ${S}, post-norm, MSE, Adam 1e-3 (medians)`);
console.log(`${'impl'.padEnd(26)} ${'threads'.padStart(7)} ${'train step'.padStart(11)} ${'vs torch1'.padStart(8)} ${'vs torchN'.padStart(8)} ${'forward'.padStart(11)} ${'vs torch1'.padStart(8)} ${'vs torchN'.padStart(8)}  note`);
for (const r of rows) {
  const t1 = torchOn(1), tn = torchOn(r.threads);
  console.log(
    `${r.impl.padEnd(26)} ${String(r.threads).padStart(7)} ${fmt(r.train)} ${ratio(r.train, t1.train)} ${ratio(r.train, tn.train)} ` +
      `${fmt(r.fwd)} ${ratio(r.fwd, t1.fwd)} ${ratio(r.fwd, tn.fwd)}  ${r.note}`,
  );
}
console.log(JSON.stringify({ bench: 'transformer', results: rows }));
