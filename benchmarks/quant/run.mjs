// int8 vs float32 Linear on torchlet's wasm (default) or WebGPU backend, in one Node process:
//   float32: nn.Linear.forward under noGrad (wasm: the cache-blocked f32x4 matmul + bias add;
//            webgpu: tfjs-backend-webgpu's matmul + a WGSL bias add)
//   int8:    nn.quantizeDynamic -> QuantizedLinear.forward (fused.int8Linear: per-call activation
//            quantisation, int8 dot products with int32 accumulation, dequantise + bias; wasm:
//            i32x4.dot_i16x8_s, webgpu: the three WGSL passes of backend-webgpu/src/quant.ts)
// Each repetition includes the forward and the read of the result (dataSync() on wasm, await
// data() on webgpu), then dispose(); the figure is the median of the timed repetitions after
// warm-up. Batch 64 by default.
// Usage: node benchmarks/quant/run.mjs [--backend wasm|webgpu] [--batch 64] [--shapes 784x128,1024x1024] [--reps 50]
// WebGPU without a GPU: VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json (SwiftShader
// emulates the GPU on the CPU: its figures say little about a real GPU; use small --reps).
import { performance } from 'node:perf_hooks';
import * as torch from 'torchlet';

const argv = process.argv.slice(2);
const arg = (name, def) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : def;
};
const batch = Number(arg('batch', '64'));
const shapes = arg('shapes', '784x128,1024x1024').split(',').map((s) => s.split('x').map(Number));
const reps = Number(arg('reps', '50'));
const backendName = arg('backend', 'wasm');

if (backendName === 'webgpu') await import('@torchlet/backend-webgpu');
await torch.setBackend(backendName);
torch.manualSeed(0);
const { nn } = torch;

const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
/** ms of `forward()` plus reading its result: dataSync() on wasm (no promise timed), await data() elsewhere. */
async function time(forward) {
  const once = backendName === 'wasm'
    ? () => { const y = forward(); y.dataSync(); y.dispose(); }
    : async () => { const y = forward(); await y.data(); y.dispose(); };
  for (let i = 0; i < 5; i++) await once();
  const ts = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    const pending = once();
    if (pending) await pending;
    ts.push(performance.now() - t0);
  }
  return median(ts);
}

const backend = torch.getBackend();
console.log(backendName === 'wasm'
  ? `torchlet wasm backend (${backend.variant ?? 'simd'} build), batch ${batch}, median of ${reps} runs, one thread`
  : `torchlet ${backendName} backend, batch ${batch}, median of ${reps} runs`);
console.log('| Linear (in x out) | float32 ms | int8 ms | speed-up | float32 GFLOP/s | int8 GOP/s | max abs diff | weight bytes f32 -> int8 |');
console.log('|---|---|---|---|---|---|---|---|');
for (const [K, N] of shapes) {
  const lin = new nn.Linear(K, N);
  const x = torch.randn([batch, K]);
  const floatMs = await time(() => torch.noGrad(() => lin.forward(x)));
  const yf = torch.noGrad(() => lin.forward(x));
  const q = await nn.quantizeDynamic(lin);
  const int8Ms = await time(() => q.forward(x));
  const yq = q.forward(x);
  const a = await yf.data(), b = await yq.data();
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff = Math.max(diff, Math.abs(a[i] - b[i]));
  const flops = 2 * batch * K * N;
  console.log(`| ${K} x ${N} | ${floatMs.toFixed(3)} | ${int8Ms.toFixed(3)} | ${(floatMs / int8Ms).toFixed(2)}x | ${(flops / floatMs / 1e6).toFixed(1)} | ${(flops / int8Ms / 1e6).toFixed(1)} | ${diff.toExponential(2)} | ${4 * K * N} -> ${K * N} |`);
  for (const t of [x, yf, yq]) t.dispose();
  q.dispose();
}
