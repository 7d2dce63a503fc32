// Reductions. The glue splits x's dims into outer ones (kept; SHAPE/STRIDES, operands x and out)
// and reduced ones (SHAPE2/STRIDES2, operand x), each coalesced. float32 sums and products
// accumulate in float64 (more accurate than float32 pairwise summation); max/min propagate NaN
// (wasm's f32.max/min and f32x4.max/min do); argmax/argmin take the first extreme, NaN counting
// as the extreme, as PyTorch.
//
// Two walks, picked per call by which one reads memory in order (see `loop`):
//  - rows: for every output element the reduced dims are walked as rows; a contiguous row runs a
//    v128 body. Right when the innermost reduced dim is contiguous (softmax, layer-norm stats).
//  - columns: a block of kept elements is reduced at once, the reduced rows walked in the outer
//    loop. Right when the reduced dims are outer and the kept dim inner (bias gradients: a
//    [B*S, N] gradient summed over B*S keeping N): each reduced row then gives one contiguous run
//    of the block instead of one scalar per output (a strided kept dim: four scalars near each
//    other). Every output still takes its values in reduced-row order with the same float64 (or
//    float32 max/min, int32) arithmetic as the row walk's strided scalar loop, so the results are
//    bit-for-bit those of that loop.
import { MAX_RANK, SHAPE2, STRIDES2, rowsBegin, rowsNext, dimSize, stride, p0, p1 } from './iter';

const SUM = 0, PROD = 1, MAX = 2, MIN = 3, ARGMAX = 4, ARGMIN = 5;
const ROWS = 0, COLUMNS = 1, STRIDED = 2;
const INDEX2: usize = memory.data(MAX_RANK * 4, 16);

@inline function dim2(d: i32): i32 { return load<i32>(SHAPE2 + (<usize>d << 2)); }
@inline function stride2(d: i32): i32 { return load<i32>(STRIDES2 + (<usize>d << 2)); }

/** The identity a float32 reduction starts from (float64, as it accumulates). */
@inline function initF(op: i32): f64 {
  return op == SUM ? 0.0 : op == PROD ? 1.0 : op == MAX ? -Infinity : Infinity;
}

@inline function initI(op: i32): i32 {
  return op == SUM ? 0 : op == PROD ? 1 : op == MAX ? i32.MIN_VALUE : i32.MAX_VALUE;
}

/** One step of a float32 reduction in float64 (max/min of promoted values equal f32.max/min's). */
@inline function stepF(op: i32, acc: f64, e: f64): f64 {
  return op == SUM ? acc + e : op == PROD ? acc * e : op == MAX ? max<f64>(acc, e) : min<f64>(acc, e);
}

@inline function stepI(op: i32, acc: i32, e: i32): i32 {
  return op == SUM ? acc + e : op == PROD ? acc * e : op == MAX ? (e > acc ? e : acc) : (e < acc ? e : acc);
}

// ---- rows: one row of the reduced dims -------------------------------------------------------

@inline function rowF32(op: i32, p: usize, s: i32, n: i32, acc: f64): f64 {
  let i = 0;
  if (op == SUM) {
    if (s == 4) {
      let v0 = f64x2.splat(0), v1 = f64x2.splat(0);
      for (; i + 4 <= n; i += 4) {
        const v = v128.load(p + (<usize>i << 2));
        v0 = f64x2.add(v0, promoteLo(v));
        v1 = f64x2.add(v1, promoteHi(v));
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
      // Four accumulators: f32x4.max/min is several instructions on x86 (NaN and -0 handling), so
      // one chain would be latency-bound. max/min are associative, NaN included: same result.
      let v = v128.load(p);
      i = 4;
      if (n >= 16) {
        let u1 = v128.load(p, 16), u2 = v128.load(p, 32), u3 = v128.load(p, 48);
        for (i = 16; i + 16 <= n; i += 16) {
          const q = p + (<usize>i << 2);
          v = vmaxF(op, v, v128.load(q));
          u1 = vmaxF(op, u1, v128.load(q, 16));
          u2 = vmaxF(op, u2, v128.load(q, 32));
          u3 = vmaxF(op, u3, v128.load(q, 48));
        }
        v = vmaxF(op, vmaxF(op, v, u1), vmaxF(op, u2, u3));
      }
      for (; i + 4 <= n; i += 4) v = vmaxF(op, v, v128.load(p + (<usize>i << 2)));
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
  for (; i < n; i++) acc = stepI(op, acc, load<i32>(p + <usize>(i * s)));
  return acc;
}

/** Resets the odometer over the reduced dims 0..r2-2; returns how many rows (of dim r2-1) they hold. */
@inline function rows2(r2: i32): i32 {
  let rows = 1;
  for (let d = 0; d < r2 - 1; d++) { rows *= dim2(d); store<i32>(INDEX2 + (<usize>d << 2), 0); }
  return rows;
}

/** Reduces every reduced-dim row at base `x`, starting from `acc` (the identity). */
@inline function reduceF32(op: i32, x: usize, r2: i32, acc: f64): f64 {
  const n = dim2(r2 - 1), s = stride2(r2 - 1);
  if (r2 == 1) return rowF32(op, x, s, n, acc);
  const rows = rows2(r2);
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
  const rows = rows2(r2);
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

// ---- columns: a block of kept elements over every reduced row ---------------------------------
//
// Loop nest of one block (16 contiguous kept elements = one 64-byte run per reduced row, held in
// v128 registers):
//   for each outer reduced row (odometer over reduced dims 0..r2-2)
//     for each element of the innermost reduced dim (stride s2)
//       16 lanes: acc[k] = acc[k] (op) x[k]
// then the 16 results are stored (float32 only). What is left of the kept row, an int32 kept row,
// or a kept row whose elements are `sx` bytes apart goes four at a time with scalar loads.

@inline function promoteLo(v: v128): v128 { return f64x2.promote_low_f32x4(v); }
@inline function promoteHi(v: v128): v128 {
  return f64x2.promote_low_f32x4(i8x16.shuffle(v, v, 8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7));
}
@inline function vstepF64(op: i32, a: v128, b: v128): v128 { return op == SUM ? f64x2.add(a, b) : f64x2.mul(a, b); }
@inline function vmaxF(op: i32, a: v128, b: v128): v128 { return op == MAX ? f32x4.max(a, b) : f32x4.min(a, b); }

@inline function store4F32(o: usize, so: i32, a: v128): void {
  store<f32>(o, f32x4.extract_lane(a, 0));
  store<f32>(o + <usize>so, f32x4.extract_lane(a, 1));
  store<f32>(o + <usize>(2 * so), f32x4.extract_lane(a, 2));
  store<f32>(o + <usize>(3 * so), f32x4.extract_lane(a, 3));
}

/** Stores the two float64 lanes of `a`, rounded to float32, at `o` and `o + so`. */
@inline function store2F64(o: usize, so: i32, a: v128): void {
  store<f32>(o, <f32>f64x2.extract_lane(a, 0));
  store<f32>(o + <usize>so, <f32>f64x2.extract_lane(a, 1));
}

@inline function store4I32(o: usize, so: i32, a: v128): void {
  store<i32>(o, i32x4.extract_lane(a, 0));
  store<i32>(o + <usize>so, i32x4.extract_lane(a, 1));
  store<i32>(o + <usize>(2 * so), i32x4.extract_lane(a, 2));
  store<i32>(o + <usize>(3 * so), i32x4.extract_lane(a, 3));
}

/** float32 sum/prod of 16 contiguous kept elements at `x`, in float64 lanes; results at `o` (stride `so`). */
@inline function colF64(op: i32, x: usize, o: usize, so: i32, r2: i32): void {
  const n2 = dim2(r2 - 1), s2 = stride2(r2 - 1);
  const rows = rows2(r2);
  const id = f64x2.splat(initF(op));
  let a0 = id, a1 = id, a2 = id, a3 = id, a4 = id, a5 = id, a6 = id, a7 = id;
  let q = x;
  for (let r = 0; r < rows; r++) {
    let p = q;
    for (let i = 0; i < n2; i++) {
      const v0 = v128.load(p), v1 = v128.load(p, 16), v2 = v128.load(p, 32), v3 = v128.load(p, 48);
      a0 = vstepF64(op, a0, promoteLo(v0));
      a1 = vstepF64(op, a1, promoteHi(v0));
      a2 = vstepF64(op, a2, promoteLo(v1));
      a3 = vstepF64(op, a3, promoteHi(v1));
      a4 = vstepF64(op, a4, promoteLo(v2));
      a5 = vstepF64(op, a5, promoteHi(v2));
      a6 = vstepF64(op, a6, promoteLo(v3));
      a7 = vstepF64(op, a7, promoteHi(v3));
      p += <usize>s2;
    }
    q = next2(q, r2);
  }
  store2F64(o, so, a0);
  store2F64(o + <usize>(2 * so), so, a1);
  store2F64(o + <usize>(4 * so), so, a2);
  store2F64(o + <usize>(6 * so), so, a3);
  store2F64(o + <usize>(8 * so), so, a4);
  store2F64(o + <usize>(10 * so), so, a5);
  store2F64(o + <usize>(12 * so), so, a6);
  store2F64(o + <usize>(14 * so), so, a7);
}

/** float32 max/min of 16 contiguous kept elements, in f32x4 lanes. */
@inline function colMinMax(op: i32, x: usize, o: usize, so: i32, r2: i32): void {
  const n2 = dim2(r2 - 1), s2 = stride2(r2 - 1);
  const rows = rows2(r2);
  const id = f32x4.splat(<f32>initF(op));
  let a0 = id, a1 = id, a2 = id, a3 = id;
  let q = x;
  for (let r = 0; r < rows; r++) {
    let p = q;
    for (let i = 0; i < n2; i++) {
      a0 = vmaxF(op, a0, v128.load(p));
      a1 = vmaxF(op, a1, v128.load(p, 16));
      a2 = vmaxF(op, a2, v128.load(p, 32));
      a3 = vmaxF(op, a3, v128.load(p, 48));
      p += <usize>s2;
    }
    q = next2(q, r2);
  }
  store4F32(o, so, a0);
  store4F32(o + <usize>(4 * so), so, a1);
  store4F32(o + <usize>(8 * so), so, a2);
  store4F32(o + <usize>(12 * so), so, a3);
}

/**
 * float32 argmax/argmin of 16 contiguous kept elements over the one reduced dim: per lane, the row's value
 * is taken where the best so far is not NaN and the value beats it (strictly: the first extreme
 * wins) or is NaN, exactly the scalar loop's rule. Four independent lane groups keep the
 * compare-select chain from being latency-bound.
 */
@inline function colArg(op: i32, x: usize, o: usize, so: i32): void {
  const n2 = dim2(0), s2 = stride2(0);
  let b0 = v128.load(x), b1 = v128.load(x, 16), b2 = v128.load(x, 32), b3 = v128.load(x, 48);
  const zero = i32x4.splat(0);
  let i0 = zero, i1 = zero, i2 = zero, i3 = zero;
  let p = x;
  for (let i = 1; i < n2; i++) {
    p += <usize>s2;
    const at = i32x4.splat(i);
    let v = v128.load(p), t = takes(op, v, b0);
    b0 = v128.bitselect(v, b0, t);
    i0 = v128.bitselect(at, i0, t);
    v = v128.load(p, 16); t = takes(op, v, b1);
    b1 = v128.bitselect(v, b1, t);
    i1 = v128.bitselect(at, i1, t);
    v = v128.load(p, 32); t = takes(op, v, b2);
    b2 = v128.bitselect(v, b2, t);
    i2 = v128.bitselect(at, i2, t);
    v = v128.load(p, 48); t = takes(op, v, b3);
    b3 = v128.bitselect(v, b3, t);
    i3 = v128.bitselect(at, i3, t);
  }
  store4I32(o, so, i0);
  store4I32(o + <usize>(4 * so), so, i1);
  store4I32(o + <usize>(8 * so), so, i2);
  store4I32(o + <usize>(12 * so), so, i3);
}

/** The lanes where value `v` replaces `best` (argF32's rule, four lanes at once). */
@inline function takes(op: i32, v: v128, best: v128): v128 {
  const beats = op == ARGMAX ? f32x4.gt(v, best) : f32x4.lt(v, best);
  return v128.and(f32x4.eq(best, best), v128.or(beats, f32x4.ne(v, v)));
}

/**
 * Reduces the `n` contiguous float32 kept elements at `x` (results at `o`, stride `so`) in blocks
 * of 16; returns how many it did (fewer than 16 are left). int32 has no v128 blocks (it takes the
 * scalar blocks of 4): rare on leading axes, and the wasm stays smaller.
 */
@inline function columnsF32(op: i32, x: usize, o: usize, n: i32, so: i32, r2: i32): i32 {
  let j = 0;
  for (; j + 16 <= n; j += 16) {
    const xj = x + (<usize>j << 2), oj = o + <usize>(j * so);
    if (op == ARGMAX || op == ARGMIN) colArg(op, xj, oj, so);
    else if (op == SUM || op == PROD) colF64(op, xj, oj, so, r2);
    else colMinMax(op, xj, oj, so, r2);
  }
  return j;
}

/**
 * Kept elements `j`.. of `n`, `sx` bytes apart (a stepped or flipped view, or the rest of a
 * contiguous row), four at a time with scalar loads: the reduced rows are walked once per four
 * outputs that lie near each other. Returns where it stopped (fewer than 4 are left). Not
 * specialized per op (one copy per dtype, `op` tested in the loop): these are the rarer layouts
 * and short tails, and the wasm stays small.
 */
function stridedF32(op: i32, x: usize, sx: i32, o: usize, so: i32, n: i32, r2: i32, j: i32): i32 {
  const n2 = dim2(r2 - 1), s2 = stride2(r2 - 1);
  for (; j + 4 <= n; j += 4) {
    const rows = rows2(r2);
    let q = x + <usize>(j * sx);
    let a0 = initF(op), a1 = a0, a2 = a0, a3 = a0;
    for (let r = 0; r < rows; r++) {
      let p = q;
      for (let i = 0; i < n2; i++) {
        a0 = stepF(op, a0, <f64>load<f32>(p));
        a1 = stepF(op, a1, <f64>load<f32>(p + <usize>sx));
        a2 = stepF(op, a2, <f64>load<f32>(p + <usize>(2 * sx)));
        a3 = stepF(op, a3, <f64>load<f32>(p + <usize>(3 * sx)));
        p += <usize>s2;
      }
      q = next2(q, r2);
    }
    const oj = o + <usize>(j * so);
    store<f32>(oj, <f32>a0);
    store<f32>(oj + <usize>so, <f32>a1);
    store<f32>(oj + <usize>(2 * so), <f32>a2);
    store<f32>(oj + <usize>(3 * so), <f32>a3);
  }
  return j;
}

function stridedI32(op: i32, x: usize, sx: i32, o: usize, so: i32, n: i32, r2: i32, j: i32): i32 {
  const n2 = dim2(r2 - 1), s2 = stride2(r2 - 1);
  for (; j + 4 <= n; j += 4) {
    const rows = rows2(r2);
    let q = x + <usize>(j * sx);
    let a0 = initI(op), a1 = a0, a2 = a0, a3 = a0;
    for (let r = 0; r < rows; r++) {
      let p = q;
      for (let i = 0; i < n2; i++) {
        a0 = stepI(op, a0, load<i32>(p));
        a1 = stepI(op, a1, load<i32>(p + <usize>sx));
        a2 = stepI(op, a2, load<i32>(p + <usize>(2 * sx)));
        a3 = stepI(op, a3, load<i32>(p + <usize>(3 * sx)));
        p += <usize>s2;
      }
      q = next2(q, r2);
    }
    const oj = o + <usize>(j * so);
    store<i32>(oj, a0);
    store<i32>(oj + <usize>so, a1);
    store<i32>(oj + <usize>(2 * so), a2);
    store<i32>(oj + <usize>(3 * so), a3);
  }
  return j;
}

/** One output element at `o` from the reduced dims at base `xp` (the row walk). */
@inline function one(op: i32, isF32: bool, xp: usize, o: usize, r2: i32): void {
  if (op == ARGMAX || op == ARGMIN) {
    store<i32>(o, isF32 ? argF32(op, xp, stride2(0), dim2(0)) : argI32(op, xp, stride2(0), dim2(0)));
  } else if (isF32) {
    store<f32>(o, <f32>reduceF32(op, xp, r2, initF(op)));
  } else {
    store<i32>(o, reduceI32(op, xp, r2, initI(op)));
  }
}

// ---- the outer loop over kept rows -----------------------------------------------------------

@inline function loop(op: i32, isF32: bool, x: usize, o: usize, rank: i32, r2: i32): void {
  const rows = rowsBegin(rank, x, o, 0, 0);
  const last = rank - 1;
  const n = dimSize(last), sx = stride(0, last), so = stride(1, last);
  const s2 = stride2(r2 - 1);
  // Rows when the innermost reduced dim is contiguous (or the kept row is short). Otherwise
  // columns: float32 v128 blocks of 16 where the innermost kept dim is contiguous, then, except
  // for argmax/argmin, scalar blocks of 4 for the rest, or for a whole kept dim that is strided
  // but nearer in memory than the reduced one. What remains runs the row walk, one at a time.
  const arg = op == ARGMAX || op == ARGMIN;
  const walk = s2 == 4 || n < 4 ? ROWS : sx == 4 ? COLUMNS : !arg && abs<i32>(sx) < abs<i32>(s2) ? STRIDED : ROWS;
  for (let r = 0; r < rows; r++) {
    let j = 0;
    if (walk == COLUMNS && isF32) j = columnsF32(op, p0, p1, n, so, r2);
    if (walk != ROWS && !arg) j = isF32 ? stridedF32(op, p0, sx, p1, so, n, r2, j) : stridedI32(op, p0, sx, p1, so, n, r2, j);
    for (; j < n; j++) one(op, isF32, p0 + <usize>(j * sx), p1 + <usize>(j * so), r2);
    rowsNext(rank);
  }
}

// One function per op and dtype, not one for all: V8 compiles the walks of a single giant
// function markedly worse (the row sums ran ~40% slower when all twelve were inlined together).
// Binaryen keeps them apart (asc -O3 inlines a single-caller function only under 200 units).
function sumF32(x: usize, o: usize, rank: i32, r2: i32): void { loop(SUM, true, x, o, rank, r2); }
function prodF32(x: usize, o: usize, rank: i32, r2: i32): void { loop(PROD, true, x, o, rank, r2); }
function maxF32(x: usize, o: usize, rank: i32, r2: i32): void { loop(MAX, true, x, o, rank, r2); }
function minF32(x: usize, o: usize, rank: i32, r2: i32): void { loop(MIN, true, x, o, rank, r2); }
function argmaxF32(x: usize, o: usize, rank: i32, r2: i32): void { loop(ARGMAX, true, x, o, rank, r2); }
function argminF32(x: usize, o: usize, rank: i32, r2: i32): void { loop(ARGMIN, true, x, o, rank, r2); }
function sumI32(x: usize, o: usize, rank: i32, r2: i32): void { loop(SUM, false, x, o, rank, r2); }
function prodI32(x: usize, o: usize, rank: i32, r2: i32): void { loop(PROD, false, x, o, rank, r2); }
function maxI32(x: usize, o: usize, rank: i32, r2: i32): void { loop(MAX, false, x, o, rank, r2); }
function minI32(x: usize, o: usize, rank: i32, r2: i32): void { loop(MIN, false, x, o, rank, r2); }
function argmaxI32(x: usize, o: usize, rank: i32, r2: i32): void { loop(ARGMAX, false, x, o, rank, r2); }
function argminI32(x: usize, o: usize, rank: i32, r2: i32): void { loop(ARGMIN, false, x, o, rank, r2); }

/**
 * op: sum prod max min argmax argmin (0..5); dtype 0 float32, 1 int32. `rank` counts the outer
 * dims (SHAPE), `r2` the reduced ones (SHAPE2; exactly one for argmax/argmin).
 */
export function reduce(op: i32, dtype: i32, x: usize, o: usize, rank: i32, r2: i32): void {
  if (dtype == 0) {
    switch (op) {
      case SUM: sumF32(x, o, rank, r2); break;
      case PROD: prodF32(x, o, rank, r2); break;
      case MAX: maxF32(x, o, rank, r2); break;
      case MIN: minF32(x, o, rank, r2); break;
      case ARGMAX: argmaxF32(x, o, rank, r2); break;
      case ARGMIN: argminF32(x, o, rank, r2); break;
    }
  } else {
    switch (op) {
      case SUM: sumI32(x, o, rank, r2); break;
      case PROD: prodI32(x, o, rank, r2); break;
      case MAX: maxI32(x, o, rank, r2); break;
      case MIN: minI32(x, o, rank, r2); break;
      case ARGMAX: argmaxI32(x, o, rank, r2); break;
      case ARGMIN: argminI32(x, o, rank, r2); break;
    }
  }
}
