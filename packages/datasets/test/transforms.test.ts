import { beforeAll, describe, expect, it } from 'vitest';
import * as torch from '@torchlet/core';
import { compose, normalize, randomCrop, randomHorizontalFlip, toTensor } from '../src/index.ts';
import { useWasm } from './setup.ts';

beforeAll(useWasm);

/** [N, C, H, W] with x[n, c, h, w] = 1000 n + 100 c + 10 h + w. */
function grid(n: number, c: number, h: number, w: number): torch.Tensor {
  const d = new Float32Array(n * c * h * w);
  let k = 0;
  for (let a = 0; a < n; a++) for (let b = 0; b < c; b++) for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) d[k++] = 1000 * a + 100 * b + 10 * y + x;
  return torch.fromArray(d, [n, c, h, w]);
}

describe('transforms', () => {
  it('toTensor scales bytes to [0, 1] and moves channels first', () => {
    const t = toTensor(Uint8Array.of(0, 255, 51, 102, 0, 0), [1, 2, 3], { channelsLast: true });
    expect(t.shape).toEqual([3, 1, 2]);
    expect(Array.from(t.dataSync()).map((v) => Math.round(v * 255))).toEqual([0, 102, 255, 0, 51, 0]);
    const f = toTensor(Float32Array.of(0.5, 1), [2]);
    expect(Array.from(f.dataSync())).toEqual([0.5, 1]);
    expect(() => toTensor([1, 2, 3], [2, 2])).toThrow(/do not fill/);
    t.dispose(); f.dispose();
  });

  it('normalize per channel', () => {
    const x = grid(1, 2, 1, 2);
    const y = normalize([0, 100], [2, 10])(x);
    expect(Array.from(y.dataSync())).toEqual([0, 0.5, 0, Math.fround(0.1)]);
    expect(() => normalize([1, 2, 3], 1)(x)).toThrow(/3 values for 2 channels/);
    x.dispose(); y.dispose();
  });

  it('randomCrop takes one padded window per image, seeded', () => {
    const x = grid(6, 2, 4, 5);
    const before = torch.memory().tensors;
    const y = randomCrop([3, 3], 1, { seed: 3 })(x);
    expect(y.shape).toEqual([6, 2, 3, 3]);
    expect(torch.memory().tensors).toBe(before + 1);
    const v = y.dataSync();
    const xv = x.dataSync();
    for (let n = 0; n < 6; n++) {
      // Find the window: every value is either padding (0) or x at a shifted position, same shift for both channels.
      let found = false;
      for (let top = -1; top <= 2 && !found; top++) {
        for (let left = -1; left <= 3 && !found; left++) {
          let ok = true;
          for (let c = 0; c < 2; c++) for (let r = 0; r < 3; r++) for (let q = 0; q < 3; q++) {
            const hh = top + r, ww = left + q;
            const want = hh < 0 || hh >= 4 || ww < 0 || ww >= 5 ? 0 : xv[((n * 2 + c) * 4 + hh) * 5 + ww]!;
            if (v[((n * 2 + c) * 3 + r) * 3 + q] !== want) ok = false;
          }
          found = ok;
        }
      }
      expect(found).toBe(true);
    }
    const again = randomCrop([3, 3], 1, { seed: 3 })(x);
    expect(Array.from(again.dataSync())).toEqual(Array.from(v));
    const full = randomCrop([4, 5], 0, { seed: 1 })(x);
    expect(Array.from(full.dataSync())).toEqual(Array.from(xv));
    expect(() => randomCrop(9, 0)(x)).toThrow(/larger than the padded image/);
    [x, y, again, full].forEach((t) => t.dispose());
  });

  it('randomHorizontalFlip flips about p of the images, seeded; compose chains and frees intermediates', () => {
    const x = grid(200, 1, 1, 3);
    const y = randomHorizontalFlip(0.5, { seed: 0 })(x);
    const v = y.dataSync();
    let flipped = 0;
    for (let n = 0; n < 200; n++) {
      const row = Array.from(v.subarray(3 * n, 3 * n + 3));
      const base = 1000 * n;
      if (row[0] === base + 2) {
        flipped++;
        expect(row).toEqual([base + 2, base + 1, base]);
      } else expect(row).toEqual([base, base + 1, base + 2]);
    }
    expect(flipped).toBeGreaterThan(70);
    expect(flipped).toBeLessThan(130);
    const none = randomHorizontalFlip(0)(x);
    expect(Array.from(none.dataSync())).toEqual(Array.from(x.dataSync()));
    const before = torch.memory().tensors;
    const pipeline = compose([randomHorizontalFlip(0.5, { seed: 1 }), randomCrop(2, 1, { seed: 1 }), normalize(0.5, 0.5)]);
    const z = pipeline(x);
    expect(z.shape).toEqual([200, 1, 2, 2]);
    expect(torch.memory().tensors).toBe(before + 1);
    expect(x.isDisposed).toBe(false);
    [x, y, none, z].forEach((t) => t.dispose());
  });
});
