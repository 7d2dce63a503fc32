// torchlet's WebGPU backend vs @tensorflow/tfjs-backend-webgpu 4.22.0 used directly, in one Node
// process on one kind of device (two GPUDevices from the same adapter: torchlet's, and tfjs's own
// 'webgpu' backend). Prints ms per call (median of samples) and the ratio torchlet/tfjs.
//
//  - matmul n x n (float32): torchlet `a.matmul(b)` vs `tf.matMul(a, b)`. Each sample runs `reps`
//    calls and reads the last result back (`await data()`), on both sides, so queue submission and
//    one readback are included. torchlet runs tfjs's matmul program on its own buffers and copies
//    the result into its output (one GPU copy); that copy and the zero-copy tensor wrapping are
//    the expected overhead.
//  - Training steps, one step + reading the loss per call, each beside the same workload in tfjs:
//    TransformerEncoderLayer (post-norm, ReLU, no dropout, Adam, loss = mean(y^2)): torchlet's
//    module + autograd + optim.Adam vs the same layer written with tfjs ops and
//    tf.train.adam().minimize; the MNIST MLP (784-128-64-10, ReLU, CrossEntropyLoss, SGD with
//    momentum 0.9, batch 64) vs tf.train.momentum().minimize. torchlet runs each step eagerly and,
//    where `torch.compile` exists, compiled; the three are timed in interleaved rounds (eager,
//    compiled, tfjs, then again), so load on a shared machine falls on all alike. Per step it prints the backend's counters
//    (`backend.counters()`, averaged over the timed steps after warm-up): dispatches (tfjs's
//    matmuls included), command-buffer submissions and GPU buffer creations. The counts hold on
//    any adapter, SwiftShader included; the times on SwiftShader are a CPU emulator's.
//
// Usage (Node; without a GPU point Vulkan at SwiftShader, which is slow: keep sizes small):
//   VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json pnpm run bench:webgpu
// On a machine with a real GPU (Linux + NVIDIA/AMD Vulkan driver, macOS Metal, Windows D3D12) run
// it without VK_ICD_FILENAMES, and larger sizes make sense:
//   node benchmarks/webgpu/run.mjs --sizes 128,256,512,1024,2048 --seq 128 --batch 16 --d-model 256 --nhead 8 --ff 1024
// Options: --sizes 128,256,512  --reps 5  --samples 5  --seq 16 --batch 4 --d-model 64 --nhead 4 --ff 128
//          --mlp-batch 64  --skip-transformer  --skip-mlp  --skip-matmul
import { performance } from 'node:perf_hooks';
import { create, globals } from 'webgpu';

const argv = process.argv.slice(2);
const arg = (name, def) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : def;
};
const sizes = arg('sizes', '128,256,512').split(',').map(Number);
const reps = Number(arg('reps', 5));
const samples = Number(arg('samples', 5));
const seq = Number(arg('seq', 16)), batch = Number(arg('batch', 4));
const dModel = Number(arg('d-model', 64)), nhead = Number(arg('nhead', 4)), ff = Number(arg('ff', 128));
const mlpBatch = Number(arg('mlp-batch', 64));
const skip = (what) => argv.includes(`--skip-${what}`);

// tfjs-backend-webgpu reads navigator.gpu and the GPU* constants at import time.
for (const [k, v] of Object.entries(globals)) if (!(k in globalThis)) globalThis[k] = v;
const gpu = create([]);
if (typeof navigator === 'undefined') globalThis.navigator = { gpu };
else if (!navigator.gpu) Object.defineProperty(navigator, 'gpu', { value: gpu, configurable: true });

const torch = await import('torchlet');
await import('@torchlet/backend-webgpu');
// The umbrella package: tfjs-core's Node build registers no gradients (tf.train.adam needs them).
const tf = await import('@tensorflow/tfjs');
await import('@tensorflow/tfjs-backend-webgpu');

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
/** ms per call: warm-up samples (shader compiles; a compiled step traces on its second call), then the median of `samples`. */
async function time(sample, n, warmup = 2, afterWarmup = () => {}) {
  for (let i = 0; i < warmup; i++) await sample();
  afterWarmup();
  const xs = [];
  for (let i = 0; i < samples; i++) {
    const t0 = performance.now();
    await sample();
    xs.push((performance.now() - t0) / n);
  }
  return median(xs);
}

const results = [];
const report = (name, a, b) => {
  results.push({ name, torchlet: a, tfjs: b, ratio: a / b });
  console.log(`${name.padEnd(34)} torchlet ${a.toFixed(2).padStart(9)} ms   tfjs ${b.toFixed(2).padStart(9)} ms   torchlet/tfjs ${(a / b).toFixed(2)}`);
};

// ---- torchlet: matmul ---------------------------------------------------------------------------
await torch.setBackend('webgpu', { gpu });
const adapterInfo = (await gpu.requestAdapter())?.info;
console.log(`adapter: ${adapterInfo ? [adapterInfo.vendor, adapterInfo.architecture, adapterInfo.device, adapterInfo.description].filter(Boolean).join(' / ') : 'unknown'}`);
console.log(`matmul: ${reps} calls + 1 readback per sample, median of ${samples} samples\n`);
const ours = {};
for (const n of skip('matmul') ? [] : sizes) {
  torch.manualSeed(0);
  const a = torch.randn([n, n]), b = torch.randn([n, n]);
  ours[n] = await time(async () => {
    let c;
    for (let i = 0; i < reps; i++) {
      c?.dispose();
      c = a.matmul(b);
    }
    await c.data();
    c.dispose();
  }, reps);
  a.dispose();
  b.dispose();
}

// ---- torchlet: training steps, eager and compiled -----------------------------------------------
const backend = torch.getBackend();
const hasCompile = typeof torch.compile === 'function';
/**
 * The modes of `makeStep()` (a step function returning the loss, no value reads inside): eager
 * and, when torch.compile exists, compiled, each as a sampler for {@link interleave} that adds the
 * backend's counters of its timed steps to `counts`.
 */
function torchletStep(makeStep) {
  const out = {};
  for (const mode of hasCompile ? ['eager', 'compiled'] : ['eager']) {
    torch.manualSeed(0);
    const stepFn = makeStep();
    const run = mode === 'compiled' ? torch.compile(stepFn) : stepFn;
    const counts = { dispatches: 0, submits: 0, bufferCreations: 0, bindGroups: 0 };
    out[mode] = {
      warmup: mode === 'compiled' ? 6 : 4, // a compiled step traces on its second call
      counts,
      sample: async (record) => {
        backend.resetCounters();
        const loss = run();
        await loss.item();
        loss.dispose();
        if (record) {
          const c = backend.counters();
          for (const k of Object.keys(counts)) counts[k] += c[k];
        }
      },
    };
  }
  return out;
}

/**
 * Times several samplers of one workload in rounds: after their warm-ups, each round runs every
 * sampler once, in turn, so a change of load on a shared machine falls on all of them alike (the
 * torchlet/tfjs ratio is what these figures are for). Returns the median ms per sampler.
 */
async function interleave(samplers) {
  for (const m of Object.values(samplers)) {
    for (let i = 0; i < m.warmup; i++) {
      await m.before?.();
      await m.sample(false);
    }
  }
  const xs = Object.fromEntries(Object.keys(samplers).map((k) => [k, []]));
  for (let r = 0; r < samples; r++) {
    for (const [k, m] of Object.entries(samplers)) {
      await m.before?.();
      const t0 = performance.now();
      await m.sample(true);
      xs[k].push(performance.now() - t0);
    }
  }
  return Object.fromEntries(Object.entries(xs).map(([k, v]) => [k, median(v)]));
}

/** Times a workload's torchlet modes and its tfjs step (`sample`) interleaved, and prints its rows. */
async function compareStep(name, ours, sample) {
  const ms = await interleave({ ...ours, tfjs: { warmup: 2, before: () => tf.setBackend('webgpu'), sample } });
  const rows = {};
  for (const [mode, m] of Object.entries(ours)) {
    rows[mode] = { ms: ms[mode], ...Object.fromEntries(Object.entries(m.counts).map(([k, v]) => [k, v / samples])) };
  }
  reportStep(name, rows, ms.tfjs);
}
const steps = {};
if (!skip('transformer')) {
  steps.transformer = torchletStep(() => {
    const layer = new torch.TransformerEncoderLayer(dModel, nhead, { dimFeedforward: ff, dropout: 0 });
    const opt = new torch.optim.Adam(layer.parameters(), { lr: 1e-3 });
    const x = torch.keep(torch.randn([seq, batch, dModel]));
    return () => {
      opt.zeroGrad();
      const l = layer.forward(x).square().mean();
      l.backward();
      opt.step();
      return l.detach();
    };
  });
}
if (!skip('mlp')) {
  steps.mlp = torchletStep(() => {
    const { nn, optim } = torch;
    const model = new nn.Sequential(new nn.Linear(784, 128), new nn.ReLU(), new nn.Linear(128, 64), new nn.ReLU(), new nn.Linear(64, 10));
    const opt = new optim.SGD(model.parameters(), { lr: 0.01, momentum: 0.9 });
    const crit = new nn.CrossEntropyLoss();
    const x = torch.keep(torch.randn([mlpBatch, 784]));
    const y = torch.keep(torch.randint(0, 10, [mlpBatch]));
    return () => {
      opt.zeroGrad();
      const l = crit.forward(model.forward(x), y);
      l.backward();
      opt.step();
      return l.detach();
    };
  });
}

// ---- tfjs-backend-webgpu directly ----------------------------------------------------------------
if (!(await tf.setBackend('webgpu'))) throw new Error('tfjs: setBackend(webgpu) failed');
for (const n of skip('matmul') ? [] : sizes) {
  const a = tf.randomNormal([n, n]), b = tf.randomNormal([n, n]);
  const theirs = await time(async () => {
    let c;
    for (let i = 0; i < reps; i++) {
      c?.dispose();
      c = tf.matMul(a, b);
    }
    await c.data();
    c.dispose();
  }, reps);
  a.dispose();
  b.dispose();
  report(`matmul ${n}x${n}`, ours[n], theirs);
}

/** Prints a training step's row: torchlet eager (and compiled) beside tfjs, with counts per step. */
const reportStep = (name, ours, theirs) => {
  const counts = (r) => `${r.dispatches.toFixed(0)} dispatches, ${r.submits.toFixed(1)} submits, ${r.bufferCreations.toFixed(1)} buffers created, ${r.bindGroups.toFixed(0)} bind groups`;
  console.log(`\n${name}   tfjs ${theirs.toFixed(2)} ms`);
  for (const mode of ['eager', 'compiled']) {
    const r = ours[mode];
    if (!r) continue;
    console.log(`  torchlet ${mode.padEnd(8)} ${r.ms.toFixed(2).padStart(9)} ms  x${(r.ms / theirs).toFixed(2)} of tfjs   per step: ${counts(r)}`);
    results.push({ name: `${name} ${mode}`, torchlet: r.ms, tfjs: theirs, ratio: r.ms / theirs, ...r });
  }
  if (ours.compiled) {
    const e = ours.eager, c = ours.compiled;
    console.log(`  compiled/eager: dispatches ${(c.dispatches / e.dispatches).toFixed(2)}, time ${(c.ms / e.ms).toFixed(2)}`);
  } else console.log('  (no torch.compile in this build: eager only)');
};

if (steps.transformer) {
  await tf.setBackend('webgpu'); // its variables live on tfjs's own backend
  const hd = dModel / nhead;
  const w = (r, c) => tf.variable(tf.randomUniform([r, c], -1 / Math.sqrt(r), 1 / Math.sqrt(r)));
  const bias = (c) => tf.variable(tf.zeros([c]));
  const P = {
    inW: w(dModel, 3 * dModel), inB: bias(3 * dModel), outW: w(dModel, dModel), outB: bias(dModel),
    g1: tf.variable(tf.ones([dModel])), b1: bias(dModel), g2: tf.variable(tf.ones([dModel])), b2: bias(dModel),
    w1: w(dModel, ff), c1: bias(ff), w2: w(ff, dModel), c2: bias(dModel),
  };
  // tfjs-core alone registers no chained ops (x.matMul): everything is written as tf.op(x, ...).
  const layerNorm = (x, g, b) => {
    const { mean, variance } = tf.moments(x, -1, true);
    return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, 1e-5))), g), b);
  };
  const linear = (x, W, b) => tf.add(tf.matMul(x, W), b);
  const x = tf.randomNormal([seq * batch, dModel]); // rows in (seq, batch) order
  const forward = () => {
    const qkv = linear(x, P.inW, P.inB); // [seq*batch, 3d]
    // [seq, batch, 3, heads, hd] -> q/k/v [batch, heads, seq, hd]
    const r = tf.transpose(tf.reshape(qkv, [seq, batch, 3, nhead, hd]), [2, 1, 3, 0, 4]);
    const [q, k, v] = tf.unstack(r, 0);
    const att = tf.softmax(tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(hd)), -1);
    const o = tf.reshape(tf.transpose(tf.matMul(att, v), [2, 0, 1, 3]), [seq * batch, dModel]); // [seq, batch, heads, hd]
    const h = layerNorm(tf.add(x, linear(o, P.outW, P.outB)), P.g1, P.b1);
    const f = linear(tf.relu(linear(h, P.w1, P.c1)), P.w2, P.c2);
    const y = layerNorm(tf.add(h, f), P.g2, P.b2);
    return tf.mean(tf.square(y));
  };
  const adam = tf.train.adam(1e-3);
  await compareStep(`TransformerEncoderLayer step (${seq}x${batch}x${dModel}, ${nhead} heads, ff ${ff})`, steps.transformer, async () => {
    const loss = adam.minimize(forward, true);
    await loss.data();
    loss.dispose();
  });
}

if (steps.mlp) {
  await tf.setBackend('webgpu');
  const w = (r, c) => tf.variable(tf.randomUniform([r, c], -1 / Math.sqrt(r), 1 / Math.sqrt(r)));
  const bias = (c) => tf.variable(tf.zeros([c]));
  const P = { w1: w(784, 128), b1: bias(128), w2: w(128, 64), b2: bias(64), w3: w(64, 10), b3: bias(10) };
  const x = tf.randomNormal([mlpBatch, 784]);
  const labels = tf.oneHot(tf.randomUniform([mlpBatch], 0, 10, 'int32'), 10);
  const linear = (h, W, b) => tf.add(tf.matMul(h, W), b);
  const forward = () => {
    const h1 = tf.relu(linear(x, P.w1, P.b1));
    const h2 = tf.relu(linear(h1, P.w2, P.b2));
    return tf.losses.softmaxCrossEntropy(labels, linear(h2, P.w3, P.b3));
  };
  const sgd = tf.train.momentum(0.01, 0.9);
  await compareStep(`MLP step (784-128-64-10, batch ${mlpBatch}, SGD momentum)`, steps.mlp, async () => {
    const loss = sgd.minimize(forward, true);
    await loss.data();
    loss.dispose();
  });
}

if (process.env.BENCH_JSON) console.log(JSON.stringify(results));
process.exit(0);
