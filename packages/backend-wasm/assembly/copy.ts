// dst[i] = src[i] with dtype conversion (PyTorch's rules): float -> int truncates toward zero
// (NaN -> 0, saturating), anything -> bool is `!= 0`, bool -> number is 0/1.
// Contiguous rows: memory.copy when the dtypes match, a v128 body for float32 <-> int32.
import { truncSat } from './math';
import { rowsBegin, rowsNext, dimSize, stride, p0, p1 } from './iter';

const F32 = 0, I32 = 1, BOOL = 2;

@inline function convertRow(from: i32, to: i32, s: usize, ss: i32, d: usize, sd: i32, n: i32): void {
  let i = 0;
  if (from == to) {
    const size = from == BOOL ? 1 : 4;
    if (ss == size && sd == size) {
      memory.copy(d, s, <usize>(n * size));
      return;
    }
    if (size == 4) for (; i < n; i++) store<u32>(d + <usize>(i * sd), load<u32>(s + <usize>(i * ss)));
    else for (; i < n; i++) store<u8>(d + <usize>(i * sd), load<u8>(s + <usize>(i * ss)));
    return;
  }
  if (from == F32 && to == I32) {
    if (ss == 4 && sd == 4) {
      for (; i + 4 <= n; i += 4) v128.store(d + (<usize>i << 2), i32x4.trunc_sat_f32x4_s(v128.load(s + (<usize>i << 2))));
    }
    for (; i < n; i++) store<i32>(d + <usize>(i * sd), truncSat(load<f32>(s + <usize>(i * ss))));
  } else if (from == I32 && to == F32) {
    if (ss == 4 && sd == 4) {
      for (; i + 4 <= n; i += 4) v128.store(d + (<usize>i << 2), f32x4.convert_i32x4_s(v128.load(s + (<usize>i << 2))));
    }
    for (; i < n; i++) store<f32>(d + <usize>(i * sd), <f32>load<i32>(s + <usize>(i * ss)));
  } else if (from == F32 && to == BOOL) {
    for (; i < n; i++) store<u8>(d + <usize>(i * sd), load<f32>(s + <usize>(i * ss)) != 0 ? 1 : 0);
  } else if (from == I32 && to == BOOL) {
    for (; i < n; i++) store<u8>(d + <usize>(i * sd), load<i32>(s + <usize>(i * ss)) != 0 ? 1 : 0);
  } else if (from == BOOL && to == F32) {
    for (; i < n; i++) store<f32>(d + <usize>(i * sd), load<u8>(s + <usize>(i * ss)) != 0 ? 1.0 : 0.0);
  } else if (from == BOOL && to == I32) {
    for (; i < n; i++) store<i32>(d + <usize>(i * sd), load<u8>(s + <usize>(i * ss)) != 0 ? 1 : 0);
  }
}

@inline function loop(from: i32, to: i32, s: usize, d: usize, rank: i32): void {
  const rows = rowsBegin(rank, s, d, 0, 0);
  const last = rank - 1;
  const n = dimSize(last), ss = stride(0, last), sd = stride(1, last);
  for (let r = 0; r < rows; r++) {
    convertRow(from, to, p0, ss, p1, sd, n);
    rowsNext(rank);
  }
}

/** Strided copy with conversion; dtypes: 0 float32, 1 int32, 2 bool. */
export function copy(from: i32, to: i32, s: usize, d: usize, rank: i32): void {
  switch (from * 3 + to) {
    case 0: loop(F32, F32, s, d, rank); break;
    case 1: loop(F32, I32, s, d, rank); break;
    case 2: loop(F32, BOOL, s, d, rank); break;
    case 3: loop(I32, F32, s, d, rank); break;
    case 4: loop(I32, I32, s, d, rank); break;
    case 5: loop(I32, BOOL, s, d, rank); break;
    case 6: loop(BOOL, F32, s, d, rank); break;
    case 7: loop(BOOL, I32, s, d, rank); break;
    case 8: loop(BOOL, BOOL, s, d, rank); break;
  }
}
