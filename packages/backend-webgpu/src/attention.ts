/**
 * Fused scaled dot-product attention in WGSL (core's `FusedKernels.attention` and
 * `attentionBackward`): `out = softmax(q k^T * scale + mask) v` without the `L x S` score
 * matrix, and its gradients, in one dispatch forward and two backward, where the composite
 * (a scale, two matmuls, the softmax's max, exp, sum and division; backward four matmuls and the
 * softmax's rule) takes seven forward and a dozen backward.
 *
 * Forward: a workgroup of `bs` threads per query row (64, or 16 or 32 when the rows walked are
 * that short: {@link attentionBlock}); keys go in chunks of `bs`, one score per thread, with an
 * online softmax (running max `m`, running sum `l`); the output row itself accumulates
 * `sum_j exp(s_j - m) v_j` (each thread owns the columns `d = t, t + bs, ...`) and is
 * divided by `l` at the end, and `lse = m + log(l)` is saved. Every thread reads the chunk's
 * scores from workgroup memory in the same order, so `m` and `l` are the same in all of them.
 * Backward (FlashAttention-2's recurrences, with `P = exp(s - lse)`, `delta_i = dO_i . O_i`,
 * `dS = scale P (dP - delta)`): one kernel per query row for `dQ = dS K`, one per key row for
 * `dK = dS^T Q` and `dV = P^T dO`.
 *
 * Semantics as the wasm kernel's (assembly/attention.ts): scores `q.k * scale + mask`, causal
 * rows see keys `j <= i`, a row whose keys are all masked gives NaN (out and lse), as softmax
 * over all -Infinity does.
 */
import type { View } from '@torchlet/core';
import { MATH } from './wgsl.ts';

/** Meta word indices (i32; scale as f32 bits). */
const W = {
  B: 0, H: 1, L: 2, S: 3, D: 4, Dv: 5, causal: 6, scale: 7,
  q: 8, k: 12, v: 16, mask: 20, hasMask: 25, gout: 26, out: 30, lse: 31, dq: 32, dk: 33, dv: 34,
} as const;
const META_WORDS = 35;

/** The operands of one call, in binding order of {@link attentionSource}. */
export type AttentionOperand = 'q' | 'k' | 'v' | 'mask' | 'gout' | 'out' | 'lse' | 'dq' | 'dk' | 'dv';

/** The kernel: forward, or one of the two backward halves. */
export type AttentionKernel = 'forward' | 'backwardQ' | 'backwardKV';

/** Operands each kernel reads and writes. */
export const ATTENTION_OPERANDS: Record<AttentionKernel, { reads: AttentionOperand[]; writes: AttentionOperand[] }> = {
  forward: { reads: ['q', 'k', 'v', 'mask'], writes: ['out', 'lse'] },
  backwardQ: { reads: ['q', 'k', 'v', 'mask', 'gout', 'out', 'lse'], writes: ['dq'] },
  backwardKV: { reads: ['q', 'k', 'v', 'mask', 'gout', 'out', 'lse'], writes: ['dk', 'dv'] },
};

/** Shapes of an attention call: `q [B, H, L, D]`, `k [B, H, S, D]`, `v [B, H, S, Dv]`. */
export interface AttentionDims {
  /** Batch. */
  B: number;
  /** Heads. */
  H: number;
  /** Query rows. */
  L: number;
  /** Key rows. */
  S: number;
  /** q/k features. */
  D: number;
  /** v features. */
  Dv: number;
}

/** The meta words of a call; views already rebased to the buffers they are bound from. */
export function attentionMeta(d: AttentionDims, views: Partial<Record<AttentionOperand, View>>, scale: number, causal: boolean): Int32Array {
  const m = new Int32Array(META_WORDS);
  m.set([d.B, d.H, d.L, d.S, d.D, d.Dv, causal ? 1 : 0], 0);
  m[W.scale] = new Int32Array(new Float32Array([scale]).buffer)[0]!;
  const st = (v: View, i: number): number => (v.shape[i] === 1 ? 0 : v.strides[i]!);
  const strided = (at: number, v: View | undefined): void => {
    if (v) m.set([v.offset, st(v, 0), st(v, 1), st(v, 2)], at);
  };
  strided(W.q, views.q);
  strided(W.k, views.k);
  strided(W.v, views.v);
  strided(W.gout, views.gout);
  if (views.mask) {
    m.set([views.mask.offset, st(views.mask, 0), st(views.mask, 1), st(views.mask, 2), st(views.mask, 3)], W.mask);
    m[W.hasMask] = 1;
  }
  for (const k of ['out', 'lse', 'dq', 'dk', 'dv'] as const) if (views[k]) m[W[k]] = views[k]!.offset;
  return m;
}

/**
 * The workgroup size (and chunk length) for a kernel that walks `rows` key rows (forward, dQ)
 * or query rows (dK, dV): the smallest of 16, 32 and 64 that holds them all in one chunk, else
 * 64. Fewer idle threads per workgroup matter on a CPU adapter (SwiftShader runs every
 * invocation of a workgroup through each barrier). The same bits as 64: with one chunk either
 * way, every sum runs over the same terms in the same order, and a column's sum does not depend
 * on which thread owns it.
 */
export function attentionBlock(rows: number): number {
  return rows <= 16 ? 16 : rows <= 32 ? 32 : 64;
}

/**
 * The WGSL of `kernel` with operand `o` read from binding slot `slots[o]` (slot `s` is binding
 * `s + 1`); `writable[s]` says which slots are `read_write`; `bs` threads per workgroup.
 */
export function attentionSource(kernel: AttentionKernel, slots: Partial<Record<AttentionOperand, number>>, writable: readonly boolean[], bs = 64): string {
  const decls = writable.map((w, s) => `@group(0) @binding(${s + 1}) var<storage, ${w ? 'read_write' : 'read'}> buf${s}: array<f32>;`).join('\n');
  const b = (o: AttentionOperand): string => `buf${slots[o] ?? 0}`;
  const mask = slots.mask === undefined ? '' : `if (prm[${W.hasMask}] != 0) { s += ${b('mask')}[mo + j * prm[${W.mask + 4}]]; }`;
  const common = `@group(0) @binding(0) var<storage, read> prm: array<i32>;
${decls}
${MATH}
var<workgroup> sa: array<f32, ${bs}>;
var<workgroup> sb: array<f32, ${bs}>;
fn ninf_() -> f32 { return bitcast<f32>(0xff800000u | zero_()); }
fn scale_() -> f32 { return bitcast<f32>(prm[${W.scale}]); }
/** Offset of row r of the [B, H, rows, *] operand at meta word w, for batch b and head h. */
fn row_(w: i32, b: i32, h: i32, r: i32) -> i32 { return prm[w] + b * prm[w + 1] + h * prm[w + 2] + r * prm[w + 3]; }
/** The masked, scaled score of query row qo (mask row mo) against key row ko: -inf when j is hidden. */
fn score_(qo: i32, ko: i32, mo: i32, i: i32, j: i32) -> f32 {
  if (prm[${W.causal}] != 0 && j > i) { return ninf_(); }
  var acc = 0.0;
  for (var d = 0; d < prm[${W.D}]; d++) { acc += ${b('q')}[qo + d] * ${b('k')}[ko + d]; }
  var s = acc * scale_();
  ${mask}
  return s;
}
fn dot_v_(go: i32, vo: i32) -> f32 {
  var acc = 0.0;
  for (var d = 0; d < prm[${W.Dv}]; d++) { acc += ${b('gout')}[go + d] * ${b('v')}[vo + d]; }
  return acc;
}
/** delta_i = dO_i . O_i (out is contiguous [B, H, L, Dv]). */
fn delta_(go: i32, row: i32) -> f32 {
  let Dv = prm[${W.Dv}];
  let oo = prm[${W.out}] + row * Dv;
  var acc = 0.0;
  for (var d = 0; d < Dv; d++) { acc += ${b('gout')}[go + d] * ${b('out')}[oo + d]; }
  return acc;
}
`;
  const head = `@compute @workgroup_size(${bs})
fn main(@builtin(local_invocation_index) li: u32, @builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let t = i32(li);
  let H = prm[${W.H}]; let L = prm[${W.L}]; let S = prm[${W.S}]; let D = prm[${W.D}]; let Dv = prm[${W.Dv}];
  let causal = prm[${W.causal}] != 0;
  let wid = i32(wg.x + wg.y * nwg.x);
`;
  if (kernel === 'forward') {
    return `${common}${head}
  if (wid >= prm[${W.B}] * H * L) { return; }
  let i = wid % L; let h = (wid / L) % H; let bb = wid / (L * H);
  let qo = row_(${W.q}, bb, h, i);
  let mo = prm[${W.mask}] + bb * prm[${W.mask + 1}] + h * prm[${W.mask + 2}] + i * prm[${W.mask + 3}];
  let oo = prm[${W.out}] + wid * Dv;
  for (var d = t; d < Dv; d += ${bs}) { ${b('out')}[oo + d] = 0.0; }
  var m = ninf_();
  var l = 0.0;
  var jEnd = S;
  if (causal) { jEnd = min(S, i + 1); }
  for (var j0 = 0; j0 < jEnd; j0 += ${bs}) {
    let j = j0 + t;
    var s = ninf_();
    if (j < jEnd) { s = score_(qo, row_(${W.k}, bb, h, j), mo, i, j); }
    sa[t] = s;
    workgroupBarrier();
    let n = min(${bs}, jEnd - j0);
    var mb = ninf_();
    for (var jj = 0; jj < n; jj++) { mb = max(mb, sa[jj]); }
    if (isnan_(mb) || isnan_(m)) { mb = nan_(); }
    let mn = max(m, mb);
    // Nothing accumulated yet (m = -inf) or nothing visible so far: no rescaling.
    var corr = 1.0;
    if (m != ninf_()) { corr = exp(m - mn); }
    var p = 0.0;
    if (s != ninf_() || isnan_(mn)) { p = exp(s - mn); }
    sb[t] = p;
    workgroupBarrier();
    var ls = 0.0;
    for (var jj = 0; jj < n; jj++) { ls += sb[jj]; }
    l = l * corr + ls;
    for (var d = t; d < Dv; d += ${bs}) {
      var acc = ${b('out')}[oo + d] * corr;
      for (var jj = 0; jj < n; jj++) { acc += sb[jj] * ${b('v')}[row_(${W.v}, bb, h, j0 + jj) + d]; }
      ${b('out')}[oo + d] = acc;
    }
    m = mn;
    workgroupBarrier();
  }
  var inv = nan_();
  if (l != 0.0) { inv = 1.0 / l; }
  for (var d = t; d < Dv; d += ${bs}) { ${b('out')}[oo + d] = ${b('out')}[oo + d] * inv; }
  if (t == 0) {
    var lse = nan_();
    if (l != 0.0) { lse = m + log(l); }
    ${b('lse')}[prm[${W.lse}] + wid] = lse;
  }
}
`;
  }
  if (kernel === 'backwardQ') {
    return `${common}${head}
  if (wid >= prm[${W.B}] * H * L) { return; }
  let i = wid % L; let h = (wid / L) % H; let bb = wid / (L * H);
  let qo = row_(${W.q}, bb, h, i);
  let go = row_(${W.gout}, bb, h, i);
  let mo = prm[${W.mask}] + bb * prm[${W.mask + 1}] + h * prm[${W.mask + 2}] + i * prm[${W.mask + 3}];
  let lse = ${b('lse')}[prm[${W.lse}] + wid];
  let delta = delta_(go, wid);
  let dqo = prm[${W.dq}] + wid * D;
  for (var d = t; d < D; d += ${bs}) { ${b('dq')}[dqo + d] = 0.0; }
  var jEnd = S;
  if (causal) { jEnd = min(S, i + 1); }
  for (var j0 = 0; j0 < jEnd; j0 += ${bs}) {
    let j = j0 + t;
    var ds = 0.0;
    if (j < jEnd) {
      let s = score_(qo, row_(${W.k}, bb, h, j), mo, i, j);
      var p = 0.0;
      if (s != ninf_() || isnan_(lse)) { p = exp(s - lse); }
      ds = scale_() * (p * (dot_v_(go, row_(${W.v}, bb, h, j)) - delta));
    }
    sa[t] = ds;
    workgroupBarrier();
    let n = min(${bs}, jEnd - j0);
    for (var d = t; d < D; d += ${bs}) {
      var acc = ${b('dq')}[dqo + d];
      for (var jj = 0; jj < n; jj++) { acc += sa[jj] * ${b('k')}[row_(${W.k}, bb, h, j0 + jj) + d]; }
      ${b('dq')}[dqo + d] = acc;
    }
    workgroupBarrier();
  }
}
`;
  }
  return `${common}${head}
  if (wid >= prm[${W.B}] * H * S) { return; }
  let j = wid % S; let h = (wid / S) % H; let bb = wid / (S * H);
  let ko = row_(${W.k}, bb, h, j);
  let vo = row_(${W.v}, bb, h, j);
  let dko = prm[${W.dk}] + wid * D;
  let dvo = prm[${W.dv}] + wid * Dv;
  for (var d = t; d < D; d += ${bs}) { ${b('dk')}[dko + d] = 0.0; }
  for (var d = t; d < Dv; d += ${bs}) { ${b('dv')}[dvo + d] = 0.0; }
  var iStart = 0;
  if (causal) { iStart = j; }
  for (var i0 = iStart; i0 < L; i0 += ${bs}) {
    let i = i0 + t;
    var p = 0.0;
    var ds = 0.0;
    if (i < L) {
      let row = (bb * H + h) * L + i;
      let go = row_(${W.gout}, bb, h, i);
      let mo = prm[${W.mask}] + bb * prm[${W.mask + 1}] + h * prm[${W.mask + 2}] + i * prm[${W.mask + 3}];
      let lse = ${b('lse')}[prm[${W.lse}] + row];
      let s = score_(row_(${W.q}, bb, h, i), ko, mo, i, j);
      if (s != ninf_() || isnan_(lse)) { p = exp(s - lse); }
      ds = scale_() * (p * (dot_v_(go, vo) - delta_(go, row)));
    }
    sa[t] = p;
    sb[t] = ds;
    workgroupBarrier();
    let n = min(${bs}, L - i0);
    for (var d = t; d < Dv; d += ${bs}) {
      var acc = ${b('dv')}[dvo + d];
      for (var ii = 0; ii < n; ii++) { acc += sa[ii] * ${b('gout')}[row_(${W.gout}, bb, h, i0 + ii) + d]; }
      ${b('dv')}[dvo + d] = acc;
    }
    for (var d = t; d < D; d += ${bs}) {
      var acc = ${b('dk')}[dko + d];
      for (var ii = 0; ii < n; ii++) { acc += sb[ii] * ${b('q')}[row_(${W.q}, bb, h, i0 + ii) + d]; }
      ${b('dk')}[dko + d] = acc;
    }
    workgroupBarrier();
  }
}
`;
}
