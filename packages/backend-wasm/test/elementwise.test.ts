import { describe, expect, it } from 'vitest';
import { BINARY_OPS, UNARY_OPS, binaryRef, kernelDtypes, unaryRef, opKind, type BinaryOp, type DType, type UnaryOp } from '@torchlet/core';
import { LAYOUTS, SHAPES, backend, expectClose, output, readAll, rng, upload } from './helpers.ts';

const f = Math.fround;

/** Each op's float64 meaning, from core's op table. */
const UNARY_F32 = (op: UnaryOp): ((x: number) => number) => unaryRef(op);
const EXACT = new Set<UnaryOp>(['neg', 'abs', 'sign', 'relu', 'floor', 'ceil', 'round', 'trunc', 'sqrt', 'reciprocal']);

describe('unary', () => {
  for (const op of UNARY_OPS) {
    it(`${op} on every layout and rank`, async () => {
      const be = await backend();
      const rand = rng(op.length * 7919);
      const dtypes = kernelDtypes(opKind('unary', op)) as DType[];
      for (const dtype of dtypes) {
        for (const shape of SHAPES) {
          for (const kind of LAYOUTS) {
            const x = upload(be, dtype, shape, kind, rand);
            const out = output(be, dtype, shape);
            be.unary(op, x.view, out);
            let expected: number[];
            if (op === 'logicalNot') expected = x.values.map((v) => (v ? 0 : 1));
            else if (dtype === 'int32') expected = x.values.map((v) => UNARY_F32(op)(v) | 0);
            else expected = x.values.map((v) => f(UNARY_F32(op)(v)));
            const tol = EXACT.has(op) || dtype !== 'float32' ? 0 : 2e-6;
            expectClose(readAll(be, out), expected, tol, tol * 1e-3, `${op} ${dtype} [${shape}] ${kind}`);
          }
        }
      }
    });
  }

  it('handles NaN, infinities, signed zero and halves like PyTorch', async () => {
    const be = await backend();
    const special = [NaN, Infinity, -Infinity, -0, 0, 0.5, 1.5, 2.5, -0.5, -2.5, 1e-30, -1e-30, 88, -104, 1e-8];
    const x = upload(be, 'float32', [special.length], 'contiguous', rng(1), () => Float32Array.from(special));
    for (const op of UNARY_OPS) {
      if (op === 'logicalNot') continue;
      const out = output(be, 'float32', [special.length]);
      be.unary(op, x.view, out);
      const expected = x.values.map((v) => f(UNARY_F32(op)(v)));
      expectClose(readAll(be, out), expected, EXACT.has(op) ? 0 : 2e-6, 1e-40, `${op} specials`);
    }
    const r = output(be, 'float32', [special.length]);
    be.unary('round', x.view, r);
    expect(readAll(be, r).slice(5, 10)).toEqual([0, 2, 2, -0, -2]);
  });

  it('transcendentals stay within 1e-6 relative over a wide range', async () => {
    const be = await backend();
    const n = 4099;
    const rand = rng(5);
    const x = upload(be, 'float32', [n], 'contiguous', rand, () => Float32Array.from({ length: n }, () => (rand() - 0.5) * 40));
    for (const op of ['exp', 'tanh', 'sin', 'cos', 'erf', 'sigmoid', 'expm1', 'log1p', 'log'] as const) {
      const out = output(be, 'float32', [n]);
      be.unary(op, x.view, out);
      expectClose(readAll(be, out), x.values.map((v) => f(UNARY_F32(op)(v))), 1e-6, 1e-30, op);
    }
  });

  it('runs in place', async () => {
    const be = await backend();
    const x = upload(be, 'float32', [10], 'contiguous', rng(2));
    be.unary('neg', x.view, x.view);
    expect(readAll(be, x.view)).toEqual(x.values.map((v) => -v));
  });
});

/** Each op's float64 meaning from core's op table; int32 results wrap as the kernels do. */
const BINARY_REF = (op: BinaryOp) => (a: number, b: number, dtype: DType): number => {
  const r = binaryRef(op)(a, b, dtype === 'int32');
  return dtype === 'int32' && opKind('binary', op) !== 'compare' ? r | 0 : r;
};

function binaryDtypes(op: BinaryOp): DType[] {
  return kernelDtypes(opKind('binary', op)) as DType[];
}

describe('binary', () => {
  for (const op of BINARY_OPS) {
    it(`${op} on every dtype, layout pair and rank`, async () => {
      const be = await backend();
      const rand = rng(op.length * 31 + op.charCodeAt(0));
      for (const dtype of binaryDtypes(op)) {
        const kind = opKind('binary', op);
        const outDtype: DType = kind === 'compare' || kind === 'logical' ? 'bool' : dtype;
        for (const shape of SHAPES) {
          for (let i = 0; i < LAYOUTS.length; i++) {
            // Pair every layout of a with two layouts of b (itself, and a rotated one).
            for (const kb of [LAYOUTS[i]!, LAYOUTS[(i + 2) % LAYOUTS.length]!]) {
              const a = upload(be, dtype, shape, LAYOUTS[i]!, rand);
              const b = upload(be, dtype, shape, kb, rand);
              const out = output(be, outDtype, shape);
              be.binary(op, a.view, b.view, out);
              const expected = a.values.map((v, j) => {
                const r = BINARY_REF(op)(v, b.values[j]!, dtype);
                return outDtype === 'float32' ? f(r) : r;
              });
              const tol = op === 'pow' && dtype === 'float32' ? 1e-6 : 0;
              expectClose(readAll(be, out), expected, tol, 0, `${op} ${dtype} [${shape}] ${LAYOUTS[i]}/${kb}`);
            }
          }
        }
      }
    });
  }

  it('broadcasts a scalar (stride 0 everywhere) on either side, with the SIMD path', async () => {
    const be = await backend();
    const rand = rng(9);
    for (const dtype of ['float32', 'int32'] as const) {
      const a = upload(be, dtype, [4, 37], 'contiguous', rand);
      const s = upload(be, dtype, [], 'contiguous', rand);
      const scalar = { ...s.view, shape: [4, 37], strides: [0, 0] };
      for (const op of ['add', 'sub', 'mul', 'maximum', 'minimum'] as const) {
        const out1 = output(be, dtype, [4, 37]);
        be.binary(op, a.view, scalar, out1);
        expect(readAll(be, out1)).toEqual(a.values.map((v) => BINARY_REF(op)(v, s.values[0]!, dtype)).map((v) => (dtype === 'float32' ? f(v) : v)));
        const out2 = output(be, dtype, [4, 37]);
        be.binary(op, scalar, a.view, out2);
        expect(readAll(be, out2)).toEqual(a.values.map((v) => BINARY_REF(op)(s.values[0]!, v, dtype)).map((v) => (dtype === 'float32' ? f(v) : v)));
      }
    }
  });

  it('propagates NaN through maximum/minimum and follows Python % signs', async () => {
    const be = await backend();
    const av = [NaN, 1, -0, 5, -5, 5, -5, 7.5, Infinity];
    const bv = [1, NaN, 0, 3, 3, -3, -3, 0, 2];
    const a = upload(be, 'float32', [av.length], 'contiguous', rng(1), () => Float32Array.from(av));
    const b = upload(be, 'float32', [bv.length], 'contiguous', rng(1), () => Float32Array.from(bv));
    for (const op of ['maximum', 'minimum', 'remainder'] as const) {
      const out = output(be, 'float32', [av.length]);
      be.binary(op, a.view, b.view, out);
      expectClose(readAll(be, out), av.map((x, i) => f(BINARY_REF(op)(x, bv[i]!, 'float32'))), 0, 0, op);
    }
    const ia = upload(be, 'int32', [6], 'contiguous', rng(1), () => Int32Array.from([7, -7, 7, -7, -2147483648, 3]));
    const ib = upload(be, 'int32', [6], 'contiguous', rng(1), () => Int32Array.from([3, 3, -3, 0, -1, -2]));
    const out = output(be, 'int32', [6]);
    be.binary('remainder', ia.view, ib.view, out);
    expect(readAll(be, out)).toEqual([1, 2, -2, 0, 0, -1]);
    be.binary('pow', ib.view, ia.view, out);
    expect(readAll(be, out)).toEqual([2187, 0, -2187, 0, 1, -8]);
  });

  it('where selects for every dtype and layout', async () => {
    const be = await backend();
    const rand = rng(77);
    for (const dtype of ['float32', 'int32', 'bool'] as const) {
      for (const shape of SHAPES) {
        for (let i = 0; i < LAYOUTS.length; i++) {
          const c = upload(be, 'bool', shape, LAYOUTS[(i + 1) % LAYOUTS.length]!, rand);
          const a = upload(be, dtype, shape, LAYOUTS[i]!, rand);
          const b = upload(be, dtype, shape, LAYOUTS[(i + 3) % LAYOUTS.length]!, rand);
          const out = output(be, dtype, shape);
          be.where(c.view, a.view, b.view, out);
          expect(readAll(be, out)).toEqual(c.values.map((cv, j) => (cv ? a.values[j] : b.values[j])));
        }
      }
    }
  });
});
