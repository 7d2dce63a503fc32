// float32 matrix product C[M,N] = A[M,K] B[K,N] with arbitrary (byte) strides for A and B and a
// row-major C with unit column stride and byte row stride ldc. Batches are looped by the glue. No allocation and no static
// data here (the pool threads' module includes this file): callers pass the packing scratch.
// Register tile: MR rows x NR columns of C held in MR * NR/4 = 10 v128 accumulators; with two
// B vectors, the panel's four A values of rows 0-3 in one v128 and one broadcast A value that is
// 14 live v128 values, inside the 15 SIMD registers V8 allocates on x64 (it keeps one as scratch).
// A sixth row (12 accumulators) or a second k step per iteration spills: V8 schedules the
// iteration's loads ahead of its multiply-adds, and the loads' registers then run out.
const MR = 5;
const NR = 8;
// Cache blocks: a KC x NR panel of packed B (8 KiB) stays in L1 while the micro-kernel sweeps
// the MC x KC block of packed A (120 KiB, L2); the KC x NC block of packed B (1 MiB, L2/L3) is
// reused for every MC block. Tuned on the benchmark machine (Zen 4; square n = 256..1024 and the
// Transformer step's products): KC 384 and 512 and MC 60 and 80 were within the noise.
const KC = 256;
const MC = 120;
const NC = 1024;
/** Below this many multiply-adds the plain triple loop wins (no packing). */
export const SMALL: i64 = 4096;

/** c + a*b: fused (single rounding, or not: relaxed) with relaxed SIMD, two roundings otherwise. */
@inline function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(f32x4.mul(a, b), c);
}

/**
 * The micro-kernel: C[0:5, 0:8] (+)= Ap[0:5, 0:kc] Bp[0:kc, 0:8] on packed panels: the A panel
 * holds the 5 values of one column per k (20 bytes), the B panel the 8 values of one row per k.
 * Rows 0-3 of A come in one 16-byte load and are splatted lane by lane (a shuffle each); row 4 is
 * a broadcast load. Either way every C element is the same chain of multiply-adds over k in
 * order, so the tile an element falls in (and so how a product is cut into blocks) never changes
 * it. `accumulate` adds to C (later KC blocks) instead of overwriting it (the first).
 */
function kernel5x8(a: usize, b: usize, kc: i32, c: usize, ldc: usize, accumulate: bool): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  let c40 = f32x4.splat(0), c41 = f32x4.splat(0);
  // One pointer compare per k (the loop's end is B's); a pointer step each, no k counter.
  const end = b + (<usize>kc << 5);
  while (b < end) {
    const b0 = v128.load(b), b1 = v128.load(b, 16);
    const a03 = v128.load(a);
    let av = v128.shuffle<f32>(a03, a03, 0, 0, 0, 0);
    c00 = madd(av, b0, c00);
    c01 = madd(av, b1, c01);
    av = v128.shuffle<f32>(a03, a03, 1, 1, 1, 1);
    c10 = madd(av, b0, c10);
    c11 = madd(av, b1, c11);
    av = v128.shuffle<f32>(a03, a03, 2, 2, 2, 2);
    c20 = madd(av, b0, c20);
    c21 = madd(av, b1, c21);
    av = v128.shuffle<f32>(a03, a03, 3, 3, 3, 3);
    c30 = madd(av, b0, c30);
    c31 = madd(av, b1, c31);
    av = v128.load32_splat(a, 16);
    c40 = madd(av, b0, c40);
    c41 = madd(av, b1, c41);
    a += MR * 4;
    b += NR * 4;
  }
  const r1 = c + ldc, r2 = r1 + ldc, r3 = r2 + ldc, r4 = r3 + ldc;
  if (accumulate) {
    c00 = f32x4.add(c00, v128.load(c));
    c01 = f32x4.add(c01, v128.load(c, 16));
    c10 = f32x4.add(c10, v128.load(r1));
    c11 = f32x4.add(c11, v128.load(r1, 16));
    c20 = f32x4.add(c20, v128.load(r2));
    c21 = f32x4.add(c21, v128.load(r2, 16));
    c30 = f32x4.add(c30, v128.load(r3));
    c31 = f32x4.add(c31, v128.load(r3, 16));
    c40 = f32x4.add(c40, v128.load(r4));
    c41 = f32x4.add(c41, v128.load(r4, 16));
  }
  v128.store(c, c00);
  v128.store(c, c01, 16);
  v128.store(r1, c10);
  v128.store(r1, c11, 16);
  v128.store(r2, c20);
  v128.store(r2, c21, 16);
  v128.store(r3, c30);
  v128.store(r3, c31, 16);
  v128.store(r4, c40);
  v128.store(r4, c41, 16);
}

/**
 * Stores the 4 x 4 transpose of rows r0..r3: column q (r0[q], r1[q], r2[q], r3[q]) goes to
 * `dst + q * step`. Pure data movement: packing this way changes no result.
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
 * Packs A[0:mc, 0:kc] (strides sam, sak in bytes) into MR-row panels: panel q holds, for each k,
 * the MR values A[q*MR + 0..MR-1, k] (20 bytes), zero-padded past mc. Transposes happen here, for
 * free. Every A is packed, row-major ones too: the micro-kernel then reads one contiguous stream
 * with constant offsets instead of five rows a row stride apart.
 */
function packA(a: usize, sam: i32, sak: i32, mc: i32, kc: i32, dst: usize): void {
  for (let i0 = 0; i0 < mc; i0 += MR) {
    const m = min(MR, mc - i0);
    const panel = dst + <usize>(i0 * kc * 4);
    const src = a + <usize>(i0 * sam);
    if (m == MR && sak == 4) {
      // Row-major A (activations, the usual case): four k at a time, one 16-byte load per row;
      // rows 0-3 through a 4 x 4 transpose in registers (16-byte stores 20 bytes apart), row 4
      // lane by lane into the fifth slot of each k.
      const r1 = src + <usize>sam, r2 = r1 + <usize>sam, r3 = r2 + <usize>sam, r4 = r3 + <usize>sam;
      let p = 0;
      for (; p + 4 <= kc; p += 4) {
        const at = <usize>p << 2, out = panel + <usize>(p * MR * 4);
        transpose4(v128.load(src + at), v128.load(r1 + at), v128.load(r2 + at), v128.load(r3 + at), out, MR * 4);
        const v = v128.load(r4 + at);
        v128.store32_lane(out, v, 0, 16);
        v128.store32_lane(out, v, 1, MR * 4 + 16);
        v128.store32_lane(out, v, 2, MR * 8 + 16);
        v128.store32_lane(out, v, 3, MR * 12 + 16);
      }
      for (; p < kc; p++) {
        const at = <usize>p << 2, out = panel + <usize>(p * MR * 4);
        store<f32>(out, load<f32>(src + at));
        store<f32>(out, load<f32>(r1 + at), 4);
        store<f32>(out, load<f32>(r2 + at), 8);
        store<f32>(out, load<f32>(r3 + at), 12);
        store<f32>(out, load<f32>(r4 + at), 16);
      }
    } else if (m == MR && sam == 4) {
      // Column-major A (a transposed operand, as in a weight gradient X^T dY): each k is 16 + 4
      // contiguous bytes.
      for (let p = 0; p < kc; p++) {
        const s = src + <usize>(p * sak), out = panel + <usize>(p * MR * 4);
        v128.store(out, v128.load(s));
        store<f32>(out, load<f32>(s, 16), 16);
      }
    } else {
      if (m < MR) memory.fill(panel, 0, <usize>(kc * MR * 4));
      for (let i = 0; i < m; i++) {
        const row = src + <usize>(i * sam);
        const out = panel + (<usize>i << 2);
        for (let p = 0; p < kc; p++) store<f32>(out + <usize>(p * MR * 4), load<f32>(row + <usize>(p * sak)));
      }
    }
  }
}

/**
 * Packs B[0:kc, 0:nc] (strides sbk, sbn in bytes) into NR-column panels: panel q holds, for each
 * k, the NR values B[k, q*NR + 0..NR-1], zero-padded past nc.
 */
function packB(b: usize, sbk: i32, sbn: i32, kc: i32, nc: i32, dst: usize): void {
  for (let j0 = 0; j0 < nc; j0 += NR) {
    const n = min(NR, nc - j0);
    const panel = dst + <usize>(j0 * kc * 4);
    const src = b + <usize>(j0 * sbn);
    if (n == NR && sbn == 4) {
      // Row-major B: each k is two 16-byte loads.
      for (let p = 0; p < kc; p++) {
        const s = src + <usize>(p * sbk), d = panel + (<usize>p << 5);
        v128.store(d, v128.load(s));
        v128.store(d, v128.load(s, 16), 16);
      }
    } else if (n == NR && sbk == 4) {
      // Column-major B (a Linear's weight seen transposed): four k at a time, one 16-byte load
      // per column and two 4 x 4 transposes in registers (columns 0-3, then 4-7 of each row).
      let p = 0;
      for (; p + 4 <= kc; p += 4) {
        const at = <usize>p << 2, d = panel + (<usize>p << 5);
        const c0 = src + at, c1 = c0 + <usize>sbn, c2 = c1 + <usize>sbn, c3 = c2 + <usize>sbn;
        const c4 = c3 + <usize>sbn, c5 = c4 + <usize>sbn, c6 = c5 + <usize>sbn, c7 = c6 + <usize>sbn;
        transpose4(v128.load(c0), v128.load(c1), v128.load(c2), v128.load(c3), d, 32);
        transpose4(v128.load(c4), v128.load(c5), v128.load(c6), v128.load(c7), d + 16, 32);
      }
      for (; p < kc; p++) {
        const out = panel + (<usize>p << 5);
        for (let j = 0; j < NR; j++) store<f32>(out + (<usize>j << 2), load<f32>(src + <usize>(j * sbn + p * 4)));
      }
    } else {
      if (n < NR) memory.fill(panel, 0, <usize>(kc * NR * 4));
      // Walk each column of B down k: contiguous reads when B is transposed (sbk == 4).
      for (let j = 0; j < n; j++) {
        const col = src + <usize>(j * sbn);
        const out = panel + (<usize>j << 2);
        for (let p = 0; p < kc; p++) store<f32>(out + <usize>(p * NR * 4), load<f32>(col + <usize>(p * sbk)));
      }
    }
  }
}

/** The plain triple loop for tiny products. */
function small(a: usize, b: usize, c: usize, M: i32, N: i32, K: i32, sam: i32, sak: i32, sbk: i32, sbn: i32, ldc: usize): void {
  for (let i = 0; i < M; i++) {
    const arow = a + <usize>(i * sam);
    const crow = c + <usize>i * ldc;
    for (let j = 0; j < N; j++) {
      const bcol = b + <usize>(j * sbn);
      let acc: f32 = 0;
      for (let p = 0; p < K; p++) acc += load<f32>(arow + <usize>(p * sak)) * load<f32>(bcol + <usize>(p * sbk));
      store<f32>(crow + (<usize>j << 2), acc);
    }
  }
}

/**
 * C = A B for M < MR rows without packing (matrix-vector products, as in generating one token
 * at a time): packing would copy all of B to use it once and pad A to MR rows. Streams B once:
 * with unit column stride (row-major B) each k adds a[i, k] * B[k, :] to C's rows, summing k in
 * order as the micro-kernel does; with unit row stride (a Linear's weight seen transposed) and a
 * contiguous A row, each C element is a dot product with four partial sums. Returns false, doing
 * nothing, for other layouts.
 */
function fewRows(a: usize, b: usize, c: usize, M: i32, N: i32, K: i32, sam: i32, sak: i32, sbk: i32, sbn: i32, ldc: usize): bool {
  if (sbn == 4) {
    for (let i = 0; i < M; i++) memory.fill(c + <usize>i * ldc, 0, <usize>N << 2);
    for (let p = 0; p < K; p++) {
      const brow = b + <usize>(p * sbk);
      for (let i = 0; i < M; i++) {
        const av = f32x4.splat(load<f32>(a + <usize>(i * sam + p * sak)));
        const crow = c + <usize>i * ldc;
        let j = 0;
        for (; j + 8 <= N; j += 8) {
          const at = <usize>j << 2;
          v128.store(crow + at, madd(av, v128.load(brow + at), v128.load(crow + at)));
          v128.store(crow + at, madd(av, v128.load(brow + at, 16), v128.load(crow + at, 16)), 16);
        }
        for (; j + 4 <= N; j += 4) {
          const at = <usize>j << 2;
          v128.store(crow + at, madd(av, v128.load(brow + at), v128.load(crow + at)));
        }
        const as = f32x4.extract_lane(av, 0);
        for (; j < N; j++) {
          const at = <usize>j << 2;
          store<f32>(crow + at, load<f32>(crow + at) + as * load<f32>(brow + at));
        }
      }
    }
    return true;
  }
  if (sbk == 4 && sak == 4) {
    for (let i = 0; i < M; i++) {
      const arow = a + <usize>(i * sam);
      const crow = c + <usize>i * ldc;
      let j = 0;
      // Four columns at a time: four independent accumulator chains (one chain waits on the
      // madd latency) and each load of A used four times. Every column sums in the same order as
      // the one-column loop below, so the results do not depend on which loop computed them.
      for (; j + 4 <= N; j += 4) {
        const b0 = b + <usize>(j * sbn), b1 = b0 + <usize>sbn, b2 = b1 + <usize>sbn, b3 = b2 + <usize>sbn;
        let acc0 = f32x4.splat(0), acc1 = f32x4.splat(0), acc2 = f32x4.splat(0), acc3 = f32x4.splat(0);
        let p = 0;
        for (; p + 4 <= K; p += 4) {
          const at = <usize>p << 2;
          const av = v128.load(arow + at);
          acc0 = madd(av, v128.load(b0 + at), acc0);
          acc1 = madd(av, v128.load(b1 + at), acc1);
          acc2 = madd(av, v128.load(b2 + at), acc2);
          acc3 = madd(av, v128.load(b3 + at), acc3);
        }
        let s0 = f32x4.extract_lane(acc0, 0) + f32x4.extract_lane(acc0, 1) + f32x4.extract_lane(acc0, 2) + f32x4.extract_lane(acc0, 3);
        let s1 = f32x4.extract_lane(acc1, 0) + f32x4.extract_lane(acc1, 1) + f32x4.extract_lane(acc1, 2) + f32x4.extract_lane(acc1, 3);
        let s2 = f32x4.extract_lane(acc2, 0) + f32x4.extract_lane(acc2, 1) + f32x4.extract_lane(acc2, 2) + f32x4.extract_lane(acc2, 3);
        let s3 = f32x4.extract_lane(acc3, 0) + f32x4.extract_lane(acc3, 1) + f32x4.extract_lane(acc3, 2) + f32x4.extract_lane(acc3, 3);
        for (; p < K; p++) {
          const at = <usize>p << 2;
          const av = load<f32>(arow + at);
          s0 += av * load<f32>(b0 + at);
          s1 += av * load<f32>(b1 + at);
          s2 += av * load<f32>(b2 + at);
          s3 += av * load<f32>(b3 + at);
        }
        const cj = crow + (<usize>j << 2);
        store<f32>(cj, s0);
        store<f32>(cj, s1, 4);
        store<f32>(cj, s2, 8);
        store<f32>(cj, s3, 12);
      }
      for (; j < N; j++) {
        const bcol = b + <usize>(j * sbn);
        let acc = f32x4.splat(0);
        let p = 0;
        for (; p + 4 <= K; p += 4) acc = madd(v128.load(arow + (<usize>p << 2)), v128.load(bcol + (<usize>p << 2)), acc);
        let sum = f32x4.extract_lane(acc, 0) + f32x4.extract_lane(acc, 1) + f32x4.extract_lane(acc, 2) + f32x4.extract_lane(acc, 3);
        for (; p < K; p++) sum += load<f32>(arow + (<usize>p << 2)) * load<f32>(bcol + (<usize>p << 2));
        store<f32>(crow + (<usize>j << 2), sum);
      }
    }
    return true;
  }
  return false;
}

/** Bytes of packing scratch `matmulPart` needs for an M x N x K product (A panel, B block, edge tile). */
export function matmulScratchBytes(M: i32, N: i32, K: i32): i32 {
  const kcMax = min(KC, K);
  const ncMax = min(NC, (N + NR - 1) / NR * NR);
  const mcMax = min(MC, (M + MR - 1) / MR * MR);
  return (mcMax * kcMax + kcMax * ncMax + MR * NR) * 4;
}

/**
 * Runs the epilogue over the finished block C[i0:i1, j0:j1] of a part: function table entry `epi`
 * is a module generated for a fused element-wise program (src/jit.ts), `run(words, from, to)`
 * over elements [from, to) of the whole product, row-major with rows `ldc` bytes apart; `base`
 * is the element of the part's C[0, 0]. One call where the block is whole rows, else one per row.
 * The block is final (the last depth block has been added), and an element-wise program computes
 * each element alone, so where the product is cut (threads, blocks) never changes a result.
 */
function epilogue(epi: u32, words: usize, base: i32, ldc: usize, i0: i32, i1: i32, j0: i32, j1: i32): void {
  const row = <i32>(ldc >> 2);
  if (j0 == 0 && j1 == row) {
    call_indirect<void>(epi, <i32>words, base + i0 * row, base + i1 * row);
    return;
  }
  for (let i = i0; i < i1; i++) {
    const at = base + i * row;
    call_indirect<void>(epi, <i32>words, at + j0, at + j1);
  }
}

/**
 * C = A B, C's rows `ldc` bytes apart, with the caller's packing `scratch` of
 * `matmulScratchBytes(M, N, K)` bytes (unused, and may be 0, when K is 0 or the product is small
 * enough for the plain loop). Pool threads each run their own rows, columns or products of a
 * batch, with their own scratch.
 *
 * With `epi` (a function table index; 0: none), the epilogue of a fused matmul (core's
 * fused-matmul.ts) runs on each block of C as soon as it is final, while it is still in cache:
 * per MC-row block of the blocked product, once after the small and few-row paths (see epilogue;
 * `words` and `base` are its arguments).
 *
 * Blocking (Goto & van de Geijn, "Anatomy of high-performance matrix multiplication", 2008;
 * the BLIS loop order):
 *
 *   for jc in 0..N step NC                     B block columns
 *     for pc in 0..K step KC                   depth blocks; pack B[pc:+KC, jc:+NC] -> Bp
 *       for ic in 0..M step MC                 pack A[ic:+MC, pc:+KC] -> Ap
 *         for jr in 0..nc step NR              one KC x NR panel of Bp (L1)
 *           for ir in 0..mc step MR            one KC x MR panel of Ap (L2)
 *             kernel5x8: C[ic+ir:+MR, jc+jr:+NR] (+)= Ap panel * Bp panel
 *
 * Edge tiles (mr < MR or nr < NR) run the same kernel on zero-padded panels into a scratch
 * tile, then copy the valid part out. The first depth block overwrites C, later ones add.
 */
export function matmulPart(
  a: usize, b: usize, c: usize, M: i32, N: i32, K: i32, sam: i32, sak: i32, sbk: i32, sbn: i32, ldc: usize, scratch: usize,
  epi: u32, words: usize, base: i32,
): void {
  if (M == 0 || N == 0) return;
  if (K == 0) {
    for (let i = 0; i < M; i++) memory.fill(c + <usize>i * ldc, 0, <usize>N << 2);
    if (epi) epilogue(epi, words, base, ldc, 0, M, 0, N);
    return;
  }
  if (<i64>M * <i64>N * <i64>K <= SMALL) {
    small(a, b, c, M, N, K, sam, sak, sbk, sbn, ldc);
    if (epi) epilogue(epi, words, base, ldc, 0, M, 0, N);
    return;
  }
  if (M < MR && fewRows(a, b, c, M, N, K, sam, sak, sbk, sbn, ldc)) {
    if (epi) epilogue(epi, words, base, ldc, 0, M, 0, N);
    return;
  }
  const kcMax = min(KC, K);
  const mcMax = min(MC, (M + MR - 1) / MR * MR);
  const ncMax = min(NC, (N + NR - 1) / NR * NR);
  const ap = scratch;
  const bp = ap + <usize>(mcMax * kcMax * 4);
  const edge = bp + <usize>(kcMax * ncMax * 4);
  for (let jc = 0; jc < N; jc += NC) {
    const nc = min(NC, N - jc);
    for (let pc = 0; pc < K; pc += KC) {
      const kc = min(KC, K - pc);
      const accumulate = pc > 0;
      packB(b + <usize>(pc * sbk + jc * sbn), sbk, sbn, kc, nc, bp);
      for (let ic = 0; ic < M; ic += MC) {
        const mc = min(MC, M - ic);
        packA(a + <usize>(ic * sam + pc * sak), sam, sak, mc, kc, ap);
        for (let jr = 0; jr < nc; jr += NR) {
          const nr = min(NR, nc - jr);
          const bpanel = bp + <usize>(jr * kc * 4);
          for (let ir = 0; ir < mc; ir += MR) {
            const mr = min(MR, mc - ir);
            const apanel = ap + <usize>(ir * kc * 4);
            const ct = c + <usize>(ic + ir) * ldc + (<usize>(jc + jr) << 2);
            if (mr == MR && nr == NR) {
              kernel5x8(apanel, bpanel, kc, ct, ldc, accumulate);
            } else {
              kernel5x8(apanel, bpanel, kc, edge, NR * 4, false);
              for (let i = 0; i < mr; i++) {
                const crow = ct + <usize>i * ldc;
                const erow = edge + <usize>(i * NR * 4);
                for (let j = 0; j < nr; j++) {
                  const at = <usize>j << 2;
                  const v = load<f32>(erow + at);
                  store<f32>(crow + at, accumulate ? load<f32>(crow + at) + v : v);
                }
              }
            }
          }
        }
        // The last depth block: C[ic:+mc, jc:+nc] is final and still in cache.
        if (epi && pc + kc >= K) epilogue(epi, words, base, ldc, ic, ic + mc, jc, jc + nc);
      }
    }
  }
}
