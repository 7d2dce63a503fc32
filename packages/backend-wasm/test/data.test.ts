import { describe, expect, it } from 'vitest';
import { DTYPES, decodeHalf, encodeHalf, isHalf, type DType, type View } from '@torchlet/core';
import { LAYOUTS, SHAPES, backend, contiguous, numel, output, readAll, rng, upload } from './helpers.ts';

/** The dtypes every kernel takes; float16/bfloat16 reach only copy, read and write. */
const COMPUTE_DTYPES = DTYPES.filter((d) => !isHalf(d));

/** Host representation `v` of dtype `from` (bit patterns for half) converted to `to`'s. */
function convertFrom(v: number, from: DType, to: DType): number {
  const x = isHalf(from) ? decodeHalf(from, Uint16Array.of(v))[0]! : v;
  if (isHalf(to)) return encodeHalf(to, Float32Array.of(x))[0]!;
  return convert(x, to);
}

function convert(v: number, to: DType): number {
  if (to === 'bool') return v !== 0 ? 1 : 0;
  if (to === 'int32') {
    if (Number.isNaN(v)) return 0;
    return Math.trunc(Math.max(-2147483648, Math.min(2147483647, v))) | 0;
  }
  return Math.fround(v);
}

describe('copy', () => {
  it('converts between every dtype pair, from every layout', async () => {
    const be = await backend();
    const rand = rng(11);
    for (const from of DTYPES)
      for (const to of DTYPES)
        for (const shape of SHAPES)
          for (const kind of LAYOUTS) {
            const src = upload(be, from, shape, kind, rand);
            const dst = output(be, to, shape);
            be.copy(src.view, dst);
            expect(readAll(be, dst), `${from}->${to} [${shape}] ${kind}`).toEqual(src.values.map((v) => convertFrom(v, from, to)));
          }
  });

  it('writes into strided, transposed, negative and offset destinations', async () => {
    const be = await backend();
    const rand = rng(12);
    for (const dtype of DTYPES)
      for (const shape of SHAPES)
        for (const kind of ['offset', 'strided', 'transposed', 'negative'] as const) {
          const src = upload(be, dtype, shape, 'contiguous', rand);
          const dst = upload(be, dtype, shape, kind, rand);
          be.copy(src.view, dst.view);
          expect(readAll(be, dst.view), `${dtype} [${shape}] -> ${kind}`).toEqual(src.values);
        }
  });

  it('copies short float32 rows (heads split or merged) and keeps memmove order when a row overlaps itself', async () => {
    const be = await backend();
    // [B, H, L, D] read as [B, L, H, D]: rows of D = 32 floats, one v128 loop each.
    const [B, H, L, D] = [2, 3, 5, 32];
    const values = Float32Array.from({ length: B * H * L * D }, (_, i) => i * 0.5 - 7);
    const buffer = be.alloc(values.byteLength);
    be.write(buffer, values);
    const src: View = { buffer, dtype: 'float32', shape: [B, L, H, D], strides: [H * L * D, D, L * D, 1], offset: 0 };
    const dst = output(be, 'float32', [B, L, H, D]);
    be.copy(src, dst);
    const want: number[] = [];
    for (let b = 0; b < B; b++) for (let l = 0; l < L; l++) for (let h = 0; h < H; h++) for (let d = 0; d < D; d++) want.push(values[((b * H + h) * L + l) * D + d]!);
    expect(readAll(be, dst)).toEqual(want);
    // One row of 12 copied one and five elements further along the same buffer.
    for (const shift of [1, 5]) {
      const row = Float32Array.from({ length: 20 }, (_, i) => i + 1);
      const buf = be.alloc(row.byteLength);
      be.write(buf, row);
      be.copy({ buffer: buf, dtype: 'float32', shape: [12], strides: [1], offset: 0 }, { buffer: buf, dtype: 'float32', shape: [12], strides: [1], offset: shift });
      const got = readAll(be, { buffer: buf, dtype: 'float32', shape: [20], strides: [1], offset: 0 });
      expect(got, `shift ${shift}`).toEqual([...row.slice(0, shift), ...row.slice(0, 12), ...row.slice(12 + shift)]);
      be.free(buf);
    }
    be.free(buffer);
  });

  it('casts float specials like PyTorch (truncate, NaN -> 0, saturate)', async () => {
    const be = await backend();
    const vals = [NaN, Infinity, -Infinity, 3e9, -3e9, 2.9, -2.9, -0, 0.4, 2147483520];
    for (const n of [vals.length, 64]) {
      const data = Float32Array.from({ length: n }, (_, i) => vals[i % vals.length]!);
      const src = upload(be, 'float32', [n], 'contiguous', rng(1), () => data);
      const dst = output(be, 'int32', [n]);
      be.copy(src.view, dst);
      expect(readAll(be, dst)).toEqual(src.values.map((v) => convert(v, 'int32')));
      const b = output(be, 'bool', [n]);
      be.copy(src.view, b);
      expect(readAll(be, b)).toEqual(src.values.map((v) => (v !== 0 ? 1 : 0)));
    }
  });
});

describe('fill', () => {
  it('fills every dtype at any length and offset', async () => {
    const be = await backend();
    for (const dtype of COMPUTE_DTYPES)
      for (const n of [0, 1, 3, 4, 5, 17, 64]) {
        const out = output(be, dtype, [n]);
        const value = dtype === 'float32' ? -1.25 : dtype === 'int32' ? -7 : 1;
        be.fill(out, value);
        expect(readAll(be, out)).toEqual(new Array(n).fill(value));
      }
  });
});

function gatherRef(xv: number[], xShape: number[], dim: number, idx: number[], shape: number[]): number[] {
  const xs = contiguous(xShape);
  const out: number[] = [];
  const pos = new Array(shape.length).fill(0);
  for (let i = 0; i < idx.length; i++) {
    let at = 0;
    for (let d = 0; d < shape.length; d++) at += (d === dim ? idx[i]! : pos[d]) * xs[d]!;
    out.push(xv[at]!);
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++pos[d] < shape[d]!) break;
      pos[d] = 0;
    }
  }
  return out;
}

describe('gather and scatterAdd', () => {
  const cases: [number[], number[], number][] = [
    [[5], [7], 0],
    [[3, 4], [3, 6], 1],
    [[3, 4], [5, 4], 0],
    [[2, 3, 4], [2, 2, 4], 1],
    [[4, 3, 2, 5], [2, 3, 2, 3], 3],
    [[2, 2, 3, 2, 2], [2, 2, 3, 2, 4], 4],
  ];

  it('gathers for every dtype and layout of x and index', async () => {
    const be = await backend();
    const rand = rng(21);
    for (const dtype of COMPUTE_DTYPES)
      for (const [xShape, iShape, dim] of cases)
        for (const kind of LAYOUTS) {
          const x = upload(be, dtype, xShape, kind, rand);
          const index = upload(be, 'int32', iShape, LAYOUTS[(LAYOUTS.indexOf(kind) + 1) % LAYOUTS.length]!, rand, (n) =>
            Int32Array.from({ length: n }, () => Math.floor(rand() * xShape[dim]!)),
          );
          const out = output(be, dtype, iShape);
          be.gather(x.view, dim, index.view, out);
          expect(readAll(be, out), `${dtype} [${xShape}] dim ${dim} ${kind}`).toEqual(gatherRef(x.values, xShape, dim, index.values, iShape));
        }
  });

  it('gathers from a rank-0 tensor and with an empty index', async () => {
    const be = await backend();
    const x = upload(be, 'float32', [], 'contiguous', rng(1));
    const idx = upload(be, 'int32', [], 'contiguous', rng(1), () => Int32Array.of(0));
    const out = output(be, 'float32', []);
    be.gather(x.view, 0, idx.view, out);
    expect(readAll(be, out)).toEqual(x.values);
    const e = upload(be, 'int32', [0, 3], 'contiguous', rng(1));
    const y = upload(be, 'float32', [2, 3], 'contiguous', rng(1));
    be.gather(y.view, 0, e.view, output(be, 'float32', [0, 3]));
  });

  it('scatterAdd accumulates repeated indices for float32 and int32', async () => {
    const be = await backend();
    const rand = rng(22);
    for (const dtype of ['float32', 'int32'] as const)
      for (const [dShape, iShape, dim] of cases)
        for (const kind of LAYOUTS) {
          const dst = upload(be, dtype, dShape, 'contiguous', rand);
          const before = [...dst.values];
          const index = upload(be, 'int32', iShape, kind, rand, (n) =>
            Int32Array.from({ length: n }, () => Math.floor(rand() * dShape[dim]!)),
          );
          const src = upload(be, dtype, iShape, LAYOUTS[(LAYOUTS.indexOf(kind) + 2) % LAYOUTS.length]!, rand);
          be.scatterAdd(dst.view, dim, index.view, src.view);
          // Reference.
          const ds = contiguous(dShape);
          const want = [...before];
          const pos = new Array(iShape.length).fill(0);
          for (let i = 0; i < numel(iShape); i++) {
            let at = 0;
            for (let d = 0; d < iShape.length; d++) at += (d === dim ? index.values[i]! : pos[d]) * ds[d]!;
            want[at] = dtype === 'int32' ? (want[at]! + src.values[i]!) | 0 : Math.fround(want[at]! + src.values[i]!);
            for (let d = iShape.length - 1; d >= 0; d--) {
              if (++pos[d] < iShape[d]!) break;
              pos[d] = 0;
            }
          }
          expect(readAll(be, dst.view), `${dtype} [${dShape}] dim ${dim} ${kind}`).toEqual(want);
        }
  });

  it('throws a RangeError naming the index, dim and size, and writes nothing', async () => {
    const be = await backend();
    const x = upload(be, 'float32', [3, 4], 'contiguous', rng(1));
    const idx = upload(be, 'int32', [3, 2], 'contiguous', rng(1), () => Int32Array.from([0, 1, 2, 3, 9, 0]));
    expect(() => be.gather(x.view, 1, idx.view, output(be, 'float32', [3, 2]))).toThrow(
      /gather index 9 is out of bounds for dimension 1 with size 4/,
    );
    const neg = upload(be, 'int32', [3, 2], 'contiguous', rng(1), () => Int32Array.from([0, -1, 0, 0, 0, 0]));
    expect(() => be.gather(x.view, 1, neg.view, output(be, 'float32', [3, 2]))).toThrow(RangeError);
    const before = readAll(be, x.view);
    const src = upload(be, 'float32', [3, 2], 'contiguous', rng(1));
    const bad = upload(be, 'int32', [3, 2], 'contiguous', rng(1), () => Int32Array.from([0, 1, 2, 3, 0, 5]));
    expect(() => be.scatterAdd(x.view, 0, bad.view, src.view)).toThrow(/scatterAdd index 3 is out of bounds for dimension 0 with size 3/);
    expect(readAll(be, x.view)).toEqual(before);
  });
});

describe('readSync / read', () => {
  it('reads strided views into contiguous arrays of the right type', async () => {
    const be = await backend();
    const rand = rng(31);
    for (const dtype of DTYPES)
      for (const kind of LAYOUTS) {
        const x = upload(be, dtype, [3, 4, 2], kind, rand);
        const got = be.readSync(x.view);
        expect(got.constructor.name).toBe({ float32: 'Float32Array', int32: 'Int32Array', bool: 'Uint8Array', float16: 'Uint16Array', bfloat16: 'Uint16Array' }[dtype]);
        expect(Array.from(got)).toEqual(x.values);
        expect(Array.from(await be.read(x.view))).toEqual(x.values);
      }
    const v: View = { buffer: be.alloc(0), dtype: 'float32', shape: [0, 4], strides: [4, 1], offset: 0 };
    expect(be.readSync(v).length).toBe(0);
  });
});
