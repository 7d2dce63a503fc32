import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DatasetFormatError, loadCIFAR10, loadCIFAR100, parseCIFAR10, parseCIFAR100 } from '../src/index.ts';
import { cifar10, cifar100, gzip, pattern } from './formats.ts';
import { useWasm } from './setup.ts';

beforeAll(useWasm);

describe('CIFAR parsers', () => {
  it('parse records: label byte(s) then 1024 R, 1024 G, 1024 B', () => {
    const a = parseCIFAR10(cifar10([3, 9, 0]));
    expect(a.count).toBe(3);
    expect(Array.from(a.labels)).toEqual([3, 9, 0]);
    expect(Array.from(a.pixels.subarray(3072, 6144))).toEqual(Array.from(pattern(3072, 1)));
    const b = parseCIFAR100(cifar100([[19, 99], [0, 5]]));
    expect(Array.from(b.labels)).toEqual([99, 5]);
    expect(Array.from(b.coarseLabels)).toEqual([19, 0]);
    expect(Array.from(b.pixels.subarray(0, 3072))).toEqual(Array.from(pattern(3072, 0)));
  });

  it('report sizes and labels clearly', () => {
    const f = cifar10([1, 2]);
    expect(() => parseCIFAR10(f.subarray(0, 5000), 'data_batch_1.bin')).toThrow(DatasetFormatError);
    expect(() => parseCIFAR10(f.subarray(0, 5000), 'data_batch_1.bin')).toThrow(/data_batch_1.bin: is 5000 bytes, not a whole number of 3073-byte CIFAR-10 records \(1 records and 1927 bytes left over/);
    expect(() => parseCIFAR10(new Uint8Array(0), 'x.bin')).toThrow(/x.bin: is empty/);
    expect(() => parseCIFAR10(cifar10([1, 10]), 't.bin')).toThrow(/t.bin: record 1 \(byte offset 3073\) has label 10, out of range 0 to 9/);
    expect(() => parseCIFAR100(cifar100([[20, 1]]), 'train.bin')).toThrow(/coarse label 20, out of range 0 to 19/);
    expect(() => parseCIFAR100(cifar100([[2, 100]]), 'train.bin')).toThrow(/fine label 100, out of range 0 to 99/);
    // A CIFAR-10 file read as CIFAR-100 (or the reverse) fails on size.
    expect(() => parseCIFAR100(cifar10([1, 2, 3]), 'test.bin')).toThrow(/3074-byte CIFAR-100 records/);
  });
});

describe('CIFAR loaders', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'torchlet-cifar-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('CIFAR-10 from bytes and from the cifar-10-batches-bin folder', async () => {
    const train = [1, 2, 3, 4, 5].map((i) => cifar10([i, (i * 3) % 10], i));
    const test = cifar10([7], 9);
    const fromBytes = await loadCIFAR10({ bytes: { train: [train[0]!, await gzip(train[1]!), ...train.slice(2)], test } });
    const sub = join(dir, 'cifar-10-batches-bin');
    await mkdir(sub);
    await Promise.all(train.map((b, i) => writeFile(join(sub, `data_batch_${i + 1}.bin`), b)));
    await writeFile(join(sub, 'test_batch.bin'), test);
    const fromDir = await loadCIFAR10({ dir });
    for (const ds of [fromBytes, fromDir]) {
      const [x, y] = ds.train.tensors;
      expect(x!.shape).toEqual([10, 3, 32, 32]);
      expect(Array.from(y!.dataSync())).toEqual([1, 3, 2, 6, 3, 9, 4, 2, 5, 5]);
      expect(x!.dataSync()[3072 + 5]).toBeCloseTo(pattern(3072, 2)[5]! / 255, 6); // batch 1 (salt 1), record 1
      expect(ds.test.length).toBe(1);
      [...ds.train.tensors, ...ds.test.tensors].forEach((t) => t.dispose());
    }
  });

  it('CIFAR-100 with fine, coarse or both labels', async () => {
    const train = cifar100([[1, 11], [2, 22]]);
    const test = cifar100([[3, 33]]);
    const fine = await loadCIFAR100({ bytes: { train, test } });
    expect(Array.from(fine.train.tensors[1]!.dataSync())).toEqual([11, 22]);
    const both = await loadCIFAR100({ bytes: { train, test } }, { labels: 'both' });
    expect(both.train.tensors.length).toBe(3);
    expect(Array.from(both.train.tensors[2]!.dataSync())).toEqual([1, 2]);
    [...fine.train.tensors, ...fine.test.tensors, ...both.train.tensors, ...both.test.tensors].forEach((t) => t.dispose());
  });
});
