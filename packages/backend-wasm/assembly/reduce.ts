// Reductions. The glue splits x's dims into outer ones (kept; SHAPE/STRIDES, operands x and out)
// and reduced ones (SHAPE2/STRIDES2, operand x), each coalesced. For every output element the
// reduced dims are walked as rows; a contiguous row runs a v128 body. float32 sums and products
// accumulate in float64 (more accurate than float32 pairwise summation); max/min propagate NaN
// (wasm's f32.max/min and f32x4.max/min do); argmax/argmin take the first extreme, NaN counting
// as the extreme, as PyTorch.
import { MAX_RANK, SHAPE2, STRIDES2, rowsBegin, rowsNext, dimSize, stride, p0, p1 } from './iter';

const SUM = 0, PROD = 1, MAX = 2, MIN = 3, ARGMAX = 4, ARGMIN = 5;
const INDEX2: usize = memory.data(MAX_RANK * 4, 16);

@inline function dim2(d: i32): i32 { return load<i32>(SHAPE2 + (<usize>d << 2)); }
@inline function stride2(d: i32): i32 { return load<i32>(STRIDES2 + (<usize>d << 2)); }

// ---- one row of the reduced dims -------------------------------------------------------------

@inline function rowF32(op: i32, p: usize, s: i32, n: i32, acc: f64): f64 {
  let i = 0;
  if (op == SUM) {
    if (s == 4) {
      let v0 = f64x2.splat(0), v1 = f64x2.splat(0);
      for (; i + 4 <= n; i += 4) {
        const v = v128.load(p + (<usize>i << 2));
        v0 = f64x2.add(v0, f64x2.promote_low_f32x4(v));
        v1 = f64x2.add(v1, f64x2.promote_low_f32x4(i8x16.shuffle(v, v, 8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7)));
      }
      const t = f64x2.add(v0, v1);
      acc += f64x2.extract_lane(t, 0) + f64x2.extract_lane(t, 1);
    }
    for (; i < n; i++) acc += <f64>load<f32>(p + <usize>(i * s));
  } else if (op == PROD) {
    for (; i < n; i++) acc *= <f64>load<f32>(p + <usize>(i * s));
  } else {
    let m = <f32>acc;
    if (s == 4 && n >= 8) {
      let v = v128.load(p);
      for (i = 4; i + 4 <= n; i += 4) {
        const w = v128.load(p + (<usize>i << 2));
        v = op == MAX ? f32x4.max(v, w) : f32x4.min(v, w);
      }
      for (let l = 0; l < 4; l++) {
        const e = f32x4.extract_lane(v, 0);
        m = op == MAX ? max<f32>(m, e) : min<f32>(m, e);
        v = i8x16.shuffle(v, v, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3);
      }
    }
    for (; i < n; i++) {
      const e = load<f32>(p + <usize>(i * s));
      m = op == MAX ? max<f32>(m, e) : min<f32>(m, e);
    }
    acc = <f64>m;
  }
  return acc;
}

@inline function rowI32(op: i32, p: usize, s: i32, n: i32, acc: i32): i32 {
  let i = 0;
  if (op == SUM && s == 4) {
    let v = i32x4.splat(0);
    for (; i + 4 <= n; i += 4) v = i32x4.add(v, v128.load(p + (<usize>i << 2)));
    acc += i32x4.extract_lane(v, 0) + i32x4.extract_lane(v, 1) + i32x4.extract_lane(v, 2) + i32x4.extract_lane(v, 3);
  }
  for (; i < n; i++) {
    const e = load<i32>(p + <usize>(i * s));
    if (op == SUM) acc += e;
    else if (op == PROD) acc *= e;
    else if (op == MAX) acc = e > acc ? e : acc;
    else acc = e < acc ? e : acc;
  }
  return acc;
}

/** Reduces every reduced-dim row at base `x`, starting from `acc` (the identity). */
@inline function reduceF32(op: i32, x: usize, r2: i32, acc: f64): f64 {
  const n = dim2(r2 - 1), s = stride2(r2 - 1);
  if (r2 == 1) return rowF32(op, x, s, n, acc);
  let rows = 1;
  for (let d = 0; d < r2 - 1; d++) { rows *= dim2(d); store<i32>(INDEX2 + (<usize>d << 2), 0); }
  let p = x;
  for (let r = 0; r < rows; r++) {
    acc = rowF32(op, p, s, n, acc);
    p = next2(p, r2);
  }
  return acc;
}

@inline function reduceI32(op: i32, x: usize, r2: i32, acc: i32): i32 {
  const n = dim2(r2 - 1), s = stride2(r2 - 1);
  if (r2 == 1) return rowI32(op, x, s, n, acc);
  let rows = 1;
  for (let d = 0; d < r2 - 1; d++) { rows *= dim2(d); store<i32>(INDEX2 + (<usize>d << 2), 0); }
  let p = x;
  for (let r = 0; r < rows; r++) {
    acc = rowI32(op, p, s, n, acc);
    p = next2(p, r2);
  }
  return acc;
}

/** Odometer step over the reduced dims 0..r2-2. */
function next2(p: usize, r2: i32): usize {
  for (let d = r2 - 2; d >= 0; d--) {
    const at = INDEX2 + (<usize>d << 2);
    const i = load<i32>(at) + 1;
    if (i < dim2(d)) {
      store<i32>(at, i);
      return p + <usize>stride2(d);
    }
    store<i32>(at, 0);
    p -= <usize>(stride2(d) * (i - 1));
  }
  return p;
}

@inline function argF32(op: i32, p: usize, s: i32, n: i32): i32 {
  let best = load<f32>(p), at = 0;
  for (let i = 1; i < n && best == best; i++) {
    const e = load<f32>(p + <usize>(i * s));
    if (op == ARGMAX ? (e > best || e != e) : (e < best || e != e)) { best = e; at = i; }
  }
  return at;
}

@inline function argI32(op: i32, p: usize, s: i32, n: i32): i32 {
  let best = load<i32>(p), at = 0;
  for (let i = 1; i < n; i++) {
    const e = load<i32>(p + <usize>(i * s));
    if (op == ARGMAX ? e > best : e < best) { best = e; at = i; }
  }
  return at;
}

// ---- the outer loop over output elements -----------------------------------------------------

@inline function loop(op: i32, isF32: bool, x: usize, o: usize, rank: i32, r2: i32): void {
  const rows = rowsBegin(rank, x, o, 0, 0);
  const last = rank - 1;
  const n = dimSize(last), sx = stride(0, last), so = stride(1, last);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < n; j++) {
      const xp = p0 + <usize>(j * sx), op_ = p1 + <usize>(j * so);
      if (op == ARGMAX || op == ARGMIN) {
        const at = isF32 ? argF32(op, xp, stride2(0), dim2(0)) : argI32(op, xp, stride2(0), dim2(0));
        store<i32>(op_, at);
      } else if (isF32) {
        const init: f64 = op == SUM ? 0.0 : op == PROD ? 1.0 : op == MAX ? -Infinity : Infinity;
        store<f32>(op_, <f32>reduceF32(op, xp, r2, init));
      } else {
        const init: i32 = op == SUM ? 0 : op == PROD ? 1 : op == MAX ? i32.MIN_VALUE : i32.MAX_VALUE;
        store<i32>(op_, reduceI32(op, xp, r2, init));
      }
    }
    rowsNext(rank);
  }
}

/**
 * op: sum prod max min argmax argmin (0..5); dtype 0 float32, 1 int32. `rank` counts the outer
 * dims (SHAPE), `r2` the reduced ones (SHAPE2; exactly one for argmax/argmin).
 */
export function reduce(op: i32, dtype: i32, x: usize, o: usize, rank: i32, r2: i32): void {
  if (dtype == 0) {
    switch (op) {
      case SUM: loop(SUM, true, x, o, rank, r2); break;
      case PROD: loop(PROD, true, x, o, rank, r2); break;
      case MAX: loop(MAX, true, x, o, rank, r2); break;
      case MIN: loop(MIN, true, x, o, rank, r2); break;
      case ARGMAX: loop(ARGMAX, true, x, o, rank, r2); break;
      case ARGMIN: loop(ARGMIN, true, x, o, rank, r2); break;
    }
  } else {
    switch (op) {
      case SUM: loop(SUM, false, x, o, rank, r2); break;
      case PROD: loop(PROD, false, x, o, rank, r2); break;
      case MAX: loop(MAX, false, x, o, rank, r2); break;
      case MIN: loop(MIN, false, x, o, rank, r2); break;
      case ARGMAX: loop(ARGMAX, false, x, o, rank, r2); break;
      case ARGMIN: loop(ARGMIN, false, x, o, rank, r2); break;
    }
  }
}
