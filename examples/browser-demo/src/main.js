// The MNIST MLP of examples/mnist-mlp, trained on the digits embedded in @torchlet/datasets (one
// 1.6 MB file, fetched on "Train") in a Web Worker: train.worker.js runs the loop
// (torch.serveTraining), this page starts it with torch.trainInWorker and draws its progress
// reports, so the page stays responsive while it trains. The trained weights come back as one
// safetensors file, and the page classifies what is drawn on the pad with them.
// window.__demo exposes the state to the Playwright test (test/run-demo.mjs).
import * as torch from 'torchlet';
// Named imports of the namespaces (not `const { nn } = torch`) keep the bundle tree-shakable.
import { nn, F } from 'torchlet';
import { embeddedMNISTArrays, EMBEDDED_MNIST_SIZE } from '@torchlet/datasets/mnist-embedded';
import * as webgpu from 'virtual:torchlet-webgpu';
import { drawChart, drawDigit } from './chart.js';
import { toMNIST } from './preprocess.js';
import { TEST, newModel as createModel, normalize } from './model.js';

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
if (params.has('train')) $('n-train').value = params.get('train');
if (params.has('epochs')) $('epochs').value = params.get('epochs');

const state = (window.__demo = {
  backend: null, trained: false, training: false, accuracy: null, epochs: [], confusion: null, drawn: null, error: null,
  // How the page's own thread fared during the last training run (test/run-demo.mjs checks it).
  responsiveness: null,
});
const status = (text) => ($('status').textContent = text);

let model = null;
let data = null;

function newModel() {
  model?.parameters().forEach((p) => p.dispose());
  model = createModel();
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

/**
 * Watches the page's thread while training runs in the worker: a 50 ms timer's ticks (how many,
 * the longest gap between two) and requestAnimationFrame's frames.
 */
function watchResponsiveness() {
  const t0 = performance.now();
  let last = t0, ticks = 0, maxGapMs = 0, frames = 0, raf = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    maxGapMs = Math.max(maxGapMs, now - last);
    last = now;
    ticks++;
  }, 50);
  const frame = () => {
    frames++;
    raf = requestAnimationFrame(frame);
  };
  raf = requestAnimationFrame(frame);
  return () => {
    clearInterval(timer);
    cancelAnimationFrame(raf);
    const seconds = (performance.now() - t0) / 1000;
    return { seconds, ticks, maxGapMs: Math.max(maxGapMs, performance.now() - last), frames };
  };
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
  const stopWatching = watchResponsiveness();
  try {
    status('loading the embedded digits (1.6 MB)...');
    data ??= await embeddedMNISTArrays();   // the page's copy, for the samples and the confusion matrix
    const nTrain = Math.min(Number($('n-train').value), EMBEDDED_MNIST_SIZE - TEST);
    const epochs = Number($('epochs').value);
    const chart = { losses: [], accuracies: [], totalSteps: 1 };
    state.epochs = [];
    drawChart($('chart'), chart);
    const t0 = performance.now();
    // Vite bundles the worker because it sees `new Worker(new URL(...), { type: 'module' })` here.
    const worker = new Worker(new URL('./train.worker.js', import.meta.url), { type: 'module' });
    const run = torch.trainInWorker(worker, { config: { backend: state.backend, nTrain, epochs } });
    for await (const p of run) {
      if (p.metrics?.totalSteps !== undefined) chart.totalSteps = p.metrics.totalSteps;
      if (p.loss !== undefined) chart.losses.push({ step: p.step, value: p.loss });
      if (p.metrics?.accuracy !== undefined) {
        chart.accuracies.push({ step: p.step, value: p.metrics.accuracy });
        state.epochs.push(p.metrics.accuracy);
        state.accuracy = p.metrics.accuracy;
      }
      drawChart($('chart'), chart);
      status(`epoch ${Math.max(1, p.epoch ?? 1)}/${epochs}, step ${p.step}/${chart.totalSteps}, backend ${state.backend} (in a Web Worker)`);
    }
    const result = await run.result;
    if (result.backend !== state.backend) throw new Error(`the worker trained on ${result.backend}, the page is on ${state.backend}`);
    // The trained weights, into the page's model (on the page's backend) for the drawing pad.
    newModel();
    const weights = nn.loadSafetensors(result.weights);
    model.loadStateDict(weights);
    for (const t of Object.values(weights)) t.dispose();
    state.accuracy = result.accuracy;
    showSamples(result.predictions);
    showConfusion(result.predictions);
    const seconds = (performance.now() - t0) / 1000;
    state.trained = true;
    status(`trained on ${nTrain} digits for ${epochs} epochs in ${seconds.toFixed(1)} s on ${state.backend}, in a Web Worker: ` +
      `held-out accuracy ${(state.accuracy * 100).toFixed(1)}% on ${TEST} digits. Draw a digit on the black pad.`);
  } catch (e) {
    state.error = String(e?.stack ?? e);
    status(`error: ${e.message}`);
    throw e;
  } finally {
    state.responsiveness = stopWatching();
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
