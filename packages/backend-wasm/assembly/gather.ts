// gather and scatterAdd along one dimension. The glue iterates the index tensor's shape with
// the data operand's stride along `dim` set to 0; the kernel adds `index * dimStride`.
// Out-of-range indices stop the kernel with code 1 and leave (index, position) in INFO.
import { INFO, rowsBegin, rowsNext, dimSize, stride, p0, p1, p2 } from './iter';

@inline function fail(index: i32, flat: i32): i32 {
  store<i32>(INFO, index);
  store<i32>(INFO, flat, 4);
  return 1;
}

/**
 * out[pos] = x[pos with dim replaced by index[pos]]. Operands: 0 index (int32), 1 out, 2 x.
 * `size` is the element size in bytes (4 or 1). Returns 0, or 1 for an index out of range.
 */
export function gather(size: i32, index: usize, o: usize, x: usize, rank: i32, dimStride: i32, dimLen: i32): i32 {
  const rows = rowsBegin(rank, index, o, x, 0);
  const last = rank - 1;
  const n = dimSize(last), si = stride(0, last), so = stride(1, last), sx = stride(2, last);
  for (let r = 0; r < rows; r++) {
    for (let i = 0; i < n; i++) {
      const k = load<i32>(p0 + <usize>(i * si));
      if (<u32>k >= <u32>dimLen) return fail(k, r * n + i);
      const src = p2 + <usize>(i * sx) + <usize>(k * dimStride);
      if (size == 4) store<u32>(p1 + <usize>(i * so), load<u32>(src));
      else store<u8>(p1 + <usize>(i * so), load<u8>(src));
    }
    rowsNext(rank);
  }
  return 0;
}

/**
 * dst[pos with dim replaced by index[pos]] += src[pos]. Operands: 0 index, 1 src, 2 dst.
 * dtype 0 float32, 1 int32. Every index is checked before anything is written.
 */
export function scatterAdd(dtype: i32, index: usize, src: usize, dst: usize, rank: i32, dimStride: i32, dimLen: i32): i32 {
  const last = rank - 1;
  const n = dimSize(last), si = stride(0, last), ss = stride(1, last), sd = stride(2, last);
  let rows = rowsBegin(rank, index, src, dst, 0);
  for (let r = 0; r < rows; r++) {
    for (let i = 0; i < n; i++) {
      const k = load<i32>(p0 + <usize>(i * si));
      if (<u32>k >= <u32>dimLen) return fail(k, r * n + i);
    }
    rowsNext(rank);
  }
  rows = rowsBegin(rank, index, src, dst, 0);
  for (let r = 0; r < rows; r++) {
    for (let i = 0; i < n; i++) {
      const k = load<i32>(p0 + <usize>(i * si));
      const d = p2 + <usize>(i * sd) + <usize>(k * dimStride);
      if (dtype == 0) store<f32>(d, load<f32>(d) + load<f32>(p1 + <usize>(i * ss)));
      else store<i32>(d, load<i32>(d) + load<i32>(p1 + <usize>(i * ss)));
    }
    rowsNext(rank);
  }
  return 0;
}
