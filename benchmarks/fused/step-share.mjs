// How much of a compiled training step the fused element-wise programs take, with the modules
// generated per program (the default) and with the interpreter (`generatedKernels: false`): the
// Transformer layer step of benchmarks/transformer and the seed MLP step of benchmarks/mlp,
// compiled, on one thread. Times are process CPU time (process.cpuUsage), which a loaded machine
// inflates less than the wall clock; the two kernels alternate step by step, so load hits both alike.
// Usage: node benchmarks/fused/step-share.mjs [--steps 30]
import * as torch from 'torchlet';
import { createWasmBackend } from '@torchlet/backend-wasm';

const argv = process.argv.slice(2);
const steps = argv.includes('--steps') ? Number(argv[argv.indexOf('--steps') + 1]) : 30;
const { optim, F, nn } = torch;
const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

function transformer() {
  torch.manualSeed(0);
  const layer = new torch.TransformerEncoderLayer(128, 4, { dimFeedforward: 512, dropout: 0, batchFirst: true });
  const adam = new optim.Adam(layer.parameters(), { lr: 1e-3 });
  const x = torch.keep(torch.randn([16, 64, 128]));
  const target = torch.keep(torch.randn([16, 64, 128]));
  return () => {
    adam.zeroGrad();
    const l = F.mseLoss(layer.forward(x), target);
    l.backward();
    adam.step();
    return l.detach();
  };
}

function mlp() {
  torch.manualSeed(0);
  const net = new nn.Sequential(new nn.Linear(784, 128), new nn.ReLU(), new nn.Linear(128, 64), new nn.ReLU(), new nn.Linear(64, 10));
  const sgd = new optim.SGD(net.parameters(), { lr: 0.01, momentum: 0.9 });
  const x = torch.keep(torch.randn([64, 784]));
  const y = torch.keep(torch.randint(0, 10, [64]));
  return () => {
    sgd.zeroGrad();
    const l = F.crossEntropy(net.forward(x), y);
    l.backward();
    sgd.step();
    return l.detach();
  };
}

const setups = [];
for (const generated of [true, false]) {
  const name = `share-${generated}`;
  torch.registerBackend(name, () => createWasmBackend({ variant: 'simd', threads: 1, generatedKernels: generated }));
  const be = await torch.setBackend(name);
  await be.loadGeneratedKernels();
  const inner = be.fused.elementwise;
  const acc = { ms: 0, calls: 0 };
  be.fused.elementwise = (p, i, o) => {
    const t0 = cpu();
    inner(p, i, o);
    acc.ms += cpu() - t0;
    acc.calls++;
  };
  for (const [wname, make] of [['Transformer step', transformer], ['MLP step', mlp]]) {
    const step = torch.compile(make());
    const run = () => {
      const l = step();
      l.dataSync();
      l.dispose();
    };
    for (let i = 0; i < 5; i++) run();
    setups.push({ generated, wname, be: name, run, acc, total: 0, fused: 0, calls: 0 });
  }
}
for (let s = 0; s < steps; s++) {
  for (const u of setups) {
    await torch.setBackend(u.be);
    u.acc.ms = 0;
    u.acc.calls = 0;
    const t0 = cpu();
    u.run();
    u.total += cpu() - t0;
    u.fused += u.acc.ms;
    u.calls += u.acc.calls;
  }
}
console.log(`compiled steps, one thread, CPU ms per step (mean of ${steps}); fused = inside fused.elementwise`);
for (const u of setups) {
  console.log(`${u.wname.padEnd(18)} ${(u.generated ? 'generated' : 'interpreter').padEnd(12)} step ${(u.total / steps).toFixed(2).padStart(8)}  fused ${(u.fused / steps).toFixed(2).padStart(7)}  (${u.calls / steps} fused programs a step)`);
}
