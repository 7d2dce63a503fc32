// int8 vs float32 Linear on torchlet's wasm backend, in one Node process:
//   float32: nn.Linear.forward under noGrad (the cache-blocked f32x4 matmul + bias add)
//   int8:    nn.quantizeDynamic -> QuantizedLinear.forward (fused.int8Linear: per-call activation
//            quantisation, i32x4.dot_i16x8_s with int32 accumulation, dequantise + bias)
// Each repetition includes the forward and dataSync() of the result, then dispose(); the figure
// is the median of the timed repetitions after warm-up. Batch 64 by default.
// Usage: node benchmarks/quant/run.mjs [--batch 64] [--shapes 784x128,1024x1024] [--reps 50]
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

await torch.setBackend('wasm');
torch.manualSeed(0);
const { nn } = torch;

const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
function time(fn) {
  for (let i = 0; i < 5; i++) fn();
  const ts = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    fn();
    ts.push(performance.now() - t0);
  }
  return median(ts);
}

const backend = torch.getBackend();
console.log(`torchlet wasm backend (${backend.variant ?? 'simd'} build), batch ${batch}, median of ${reps} runs, one thread`);
console.log('| Linear (in x out) | float32 ms | int8 ms | speed-up | float32 GFLOP/s | int8 GOP/s | max abs diff | weight bytes f32 -> int8 |');
console.log('|---|---|---|---|---|---|---|---|');
for (const [K, N] of shapes) {
  const lin = new nn.Linear(K, N);
  const x = torch.randn([batch, K]);
  const floatMs = time(() => {
    const y = torch.noGrad(() => lin.forward(x));
    y.dataSync();
    y.dispose();
  });
  const yf = torch.noGrad(() => lin.forward(x));
  const q = await nn.quantizeDynamic(lin);
  const int8Ms = time(() => {
    const y = q.forward(x);
    y.dataSync();
    y.dispose();
  });
  const yq = q.forward(x);
  const a = yf.dataSync(), b = yq.dataSync();
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff = Math.max(diff, Math.abs(a[i] - b[i]));
  const flops = 2 * batch * K * N;
  console.log(`| ${K} x ${N} | ${floatMs.toFixed(3)} | ${int8Ms.toFixed(3)} | ${(floatMs / int8Ms).toFixed(2)}x | ${(flops / floatMs / 1e6).toFixed(1)} | ${(flops / int8Ms / 1e6).toFixed(1)} | ${diff.toExponential(2)} | ${4 * K * N} -> ${K * N} |`);
  for (const t of [x, yf, yq]) t.dispose();
  q.dispose();
}
