/**
 * Our WGSL kernels: one expression per (op, dtype) for the element-wise family, and whole
 * shaders for reductions, Philox random numbers and the fused optimizer steps. The op names
 * are core's (`UnaryOp`, `BinaryOp`, `ReduceOp`).
 */
import { isHalf, wgslExpr, type BinaryOp, type DType, type ReduceOp, type UnaryOp, type WgslElem } from '@torchlet/core';
import { MATH, wgslType } from './wgsl.ts';

/** The WGSL element type a dtype computes in. */
const ELEM: Record<DType, WgslElem> = { float32: 'f32', int32: 'i32', bool: 'bool', float16: 'f32', bfloat16: 'f32' };

/**
 * The WGSL expression of `op` on an input of dtype `d`, or undefined where this backend has no kernel
 * for that pair. The expressions live in core's op table, beside the op's other facts.
 */
export function unaryExpr(op: UnaryOp, d: DType): string | undefined {
  if (isHalf(d)) return undefined; // core computes float16/bfloat16 in float32
  return wgslExpr('unary', op, ELEM[d]);
}
/**
 * The WGSL expression of `op` on operands of dtype `d` (both inputs share it), or undefined where this
 * backend has no kernel for that pair.
 */
export function binaryExpr(op: BinaryOp, d: DType): string | undefined {
  if (isHalf(d)) return undefined;
  return wgslExpr('binary', op, ELEM[d]);
}

/** Conversion of a loaded `x` of dtype `from` to dtype `to` (copy's cast rules, see Backend.copy). */
export function castExpr(from: DType, to: DType): string {
  // float16/bfloat16 load as f32 and store from f32 (the loader and storer convert)
  if (isHalf(from)) from = 'float32';
  if (isHalf(to)) to = 'float32';
  if (from === to) return 'x';
  if (to === 'bool') return from === 'float32' ? 'f2b_(x)' : 'select(0u, 1u, x != 0)';
  if (to === 'int32') return from === 'float32' ? 'f2i_(x)' : 'i32(x)';
  return 'f32(x)';
}

/**
 * WGSL shared by both reduction kernels, over the meta words in `prm` (see {@link reduceSource}):
 * the element offsets of output `o` in x and in out, and the offset in x of the output's `j`-th
 * reduced element.
 */
const REDUCE_OFFSETS = `fn outer_offsets(o: i32) -> vec2<i32> {
  let ro = prm[2];
  var xo = prm[4];
  var oo = prm[5];
  var rem = o;
  for (var d = ro - 1; d >= 0; d--) {
    let s = prm[6 + d];
    let c = rem % s;
    rem = rem / s;
    xo += c * prm[6 + ro + d];
    oo += c * prm[6 + 2 * ro + d];
  }
  return vec2<i32>(xo, oo);
}
fn inner_offset(xo: i32, j: i32) -> i32 {
  let ro = prm[2];
  let ri = prm[3];
  let ib = 6 + 3 * ro;
  var rem = j;
  var off = xo;
  for (var d = ri - 1; d >= 0; d--) {
    let s = prm[ib + d];
    let c = rem % s;
    rem = rem / s;
    off += c * prm[ib + ri + d];
  }
  return off;
}`;

/** The pieces of WGSL a reduction kernel folds with (see {@link foldParts}). */
export interface FoldParts {
  /** The WGSL type of the values folded. */
  T: string;
  /** Whether the fold tracks an index (argmax, argmin). */
  arg: boolean;
  /** The accumulator's initial value. */
  init: string;
  /** `better_(v, w)`'s body: true when v, coming later, replaces the extreme w. */
  better: string;
  /** The statement folding `v` at index `j` into `acc` / `accI`. */
  fold: string;
  /** The workgroup arrays the tree combines in (module scope; a 64-thread workgroup). */
  treeVars: string;
  /**
   * The statements, run by all 64 threads after each folded its share into `acc` / `accI`
   * (`lid` its local index), that combine the shares in a tree, leaving the result in `sv[0]`
   * and, for arg*, its index in `si[0]`.
   */
  tree: string;
}

/**
 * What the reduction kernels (these and reduction.ts's fused ones) fold with: the WGSL type, the
 * initial value, `better(v, w)` (true when v should replace the current extreme w, v coming
 * later in order), the fold of one value `v` at index `j` into `acc` / `accI`, and the
 * workgroup tree that combines 64 threads' folds.
 */
export function foldParts(op: ReduceOp, d: DType): FoldParts {
  const T = wgslType(d);
  const isF = d === 'float32';
  const arg = op === 'argmax' || op === 'argmin';
  const isMax = op === 'max' || op === 'argmax';
  const init = op === 'sum' ? `${T}(0)` : op === 'prod' ? `${T}(1)` : isF ? '0.0' : '0';
  const better = isF
    ? `(!isnan_(w) && (isnan_(v) || v ${isMax ? '>' : '<'} w))`
    : `(v ${isMax ? '>' : '<'} w)`;
  const fold = op === 'sum' ? 'acc = acc + v;'
    : op === 'prod' ? 'acc = acc * v;'
    : `if (accI < 0 || better_(v, acc)) { acc = v; accI = j; }`;
  // Combine partial (v, vi) into (w, wi) from another thread; indices decide ties.
  const combine = op === 'sum' ? 'sv[l] = sv[l] + sv[l + s];'
    : op === 'prod' ? 'sv[l] = sv[l] * sv[l + s];'
    : `let w = sv[l]; let wi = si[l]; let v = sv[l + s]; let vi = si[l + s];
      if (vi >= 0 && (wi < 0 || better_(v, w) || (!better_(w, v) && !better_(v, w) && vi < wi))) { sv[l] = v; si[l] = vi; }`;
  const treeVars = `var<workgroup> sv: array<${T}, 64>;
var<workgroup> si: array<i32, 64>;`;
  const tree = `sv[lid] = acc;
  si[lid] = accI;
  workgroupBarrier();
  for (var s = 32u; s > 0u; s = s >> 1u) {
    if (lid < s) {
      let l = lid;
      ${combine}
    }
    workgroupBarrier();
  }`;
  return { T, arg, init, better, fold, treeVars, tree };
}

/**
 * Reduction: one workgroup of 64 threads per output element. Each thread folds a strided
 * share of the reduced elements in order, then a tree in workgroup memory combines the 64
 * partial results. For arg* the partials carry the index, and ties go to the smaller index, so
 * the first extreme wins as the contract says; a NaN counts as the extreme.
 *
 * meta: [nOut, nInner, outerRank, innerRank, xOffset, outOffset,
 *        outerShape, outerStrideX, outerStrideOut, innerShape, innerStrideX]
 */
export function reduceSource(op: ReduceOp, d: DType): string {
  const { T, arg, init, better, fold, treeVars, tree } = foldParts(op, d);
  const result = arg ? 'bitcast<u32>(si[0])' : `bitcast<u32>(sv[0])`;
  return `@group(0) @binding(0) var<storage, read> prm: array<i32>;
@group(0) @binding(1) var<storage, read_write> out: array<u32>;
@group(0) @binding(2) var<storage, read> x: array<u32>;
${MATH}
${REDUCE_OFFSETS}
${treeVars}
fn better_(v: ${T}, w: ${T}) -> bool { return ${better}; }
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let o = i32(wid.x + wid.y * nwg.x);
  let nOut = prm[0];
  let nInner = prm[1];
  let live_ = o < nOut;
  var offs = vec2<i32>(0, 0);
  if (live_) { offs = outer_offsets(o); }
  var acc: ${T} = ${init};
  var accI = -1;
  if (live_) {
    for (var j = i32(lid); j < nInner; j += 64) {
      let v = bitcast<${T}>(x[u32(inner_offset(offs.x, j))]);
      ${fold}
    }
  }
  ${tree}
  if (live_ && lid == 0u) { out[u32(offs.y)] = ${result}; }
}
`;
}

/**
 * Reduction, one thread per output element: the thread folds its reduced elements in order
 * (so for arg* the first extreme wins, as in {@link reduceSource}). Used where a workgroup per
 * output would idle: few elements per output (the bias gradient `[B, N] -> [N]` has B), or many
 * outputs whose neighbours read neighbouring words (sums over leading axes). Software adapters
 * gain most: SwiftShader runs each workgroup, with its barriers, as a separate CPU task
 * (about 60 us each), so 8,192 outputs of 16 elements took 0.5 s as workgroups.
 *
 * meta: as {@link reduceSource}.
 */
export function reduceSerialSource(op: ReduceOp, d: DType): string {
  const { T, arg, init, better, fold } = foldParts(op, d);
  const result = arg ? 'bitcast<u32>(accI)' : 'bitcast<u32>(acc)';
  return `@group(0) @binding(0) var<storage, read> prm: array<i32>;
@group(0) @binding(1) var<storage, read_write> out: array<u32>;
@group(0) @binding(2) var<storage, read> x: array<u32>;
${MATH}
${REDUCE_OFFSETS}
fn better_(v: ${T}, w: ${T}) -> bool { return ${better}; }
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let o = i32(gid.x + gid.y * nwg.x * 64u);
  let nOut = prm[0];
  if (o >= nOut) { return; }
  let nInner = prm[1];
  let offs = outer_offsets(o);
  var acc: ${T} = ${init};
  var accI = -1;
  for (var j = 0; j < nInner; j++) {
    let v = bitcast<${T}>(x[u32(inner_offset(offs.x, j))]);
    ${fold}
  }
  out[u32(offs.y)] = ${result};
}
`;
}

/**
 * Philox 4x32-10, one thread per block of four outputs; see core's philox.ts (the reference)
 * and RandomParams. 32x32 -> 64-bit products are built from 16-bit halves (WGSL has no u64).
 * meta: [n, outOffset, kind (0 uniform, 1 normal), seedLo, seedHi, counterLo, counterHi]
 */
export const RANDOM_SOURCE = /* wgsl */ `
@group(0) @binding(0) var<storage, read> prm: array<u32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
${MATH}
fn mulhi_(a: u32, b: u32) -> u32 {
  let a0 = a & 0xffffu; let a1 = a >> 16u; let b0 = b & 0xffffu; let b1 = b >> 16u;
  let p00 = a0 * b0; let p01 = a0 * b1; let p10 = a1 * b0; let p11 = a1 * b1;
  let mid = (p00 >> 16u) + (p01 & 0xffffu) + (p10 & 0xffffu);
  return p11 + (p01 >> 16u) + (p10 >> 16u) + (mid >> 16u);
}
fn philox_(ctr: vec4<u32>, key: vec2<u32>) -> vec4<u32> {
  var c = ctr; var k = key;
  for (var r = 0; r < 10; r++) {
    let hi0 = mulhi_(0xd2511f53u, c.x); let lo0 = 0xd2511f53u * c.x;
    let hi1 = mulhi_(0xcd9e8d57u, c.z); let lo1 = 0xcd9e8d57u * c.z;
    c = vec4<u32>(hi1 ^ c.y ^ k.x, lo1, hi0 ^ c.w ^ k.y, lo0);
    k = k + vec2<u32>(0x9e3779b9u, 0xbb67ae85u);
  }
  return c;
}
const TWO_M24: f32 = 5.9604644775390625e-8;
const TWO_PI: f32 = 6.283185307179586;
fn boxMuller_(wa: u32, wb: u32) -> vec2<f32> {
  // u1 - 1 is exact (a multiple of 2^-24 in [-1, 0)), so log1p keeps the precision near u1 = 1.
  let m = f32(wa >> 8u);
  let r = sqrt(-2.0 * log1p_(-(16777215.0 - m) * TWO_M24));
  let t = f32(wb >> 8u) * TWO_M24;
  // cos/sin of 2 pi t with t reduced to a quarter turn first: accurate in f32.
  let q = floor(t * 4.0);
  let f = (t * 4.0 - q) * (TWO_PI / 4.0);
  let cs = sincos_(f); let cf = cs.y; let sf = cs.x;
  let qi = u32(q);
  var c: f32; var s: f32;
  if (qi == 0u) { c = cf; s = sf; } else if (qi == 1u) { c = -sf; s = cf; } else if (qi == 2u) { c = -cf; s = -sf; } else { c = sf; s = -cf; }
  return vec2<f32>(r * c, r * s);
}
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let b = gid.x + gid.y * nwg.x * 64u;
  let n = prm[0];
  let base = b * 4u;
  if (base >= n) { return; }
  let lo = prm[5] + b;
  let hi = prm[6] + select(0u, 1u, lo < b);
  let w = philox_(vec4<u32>(lo, hi, 0u, 0u), vec2<u32>(prm[3], prm[4]));
  var v: vec4<f32>;
  if (prm[2] == 0u) {
    v = vec4<f32>(f32(w.x >> 8u), f32(w.y >> 8u), f32(w.z >> 8u), f32(w.w >> 8u)) * TWO_M24;
  } else {
    let p = boxMuller_(w.x, w.y); let q = boxMuller_(w.z, w.w);
    v = vec4<f32>(p.x, p.y, q.x, q.y);
  }
  let o = prm[1] + base;
  for (var j = 0u; j < 4u; j++) { if (base + j < n) { out[o + j] = v[j]; } }
}
`;

/**
 * Fused Adam/AdamW (PyTorch 1.13's single-tensor rule), one thread per element.
 * meta (f32 bits except flags/n): [n, flags, beta1, 1-beta1, beta2, 1-beta2, eps, weightDecay,
 * paramScale, stepSize, bc2sqrt, offsets p g m v vmax]
 */
export const ADAM_SOURCE = /* wgsl */ `
@group(0) @binding(0) var<storage, read> prm: array<u32>;
@group(0) @binding(1) var<storage, read_write> p: array<f32>;
@group(0) @binding(2) var<storage, read> g: array<f32>;
@group(0) @binding(3) var<storage, read_write> m: array<f32>;
@group(0) @binding(4) var<storage, read_write> v: array<f32>;
@group(0) @binding(5) var<storage, read_write> vmax: array<f32>;
fn f_(i: u32) -> f32 { return bitcast<f32>(prm[i]); }
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * 64u;
  if (i >= prm[0]) { return; }
  let flags = prm[1];
  let ip = prm[11] + i; let ig = prm[12] + i; let im = prm[13] + i; let iv = prm[14] + i; let ix = prm[15] + i;
  var grad = g[ig];
  if ((flags & 4u) != 0u) { grad = -grad; }
  var param = p[ip];
  if ((flags & 1u) != 0u) { param = param * f_(8); } else if (f_(7) != 0.0) { grad = grad + f_(7) * param; }
  let mt = f_(2) * m[im] + f_(3) * grad;
  let vt = f_(4) * v[iv] + f_(5) * grad * grad;
  m[im] = mt; v[iv] = vt;
  var vhat = vt;
  if ((flags & 2u) != 0u) { vhat = max(vmax[ix], vt); vmax[ix] = vhat; }
  let denom = sqrt(vhat) / f_(10) + f_(6);
  p[ip] = param - f_(9) * mt / denom;
}
`;

/**
 * Fused SGD with momentum/dampening/nesterov/weight decay, one thread per element.
 * meta: [n, flags, lr, momentum, 1-dampening, weightDecay, offsets p g buf]
 */
export const SGD_SOURCE = /* wgsl */ `
@group(0) @binding(0) var<storage, read> prm: array<u32>;
@group(0) @binding(1) var<storage, read_write> p: array<f32>;
@group(0) @binding(2) var<storage, read> g: array<f32>;
@group(0) @binding(3) var<storage, read_write> buf: array<f32>;
fn f_(i: u32) -> f32 { return bitcast<f32>(prm[i]); }
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * 64u;
  if (i >= prm[0]) { return; }
  let flags = prm[1];
  let ip = prm[6] + i; let ig = prm[7] + i; let ib = prm[8] + i;
  var d = g[ig];
  if ((flags & 4u) != 0u) { d = -d; }
  if (f_(5) != 0.0) { d = d + f_(5) * p[ip]; }
  if (f_(3) != 0.0) {
    var b: f32;
    if ((flags & 16u) != 0u) { b = d; } else { b = f_(3) * buf[ib] + f_(4) * d; }
    buf[ib] = b;
    if ((flags & 8u) != 0u) { d = d + f_(3) * b; } else { d = b; }
  }
  p[ip] = p[ip] - f_(2) * d;
}
`;
