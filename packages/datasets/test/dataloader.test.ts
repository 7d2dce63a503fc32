import { beforeAll, describe, expect, it } from 'vitest';
import * as torch from '@torchlet/core';
import { DataLoader, Dataset, Subset, TensorDataset, defaultCollate, disposeBatch, randomSplit } from '../src/index.ts';
import { useWasm } from './setup.ts';

beforeAll(useWasm);

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

/** x[i] = [i, 10 i], y[i] = i % 3 (int32). */
function toy(n: number): TensorDataset<[torch.Tensor, torch.Tensor]> {
  const x = torch.fromArray(Float32Array.from(range(n).flatMap((i) => [i, 10 * i])), [n, 2]);
  const y = torch.fromArray(Int32Array.from(range(n), (i) => i % 3), [n], { dtype: 'int32' });
  return new TensorDataset<[torch.Tensor, torch.Tensor]>(x, y);
}

async function epoch<B>(loader: AsyncIterable<B>, f: (b: B) => number[]): Promise<number[][]> {
  const out: number[][] = [];
  for await (const b of loader) {
    out.push(f(b));
    disposeBatch(b);
  }
  return out;
}

describe('TensorDataset, Subset, randomSplit', () => {
  it('indexes the first dim and checks lengths', () => {
    const ds = toy(5);
    expect(ds.length).toBe(5);
    const [x, y] = ds.get(3);
    expect(Array.from(x.dataSync())).toEqual([3, 30]);
    expect(y.dtype).toBe('int32');
    expect(Array.from(y.dataSync())).toEqual([0]);
    x.dispose(); y.dispose();
    expect(() => ds.get(5)).toThrow(/out of range/);
    const a = torch.zeros([3, 2]), b = torch.zeros([4]);
    expect(() => new TensorDataset(a, b)).toThrow(/size mismatch.*3.*4/);
    expect(() => new TensorDataset()).toThrow(/at least one/);
    a.dispose(); b.dispose(); ds.tensors.forEach((t) => t.dispose());
  });

  it('randomSplit by lengths and by fractions, reproducible, disjoint', () => {
    const ds = toy(10);
    const [a, b] = randomSplit(ds, [7, 3], { seed: 1 });
    expect([a!.length, b!.length]).toEqual([7, 3]);
    expect(new Set([...a!.indices, ...b!.indices]).size).toBe(10);
    const [c] = randomSplit(ds, [7, 3], { seed: 1 });
    expect(Array.from(c!.indices)).toEqual(Array.from(a!.indices));
    const parts = randomSplit(ds, [0.5, 0.3, 0.2], { seed: 2 });
    expect(parts.map((p) => p.length)).toEqual([5, 3, 2]);
    const odd = randomSplit(toy(11), [0.5, 0.5], { seed: 3 });
    expect(odd.map((p) => p.length)).toEqual([6, 5]);
    for (const p of odd) if (p.dataset instanceof TensorDataset) (p.dataset.tensors as torch.Tensor[]).forEach((t) => t.dispose());
    expect(() => randomSplit(ds, [7, 4])).toThrow(/sum of input lengths \(11\)/);
    const [x] = a!.get(0);
    expect(x!.shape).toEqual([2]);
    disposeBatch(a!.get(0)); x!.dispose();
    expect(() => new Subset(ds, [10])).toThrow(/out of range/);
    ds.tensors.forEach((t) => t.dispose());
  });
});

describe('DataLoader', () => {
  it('batches in order, with the last short batch or dropLast', async () => {
    const ds = toy(10);
    const loader = new DataLoader(ds, { batchSize: 4 });
    expect(loader.length).toBe(3);
    const ys = await epoch(loader, ([x, y]) => {
      expect(x.shape[1]).toBe(2);
      expect(y.dtype).toBe('int32');
      return Array.from(x.dataSync()).filter((_, i) => i % 2 === 0);
    });
    expect(ys).toEqual([[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]);
    const dropped = new DataLoader(ds, { batchSize: 4, dropLast: true });
    expect(dropped.length).toBe(2);
    expect((await epoch(dropped, ([x]) => [x.shape[0]!])).flat()).toEqual([4, 4]);
    ds.tensors.forEach((t) => t.dispose());
  });

  it('shuffles with a seed: every sample once per epoch, new order each epoch, repeatable', async () => {
    const ds = toy(50);
    const firstCol = ([x]: torch.Tensor[]): number[] => Array.from(x!.dataSync()).filter((_, i) => i % 2 === 0);
    const a = new DataLoader(ds, { batchSize: 8, shuffle: true, seed: 42 });
    const e0 = (await epoch(a, firstCol)).flat();
    const e1 = (await epoch(a, firstCol)).flat();
    expect([...e0].sort((p, q) => p - q)).toEqual(range(50));
    expect([...e1].sort((p, q) => p - q)).toEqual(range(50));
    expect(e0).not.toEqual(e1);
    expect(e0).not.toEqual(range(50));
    const b = new DataLoader(ds, { batchSize: 8, shuffle: true, seed: 42 });
    expect((await epoch(b, firstCol)).flat()).toEqual(e0);
    expect((await epoch(b, firstCol)).flat()).toEqual(e1);
    const c = new DataLoader(ds, { batchSize: 8, shuffle: true, seed: 43 });
    expect((await epoch(c, firstCol)).flat()).not.toEqual(e0);
    ds.tensors.forEach((t) => t.dispose());
  });

  it('uses the getBatch fast path (one indexSelect) and gives the same batches as get + collate', async () => {
    const ds = toy(9);
    let gets = 0;
    class Wrapped extends Dataset<torch.Tensor[]> {
      get length(): number { return ds.length; }
      get(i: number): torch.Tensor[] { gets++; return ds.get(i); }
    }
    const fast = await epoch(new DataLoader(ds, { batchSize: 4, shuffle: true, seed: 5 }), ([x, y]) => [...x!.dataSync(), ...y!.dataSync()]);
    const slow = await epoch(new DataLoader(new Wrapped(), { batchSize: 4, shuffle: true, seed: 5 }), ([x, y]) => {
      expect(y!.dtype).toBe('int32');
      return [...x!.dataSync(), ...y!.dataSync()];
    });
    expect(gets).toBe(9);
    expect(slow).toEqual(fast);
    ds.tensors.forEach((t) => t.dispose());
  });

  it('collates numbers (int32 for integers, float32 otherwise), objects and custom collate', async () => {
    class Plain extends Dataset<{ v: number; w: number; label: number }> {
      get length(): number { return 5; }
      get(i: number) { return { v: i + 0.5, w: i, label: i % 2 }; }
    }
    const seen: string[] = [];
    for await (const b of new DataLoader(new Plain(), { batchSize: 5 })) {
      seen.push(b.v.dtype, b.label.dtype);
      expect(Array.from(b.v.dataSync())).toEqual([0.5, 1.5, 2.5, 3.5, 4.5]);
      disposeBatch(b);
    }
    expect(seen).toEqual(['float32', 'int32']);
    const custom = new DataLoader(new Plain(), { batchSize: 2, collate: (s) => s.map((x) => x.label) });
    const got: number[][] = [];
    for await (const b of custom) got.push(b);
    expect(got).toEqual([[0, 1], [0, 1], [0]]);
    expect(() => defaultCollate([])).toThrow(/empty/);
  });

  it('holds memory flat over many epochs when the consumer disposes batches', async () => {
    const ds = toy(64);
    const loader = new DataLoader(ds, { batchSize: 5, shuffle: true, seed: 0 });
    const before = torch.memory();
    let steps = 0;
    for (let e = 0; e < 40; e++) {
      for await (const [x, y] of loader) {
        const s = torch.tidy(() => x!.sum().add(y!.float().sum()));
        await s.item();
        s.dispose();
        x!.dispose(); y!.dispose();
        steps++;
      }
      if (e === 0) expect(torch.memory().tensors).toBe(before.tensors);
    }
    expect(steps).toBe(40 * 13);
    const after = torch.memory();
    expect(after.tensors).toBe(before.tensors);
    expect(after.bytes).toBe(before.bytes);
    expect(after.buffers).toBe(before.buffers);
    ds.tensors.forEach((t) => t.dispose());
  });

  it('a prefetched batch survives an async tidy in the consumer, and breaking out frees it', async () => {
    const ds = toy(20);
    const before = torch.memory().tensors;
    const loader = new DataLoader(ds, { batchSize: 4, shuffle: true, seed: 1 });
    let n = 0;
    for await (const [x, y] of loader) {
      await torch.tidy(async () => {
        const s = x!.sum();
        await new Promise((r) => setTimeout(r, 2)); // lets the prefetch run inside this scope
        return s.item();
      });
      expect(x!.isDisposed).toBe(false);
      x!.dispose(); y!.dispose();
      if (++n === 3) break;
    }
    await new Promise((r) => setTimeout(r, 5));
    expect(torch.memory().tensors).toBe(before);
    ds.tensors.forEach((t) => t.dispose());
  });

  it('batches a Subset (from randomSplit) through the parent\'s getBatch', async () => {
    const ds = toy(30);
    const [a] = randomSplit(ds, [20, 10], { seed: 9 });
    const got = (await epoch(new DataLoader(a!, { batchSize: 6 }), ([x]) => Array.from(x!.dataSync()).filter((_, i) => i % 2 === 0))).flat();
    expect(got).toEqual(Array.from(a!.indices));
    ds.tensors.forEach((t) => t.dispose());
  });

  it('a failing get frees the samples already taken and the error reaches the loop', async () => {
    const ds = toy(6);
    class Failing extends Dataset<torch.Tensor[]> {
      get length(): number { return 6; }
      get(i: number): torch.Tensor[] {
        if (i === 4) throw new Error('sample 4 is broken');
        return ds.get(i);
      }
    }
    const before = torch.memory().tensors;
    const run = async (): Promise<void> => {
      for await (const b of new DataLoader(new Failing(), { batchSize: 3 })) disposeBatch(b);
    };
    await expect(run()).rejects.toThrow(/sample 4 is broken/);
    expect(torch.memory().tensors).toBe(before);
    ds.tensors.forEach((t) => t.dispose());
  });

  it('rejects bad options', () => {
    const ds = toy(3);
    expect(() => new DataLoader(ds, { batchSize: 0 })).toThrow(/batchSize/);
    expect(() => new DataLoader(ds, { seed: -1 })).toThrow(/seed/);
    ds.tensors.forEach((t) => t.dispose());
  });
});
