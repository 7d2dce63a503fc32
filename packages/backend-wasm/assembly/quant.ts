// Dynamically quantised Linear (core's FusedKernels.int8Linear): the activations are quantised
// per call, per tensor and symmetrically, to int8; the weights arrive already quantised per
// output channel; the product accumulates in int32 and is dequantised with both scales.
//
//   sx        = max|x| / 127 (1 when x is all zeros), in float32
//   xq[m,k]   = clamp(nearest(x[m,k] / sx), -127, 127)          (nearest: half to even)
//   out[m,n]  = f32(sum_k xq[m,k] * wq[n,k]) * (sx * wScale[n]) + bias[n]
//
// SIMD plan: xq is stored widened to int16 in a scratch block [M, Kp]; weight rows are int8,
// Kp bytes each (Kp a multiple of 16, zero padded), widened to int16 on the fly with
// i16x8.extend_{low,high}_i8x16_s. `i32x4.dot_i16x8_s` multiplies eight int16 pairs and adds
// adjacent products into four int32 lanes: 8 multiply-adds per instruction, against 4 for
// f32x4 (and no separate add). The micro-kernel keeps a 4 x 2 tile (4 activation rows, 2 weight
// rows) in 8 int32x4 accumulators plus the 4 widened weight vectors: 12 live v128 of the 15
// that V8 allocates on x64. Each weight row pair (2 * Kp bytes) stays in L1 while the kernel
// sweeps every activation row group (M * Kp * 2 bytes; 128 KiB at M = 64, K = 1024, in L2).
//
// Exactness: |xq * wq| <= 127^2, so int32 sums are exact for K < 133,000; f32(acc) is exact
// below 2^24 (K <= 1040 at full range), after which it rounds once.
//
// Relaxed SIMD's i32x4.dot_i8x16_i7x16_add_s would skip the widening, but it needs one operand
// in [0, 127] (7 bits); with symmetric signed activations that does not hold, so both builds
// use the plain SIMD path.
import { alloc, free } from './alloc';

/** Horizontal sum of an int32x4. */
@inline function hsum(v: v128): i32 {
  return i32x4.extract_lane(v, 0) + i32x4.extract_lane(v, 1) + i32x4.extract_lane(v, 2) + i32x4.extract_lane(v, 3);
}

/** max |x[i]| over n contiguous float32. */
function absMax(x: usize, n: i32): f32 {
  let acc = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) acc = f32x4.max(acc, f32x4.abs(v128.load(x + (<usize>i << 2))));
  let a: f32 = max(max(f32x4.extract_lane(acc, 0), f32x4.extract_lane(acc, 1)), max(f32x4.extract_lane(acc, 2), f32x4.extract_lane(acc, 3)));
  for (; i < n; i++) a = max(a, abs(load<f32>(x + (<usize>i << 2))));
  return a;
}

/** xs[r, 0:kp] = int16(clamp(nearest(x[r, 0:k] / sx), -127, 127)), zero past k. */
function quantizeRows(x: usize, xs: usize, m: i32, k: i32, kp: i32, sx: f32): void {
  const vs = f32x4.splat(sx);
  const lo = f32x4.splat(-127), hi = f32x4.splat(127);
  for (let r = 0; r < m; r++) {
    const src = x + <usize>r * <usize>k * 4;
    const dst = xs + <usize>r * <usize>kp * 2;
    let i = 0;
    for (; i + 8 <= k; i += 8) {
      const a = f32x4.min(f32x4.max(f32x4.nearest(f32x4.div(v128.load(src + (<usize>i << 2)), vs)), lo), hi);
      const b = f32x4.min(f32x4.max(f32x4.nearest(f32x4.div(v128.load(src + (<usize>i << 2), 16), vs)), lo), hi);
      v128.store(dst + (<usize>i << 1), i16x8.narrow_i32x4_s(i32x4.trunc_sat_f32x4_s(a), i32x4.trunc_sat_f32x4_s(b)));
    }
    for (; i < k; i++) {
      const q = min(max(nearest(load<f32>(src + (<usize>i << 2)) / sx), <f32>-127), <f32>127);
      store<i16>(dst + (<usize>i << 1), <i16>(<i32>q));
    }
    if (kp > k) memory.fill(dst + (<usize>k << 1), 0, <usize>(kp - k) << 1);
  }
}

/** Eight int32 dot products: rows x0..x3 (int16, stride sx2 bytes) against weight rows w0, w1 (int8). */
function kernel4x2(x0: usize, sx2: usize, w0: usize, w1: usize, kp: i32, out: usize, ldo: usize, s0: f32, s1: f32, b0: f32, b1: f32): void {
  let c00 = i32x4.splat(0), c01 = i32x4.splat(0);
  let c10 = i32x4.splat(0), c11 = i32x4.splat(0);
  let c20 = i32x4.splat(0), c21 = i32x4.splat(0);
  let c30 = i32x4.splat(0), c31 = i32x4.splat(0);
  const x1 = x0 + sx2, x2 = x1 + sx2, x3 = x2 + sx2;
  for (let p: usize = 0; p < <usize>kp; p += 16) {
    const wa = v128.load(w0 + p), wb = v128.load(w1 + p);
    const wal = i16x8.extend_low_i8x16_s(wa), wah = i16x8.extend_high_i8x16_s(wa);
    const wbl = i16x8.extend_low_i8x16_s(wb), wbh = i16x8.extend_high_i8x16_s(wb);
    const q = p << 1;
    let xl = v128.load(x0 + q), xh = v128.load(x0 + q, 16);
    c00 = i32x4.add(c00, i32x4.add(i32x4.dot_i16x8_s(xl, wal), i32x4.dot_i16x8_s(xh, wah)));
    c01 = i32x4.add(c01, i32x4.add(i32x4.dot_i16x8_s(xl, wbl), i32x4.dot_i16x8_s(xh, wbh)));
    xl = v128.load(x1 + q); xh = v128.load(x1 + q, 16);
    c10 = i32x4.add(c10, i32x4.add(i32x4.dot_i16x8_s(xl, wal), i32x4.dot_i16x8_s(xh, wah)));
    c11 = i32x4.add(c11, i32x4.add(i32x4.dot_i16x8_s(xl, wbl), i32x4.dot_i16x8_s(xh, wbh)));
    xl = v128.load(x2 + q); xh = v128.load(x2 + q, 16);
    c20 = i32x4.add(c20, i32x4.add(i32x4.dot_i16x8_s(xl, wal), i32x4.dot_i16x8_s(xh, wah)));
    c21 = i32x4.add(c21, i32x4.add(i32x4.dot_i16x8_s(xl, wbl), i32x4.dot_i16x8_s(xh, wbh)));
    xl = v128.load(x3 + q); xh = v128.load(x3 + q, 16);
    c30 = i32x4.add(c30, i32x4.add(i32x4.dot_i16x8_s(xl, wal), i32x4.dot_i16x8_s(xh, wah)));
    c31 = i32x4.add(c31, i32x4.add(i32x4.dot_i16x8_s(xl, wbl), i32x4.dot_i16x8_s(xh, wbh)));
  }
  store<f32>(out, <f32>hsum(c00) * s0 + b0);
  store<f32>(out, <f32>hsum(c01) * s1 + b1, 4);
  out += ldo;
  store<f32>(out, <f32>hsum(c10) * s0 + b0);
  store<f32>(out, <f32>hsum(c11) * s1 + b1, 4);
  out += ldo;
  store<f32>(out, <f32>hsum(c20) * s0 + b0);
  store<f32>(out, <f32>hsum(c21) * s1 + b1, 4);
  out += ldo;
  store<f32>(out, <f32>hsum(c30) * s0 + b0);
  store<f32>(out, <f32>hsum(c31) * s1 + b1, 4);
}

/** One int32 dot product of an int16 activation row and an int8 weight row (the edges). */
function dot1x1(x: usize, w: usize, kp: i32): i32 {
  let c = i32x4.splat(0);
  for (let p: usize = 0; p < <usize>kp; p += 16) {
    const wv = v128.load(w + p);
    const q = p << 1;
    c = i32x4.add(c, i32x4.add(
      i32x4.dot_i16x8_s(v128.load(x + q), i16x8.extend_low_i8x16_s(wv)),
      i32x4.dot_i16x8_s(v128.load(x + q, 16), i16x8.extend_high_i8x16_s(wv)),
    ));
  }
  return hsum(c);
}

/**
 * out[M, N] (contiguous float32) from x [M, K] (contiguous float32), w [N, kp] int8 rows,
 * wScale [N] and bias [N] float32 (bias 0 for none). Returns 0, or 1 when the scratch block
 * cannot be allocated.
 */
export function int8Linear(x: usize, w: usize, wScale: usize, bias: usize, out: usize, m: i32, n: i32, k: i32, kp: i32): i32 {
  if (m == 0 || n == 0) return 0;
  const amax = absMax(x, m * k);
  const sx: f32 = amax > 0 ? amax / <f32>127 : <f32>1;
  const xs = alloc(<usize>m * <usize>kp * 2);
  if (xs == 0) return 1;
  quantizeRows(x, xs, m, k, kp, sx);
  const sx2 = <usize>kp * 2;
  const ldo = <usize>n * 4;
  let j = 0;
  for (; j + 2 <= n; j += 2) {
    const w0 = w + <usize>j * <usize>kp, w1 = w0 + <usize>kp;
    const s0 = sx * load<f32>(wScale + (<usize>j << 2)), s1 = sx * load<f32>(wScale + (<usize>j << 2), 4);
    const b0: f32 = bias ? load<f32>(bias + (<usize>j << 2)) : 0, b1: f32 = bias ? load<f32>(bias + (<usize>j << 2), 4) : 0;
    let r = 0;
    for (; r + 4 <= m; r += 4) kernel4x2(xs + <usize>r * sx2, sx2, w0, w1, kp, out + <usize>r * ldo + (<usize>j << 2), ldo, s0, s1, b0, b1);
    for (; r < m; r++) {
      const xr = xs + <usize>r * sx2, o = out + <usize>r * ldo + (<usize>j << 2);
      store<f32>(o, <f32>dot1x1(xr, w0, kp) * s0 + b0);
      store<f32>(o, <f32>dot1x1(xr, w1, kp) * s1 + b1, 4);
    }
  }
  for (; j < n; j++) {
    const wj = w + <usize>j * <usize>kp;
    const s = sx * load<f32>(wScale + (<usize>j << 2));
    const b: f32 = bias ? load<f32>(bias + (<usize>j << 2)) : 0;
    for (let r = 0; r < m; r++) store<f32>(out + <usize>r * ldo + (<usize>j << 2), <f32>dot1x1(xs + <usize>r * sx2, wj, kp) * s + b);
  }
  free(xs);
  return 0;
}
