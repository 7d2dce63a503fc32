// torchlet's WebGPU backend vs @tensorflow/tfjs-backend-webgpu 4.22.0 used directly, in one Node
// process on one kind of device (two GPUDevices from the same adapter: torchlet's, and tfjs's own
// 'webgpu' backend). Prints ms per call (median of samples) and the ratio torchlet/tfjs.
//
//  - matmul n x n (float32): torchlet `a.matmul(b)` vs `tf.matMul(a, b)`. Each sample runs `reps`
//    calls and reads the last result back (`await data()`), on both sides, so queue submission and
//    one readback are included. torchlet runs tfjs's matmul program on its own buffers and copies
//    the result into its output (one GPU copy); that copy and the zero-copy tensor wrapping are
//    the expected overhead.
//  - TransformerEncoderLayer training step (post-norm, ReLU, no dropout, Adam, loss = mean(y^2)):
//    torchlet's module + autograd + optim.Adam vs the same layer written with tfjs ops and
//    tf.train.adam().minimize. One step + reading the loss per call.
//
// Usage (Node; without a GPU point Vulkan at SwiftShader, which is slow: keep sizes small):
//   VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json pnpm run bench:webgpu
// On a machine with a real GPU (Linux + NVIDIA/AMD Vulkan driver, macOS Metal, Windows D3D12) run
// it without VK_ICD_FILENAMES, and larger sizes make sense:
//   node benchmarks/webgpu/run.mjs --sizes 128,256,512,1024,2048 --seq 128 --batch 16 --d-model 256 --nhead 8 --ff 1024
// Options: --sizes 128,256,512  --reps 5  --samples 5  --seq 16 --batch 4 --d-model 64 --nhead 4 --ff 128  --skip-transformer
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
/** ms per call: two warm-up samples (shader compiles), then the median of `samples`. */
async function time(sample, n) {
  await sample();
  await sample();
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
for (const n of sizes) {
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

// ---- torchlet: TransformerEncoderLayer training step ---------------------------------------------
let oursLayer;
if (!argv.includes('--skip-transformer')) {
  torch.manualSeed(0);
  const layer = new torch.TransformerEncoderLayer(dModel, nhead, { dimFeedforward: ff, dropout: 0 });
  const opt = new torch.optim.Adam(layer.parameters(), { lr: 1e-3 });
  const x = torch.randn([seq, batch, dModel]);
  oursLayer = await time(async () => {
    const loss = torch.tidy(() => {
      opt.zeroGrad();
      const l = layer.forward(x).square().mean();
      l.backward();
      opt.step();
      return l.detach();
    });
    await loss.item();
    loss.dispose();
  }, 1);
}

// ---- tfjs-backend-webgpu directly ----------------------------------------------------------------
if (!(await tf.setBackend('webgpu'))) throw new Error('tfjs: setBackend(webgpu) failed');
for (const n of sizes) {
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

if (oursLayer !== undefined) {
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
  const theirs = await time(async () => {
    const loss = adam.minimize(forward, true);
    await loss.data();
    loss.dispose();
  }, 1);
  report(`TransformerEncoderLayer step (${seq}x${batch}x${dModel}, ${nhead} heads, ff ${ff})`, oursLayer, theirs);
}

if (process.env.BENCH_JSON) console.log(JSON.stringify(results));
process.exit(0);
