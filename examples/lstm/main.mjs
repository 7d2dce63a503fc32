// Sequence classification with an LSTM: each MNIST digit is read as a sequence of 28 rows of 28
// pixels, and the last hidden state is classified (the classic "row-by-row MNIST" task).
//   node examples/lstm/main.mjs [--epochs 3] [--hidden 64] [--batch-size 64] [--lr 0.003]
import * as torch from 'torchlet';
import { DataLoader } from '@torchlet/datasets';
import { embeddedMNIST } from '@torchlet/datasets/mnist-embedded';
import { accuracy, checkAccuracy, parseArgs, progress } from '../common/util.mjs';

import { nn, optim, F } from 'torchlet';
const o = parseArgs({ epochs: 3, hidden: 64, batchSize: 64, lr: 0.003, train: 8000, test: 2000, seed: 0, minAccuracy: undefined }, {
  about: 'Row-by-row MNIST: an LSTM reads each embedded digit as 28 rows of 28 pixels; its last hidden state is classified.',
  help: { hidden: 'LSTM hidden size', train: 'training digits', test: 'held-out digits', minAccuracy: 'exit 1 if the final held-out accuracy (0-1) is below this' },
});
await torch.setBackend('wasm');
torch.manualSeed(o.seed);

/** An LSTM over the rows, then a linear layer on the last time step's hidden state. */
class RowLSTM extends nn.Module {
  constructor(hidden) {
    super();
    this.lstm = new nn.LSTM(28, hidden, { batchFirst: true });
    this.head = new nn.Linear(hidden, 10);
  }
  forward(images) {
    const rows = images.reshape([-1, 28, 28]); // (N, T=28, features=28)
    const [, hN] = this.lstm.forward(rows); // hN: (1, N, hidden)
    return this.head.forward(hN.squeeze(0)); // (N, 10)
  }
}

const { train, test } = await embeddedMNIST({ train: o.train, test: o.test, flatten: true });
const trainLoader = new DataLoader(train, { batchSize: o.batchSize, shuffle: true, seed: o.seed });
const testLoader = new DataLoader(test, { batchSize: 500 });
const model = new RowLSTM(o.hidden);
const optimizer = new optim.Adam(model.parameters(), { lr: o.lr });
console.log(`${model}\n`);

const start = performance.now();
let acc = NaN;
for (let epoch = 1; epoch <= o.epochs; epoch++) {
  const t0 = performance.now();
  let step = 0, lossSum = 0, line = '';
  for await (const [x, y] of trainLoader) {
    const loss = torch.tidy(() => {
      optimizer.zeroGrad();
      const l = F.crossEntropy(model.forward(x), y);
      l.backward();
      optim.clipGradNorm(model.parameters(), 1.0).dispose();
      optimizer.step();
      return l.detach();
    });
    lossSum += await loss.item();
    for (const t of [x, y, loss]) t.dispose();
    step++;
    line = progress({ epoch, epochs: o.epochs, step, steps: trainLoader.length, loss: lossSum / step, rate: (step * o.batchSize) / ((performance.now() - t0) / 1000), quiet: o.quiet });
  }
  acc = await accuracy(model, testLoader, (x) => model.forward(x));
  console.log(`${o.quiet ? line : ''}\nepoch ${epoch}: held-out accuracy ${(acc * 100).toFixed(2)}%`);
}
console.log(`trained in ${((performance.now() - start) / 1000).toFixed(1)} s; held-out accuracy ${(acc * 100).toFixed(2)}%`);
checkAccuracy(acc, o.minAccuracy);
