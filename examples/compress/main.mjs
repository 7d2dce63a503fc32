// Model compression on the MNIST MLP (examples/mnist-mlp's recipe: 784-128-64-10, 8,000 embedded
// digits, Normalize(0.1307, 0.3081), SGD lr 0.01 momentum 0.9, batch 32, 10 epochs), then:
//  - global unstructured L1 pruning to 50 / 80 / 90 % of the Linear weights, one fine-tuning
//    epoch each (the masks stay applied while fine-tuning), then prune.remove;
//  - dynamic int8 quantisation (nn.quantizeDynamic) and float16 weight storage;
//  - a 784-32-10 student trained from labels only, and distilled from the MLP (same seed, epochs).
// One table: parameters, bytes on disk (safetensors), held-out accuracy, inference ms per batch.
// Usage: node examples/compress/main.mjs [--epochs 10] [--finetune 1] [--backend wasm] [--help]
import { performance } from 'node:perf_hooks';
import * as torch from 'torchlet';
import { DataLoader } from '@torchlet/datasets';
import { embeddedMNIST } from '@torchlet/datasets/mnist-embedded';
import { parseArgs } from '../common/util.mjs';

import { nn, optim } from 'torchlet';
const { prune } = nn.utils;
const o = parseArgs({ epochs: 10, finetune: 1, backend: 'wasm', train: 8000 }, {
  about: 'Model compression on the MNIST MLP: L1 pruning with fine-tuning, int8 quantisation, float16 storage, and a distilled student; one table.',
  help: { epochs: 'training epochs of the MLP and the students', finetune: 'fine-tuning epochs after each pruning', backend: 'backend name (wasm)', train: 'training digits (2,000 more are held out)' },
});
const { epochs, finetune } = o;
const seed = 0;
await torch.setBackend(o.backend);

const { train, test } = await embeddedMNIST({ train: o.train, test: 2000, flatten: true });
const testLoader = new DataLoader(test, { batchSize: 500 });
const normalize = (x) => x.sub(0.1307).div(0.3081);
const trainLoader = () => new DataLoader(train, { batchSize: 32, shuffle: true, seed });
const mlp = () => new nn.Sequential(new nn.Linear(784, 128), new nn.ReLU(), new nn.Linear(128, 64), new nn.ReLU(), new nn.Linear(64, 10));
const student = () => new nn.Sequential(new nn.Linear(784, 32), new nn.ReLU(), new nn.Linear(32, 10));

async function fit(model, n) {
  const opt = new optim.SGD(model.parameters(), { lr: 0.01, momentum: 0.9 });
  const criterion = new nn.CrossEntropyLoss();
  model.train();
  const loader = trainLoader();
  for (let e = 0; e < n; e++) {
    for await (const [x, y] of loader) {
      torch.tidy(() => {
        opt.zeroGrad();
        criterion.forward(model.forward(normalize(x)), y).backward();
        opt.step();
      });
      x.dispose();
      y.dispose();
    }
  }
}

/** Held-out accuracy (%) and the median inference time of a 500-digit batch (ms; 15 runs after 3 warm-up ones). */
async function evaluate(model) {
  model.eval();
  let correct = 0;
  let timed = null;
  for await (const [x, y] of testLoader) {
    const xn = normalize(x);
    const hits = torch.tidy(() => torch.noGrad(() => model.forward(xn)).argmax({ dim: 1 }).eq(y).sum());
    correct += await hits.item();
    hits.dispose();
    if (timed === null) timed = torch.keep(xn); // kept past the loader's step scopes (freed below)
    else xn.dispose();
    x.dispose();
    y.dispose();
  }
  const times = [];
  for (let i = 0; i < 18; i++) {
    const t0 = performance.now();
    const logits = torch.noGrad(() => model.forward(timed));
    logits.dataSync();
    if (i >= 3) times.push(performance.now() - t0);
    logits.dispose();
  }
  timed.dispose();
  times.sort((a, b) => a - b);
  return { acc: (100 * correct) / test.length, ms: times[times.length >> 1] };
}

const rows = [];
async function report(name, model, { params, bytes }) {
  const { acc, ms } = await evaluate(model);
  rows.push({ name, params, bytes, acc, ms });
  console.log(`  ${name}: ${acc.toFixed(2)} %`);
}
const countParams = (m) => m.parameters().reduce((a, p) => a + p.numel(), 0);
const diskBytes = async (m) => (await nn.saveSafetensors(m.stateDict())).byteLength;
const copyOf = (m) => {
  const c = mlp();
  c.loadStateDict(m.stateDict());
  return c;
};

const t0 = performance.now();
torch.manualSeed(seed);
const base = mlp();
console.log(`training the 784-128-64-10 MLP (${epochs} epochs) ...`);
await fit(base, epochs);
const floatBytes = await diskBytes(base);
await report('float32 MLP', base, { params: countParams(base), bytes: floatBytes });
const floatAcc = rows[0].acc;

for (const amount of [0.5, 0.8, 0.9]) {
  const m = copyOf(base);
  const layers = [0, 2, 4].map((i) => [m.at(i), 'weight']);
  prune.globalUnstructured(layers, { amount });
  await fit(m, finetune);
  const sparsity = prune.sparsityReport(m).at(-1);
  for (const [layer, name] of layers) prune.remove(layer, name);
  const nonzero = countParams(m) - sparsity.zeros;
  // Dense safetensors (no sparse format here): the bytes equal the float model's.
  await report(`pruned ${amount * 100}% + ${finetune} epoch fine-tune`, m, { params: `${nonzero} nonzero`, bytes: await diskBytes(m) });
}

for (const dtype of ['int8', 'float16']) {
  const m = copyOf(base);
  await nn.quantizeDynamic(m, { dtype });
  await report(`dynamic ${dtype}`, m, { params: countParams(base), bytes: (await nn.saveQuantized(m)).byteLength });
}

torch.manualSeed(seed + 1);
const plain = student();
const init = plain.stateDict();
console.log(`training the 784-32-10 student from labels (${epochs} epochs) ...`);
await fit(plain, epochs);
await report('student 784-32-10 (labels only)', plain, { params: countParams(plain), bytes: await diskBytes(plain) });
const distilled = student();
torch.manualSeed(seed + 1);
distilled.loadStateDict(init); // the same initial weights
console.log(`distilling the student from the MLP (${epochs} epochs, T = 4, alpha = 0.9) ...`);
await nn.distill({
  student: distilled, teacher: base, loader: trainLoader(),
  optimizer: new optim.SGD(distilled.parameters(), { lr: 0.01, momentum: 0.9 }), epochs, prepare: normalize, temperature: 4, alpha: 0.9,
});
await report('student 784-32-10 (distilled)', distilled, { params: countParams(distilled), bytes: await diskBytes(distilled) });

console.log(`\n| variant | parameters | bytes on disk | held-out accuracy | ms / batch of 500 |`);
console.log('|---|---|---|---|---|');
for (const r of rows) console.log(`| ${r.name} | ${r.params} | ${r.bytes} (${((100 * r.bytes) / floatBytes).toFixed(1)} %) | ${r.acc.toFixed(2)} % (${(r.acc - floatAcc >= 0 ? '+' : '') + (r.acc - floatAcc).toFixed(2)}) | ${r.ms.toFixed(2)} |`);
console.log(`\ntotal ${((performance.now() - t0) / 1000).toFixed(0)} s`);
