// A post-norm TransformerEncoderLayer (dModel 128, 4 heads, ff 512, ReLU, dropout 0, batch
// first), input [16, 64, 128], MSE loss, Adam 1e-3 — the peers' workload (../peers/README.md).
// One command prints, for its training step (zeroGrad, forward, loss, backward, Adam step,
// loss.item()) and its forward (no grad, training mode, as PyTorch's generic path), per kernel
// build (plain SIMD; relaxed SIMD, which Node 20 gets by the loader setting V8's flag) and per
// thread count (one; the default 'auto'), medians of three runs (rounds, each with a PyTorch run) of: eager ms (median over
// --steps), the matmul floor (the workload's products alone on the same backend, ../floor.mjs),
// eager/floor, the ratio to PyTorch CPU on one thread, and the same through torch.compile where
// it exists. Then the other peers: PyTorch on as many threads, TensorFlow.js (wasm, one thread),
// onnxruntime-node (forward only) — --no-peers skips them.
// Usage: node benchmarks/transformer/run.mjs [--steps 100] [--runs 3] [--variants simd,relaxed] [--threads 1,auto]
//        [--tfjs-steps 20] [--no-peers] [--no-compile]
import { availableParallelism } from 'node:os';
import * as torch from 'torchlet';
import { median } from '../floor.mjs';
import { transformerWorkload } from '../steps.mjs';
import { runOrt, runTfjs, runTorch } from '../peers/run-peer.mjs';
import { measure, options, printRows } from '../workloads.mjs';

const argv = process.argv.slice(2);
const opts = options(argv, { steps: 100, warmup: 10 });
const tfjsSteps = argv.includes('--tfjs-steps') ? Number(argv[argv.indexOf('--tfjs-steps') + 1]) : 20;
const [D, H, FF, S, B] = [128, 4, 512, 64, 16]; // transformerWorkload's shapes, for the title line
const STEP = 'Transformer train step', FWD = 'Transformer forward';

function build() {
  const { step: body, forward } = transformerWorkload();
  const read = (t) => {
    t.dataSync();
    t.dispose();
  };
  return [
    {
      name: STEP,
      eager: () => read(torch.tidy(body)),
      compiled: () => {
        const step = torch.compile(body);
        return Object.assign(() => read(step()), { stats: () => step.stats() });
      },
    },
    {
      name: FWD,
      eager: () => forward().dispose(),
      compiled: () => {
        const fwd = torch.compile(forward);
        return Object.assign(() => fwd().dispose(), { stats: () => fwd.stats() });
      },
    },
  ];
}

const torchRun = (threads) => {
  const { results, reason } = runTorch(['--only', 'transformer', '--tf-steps', String(opts.steps)], { threads });
  const pick = (bench) => results?.find((o) => o.bench === bench)?.ms ?? NaN;
  return { train: pick('transformer_train'), fwd: pick('transformer_fwd'), note: reason ?? `BLAS ${results?.[0]?.blas}` };
};
// PyTorch on one thread runs once a round, right after torchlet's configurations (see measure).
const torch1Runs = [];
const rows = await measure(build, opts, () => torch1Runs.push(torchRun(1)));
const torch1 = { [STEP]: torch1Runs.map((r) => r.train), [FWD]: torch1Runs.map((r) => r.fwd) };

console.log(`TransformerEncoderLayer d=${D} h=${H} ff=${FF}, batch ${B} x seq ${S}, post-norm, MSE, Adam 1e-3; Node ${process.version}, ${availableParallelism()} cores`);
printRows(rows, torch1, opts);
console.log(`PyTorch: ${torch1Runs[0].note}`);
const peers = [];
if (opts.peers) {
  const cores = Math.max(...rows.map((r) => r.threads));
  const fmt = (x) => (Number.isFinite(x) ? `${x.toFixed(2)} ms` : '-');
  if (cores > 1) {
    const t = torchRun(cores);
    peers.push({ impl: 'PyTorch CPU', threads: cores, train: t.train, fwd: t.fwd, note: t.note });
  }
  {
    const { results, reason } = runTfjs(['--only', 'transformer', '--tf-steps', String(tfjsSteps), '--tf-warmup', '3']);
    const pick = (bench) => results?.find((o) => o.bench === bench)?.ms ?? NaN;
    peers.push({ impl: 'tfjs-wasm 4.22', threads: 1, train: pick('transformer_train'), fwd: pick('transformer_fwd'), note: reason ?? `${tfjsSteps} steps` });
  }
  for (const threads of cores > 1 ? [1, cores] : [1]) {
    const { results, reason } = runOrt(['--only', 'transformer', '--tf-steps', String(opts.steps)], { threads });
    peers.push({ impl: 'onnxruntime-node', threads, train: NaN, fwd: results?.find((o) => o.bench === 'transformer_fwd')?.ms ?? NaN, note: reason ?? 'forward only' });
  }
  for (const p of peers) console.log(`${p.impl} ${p.threads} thr: train ${fmt(p.train)}, forward ${fmt(p.fwd)}  ${p.note ?? ''}`);
}
console.log(JSON.stringify({ bench: 'transformer', torch1: { [STEP]: median(torch1[STEP]), [FWD]: median(torch1[FWD]) }, torch1Runs: torch1, rows: rows.map(({ runs, ...r }) => r), peers }));
