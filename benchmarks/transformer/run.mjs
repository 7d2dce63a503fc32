// A post-norm TransformerEncoderLayer (dModel 128, 4 heads, ff 512, ReLU, dropout 0, batch
// first), input [16, 64, 128], MSE loss, Adam 1e-3 — the peers' workload (../peers/README.md) —
// side by side in one run: torchlet on its wasm backend vs PyTorch CPU (one thread, OpenBLAS) vs
// TensorFlow.js on its wasm backend vs onnxruntime-node (forward only). Reports ms per training
// step (zeroGrad, forward, loss, backward, Adam step, loss.item()) and per forward (no grad,
// training mode, as PyTorch's generic path), medians after warm-up, with ratios to PyTorch.
// Usage: node benchmarks/transformer/run.mjs [--steps 100] [--tfjs-steps 20] [--no-fused]
//   --no-fused hides the backend's fused attention kernel (the composite path, for comparison).
import { performance } from 'node:perf_hooks';
import * as torch from 'torchlet';
import { runOrt, runTfjs, runTorch } from '../peers/run-peer.mjs';

const argv = process.argv.slice(2);
const opt = (name, def) => (argv.includes(`--${name}`) ? Number(argv[argv.indexOf(`--${name}`) + 1]) : def);
const steps = opt('steps', 100);
const tfjsSteps = opt('tfjs-steps', 20);
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

await torch.setBackend('wasm');
const backend = torch.getBackend();
const fused = !argv.includes('--no-fused') && Boolean(backend.fused?.attention);
if (!fused && backend.fused) {
  const { attention, attentionBackward, ...rest } = backend.fused;
  Object.defineProperty(backend, 'fused', { value: rest });
}
torch.manualSeed(0);
const { nn, optim, F } = torch;
const [D, H, FF, S, B] = [128, 4, 512, 64, 16];
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
const rows = [{ impl: `torchlet-wasm${fused ? '' : ' (composite attn)'}`, train: trainMs, fwd: fwdMs, note: `loss ${losses[0].toFixed(3)} -> ${losses.at(-1).toFixed(3)}` }];

const pick = (results, bench) => results?.find((o) => o.bench === bench)?.ms ?? NaN;
{
  const { results, reason } = runTorch(['--only', 'transformer', '--tf-steps', String(steps)]);
  const blas = results?.[0]?.blas;
  rows.push({ impl: 'PyTorch CPU', train: pick(results, 'transformer_train'), fwd: pick(results, 'transformer_fwd'), note: reason ?? (blas ? `BLAS ${blas}` : '') });
}
{
  const { results, reason } = runTfjs(['--only', 'transformer', '--tf-steps', String(tfjsSteps), '--tf-warmup', '3']);
  rows.push({ impl: 'tfjs-wasm 4.22', train: pick(results, 'transformer_train'), fwd: pick(results, 'transformer_fwd'), note: reason ?? `${tfjsSteps} steps` });
}
{
  const { results, reason } = runOrt(['--only', 'transformer', '--tf-steps', String(steps)]);
  rows.push({ impl: 'onnxruntime-node', train: NaN, fwd: pick(results, 'transformer_fwd'), note: reason ?? 'forward only' });
}

const torchRow = rows.find((r) => r.impl === 'PyTorch CPU');
const fmt = (ms) => (Number.isFinite(ms) ? `${ms.toFixed(2)} ms`.padStart(11) : '          -');
const ratio = (ms, ref) => (Number.isFinite(ms) && Number.isFinite(ref) ? `${(ms / ref).toFixed(2)}x`.padStart(7) : '      -');
console.log(`TransformerEncoderLayer d=${D} h=${H} ff=${FF}, batch ${B} x seq ${S}, post-norm, MSE, Adam 1e-3 (one thread, medians)`);
console.log(`${'impl'.padEnd(30)} ${'train step'.padStart(11)} ${'vs torch'.padStart(7)} ${'forward'.padStart(11)} ${'vs torch'.padStart(7)}  note`);
for (const r of rows) {
  console.log(`${r.impl.padEnd(30)} ${fmt(r.train)} ${ratio(r.train, torchRow.train)} ${fmt(r.fwd)} ${ratio(r.fwd, torchRow.fwd)}  ${r.note}`);
}
console.log(JSON.stringify({ bench: 'transformer', results: rows }));
