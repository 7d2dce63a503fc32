import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as torch from '@torchlet/core';
import { DatasetFormatError, encodeIDX, gunzip, loadMNIST, parseIDX, parseMNIST, readIDX } from '../src/index.ts';
import { gzip, idxImages, idxLabels, pattern } from './formats.ts';
import { useWasm } from './setup.ts';

beforeAll(useWasm);

describe('parseIDX', () => {
  it('reads every IDX dtype, big-endian', () => {
    const cases = [
      ['uint8', [0, 7, 255]],
      ['int8', [-128, 0, 127]],
      ['int16', [-32768, 258, 32767]],
      ['int32', [-2147483648, 16909060, 2147483647]],
      ['float32', [-1.5, 0.25, 3e10]],
      ['float64', [Math.PI, -1e300, 0]],
    ] as const;
    for (const [dtype, values] of cases) {
      const a = parseIDX(encodeIDX(dtype, [3, 1], values));
      expect(a.dtype).toBe(dtype);
      expect(a.shape).toEqual([3, 1]);
      expect(Array.from(a.data)).toEqual(values.map((v) => (dtype === 'float32' ? Math.fround(v) : v)));
    }
    // int32 0x01020304 is stored as bytes 01 02 03 04.
    const raw = encodeIDX('int32', [1], [0x01020304]);
    expect(Array.from(raw)).toEqual([0, 0, 0x0c, 1, 0, 0, 0, 1, 1, 2, 3, 4]);
  });

  it('reads the MNIST header layout: 0x00000803 then N, rows, cols', () => {
    const f = idxImages(2, 3, 4);
    expect(Array.from(f.subarray(0, 16))).toEqual([0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4]);
    const a = parseIDX(f);
    expect(a.shape).toEqual([2, 3, 4]);
    expect(Array.from(a.data)).toEqual(Array.from(pattern(24)));
  });

  it('names the file and what was wrong', () => {
    const f = idxImages(2, 3, 4);
    const err = (b: Uint8Array): string => {
      try {
        parseIDX(b, { name: 'train-images-idx3-ubyte' });
      } catch (e) {
        expect(e).toBeInstanceOf(DatasetFormatError);
        return (e as Error).message;
      }
      throw new Error('no error');
    };
    expect(err(f.subarray(0, 2))).toMatch(/^train-images-idx3-ubyte: .*too short/);
    expect(err(Uint8Array.of(1, 0, 8, 1, 0, 0, 0, 0))).toMatch(/two zero bytes/);
    expect(err(Uint8Array.of(0, 0, 0x0a, 1, 0, 0, 0, 0))).toMatch(/unknown IDX dtype byte 0x0A/);
    expect(err(Uint8Array.of(0, 0, 8, 0))).toMatch(/declares 0 dimensions/);
    expect(err(f.subarray(0, 10))).toMatch(/truncated in its header: 3 dimensions need a 16-byte header, but the file has 10 bytes/);
    expect(err(f.subarray(0, f.length - 5))).toMatch(/truncated: shape \[2, 3, 4\] of uint8 needs 24 data bytes .* but the file has 19/);
    const extra = new Uint8Array(f.length + 3);
    extra.set(f);
    expect(err(extra)).toMatch(/3 bytes past the end/);
    const huge = Uint8Array.of(0, 0, 8, 3, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff);
    expect(err(huge)).toMatch(/more than the 2147483648-byte limit; refusing to allocate/);
    const bigDouble = encodeIDX('float64', [1], [0]);
    new DataView(bigDouble.buffer).setUint32(4, 0x10000001, false);
    expect(err(bigDouble)).toMatch(/refusing to allocate/);
  });

  it('refuses data above maxBytes from the header alone', () => {
    const f = encodeIDX('int32', [5, 6], new Array(30).fill(1)); // 120 data bytes
    expect(parseIDX(f, { maxBytes: 120 }).shape).toEqual([5, 6]);
    expect(() => parseIDX(f, { name: 'big', maxBytes: 119 })).toThrow(/big: declares shape \[5, 6\] of int32, more than the 119-byte limit/);
  });

  it('accepts zero-sized dims whatever the others say', () => {
    const b = Uint8Array.of(0, 0, 8, 2, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff);
    expect(parseIDX(b).shape).toEqual([0, 0xffffffff]);
  });

  it('stops inflating a gzip bomb at the size its IDX header declares (issue 13)', async () => {
    const { gzipSync } = await import('node:zlib');
    // A valid header for 1,000 images of 28x28 (784,016 bytes in all), then 64 MB of zeros: 64 KB gzipped.
    const bomb = new Uint8Array(64 * 2 ** 20);
    bomb.set(idxImages(1000).subarray(0, 16));
    const gz = new Uint8Array(gzipSync(bomb));
    expect(gz.length).toBeLessThan(2 ** 20);
    const t0 = performance.now();
    await expect(readIDX(gz, 'bomb-idx3-ubyte.gz')).rejects.toThrow(/bomb-idx3-ubyte.gz: inflates to more than the 784016 bytes its header declares/);
    expect(performance.now() - t0).toBeLessThan(5000);
    // Declared smaller than the first inflated chunk: inflation stops there and the parser names it.
    bomb.set(idxImages(10).subarray(0, 16));
    await expect(readIDX(new Uint8Array(gzipSync(bomb)), 'small.gz')).rejects.toThrow(/small.gz: has \d+ bytes past the end of its data: shape \[10, 28, 28\]/);
    // A header declaring more than the limit is refused by the parser, before the data is inflated.
    const huge = new Uint8Array(idxImages(1).subarray(0, 16));
    new DataView(huge.buffer).setUint32(4, 2 ** 31, false);
    await expect(readIDX(new Uint8Array(gzipSync(huge)), 'huge.gz')).rejects.toThrow(/huge.gz: declares shape \[2147483648, 28, 28\].*limit/);
    // A stream that ends short of its header is named by the parser too.
    await expect(readIDX(new Uint8Array(gzipSync(idxImages(3).subarray(0, 100))), 'short.gz')).rejects.toThrow(/short.gz: is truncated/);
  });

  it('refuses gzip in the sync parser and inflates it in readIDX', async () => {
    const f = idxImages(2, 3, 4);
    const gz = await gzip(f);
    expect(() => parseIDX(gz, { name: 'x.gz' })).toThrow(/x.gz: is gzip-compressed/);
    const a = await readIDX(gz, 'x.gz');
    expect(a.shape).toEqual([2, 3, 4]);
    const bad = gz.slice();
    bad[bad.length - 6] ^= 0xff; // corrupts the CRC / size trailer
    await expect(readIDX(bad, 'bad.gz')).rejects.toThrow(/bad.gz: is not a valid gzip stream/);
    await expect(gunzip(await gzip(new Uint8Array(5000)), 'bomb.gz', { maxBytes: 1000 })).rejects.toThrow(/bomb.gz: inflates to more than 1000 bytes/);
  });
});

describe('loadMNIST', () => {
  let dir = '';
  const trainLabels = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 3, 5];
  const testLabels = [9, 8, 7];
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'torchlet-mnist-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function check(ds: { train: { tensors: torch.Tensor[]; length: number }; test: { tensors: torch.Tensor[]; length: number } }, flat = false): Promise<void> {
    const [x, y] = ds.train.tensors;
    expect(ds.train.length).toBe(12);
    expect(ds.test.length).toBe(3);
    expect(x!.shape).toEqual(flat ? [12, 784] : [12, 1, 28, 28]);
    expect(x!.dtype).toBe('float32');
    expect(y!.dtype).toBe('int32');
    expect(Array.from(y!.dataSync())).toEqual(trainLabels);
    const px = x!.dataSync();
    const want = pattern(12 * 784);
    for (const i of [0, 1, 500, 9407]) expect(px[i]).toBeCloseTo(want[i]! / 255, 6);
    expect(Math.max(...px.subarray(0, 784))).toBeLessThanOrEqual(1);
    ds.train.tensors.forEach((t) => t.dispose());
    ds.test.tensors.forEach((t) => t.dispose());
  }

  it('from bytes, gzip or not', async () => {
    const bytes = {
      trainImages: await gzip(idxImages(12)),
      trainLabels: idxLabels(trainLabels),
      testImages: idxImages(3, 28, 28, 1),
      testLabels: await gzip(idxLabels(testLabels)),
    };
    await check(await loadMNIST({ bytes }));
    await check(await loadMNIST({ bytes }, { flatten: true }), true);
  });

  it('from a directory of .gz files (Node fs, imported on demand)', async () => {
    await writeFile(join(dir, 'train-images-idx3-ubyte.gz'), await gzip(idxImages(12)));
    await writeFile(join(dir, 'train-labels-idx1-ubyte.gz'), await gzip(idxLabels(trainLabels)));
    await writeFile(join(dir, 't10k-images-idx3-ubyte'), idxImages(3, 28, 28, 1));
    await writeFile(join(dir, 't10k-labels.idx1-ubyte'), idxLabels(testLabels));
    await check(await loadMNIST({ dir }));
    await expect(loadMNIST({ dir: join(dir, 'nope') })).rejects.toThrow(/none of train-images-idx3-ubyte/);
  });

  it('from a URL (fetch), trying .gz first', async () => {
    const files: Record<string, Uint8Array> = {
      'train-images-idx3-ubyte.gz': await gzip(idxImages(12)),
      'train-labels-idx1-ubyte': idxLabels(trainLabels),
      't10k-images-idx3-ubyte': idxImages(3, 28, 28, 1),
      't10k-labels-idx1-ubyte.gz': await gzip(idxLabels(testLabels)),
    };
    const realFetch = globalThis.fetch;
    globalThis.fetch = (async (url: string) => {
      const name = String(url).split('/').pop()!;
      const body = files[name];
      return body ? new Response(body as Uint8Array<ArrayBuffer>) : new Response('no', { status: 404 });
    }) as typeof fetch;
    try {
      await check(await loadMNIST({ url: 'https://example.test/mnist/' }));
    } finally {
      globalThis.fetch = realFetch;
    }
  });

  it('checks image/label agreement and label range', async () => {
    const before = torch.memory().tensors;
    await expect(parseMNIST(idxImages(4), idxLabels([1, 2, 3]), { names: { images: 'im', labels: 'lb' } })).rejects.toThrow(/lb: has 3 labels but im has 4 images/);
    await expect(parseMNIST(idxImages(2), idxLabels([1, 10]))).rejects.toThrow(/label 10 at index 1 is out of range: expected 0 to 9/);
    await expect(parseMNIST(idxLabels([1, 2]), idxLabels([1, 2]))).rejects.toThrow(/expected an images file of ubyte \[N, rows, cols\]/);
    await expect(parseMNIST(idxImages(2), encodeIDX('int32', [2], [1, 2]))).rejects.toThrow(/expected a labels file of ubyte/);
    expect(torch.memory().tensors).toBe(before);
  });
});
