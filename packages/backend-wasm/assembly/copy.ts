// dst[i] = src[i] with dtype conversion (PyTorch's rules): float -> int truncates toward zero
// (NaN -> 0, saturating), anything -> bool is `!= 0`, bool -> number is 0/1.
// Contiguous rows: memory.copy when the dtypes match (a v128 loop for short float32 rows), a
// v128 body for float32 <-> int32.
// float16 and bfloat16 (2-byte bit patterns) convert through float32, rounding to nearest even
// exactly as PyTorch's c10::Half / c10::BFloat16 do (NaN stays NaN, infinities and subnormals exact).
import { truncSat } from './math';
import { rowsBegin, rowsNext, dimSize, stride, p0, p1 } from './iter';

const F32 = 0, I32 = 1, BOOL = 2, F16 = 3, BF16 = 4;

/** IEEE binary16 bits -> float32 (exact). */
@inline function halfToF32(h: u32): f32 {
  const sign = (h & 0x8000) << 16;
  const exp = (h >> 10) & 0x1f;
  const man = h & 0x3ff;
  // infinity; a NaN comes out quiet with its payload, as the FP16 library's fp16_ieee_to_fp32_value
  if (exp == 0x1f) return reinterpret<f32>(sign | 0x7f800000 | (man << 13) | (man != 0 ? 0x400000 : 0));
  if (exp != 0) return reinterpret<f32>(sign | ((exp + 112) << 23) | (man << 13));
  // zero or subnormal: man * 2^-24, exact in float32
  const v = <f32>man * reinterpret<f32>(<u32>0x33800000);
  return sign ? -v : v;
}

/**
 * float32 -> IEEE binary16 bits, round to nearest even; overflow gives infinity, any NaN the
 * signed quiet NaN 0x7e00 (the FP16 library's fp16_ieee_from_fp32_value, which c10::Half uses).
 */
@inline function f32ToHalf(f: f32): u32 {
  const x = reinterpret<u32>(f);
  const sign = (x >> 16) & 0x8000;
  const a = x & 0x7fffffff;
  if (a > 0x7f800000) return sign | 0x7e00;
  if (a >= 0x47800000) {
    // >= 65536 (and infinity); values in [65520, 65536) are caught by the rounding below
    return sign | 0x7c00;
  }
  if (a < 0x38800000) {
    // subnormal half (or zero): round a * 2^24 to an integer, half to even (wasm's nearest)
    return sign | <u32>nearest<f32>(reinterpret<f32>(a) * reinterpret<f32>(<u32>0x4b800000));
  }
  // normal: rebias, then round the 13 dropped bits to nearest even (a carry may reach infinity)
  const r = a - 0x38000000;
  return sign | ((r + 0xfff + ((r >> 13) & 1)) >> 13);
}

/**
 * float32 -> bfloat16 bits (the top half), round to nearest even; any NaN is 0xffff, as PyTorch's
 * `.bfloat16()` (its vectorised cvtfp32_bf16) writes it.
 */
@inline function f32ToBf16(f: f32): u32 {
  const x = reinterpret<u32>(f);
  if ((x & 0x7fffffff) > 0x7f800000) return 0xffff;
  return (x + 0x7fff + ((x >> 16) & 1)) >> 16;
}

@inline function loadAsF32(from: i32, p: usize): f32 {
  if (from == F32) return load<f32>(p);
  if (from == I32) return <f32>load<i32>(p);
  if (from == BOOL) return load<u8>(p) != 0 ? 1.0 : 0.0;
  if (from == F16) return halfToF32(<u32>load<u16>(p));
  return reinterpret<f32>(<u32>load<u16>(p) << 16);
}

@inline function storeF32As(to: i32, p: usize, v: f32): void {
  if (to == F32) store<f32>(p, v);
  else if (to == I32) store<i32>(p, truncSat(v));
  else if (to == BOOL) store<u8>(p, v != 0 ? 1 : 0); // NaN != 0: true, as PyTorch
  else if (to == F16) store<u16>(p, <u16>f32ToHalf(v));
  else store<u16>(p, <u16>f32ToBf16(v));
}

/** A row with float16 or bfloat16 on either side: each element through float32 (one code path, kept small). */
function convertHalfRow(from: i32, to: i32, s: usize, ss: i32, d: usize, sd: i32, n: i32): void {
  for (let i = 0; i < n; i++) storeF32As(to, d + <usize>(i * sd), loadAsF32(from, s + <usize>(i * ss)));
}

@inline function convertRow(from: i32, to: i32, s: usize, ss: i32, d: usize, sd: i32, n: i32): void {
  let i = 0;
  if (from == to) {
    const size = from == BOOL ? 1 : from >= F16 ? 2 : 4;
    if (ss == size && sd == size) {
      const bytes = <usize>(n * size);
      if (size == 4 && n <= 128 && (d + bytes <= s || s + bytes <= d)) {
        // Short rows (a head's features when heads are split or merged): memory.copy is a call
        // out of the wasm code that costs as much as moving a few hundred bytes, once per row.
        // Rows that overlap keep memory.copy's memmove order.
        for (; i + 4 <= n; i += 4) v128.store(d + (<usize>i << 2), v128.load(s + (<usize>i << 2)));
        for (; i < n; i++) store<u32>(d + (<usize>i << 2), load<u32>(s + (<usize>i << 2)));
        return;
      }
      memory.copy(d, s, bytes);
      return;
    }
    if (size == 4) for (; i < n; i++) store<u32>(d + <usize>(i * sd), load<u32>(s + <usize>(i * ss)));
    else if (size == 2) for (; i < n; i++) store<u16>(d + <usize>(i * sd), load<u16>(s + <usize>(i * ss)));
    else for (; i < n; i++) store<u8>(d + <usize>(i * sd), load<u8>(s + <usize>(i * ss)));
    return;
  }
  if (from >= F16 || to >= F16) {
    convertHalfRow(from, to, s, ss, d, sd, n);
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

function halfLoop(from: i32, to: i32, s: usize, d: usize, rank: i32): void {
  loop(from, to, s, d, rank);
}

/** Strided copy with conversion; dtypes: 0 float32, 1 int32, 2 bool, 3 float16, 4 bfloat16. */
export function copy(from: i32, to: i32, s: usize, d: usize, rank: i32): void {
  if (from >= F16 || to >= F16) {
    // one loop for every pair with a 2-byte float: convertRow branches on the codes at run time
    halfLoop(from, to, s, d, rank);
    return;
  }
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
