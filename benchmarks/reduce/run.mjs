// Reductions on the wasm backend: leading-, middle- and last-axis sums, means, max and argmax of
// the shapes a Transformer training step reduces (bias and layer-norm gradients over [B*S]),
// plus strided views. Prints the median µs per call after warm-up.
// Usage: node benchmarks/reduce/run.mjs [--reps 200]
import { performance } from 'node:perf_hooks';
import * as torch from 'torchlet';

const argv = process.argv.slice(2);
const reps = argv.includes('--reps') ? Number(argv[argv.indexOf('--reps') + 1]) : 200;
const median = (a) => {
  const s = [...a].sort((x, y) => x - y);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const time = (fn) => {
  for (let i = 0; i < 20; i++) fn();
  const ts = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    fn();
    ts.push(performance.now() - t0);
  }
  return median(ts) * 1000;
};

await torch.setBackend('wasm');
torch.manualSeed(0);
const x2 = torch.randn([1024, 512]);
const x3 = torch.randn([16, 64, 128]);
const xt = torch.randn([512, 1024]).t(); // [1024, 512], transposed
const xs = torch.randn([1024, 1024]).slice(1, 0, null, 2); // [1024, 512], every other column
const cases = [
  ['sum dim 0        [1024,512]', () => x2.sum({ dim: 0 })],
  ['sum dim 1        [1024,512]', () => x2.sum({ dim: 1 })],
  ['sum dims [0,1]   [16,64,128]', () => x3.sum({ dim: [0, 1] })],
  ['sum dim 1        [16,64,128]', () => x3.sum({ dim: 1 })],
  ['sum dim 2        [16,64,128]', () => x3.sum({ dim: 2 })],
  ['mean dim 0       [1024,512]', () => x2.mean({ dim: 0 })],
  ['mean dim 1       [1024,512]', () => x2.mean({ dim: 1 })],
  ['max dim 0        [1024,512]', () => x2.amax({ dim: 0 })],
  ['max dim 1        [1024,512]', () => x2.amax({ dim: 1 })],
  ['prod dim 0       [1024,512]', () => x2.prod({ dim: 0 })],
  ['argmax dim 0     [1024,512]', () => x2.argmax({ dim: 0 })],
  ['argmax dim 1     [1024,512]', () => x2.argmax({ dim: 1 })],
  ['sum dim 0 transposed [1024,512]', () => xt.sum({ dim: 0 })],
  ['sum dim 0 stepped    [1024,512]', () => xs.sum({ dim: 0 })],
  ['sum dim 1 stepped    [1024,512]', () => xs.sum({ dim: 1 })],
];
// A first pass over every case lets V8 tier the kernels up (Liftoff -> TurboFan) before timing.
for (const [, f] of cases) for (let i = 0; i < 50; i++) torch.tidy(() => { f().dataSync(); });
for (const [name, f] of cases) {
  const us = time(() => torch.tidy(() => { f().dataSync(); }));
  console.log(`${name.padEnd(34)} ${us.toFixed(1).padStart(8)} µs`);
}
