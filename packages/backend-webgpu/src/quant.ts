/**
 * Dynamically quantised Linear (core's FusedKernels.int8Linear) in three WGSL passes, the same
 * numbers as the wasm backend's assembly/quant.ts:
 *
 *   sx        = max|x| / 127 (1 when x is all zeros), in float32
 *   xq[m,k]   = clamp(nearest(x[m,k] / sx), -127, 127)          (nearest: half to even)
 *   out[m,n]  = f32(sum_k xq[m,k] * wq[n,k]) * (sx * wScale[n]) + bias[n]
 *
 * 1. absmax:   many workgroups fold |x| (as bits: for non-NaN floats the order of the unsigned
 *              bits of |x| is the order of the values) and `atomicMax` one word of `stats`.
 * 2. quantize: one thread per packed word of `xq` `[M, Kp / 4]`: four int8, zero past K, laid out
 *              like the weight rows, so the GEMM reads both operands the same way.
 * 3. gemm:     32 x 32 output tiles, 8 x 8 threads of 4 x 4 outputs each; K in chunks of 8 words
 *              (32 int8) staged in workgroup memory; int32 accumulators; dequantise + bias.
 *
 * Exactness. WGSL allows `x / y` an error of 2.5 ulp, so `x / sx` and `max|x| / 127` are done
 * on the bits with integer long division and rounded to nearest even (`div_`): the integer `xq`
 * is then the one the contract names on every implementation. `round` and `clamp` are exact; the
 * int32 sums are exact (|xq * wq| <= 127^2, K < 133,000). Only the last step is float32
 * arithmetic (`f32(acc) * s + b`), correctly rounded on IEEE hardware, as in the wasm kernel.
 *
 * Non-finite x: max|x| is infinite or NaN, and every output is NaN (the wasm kernel and the
 * composite give NaN or infinity there too).
 */

/** Words of x folded by one workgroup of the absmax pass (64 threads x 16). */
export const ABSMAX_CHUNK = 1024;
/** Output tile edge of the GEMM pass (rows of x and rows of the weight). */
export const GEMM_TILE = 32;

/** `fl(a / b)` on the bits (`div_`) and `sx_`, shared by the quantize and GEMM passes. @internal Exported for tests. */
export const DIV_SOURCE = /* wgsl */ `
// fl(a / b) with round to nearest even, for finite a >= 0 and finite b > 0 given as f32 bits:
// normalise both significands to [2^23, 2^24), take 25 quotient bits by long division (the
// leading 1, 23 fraction bits and a guard bit), keep a sticky bit for the remainder, then round.
fn div_(a: u32, b: u32) -> u32 {
  if (a == 0u) { return 0u; }
  var ea = i32(a >> 23u); var ma = a & 0x7fffffu;
  if (ea == 0) { let s = countLeadingZeros(ma) - 8u; ma = ma << s; ea = 1 - i32(s); } else { ma = ma | 0x800000u; }
  var eb = i32(b >> 23u); var mb = b & 0x7fffffu;
  if (eb == 0) { let s = countLeadingZeros(mb) - 8u; mb = mb << s; eb = 1 - i32(s); } else { mb = mb | 0x800000u; }
  var e = ea - eb + 127; // biased exponent of a quotient in [1, 2)
  if (ma < mb) { ma = ma << 1u; e = e - 1; }
  var r = ma; var q = 0u;
  for (var i = 0; i < 25; i++) {
    q = q << 1u;
    if (r >= mb) { r = r - mb; q = q | 1u; }
    r = r << 1u;
  }
  var sticky = r != 0u;
  if (e >= 255) { return 0x7f800000u; }
  if (e <= 0) { // subnormal: the value is q * 2^(e - 151); move the guard bit to bit 0
    let sh = u32(1 - e);
    if (sh > 25u) { return 0u; }
    sticky = sticky || (q & ((1u << sh) - 1u)) != 0u;
    q = q >> sh;
    e = 1;
  }
  var m = q >> 1u;
  if ((q & 1u) == 1u && (sticky || (m & 1u) == 1u)) { m = m + 1u; }
  // A carry out of the significand moves into the exponent field, which is the right result.
  return (u32(e - 1) << 23u) + m;
}
// sx = max|x| / 127 (1 for all-zero x), as bits; max|x| is the atomicMax word of the absmax pass.
fn sx_(amax: u32) -> u32 { return select(div_(amax, 0x42fe0000u), 0x3f800000u, amax == 0u); }
`;

/**
 * Pass 1. meta: [n (elements of x), xOffset]. `stats[0]` is zeroed before the pass and ends up
 * the bits of max|x| (>= 0x7f800000 when x holds an infinity or a NaN).
 */
export const INT8_ABSMAX_SOURCE = /* wgsl */ `
@group(0) @binding(0) var<storage, read> prm: array<u32>;
@group(0) @binding(1) var<storage, read_write> stats: array<atomic<u32>>;
@group(0) @binding(2) var<storage, read> x: array<u32>;
var<workgroup> part: array<u32, 64>;
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let base = (wid.x + wid.y * nwg.x) * ${ABSMAX_CHUNK}u;
  let n = prm[0];
  var a = 0u;
  for (var j = 0u; j < ${ABSMAX_CHUNK / 64}u; j++) {
    let i = base + j * 64u + lid;
    if (i < n) { a = max(a, x[prm[1] + i] & 0x7fffffffu); }
  }
  part[lid] = a;
  workgroupBarrier();
  for (var s = 32u; s > 0u; s = s >> 1u) {
    if (lid < s) { part[lid] = max(part[lid], part[lid + s]); }
    workgroupBarrier();
  }
  if (lid == 0u) { atomicMax(&stats[0], part[0]); }
}
`;

/**
 * Pass 2. meta: [M, K, Kp / 4, xOffset]. One thread per word of `xq` (`M * Kp / 4` threads):
 * bytes `4w .. 4w + 3` of row m hold `xq[m, 4w + j]`, two's complement, 0 for `4w + j >= K`.
 */
export const INT8_QUANTIZE_SOURCE = /* wgsl */ `
@group(0) @binding(0) var<storage, read> prm: array<u32>;
@group(0) @binding(1) var<storage, read_write> xq: array<u32>;
@group(0) @binding(2) var<storage, read> stats: array<u32>;
@group(0) @binding(3) var<storage, read> x: array<u32>;
${DIV_SOURCE}
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * 64u;
  let K = prm[1]; let kw = prm[2];
  if (i >= prm[0] * kw) { return; }
  let m = i / kw; let k0 = (i % kw) * 4u;
  let sx = sx_(stats[0]);
  var packed = 0u;
  for (var j = 0u; j < 4u; j++) {
    if (k0 + j < K) {
      let v = x[prm[3] + m * K + k0 + j];
      let q = i32(min(round(bitcast<f32>(div_(v & 0x7fffffffu, sx))), 127.0));
      packed = packed | ((bitcast<u32>(select(q, -q, v >= 0x80000000u)) & 0xffu) << (8u * j));
    }
  }
  xq[i] = packed;
}
`;

/**
 * Pass 3. meta: [M, N, Kp / 4, wOffset, scaleOffset, biasOffset (or -1: no bias), outOffset,
 * tiles along N]. Workgroup t computes rows `32 * (t / tilesN) ..` and columns `32 * (t % tilesN) ..`;
 * thread (tx, ty) owns rows `ty + 8i` and columns `tx + 8j`, i, j in 0..3. The staged tiles are
 * padded to 9 words a row, so threads with consecutive tx read words 9 apart (different banks).
 *
 * `packedDot`: use `dot4I8Packed` (the WGSL language feature `packed_4x8_integer_dot_product`);
 * otherwise each word is unpacked with sign-extending shifts into a `vec4<i32>` once per chunk and
 * multiplied with `dot`, the same integers either way.
 */
export function int8GemmSource(packedDot: boolean): string {
  const T = GEMM_TILE, KW = 8;
  const operand = packedDot ? 'u32' : 'vec4<i32>';
  const unpack = packedDot ? (e: string) => e : (e: string) => `unpack_(${e})`;
  const dot = packedDot ? 'dot4I8Packed(a[i], b[j])' : 'dot(a[i], b[j])';
  return /* wgsl */ `
@group(0) @binding(0) var<storage, read> prm: array<u32>;
@group(0) @binding(1) var<storage, read_write> out: array<u32>;
@group(0) @binding(2) var<storage, read> xq: array<u32>;
@group(0) @binding(3) var<storage, read> w: array<u32>;
@group(0) @binding(4) var<storage, read> ws: array<f32>;
@group(0) @binding(5) var<storage, read> bias: array<f32>;
@group(0) @binding(6) var<storage, read> stats: array<u32>;
${DIV_SOURCE}
// Four int8 (byte j is lane j) sign-extended: shift each byte to the top, then arithmetic shift down.
fn unpack_(v: u32) -> vec4<i32> {
  return (vec4<i32>(bitcast<i32>(v)) << vec4<u32>(24u, 16u, 8u, 0u)) >> vec4<u32>(24u);
}
var<workgroup> ta: array<array<u32, ${KW + 1}>, ${T}>;
var<workgroup> tb: array<array<u32, ${KW + 1}>, ${T}>;
@compute @workgroup_size(8, 8)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid3: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let M = prm[0]; let N = prm[1]; let kw = prm[2];
  let t = wid.x + wid.y * nwg.x;
  let row0 = (t / prm[7]) * ${T}u; let col0 = (t % prm[7]) * ${T}u;
  let tx = lid3.x; let ty = lid3.y;
  var acc: array<array<i32, 4>, 4>;
  for (var c0 = 0u; c0 < kw; c0 += ${KW}u) {
    // Stage 32 rows x 8 words of each operand, zero outside (rows past M or N, words past Kp / 4).
    for (var l = 0u; l < ${(T * KW) / 64}u; l++) {
      let e = lid + 64u * l;
      let r = e / ${KW}u; let c = e % ${KW}u;
      let inK = c0 + c < kw;
      var va = 0u; var vb = 0u;
      if (inK && row0 + r < M) { va = xq[(row0 + r) * kw + c0 + c]; }
      if (inK && col0 + r < N) { vb = w[prm[3] + (col0 + r) * kw + c0 + c]; }
      ta[r][c] = va;
      tb[r][c] = vb;
    }
    workgroupBarrier();
    for (var c = 0u; c < ${KW}u; c++) {
      var a: array<${operand}, 4>;
      var b: array<${operand}, 4>;
      for (var i = 0u; i < 4u; i++) {
        a[i] = ${unpack('ta[ty + 8u * i][c]')};
        b[i] = ${unpack('tb[tx + 8u * i][c]')};
      }
      for (var i = 0u; i < 4u; i++) {
        for (var j = 0u; j < 4u; j++) { acc[i][j] += ${dot}; }
      }
    }
    workgroupBarrier();
  }
  let amax = stats[0];
  let sx = bitcast<f32>(sx_(amax));
  for (var i = 0u; i < 4u; i++) {
    let m = row0 + ty + 8u * i;
    for (var j = 0u; j < 4u; j++) {
      let n = col0 + tx + 8u * j;
      if (m < M && n < N) {
        var y = f32(acc[i][j]) * (sx * ws[prm[4] + n]);
        if (prm[5] != 0xffffffffu) { y = y + bias[prm[5] + n]; }
        out[prm[6] + m * N + n] = select(bitcast<u32>(y), 0x7fc00000u, amax >= 0x7f800000u);
      }
    }
  }
}
`;
}
