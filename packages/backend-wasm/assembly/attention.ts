// Fused scaled dot-product attention, `O = softmax(Q K^T * scale + mask) V`, and its backward,
// flash-attention style (Dao et al. 2022, "FlashAttention"; Dao 2023, "FlashAttention-2"):
// the L x S matrix of scores is never stored. Blocks of BR query rows walk the keys in blocks
// of BC; the block's BR x BC scores live in scratch, and an online softmax keeps a running max
// `m` and sum `l` per row, rescaling the output rows by exp(m_old - m_new) whenever the max
// grows. The forward saves the per-row logsumexp `lse = m + log(l)` so that the backward can
// recompute each probability as exp(s - lse) block by block instead of saving them. Every
// product inside a block (Q K^T, P V, and the backward's dO V^T, P^T dO, dS^T Q, dS K) runs as a
// small matrix product on a 4 x 8 register tile (`gemm`), as the matmul's micro-kernel does:
// per depth step two vector loads of the right operand and four broadcasts of the left feed
// eight multiply-adds, where dot products of rows would load both operands for every one.
//
// No allocation and no static data here (the pool threads' module includes this file): callers
// pass a scratch block of `attentionScratchBytes(D, Dv)` bytes. Operands, passed as i32 words at `params` (the scratch area, see
// iter.ts; every pool thread reads the same words):
//   [0..5]   B H L S D Dv
//   [6..8]   q strides (elements) for b, h, l         q is [B, H, L, D]
//   [9..11]  k strides for b, h, s                    k is [B, H, S, D]
//   [12..14] v strides for b, h, s                    v is [B, H, S, Dv]
//   [15..18] mask strides for b, h, l, s (0 = broadcast); only read when the mask pointer != 0
//   [19..21] gradOut strides for b, h, l (backward)   gradOut is [B, H, L, Dv]
//   [22..24] out strides for b, h, l                  out is [B, H, L, Dv]
//   [25..27] dq strides for b, h, l (backward)        dq is [B, H, L, D]
//   [28..30] dk strides for b, h, s (backward)        dk is [B, H, S, D]
//   [31..33] dv strides for b, h, s (backward)        dv is [B, H, S, Dv]
//   [34]     probs address, or 0                      probs is [B, H, L, S], contiguous; S <= BC
// With probs, the forward writes the probabilities there and the backward reads them instead of
// recomputing them (one product and one exp per score fewer).
// The last dim of every operand is contiguous (stride 1); `lse` [B, H, L] is contiguous. out, dq,
// dk and dv may be laid out in any order of their other dims (heads merged as [B, L, H, D]
// rows, so that no copy merges them), their elements apart. With `causal`, query i sees keys j <= i.

/** Keys per block. */
export const BC: i32 = 64;
/**
 * Query rows per block: the block's scores and their gradients (2 x BR x BC floats, 20 KiB) and
 * the transposed key and value blocks stay in L1/L2 while the products run. 40 = 8 x 5 rows
 * puts more of the products on `gemm5`'s tile than 32 = 4 x 5 + 3 x 4 did (L = 64 runs as
 * 40 + 24: twelve five-row tiles and one four-row tile, against eight and six), the same bits:
 * every element sums its products in the same order whatever tile or block holds it.
 */
const BR: i32 = 40;

/**
 * Bytes of scratch one part needs: the scores and score gradients (BR x BC each), K^T and V^T of
 * a key block (D x BC and Dv x BC), the transposed left operands of the block products (P or dS:
 * BC x BR; Q and dO of the query block: D x BR and Dv x BR), and three per-row values (max, sum,
 * delta) for BR rows.
 */
export function attentionScratchBytes(D: i32, Dv: i32): i32 {
  return (3 * BR * BC + (D + Dv) * (BC + BR) + 3 * BR) * 4;
}

/** Offsets (bytes) of the scratch regions `attentionScratchBytes` counts. */
@inline function ktAt(sBuf: usize): usize { return sBuf + (<usize>(2 * BR * BC) << 2); }
@inline function vtAt(sBuf: usize, D: i32): usize { return ktAt(sBuf) + (<usize>(D * BC) << 2); }
@inline function ttAt(sBuf: usize, D: i32, Dv: i32): usize { return vtAt(sBuf, D) + (<usize>(Dv * BC) << 2); }
@inline function qtAt(sBuf: usize, D: i32, Dv: i32): usize { return ttAt(sBuf, D, Dv) + (<usize>(BC * BR) << 2); }
@inline function gtAt(sBuf: usize, D: i32, Dv: i32): usize { return qtAt(sBuf, D, Dv) + (<usize>(D * BR) << 2); }
@inline function rowValsAt(sBuf: usize, D: i32, Dv: i32): usize { return gtAt(sBuf, D, Dv) + (<usize>(Dv * BR) << 2); }

@inline function word(params: usize, i: i32): i32 {
  return load<i32>(params + (<usize>i << 2));
}

/** The first of each operand's three stride words (b, h, then rows or keys), and probs' word. */
const Q_W = 6, K_W = 9, V_W = 12, MASK_W = 15, GOUT_W = 19, OUT_W = 22, DQ_W = 25, DK_W = 28, DV_W = 31, PROBS_W = 34;

/**
 * Row i of (batch b, head h) of the operand at `ptr` whose strides start at word `w`; 0 for an
 * absent one (the mask).
 */
@inline function rowAt(params: usize, w: i32, ptr: usize, b: i32, h: i32, i: i32): usize {
  return ptr == 0 ? 0 : ptr + (<usize>(b * word(params, w) + h * word(params, w + 1) + i * word(params, w + 2)) << 2);
}

@inline function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(f32x4.mul(a, b), c);
}

@inline function hsum(v: v128): f32 {
  return f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1) + f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3);
}

@inline function hmax(v: v128): f32 {
  return max(max(f32x4.extract_lane(v, 0), f32x4.extract_lane(v, 1)), max(f32x4.extract_lane(v, 2), f32x4.extract_lane(v, 3)));
}

/**
 * exp on four lanes for x <= 0 (NaN allowed: every input here is a score minus a max or a
 * log-sum-exp at least as large), relative error within about 2e-7 (3 ulp): x = n ln 2 + r with
 * n the nearest integer to x log2(e) and |r| <= ln(2)/2 (Cody-Waite: ln 2 split in two parts,
 * the first exact in a product with n), then e^r by a degree-5 polynomial (Horner; coefficients
 * fitted for relative error on that interval, which Taylor's would need degree 6 to match),
 * scaled by 2^n through the exponent bits. n comes by the magic-number rounding: x log2(e) +
 * (1.5 * 2^23 + 127) rounds to an integer whose low mantissa bits hold n + 127, so that the sum
 * shifted into the exponent field is 2^n, without roundps or a float-to-int conversion (a long
 * sequence on x86). x is clamped at -88 (pmax, one maxps on x86, where f32x4.max takes several
 * instructions for its NaN and -0 rules): below about -87.68 n is -127, whose exponent field
 * 0 makes 2^n and the result exactly 0 (so -Infinity gives 0), with no compare and mask. NaN
 * stays NaN. Every softmax here runs its inputs through this one routine, so the forward, its
 * saved log-sum-exp and the backward's recomputed probabilities agree.
 */
@inline function expv(x: v128): v128 {
  x = f32x4.pmax(x, f32x4.splat(-88));
  const t = madd(x, f32x4.splat(1.44269504088896341), f32x4.splat(12583039)); // 1.5 * 2^23 + 127
  const fx = f32x4.sub(t, f32x4.splat(12583039));
  // fx * 0.693359375 is exact (n has at most 8 bits, the constant 9), so the first fused form
  // rounds as the separate one does.
  let r: v128;
  if (ASC_FEATURE_RELAXED_SIMD) {
    r = f32x4.relaxed_madd(fx, f32x4.splat(-0.693359375), x);
    r = f32x4.relaxed_madd(fx, f32x4.splat(2.12194440e-4), r);
  } else {
    r = f32x4.sub(x, f32x4.mul(fx, f32x4.splat(0.693359375)));
    r = f32x4.sub(r, f32x4.mul(fx, f32x4.splat(-2.12194440e-4)));
  }
  let y: v128;
  if (ASC_FEATURE_RELAXED_SIMD) {
    y = madd(f32x4.splat(0.008312533609569073), r, f32x4.splat(0.04189012572169304));
    y = madd(y, r, f32x4.splat(0.16667114198207855));
    y = madd(y, r, f32x4.splat(0.499992311000824));
    y = madd(y, r, f32x4.splat(1));
    y = madd(y, r, f32x4.splat(1));
  } else {
    // Without fused multiply-adds Horner's five steps are ten dependent operations (~35 cycles),
    // more than the scheduler overlaps across a loop's iterations; Estrin's scheme,
    // (1 + r) + r^2 ((c2 + c3 r) + r^2 (c4 + c5 r)), is six deep: the exp pass 3.84 -> 3.59 ns
    // per vector in isolation (with them, Horner's was the faster: 2.39 against 2.49).
    const r2 = f32x4.mul(r, r);
    const p01 = madd(r, f32x4.splat(1), f32x4.splat(1));
    const p23 = madd(r, f32x4.splat(0.16667114198207855), f32x4.splat(0.499992311000824));
    const p45 = madd(r, f32x4.splat(0.008312533609569073), f32x4.splat(0.04189012572169304));
    y = madd(madd(p45, r2, p23), r2, p01);
  }
  return f32x4.mul(y, i32x4.shl(t, 23));
}

/**
 * exp of one value through the vector routine, so that scalar tails round like the body (a call:
 * only edges and once-per-row values take it, and each inlined copy of the routine is ~100 bytes).
 */
function exps(x: f32): f32 {
  return f32x4.extract_lane(expv(f32x4.splat(x)), 0);
}

/**
 * ln(x) on two f64 lanes, for finite x >= 1 (the softmax denominator, whose largest term is
 * exp(0) = 1), without Math.log, whose lookup tables would put static data into the pool threads'
 * module: with x = 2^e f, f in [sqrt(1/2), sqrt(2)), ln f = 2 atanh(t), t = (f - 1) / (f + 1),
 * |t| < 0.172, whose odd series to t^17 is below 1e-15 relative error. Two rows per call (the
 * division and the series' chain of multiply-adds dominate a block's last pass when one row at a
 * time); every lane takes the operations a scalar version would, so the same bits. e comes
 * exactly as a double from its biased bits: 2^52 + k (k < 2^11) has k in its low mantissa bits.
 */
@inline function logPairAtLeastOne(x: v128): v128 {
  const bits = x;
  const biased = v128.or(i64x2.shr_u(bits, 52), i64x2.splat(0x4330000000000000)); // 2^52 + (bits >> 52)
  let e = f64x2.sub(biased, f64x2.splat(4503599627371519)); // 2^52 + 1023
  let f = v128.or(v128.and(bits, i64x2.splat(0x000fffffffffffff)), i64x2.splat(0x3ff0000000000000));
  const big = f64x2.gt(f, f64x2.splat(1.4142135623730951));
  f = v128.bitselect(f64x2.mul(f, f64x2.splat(0.5)), f, big);
  e = f64x2.add(e, v128.and(big, f64x2.splat(1)));
  const one = f64x2.splat(1);
  const t = f64x2.div(f64x2.sub(f, one), f64x2.add(f, one)), t2 = f64x2.mul(t, t);
  let series = f64x2.splat(1.0 / 17);
  series = f64x2.add(f64x2.mul(series, t2), f64x2.splat(1.0 / 15));
  series = f64x2.add(f64x2.mul(series, t2), f64x2.splat(1.0 / 13));
  series = f64x2.add(f64x2.mul(series, t2), f64x2.splat(1.0 / 11));
  series = f64x2.add(f64x2.mul(series, t2), f64x2.splat(1.0 / 9));
  series = f64x2.add(f64x2.mul(series, t2), f64x2.splat(1.0 / 7));
  series = f64x2.add(f64x2.mul(series, t2), f64x2.splat(1.0 / 5));
  series = f64x2.add(f64x2.mul(series, t2), f64x2.splat(1.0 / 3));
  series = f64x2.add(f64x2.mul(series, t2), one);
  return f64x2.add(f64x2.mul(e, f64x2.splat(0.6931471805599453)), f64x2.mul(f64x2.mul(f64x2.splat(2), t), series));
}

/**
 * lse[r] = m[r] + ln(l[r]) for rows [0, n) (NaN where l is 0: every key masked), two rows at a
 * time through `logPairAtLeastOne`.
 */
function lseRows(mBuf: usize, lBuf: usize, lse: usize, n: i32): void {
  for (let r = 0; r < n; r += 2) {
    const at = <usize>r << 2;
    const l0 = load<f32>(lBuf + at), l1 = r + 1 < n ? load<f32>(lBuf + at, 4) : <f32>1;
    const ln = logPairAtLeastOne(f64x2(<f64>l0, <f64>l1));
    store<f32>(lse + at, l0 == 0 ? NaN : load<f32>(mBuf + at) + <f32>f64x2.extract_lane(ln, 0));
    if (r + 1 < n) store<f32>(lse + at, l1 == 0 ? NaN : load<f32>(mBuf + at, 4) + <f32>f64x2.extract_lane(ln, 1), 4);
  }
}

/** dot(a[0:n], b[0:n]), both contiguous. */
@inline function dot(a: usize, b: usize, n: i32): f32 {
  let acc = f32x4.splat(0);
  let d = 0;
  for (; d + 4 <= n; d += 4) acc = madd(v128.load(a + (<usize>d << 2)), v128.load(b + (<usize>d << 2)), acc);
  let s = hsum(acc);
  for (; d < n; d++) s += load<f32>(a + (<usize>d << 2)) * load<f32>(b + (<usize>d << 2));
  return s;
}

/** y[0:n] *= alpha. */
@inline function scal(alpha: f32, y: usize, n: i32): void {
  const va = f32x4.splat(alpha);
  let d = 0;
  for (; d + 4 <= n; d += 4) v128.store(y + (<usize>d << 2), f32x4.mul(va, v128.load(y + (<usize>d << 2))));
  for (; d < n; d++) store<f32>(y + (<usize>d << 2), alpha * load<f32>(y + (<usize>d << 2)));
}

/**
 * C[0:4, 0:N] (+)= A[0:4, 0:K] B[0:K, 0:N]: A's column k holds its four rows side by side at
 * `a + k * lda` (the layout a transposed read of a row-major block has, and the one `packT`
 * writes), so one pointer and immediate offsets reach them; B's row k at `b + k * ldb` with unit
 * stride, C's rows `ldc` apart (all in bytes). Columns go eight at a time (eight accumulators, two
 * loads of B and four broadcasts of A per k), the rest through `gemm1`; every element sums its k
 * in order onto C's value, or from zero registers without `acc` (the same bits as from zeroed
 * memory).
 */
function gemm4(a: usize, lda: usize, b: usize, ldb: usize, c: usize, ldc: usize, N: i32, K: i32, acc: bool): void {
  const c1 = c + ldc, c2 = c1 + ldc, c3 = c2 + ldc;
  let j = 0;
  for (; j + 8 <= N; j += 8) {
    const o = <usize>j << 2;
    const z = f32x4.splat(0);
    let x00 = z, x01 = z, x10 = z, x11 = z, x20 = z, x21 = z, x30 = z, x31 = z;
    if (acc) {
      x00 = v128.load(c + o); x01 = v128.load(c + o, 16);
      x10 = v128.load(c1 + o); x11 = v128.load(c1 + o, 16);
      x20 = v128.load(c2 + o); x21 = v128.load(c2 + o, 16);
      x30 = v128.load(c3 + o); x31 = v128.load(c3 + o, 16);
    }
    let bk = b + o, ak = a;
    for (let k = 0; k < K; k++) {
      const b0 = v128.load(bk), b1 = v128.load(bk, 16);
      let av = v128.load32_splat(ak);
      x00 = madd(av, b0, x00);
      x01 = madd(av, b1, x01);
      av = v128.load32_splat(ak, 4);
      x10 = madd(av, b0, x10);
      x11 = madd(av, b1, x11);
      av = v128.load32_splat(ak, 8);
      x20 = madd(av, b0, x20);
      x21 = madd(av, b1, x21);
      av = v128.load32_splat(ak, 12);
      x30 = madd(av, b0, x30);
      x31 = madd(av, b1, x31);
      ak += lda;
      bk += ldb;
    }
    v128.store(c + o, x00);
    v128.store(c + o, x01, 16);
    v128.store(c1 + o, x10);
    v128.store(c1 + o, x11, 16);
    v128.store(c2 + o, x20);
    v128.store(c2 + o, x21, 16);
    v128.store(c3 + o, x30);
    v128.store(c3 + o, x31, 16);
  }
  // Columns past the last eight: gemm1 row by row (the same sums in the same order).
  if (j < N) {
    const o = <usize>j << 2;
    gemm1(a, lda, b + o, ldb, c + o, N - j, K, acc);
    gemm1(a + 4, lda, b + o, ldb, c1 + o, N - j, K, acc);
    gemm1(a + 8, lda, b + o, ldb, c2 + o, N - j, K, acc);
    gemm1(a + 12, lda, b + o, ldb, c3 + o, N - j, K, acc);
  }
}

/**
 * `gemm4` on five rows (A's five values per k side by side): ten accumulators, two loads of B,
 * one 16-byte load of rows 0-3 splatted lane by lane and one broadcast of row 4 per k for ten
 * multiply-adds, where four rows take eight. V8 (x64) has 15 SIMD registers: five broadcasts
 * from memory get scheduled ahead of the multiply-adds and spill two accumulators; the 16-byte
 * load and shuffles fit (as assembly/matmul.ts found). Columns
 * past the last eight go to gemm4 (so gemm1) and gemm1, which sum in the same order.
 */
function gemm5(a: usize, lda: usize, b: usize, ldb: usize, c: usize, ldc: usize, N: i32, K: i32, acc: bool): void {
  const c1 = c + ldc, c2 = c1 + ldc, c3 = c2 + ldc, c4 = c3 + ldc;
  let j = 0;
  for (; j + 8 <= N; j += 8) {
    const o = <usize>j << 2;
    const z = f32x4.splat(0);
    let x00 = z, x01 = z, x10 = z, x11 = z, x20 = z, x21 = z, x30 = z, x31 = z, x40 = z, x41 = z;
    if (acc) {
      x00 = v128.load(c + o); x01 = v128.load(c + o, 16);
      x10 = v128.load(c1 + o); x11 = v128.load(c1 + o, 16);
      x20 = v128.load(c2 + o); x21 = v128.load(c2 + o, 16);
      x30 = v128.load(c3 + o); x31 = v128.load(c3 + o, 16);
      x40 = v128.load(c4 + o); x41 = v128.load(c4 + o, 16);
    }
    let bk = b + o, ak = a;
    for (let k = 0; k < K; k++) {
      const b0 = v128.load(bk), b1 = v128.load(bk, 16);
      const a03 = v128.load(ak);
      let av = v128.shuffle<f32>(a03, a03, 0, 0, 0, 0);
      x00 = madd(av, b0, x00);
      x01 = madd(av, b1, x01);
      av = v128.shuffle<f32>(a03, a03, 1, 1, 1, 1);
      x10 = madd(av, b0, x10);
      x11 = madd(av, b1, x11);
      av = v128.shuffle<f32>(a03, a03, 2, 2, 2, 2);
      x20 = madd(av, b0, x20);
      x21 = madd(av, b1, x21);
      av = v128.shuffle<f32>(a03, a03, 3, 3, 3, 3);
      x30 = madd(av, b0, x30);
      x31 = madd(av, b1, x31);
      av = v128.load32_splat(ak, 16);
      x40 = madd(av, b0, x40);
      x41 = madd(av, b1, x41);
      ak += lda;
      bk += ldb;
    }
    v128.store(c + o, x00);
    v128.store(c + o, x01, 16);
    v128.store(c1 + o, x10);
    v128.store(c1 + o, x11, 16);
    v128.store(c2 + o, x20);
    v128.store(c2 + o, x21, 16);
    v128.store(c3 + o, x30);
    v128.store(c3 + o, x31, 16);
    v128.store(c4 + o, x40);
    v128.store(c4 + o, x41, 16);
  }
  if (j < N) {
    const o = <usize>j << 2;
    gemm4(a, lda, b + o, ldb, c + o, ldc, N - j, K, acc);
    gemm1(a + 16, lda, b + o, ldb, c4 + o, N - j, K, acc);
  }
}

/** One row of `gemm4`: C[0, 0:N] (+)= A[0, 0:K] B[0:K, 0:N], A's column k at `a + k * lda`. */
function gemm1(a: usize, lda: usize, b: usize, ldb: usize, c: usize, N: i32, K: i32, acc: bool): void {
  let j = 0;
  for (; j + 8 <= N; j += 8) {
    const o = <usize>j << 2;
    let x0 = f32x4.splat(0), x1 = f32x4.splat(0);
    if (acc) {
      x0 = v128.load(c + o); x1 = v128.load(c + o, 16);
    }
    let bk = b + o, ak = a;
    for (let k = 0; k < K; k++) {
      const av = v128.load32_splat(ak);
      x0 = madd(av, v128.load(bk), x0);
      x1 = madd(av, v128.load(bk, 16), x1);
      ak += lda;
      bk += ldb;
    }
    v128.store(c + o, x0);
    v128.store(c + o, x1, 16);
  }
  for (; j + 4 <= N; j += 4) {
    const o = <usize>j << 2;
    let x0 = acc ? v128.load(c + o) : f32x4.splat(0);
    let bk = b + o, ak = a;
    for (let k = 0; k < K; k++) {
      x0 = madd(v128.load32_splat(ak), v128.load(bk), x0);
      ak += lda;
      bk += ldb;
    }
    v128.store(c + o, x0);
  }
  for (; j < N; j++) {
    const o = <usize>j << 2;
    let x0: f32 = acc ? load<f32>(c + o) : 0;
    let bk = b + o, ak = a;
    for (let k = 0; k < K; k++) {
      x0 += load<f32>(ak) * load<f32>(bk);
      ak += lda;
      bk += ldb;
    }
    store<f32>(c + o, x0);
  }
}

/**
 * C[0:M, 0:N] (+)= A[0:M, 0:K] B[0:K, 0:N] (layouts as `gemm4`'s: A transposed, its column k
 * at `a + k * lda`): as many five-row tiles as leave a multiple of four rows (40 = 8 x 5,
 * 24 = 4 x 5 + 4, 64 = 12 x 5 + 4), then four rows at a time, then single rows. Every element of C sums the same
 * products in the same order whichever tile holds it.
 */
function gemm(a: usize, lda: usize, b: usize, ldb: usize, c: usize, ldc: usize, M: i32, N: i32, K: i32, acc: bool): void {
  let fives = M / 5;
  while (fives > 0 && (fives & 3) != (M & 3)) fives--;
  let i = 0;
  for (; i < fives * 5; i += 5) gemm5(a + (<usize>i << 2), lda, b, ldb, c + <usize>i * ldc, ldc, N, K, acc);
  for (; i + 4 <= M; i += 4) gemm4(a + (<usize>i << 2), lda, b, ldb, c + <usize>i * ldc, ldc, N, K, acc);
  for (; i < M; i++) gemm1(a + (<usize>i << 2), lda, b, ldb, c + <usize>i * ldc, N, K, acc);
}

/**
 * Stores the 4 x 4 transpose of rows r0..r3: column q (r0[q], r1[q], r2[q], r3[q]) goes to
 * `dst + q * step` (as assembly/matmul.ts packs its panels). Pure data movement.
 */
@inline function transpose4(r0: v128, r1: v128, r2: v128, r3: v128, dst: usize, step: usize): void {
  const t0 = v128.shuffle<f32>(r0, r1, 0, 4, 1, 5), t1 = v128.shuffle<f32>(r0, r1, 2, 6, 3, 7);
  const t2 = v128.shuffle<f32>(r2, r3, 0, 4, 1, 5), t3 = v128.shuffle<f32>(r2, r3, 2, 6, 3, 7);
  v128.store(dst, v128.shuffle<f32>(t0, t2, 0, 1, 4, 5));
  v128.store(dst + step, v128.shuffle<f32>(t0, t2, 2, 3, 6, 7));
  v128.store(dst + 2 * step, v128.shuffle<f32>(t1, t3, 0, 1, 4, 5));
  v128.store(dst + 3 * step, v128.shuffle<f32>(t1, t3, 2, 3, 6, 7));
}

/**
 * Packs rows j0..j0+n-1 of `src` (rows `rs` floats apart, unit stride along d) transposed into
 * `dst`: dst[d * ld + jj] = src[j0 + jj, d] for d < width. Four rows by four columns at a time
 * through a transpose in registers; the edges one value at a time.
 */
function packT(src: usize, rs: i32, j0: i32, n: i32, width: i32, dst: usize, ld: i32): void {
  const step = <usize>ld << 2;
  let jj = 0;
  for (; jj + 4 <= n; jj += 4) {
    const r0 = src + (<usize>((j0 + jj) * rs) << 2), r1 = r0 + (<usize>rs << 2), r2 = r1 + (<usize>rs << 2), r3 = r2 + (<usize>rs << 2);
    const out = dst + (<usize>jj << 2);
    let d = 0;
    for (; d + 4 <= width; d += 4) {
      const at = <usize>d << 2;
      transpose4(v128.load(r0 + at), v128.load(r1 + at), v128.load(r2 + at), v128.load(r3 + at), out + <usize>d * step, step);
    }
    for (; d < width; d++) {
      const at = <usize>d << 2, o = out + <usize>d * step;
      store<f32>(o, load<f32>(r0 + at));
      store<f32>(o, load<f32>(r1 + at), 4);
      store<f32>(o, load<f32>(r2 + at), 8);
      store<f32>(o, load<f32>(r3 + at), 12);
    }
  }
  for (; jj < n; jj++) {
    const row = src + (<usize>((j0 + jj) * rs) << 2);
    const out = dst + (<usize>jj << 2);
    for (let d = 0; d < width; d++) store<f32>(out + <usize>d * step, load<f32>(row + (<usize>d << 2)));
  }
}

/**
 * The probabilities of a query block's one key block: p = e * inv[r] over rows [0, rows) of `e`
 * (rows `BC` floats apart, n keys each), packed transposed into `pt` as `packT` packs them
 * (pt[j * BR + r]) for the product with V, and, where `probs` is not 0, stored there too (rows
 * S floats apart, keys n..S zero: past the causal limit). Four rows by four keys at a time:
 * scaled, stored, transposed in registers; the edges one value at a time (the same product).
 */
function packProbs(e: usize, rows: i32, n: i32, inv: usize, pt: usize, probs: usize, S: i32): void {
  const step = <usize>BR << 2, row = <usize>BC << 2, pRow = <usize>S << 2;
  let r = 0;
  for (; r + 4 <= rows; r += 4) {
    const e0 = e + <usize>r * row, e1 = e0 + row, e2 = e1 + row, e3 = e2 + row;
    const p0 = probs + <usize>r * pRow, p1 = p0 + pRow, p2 = p1 + pRow, p3 = p2 + pRow;
    const out = pt + (<usize>r << 2);
    const vi = v128.load(inv + (<usize>r << 2));
    const i0 = v128.shuffle<f32>(vi, vi, 0, 0, 0, 0), i1 = v128.shuffle<f32>(vi, vi, 1, 1, 1, 1);
    const i2 = v128.shuffle<f32>(vi, vi, 2, 2, 2, 2), i3 = v128.shuffle<f32>(vi, vi, 3, 3, 3, 3);
    let j = 0;
    for (; j + 4 <= n; j += 4) {
      const at = <usize>j << 2;
      const a = f32x4.mul(v128.load(e0 + at), i0), b = f32x4.mul(v128.load(e1 + at), i1);
      const c = f32x4.mul(v128.load(e2 + at), i2), d = f32x4.mul(v128.load(e3 + at), i3);
      if (probs != 0) {
        v128.store(p0 + at, a);
        v128.store(p1 + at, b);
        v128.store(p2 + at, c);
        v128.store(p3 + at, d);
      }
      transpose4(a, b, c, d, out + <usize>j * step, step);
    }
    for (; j < n; j++) {
      for (let rr = 0; rr < 4; rr++) probAt(e, r + rr, j, inv, pt, probs, S);
    }
  }
  for (; r < rows; r++) {
    for (let j = 0; j < n; j++) probAt(e, r, j, inv, pt, probs, S);
  }
  if (probs != 0 && n < S) {
    for (r = 0; r < rows; r++) memory.fill(probs + <usize>r * pRow + (<usize>n << 2), 0, <usize>(S - n) << 2);
  }
}

/** One value of `packProbs`: p = e[r][j] * inv[r] into pt and probs (edges only: a call). */
function probAt(e: usize, r: i32, j: i32, inv: usize, pt: usize, probs: usize, S: i32): void {
  const p = load<f32>(e + (<usize>(r * BC + j) << 2)) * load<f32>(inv + (<usize>r << 2));
  store<f32>(pt + (<usize>(j * BR + r) << 2), p);
  if (probs != 0) store<f32>(probs + (<usize>(r * S + j) << 2), p);
}

/**
 * Zeroes rows [0, n) of `c`, `w` floats each, rows `ld` floats apart. Rows that touch (w == ld,
 * the usual full block) go as one memory.fill: each fill is a call out of the wasm code, which
 * costs as much as zeroing a few hundred bytes.
 */
function zeroRows(c: usize, ld: i32, n: i32, w: i32): void {
  if (w == ld) {
    memory.fill(c, 0, <usize>(n * w) << 2);
    return;
  }
  for (let r = 0; r < n; r++) memory.fill(c + (<usize>(r * ld) << 2), 0, <usize>w << 2);
}

/**
 * Scores as the softmax takes them: scale s + mask for four raw scores of query row i (keys
 * j0 + j..), -Infinity past the causal limit (j > i); `scoreAt` for one. scoreRow (the forward)
 * and gradRow (the backward's recomputation) both go through these, so they agree to the bit.
 */
@inline function scoreVec(s: v128, j: i32, j0: i32, i: i32, causal: i32, mRow: usize, mss: i32, vScale: v128): v128 {
  let x = f32x4.mul(vScale, s);
  if (mRow != 0) {
    const m0 = mRow + (<usize>((j0 + j) * mss) << 2), ms = <usize>mss << 2;
    x = f32x4.add(x, f32x4(load<f32>(m0), load<f32>(m0 + ms), load<f32>(m0 + 2 * ms), load<f32>(m0 + 3 * ms)));
  }
  if (causal && j0 + j + 3 > i) {
    const visible = i32x4.le_s(i32x4.add(i32x4.splat(j0 + j), i32x4(0, 1, 2, 3)), i32x4.splat(i));
    x = v128.bitselect(x, f32x4.splat(-Infinity), visible);
  }
  return x;
}

/** One value of `scoreVec`. */
@inline function scoreAt(s: f32, j: i32, j0: i32, i: i32, causal: i32, mRow: usize, mss: i32, scale: f32): f32 {
  let x = scale * s;
  if (mRow != 0) x += load<f32>(mRow + (<usize>((j0 + j) * mss) << 2));
  if (causal && j0 + j > i) x = -Infinity;
  return x;
}

/**
 * dS times scale (which both dQ and dK take) from probabilities p and score gradients dP:
 * scale p (dP - delta), four at a time; `dsAt` for one.
 */
@inline function dsVec(p: v128, dp: v128, vd: v128, vScale: v128): v128 {
  return f32x4.mul(vScale, f32x4.mul(p, f32x4.sub(dp, vd)));
}

/** One value of `dsVec`. */
@inline function dsAt(p: f32, dp: f32, delta: f32, scale: f32): f32 {
  return scale * (p * (dp - delta));
}

/**
 * Turns one row of raw scores s[0:n] (keys j0.., query row i) into scale * s + mask, with keys the
 * causal limit hides (j > i) set to -Infinity, in place; returns the row's max.
 */
@inline function scoreRow(s: usize, n: i32, j0: i32, i: i32, causal: i32, mRow: usize, mss: i32, scale: f32): f32 {
  const vScale = f32x4.splat(scale);
  let vmx = f32x4.splat(-Infinity);
  let j = 0;
  for (; j + 4 <= n; j += 4) {
    const at = s + (<usize>j << 2);
    const x = scoreVec(v128.load(at), j, j0, i, causal, mRow, mss, vScale);
    v128.store(at, x);
    // pmax (one maxps): a NaN score leaves the max alone, and its row still comes out NaN.
    vmx = f32x4.pmax(vmx, x);
  }
  let mx = hmax(vmx);
  for (; j < n; j++) {
    const at = s + (<usize>j << 2);
    const x = scoreAt(load<f32>(at), j, j0, i, causal, mRow, mss, scale);
    store<f32>(at, x);
    mx = max(mx, x);
  }
  return mx;
}

/**
 * The max of s[0:n] (pmax, as scoreRow's: a NaN leaves it alone in the vector part). Four
 * running maxima, sixteen values a step: one chain of maxps, three cycles each, made this pass
 * cost a fifth of the forward's row work.
 */
@inline function maxRow(s: usize, n: i32): f32 {
  let m0 = f32x4.splat(-Infinity), m1 = m0, m2 = m0, m3 = m0;
  let j = 0;
  for (; j + 16 <= n; j += 16) {
    const at = s + (<usize>j << 2);
    m0 = f32x4.pmax(m0, v128.load(at));
    m1 = f32x4.pmax(m1, v128.load(at, 16));
    m2 = f32x4.pmax(m2, v128.load(at, 32));
    m3 = f32x4.pmax(m3, v128.load(at, 48));
  }
  let vmx = f32x4.pmax(f32x4.pmax(m0, m1), f32x4.pmax(m2, m3));
  for (; j + 4 <= n; j += 4) vmx = f32x4.pmax(vmx, v128.load(s + (<usize>j << 2)));
  let mx = hmax(vmx);
  for (; j < n; j++) mx = max(mx, load<f32>(s + (<usize>j << 2)));
  return mx;
}

/**
 * The forward's exp pass over a block's rows [0, rows) (rows `BC` floats apart):
 * s[r][0:n] = exp(scale s - shift[r]), and l[r] += their sum. scale is 1 (exact: the same bits
 * as no product) where the scores are already scaled (scoreRow). With n >= 4 the rows and their
 * vector loop run as do-while loops, so that V8 builds the exp's constants once per call, not
 * once per row (it hoists loop-invariant values only out of a loop whose body always runs).
 */
function expRows(s: usize, rows: i32, n: i32, scale: f32, shift: usize, l: usize): void {
  const vScale = f32x4.splat(scale);
  let r = 0;
  if (n >= 4) {
    do {
      const at = s + <usize>r * (<usize>BC << 2);
      const vs = v128.load32_splat(shift + (<usize>r << 2));
      let acc = f32x4.splat(0);
      let j = 0;
      do {
        const p = expv(f32x4.sub(f32x4.mul(vScale, v128.load(at + (<usize>j << 2))), vs));
        v128.store(at + (<usize>j << 2), p);
        acc = f32x4.add(acc, p);
        j += 4;
      } while (j + 4 <= n);
      let sum = hsum(acc);
      if (j < n) sum = expTail(at, j, n, scale, load<f32>(shift + (<usize>r << 2)), sum);
      store<f32>(l + (<usize>r << 2), load<f32>(l + (<usize>r << 2)) + sum);
      r++;
    } while (r < rows);
  } else {
    for (; r < rows; r++) {
      const sum = expTail(s + <usize>r * (<usize>BC << 2), 0, n, scale, load<f32>(shift + (<usize>r << 2)), 0);
      store<f32>(l + (<usize>r << 2), load<f32>(l + (<usize>r << 2)) + sum);
    }
  }
}

/** expRows' keys [j, n) of one row, one at a time: returns `sum` plus their sum. */
function expTail(at: usize, j: i32, n: i32, scale: f32, shift: f32, sum: f32): f32 {
  for (; j < n; j++) {
    const p = exps(scale * load<f32>(at + (<usize>j << 2)) - shift);
    store<f32>(at + (<usize>j << 2), p);
    sum += p;
  }
  return sum;
}

/**
 * The backward's per-row work on one block row, in one pass: the probabilities
 * p = exp(scale s + mask - lse) over the raw scores s[0:n] (keys j0.., query row i; keys the
 * causal limit hides give 0), stored over s for dV, and dS (times scale, which both dQ and dK
 * take) = scale p (dP - delta) over the score gradients dP in g. The scores go through
 * `scoreVec` as scoreRow's do, so the bits are the forward's.
 */
@inline function gradRow(s: usize, g: usize, n: i32, j0: i32, i: i32, causal: i32, mRow: usize, mss: i32, scale: f32, lse: f32, delta: f32): void {
  const vScale = f32x4.splat(scale), vl = f32x4.splat(lse), vd = f32x4.splat(delta);
  let j = 0;
  for (; j + 4 <= n; j += 4) {
    const at = <usize>j << 2;
    const p = expv(f32x4.sub(scoreVec(v128.load(s + at), j, j0, i, causal, mRow, mss, vScale), vl));
    v128.store(s + at, p);
    v128.store(g + at, dsVec(p, v128.load(g + at), vd, vScale));
  }
  for (; j < n; j++) {
    const at = <usize>j << 2;
    const p = exps(scoreAt(load<f32>(s + at), j, j0, i, causal, mRow, mss, scale) - lse);
    store<f32>(s + at, p);
    store<f32>(g + at, dsAt(p, load<f32>(g + at), delta, scale));
  }
}

/** dS (times scale) over dP in g from saved probabilities p[0:n] (gradRow's last step, the same bits). */
@inline function dsRow(p: usize, g: usize, n: i32, scale: f32, delta: f32): void {
  const vScale = f32x4.splat(scale), vd = f32x4.splat(delta);
  let j = 0;
  for (; j + 4 <= n; j += 4) {
    const at = <usize>j << 2;
    v128.store(g + at, dsVec(v128.load(p + at), v128.load(g + at), vd, vScale));
  }
  for (; j < n; j++) {
    const at = <usize>j << 2;
    store<f32>(g + at, dsAt(load<f32>(p + at), load<f32>(g + at), delta, scale));
  }
}

/**
 * Forward over the flattened (batch, head) pairs [bh0, bh1), with `attentionScratchBytes(D, Dv)`
 * bytes of scratch at `sBuf`: threads run disjoint ranges (each writes only its own rows of `out`
 * and `lse`).
 */
export function attentionPart(
  params: usize, q: usize, k: usize, v: usize, mask: usize, out: usize, lse: usize, scale: f32, causal: i32,
  bh0: i32, bh1: i32, sBuf: usize,
): void {
  const H = word(params, 1), L = word(params, 2), S = word(params, 3), D = word(params, 4), Dv = word(params, 5);
  const qsl = word(params, Q_W + 2), kss = word(params, K_W + 2), vss = word(params, V_W + 2);
  const msl = word(params, MASK_W + 2), mss = word(params, MASK_W + 3), osl = word(params, OUT_W + 2);
  const probs = S <= BC ? <usize>word(params, PROBS_W) : 0;
  const sc = sBuf, kt = ktAt(sBuf), pt = ttAt(sBuf, D, Dv), qt = qtAt(sBuf, D, Dv);
  const mBuf = rowValsAt(sBuf, D, Dv), lBuf = mBuf + (<usize>BR << 2), mbBuf = lBuf + (<usize>BR << 2);
  const tRow = <usize>BR << 2;
  const row = <usize>BC << 2;
  for (let bh = bh0; bh < bh1; bh++) {
    const b = bh / H, h = bh % H;
    const kBase = rowAt(params, K_W, k, b, h, 0), vBase = rowAt(params, V_W, v, b, h, 0);
    // With every key in one block, K^T is packed once for all the query blocks.
    const oneBlock = S <= BC;
    if (oneBlock) packT(kBase, kss, 0, S, D, kt, BC);
    for (let i0 = 0; i0 < L; i0 += BR) {
      const ib = min(BR, L - i0);
      const qRow = rowAt(params, Q_W, q, b, h, i0), mRow0 = rowAt(params, MASK_W, mask, b, h, i0);
      const o = rowAt(params, OUT_W, out, b, h, i0);
      packT(qRow, qsl, 0, ib, D, qt, BR);
      // The output rows themselves accumulate sum_j exp(s_j - m) v_j, divided by l at the end;
      // the first key block's product writes them. With one key block the product takes the
      // probabilities themselves (divided by l first).
      for (let r = 0; r < ib; r++) {
        store<f32>(mBuf + (<usize>r << 2), -Infinity);
        store<f32>(lBuf + (<usize>r << 2), 0);
      }
      const jEnd = causal ? min(S, i0 + ib) : S;
      for (let j0 = 0; j0 < jEnd; j0 += BC) {
        const jb = min(BC, jEnd - j0);
        if (!oneBlock) packT(kBase, kss, j0, jb, D, kt, BC);
        gemm(qt, tRow, kt, row, sc, row, ib, jb, D, false);
        // Two passes over the block's rows, each free of dependences from row to row, so
        // that the processor overlaps rows (one row's max, then its exp pass, chained ~500
        // cycles per row): the block maxima first (into the third per-row area, unused here),
        // then the online-softmax step and the exp pass.
        // Without a mask or the causal limit (and scale > 0, so that rounding keeps the
        // order) the max of the scaled scores is the scaled max, and the scaling goes into
        // the exp's pass: one pass fewer over the block.
        const plain = mask == 0 && !causal && scale > 0;
        for (let r = 0; r < ib; r++) {
          const s = sc + <usize>r * row;
          const mRow = mask == 0 ? 0 : mRow0 + (<usize>(r * msl) << 2);
          store<f32>(mbBuf + (<usize>r << 2), plain ? scale * maxRow(s, jb) : scoreRow(s, jb, j0, i0 + r, causal, mRow, mss, scale));
        }
        // The online-softmax step of each row: its new running max, what was accumulated
        // under the old one rescaled, and the shift of its exp pass (+Infinity where every key
        // in the block is masked: their -Infinity scores give 0, adding nothing).
        for (let r = 0; r < ib; r++) {
          const mb = load<f32>(mbBuf + (<usize>r << 2));
          let m = load<f32>(mBuf + (<usize>r << 2));
          if (mb > m && m != -Infinity) {
            // The running max grows: rescale what was accumulated under the old one (nothing
            // before the row's first key with a finite score: its rows are the first block's
            // product or zero, untouched by this).
            const corr = exps(m - mb);
            store<f32>(lBuf + (<usize>r << 2), load<f32>(lBuf + (<usize>r << 2)) * corr);
            scal(corr, o + (<usize>(r * osl) << 2), Dv);
          }
          if (mb > m) m = mb;
          store<f32>(mBuf + (<usize>r << 2), m);
          store<f32>(mbBuf + (<usize>r << 2), mb == -Infinity ? Infinity : m);
        }
        expRows(sc, ib, jb, plain ? scale : 1, mbBuf, lBuf);
        if (oneBlock) {
          // The only key block: the probabilities (exp(s - m) / l) go into the product, which
          // writes the output rows as they are, and into probs where the backward takes them.
          for (let r = 0; r < ib; r++) {
            const l = load<f32>(lBuf + (<usize>r << 2));
            // A row with every key masked gives NaN, as softmax over all -Infinity does.
            store<f32>(mbBuf + (<usize>r << 2), l == 0 ? <f32>NaN : 1 / l);
          }
          packProbs(sc, ib, jb, mbBuf, pt, probs == 0 ? 0 : probs + (<usize>((bh * L + i0) * S) << 2), S);
        } else {
          packT(sc, BC, 0, ib, jb, pt, BR);
        }
        gemm(pt, tRow, vBase + (<usize>(j0 * vss) << 2), <usize>vss << 2, o, <usize>osl << 2, ib, Dv, jb, j0 != 0);
      }
      lseRows(mBuf, lBuf, lse + (<usize>(bh * L + i0) << 2), ib);
      if (!oneBlock) {
        for (let r = 0; r < ib; r++) {
          const l = load<f32>(lBuf + (<usize>r << 2));
          scal(l == 0 ? NaN : 1 / l, o + (<usize>(r * osl) << 2), Dv);
        }
      }
    }
  }
}

/**
 * Backward (FlashAttention-2's, a block of query rows at a time): with P = exp(S - lse)
 * recomputed per key block (or the forward's, where it saved them) and delta_i = dO_i . O_i,
 *   dV += P^T dO,  dP = dO V^T,  dS = P (dP - delta),  dQ = scale dS K,  dK += scale dS^T Q.
 * dq, dk, dv (rows laid out as the words say) are fully written here, over the flattened (batch, head) pairs
 * [bh0, bh1), with `attentionScratchBytes(D, Dv)` bytes of scratch at `sBuf`: pool threads run
 * disjoint ranges (each writes only its own blocks of dq, dk and dv).
 */
export function attentionBackwardPart(
  params: usize, q: usize, k: usize, v: usize, mask: usize, out: usize, lse: usize, gout: usize,
  dq: usize, dk: usize, dv: usize, scale: f32, causal: i32, bh0: i32, bh1: i32, sBuf: usize,
): void {
  const H = word(params, 1), L = word(params, 2), S = word(params, 3), D = word(params, 4), Dv = word(params, 5);
  const qsl = word(params, Q_W + 2), kss = word(params, K_W + 2), vss = word(params, V_W + 2);
  const msl = word(params, MASK_W + 2), mss = word(params, MASK_W + 3), gsl = word(params, GOUT_W + 2);
  const osl = word(params, OUT_W + 2), dqsl = word(params, DQ_W + 2), dkss = word(params, DK_W + 2), dvss = word(params, DV_W + 2);
  const probs = S <= BC ? <usize>word(params, PROBS_W) : 0;
  const sc = sBuf, ds = sc + (<usize>(BR * BC) << 2), kt = ktAt(sBuf), vt = vtAt(sBuf, D);
  const dst = ttAt(sBuf, D, Dv), qt = qtAt(sBuf, D, Dv), gt = gtAt(sBuf, D, Dv);
  const dBuf = rowValsAt(sBuf, D, Dv) + (<usize>(2 * BR) << 2);
  const tRow = <usize>BR << 2;
  const row = <usize>BC << 2;
  for (let bh = bh0; bh < bh1; bh++) {
    const b = bh / H, h = bh % H;
    const kBase = rowAt(params, K_W, k, b, h, 0), vBase = rowAt(params, V_W, v, b, h, 0);
    const dkBase = rowAt(params, DK_W, dk, b, h, 0), dvBase = rowAt(params, DV_W, dv, b, h, 0);
    // Without the causal limit the first query block's products write every row of dK and dV.
    if (causal) {
      zeroRows(dkBase, dkss, S, D);
      zeroRows(dvBase, dvss, S, Dv);
    }
    // With every key in one block, K^T and V^T are packed once for all the query blocks.
    const oneBlock = S <= BC;
    if (oneBlock) {
      packT(kBase, kss, 0, S, D, kt, BC);
      packT(vBase, vss, 0, S, Dv, vt, BC);
    }
    for (let i0 = 0; i0 < L; i0 += BR) {
      const ib = min(BR, L - i0);
      const qRow = rowAt(params, Q_W, q, b, h, i0), gRow = rowAt(params, GOUT_W, gout, b, h, i0);
      const mRow0 = rowAt(params, MASK_W, mask, b, h, i0), o = rowAt(params, OUT_W, out, b, h, i0);
      const lp = lse + (<usize>(bh * L + i0) << 2);
      const dqRow = rowAt(params, DQ_W, dq, b, h, i0);
      packT(gRow, gsl, 0, ib, Dv, gt, BR);
      if (probs == 0) packT(qRow, qsl, 0, ib, D, qt, BR);
      for (let r = 0; r < ib; r++) {
        store<f32>(dBuf + (<usize>r << 2), dot(gRow + (<usize>(r * gsl) << 2), o + (<usize>(r * osl) << 2), Dv));
      }
      const jEnd = causal ? min(S, i0 + ib) : S;
      for (let j0 = 0; j0 < jEnd; j0 += BC) {
        const jb = min(BC, jEnd - j0);
        if (!oneBlock) {
          packT(kBase, kss, j0, jb, D, kt, BC);
          packT(vBase, vss, j0, jb, Dv, vt, BC);
        }
        gemm(gt, tRow, vt, row, ds, row, ib, jb, Dv, false);
        // P: the forward's (S <= BC, one key block), rows S floats apart; else recomputed into sc.
        const pBlock = probs != 0 ? probs + (<usize>((bh * L + i0) * S) << 2) : sc;
        const pRow: usize = probs != 0 ? <usize>S << 2 : row;
        if (probs != 0) {
          for (let r = 0; r < ib; r++) dsRow(pBlock + <usize>r * pRow, ds + <usize>r * row, jb, scale, load<f32>(dBuf + (<usize>r << 2)));
        } else {
          gemm(qt, tRow, kt, row, sc, row, ib, jb, D, false);
          for (let r = 0; r < ib; r++) {
            const s = sc + <usize>r * row, g = ds + <usize>r * row;
            const mRow = mask == 0 ? 0 : mRow0 + (<usize>(r * msl) << 2);
            gradRow(s, g, jb, j0, i0 + r, causal, mRow, mss, scale, load<f32>(lp + (<usize>r << 2)), load<f32>(dBuf + (<usize>r << 2)));
          }
        }
        // dV[j0:] += P^T dO and dK[j0:] += dS^T Q: the blocks read transposed.
        const first = i0 == 0 && !causal;
        gemm(pBlock, pRow, gRow, <usize>gsl << 2, dvBase + (<usize>(j0 * dvss) << 2), <usize>dvss << 2, jb, Dv, ib, !first);
        gemm(ds, row, qRow, <usize>qsl << 2, dkBase + (<usize>(j0 * dkss) << 2), <usize>dkss << 2, jb, D, ib, !first);
        // dQ += dS K (the first key block's product writes dQ's rows).
        packT(ds, BC, 0, ib, jb, dst, BR);
        gemm(dst, tRow, kBase + (<usize>(j0 * kss) << 2), <usize>kss << 2, dqRow, <usize>dqsl << 2, ib, D, jb, j0 != 0);
      }
    }
  }
}
