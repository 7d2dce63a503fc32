/**
 * Our own batched matmul in WGSL, for the operands tfjs's programs cannot take as they are.
 *
 * tfjs's matmul wants packed `[batch, rows, cols]` buffers starting at byte 0 and reads B past K
 * (see backend.ts), so a strided operand, one at an offset (every intermediate of a compiled
 * step lives at an offset in the plan's arena) or a K that is not a whole tfjs tile cost a copy
 * or a fill-and-copy per operand before it: two to four extra dispatches per matmul, 47 of a
 * compiled Transformer step's 195. This kernel reads any strides and offsets and guards every
 * read, so those matmuls are one dispatch.
 *
 * Tiling: a workgroup of 8 x 8 threads computes a 32 x 32 block of C, each thread 4 x 4 of it;
 * K goes in tiles of 16 through workgroup memory. Every output sums its K products in order
 * k = 0, 1, ..., K - 1 (one accumulator each), so a result does not depend on the tiling or the
 * batch. Operands share bindings by buffer (one `read_write` slot when A or B lives in the
 * output's buffer, as an arena does), since WebGPU forbids binding one buffer read-only and
 * writable in one dispatch.
 */
import type { View } from '@torchlet/core';

/** Rows and columns of C per workgroup. */
export const MM_TILE = 32;
/** K per step through workgroup memory. */
const TK = 16;

/** The meta words before the batch dims: M N K tilesM tilesN batchRank aOff bOff oOff asr asc bsr bsc osr osc. */
const HEAD = 15;

/** Which binding slot (0 = output's) each of A and B reads. */
export interface MatmulSlots {
  /** A's slot: 0 when it lives in the output's buffer. */
  readonly a: number;
  /** B's slot. */
  readonly b: number;
  /** Slots in all (1 to 3). */
  readonly count: number;
}

/** Slots by distinct buffer: the output's first, then A's, then B's where new. */
export function matmulSlots(a: View, b: View, out: View): MatmulSlots {
  const bufs = [out.buffer];
  const slot = (id: number): number => {
    const i = bufs.indexOf(id);
    return i >= 0 ? i : bufs.push(id) - 1;
  };
  const sa = slot(a.buffer), sb = slot(b.buffer);
  return { a: sa, b: sb, count: bufs.length };
}

/**
 * The meta words of C = A @ B over views `[...B, M, K]`, `[...B, K, N]`, `[...B, M, N]` (batch
 * dims with size 1 dropped), and the workgroup count.
 */
export function matmulMeta(a: View, b: View, out: View, M: number, N: number, K: number): { meta: Int32Array; workgroups: number } {
  const r = out.shape.length;
  const dims: number[] = [];
  for (let d = 0; d < r - 2; d++) if (out.shape[d] !== 1) dims.push(d);
  const br = dims.length;
  const tilesM = Math.ceil(M / MM_TILE), tilesN = Math.ceil(N / MM_TILE);
  const meta = new Int32Array(HEAD + 4 * br);
  meta.set([M, N, K, tilesM, tilesN, br, a.offset, b.offset, out.offset,
    a.strides[r - 2]!, a.strides[r - 1]!, b.strides[r - 2]!, b.strides[r - 1]!, out.strides[r - 2]!, out.strides[r - 1]!]);
  dims.forEach((d, i) => {
    meta[HEAD + i] = out.shape[d]!;
    meta[HEAD + br + i] = a.strides[d]!;
    meta[HEAD + 2 * br + i] = b.strides[d]!;
    meta[HEAD + 3 * br + i] = out.strides[d]!;
  });
  let batch = 1;
  for (const d of dims) batch *= out.shape[d]!;
  return { meta, workgroups: batch * tilesM * tilesN };
}

/** The WGSL of the kernel for a slot layout (`read_write` slot 0 is the output's buffer). */
export function matmulSource(s: MatmulSlots): string {
  const decls = Array.from({ length: s.count }, (_, i) =>
    `@group(0) @binding(${i + 1}) var<storage, ${i === 0 ? 'read_write' : 'read'}> buf${i}: array<f32>;`).join('\n');
  return `@group(0) @binding(0) var<storage, read> prm: array<i32>;
${decls}
var<workgroup> As: array<f32, ${TK * MM_TILE}>;
var<workgroup> Bs: array<f32, ${TK * MM_TILE}>;
@compute @workgroup_size(64)
fn main(@builtin(local_invocation_index) li: u32, @builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let M = prm[0]; let N = prm[1]; let K = prm[2]; let tilesM = prm[3]; let tilesN = prm[4]; let br = prm[5];
  let wid = i32(wg.x + wg.y * nwg.x);
  let per = tilesM * tilesN;
  let t = wid % per;
  let row0 = (t / tilesN) * ${MM_TILE};
  let col0 = (t % tilesN) * ${MM_TILE};
  var ao = prm[6]; var bo = prm[7]; var oo = prm[8];
  var rem = wid / per;
  for (var d = br - 1; d >= 0; d--) {
    let sz = prm[${HEAD} + d];
    let c = rem % sz;
    rem = rem / sz;
    ao += c * prm[${HEAD} + br + d];
    bo += c * prm[${HEAD} + 2 * br + d];
    oo += c * prm[${HEAD} + 3 * br + d];
  }
  let asr = prm[9]; let asc = prm[10]; let bsr = prm[11]; let bsc = prm[12]; let osr = prm[13]; let osc = prm[14];
  let l = i32(li);
  let tx = l % 8; let ty = l / 8;
  var acc0 = vec4<f32>(0.0); var acc1 = vec4<f32>(0.0); var acc2 = vec4<f32>(0.0); var acc3 = vec4<f32>(0.0);
  for (var k0 = 0; k0 < K; k0 += ${TK}) {
    for (var i = 0; i < ${(TK * MM_TILE) / 64}; i++) {
      let e = l + i * 64;
      // A tile: row r, column kk; B tile: row kk, column c. Zeros outside the matrices.
      let r = e / ${TK}; let kk = e % ${TK};
      var av = 0.0;
      if (row0 + r < M && k0 + kk < K) { av = buf${s.a}[ao + (row0 + r) * asr + (k0 + kk) * asc]; }
      As[kk * ${MM_TILE} + r] = av;
      let kb = e / ${MM_TILE}; let c = e % ${MM_TILE};
      var bv = 0.0;
      if (k0 + kb < K && col0 + c < N) { bv = buf${s.b}[bo + (k0 + kb) * bsr + (col0 + c) * bsc]; }
      Bs[kb * ${MM_TILE} + c] = bv;
    }
    workgroupBarrier();
    let kn = min(${TK}, K - k0);
    for (var kk = 0; kk < kn; kk++) {
      let b = vec4<f32>(Bs[kk * ${MM_TILE} + tx * 4], Bs[kk * ${MM_TILE} + tx * 4 + 1], Bs[kk * ${MM_TILE} + tx * 4 + 2], Bs[kk * ${MM_TILE} + tx * 4 + 3]);
      acc0 += As[kk * ${MM_TILE} + ty * 4] * b;
      acc1 += As[kk * ${MM_TILE} + ty * 4 + 1] * b;
      acc2 += As[kk * ${MM_TILE} + ty * 4 + 2] * b;
      acc3 += As[kk * ${MM_TILE} + ty * 4 + 3] * b;
    }
    workgroupBarrier();
  }
  let acc = array<vec4<f32>, 4>(acc0, acc1, acc2, acc3);
  for (var i = 0; i < 4; i++) {
    let r = row0 + ty * 4 + i;
    if (r >= M) { break; }
    for (var j = 0; j < 4; j++) {
      let c = col0 + tx * 4 + j;
      if (c < N) { buf0[oo + r * osr + c * osc] = acc[i][j]; }
    }
  }
}
`;
}
