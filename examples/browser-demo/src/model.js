// What the page and its training worker share: the model, the data layout and the batches.
import * as torch from 'torchlet';
import { nn } from 'torchlet';

export const TEST = 1000;            // held-out digits: the last 1,000 of the embedded order
export const BATCH = 32;
const MEAN = 0.1307, STD = 0.3081;   // MNIST's, as in PyTorch's example

/** The MLP of examples/mnist-mlp, 784-128-64-10, seeded so every run starts from the same weights. */
export function newModel() {
  torch.manualSeed(0);
  return new nn.Sequential(new nn.Linear(784, 128), new nn.ReLU(), new nn.Linear(128, 64), new nn.ReLU(), new nn.Linear(64, 10));
}

export const normalize = (x) => x.sub(MEAN).div(STD);

/** The held-out digits' indices in the embedded order. */
export const testIndices = (size) => Array.from({ length: TEST }, (_, i) => size - TEST + i);

/** Digits `indices` of `data` ({ images, labels } host arrays) as an [n, 784] float and an [n] int32 tensor. */
export function batch(data, indices) {
  const x = new Float32Array(indices.length * 784);
  const y = new Int32Array(indices.length);
  indices.forEach((j, i) => {
    x.set(data.images.subarray(j * 784, (j + 1) * 784), i * 784);
    y[i] = data.labels[j];
  });
  return [torch.fromArray(x, [indices.length, 784]), torch.fromArray(y, [indices.length], { dtype: 'int32' })];
}
