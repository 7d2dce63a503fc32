// The reduce kernel against core's plain-JS reference backend on the layouts that pick its walks
// (assembly/reduce.ts): reduced dims outer and kept dims inner (the v128 column blocks of 16, the
// scalar blocks of 4 and the one-at-a-time tail), a middle axis, several reduced dims that do not
// merge, kept and reduced dims both strided or flipped, broadcasts, and the innermost-reduced row
// walk for contrast; odd sizes (1, 3, 5, 17, 33, 1023) so every block and tail runs. Same buffer
// contents on both backends. Sums and products may differ by the float64 accumulation order
// (rtol 1e-6, atol 1e-6); max/min/argmax/argmin and every int32 result must match exactly, NaN
// included.
import { describe, it } from 'vitest';
import { REDUCE_OPS, allocTyped, type DType, type ReduceOp, type TypedArray, type View } from '@torchlet/core';
import { createReferenceBackend } from '../../core/test/reference-backend.ts';
import { LAYOUTS, backend, expectClose, numel, output, readAll, rng, upload } from './helpers.ts';

/** [shape, reduced axes]; the arg ops take the cases with one axis. */
const CASES: [number[], number[]][] = [
  // Leading axis, kept dim inner: bias gradients.
  [[1023, 5], [0]], [[5, 1023], [0]], [[3, 17], [0]], [[17, 3], [0]], [[1, 17], [0]], [[17, 1], [0]],
  [[33, 37], [0]], [[1023, 1], [0]],
  // Last axis: the row walk.
  [[5, 1023], [1]], [[17, 3], [1]], [[3, 33], [1]],
  // Middle axis of [B, S, D].
  [[3, 17, 5], [1]], [[2, 5, 33], [1]], [[5, 3, 17], [1]], [[2, 1023, 3], [1]],
  // Several dims: merging ([0, 1]), not merging ([0, 2]: two reduced dims), all.
  [[3, 5, 17], [0, 1]], [[4, 3, 5, 17], [0, 2]], [[3, 4, 5, 19], [0, 1, 2]], [[5, 3, 4, 17], [1, 3]], [[17, 5], [0, 1]],
];

/** Buffer contents suited to `op`: ties and NaN for the extremes, factors near 1 for products. */
function values(op: ReduceOp, dtype: DType, n: number, reducedCount: number, rand: () => number): TypedArray {
  const a = allocTyped(dtype, n);
  const extreme = op !== 'sum' && op !== 'prod';
  for (let i = 0; i < n; i++) {
    const u = rand();
    if (dtype === 'int32') {
      // Products of +-1 with a rare 2 stay exact in the reference's float64, so wrapping agrees.
      a[i] = op === 'prod' ? (u < 1 / 64 ? 2 : u < 0.5 ? -1 : 1) : Math.floor(u * 19) - 9;
    } else if (op === 'prod') {
      a[i] = 0.9 + 0.2 * u;
    } else if (extreme) {
      // Quarter steps make ties (the first extreme must win); about half the outputs see a NaN.
      a[i] = rand() < 0.5 / reducedCount ? NaN : Math.round(u * 24 - 12) / 4;
    } else {
      a[i] = u * 6 - 3;
    }
  }
  return a;
}

describe('reduce against the reference backend', () => {
  const ref = createReferenceBackend();
  for (const op of REDUCE_OPS) {
    it(`${op}: leading, middle, last and several axes; every layout; float32 and int32`, async () => {
      const be = await backend();
      const rand = rng(op.length * 7 + 11);
      const arg = op === 'argmax' || op === 'argmin';
      let checked = 0;
      for (const dtype of ['float32', 'int32'] as const) {
        for (const [shape, axes] of CASES) {
          if (arg && axes.length !== 1) continue; // the contract: one axis for argmax/argmin
          const reducedCount = axes.reduce((m, a) => m * shape[a]!, 1);
          for (const kind of LAYOUTS) {
            const x = upload(be, dtype, shape, kind, rand, (n) => values(op, dtype, n, reducedCount, rand));
            const outShape = shape.map((d, i) => (axes.includes(i) ? 1 : d));
            const outDtype = arg ? 'int32' : dtype;
            const out = output(be, outDtype, outShape);
            be.reduce(op, x.view, axes, out);

            const xb = ref.alloc(x.data.byteLength);
            ref.write(xb, x.data);
            const ob = ref.alloc((numel(outShape) + 3) * 4);
            const refOut: View = { ...out, buffer: ob };
            ref.reduce(op, { ...x.view, buffer: xb }, axes, refOut);
            const expected = Array.from(ref.readSync!(refOut));
            ref.free(xb);
            ref.free(ob);

            const tol = dtype === 'float32' && (op === 'sum' || op === 'prod') ? 1e-6 : 0;
            expectClose(readAll(be, out), expected, tol, tol, `${op} ${dtype} [${shape}] ${kind} axes [${axes}]`);
            be.free(x.view.buffer);
            be.free(out.buffer);
            checked++;
          }
        }
      }
      if (checked < (arg ? 180 : 240)) throw new Error(`only ${checked} cases ran`);
    });
  }
});
