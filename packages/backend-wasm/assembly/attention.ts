// Fused scaled dot-product attention, `O = softmax(Q K^T * scale + mask) V`, and its backward,
// flash-attention style (Dao et al. 2022, "FlashAttention"; Dao 2023, "FlashAttention-2"):
// the L x S matrix of scores is never stored. Each query row walks the keys in blocks of BC;
// the block's scores live in a BC-float buffer, and an online softmax keeps a running max `m`
// and sum `l` per row, rescaling the output accumulator by exp(m_old - m_new) whenever the max
// grows. The forward saves the per-row logsumexp `lse = m + log(l)` so that the backward can
// recompute each probability as exp(s - lse) block by block instead of saving them.
//
// Operands, passed through the scratch area (see iter.ts) as i32 words:
//   [0..5]   B H L S D Dv
//   [6..8]   q strides (elements) for b, h, l         q is [B, H, L, D]
//   [9..11]  k strides for b, h, s                    k is [B, H, S, D]
//   [12..14] v strides for b, h, s                    v is [B, H, S, Dv]
//   [15..18] mask strides for b, h, l, s (0 = broadcast); only read when the mask pointer != 0
//   [19..21] gradOut strides for b, h, l (backward)   gradOut is [B, H, L, Dv]
// The last dim of q, k, v and gradOut is contiguous (stride 1); `out` [B, H, L, Dv], `lse`
// [B, H, L] and the gradients dq/dk/dv are contiguous. With `causal`, query i sees keys j <= i.
import { alloc, free } from './alloc';
import { SCRATCH } from './iter';

/** Keys per block: the block's scores (256 bytes) and the row's accumulator stay in L1. */
const BC: i32 = 64;

@inline function word(i: i32): i32 {
  return load<i32>(SCRATCH + (<usize>i << 2));
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

/** dot(a[0:n], b[0:n]), both contiguous. */
@inline function dot(a: usize, b: usize, n: i32): f32 {
  let acc = f32x4.splat(0);
  let d = 0;
  for (; d + 4 <= n; d += 4) acc = madd(v128.load(a + (<usize>d << 2)), v128.load(b + (<usize>d << 2)), acc);
  let s = hsum(acc);
  for (; d < n; d++) s += load<f32>(a + (<usize>d << 2)) * load<f32>(b + (<usize>d << 2));
  return s;
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
  for (let j = j0; j < j1; j++) {
    let x = scale * dot(qRow, kBase + (<usize>(j * kss) << 2), D);
    if (mRow != 0) x += load<f32>(mRow + (<usize>(j * mss) << 2));
    store<f32>(s + (<usize>(j - j0) << 2), x);
    mx = max(mx, x);
  }
  return mx;
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

/** Forward. Returns 0, or 1 when the row buffers cannot be allocated. */
export function attention(q: usize, k: usize, v: usize, mask: usize, out: usize, lse: usize, scale: f32, causal: i32): i32 {
  const B = word(0), H = word(1), L = word(2), S = word(3), D = word(4), Dv = word(5);
  const qsb = word(6), qsh = word(7), qsl = word(8);
  const ksb = word(9), ksh = word(10), kss = word(11);
  const vsb = word(12), vsh = word(13), vss = word(14);
  const msb = word(15), msh = word(16), msl = word(17), mss = word(18);
  const sBuf = alloc(<usize>BC << 2);
  if (sBuf == 0) return 1;
  let o = out, lp = lse;
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < H; h++) {
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
          for (let j = j0; j < j1; j++) {
            const p = load<f32>(sBuf + (<usize>(j - j0) << 2));
            if (p != 0) axpy(p, vBase + (<usize>(j * vss) << 2), o, Dv);
          }
        }
        // A row with every key masked gives NaN, as softmax over all -Infinity does.
        scal(l == 0 ? NaN : 1 / l, o, Dv);
        store<f32>(lp, l == 0 ? NaN : m + <f32>Math.log(<f64>l));
        o += <usize>Dv << 2;
        lp += 4;
      }
    }
  }
  free(sBuf);
  return 0;
}

/**
 * Backward (FlashAttention-2's, one query row at a time): with P = exp(S - lse) recomputed per
 * key block and delta_i = dO_i . O_i,
 *   dV_j += P_ij dO_i,  dP_ij = dO_i . V_j,  dS_ij = P_ij (dP_ij - delta_i),
 *   dQ_i = scale sum_j dS_ij K_j,  dK_j += scale dS_ij Q_i.
 * dq, dk, dv are contiguous and fully written here. Returns 0, or 1 when out of memory.
 */
export function attentionBackward(
  q: usize, k: usize, v: usize, mask: usize, out: usize, lse: usize, gout: usize,
  dq: usize, dk: usize, dv: usize, scale: f32, causal: i32,
): i32 {
  const B = word(0), H = word(1), L = word(2), S = word(3), D = word(4), Dv = word(5);
  const qsb = word(6), qsh = word(7), qsl = word(8);
  const ksb = word(9), ksh = word(10), kss = word(11);
  const vsb = word(12), vsh = word(13), vss = word(14);
  const msb = word(15), msh = word(16), msl = word(17), mss = word(18);
  const gsb = word(19), gsh = word(20), gsl = word(21);
  const sBuf = alloc(<usize>BC << 2);
  if (sBuf == 0) return 1;
  let o = out, lp = lse, dqRow = dq;
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < H; h++) {
      const kBase = k + (<usize>(b * ksb + h * ksh) << 2);
      const vBase = v + (<usize>(b * vsb + h * vsh) << 2);
      const dkBase = dk + (<usize>((b * H + h) * S * D) << 2);
      const dvBase = dv + (<usize>((b * H + h) * S * Dv) << 2);
      memory.fill(dkBase, 0, <usize>(S * D) << 2);
      memory.fill(dvBase, 0, <usize>(S * Dv) << 2);
      for (let i = 0; i < L; i++) {
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
          for (let j = j0; j < j1; j++) {
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
  free(sBuf);
  return 0;
}
