// A short tour of torchlet on the WebAssembly backend: tensors, views, broadcasting, reductions,
// and a 1024x1024 matmul checked element by element against plain JavaScript, with its speed.
// Run from the repository root: `pnpm run demo` (builds the packages first).
import * as torch from 'torchlet';
import { parseArgs } from '../common/util.mjs';

parseArgs({}, { about: 'A short tour of torchlet on the wasm backend: tensors, views, broadcasting, reductions, and a 1024x1024 matmul checked against plain JavaScript.' });
await torch.setBackend('wasm');
torch.manualSeed(0);

console.log('torchlet demo on the', torch.getBackendName(), 'backend\n');

const start = torch.memory();

// Everything created inside tidy() is disposed when it returns, except what it returns.
torch.tidy(() => {
  // Tensors and views: reshape, transpose and slicing share memory; contiguous() copies.
  const x = torch.arange(12).reshape([3, 4]).float();
  console.log('x =', x.toString());
  console.log('x.t() =', x.t().toString());
  console.log('x[:, ::2] =', x.slice(1, 0, null, 2).toString());

  // Broadcasting and type promotion as in PyTorch.
  const col = torch.tensor([[1], [2], [3]], { dtype: 'int32' });
  const y = x.mul(col).add(0.5);
  console.log('x * [[1],[2],[3]] + 0.5 =', y.toString());

  // Reductions and a softmax written out from primitives.
  const logits = torch.randn([2, 5]);
  const probs = torch.tidy(() => {
    const z = logits.sub(logits.max({ dim: 1, keepdim: true }).values).exp();
    return z.div(z.sum({ dim: 1, keepdim: true }));
  });
  console.log('softmax(randn(2, 5)) =', probs.toString());
  console.log('row sums =', probs.sum({ dim: 1 }).toString());
  const [values, indices] = probs.max({ dim: 1 });
  console.log('max over dim 1 =', values.toString(), 'at', indices.toString());
});

// A 1024 x 1024 matmul: speed, then every element checked against plain JS (float64 sums).
const n = 1024;
const a = torch.randn([n, n]);
const b = torch.randn([n, n]);
a.matmul(b).dispose(); // warm-up
const times = [];
let c;
for (let rep = 0; rep < 5; rep++) {
  c?.dispose();
  const t0 = performance.now();
  c = a.matmul(b);
  c.dataSync(); // include the readback a user would do
  times.push(performance.now() - t0);
}
times.sort((p, q) => p - q);
const ms = times[2];
const gflops = (2 * n ** 3) / (ms * 1e6);

const A = a.dataSync(), B = b.dataSync(), C = c.dataSync();
const row = new Float64Array(n);
let maxErr = 0, maxRel = 0;
for (let i = 0; i < n; i++) {
  row.fill(0);
  for (let k = 0; k < n; k++) {
    const aik = A[i * n + k];
    const off = k * n;
    for (let j = 0; j < n; j++) row[j] += aik * B[off + j];
  }
  for (let j = 0; j < n; j++) {
    const err = Math.abs(C[i * n + j] - row[j]);
    maxErr = Math.max(maxErr, err);
    maxRel = Math.max(maxRel, err / (Math.abs(row[j]) + 1));
  }
}
// float32 sums of 1024 products of N(0,1) numbers: errors of a few 1e-5 are expected.
const ok = maxRel < 1e-4;
console.log(`\nmatmul ${n}x${n}: ${ms.toFixed(1)} ms (median of 5), ${gflops.toFixed(1)} GFLOP/s`);
console.log(`checked against plain JS: max abs error ${maxErr.toExponential(2)}, max relative ${maxRel.toExponential(2)} -> ${ok ? 'OK' : 'MISMATCH'}`);

for (const t of [a, b, c]) t.dispose();
const mem = torch.memory();
console.log(`live tensors: ${mem.tensors} (${start.tensors} at the start), ${mem.bytes} bytes`);
if (!ok) process.exit(1);
