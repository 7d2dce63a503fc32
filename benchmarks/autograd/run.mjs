// Autograd overhead, in one Node process: the seed MLP 784-128-64-10 (ReLU, softmax
// cross-entropy, batch 64), forward alone vs forward + backward, for torchlet (wasm backend) and
// for TensorFlow.js 4.22 on its wasm backend (XNNPACK, one thread) with tf.variableGrads.
// Prints ms per call (median after warm-up) and the ratios:
//   overhead = (forward + backward) / forward, for each library,
//   torchlet / tfjs for forward + backward.
// Usage: node benchmarks/autograd/run.mjs [--steps 200] [--warmup 20]
import { createRequire } from 'node:module';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import * as torch from 'torchlet';

const require = createRequire(import.meta.url);
const argv = process.argv.slice(2);
const arg = (name, def) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? Number(argv[i + 1]) : def;
};
const STEPS = arg('steps', 200);
const WARMUP = arg('warmup', 20);
const B = 64, SIZES = [784, 128, 64, 10];

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
function msPerCall(fn) {
  for (let i = 0; i < WARMUP; i++) fn();
  const ts = [];
  for (let i = 0; i < STEPS; i++) {
    const t0 = performance.now();
    fn();
    ts.push(performance.now() - t0);
  }
  return median(ts);
}

// ---- torchlet ----
await torch.setBackend('wasm');
torch.manualSeed(0);
const params = [];
for (let i = 0; i < 3; i++) {
  const bound = 1 / Math.sqrt(SIZES[i]);
  params.push({
    w: torch.rand([SIZES[i + 1], SIZES[i]]).mul(2 * bound).sub(bound).requiresGrad_(),
    b: torch.rand([SIZES[i + 1]]).mul(2 * bound).sub(bound).requiresGrad_(),
  });
}
const x = torch.randn([B, 784]);
const labels = torch.randint(0, 10, [B]);
const forward = () => {
  let h = x;
  params.forEach((p, i) => {
    h = torch.linear(h, p.w, p.b);
    if (i < 2) h = h.relu();
  });
  return torch.F.crossEntropy(h, labels);
};
const torchFwd = msPerCall(() => {
  const loss = torch.tidy(() => torch.noGrad(forward));
  loss.dataSync();
  loss.dispose();
});
const torchFwdBwd = msPerCall(() => {
  const loss = torch.tidy(() => {
    const l = forward();
    l.backward();
    return l.detach();
  });
  loss.dataSync();
  loss.dispose();
  for (const p of params) for (const t of [p.w, p.b]) {
    t.grad?.dispose();
    t.grad = null;
  }
});

// ---- TensorFlow.js, wasm backend ----
const tf = require('@tensorflow/tfjs');
const wasm = require('@tensorflow/tfjs-backend-wasm');
wasm.setWasmPaths(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm')) + path.sep);
await tf.setBackend('wasm');
await tf.ready();
const tparams = [];
for (let i = 0; i < 3; i++) {
  const bound = 1 / Math.sqrt(SIZES[i]);
  tparams.push({
    w: tf.variable(tf.randomUniform([SIZES[i], SIZES[i + 1]], -bound, bound)),
    b: tf.variable(tf.randomUniform([SIZES[i + 1]], -bound, bound)),
  });
}
const tx = tf.randomNormal([B, 784]);
const ty = tf.oneHot(tf.randomUniform([B], 0, 10, 'int32'), 10);
const tfLoss = () => {
  let h = tx;
  tparams.forEach((p, i) => {
    h = tf.fused.matMul({ a: h, b: p.w, bias: p.b, activation: i < 2 ? 'relu' : 'linear' });
  });
  return tf.losses.softmaxCrossEntropy(ty, h);
};
const tfFwd = msPerCall(() => {
  const l = tf.tidy(tfLoss);
  l.dataSync();
  l.dispose();
});
const tfFwdBwd = msPerCall(() => {
  const { value, grads } = tf.variableGrads(tfLoss);
  value.dataSync();
  value.dispose();
  tf.dispose(grads);
});

const rows = [
  ['torchlet-wasm', torchFwd, torchFwdBwd],
  [`tfjs-wasm ${tf.version_core}`, tfFwd, tfFwdBwd],
];
console.log(`MLP 784-128-64-10, batch ${B}, median of ${STEPS} calls after ${WARMUP} warm-up (ms)`);
console.log('library              forward   fwd+bwd   overhead (fwd+bwd / fwd)');
for (const [name, f, fb] of rows) {
  console.log(`${name.padEnd(20)} ${f.toFixed(3).padStart(7)}   ${fb.toFixed(3).padStart(7)}   ${(fb / f).toFixed(2)}x`);
}
console.log(`torchlet / tfjs, forward + backward: ${(torchFwdBwd / tfFwdBwd).toFixed(2)}x the time (${(tfFwdBwd / torchFwdBwd).toFixed(2)}x faster)`);
console.log(JSON.stringify({ bench: 'autograd_mlp', torchFwd, torchFwdBwd, tfFwd, tfFwdBwd }));
