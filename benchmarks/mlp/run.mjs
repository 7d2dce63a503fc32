// The seed MLP's training step: Linear(784,128)-ReLU-Linear(128,64)-ReLU-Linear(64,10), softmax
// cross-entropy, SGD lr 0.01, batch 64 — the peers' workload (../peers/README.md). One command
// prints, per kernel build (plain SIMD; relaxed SIMD, which Node 20 gets by the loader setting
// V8's flag) and per thread count (one; the default 'auto'), medians of three runs of: eager ms
// per step (median over --steps steps), the matmul floor (the step's products alone on the same
// backend, ../floor.mjs), eager/floor, the ratio to PyTorch CPU on one thread, and the same for
// the step through torch.compile where it exists. torchlet's step is what a user writes:
// zeroGrad, forward, loss, backward, step, loss.item(). TensorFlow.js (wasm, one thread) and
// PyTorch on as many threads follow (--no-peers skips every peer but PyTorch on one thread).
// Usage: node benchmarks/mlp/run.mjs [--steps 200] [--warmup 300] [--runs 3] [--variants simd,relaxed] [--threads 1,auto] [--no-peers] [--no-compile]
import { availableParallelism } from 'node:os';
import * as torch from 'torchlet';
import { median } from '../floor.mjs';
import { mlpWorkload } from '../steps.mjs';
import { runTfjs, runTorch } from '../peers/run-peer.mjs';
import { measure, options, printRows } from '../workloads.mjs';

// 300 warm-up steps (0.3-0.6 s): a ~1 ms step's JavaScript (eager dispatch, a compiled step's
// replay) reaches V8's optimizing tier only after some hundred steps (profile/warmup.mjs), and the
// figures are meant to be a training run's steady speed, not its first half second. Eager, the
// floor and the compiled step are all timed after it; `--warmup 20` shows the early phase.
const opts = options(process.argv.slice(2), { steps: 200, warmup: 300 });
const NAME = 'MLP step';

function build() {
  const body = mlpWorkload().step;
  const read = (loss) => {
    loss.dataSync();
    loss.dispose();
  };
  return [
    {
      name: NAME,
      eager: () => read(torch.tidy(body)),
      compiled: () => {
        const step = torch.compile(body);
        return Object.assign(() => read(step()), { stats: () => step.stats() });
      },
    },
  ];
}


const peerArgs = ['--only', 'mlp', '--mlp-steps', String(opts.steps)];
const torchMs = (threads) => {
  const { results, reason } = runTorch(peerArgs, { threads });
  const r = results?.find((o) => o.bench === 'mlp_train');
  return { ms: r?.ms ?? NaN, note: r ? `BLAS ${r.blas}` : reason };
};
// PyTorch on one thread runs once a round, right after torchlet's configurations (see measure).
const torch1Runs = [];
const rows = await measure(build, opts, () => torch1Runs.push(torchMs(1)));
const torch1 = median(torch1Runs.map((r) => r.ms));

console.log(`MLP 784-128-64-10 training step, batch 64, SGD; Node ${process.version}, ${availableParallelism()} cores`);
printRows(rows, { [NAME]: torch1Runs.map((r) => r.ms) }, opts);
console.log(`PyTorch: ${torch1Runs[0].note}`);
const peers = [];
if (opts.peers) {
  const cores = Math.max(...rows.map((r) => r.threads));
  if (cores > 1) peers.push({ impl: 'PyTorch CPU', threads: cores, ...torchMs(cores) });
  const { results, reason } = runTfjs(peerArgs);
  const r = results?.find((o) => o.bench === 'mlp_train');
  peers.push({ impl: 'tfjs-wasm 4.22', threads: 1, ms: r?.ms ?? NaN, note: r ? '' : reason });
  for (const p of peers) console.log(`${p.impl} ${p.threads} thr: ${Number.isFinite(p.ms) ? p.ms.toFixed(3) + ' ms' : '-'} ${p.note ?? ''}`);
}
console.log(JSON.stringify({ bench: 'mlp_train', torch1, torch1Runs: torch1Runs.map((r) => r.ms), rows: rows.map(({ runs, ...r }) => r), peers }));
