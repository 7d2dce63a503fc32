/**
 * The primitive ops: each is one backend call on views core has prepared (broadcast with
 * stride 0, dtypes already unified). Every other op in core is built from these and from the
 * view ops in view.ts, so a gradient rule per primitive covers the whole library.
 */
import type { BinaryOp, RandomParams, ReduceOp, UnaryOp, View } from '../backend.ts';
import { isHalf, type DType } from '../dtype.ts';
import { broadcastShapes, numel, shapeStr, type Shape } from '../shape.ts';
import type { Tensor } from '../tensor.ts';
import { copyAs, disposeTemps, empty, fillWith, sameBackend } from './util.ts';
import { record } from '../grad-hook.ts';
import type { Backend } from '../backend.ts';

/** `t`'s view broadcast to `shape` (leading dims added, size-1 dims given stride 0). */
export function broadcastView(t: Tensor, shape: Shape): View {
  const v = t.view_();
  const n = shape.length;
  const off = n - t.ndim;
  const strides = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const d = i - off;
    if (d < 0) strides[i] = 0;
    else {
      const size = t.shape[d]!;
      if (size === shape[i]) strides[i] = size === 1 ? 0 : t.strides[d]!;
      else if (size === 1) strides[i] = 0;
      else throw new RangeError(`cannot broadcast shape ${shapeStr(t.shape)} to ${shapeStr(shape)}`);
    }
  }
  return { ...v, shape, strides };
}

const COMPARISONS: ReadonlySet<BinaryOp> = new Set(['eq', 'ne', 'lt', 'le', 'gt', 'ge']);

/**
 * float16 and bfloat16 are storage dtypes: a primitive with such an operand runs on float32
 * copies of it and rounds a float32 result back to that dtype (one rounding per op, as PyTorch's
 * CPU kernels that upcast). Backends therefore only ever see 2-byte floats in `copy`, `read` and
 * `write`. Returns null when no operand is half, so the caller runs the kernel directly. Each
 * step is a recorded op (`cast`), so gradients flow through without rules of their own.
 */
function viaFloat32(inputs: readonly Tensor[], run: (float32Inputs: Tensor[]) => Tensor): Tensor | null {
  const half = inputs.find((t) => isHalf(t.dtype))?.dtype;
  if (half === undefined) return null;
  const fs = inputs.map((t) => (isHalf(t.dtype) ? copyAs(t, 'float32') : t));
  try {
    const r = run(fs);
    if (r.dtype !== 'float32') return r;
    try {
      return copyAs(r, half);
    } finally {
      r.dispose();
    }
  } finally {
    disposeTemps(fs, inputs);
  }
}

export function unaryP(op: UnaryOp, x: Tensor): Tensor {
  const h = viaFloat32([x], ([xf]) => unaryP(op, xf!));
  if (h) return h;
  return record(op, {}, [x], fillWith(empty(x.shape, x.dtype, x.backend), (o) => x.backend.unary(op, x.view_(), o)));
}

/** `a` and `b` share a dtype; their shapes broadcast. */
export function binaryP(op: BinaryOp, a: Tensor, b: Tensor): Tensor {
  const h = viaFloat32([a, b], ([af, bf]) => binaryP(op, af!, bf!));
  if (h) return h;
  const backend = sameBackend(op, a, b);
  const shape = broadcastShapes(a.shape, b.shape);
  const av = broadcastView(a, shape), bv = broadcastView(b, shape);
  return record(op, {}, [a, b], fillWith(empty(shape, COMPARISONS.has(op) ? 'bool' : a.dtype, backend), (o) => backend.binary(op, av, bv, o)));
}

/** `cond` is bool; `a` and `b` share a dtype; all three broadcast. */
export function whereP(cond: Tensor, a: Tensor, b: Tensor): Tensor {
  const h = viaFloat32([cond, a, b], ([c, af, bf]) => whereP(c!, af!, bf!));
  if (h) return h;
  const backend = sameBackend('where', cond, a, b);
  const shape = broadcastShapes(broadcastShapes(cond.shape, a.shape), b.shape);
  const cv = broadcastView(cond, shape), av = broadcastView(a, shape), bv = broadcastView(b, shape);
  return record('where', {}, [cond, a, b], fillWith(empty(shape, a.dtype, backend), (o) => backend.where(cv, av, bv, o)));
}

/** Reduces over sorted distinct `axes`; the result keeps them as size 1. */
export function reduceP(op: ReduceOp, x: Tensor, axes: readonly number[]): Tensor {
  const h = viaFloat32([x], ([xf]) => reduceP(op, xf!, axes));
  if (h) return h;
  const shape = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const out = empty(shape, op === 'argmax' || op === 'argmin' ? 'int32' : x.dtype, x.backend);
  fillWith(out, (o) => (axes.length === 0 ? x.backend.copy(x.view_(), o) : x.backend.reduce(op, x.view_(), axes, o)));
  return record(op, { axes }, [x], out);
}

/** `a` is `[...B1, M, K]`, `b` is `[...B2, K, N]` (both at least 2-D); batch dims broadcast. */
export function matmulP(a: Tensor, b: Tensor): Tensor {
  const h = viaFloat32([a, b], ([af, bf]) => matmulP(af!, bf!));
  if (h) return h;
  const backend = sameBackend('matmul', a, b);
  const m = a.shape[a.ndim - 2]!, k = a.shape[a.ndim - 1]!;
  const n = b.shape[b.ndim - 1]!;
  const batch = broadcastShapes(a.shape.slice(0, -2), b.shape.slice(0, -2));
  const av = broadcastView(a, [...batch, m, k]);
  const bv = broadcastView(b, [...batch, k, n]);
  const out = fillWith(empty([...batch, m, n], 'float32', backend), (o) => {
    if (numel(o.shape) === 0) return;
    if (k === 0) backend.fill(o, 0);
    else backend.matmul(av, bv, o);
  });
  return record('matmul', {}, [a, b], out);
}

/** PyTorch's gather on `dim`; the result has `index`'s shape. */
export function gatherP(x: Tensor, dim: number, index: Tensor): Tensor {
  const backend = sameBackend('gather', x, index);
  const h = viaFloat32([x, index], ([xf, i]) => gatherP(xf!, dim, i!));
  if (h) return h;
  const iv = index.view_();
  const out = fillWith(empty(iv.shape, x.dtype, backend), (o) => {
    if (numel(iv.shape) > 0) backend.gather(x.view_(), dim, iv, o);
  });
  return record('gather', { dim }, [x, index], out);
}

/** A zero tensor of `shape` into which `src` is scatter-added along `dim` at `index`. */
export function scatterAddP(shape: Shape, dim: number, index: Tensor, src: Tensor): Tensor {
  const h = viaFloat32([index, src], ([i, sf]) => scatterAddP(shape, dim, i!, sf!));
  if (h) return h;
  const backend = sameBackend('scatterAdd', index, src);
  const out = fillWith(empty(shape, src.dtype, backend), (o) => {
    backend.fill(o, 0);
    if (numel(index.shape) > 0) backend.scatterAdd(o, dim, index.view_(), src.view_());
  });
  return record('scatterAdd', { dim, shape }, [index, src], out);
}

/** A contiguous float32 tensor of Philox random numbers. */
export function randomP(shape: Shape, params: RandomParams, backend: Backend): Tensor {
  return fillWith(empty(shape, 'float32', backend), (o) => {
    if (numel(shape) > 0) backend.random(o, params);
  });
}

/** A contiguous tensor of `shape` filled with `value` (already checked). */
export function fillP(shape: Shape, dtype: DType, value: number, backend: Backend): Tensor {
  if (isHalf(dtype)) {
    const f = fillP(shape, 'float32', value, backend);
    try {
      return copyAs(f, dtype);
    } finally {
      f.dispose();
    }
  }
  return fillWith(empty(shape, dtype, backend), (o) => {
    if (numel(shape) > 0) backend.fill(o, value);
  });
}
