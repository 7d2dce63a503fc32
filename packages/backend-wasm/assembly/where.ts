// out[i] = cond[i] ? a[i] : b[i]. Elements are moved as raw bits, so float32 and int32 share
// the 4-byte loop; bool uses the 1-byte loop.
import { rowsBegin, rowsNext, dimSize, stride, p0, p1, p2, p3 } from './iter';

/** `size` is the element size in bytes of a, b and out (4 or 1); cond is bool (u8). */
export function where(size: i32, c: usize, a: usize, b: usize, o: usize, rank: i32): void {
  const rows = rowsBegin(rank, c, a, b, o);
  const last = rank - 1;
  const n = dimSize(last), sc = stride(0, last), sa = stride(1, last), sb = stride(2, last), so = stride(3, last);
  for (let r = 0; r < rows; r++) {
    if (size == 4) {
      for (let i = 0; i < n; i++) {
        const v = load<u8>(p0 + <usize>(i * sc)) ? load<u32>(p1 + <usize>(i * sa)) : load<u32>(p2 + <usize>(i * sb));
        store<u32>(p3 + <usize>(i * so), v);
      }
    } else {
      for (let i = 0; i < n; i++) {
        const v = load<u8>(p0 + <usize>(i * sc)) ? load<u8>(p1 + <usize>(i * sa)) : load<u8>(p2 + <usize>(i * sb));
        store<u8>(p3 + <usize>(i * so), v);
      }
    }
    rowsNext(rank);
  }
}
