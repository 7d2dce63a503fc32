// The demo's training loop, in a module Web Worker (torch.serveTraining), so the page stays
// responsive while it trains. The page starts it with torch.trainInWorker (main.js), follows its
// progress reports (the loss every 10 steps, the held-out accuracy every epoch) and gets back the
// held-out predictions and the trained weights as one safetensors file.
import * as torch from 'torchlet';
import { nn, optim, F } from 'torchlet';
import { embeddedMNISTArrays, EMBEDDED_MNIST_SIZE } from '@torchlet/datasets/mnist-embedded';
import * as webgpu from 'virtual:torchlet-webgpu';
import { BATCH, TEST, batch, newModel, normalize, testIndices } from './model.js';

/** Held-out accuracy and the predictions, without recording gradients. */
async function evaluate(model, data) {
  const [x, y] = batch(data, testIndices(EMBEDDED_MNIST_SIZE));
  const pred = torch.tidy(() => torch.noGrad(() => model.forward(normalize(x)).argmax({ dim: 1 })));
  const p = await pred.data();
  const labels = await y.data();
  for (const t of [x, y, pred]) t.dispose();
  let correct = 0;
  for (let i = 0; i < p.length; i++) if (p[i] === labels[i]) correct++;
  return { accuracy: correct / p.length, predictions: Array.from(p) };
}

torch.serveTraining(async (ctx) => {
  const { backend, nTrain, epochs } = ctx.config;
  if (backend === 'webgpu') await webgpu.load();
  await torch.setBackend(backend);
  const t0 = performance.now();
  const data = await embeddedMNISTArrays();
  const loadSeconds = (performance.now() - t0) / 1000;
  const n = Math.min(nTrain, EMBEDDED_MNIST_SIZE - TEST);
  const model = newModel();
  const optimizer = new optim.Adam(model.parameters(), { lr: 1e-3 });
  const stepsPerEpoch = Math.ceil(n / BATCH);
  await ctx.progress({ step: 0, epoch: 0, metrics: { totalSteps: stepsPerEpoch * epochs, loadSeconds } });
  let step = 0;
  let last = null;
  for (let epoch = 1; epoch <= epochs; epoch++) {
    const order = Array.from(new torch.datasets.Rng(epoch).permutation(n));
    let lossSum = 0, count = 0;
    for (let b = 0; b < n; b += BATCH) {
      const [x, y] = batch(data, order.slice(b, b + BATCH));
      const loss = torch.tidy(() => {
        optimizer.zeroGrad();
        const l = F.crossEntropy(model.forward(normalize(x)), y);
        l.backward();
        optimizer.step();
        return l.detach();
      });
      lossSum += await loss.item();
      count++;
      for (const t of [x, y, loss]) t.dispose();
      step++;
      if (step % 10 === 0) {
        await ctx.progress({ step, epoch, loss: lossSum / count });
        lossSum = count = 0;
      }
    }
    last = await evaluate(model, data);
    await ctx.progress({ step, epoch, metrics: { accuracy: last.accuracy } });
  }
  const weights = await nn.saveSafetensors(model.stateDict());
  return { backend: torch.getBackendName(), accuracy: last.accuracy, predictions: last.predictions, weights };
});
