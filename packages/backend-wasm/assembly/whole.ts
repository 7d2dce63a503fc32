// The main module's whole-tensor entry points for the kernels that pool threads split into
// parts (matmul.ts, attention.ts): each allocates its scratch and runs the one part that covers
// everything. The glue calls these when it runs without a thread pool, or for work too small to
// share.
import { alloc, free } from './alloc';
import { SCRATCH } from './iter';
import { SMALL, matmulPart, matmulScratchBytes } from './matmul';
import { attentionPart, attentionBackwardPart, attentionScratchBytes } from './attention';

/**
 * C = A B (see matmulPart), then the epilogue `epi` (a function table index, 0: none) with its
 * `words` on each block as it is final. Returns 0, or 1 when the packing buffers cannot be allocated.
 */
export function matmul(a: usize, b: usize, c: usize, M: i32, N: i32, K: i32, sam: i32, sak: i32, sbk: i32, sbn: i32, epi: u32, words: usize): i32 {
  if (M == 0 || N == 0) return 0;
  if (K == 0 || <i64>M * <i64>N * <i64>K <= SMALL) {
    matmulPart(a, b, c, M, N, K, sam, sak, sbk, sbn, <usize>N << 2, 0, epi, words, 0);
    return 0;
  }
  const scratch = alloc(<usize>matmulScratchBytes(M, N, K));
  if (!scratch) return 1;
  matmulPart(a, b, c, M, N, K, sam, sak, sbk, sbn, <usize>N << 2, scratch, epi, words, 0);
  free(scratch);
  return 0;
}

/** Attention forward over every (batch, head), operands in the scratch area (see attentionPart). Returns 0, or 1 when out of memory. */
export function attention(q: usize, k: usize, v: usize, mask: usize, out: usize, lse: usize, scale: f32, causal: i32): i32 {
  const sBuf = alloc(<usize>attentionScratchBytes(load<i32>(SCRATCH, 16), load<i32>(SCRATCH, 20)));
  if (sBuf == 0) return 1;
  attentionPart(SCRATCH, q, k, v, mask, out, lse, scale, causal, 0, load<i32>(SCRATCH) * load<i32>(SCRATCH, 4), sBuf);
  free(sBuf);
  return 0;
}

/** Attention backward over every (batch, head) (see attentionBackwardPart). Returns 0, or 1 when out of memory. */
export function attentionBackward(
  q: usize, k: usize, v: usize, mask: usize, out: usize, lse: usize, gout: usize,
  dq: usize, dk: usize, dv: usize, scale: f32, causal: i32,
): i32 {
  const sBuf = alloc(<usize>attentionScratchBytes(load<i32>(SCRATCH, 16), load<i32>(SCRATCH, 20)));
  if (sBuf == 0) return 1;
  attentionBackwardPart(SCRATCH, q, k, v, mask, out, lse, gout, dq, dk, dv, scale, causal, 0, load<i32>(SCRATCH) * load<i32>(SCRATCH, 4), sBuf);
  free(sBuf);
  return 0;
}
