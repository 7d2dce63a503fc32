// How the thread pool splits each of the Transformer step's products, and what it gains: one
// process holds a one-thread and an 'auto' backend; every product of the step (as floor.mjs
// records them) is replayed on both in alternating rounds, keeping each one's minimum (load on a
// shared machine only ever adds time). Prints per product: shape, one-thread and 'auto' minima,
// the speedup, and the time lost against a perfect split (auto - one / threads).
// Usage: node benchmarks/profile/pool-split.mjs [--variant relaxed|simd] [--rounds 30]
import { performance } from 'node:perf_hooks';
import * as torch from 'torchlet';
import { createWasmBackend } from '@torchlet/backend-wasm';
import { productReplay, recordProducts } from '../floor.mjs';
import { transformerWorkload } from '../steps.mjs';

const argv = process.argv.slice(2);
const get = (name, def) => (argv.includes(`--${name}`) ? argv[argv.indexOf(`--${name}`) + 1] : def);
const variant = get('variant', 'relaxed'), rounds = Number(get('rounds', 30));

const bes = {};
for (const [name, threads] of [['auto', 'auto'], ['one', 1]]) {
  torch.registerBackend(`pool-split-${name}`, () => createWasmBackend({ variant, threads }));
  bes[name] = await torch.setBackend(`pool-split-${name}`);
}
const { step } = transformerWorkload();
const products = recordProducts(bes.one, () => torch.tidy(step).dispose());
const replays = {};
for (const name of ['one', 'auto']) replays[name] = products.map((p) => productReplay(bes[name], [p]));
const min = { one: products.map(() => Infinity), auto: products.map(() => Infinity) };
const sum = { one: 0, auto: 0 };
for (let r = 0; r < rounds; r++) {
  for (const name of ['one', 'auto']) {
    const t0 = performance.now();
    replays[name].forEach((rep, i) => {
      const t = performance.now();
      rep.once();
      min[name][i] = Math.min(min[name][i], performance.now() - t);
    });
    if (r >= 3) sum[name] += performance.now() - t0;
  }
}
const T = bes.auto.threads;
console.log(`Transformer step products, wasm ${variant}, 'auto' = ${T} threads, minima over ${rounds} rounds`);
let s1 = 0, s2 = 0;
products.forEach((p, i) => {
  const a = min.one[i], b = min.auto[i];
  s1 += a;
  s2 += b;
  const desc = `${p.a.shape.join('x')} @ ${p.b.shape.join('x')} (a strides ${p.a.strides}, b strides ${p.b.strides})`;
  console.log(`${String(i).padStart(2)} one ${a.toFixed(3)}  auto ${b.toFixed(3)}  ${(a / b).toFixed(2)}x  lost ${(b - a / T).toFixed(3)}  ${desc}`);
});
console.log(`sum of minima: one ${s1.toFixed(2)} ms, auto ${s2.toFixed(2)} ms (${(s1 / s2).toFixed(2)}x); mean replay: one ${(sum.one / (rounds - 3)).toFixed(2)}, auto ${(sum.auto / (rounds - 3)).toFixed(2)}`);
for (const name of ['one', 'auto']) for (const r of replays[name]) r.free();
