// The MNIST MLP of examples/mnist-mlp, trained in the page: 784-128-64-10, cross-entropy, Adam,
// on the digits embedded in @torchlet/datasets (one 1.6 MB file, fetched on "Train").
// window.__demo exposes the state to the Playwright test (test/run-demo.mjs).
import * as torch from 'torchlet';
// Named imports of the namespaces (not `const { nn } = torch`) keep the bundle tree-shakable.
import { nn, optim, F } from 'torchlet';
import { embeddedMNISTArrays, EMBEDDED_MNIST_SIZE } from '@torchlet/datasets/mnist-embedded';
import * as webgpu from 'virtual:torchlet-webgpu';
import { drawChart, drawDigit } from './chart.js';
import { toMNIST } from './preprocess.js';

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
if (params.has('train')) $('n-train').value = params.get('train');
if (params.has('epochs')) $('epochs').value = params.get('epochs');

const TEST = 1000;            // held-out digits: the last 1,000 of the embedded order
const BATCH = 32;
const MEAN = 0.1307, STD = 0.3081;   // MNIST's, as in PyTorch's example
const state = (window.__demo = { backend: null, trained: false, training: false, accuracy: null, epochs: [], confusion: null, drawn: null, error: null });
const status = (text) => ($('status').textContent = text);

let model = null;
let data = null;

function newModel() {
  model?.parameters().forEach((p) => p.dispose());
  torch.manualSeed(0);
  model = new nn.Sequential(new nn.Linear(784, 128), new nn.ReLU(), new nn.Linear(128, 64), new nn.ReLU(), new nn.Linear(64, 10));
}

// --- Backends: WASM always; WebGPU when the package is in the build and an adapter exists. ---
async function webgpuAvailability() {
  if (!webgpu.packaged) return webgpu.reason;
  if (!('gpu' in navigator)) return 'this browser has no WebGPU (navigator.gpu is missing)';
  const adapter = await navigator.gpu.requestAdapter().catch(() => null);
  if (!adapter) return 'navigator.gpu.requestAdapter() returned no adapter';
  try {
    await webgpu.load();
  } catch (e) {
    return `@torchlet/backend-webgpu failed to load: ${e.message}`;
  }
  return torch.listBackends().includes('webgpu') ? '' : '@torchlet/backend-webgpu did not register a backend';
}

async function useBackend(name) {
  await torch.setBackend(name);
  state.backend = torch.getBackendName();
  newModel();   // tensors live on one backend: a switch starts a fresh model
  state.trained = false;
  state.accuracy = null;
}

// --- Data: host arrays; batches are uploaded as they are needed. ---
async function loadData() {
  status('loading the embedded digits (1.6 MB)...');
  const t0 = performance.now();
  const { images, labels } = await embeddedMNISTArrays();
  status(`loaded ${EMBEDDED_MNIST_SIZE} digits in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  return { images, labels };
}

function batch(indices) {
  const x = new Float32Array(indices.length * 784);
  const y = new Int32Array(indices.length);
  indices.forEach((j, i) => {
    x.set(data.images.subarray(j * 784, (j + 1) * 784), i * 784);
    y[i] = data.labels[j];
  });
  return [torch.fromArray(x, [indices.length, 784]), torch.fromArray(y, [indices.length], { dtype: 'int32' })];
}

const normalize = (x) => x.sub(MEAN).div(STD);
const testIndices = () => Array.from({ length: TEST }, (_, i) => EMBEDDED_MNIST_SIZE - TEST + i);

/** Held-out accuracy and the predictions, without recording gradients. */
async function evaluate() {
  const [x, y] = batch(testIndices());
  const pred = torch.tidy(() => torch.noGrad(() => model.forward(normalize(x)).argmax({ dim: 1 })));
  const p = await pred.data();
  const labels = await y.data();
  for (const t of [x, y, pred]) t.dispose();
  let correct = 0;
  for (let i = 0; i < p.length; i++) if (p[i] === labels[i]) correct++;
  return { accuracy: correct / p.length, predictions: p };
}

/** The 10x10 confusion matrix (rows: true digit, columns: prediction), drawn as a table shaded by share of its row. */
function showConfusion(predictions) {
  const m = Array.from({ length: 10 }, () => new Array(10).fill(0));
  predictions.forEach((p, i) => m[data.labels[EMBEDDED_MNIST_SIZE - TEST + i]][p]++);
  const table = $('confusion');
  const head = document.createElement('tr');
  head.append(document.createElement('th'), ...m.map((_, c) => Object.assign(document.createElement('th'), { textContent: `${c}` })));
  const rows = m.map((row, r) => {
    const tr = document.createElement('tr');
    const total = row.reduce((a, b) => a + b, 0) || 1;
    tr.append(Object.assign(document.createElement('th'), { textContent: `${r}` }));
    for (let c = 0; c < 10; c++) {
      const td = Object.assign(document.createElement('td'), { textContent: row[c] ? `${row[c]}` : '' });
      const share = row[c] / total;
      td.style.background = r === c ? `rgba(34, 102, 170, ${share})` : `rgba(204, 51, 51, ${Math.min(1, share * 4)})`;
      if (r === c) td.className = 'diag';
      tr.append(td);
    }
    return tr;
  });
  table.replaceChildren(head, ...rows);
  state.confusion = m;
}

function showSamples(predictions) {
  const box = $('samples');
  box.replaceChildren();
  for (let i = 0; i < 24; i++) {
    const j = EMBEDDED_MNIST_SIZE - TEST + i;
    const div = document.createElement('div');
    const ok = predictions[i] === data.labels[j];
    div.className = `sample ${ok ? 'right' : 'wrong'}`;
    const c = document.createElement('canvas');
    c.width = c.height = 56;
    drawDigit(c, data.images.subarray(j * 784, (j + 1) * 784));
    div.append(c, `${predictions[i]}${ok ? '' : ` (${data.labels[j]})`}`);
    box.append(div);
  }
}

async function train() {
  if (state.training) return;
  state.training = true;
  $('train').disabled = $('backend').disabled = true;
  try {
    data ??= await loadData();
    newModel();
    const nTrain = Math.min(Number($('n-train').value), EMBEDDED_MNIST_SIZE - TEST);
    const epochs = Number($('epochs').value);
    const opt = new optim.Adam(model.parameters(), { lr: 1e-3 });
    const stepsPerEpoch = Math.ceil(nTrain / BATCH);
    const chart = { losses: [], accuracies: [], totalSteps: stepsPerEpoch * epochs };
    state.epochs = [];
    drawChart($('chart'), chart);
    const t0 = performance.now();
    let step = 0;
    for (let epoch = 1; epoch <= epochs; epoch++) {
      const order = Array.from(new torch.datasets.Rng(epoch).permutation(nTrain));
      let lossSum = 0, n = 0;
      for (let b = 0; b < nTrain; b += BATCH) {
        const [x, y] = batch(order.slice(b, b + BATCH));
        const loss = torch.tidy(() => {
          opt.zeroGrad();
          const l = F.crossEntropy(model.forward(normalize(x)), y);
          l.backward();
          opt.step();
          return l.detach();
        });
        lossSum += await loss.item();
        n++;
        for (const t of [x, y, loss]) t.dispose();
        step++;
        if (step % 10 === 0) {
          chart.losses.push({ step, value: lossSum / n });
          lossSum = n = 0;
          drawChart($('chart'), chart);
          status(`epoch ${epoch}/${epochs}, step ${step}/${chart.totalSteps}, backend ${state.backend}`);
          await new Promise((r) => setTimeout(r, 0));   // let the page paint
        }
      }
      const { accuracy, predictions } = await evaluate();
      chart.accuracies.push({ step, value: accuracy });
      state.epochs.push(accuracy);
      state.accuracy = accuracy;
      drawChart($('chart'), chart);
      showSamples(predictions);
      if (epoch === epochs) showConfusion(predictions);
    }
    const seconds = (performance.now() - t0) / 1000;
    state.trained = true;
    status(`trained on ${nTrain} digits for ${epochs} epochs in ${seconds.toFixed(1)} s on ${state.backend}: ` +
      `held-out accuracy ${(state.accuracy * 100).toFixed(1)}% on ${TEST} digits. Draw a digit on the black pad.`);
  } catch (e) {
    state.error = String(e?.stack ?? e);
    status(`error: ${e.message}`);
    throw e;
  } finally {
    state.training = false;
    $('train').disabled = false;
    $('backend').disabled = false;
  }
}

// --- The drawing pad: pointer events cover mouse, pen and touch. ---
const pad = $('pad');
const pctx = pad.getContext('2d');
function clearPad() {
  pctx.fillStyle = '#000';
  pctx.fillRect(0, 0, pad.width, pad.height);
  $('pad-small').getContext('2d').clearRect(0, 0, 56, 56);
  $('drawn-prediction').textContent = '';
  $('probs').replaceChildren();
  state.drawn = null;
}
clearPad();
let last = null;
const at = (e) => {
  const r = pad.getBoundingClientRect();
  return [((e.clientX - r.left) * pad.width) / r.width, ((e.clientY - r.top) * pad.height) / r.height];
};
pad.addEventListener('pointerdown', (e) => {
  pad.setPointerCapture(e.pointerId);
  last = at(e);
});
pad.addEventListener('pointermove', (e) => {
  if (!last) return;
  const p = at(e);
  pctx.strokeStyle = '#fff';
  pctx.lineWidth = 20;
  pctx.lineCap = pctx.lineJoin = 'round';
  pctx.beginPath();
  pctx.moveTo(...last);
  pctx.lineTo(...p);
  pctx.stroke();
  last = p;
});
const finish = () => {
  if (!last) return;
  last = null;
  classify();
};
pad.addEventListener('pointerup', finish);
pad.addEventListener('pointercancel', finish);
$('clear').addEventListener('click', clearPad);

async function classify() {
  const pixels = toMNIST(pad);
  if (!pixels) return;
  drawDigit($('pad-small'), pixels);
  if (!model) return;
  const x = torch.fromArray(pixels, [1, 784]);
  const probs = torch.tidy(() => torch.noGrad(() => F.softmax(model.forward(normalize(x)), 1)));
  const p = Array.from(await probs.data());
  x.dispose();
  probs.dispose();
  const best = p.indexOf(Math.max(...p));
  state.drawn = { label: best, probability: p[best] };
  $('drawn-prediction').textContent = state.trained ? String(best) : `${best}?`;
  $('probs').replaceChildren(...p.flatMap((v, d) => {
    const bar = document.createElement('div');
    bar.className = 'bar';
    bar.style.width = `${(v * 100).toFixed(1)}%`;
    const label = document.createElement('span');
    label.textContent = String(d);
    const value = document.createElement('span');
    value.textContent = `${(v * 100).toFixed(1)}%`;
    return [label, bar, value];
  }));
}

// --- Start-up. ---
$('train').addEventListener('click', () => train().catch(() => {}));
$('backend').addEventListener('change', async (e) => {
  status(`switching to ${e.target.value}...`);
  try {
    await useBackend(e.target.value);
    status(`backend ${state.backend}: press Train`);
  } catch (err) {
    status(`could not use ${e.target.value}: ${err.message}`);
  }
});

const why = await webgpuAvailability();
const gpuOption = $('backend').querySelector('option[value=webgpu]');
state.webgpu = why === '' ? 'available' : why;
if (why !== '') {
  gpuOption.disabled = true;
  gpuOption.textContent = 'WebGPU (unavailable)';
  $('backend-note').textContent = `WebGPU is disabled: ${why}.`;
}
await useBackend(params.get('backend') ?? 'wasm');
$('backend').value = state.backend;
state.ready = true;
