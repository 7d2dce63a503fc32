// A small CNN on the embedded MNIST digits: two 3x3 convolutions with max pooling, then a linear
// classifier, trained with Adam. As PyTorch's examples/mnist, scaled down for a CPU in seconds.
//   node examples/cnn/main.mjs [--epochs 3] [--batch-size 64] [--lr 0.002] [--train 8000] [--test 2000]
import * as torch from 'torchlet';
import { DataLoader } from '@torchlet/datasets';
import { embeddedMNIST } from '@torchlet/datasets/mnist-embedded';
import { accuracy, checkAccuracy, parseArgs, progress } from '../common/util.mjs';

import { nn, optim, F } from 'torchlet';
const o = parseArgs({ epochs: 3, batchSize: 64, lr: 0.002, train: 8000, test: 2000, seed: 0, minAccuracy: undefined }, {
  about: 'A small CNN (two 3x3 convolutions with max pooling, a linear classifier) trained with Adam on the embedded MNIST digits.',
  help: { train: 'training digits', test: 'held-out digits', minAccuracy: 'exit 1 if the final held-out accuracy (0-1) is below this' },
});
await torch.setBackend('wasm');
torch.manualSeed(o.seed);

const { train, test } = await embeddedMNIST({ train: o.train, test: o.test }); // images [N, 1, 28, 28]
const trainLoader = new DataLoader(train, { batchSize: o.batchSize, shuffle: true, seed: o.seed });
const testLoader = new DataLoader(test, { batchSize: 250 });

const model = new nn.Sequential(
  new nn.Conv2d(1, 8, 3, { padding: 1 }), new nn.ReLU(), new nn.MaxPool2d(2), // [N, 8, 14, 14]
  new nn.Conv2d(8, 16, 3, { padding: 1 }), new nn.ReLU(), new nn.MaxPool2d(2), // [N, 16, 7, 7]
  new nn.Flatten(), new nn.Linear(16 * 7 * 7, 10),
);
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
