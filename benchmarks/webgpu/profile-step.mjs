// Where a training step's time goes on torchlet's WebGPU backend: counts of GPU API calls
// (dispatches, submits, buffers, bind groups, shader modules, pipelines, mapAsync, bytes copied)
// and backend ops, per phase (forward, backward, optimizer step, loss readback), after warm-up.
// Counts include tfjs's calls on the shared device (matmul). SwiftShader is a CPU emulator:
// trust the counts more than the times. `--compiled` runs the step through torch.compile (one
// phase, 'step': a replay is not split into forward and backward). `--by-kernel` also prints,
// for the last step, the dispatches grouped by the backend call that made them (op, shapes,
// strides; a fused program by its size), largest group first, and with `--sequence` in order.
//
//   VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json node benchmarks/webgpu/profile-step.mjs [--model mlp|encoder] [--steps 5] [--compiled] [--by-kernel] [--sequence]
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
const compiled = argv.includes('--compiled');
const byKernel = argv.includes('--by-kernel') || argv.includes('--sequence');

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

// ---- dispatches by kernel: a label per backend call, the dispatches it records counted under it --
const labels = [];
const sequence = [];
const shape = (v) => `${v.shape.join('x') || '[]'}${v.strides.length ? `[${v.strides.join(',')}]` : ''}`;
const label = (obj, name, make) => {
  const f = obj[name];
  if (typeof f !== 'function') return;
  obj[name] = function (...args) {
    labels.push(make(args));
    try {
      return f.apply(this, args);
    } finally {
      labels.pop();
    }
  };
};
if (byKernel) {
  label(backend, 'unary', (a) => `unary ${a[0]} ${shape(a[1])}`);
  label(backend, 'binary', (a) => `binary ${a[0]} ${shape(a[1])} ${shape(a[2])}`);
  label(backend, 'where', (a) => `where ${shape(a[3])}`);
  label(backend, 'copy', (a) => `copy ${shape(a[0])} -> ${shape(a[1])}`);
  label(backend, 'fill', (a) => `fill ${shape(a[0])}`);
  label(backend, 'reduce', (a) => `reduce ${a[0]} ${shape(a[1])} over [${a[2]}]`);
  label(backend, 'matmul', (a) => `matmul ${shape(a[0])} @ ${shape(a[1])}`);
  for (const op of ['gather', 'scatterAdd', 'random']) label(backend, op, () => op);
  for (const op of Object.keys(backend.fused)) {
    label(backend.fused, op, (a) => (op === 'elementwise' ? `fused program (${a[0].instrs.length} instructions) ${a[2][0].shape.join('x') || '[]'}` : `fused ${op}`));
  }
  // The backend's one dispatch path, and tfjs's (its matmuls).
  const dispatch = backend.dispatch;
  backend.dispatch = function (...args) {
    sequence.push(labels.at(-1) ?? '(internal)');
    return dispatch.apply(this, args);
  };
  const tfjsDispatch = backend.tfjs.onDispatch;
  backend.tfjs.onDispatch = () => {
    sequence.push(`${labels.at(-1) ?? '?'} (tfjs)`);
    tfjsDispatch();
  };
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
// Compiled: the whole step (zeroGrad, forward, backward, optimizer step) is one traced function.
const compiledStep = compiled
  ? torch.compile(() => {
    opt.zeroGrad();
    const l = forward();
    l.backward();
    opt.step();
    return l.detach();
  })
  : null;

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
  sequence.length = 0;
  let l;
  if (compiledStep) {
    // All of it in the 'step' phase: a replay is one call.
    mark();
    mark();
    l = compiledStep();
    await settle();
    mark();
  } else {
    opt.zeroGrad();
    l = forward();
    await settle();
    mark();
    l.backward();
    await settle();
    mark();
    opt.step();
    await settle();
    mark();
  }
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

// Warm-up: shader compiles, and for a compiled step its eager call and its trace.
for (let i = 0; i < (compiled ? 3 : 2); i++) await step(false);
const runs = [];
for (let i = 0; i < steps; i++) runs.push(await step(true));
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
console.log(`model ${modelName}${compiled ? ', compiled' : ''}; after 2 warm-up steps; median ms of ${steps} steps; counts of the last step`);
let total = 0;
for (let p = 0; p < phases.length; p++) {
  const ms = median(runs.map((r) => r[p].ms));
  total += ms;
  const last = runs[runs.length - 1][p].counts;
  console.log(`\n${phases[p].padEnd(9)} ${ms.toFixed(1).padStart(8)} ms`);
  for (const [k, v] of Object.entries(last).sort()) console.log(`  ${k.padEnd(28)} ${v}`);
}
console.log(`\ntotal ${total.toFixed(1)} ms per step`);
if (byKernel) {
  const groups = new Map();
  for (const k of sequence) groups.set(k, (groups.get(k) ?? 0) + 1);
  console.log(`\ndispatches of the last step by kernel (${sequence.length}):`);
  for (const [k, n] of [...groups].sort((a, b) => b[1] - a[1])) console.log(`${String(n).padStart(5)}  ${k}`);
  if (argv.includes('--sequence')) {
    console.log('\nin order:');
    sequence.forEach((k, i) => console.log(`${String(i).padStart(5)}  ${k}`));
  }
}
backend.destroy();
process.exit(0);
