// Fused scaled dot-product attention, `O = softmax(Q K^T * scale + mask) V`, and its backward,
// flash-attention style (Dao et al. 2022, "FlashAttention"; Dao 2023, "FlashAttention-2"):
// the L x S matrix of scores is never stored. Each query row walks the keys in blocks of BC;
// the block's scores live in a BC-float buffer, and an online softmax keeps a running max `m`
// and sum `l` per row, rescaling the output accumulator by exp(m_old - m_new) whenever the max
// grows. The forward saves the per-row logsumexp `lse = m + log(l)` so that the backward can
// recompute each probability as exp(s - lse) block by block instead of saving them.
//
// No allocation and no static data here (the pool threads' module includes this file): callers
// pass a BC-float row buffer. Operands, passed as i32 words at `params` (the scratch area, see
// iter.ts; every pool thread reads the same words):
//   [0..5]   B H L S D Dv
//   [6..8]   q strides (elements) for b, h, l         q is [B, H, L, D]
//   [9..11]  k strides for b, h, s                    k is [B, H, S, D]
//   [12..14] v strides for b, h, s                    v is [B, H, S, Dv]
//   [15..18] mask strides for b, h, l, s (0 = broadcast); only read when the mask pointer != 0
//   [19..21] gradOut strides for b, h, l (backward)   gradOut is [B, H, L, Dv]
// The last dim of q, k, v and gradOut is contiguous (stride 1); `out` [B, H, L, Dv], `lse`
// [B, H, L] and the gradients dq/dk/dv are contiguous. With `causal`, query i sees keys j <= i.

/** Keys per block: the block's scores (256 bytes) and the row's accumulator stay in L1. */
export const BC: i32 = 64;

@inline function word(params: usize, i: i32): i32 {
  return load<i32>(params + (<usize>i << 2));
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
 * exp on four lanes: Cephes' expf (range reduction by ln 2 split in two parts, a degree-6
 * polynomial, then scaling by 2^n through the exponent bits); relative error about 1e-7.
 * Inputs below -87.3 give 0 (so -Infinity gives 0), NaN stays NaN.
 */
@inline function expv(x: v128): v128 {
  x = f32x4.min(x, f32x4.splat(88.3762626647949));
  const under = f32x4.lt(x, f32x4.splat(-87.33654));
  x = f32x4.max(x, f32x4.splat(-87.33654));
  const fx = f32x4.floor(madd(x, f32x4.splat(1.44269504088896341), f32x4.splat(0.5)));
  let r = f32x4.sub(x, f32x4.mul(fx, f32x4.splat(0.693359375)));
  r = f32x4.sub(r, f32x4.mul(fx, f32x4.splat(-2.12194440e-4)));
  let y = f32x4.splat(1.9875691500e-4);
  y = madd(y, r, f32x4.splat(1.3981999507e-3));
  y = madd(y, r, f32x4.splat(8.3334519073e-3));
  y = madd(y, r, f32x4.splat(4.1665795894e-2));
  y = madd(y, r, f32x4.splat(1.6666665459e-1));
  y = madd(y, r, f32x4.splat(5.0000001201e-1));
  y = madd(y, f32x4.mul(r, r), f32x4.add(r, f32x4.splat(1)));
  const pow2 = i32x4.shl(i32x4.add(i32x4.trunc_sat_f32x4_s(fx), i32x4.splat(127)), 23);
  return v128.andnot(f32x4.mul(y, pow2), under);
}

/** exp of one value through the vector routine, so that scalar tails round like the body. */
@inline function exps(x: f32): f32 {
  return f32x4.extract_lane(expv(f32x4.splat(x)), 0);
}

/**
 * ln(x) for finite x >= 1 (the softmax denominator, whose largest term is exp(0) = 1), without
 * Math.log, whose lookup tables would put static data into the pool threads' module: with
 * x = 2^e f, f in [sqrt(1/2), sqrt(2)), ln f = 2 atanh(t), t = (f - 1) / (f + 1), |t| < 0.172,
 * whose odd series to t^17 is below 1e-15 relative error.
 */
function logAtLeastOne(x: f64): f64 {
  const bits = reinterpret<u64>(x);
  let e = <i32>((bits >> 52) & 0x7ff) - 1023;
  let f = reinterpret<f64>((bits & 0x000fffffffffffff) | 0x3ff0000000000000);
  if (f > 1.4142135623730951) {
    f *= 0.5;
    e++;
  }
  const t = (f - 1) / (f + 1), t2 = t * t;
  let series = 1.0 / 17;
  series = series * t2 + 1.0 / 15;
  series = series * t2 + 1.0 / 13;
  series = series * t2 + 1.0 / 11;
  series = series * t2 + 1.0 / 9;
  series = series * t2 + 1.0 / 7;
  series = series * t2 + 1.0 / 5;
  series = series * t2 + 1.0 / 3;
  series = series * t2 + 1;
  return <f64>e * 0.6931471805599453 + 2 * t * series;
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

/**
 * The four dots a.b0 .. a.b3 (rows `bs` floats apart) as one vector: four accumulators share
 * each load of `a`, and one transpose-add replaces four horizontal sums.
 */
@inline function dot4(a: usize, b: usize, bs: usize, n: i32): v128 {
  let c0 = f32x4.splat(0), c1 = f32x4.splat(0), c2 = f32x4.splat(0), c3 = f32x4.splat(0);
  const b1 = b + (bs << 2), b2 = b + (bs << 3), b3 = b1 + (bs << 3);
  let d = 0;
  for (; d + 4 <= n; d += 4) {
    const o = <usize>d << 2;
    const av = v128.load(a + o);
    c0 = madd(av, v128.load(b + o), c0);
    c1 = madd(av, v128.load(b1 + o), c1);
    c2 = madd(av, v128.load(b2 + o), c2);
    c3 = madd(av, v128.load(b3 + o), c3);
  }
  // [c0, c1, c2, c3] lanes summed: pairwise, then across pairs.
  const s01 = f32x4.add(v128.shuffle<f32>(c0, c1, 0, 4, 2, 6), v128.shuffle<f32>(c0, c1, 1, 5, 3, 7));
  const s23 = f32x4.add(v128.shuffle<f32>(c2, c3, 0, 4, 2, 6), v128.shuffle<f32>(c2, c3, 1, 5, 3, 7));
  let r = f32x4.add(v128.shuffle<f32>(s01, s23, 0, 1, 4, 5), v128.shuffle<f32>(s01, s23, 2, 3, 6, 7));
  for (; d < n; d++) {
    const o = <usize>d << 2;
    const x = load<f32>(a + o);
    r = f32x4.add(r, f32x4.mul(f32x4.splat(x), f32x4(load<f32>(b + o), load<f32>(b1 + o), load<f32>(b2 + o), load<f32>(b3 + o))));
  }
  return r;
}

/** y[0:n] += p0 x0 + p1 x1 + p2 x2 + p3 x3 (rows `xs` floats apart): one load/store of y per four rows. */
@inline function axpy4(p: v128, x: usize, xs: usize, y: usize, n: i32): void {
  const p0 = f32x4.splat(f32x4.extract_lane(p, 0)), p1 = f32x4.splat(f32x4.extract_lane(p, 1));
  const p2 = f32x4.splat(f32x4.extract_lane(p, 2)), p3 = f32x4.splat(f32x4.extract_lane(p, 3));
  const x1 = x + (xs << 2), x2 = x + (xs << 3), x3 = x1 + (xs << 3);
  let d = 0;
  for (; d + 4 <= n; d += 4) {
    const o = <usize>d << 2;
    let acc = madd(p0, v128.load(x + o), v128.load(y + o));
    acc = madd(p1, v128.load(x1 + o), acc);
    acc = madd(p2, v128.load(x2 + o), acc);
    v128.store(y + o, madd(p3, v128.load(x3 + o), acc));
  }
  for (; d < n; d++) {
    const o = <usize>d << 2;
    store<f32>(y + o, load<f32>(y + o) + f32x4.extract_lane(p, 0) * load<f32>(x + o) + f32x4.extract_lane(p, 1) * load<f32>(x1 + o)
      + f32x4.extract_lane(p, 2) * load<f32>(x2 + o) + f32x4.extract_lane(p, 3) * load<f32>(x3 + o));
  }
}

/** y[0:n] += alpha * x[0:n]. */
@inline function axpy(alpha: f32, x: usize, y: usize, n: i32): void {
  const va = f32x4.splat(alpha);
  let d = 0;
  for (; d + 4 <= n; d += 4) {
    const o = <usize>d << 2;
    v128.store(y + o, madd(va, v128.load(x + o), v128.load(y + o)));
  }
  for (; d < n; d++) {
    const o = <usize>d << 2;
    store<f32>(y + o, load<f32>(y + o) + alpha * load<f32>(x + o));
  }
}

/** y[0:n] *= alpha. */
@inline function scal(alpha: f32, y: usize, n: i32): void {
  const va = f32x4.splat(alpha);
  let d = 0;
  for (; d + 4 <= n; d += 4) v128.store(y + (<usize>d << 2), f32x4.mul(va, v128.load(y + (<usize>d << 2))));
  for (; d < n; d++) store<f32>(y + (<usize>d << 2), alpha * load<f32>(y + (<usize>d << 2)));
}

/**
 * Scores of one query row against keys j0..j1-1 into `s[0..]`: scale * q.k_j + mask[j]. Returns
 * the block's max.
 */
@inline function scoreBlock(qRow: usize, kBase: usize, kss: i32, mRow: usize, mss: i32, j0: i32, j1: i32, D: i32, scale: f32, s: usize): f32 {
  let mx: f32 = -Infinity;
  let j = j0;
  const vScale = f32x4.splat(scale);
  let vmx = f32x4.splat(-Infinity);
  for (; j + 4 <= j1; j += 4) {
    let x = f32x4.mul(vScale, dot4(qRow, kBase + (<usize>(j * kss) << 2), <usize>kss, D));
    if (mRow != 0) {
      const m0 = mRow + (<usize>(j * mss) << 2), ms = <usize>mss << 2;
      x = f32x4.add(x, f32x4(load<f32>(m0), load<f32>(m0 + ms), load<f32>(m0 + 2 * ms), load<f32>(m0 + 3 * ms)));
    }
    v128.store(s + (<usize>(j - j0) << 2), x);
    vmx = f32x4.max(vmx, x);
  }
  mx = hmax(vmx);
  for (; j < j1; j++) {
    let x = scale * dot(qRow, kBase + (<usize>(j * kss) << 2), D);
    if (mRow != 0) x += load<f32>(mRow + (<usize>(j * mss) << 2));
    store<f32>(s + (<usize>(j - j0) << 2), x);
    mx = max(mx, x);
  }
  return mx;
}

/**
 * exp(scale * q.k_j + mask_j - lse) for keys j..j+3 of query row i, 0 for keys the causal limit
 * hides (j > i).
 */
@inline function probs4(qRow: usize, kRow: usize, kss: i32, mRow: usize, mss: i32, j: i32, i: i32, causal: i32, D: i32, scale: f32, lse: v128): v128 {
  let x = f32x4.mul(f32x4.splat(scale), dot4(qRow, kRow, <usize>kss, D));
  if (mRow != 0) {
    const m0 = mRow + (<usize>(j * mss) << 2), ms = <usize>mss << 2;
    x = f32x4.add(x, f32x4(load<f32>(m0), load<f32>(m0 + ms), load<f32>(m0 + 2 * ms), load<f32>(m0 + 3 * ms)));
  }
  const p = expv(f32x4.sub(x, lse));
  if (!causal || j + 3 <= i) return p;
  // Lanes t with j + t > i are hidden.
  const visible = i32x4.le_s(i32x4.add(i32x4.splat(j), i32x4(0, 1, 2, 3)), i32x4.splat(i));
  return v128.and(p, visible);
}

/** s[0:n] = exp(s - shift); returns their sum. */
@inline function expBlock(s: usize, n: i32, shift: f32): f32 {
  const vs = f32x4.splat(shift);
  let acc = f32x4.splat(0);
  let j = 0;
  for (; j + 4 <= n; j += 4) {
    const p = expv(f32x4.sub(v128.load(s + (<usize>j << 2)), vs));
    v128.store(s + (<usize>j << 2), p);
    acc = f32x4.add(acc, p);
  }
  let sum = hsum(acc);
  for (; j < n; j++) {
    const p = exps(load<f32>(s + (<usize>j << 2)) - shift);
    store<f32>(s + (<usize>j << 2), p);
    sum += p;
  }
  return sum;
}

/**
 * Forward over the flattened (batch, head) pairs [bh0, bh1), with a BC-float row buffer `sBuf`:
 * threads run disjoint ranges (each writes only its own rows of `out` and `lse`).
 */
export function attentionPart(
  params: usize, q: usize, k: usize, v: usize, mask: usize, out: usize, lse: usize, scale: f32, causal: i32,
  bh0: i32, bh1: i32, sBuf: usize,
): void {
  const H = word(params, 1), L = word(params, 2), S = word(params, 3), D = word(params, 4), Dv = word(params, 5);
  const qsb = word(params, 6), qsh = word(params, 7), qsl = word(params, 8);
  const ksb = word(params, 9), ksh = word(params, 10), kss = word(params, 11);
  const vsb = word(params, 12), vsh = word(params, 13), vss = word(params, 14);
  const msb = word(params, 15), msh = word(params, 16), msl = word(params, 17), mss = word(params, 18);
  for (let bh = bh0; bh < bh1; bh++) {
    const b = bh / H, h = bh % H;
    let o = out + (<usize>(bh * L * Dv) << 2), lp = lse + (<usize>(bh * L) << 2);
    const kBase = k + (<usize>(b * ksb + h * ksh) << 2);
    const vBase = v + (<usize>(b * vsb + h * vsh) << 2);
    for (let i = 0; i < L; i++) {
      const qRow = q + (<usize>(b * qsb + h * qsh + i * qsl) << 2);
      const mRow = mask == 0 ? 0 : mask + (<usize>(b * msb + h * msh + i * msl) << 2);
      const jEnd = causal ? min(S, i + 1) : S;
      // The output row itself is the accumulator: sum_j exp(s_j - m) v_j, divided by l at the end.
      memory.fill(o, 0, <usize>Dv << 2);
      let m: f32 = -Infinity, l: f32 = 0;
      for (let j0 = 0; j0 < jEnd; j0 += BC) {
        const j1 = min(jEnd, j0 + BC);
        const mb = scoreBlock(qRow, kBase, kss, mRow, mss, j0, j1, D, scale, sBuf);
        if (mb == -Infinity) continue; // every key in the block is masked
        if (mb > m) {
          // The running max grows: rescale what was accumulated under the old one.
          const corr = exps(m - mb);
          l *= corr;
          scal(corr, o, Dv);
          m = mb;
        }
        l += expBlock(sBuf, j1 - j0, m);
        let j = j0;
        for (; j + 4 <= j1; j += 4) axpy4(v128.load(sBuf + (<usize>(j - j0) << 2)), vBase + (<usize>(j * vss) << 2), <usize>vss, o, Dv);
        for (; j < j1; j++) {
          const p = load<f32>(sBuf + (<usize>(j - j0) << 2));
          if (p != 0) axpy(p, vBase + (<usize>(j * vss) << 2), o, Dv);
        }
      }
      // A row with every key masked gives NaN, as softmax over all -Infinity does.
      scal(l == 0 ? NaN : 1 / l, o, Dv);
      store<f32>(lp, l == 0 ? NaN : m + <f32>logAtLeastOne(<f64>l));
      o += <usize>Dv << 2;
      lp += 4;
    }
  }
}

/**
 * Backward (FlashAttention-2's, one query row at a time): with P = exp(S - lse) recomputed per
 * key block and delta_i = dO_i . O_i,
 *   dV_j += P_ij dO_i,  dP_ij = dO_i . V_j,  dS_ij = P_ij (dP_ij - delta_i),
 *   dQ_i = scale sum_j dS_ij K_j,  dK_j += scale dS_ij Q_i.
 * dq, dk, dv are contiguous and fully written here, over the flattened (batch, head) pairs
 * [bh0, bh1), with a BC-float row buffer `sBuf`: pool threads run disjoint ranges (each writes
 * only its own blocks of dq, dk and dv).
 */
export function attentionBackwardPart(
  params: usize, q: usize, k: usize, v: usize, mask: usize, out: usize, lse: usize, gout: usize,
  dq: usize, dk: usize, dv: usize, scale: f32, causal: i32, bh0: i32, bh1: i32, sBuf: usize,
): void {
  const H = word(params, 1), L = word(params, 2), S = word(params, 3), D = word(params, 4), Dv = word(params, 5);
  const qsb = word(params, 6), qsh = word(params, 7), qsl = word(params, 8);
  const ksb = word(params, 9), ksh = word(params, 10), kss = word(params, 11);
  const vsb = word(params, 12), vsh = word(params, 13), vss = word(params, 14);
  const msb = word(params, 15), msh = word(params, 16), msl = word(params, 17), mss = word(params, 18);
  const gsb = word(params, 19), gsh = word(params, 20), gsl = word(params, 21);
  for (let bh = bh0; bh < bh1; bh++) {
    const b = bh / H, h = bh % H;
    let o = out + (<usize>(bh * L * Dv) << 2), lp = lse + (<usize>(bh * L) << 2), dqRow = dq + (<usize>(bh * L * D) << 2);
    const kBase = k + (<usize>(b * ksb + h * ksh) << 2);
    const vBase = v + (<usize>(b * vsb + h * vsh) << 2);
    const dkBase = dk + (<usize>((b * H + h) * S * D) << 2);
    const dvBase = dv + (<usize>((b * H + h) * S * Dv) << 2);
    memory.fill(dkBase, 0, <usize>(S * D) << 2);
    memory.fill(dvBase, 0, <usize>(S * Dv) << 2);
    // Blocks of 4 query rows x 4 keys: every row of dQ, dK and dV is loaded and stored once
    // per 4 x 4 block (a rank-4 update) instead of once per (query, key) pair.
    let i = 0;
    for (; i + 4 <= L; i += 4) {
      const qRow = q + (<usize>(b * qsb + h * qsh + i * qsl) << 2);
      const gRow = gout + (<usize>(b * gsb + h * gsh + i * gsl) << 2);
      const mRow = mask == 0 ? 0 : mask + (<usize>(b * msb + h * msh + i * msl) << 2);
      const qs = <usize>qsl << 2, gs = <usize>gsl << 2, ms = <usize>msl << 2;
      const dqs = <usize>D << 2, os = <usize>Dv << 2;
      const jEnd = causal ? min(S, i + 4) : S;
      const lse0 = f32x4.splat(load<f32>(lp)), lse1 = f32x4.splat(load<f32>(lp, 4));
      const lse2 = f32x4.splat(load<f32>(lp, 8)), lse3 = f32x4.splat(load<f32>(lp, 12));
      const dl0 = f32x4.splat(dot(gRow, o, Dv)), dl1 = f32x4.splat(dot(gRow + gs, o + os, Dv));
      const dl2 = f32x4.splat(dot(gRow + 2 * gs, o + 2 * os, Dv)), dl3 = f32x4.splat(dot(gRow + 3 * gs, o + 3 * os, Dv));
      memory.fill(dqRow, 0, <usize>(4 * D) << 2);
      let j = 0;
      for (; j + 4 <= jEnd; j += 4) {
        const kRow = kBase + (<usize>(j * kss) << 2), vRow = vBase + (<usize>(j * vss) << 2);
        const p0 = probs4(qRow, kRow, kss, mRow, mss, j, i, causal, D, scale, lse0);
        const p1 = probs4(qRow + qs, kRow, kss, mRow == 0 ? 0 : mRow + ms, mss, j, i + 1, causal, D, scale, lse1);
        const p2 = probs4(qRow + 2 * qs, kRow, kss, mRow == 0 ? 0 : mRow + 2 * ms, mss, j, i + 2, causal, D, scale, lse2);
        const p3 = probs4(qRow + 3 * qs, kRow, kss, mRow == 0 ? 0 : mRow + 3 * ms, mss, j, i + 3, causal, D, scale, lse3);
        const ds0 = f32x4.mul(p0, f32x4.sub(dot4(gRow, vRow, <usize>vss, Dv), dl0));
        const ds1 = f32x4.mul(p1, f32x4.sub(dot4(gRow + gs, vRow, <usize>vss, Dv), dl1));
        const ds2 = f32x4.mul(p2, f32x4.sub(dot4(gRow + 2 * gs, vRow, <usize>vss, Dv), dl2));
        const ds3 = f32x4.mul(p3, f32x4.sub(dot4(gRow + 3 * gs, vRow, <usize>vss, Dv), dl3));
        axpy4(ds0, kRow, <usize>kss, dqRow, D);
        axpy4(ds1, kRow, <usize>kss, dqRow + dqs, D);
        axpy4(ds2, kRow, <usize>kss, dqRow + 2 * dqs, D);
        axpy4(ds3, kRow, <usize>kss, dqRow + 3 * dqs, D);
        // Transposed 4 x 4 blocks: lane r of column t is query row r's value for key j + t.
        const pa = v128.shuffle<f32>(p0, p1, 0, 4, 1, 5), pb = v128.shuffle<f32>(p2, p3, 0, 4, 1, 5);
        const pc = v128.shuffle<f32>(p0, p1, 2, 6, 3, 7), pd = v128.shuffle<f32>(p2, p3, 2, 6, 3, 7);
        const dvRow = dvBase + (<usize>(j * Dv) << 2);
        axpy4(v128.shuffle<f32>(pa, pb, 0, 1, 4, 5), gRow, <usize>gsl, dvRow, Dv);
        axpy4(v128.shuffle<f32>(pa, pb, 2, 3, 6, 7), gRow, <usize>gsl, dvRow + os, Dv);
        axpy4(v128.shuffle<f32>(pc, pd, 0, 1, 4, 5), gRow, <usize>gsl, dvRow + 2 * os, Dv);
        axpy4(v128.shuffle<f32>(pc, pd, 2, 3, 6, 7), gRow, <usize>gsl, dvRow + 3 * os, Dv);
        const vs = f32x4.splat(scale);
        const da = v128.shuffle<f32>(ds0, ds1, 0, 4, 1, 5), db = v128.shuffle<f32>(ds2, ds3, 0, 4, 1, 5);
        const dc = v128.shuffle<f32>(ds0, ds1, 2, 6, 3, 7), dd = v128.shuffle<f32>(ds2, ds3, 2, 6, 3, 7);
        const dkRow = dkBase + (<usize>(j * D) << 2);
        axpy4(f32x4.mul(vs, v128.shuffle<f32>(da, db, 0, 1, 4, 5)), qRow, <usize>qsl, dkRow, D);
        axpy4(f32x4.mul(vs, v128.shuffle<f32>(da, db, 2, 3, 6, 7)), qRow, <usize>qsl, dkRow + dqs, D);
        axpy4(f32x4.mul(vs, v128.shuffle<f32>(dc, dd, 0, 1, 4, 5)), qRow, <usize>qsl, dkRow + 2 * dqs, D);
        axpy4(f32x4.mul(vs, v128.shuffle<f32>(dc, dd, 2, 3, 6, 7)), qRow, <usize>qsl, dkRow + 3 * dqs, D);
      }
      // The last S % 4 keys (or fewer under the causal limit), one (row, key) pair at a time.
      for (let r = 0; r < 4; r++) {
        const qr = qRow + <usize>r * qs, gr = gRow + <usize>r * gs, dqr = dqRow + <usize>r * dqs;
        const rowLse = load<f32>(lp + (<usize>r << 2));
        const delta = dot(gr, o + <usize>r * os, Dv);
        const rEnd = causal ? min(jEnd, i + r + 1) : jEnd;
        for (let jj = j; jj < rEnd; jj++) {
          let x = scale * dot(qr, kBase + (<usize>(jj * kss) << 2), D);
          if (mRow != 0) x += load<f32>(mRow + <usize>r * ms + (<usize>(jj * mss) << 2));
          const p = exps(x - rowLse);
          if (p == 0) continue;
          axpy(p, gr, dvBase + (<usize>(jj * Dv) << 2), Dv);
          const ds = p * (dot(gr, vBase + (<usize>(jj * vss) << 2), Dv) - delta);
          axpy(ds, kBase + (<usize>(jj * kss) << 2), dqr, D);
          axpy(scale * ds, qr, dkBase + (<usize>(jj * D) << 2), D);
        }
        scal(scale, dqr, D);
      }
      o += <usize>(4 * Dv) << 2;
      lp += 16;
      dqRow += <usize>(4 * D) << 2;
    }
    for (; i < L; i++) {
      const qRow = q + (<usize>(b * qsb + h * qsh + i * qsl) << 2);
      const gRow = gout + (<usize>(b * gsb + h * gsh + i * gsl) << 2);
      const mRow = mask == 0 ? 0 : mask + (<usize>(b * msb + h * msh + i * msl) << 2);
      const jEnd = causal ? min(S, i + 1) : S;
      const rowLse = load<f32>(lp);
      const delta = dot(gRow, o, Dv);
      memory.fill(dqRow, 0, <usize>D << 2);
      for (let j0 = 0; j0 < jEnd; j0 += BC) {
        const j1 = min(jEnd, j0 + BC);
        scoreBlock(qRow, kBase, kss, mRow, mss, j0, j1, D, scale, sBuf);
        expBlock(sBuf, j1 - j0, rowLse);
        let j = j0;
        const vDelta = f32x4.splat(delta);
        for (; j + 4 <= j1; j += 4) {
          const pv = v128.load(sBuf + (<usize>(j - j0) << 2));
          const ds = f32x4.mul(pv, f32x4.sub(dot4(gRow, vBase + (<usize>(j * vss) << 2), <usize>vss, Dv), vDelta));
          axpy4(ds, kBase + (<usize>(j * kss) << 2), <usize>kss, dqRow, D);
          // dV_j and dK_j are separate rows: one axpy each. Lane t is rotated into lane 0
          // (extract_lane needs a constant index).
          let pr = pv, dr = ds;
          for (let t = 0; t < 4; t++) {
            const p = f32x4.extract_lane(pr, 0);
            if (p != 0) {
              axpy(p, gRow, dvBase + (<usize>((j + t) * Dv) << 2), Dv);
              axpy(scale * f32x4.extract_lane(dr, 0), qRow, dkBase + (<usize>((j + t) * D) << 2), D);
            }
            pr = v128.shuffle<f32>(pr, pr, 1, 2, 3, 0);
            dr = v128.shuffle<f32>(dr, dr, 1, 2, 3, 0);
          }
        }
        for (; j < j1; j++) {
          const p = load<f32>(sBuf + (<usize>(j - j0) << 2));
          if (p == 0) continue; // masked (or negligible): contributes nothing
          const vRow = vBase + (<usize>(j * vss) << 2);
          axpy(p, gRow, dvBase + (<usize>(j * Dv) << 2), Dv);
          const ds = p * (dot(gRow, vRow, Dv) - delta);
          axpy(ds, kBase + (<usize>(j * kss) << 2), dqRow, D);
          axpy(scale * ds, qRow, dkBase + (<usize>(j * D) << 2), D);
        }
      }
      scal(scale, dqRow, D);
      o += <usize>Dv << 2;
      lp += 4;
      dqRow += <usize>D << 2;
    }
  }
}
