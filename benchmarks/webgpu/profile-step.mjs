// Where a training step's time goes on torchlet's WebGPU backend: counts of GPU API calls
// (dispatches, submits, buffers, bind groups, shader modules, pipelines, mapAsync, bytes copied)
// and backend ops, per phase (forward, backward, optimizer step, loss readback), after warm-up.
// Counts include tfjs's calls on the shared device (matmul). SwiftShader is a CPU emulator:
// trust the counts more than the times.
//
//   VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json node benchmarks/webgpu/profile-step.mjs [--model mlp|encoder] [--steps 5]
import { performance } from 'node:perf_hooks';
import { create, globals } from 'webgpu';

const argv = process.argv.slice(2);
const arg = (name, def) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : def;
};
const modelName = arg('model', 'mlp');
const steps = Number(arg('steps', 5));
const sync = argv.includes('--sync');

for (const [k, v] of Object.entries(globals)) if (!(k in globalThis)) globalThis[k] = v;
const gpu = create([]);
const torch = await import('torchlet');
await import('@torchlet/backend-webgpu');
const backend = await torch.setBackend('webgpu', { gpu });
const device = backend.device;

// ---- counters -----------------------------------------------------------------------------------
const c = {};
const bump = (k, n = 1) => (c[k] = (c[k] ?? 0) + n);
const wrap = (obj, name, key, extra) => {
  const f = obj[name];
  obj[name] = function (...args) {
    bump(key);
    extra?.(...args);
    return f.apply(this, args);
  };
};
wrap(device, 'createBuffer', 'createBuffer', (d) => bump('createBufferBytes', d.size));
wrap(device, 'createShaderModule', 'createShaderModule');
wrap(device, 'createComputePipeline', 'createComputePipeline');
wrap(device, 'createBindGroup', 'createBindGroup');
wrap(device, 'createCommandEncoder', 'createCommandEncoder');
wrap(device.queue, 'submit', 'submit');
wrap(device.queue, 'writeBuffer', 'writeBuffer');
const GB = Object.getPrototypeOf(device.createBuffer({ size: 4, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST }));
wrap(GB, 'mapAsync', 'mapAsync');
const enc0 = device.createCommandEncoder();
const CE = Object.getPrototypeOf(enc0);
wrap(CE, 'copyBufferToBuffer', 'copyBufferToBuffer', (_s, _so, _d, _do, n) => bump('bytesCopied', n));
wrap(CE, 'beginComputePass', 'computePass');
const pass0 = enc0.beginComputePass();
wrap(Object.getPrototypeOf(pass0), 'dispatchWorkgroups', 'dispatch');
pass0.end();
enc0.finish();
// Backend ops (torchlet's side), by op name.
for (const op of ['unary', 'binary', 'where', 'copy', 'fill', 'reduce', 'matmul', 'gather', 'scatterAdd', 'random', 'read', 'write', 'alloc', 'free']) {
  const f = backend[op];
  backend[op] = function (...args) {
    bump(`op.${op}${op === 'unary' || op === 'binary' || op === 'reduce' ? `.${args[0]}` : ''}`);
    return f.apply(this, args);
  };
}
for (const op of Object.keys(backend.fused)) {
  const f = backend.fused[op];
  backend.fused[op] = (...args) => (bump(`op.fused.${op}`), f(...args));
}

// ---- the model ----------------------------------------------------------------------------------
torch.manualSeed(0);
let model, opt, forward;
if (modelName === 'mlp') {
  const { nn, optim } = torch;
  model = new nn.Sequential(new nn.Linear(784, 128), new nn.ReLU(), new nn.Linear(128, 64), new nn.ReLU(), new nn.Linear(64, 10));
  opt = new optim.SGD(model.parameters(), { lr: 0.01, momentum: 0.9 });
  const crit = new nn.CrossEntropyLoss();
  const x = torch.randn([64, 784]);
  const y = torch.randint(0, 10, [64]);
  forward = () => crit.forward(model.forward(x), y);
} else {
  const seq = 16, batch = 4, dModel = 64, nhead = 4, ff = 128;
  model = new torch.TransformerEncoderLayer(dModel, nhead, { dimFeedforward: ff, dropout: 0 });
  opt = new torch.optim.Adam(model.parameters(), { lr: 1e-3 });
  const x = torch.randn([seq, batch, dModel]);
  forward = () => model.forward(x).square().mean();
}

const phases = ['forward', 'backward', 'step', 'read'];
async function step(record) {
  const snap = () => ({ ...c });
  const marks = [];
  const t = [];
  // --sync: wait for the GPU after each phase, so each phase's time includes its GPU work.
  const settle = async () => {
    if (!sync) return;
    backend.flush();
    await device.queue.onSubmittedWorkDone();
  };
  const mark = () => { marks.push(snap()); t.push(performance.now()); };
  mark();
  opt.zeroGrad();
  const l = forward();
  await settle();
  mark();
  l.backward();
  await settle();
  mark();
  opt.step();
  await settle();
  mark();
  await l.item();
  mark();
  l.dispose();
  if (!record) return null;
  return phases.map((p, i) => {
    const d = {};
    for (const k of new Set([...Object.keys(marks[i + 1]), ...Object.keys(marks[i])])) {
      const v = (marks[i + 1][k] ?? 0) - (marks[i][k] ?? 0);
      if (v) d[k] = v;
    }
    return { phase: p, ms: t[i + 1] - t[i], counts: d };
  });
}

await step(false);
await step(false);
const runs = [];
for (let i = 0; i < steps; i++) runs.push(await step(true));
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
console.log(`model ${modelName}; after 2 warm-up steps; median ms of ${steps} steps; counts of the last step`);
let total = 0;
for (let p = 0; p < phases.length; p++) {
  const ms = median(runs.map((r) => r[p].ms));
  total += ms;
  const last = runs[runs.length - 1][p].counts;
  console.log(`\n${phases[p].padEnd(9)} ${ms.toFixed(1).padStart(8)} ms`);
  for (const [k, v] of Object.entries(last).sort()) console.log(`  ${k.padEnd(28)} ${v}`);
}
console.log(`\ntotal ${total.toFixed(1)} ms per step`);
backend.destroy();
process.exit(0);
