// Mutated IDX and CIFAR files (truncations, byte flips, lying headers, huge dims): each must
// either parse to something consistent with its header or throw a DatasetFormatError that names
// the file; never a RangeError from a typed-array constructor, never an out-of-bounds read (a
// parse that read past the end would disagree with the size checks below), never an array
// larger than the input (the parsers allocate only after the header is checked against the data).
import { describe, expect, it } from 'vitest';
import { DatasetFormatError, decodeMNIST, encodeIDX, parseCIFAR10, parseCIFAR100, parseIDX, readIDX, Rng } from '../src/index.ts';
import { cifar10, cifar100, gzip, idxImages, idxLabels } from './formats.ts';

const SIZES: Record<number, number> = { 0x08: 1, 0x09: 1, 0x0b: 2, 0x0c: 4, 0x0d: 4, 0x0e: 8 };

function mutate(rng: Rng, base: Uint8Array, headerLen: number): Uint8Array {
  const kind = rng.int(8);
  let b = base.slice();
  const flip = (at: number): void => {
    if (b.length > 0) b[at % b.length] = rng.int(256);
  };
  switch (kind) {
    case 0: // truncate anywhere
      return b.subarray(0, rng.int(b.length + 1));
    case 1: // flip bytes anywhere
      for (let k = rng.int(4) + 1; k > 0; k--) flip(rng.int(b.length));
      return b;
    case 2: // flip header bytes
      for (let k = rng.int(3) + 1; k > 0; k--) flip(rng.int(Math.min(headerLen, b.length)));
      return b;
    case 3: { // a lying dim: random, huge, zero or off by one
      const ndim = (b.length - 4) >> 2;
      const d = rng.int(Math.max(1, Math.min(ndim, 4)));
      const v = [rng.nextUint32(), 0xffffffff, 0, 0x80000000, 0x10000][rng.int(5)]!;
      const view = new DataView(b.buffer);
      if (4 + 4 * d + 4 <= b.length) view.setUint32(4 + 4 * d, rng.int(2) ? v : (view.getUint32(4 + 4 * d) + (rng.int(2) ? 1 : -1)) >>> 0);
      return b;
    }
    case 4: { // extra bytes at the end
      const extra = new Uint8Array(b.length + rng.int(64) + 1);
      extra.set(b);
      return extra;
    }
    case 5: // a wrong ndim byte
      if (b.length > 3) b[3] = rng.int(256);
      return b;
    case 6: // a wrong dtype byte
      if (b.length > 2) b[2] = [0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, rng.int(256)][rng.int(9)]!;
      return b;
    default: { // all dims huge (product overflow)
      for (let at = 4; at + 4 <= Math.min(headerLen, b.length); at += 4) new DataView(b.buffer).setUint32(at, 0xfffffff0 + rng.int(16));
      b = b.subarray(0, rng.int(2) ? b.length : headerLen);
      return b;
    }
  }
}

function expectFormatError(e: unknown, name: string): void {
  if (!(e instanceof DatasetFormatError)) throw new Error(`expected a DatasetFormatError, got ${String(e)}`);
  expect(e.message.startsWith(`${name}: `)).toBe(true);
}

/** The quick run in CI; `TORCHLET_FUZZ_LONG=1` multiplies every count by 20 (the long run). */
const SCALE = process.env.TORCHLET_FUZZ_LONG ? 20 : 1;
const TIMEOUT = process.env.TORCHLET_FUZZ_LONG ? 3_600_000 : 120_000;

describe('fuzz: IDX', { timeout: TIMEOUT }, () => {
  it('12,000 mutated IDX files parse consistently or fail clearly', () => {
    const rng = new Rng(1234);
    const bases = [
      idxImages(3, 4, 5),
      idxLabels([1, 2, 3, 4, 5, 6, 7]),
      encodeIDX('int16', [2, 3], [1, -2, 3, -4, 5, -6]),
      encodeIDX('int32', [3, 2], [1, 2, 3, 4, 5, 6]),
      encodeIDX('float32', [4], [0.5, 1.5, -2, 3]),
      encodeIDX('float64', [2, 1, 1], [1, 2]),
      encodeIDX('int8', [1, 2, 2, 2], [1, -1, 2, -2, 3, -3, 4, -4]),
    ];
    let parsed = 0, failed = 0;
    for (let i = 0; i < 12000 * SCALE; i++) {
      const base = bases[i % bases.length]!;
      const b = mutate(rng, base, 4 + 4 * base[3]!);
      const name = `fuzz-${i}.idx`;
      let a;
      try {
        a = parseIDX(b, { name });
      } catch (e) {
        expectFormatError(e, name);
        failed++;
        continue;
      }
      parsed++;
      // Consistent with its own header and with the file size.
      const ndim = b[3]!;
      expect(a.shape.length).toBe(ndim);
      const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
      a.shape.forEach((s, k) => expect(s).toBe(view.getUint32(4 + 4 * k)));
      const n = a.shape.reduce((p, q) => p * q, 1);
      expect(a.data.length).toBe(n);
      expect(4 + 4 * ndim + n * SIZES[b[2]!]!).toBe(b.length);
    }
    expect(parsed + failed).toBe(12000 * SCALE);
    expect(parsed).toBeGreaterThan(100);
    expect(failed).toBeGreaterThan(5000);
    console.log(`IDX fuzz: ${parsed} parsed consistently, ${failed} rejected with a DatasetFormatError`);
  });

  it('2,000 mutated MNIST image/label pairs decode consistently or fail clearly', () => {
    const rng = new Rng(99);
    const images = idxImages(4, 3, 3), labels = idxLabels([0, 9, 3, 4]);
    let ok = 0;
    for (let i = 0; i < 2000 * SCALE; i++) {
      const im = i % 2 ? mutate(rng, images, 16) : images;
      const lb = i % 2 ? labels : mutate(rng, labels, 8);
      try {
        const d = decodeMNIST(parseIDX(im, { name: 'im' }), parseIDX(lb, { name: 'lb' }), { images: 'im', labels: 'lb' });
        expect(d.images.length).toBe(d.count * d.height * d.width);
        expect(d.labels.length).toBe(d.count);
        expect(d.labels.every((v) => v >= 0 && v < 10)).toBe(true);
        ok++;
      } catch (e) {
        if (!(e instanceof DatasetFormatError) || !/^(im|lb): /.test(e.message)) throw e;
      }
    }
    expect(ok).toBeGreaterThan(0);
  });

  it('300 mutated gzip streams inflate-and-parse or fail clearly', async () => {
    const rng = new Rng(7);
    const gz = await gzip(idxImages(3, 4, 5));
    for (let i = 0; i < 300 * SCALE; i++) {
      const b = gz.slice();
      const kind = i % 3;
      let input: Uint8Array = b;
      if (kind === 0) input = b.subarray(0, 2 + rng.int(b.length - 2));
      else for (let k = rng.int(3) + 1; k > 0; k--) b[2 + rng.int(b.length - 2)] = rng.int(256);
      try {
        const a = await readIDX(input, `g${i}.gz`);
        expect(a.data.length).toBe(a.shape.reduce((p, q) => p * q, 1));
      } catch (e) {
        expectFormatError(e, `g${i}.gz`);
      }
    }
  });
});

describe('fuzz: CIFAR', { timeout: TIMEOUT }, () => {
  it('12,000 mutated CIFAR-10 and CIFAR-100 files parse consistently or fail clearly', () => {
    const rng = new Rng(4321);
    const b10 = cifar10([0, 9, 5]);
    const b100 = cifar100([[19, 99], [0, 0]]);
    let parsed = 0, failed = 0;
    for (let i = 0; i < 12000 * SCALE; i++) {
      const is100 = i % 2 === 1;
      const base = is100 ? b100 : b10;
      const rec = is100 ? 3074 : 3073;
      let b = base.slice();
      switch (rng.int(5)) {
        case 0: b = b.subarray(0, rng.int(b.length + 1)); break;
        case 1: for (let k = rng.int(3) + 1; k > 0; k--) b[rng.int(b.length)] = rng.int(256); break;
        case 2: { // label bytes
          const r = rng.int(base.length / rec);
          b[r * rec + rng.int(is100 ? 2 : 1)] = rng.int(256);
          break;
        }
        case 3: { // extra or missing tail
          const extra = new Uint8Array(b.length + rng.int(3 * rec) - rec);
          extra.set(b.subarray(0, extra.length));
          b = extra;
          break;
        }
        default: { // whole records appended (valid sizes, random labels)
          const extra = new Uint8Array(b.length + rec * (1 + rng.int(2)));
          extra.set(b);
          for (let at = b.length; at < extra.length; at++) extra[at] = rng.int(256);
          b = extra;
        }
      }
      const name = is100 ? 'train.bin' : 'data_batch_1.bin';
      try {
        const a = is100 ? parseCIFAR100(b, name) : parseCIFAR10(b, name);
        parsed++;
        expect(a.count * rec).toBe(b.length);
        expect(a.pixels.length).toBe(a.count * 3072);
        for (let r = 0; r < a.count; r++) {
          if (is100) {
            expect(a.coarseLabels![r]).toBe(b[r * rec]);
            expect(a.labels[r]).toBe(b[r * rec + 1]);
            expect(a.coarseLabels![r]! < 20 && a.labels[r]! < 100).toBe(true);
          } else {
            expect(a.labels[r]).toBe(b[r * rec]);
            expect(a.labels[r]! < 10).toBe(true);
          }
        }
      } catch (e) {
        expectFormatError(e, name);
        failed++;
      }
    }
    expect(parsed).toBeGreaterThan(1000);
    expect(failed).toBeGreaterThan(3000);
    console.log(`CIFAR fuzz: ${parsed} parsed consistently, ${failed} rejected with a DatasetFormatError`);
  });
});
