// Dynamically quantised Linear (core's FusedKernels.int8Linear): the activations are quantised
// per call, per tensor and symmetrically, to int8; the weights arrive already quantised per
// output channel; the product accumulates in int32 and is dequantised with both scales.
//
//   sx        = max|x| / 127 (1 when x is all zeros), in float32
//   xq[m,k]   = clamp(nearest(x[m,k] / sx), -127, 127)          (nearest: half to even)
//   out[m,n]  = f32(sum_k xq[m,k] * wq[n,k]) * (sx * wScale[n]) + bias[n]
//
// SIMD plan: xq is stored widened to int16 in a scratch block of row panels: panel g holds rows
// 4g..4g+3 (zero rows past M), and for each block of 8 k the 4 rows' 8 values side by side
// (64 bytes), so the micro-kernel reads one sequential stream. Weight rows are int8, Kp bytes
// each (Kp a multiple of 16, zero padded), widened to int16 as they are loaded
// (v128.load8x8_s: one pmovsxbw). `i32x4.dot_i16x8_s` multiplies eight int16 pairs and adds
// adjacent products into four int32 lanes: 8 multiply-adds per instruction, against 4 for
// f32x4. The micro-kernel keeps a 4 x 2 tile (4 activation rows, 2 weight rows) in 8 int32x4
// accumulators; per 8 k, V8 (Node 20, x64) compiles it to 2 pmovsxbw and 4 movdqu loads,
// 8 pmaddwd and 8 paddd in 15 xmm registers, with no spills (node --print-wasm-code). Larger
// tiles (4x3, 3x4, 6x2, 4x4) and a loop unrolled to 16 k were measured 30-60% slower: they spill. Each weight row pair
// (2 * Kp bytes) stays in L1 while the kernel sweeps every panel (M * Kp * 2 bytes; 128 KiB at
// M = 64, K = 1024, in L2).
//
// Exactness: |xq * wq| <= 127^2, so int32 sums are exact for K < 133,000; f32(acc) is exact
// below 2^24 (K <= 1040 at full range), after which it rounds once.
//
// Relaxed SIMD's i32x4.dot_i8x16_i7x16_add_s would skip the widening, but it needs one operand
// in [0, 127] (7 bits); with symmetric signed activations that does not hold, so both builds
// use the plain SIMD path.
import { alloc, free } from './alloc';

/** Rows per activation panel (the micro-kernel's tile height). */
const MR = 4;
/** A 4 x 2 float32 tile for the edges: the kernel writes here when a full tile would overrun out. */
const EDGE: usize = memory.data(MR * 2 * 4, 16);

/** [sum(a), sum(b), sum(c), sum(d)] of four int32x4 (exact: integer adds in another order). */
@inline function reduce4(a: v128, b: v128, c: v128, d: v128): v128 {
  const ab = i32x4.add(v128.shuffle<i32>(a, b, 0, 4, 1, 5), v128.shuffle<i32>(a, b, 2, 6, 3, 7)); // [a02 b02 a13 b13]
  const cd = i32x4.add(v128.shuffle<i32>(c, d, 0, 4, 1, 5), v128.shuffle<i32>(c, d, 2, 6, 3, 7));
  return i32x4.add(v128.shuffle<i32>(ab, cd, 0, 1, 4, 5), v128.shuffle<i32>(ab, cd, 2, 3, 6, 7));
}

/**
 * max |x[i]| over n contiguous float32. The sign bit cleared, float32 bit patterns order as
 * int32, so this is one pand + pmaxsd per vector (f32x4.max, with its NaN and -0 rules, is a
 * dependent chain of several instructions in V8). A NaN, whose pattern sorts above infinity,
 * still comes out as NaN, as with f32 max.
 */
function absMax(x: usize, n: i32): f32 {
  const mask = i32x4.splat(0x7fffffff);
  let a0 = i32x4.splat(0), a1 = i32x4.splat(0), a2 = i32x4.splat(0), a3 = i32x4.splat(0);
  let i = 0;
  for (; i + 16 <= n; i += 16) {
    const p = x + (<usize>i << 2);
    a0 = i32x4.max_s(a0, v128.and(v128.load(p), mask));
    a1 = i32x4.max_s(a1, v128.and(v128.load(p, 16), mask));
    a2 = i32x4.max_s(a2, v128.and(v128.load(p, 32), mask));
    a3 = i32x4.max_s(a3, v128.and(v128.load(p, 48), mask));
  }
  for (; i + 4 <= n; i += 4) a0 = i32x4.max_s(a0, v128.and(v128.load(x + (<usize>i << 2)), mask));
  a0 = i32x4.max_s(i32x4.max_s(a0, a1), i32x4.max_s(a2, a3));
  let a = max(max(i32x4.extract_lane(a0, 0), i32x4.extract_lane(a0, 1)), max(i32x4.extract_lane(a0, 2), i32x4.extract_lane(a0, 3)));
  for (; i < n; i++) a = max(a, load<i32>(x + (<usize>i << 2)) & 0x7fffffff);
  return reinterpret<f32>(a);
}

/**
 * Quantises x [m, k] into the panel layout: element (r, i) at
 * xp + (r / 4) * kp * 8 + (i / 8) * 64 + (r % 4) * 16 + (i % 8) * 2, as int16; zero for i >= k and
 * for the rows of the last panel past m. nearest(x / sx) is integral (or NaN), so clamping after
 * the saturating conversion (NaN -> 0) gives the same integers as clamping before it, with
 * integer min/max on 8 lanes instead of f32x4.min/max on 4.
 */
function quantizePanels(x: usize, xp: usize, m: i32, k: i32, kp: i32, sx: f32): void {
  const vs = f32x4.splat(sx);
  const lo = i16x8.splat(-127), hi = i16x8.splat(127);
  const mp = (m + MR - 1) & ~(MR - 1);
  for (let r = 0; r < mp; r++) {
    const dst = xp + <usize>(r >> 2) * <usize>kp * (MR * 2) + (<usize>(r & (MR - 1)) << 4);
    if (r >= m) {
      for (let i = 0; i < kp; i += 8) v128.store(dst + (<usize>i << 3), i32x4.splat(0));
      continue;
    }
    const src = x + <usize>r * <usize>k * 4;
    let i = 0;
    for (; i + 8 <= k; i += 8) {
      const a = i32x4.trunc_sat_f32x4_s(f32x4.nearest(f32x4.div(v128.load(src + (<usize>i << 2)), vs)));
      const b = i32x4.trunc_sat_f32x4_s(f32x4.nearest(f32x4.div(v128.load(src + (<usize>i << 2), 16), vs)));
      v128.store(dst + (<usize>i << 3), i16x8.min_s(i16x8.max_s(i16x8.narrow_i32x4_s(a, b), lo), hi));
    }
    for (; i < kp; i++) {
      let q: i32 = 0;
      if (i < k) q = <i32>min(max(nearest(load<f32>(src + (<usize>i << 2)) / sx), <f32>-127), <f32>127);
      store<i16>(dst + (<usize>(i & ~7) << 3) + (<usize>(i & 7) << 1), <i16>q);
    }
  }
}

/**
 * The micro-kernel: out[0:4, 0:2] = f32(panel . [w0, w1]) * scale + bias, for one activation
 * panel (4 rows, int16) and the int8 weight rows w0, w1 (Kp bytes each). `scale` and `bias` are
 * [s0, s1, s0, s1] and [b0, b1, b0, b1]; out rows are ldo bytes apart.
 */
function kernel4x2(xp: usize, w0: usize, w1: usize, kp: i32, out: usize, ldo: usize, scale: v128, bias: v128): void {
  let c00 = i32x4.splat(0), c01 = i32x4.splat(0);
  let c10 = i32x4.splat(0), c11 = i32x4.splat(0);
  let c20 = i32x4.splat(0), c21 = i32x4.splat(0);
  let c30 = i32x4.splat(0), c31 = i32x4.splat(0);
  const end = w0 + <usize>kp;
  const d = w1 - w0;
  for (; w0 < end; w0 += 8) {
    const wa = v128.load8x8_s(w0), wb = v128.load8x8_s(w0 + d);
    let xv = v128.load(xp);
    c00 = i32x4.add(c00, i32x4.dot_i16x8_s(xv, wa));
    c01 = i32x4.add(c01, i32x4.dot_i16x8_s(xv, wb));
    xv = v128.load(xp, 16);
    c10 = i32x4.add(c10, i32x4.dot_i16x8_s(xv, wa));
    c11 = i32x4.add(c11, i32x4.dot_i16x8_s(xv, wb));
    xv = v128.load(xp, 32);
    c20 = i32x4.add(c20, i32x4.dot_i16x8_s(xv, wa));
    c21 = i32x4.add(c21, i32x4.dot_i16x8_s(xv, wb));
    xv = v128.load(xp, 48);
    c30 = i32x4.add(c30, i32x4.dot_i16x8_s(xv, wa));
    c31 = i32x4.add(c31, i32x4.dot_i16x8_s(xv, wb));
    xp += MR * 16;
  }
  // Rows 0-1 and 2-3 as [r0n0, r0n1, r1n0, r1n1]: the same f32 convert, multiply and add per element as scalar code.
  const t01 = f32x4.add(f32x4.mul(f32x4.convert_i32x4_s(reduce4(c00, c01, c10, c11)), scale), bias);
  const t23 = f32x4.add(f32x4.mul(f32x4.convert_i32x4_s(reduce4(c20, c21, c30, c31)), scale), bias);
  v128.store64_lane(out, t01, 0);
  v128.store64_lane(out + ldo, t01, 1);
  v128.store64_lane(out + 2 * ldo, t23, 0);
  v128.store64_lane(out + 3 * ldo, t23, 1);
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
  const panel = <usize>kp * (MR * 2);
  const xp = alloc(<usize>((m + MR - 1) / MR) * panel);
  if (xp == 0) return 1;
  quantizePanels(x, xp, m, k, kp, sx);
  const ldo = <usize>n * 4;
  for (let j = 0; j < n; j += 2) {
    // An odd last column runs as a pair with itself and keeps column 0 of the tile.
    const cols = min(n - j, 2);
    const w0 = w + <usize>j * <usize>kp, w1 = cols == 2 ? w0 + <usize>kp : w0;
    const s0 = sx * load<f32>(wScale + (<usize>j << 2));
    const s1 = cols == 2 ? sx * load<f32>(wScale + (<usize>j << 2), 4) : s0;
    const b0: f32 = bias ? load<f32>(bias + (<usize>j << 2)) : 0;
    const b1: f32 = cols == 2 ? (bias ? load<f32>(bias + (<usize>j << 2), 4) : 0) : b0;
    const scale = f32x4(s0, s1, s0, s1), bv = f32x4(b0, b1, b0, b1);
    for (let r = 0; r < m; r += MR) {
      const rows = min(m - r, MR);
      const o = out + <usize>r * ldo + (<usize>j << 2);
      if (rows == MR && cols == 2) {
        kernel4x2(xp + <usize>(r / MR) * panel, w0, w1, kp, o, ldo, scale, bv);
      } else {
        kernel4x2(xp + <usize>(r / MR) * panel, w0, w1, kp, EDGE, 8, scale, bv);
        for (let i = 0; i < rows; i++) {
          store<f32>(o + <usize>i * ldo, load<f32>(EDGE + (<usize>i << 3)));
          if (cols == 2) store<f32>(o + <usize>i * ldo, load<f32>(EDGE + (<usize>i << 3), 4), 4);
        }
      }
    }
  }
  free(xp);
  return 0;
}
