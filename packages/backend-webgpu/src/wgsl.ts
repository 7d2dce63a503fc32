/**
 * WGSL source generation for the strided kernels.
 *
 * Storage layout: every buffer is bound as raw 32-bit words (`array<u32>`). float32 and int32
 * elements are one word each (`bitcast`); bool elements are one byte each, packed four to a
 * word, so a bool tensor has the same byte size here as in core and on the host (`read`
 * returns a Uint8Array of 0/1 without any conversion). Several threads may write bytes of one
 * word, so bool stores go through `atomicAnd`/`atomicOr` on an `array<atomic<u32>>` binding:
 * each thread changes only its own byte, and and/or on disjoint bits commute. float16 and
 * bfloat16 elements are 2 bytes, two to a word, stored the same way (atomics on half-words); they
 * load as f32 and store from f32, converted with integer arithmetic on the bits (`h2f_`, `f2h_`,
 * `f2bf_`: round to nearest even, subnormals exact, as PyTorch; no shader-f16 needed, and no
 * float operation a software adapter could flush to zero). Only `copy` (and read/write) sees
 * them: core computes them in float32.
 *
 * Index arithmetic: one thread per output element. `meta` (a small read-only storage buffer)
 * holds the element count, four scalar slots, the rank, the shape and, per operand, its element
 * offset and strides; each thread turns its flat index into coordinates and then into one offset
 * per operand, so any strides (0 and negative included) and offsets work without copies.
 */
import { isHalf, type DType } from '@torchlet/core';

/** The WGSL type a loaded element has inside kernel bodies: bool is a u32 holding 0 or 1, float16/bfloat16 an f32. */
export function wgslType(d: DType): 'f32' | 'i32' | 'u32' {
  return d === 'float32' || isHalf(d) ? 'f32' : d === 'int32' ? 'i32' : 'u32';
}

/** meta layout: [n, s0, s1, s2, s3, rank, shape..., (offset, strides...) per operand]. */
export const META_SCALARS = 1;
export const META_RANK = 5;

/** Helpers shared by the kernels (which all declare `prm`): NaN tests on bits (no fast-math assumptions), expm1, log1p, erf. */
export const MATH = /* wgsl */ `
fn isnan_(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u; }
// NaN and infinity built from a runtime value: as constant expressions WGSL rejects them.
fn zero_() -> u32 { return u32(prm[0]) & 0u; }
fn nan_() -> f32 { return bitcast<f32>(0x7fc00000u | zero_()); }
fn inf_() -> f32 { return bitcast<f32>(0x7f800000u | zero_()); }
// Kahan's tricks (see: W. Kahan, "Mathematics written in sand", 1983): the rounding error of
// 1 + x (or exp(x)) cancels between numerator and denominator.
fn log1p_(x: f32) -> f32 {
  if (isnan_(x) || x == inf_()) { return x; }
  let u = 1.0 + x;
  if (u == 1.0) { return x; }
  return log_(u) * x / (u - 1.0);
}
fn expm1_(x: f32) -> f32 {
  if (isnan_(x)) { return x; }
  if (abs(x) < 1e-5) { return x + 0.5 * x * x; }
  let u = exp(x);
  if (u == 1.0) { return x; }
  let um1 = u - 1.0;
  if (um1 == -1.0) { return -1.0; }
  // Past 1 nothing cancels in u - 1, and um1 * x would overflow near the top (expm1(88) was inf).
  if (u == inf_() || x > 1.0) { return um1; }
  return um1 * x / log_(u);
}
fn tanh_(x: f32) -> f32 {
  if (isnan_(x)) { return x; }
  let a = abs(x);
  var t: f32;
  if (a < 0.55) { let e = expm1_(2.0 * a); t = e / (e + 2.0); } else { t = 1.0 - 2.0 / (exp(2.0 * a) + 1.0); }
  return select(t, -t, x < 0.0);
}
// erf: Taylor series near 0, else erfc by a continued-fraction-free rational fit
// (W. J. Cody's coefficients via Numerical Recipes' erfcc, fractional error < 1.2e-7).
fn erf_(x: f32) -> f32 {
  if (isnan_(x)) { return x; }
  let a = abs(x);
  if (a < 0.5) {
    let x2 = x * x;
    return x * 1.1283791670955126 * (1.0 + x2 * (-0.3333333333 + x2 * (0.1 + x2 * (-0.0238095238 + x2 * (0.0046296296 + x2 * -0.0007575758)))));
  }
  if (a > 4.0) { return select(1.0, -1.0, x < 0.0); }
  let t = 1.0 / (1.0 + 0.5 * a);
  let y = t * exp(-a * a - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 +
    t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
  return select(1.0 - y, y - 1.0, x < 0.0);
}
// Software adapters flush subnormals to zero in log/sqrt (SwiftShader: log(1e-40) = -88, log(0)
// finite, log(-1) = 0), so these work on the bits: a subnormal m * 2^-149 is scaled exactly.
fn log_(x: f32) -> f32 {
  let b = bitcast<u32>(x);
  let a = b & 0x7fffffffu;
  if (a > 0x7f800000u || (b != a && a != 0u)) { return nan_(); }
  if (a == 0u) { return -inf_(); }
  if (a == 0x7f800000u) { return x; }
  if (a < 0x00800000u) { return log(f32(a)) - 103.27892990343184; }
  return log(x);
}
fn sqrt_(x: f32) -> f32 {
  let a = bitcast<u32>(x) & 0x7fffffffu;
  if (a != 0u && a < 0x00800000u && bitcast<u32>(x) == a) { return sqrt(f32(a)) * 5.2939559e-23 * 0.70710678118; }
  return sqrt(x);
}
fn rsqrt_(x: f32) -> f32 {
  let a = bitcast<u32>(x) & 0x7fffffffu;
  if (a != 0u && a < 0x00800000u && bitcast<u32>(x) == a) { return (1.0 / sqrt(f32(a))) * 1.8889466e22 * 1.41421356237; }
  return 1.0 / sqrt(x);
}
// sin/cos: Cody-Waite reduction by pi/2 in three parts, then Cephes' sinf/cosf polynomials on
// [-pi/4, pi/4] (SwiftShader's builtins are off by ~1e-4). Accurate while |x| < ~1e5.
fn sincos_(x: f32) -> vec2<f32> {
  let k = round(x * 0.63661977236758134);
  let r = ((x - k * 1.5703125) - k * 4.837512969970703125e-4) - k * 7.54978995489188216e-8;
  let z = r * r;
  let s = r + r * z * (-1.6666654611e-1 + z * (8.3321608736e-3 + z * -1.9515295891e-4));
  let c = 1.0 - 0.5 * z + z * z * (4.166664568298827e-2 + z * (-1.388731625493765e-3 + z * 2.443315711809948e-5));
  let q = i32(k) & 3;
  if (q == 0) { return vec2<f32>(s, c); }
  if (q == 1) { return vec2<f32>(c, -s); }
  if (q == 2) { return vec2<f32>(-s, -c); }
  return vec2<f32>(-c, s);
}
fn sin_(x: f32) -> f32 { if (isnan_(x) || abs(x) == inf_()) { return nan_(); } return sincos_(x).x; }
fn cos_(x: f32) -> f32 { if (isnan_(x) || abs(x) == inf_()) { return nan_(); } return sincos_(x).y; }
fn sign_(x: f32) -> f32 { return select(select(0.0, -1.0, x < 0.0), 1.0, x > 0.0); }
fn isint_(x: f32) -> bool { return floor(x) == x && abs(x) != inf_(); }
fn isodd_(x: f32) -> bool { return isint_(x) && abs(x) < 16777216.0 && (i32(abs(x)) & 1) == 1; }
// |a|^b for a >= 0 (WGSL's pow is undefined for a < 0, and WGSL has no recursion).
fn powabs_(a: f32, b: f32) -> f32 {
  if (abs(b) == inf_()) {
    if (a == 1.0) { return 1.0; }
    return select(select(inf_(), 0.0, b > 0.0), select(0.0, inf_(), b > 0.0), a > 1.0);
  }
  if (a == inf_()) { return select(0.0, inf_(), b > 0.0); }
  if (a == 0.0) { return select(inf_(), 0.0, b > 0.0); }
  // Small integer exponents exactly by squaring (PyTorch's x**2 is x*x).
  if (isint_(b) && abs(b) <= 64.0) {
    var e = i32(abs(b)); var base = a; var r = 1.0;
    loop { if (e == 0) { break; } if ((e & 1) == 1) { r = r * base; } base = base * base; e = e >> 1u; }
    return select(r, 1.0 / r, b < 0.0);
  }
  return exp2(b * log2(a));
}
fn pow_(a: f32, b: f32) -> f32 {
  if (b == 0.0 || a == 1.0) { return 1.0; }
  if (isnan_(a) || isnan_(b)) { return nan_(); }
  // A negative base to a non-integer power is NaN, except -Infinity (C's pow: +Infinity or +0).
  if (a < 0.0 && a != -inf_() && !isint_(b) && abs(b) != inf_()) { return nan_(); }
  let neg = (bitcast<u32>(a) & 0x80000000u) != 0u;
  let r = powabs_(abs(a), b);
  return select(r, -r, neg && isodd_(b));
}
fn ipow_(a: i32, b: i32) -> i32 {
  if (b < 0) { if (a == 1) { return 1; } if (a == -1) { return select(1, -1, (b & 1) == 1); } return 0; }
  var e = b; var base = a; var r = 1;
  loop { if (e == 0) { break; } if ((e & 1) == 1) { r = r * base; } base = base * base; e = e >> 1u; }
  return r;
}
fn fmax_(a: f32, b: f32) -> f32 { if (isnan_(a) || isnan_(b)) { return nan_(); } return max(a, b); }
fn fmin_(a: f32, b: f32) -> f32 { if (isnan_(a) || isnan_(b)) { return nan_(); } return min(a, b); }
fn frem_(a: f32, b: f32) -> f32 {
  // Python's %: the sign of the divisor (PyTorch's remainder). An infinite divisor leaves a finite
  // dividend (fmod), then moves one of the other sign to the divisor, as PyTorch's m + b.
  if (abs(b) == inf_() && abs(a) != inf_() && !isnan_(a)) {
    if (a != 0.0 && ((a < 0.0) != (b < 0.0))) { return b; }
    return a;
  }
  let m = a - trunc(a / b) * b;
  if (m != 0.0 && ((m < 0.0) != (b < 0.0))) { return m + b; }
  return m;
}
fn irem_(a: i32, b: i32) -> i32 {
  if (b == 0) { return 0; }
  let m = a % b;
  if (m != 0 && ((m < 0) != (b < 0))) { return m + b; }
  return m;
}
fn f2i_(x: f32) -> i32 {
  if (isnan_(x)) { return 0; }
  if (x >= 2147483648.0) { return 2147483647; }
  if (x <= -2147483648.0) { return i32(-2147483647) - 1; }
  return i32(trunc(x));
}
fn f2b_(x: f32) -> u32 { return select(0u, 1u, (bitcast<u32>(x) & 0x7fffffffu) != 0u); }
// exp of NaN is NaN (Dawn on SwiftShader's exp(NaN) is +inf, so sigmoid(NaN) came out 0).
fn exp_(x: f32) -> f32 { if (isnan_(x)) { return x; } return exp(x); }
fn exp2_(x: f32) -> f32 { if (isnan_(x)) { return x; } return exp2(x); }
fn tan_(x: f32) -> f32 { if (isnan_(x) || abs(x) == inf_()) { return nan_(); } let sc = sincos_(x); return sc.x / sc.y; }
// asin/acos from atan2_ of a well-conditioned pair; out of domain is NaN, as PyTorch.
fn atan_(x: f32) -> f32 { if (isnan_(x)) { return x; } return atan(x); }
fn asin_(x: f32) -> f32 {
  if (isnan_(x) || abs(x) > 1.0) { return nan_(); }
  return atan2_(x, sqrt((1.0 - x) * (1.0 + x)));
}
fn acos_(x: f32) -> f32 {
  if (isnan_(x) || abs(x) > 1.0) { return nan_(); }
  return atan2_(sqrt((1.0 - x) * (1.0 + x)), x);
}
// sinh/asinh/acosh/atanh through expm1_/log1p_, accurate near 0 where the naive forms cancel.
fn sinh_(x: f32) -> f32 {
  if (isnan_(x)) { return x; }
  if (abs(x) < 1.0) { return 0.5 * (expm1_(x) - expm1_(-x)); }
  let e = exp(abs(x) - 0.69314718055994531);
  return select(e - 0.25 / e, -(e - 0.25 / e), x < 0.0);
}
fn cosh_(x: f32) -> f32 {
  if (isnan_(x)) { return x; }
  let e = exp(abs(x) - 0.69314718055994531);
  return e + 0.25 / e;
}
fn asinh_(x: f32) -> f32 {
  if (isnan_(x) || abs(x) == inf_()) { return x; }
  let a = abs(x);
  var r: f32;
  if (a > 1e8) { r = log_(a) + 0.69314718055994531; } else { r = log1p_(a + a * a / (1.0 + sqrt(1.0 + a * a))); }
  return select(r, -r, x < 0.0);
}
fn acosh_(x: f32) -> f32 {
  if (isnan_(x) || x < 1.0) { return nan_(); }
  if (x == inf_()) { return x; }
  if (x > 1e8) { return log_(x) + 0.69314718055994531; }
  let t = x - 1.0;
  return log1p_(t + sqrt(2.0 * t + t * t));
}
fn atanh_(x: f32) -> f32 {
  if (isnan_(x) || abs(x) > 1.0) { return nan_(); }
  if (abs(x) == 1.0) { return select(inf_(), -inf_(), x < 0.0); }
  return 0.5 * log1p_(2.0 * x / (1.0 - x));
}
// C's atan2, signed zeros and infinities included: SwiftShader's builtin gives atan2(-0, 1) = pi
// and ignores the sign of a zero x. Octant reduction to atan of a ratio in [0, 1].
fn atan2_(a: f32, b: f32) -> f32 {
  if (isnan_(a) || isnan_(b)) { return nan_(); }
  let ay = abs(a); let ax = abs(b);
  var r: f32;
  if (ax == inf_() && ay == inf_()) { r = 0.78539816339744831; }
  else if (ay == 0.0 && ax == 0.0) { r = 0.0; }
  else if (ax >= ay) { r = atan(ay / ax); }
  else { r = 1.5707963267948966 - atan(ax / ay); }
  if ((bitcast<u32>(b) & 0x80000000u) != 0u) { r = 3.1415926535897932 - r; }
  return select(r, -r, (bitcast<u32>(a) & 0x80000000u) != 0u);
}
fn hypot_(a: f32, b: f32) -> f32 {
  let x = abs(a); let y = abs(b);
  if (x == inf_() || y == inf_()) { return inf_(); }
  if (isnan_(x) || isnan_(y)) { return nan_(); }
  let m = max(x, y);
  if (m == 0.0) { return 0.0; }
  let r = min(x, y) / m;
  return m * sqrt(1.0 + r * r);
}
// C's fmod: the sign of the dividend; exact for the quotients below 2^24 that f32 division gives.
fn fmod_(a: f32, b: f32) -> f32 {
  if (isnan_(a) || isnan_(b) || abs(a) == inf_() || b == 0.0) { return nan_(); }
  if (abs(b) == inf_()) { return a; }
  let m = a - trunc(a / b) * b;
  if (m != 0.0 && ((m < 0.0) != (a < 0.0))) { return m + select(abs(b), -abs(b), a < 0.0); }
  return m;
}
fn ifmod_(a: i32, b: i32) -> i32 { if (b == 0 || b == -1) { return 0; } return a % b; }
// PyTorch's div_floor_floating: floor division from fmod, consistent with remainder.
fn floordiv_(a: f32, b: f32) -> f32 {
  if (b == 0.0) { return a / b; }
  let mod_ = fmod_(a, b);
  var d = (a - mod_) / b;
  if (mod_ != 0.0 && ((b < 0.0) != (mod_ < 0.0))) { d = d - 1.0; }
  if (d == 0.0) { return select(0.0, -0.0, (a < 0.0) != (b < 0.0)); }
  var q = floor(d);
  if (d - q > 0.5) { q = q + 1.0; }
  return q;
}
fn ifloordiv_(a: i32, b: i32) -> i32 {
  if (b == 0) { return 0; }
  if (b == -1) { return -a; }
  let q = a / b;
  if (q * b != a && ((a < 0) != (b < 0))) { return q - 1; }
  return q;
}
fn itruncdiv_(a: i32, b: i32) -> i32 { if (b == 0) { return 0; } if (b == -1) { return -a; } return a / b; }
// IEEE binary16 bits -> f32 (exact; subnormals normalised by integer arithmetic, NaN made quiet).
fn h2f_(h: u32) -> f32 {
  let sign = (h & 0x8000u) << 16u;
  let e = (h >> 10u) & 0x1fu;
  let m = h & 0x3ffu;
  if (e == 0x1fu) { return bitcast<f32>(sign | 0x7f800000u | (m << 13u) | select(0u, 0x400000u, m != 0u)); }
  if (e != 0u) { return bitcast<f32>(sign | ((e + 112u) << 23u) | (m << 13u)); }
  if (m == 0u) { return bitcast<f32>(sign); }
  let p = u32(firstLeadingBit(m)); // m * 2^-24 = 1.f * 2^(p - 24)
  return bitcast<f32>(sign | ((p + 103u) << 23u) | ((m << (23u - p)) & 0x7fffffu));
}
// f32 -> binary16 bits, round to nearest even (c10::Half: any NaN is the quiet NaN 0x7e00 with its sign).
fn f2h_(x: f32) -> u32 {
  let b = bitcast<u32>(x);
  let sign = (b >> 16u) & 0x8000u;
  let a = b & 0x7fffffffu;
  if (a > 0x7f800000u) { return sign | 0x7e00u; }
  if (a >= 0x47800000u) { return sign | 0x7c00u; }
  if (a < 0x38800000u) {
    if (a <= 0x33000000u) { return sign; } // at most 2^-25: rounds to (signed) zero
    let m = (a & 0x7fffffu) | 0x800000u;
    let s = 126u - (a >> 23u);             // 14..24: the value is m * 2^-s half-subnormal units
    let half = 1u << (s - 1u);
    let rem = m & ((1u << s) - 1u);
    var r = m >> s;
    if (rem > half || (rem == half && (r & 1u) == 1u)) { r = r + 1u; }
    return sign | r;
  }
  let r = a - 0x38000000u;
  return sign | ((r + 0xfffu + ((r >> 13u) & 1u)) >> 13u);
}
// f32 -> bfloat16 bits (the top half), round to nearest even; any NaN is 0xffff (PyTorch's .bfloat16()).
fn f2bf_(x: f32) -> u32 {
  let b = bitcast<u32>(x);
  if ((b & 0x7fffffffu) > 0x7f800000u) { return 0xffffu; }
  return (b + 0x7fffu + ((b >> 16u) & 1u)) >> 16u;
}
`;

/** An operand of an element-wise kernel: its binding name and element type. */
interface Operand {
  readonly dtype: DType;
}

/** A load of operand `k` at element offset `o` as a WGSL expression of its type. */
function loader(name: string, d: DType, atomic: boolean): string {
  const word = atomic ? `atomicLoad(&${name}[w])` : `${name}[w]`;
  if (isHalf(d)) {
    const bits = `(${word} >> ((u32(o) & 1u) * 16u)) & 0xffffu`;
    return `fn ld_${name}(o: i32) -> f32 { let w = u32(o) >> 1u; return ${d === 'float16' ? `h2f_(${bits})` : `bitcast<f32>((${bits}) << 16u)`}; }`;
  }
  if (d === 'bool') {
    return `fn ld_${name}(o: i32) -> u32 { let w = u32(o) >> 2u; return (${word} >> ((u32(o) & 3u) * 8u)) & 0xffu; }`;
  }
  return `fn ld_${name}(o: i32) -> ${wgslType(d)} { let w = u32(o); return bitcast<${wgslType(d)}>(${word}); }`;
}

function storer(name: string, d: DType, atomic: boolean): string {
  if (isHalf(d)) {
    return `fn st_${name}(o: i32, v: f32) {
  let w = u32(o) >> 1u; let sh = (u32(o) & 1u) * 16u;
  atomicAnd(&${name}[w], ~(0xffffu << sh));
  atomicOr(&${name}[w], ${d === 'float16' ? 'f2h_(v)' : 'f2bf_(v)'} << sh);
}`;
  }
  if (d === 'bool') {
    return `fn st_${name}(o: i32, v: u32) {
  let w = u32(o) >> 2u; let sh = (u32(o) & 3u) * 8u;
  atomicAnd(&${name}[w], ~(0xffu << sh));
  atomicOr(&${name}[w], (v & 0xffu) << sh);
}`;
  }
  if (atomic) return `fn st_${name}(o: i32, v: ${wgslType(d)}) { atomicStore(&${name}[u32(o)], bitcast<u32>(v)); }`;
  return `fn st_${name}(o: i32, v: ${wgslType(d)}) { ${name}[u32(o)] = bitcast<u32>(v); }`;
}

/**
 * An element-wise kernel over one iteration shape. Operand 0 (`out`) is written; operands 1..
 * (`in0`, `in1`, ...) are read. In `body`, `oo` is the output element's offset and `o0`, `o1`,
 * ... the inputs'; `ld_in0(o)` loads and `st_out(o, v)` stores. `outAtomic` binds the output
 * as atomics (always for bool; scatterAdd asks for it too). `extra` adds declarations (e.g. the
 * index-error buffer) at binding 2 + inputs.length.
 */
export function elementwiseSource(out: Operand, ins: readonly Operand[], body: string, opts: { outAtomic?: boolean; extra?: string } = {}): string {
  const atomicOut = opts.outAtomic || out.dtype === 'bool' || isHalf(out.dtype);
  const outDecl = atomicOut ? 'array<atomic<u32>>' : 'array<u32>';
  const decls = [
    '@group(0) @binding(0) var<storage, read> prm: array<i32>;',
    `@group(0) @binding(1) var<storage, read_write> out: ${outDecl};`,
    ...ins.map((_, k) => `@group(0) @binding(${k + 2}) var<storage, read> in${k}: array<u32>;`),
  ];
  return `${decls.join('\n')}
${opts.extra ?? ''}
${MATH}
${loader('out', out.dtype, atomicOut)}
${storer('out', out.dtype, atomicOut)}
${ins.map((x, k) => loader(`in${k}`, x.dtype, false)).join('\n')}
${stridedMain(['oo', ...ins.map((_, k) => `o${k}`)], body)}`;
}

/**
 * The entry point of an element-wise shader over the meta layout of {@link elementwiseMeta}: one
 * invocation per output element (64 per workgroup, 2-D grid), which walks the shape once to set
 * `offs[k]` (a WGSL variable per operand, in the meta's operand order) to that operand's element
 * offset, then runs `body`. Shared by the per-op kernels and the fused programs (program.ts).
 */
export function stridedMain(offs: readonly string[], body: string): string {
  const init = offs.map((o, k) => `  var ${o} = prm[opb + ${k} * (rank + 1)];`).join('\n');
  const step = offs.map((o, k) => `    ${o} += c * prm[opb + ${k} * (rank + 1) + 1 + d];`).join('\n');
  return `@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let idx = i32(gid.x + gid.y * nwg.x * 64u);
  if (idx >= prm[0]) { return; }
  let rank = prm[${META_RANK}];
  let opb = ${META_RANK + 1} + rank;
${init}
  var rem = idx;
  for (var d = rank - 1; d >= 0; d--) {
    let s = prm[${META_RANK + 1} + d];
    let c = rem % s;
    rem = rem / s;
${step}
  }
${body}
}
`;
}

/**
 * The meta words of an element-wise kernel: count, scalar slots, rank, shape, then each operand's
 * offset and strides (all in elements; bool offsets are byte offsets, which is the same thing).
 */
export function elementwiseMeta(shape: readonly number[], operands: readonly { offset: number; strides: readonly number[] }[], scalars: readonly number[] = []): Int32Array {
  const rank = shape.length;
  const meta = new Int32Array(META_RANK + 1 + rank + operands.length * (rank + 1));
  meta[0] = shape.reduce((a, b) => a * b, 1);
  scalars.forEach((s, i) => (meta[META_SCALARS + i] = s));
  meta[META_RANK] = rank;
  meta.set(shape, META_RANK + 1);
  operands.forEach((v, k) => {
    const base = META_RANK + 1 + rank + k * (rank + 1);
    meta[base] = v.offset;
    meta.set(v.strides, base + 1);
  });
  return meta;
}

/**
 * {@link stridedMain}'s walk as a function `name(idx, b)` over the element-wise meta starting at
 * word `b` of `prm` (a batch of programs holds one such meta per call; program.ts): sets
 * `offs[k]` for element `idx`, then runs `body`.
 */
export function stridedFn(name: string, offs: readonly string[], body: string): string {
  const init = offs.map((o, k) => `  var ${o} = prm[opb + ${k} * (rank + 1)];`).join('\n');
  const step = offs.map((o, k) => `    ${o} += c * prm[opb + ${k} * (rank + 1) + 1 + d];`).join('\n');
  return `fn ${name}(idx: i32, b: i32) {
  let rank = prm[b + ${META_RANK}];
  let opb = b + ${META_RANK + 1} + rank;
${init}
  var rem = idx;
  for (var d = rank - 1; d >= 0; d--) {
    let s = prm[b + ${META_RANK + 1} + d];
    let c = rem % s;
    rem = rem / s;
${step}
  }
${body}
}`;
}

export { loader as loaderSource, storer as storerSource };
