// Element-wise functions of two arguments. Op codes (B_*) are generated from core's op table
// (scripts/op-codes.mjs), which also fails the build when an op of the table has no case here.
// Rows whose operands are contiguous (or a broadcast scalar, stride 0) run a v128 body for the
// ops with a vector form; everything else runs the scalar loop with arbitrary byte strides.
import {
  B_ADD, B_SUB, B_MUL, B_DIV, B_MAXIMUM, B_MINIMUM, B_REMAINDER, B_POW, B_EQ, B_NE, B_LT, B_LE, B_GT, B_GE, B_LOGICAL_AND, B_LOGICAL_OR, B_LOGICAL_XOR,
  B_ATAN2, B_HYPOT, B_FMOD, B_FLOOR_DIVIDE, B_TRUNC_DIVIDE,
  isBinaryCompare,
} from './op-codes.generated';
import { rowsBegin, rowsNext, dimSize, stride, p0, p1, p2 } from './iter';


// ---- float32 -------------------------------------------------------------------------------

/**
 * PyTorch's floor division of floats (div_floor_floating in ATen/native/BinaryOps.h): from the
 * exact fmod, so it agrees with remainder where floor(a / b) would not.
 */
function floorDivideF32(a: f32, b: f32): f32 {
  if (b == 0) return a / b;
  const mod = a % b;
  let div = (a - mod) / b;
  if (mod != 0 && (b < 0) != (mod < 0)) div -= 1;
  if (div == 0) return copysign<f32>(0, a / b);
  let q = floor<f32>(div);
  if (div - q > 0.5) q += 1;
  return q;
}

@inline export function arithF32(op: i32, a: f32, b: f32): f32 {
  switch (op) {
    case B_ADD: return a + b;
    case B_SUB: return a - b;
    case B_MUL: return a * b;
    case B_DIV: return a / b;
    case B_MAXIMUM: return max<f32>(a, b); // wasm f32.max propagates NaN, as torch.maximum
    case B_MINIMUM: return min<f32>(a, b);
    case B_REMAINDER: {
      // Python's %: the result has the divisor's sign (PyTorch's remainder).
      let m = a % b;
      if (m != 0 && (m < 0) != (b < 0)) m += b;
      return m;
    }
    // C's pow, as PyTorch: 1^y = 1 and (-1)^±inf = 1 even for NaN y (JavaScript's Math.pow gives NaN).
    case B_POW: return a == 1 || (a == -1 && Mathf.abs(b) == Infinity) ? 1 : <f32>Math.pow(<f64>a, <f64>b);
    case B_ATAN2: return <f32>Math.atan2(<f64>a, <f64>b);
    case B_HYPOT: return <f32>Math.hypot(<f64>a, <f64>b);
    case B_FMOD: return a % b; // AssemblyScript's float % is C's fmod (exact)
    case B_FLOOR_DIVIDE: return floorDivideF32(a, b);
    case B_TRUNC_DIVIDE: return trunc<f32>(a / b);
  }
  return 0;
}

/** Whether a float32 op has a v128 form (`vectorF32`), which gives the scalar form's bits. */
@inline export function hasVectorF32(op: i32): bool {
  return op == B_ADD || op == B_SUB || op == B_MUL || op == B_DIV || op == B_MAXIMUM || op == B_MINIMUM;
}

@inline export function vectorF32(op: i32, a: v128, b: v128): v128 {
  switch (op) {
    case B_ADD: return f32x4.add(a, b);
    case B_SUB: return f32x4.sub(a, b);
    case B_MUL: return f32x4.mul(a, b);
    case B_DIV: return f32x4.div(a, b);
    case B_MAXIMUM: return f32x4.max(a, b);
    case B_MINIMUM: return f32x4.min(a, b);
  }
  return a;
}

@inline function cmp<T>(op: i32, a: T, b: T): u8 {
  switch (op) {
    case B_EQ: return a == b ? 1 : 0;
    case B_NE: return a != b ? 1 : 0;
    case B_LT: return a < b ? 1 : 0;
    case B_LE: return a <= b ? 1 : 0;
    case B_GT: return a > b ? 1 : 0;
    case B_GE: return a >= b ? 1 : 0;
  }
  return 0;
}

/** The v128 body for one row; returns how many elements it did. */
@inline function vectorRowF32(op: i32, a: usize, sa: i32, b: usize, sb: i32, o: usize, n: i32): i32 {
  let i = 0;
  if (sa == 4 && sb == 4) {
    for (; i + 4 <= n; i += 4) {
      const at = <usize>i << 2;
      v128.store(o + at, vectorF32(op, v128.load(a + at), v128.load(b + at)));
    }
  } else if (sa == 4 && sb == 0) {
    const vb = v128.load32_splat(b);
    for (; i + 4 <= n; i += 4) {
      const at = <usize>i << 2;
      v128.store(o + at, vectorF32(op, v128.load(a + at), vb));
    }
  } else if (sa == 0 && sb == 4) {
    const va = v128.load32_splat(a);
    for (; i + 4 <= n; i += 4) {
      const at = <usize>i << 2;
      v128.store(o + at, vectorF32(op, va, v128.load(b + at)));
    }
  }
  return i;
}

@inline function loopF32(op: i32, a: usize, b: usize, o: usize, rank: i32): void {
  const rows = rowsBegin(rank, a, b, o, 0);
  const last = rank - 1;
  const n = dimSize(last), sa = stride(0, last), sb = stride(1, last), so = stride(2, last);
  for (let r = 0; r < rows; r++) {
    let i = 0;
    if (!isBinaryCompare(op)) {
      if (hasVectorF32(op) && so == 4) i = vectorRowF32(op, p0, sa, p1, sb, p2, n);
      for (; i < n; i++) {
        store<f32>(p2 + <usize>(i * so), arithF32(op, load<f32>(p0 + <usize>(i * sa)), load<f32>(p1 + <usize>(i * sb))));
      }
    } else {
      for (; i < n; i++) {
        store<u8>(p2 + <usize>(i * so), cmp<f32>(op, load<f32>(p0 + <usize>(i * sa)), load<f32>(p1 + <usize>(i * sb))));
      }
    }
    rowsNext(rank);
  }
}

/** float32 inputs: arithmetic (float32 out, div included) and comparisons (bool out). */
export function binaryF32(op: i32, a: usize, b: usize, o: usize, rank: i32): void {
  switch (op) {
    case B_ADD: loopF32(B_ADD, a, b, o, rank); break;
    case B_SUB: loopF32(B_SUB, a, b, o, rank); break;
    case B_MUL: loopF32(B_MUL, a, b, o, rank); break;
    case B_DIV: loopF32(B_DIV, a, b, o, rank); break;
    case B_MAXIMUM: loopF32(B_MAXIMUM, a, b, o, rank); break;
    case B_MINIMUM: loopF32(B_MINIMUM, a, b, o, rank); break;
    case B_REMAINDER: loopF32(B_REMAINDER, a, b, o, rank); break;
    case B_POW: loopF32(B_POW, a, b, o, rank); break;
    case B_ATAN2: loopF32(B_ATAN2, a, b, o, rank); break;
    case B_HYPOT: loopF32(B_HYPOT, a, b, o, rank); break;
    case B_FMOD: loopF32(B_FMOD, a, b, o, rank); break;
    case B_FLOOR_DIVIDE: loopF32(B_FLOOR_DIVIDE, a, b, o, rank); break;
    case B_TRUNC_DIVIDE: loopF32(B_TRUNC_DIVIDE, a, b, o, rank); break;
    case B_EQ: loopF32(B_EQ, a, b, o, rank); break;
    case B_NE: loopF32(B_NE, a, b, o, rank); break;
    case B_LT: loopF32(B_LT, a, b, o, rank); break;
    case B_LE: loopF32(B_LE, a, b, o, rank); break;
    case B_GT: loopF32(B_GT, a, b, o, rank); break;
    case B_GE: loopF32(B_GE, a, b, o, rank); break;
  }
}

// ---- int32 ---------------------------------------------------------------------------------

/** Integer power with wrap-around; a negative exponent gives 0 except for bases 1 and -1. */
function powI32(base: i32, e: i32): i32 {
  if (e < 0) return base == 1 ? 1 : base == -1 ? ((e & 1) ? -1 : 1) : 0;
  let r = 1;
  while (e) {
    if (e & 1) r *= base;
    base *= base;
    e >>>= 1;
  }
  return r;
}

@inline function arithI32(op: i32, a: i32, b: i32): i32 {
  switch (op) {
    case B_ADD: return a + b;
    case B_SUB: return a - b;
    case B_MUL: return a * b;
    case B_MAXIMUM: return a > b ? a : b;
    case B_MINIMUM: return a < b ? a : b;
    case B_REMAINDER: {
      if (b == 0) return 0; // the contract's choice (PyTorch raises)
      let m = a % b; // i32.rem_s: MIN % -1 is 0, no trap
      if (m != 0 && (m < 0) != (b < 0)) m += b;
      return m;
    }
    case B_POW: return powI32(a, b);
    // Division by 0 gives 0, the contract's choice (PyTorch raises ZeroDivisionError); MIN / -1
    // wraps to MIN (i32.div_s would trap on both).
    case B_FMOD: return b == 0 || b == -1 ? 0 : a % b;
    case B_FLOOR_DIVIDE: {
      if (b == 0) return 0;
      if (b == -1) return -a;
      const q = a / b;
      return q * b != a && (a < 0) != (b < 0) ? q - 1 : q;
    }
    case B_TRUNC_DIVIDE: return b == 0 ? 0 : b == -1 ? -a : a / b;
  }
  return 0;
}

@inline function vectorI32(op: i32, a: v128, b: v128): v128 {
  switch (op) {
    case B_ADD: return i32x4.add(a, b);
    case B_SUB: return i32x4.sub(a, b);
    case B_MUL: return i32x4.mul(a, b);
    case B_MAXIMUM: return i32x4.max_s(a, b);
    case B_MINIMUM: return i32x4.min_s(a, b);
  }
  return a;
}

@inline function vectorRowI32(op: i32, a: usize, sa: i32, b: usize, sb: i32, o: usize, n: i32): i32 {
  let i = 0;
  if (sa == 4 && sb == 4) {
    for (; i + 4 <= n; i += 4) {
      const at = <usize>i << 2;
      v128.store(o + at, vectorI32(op, v128.load(a + at), v128.load(b + at)));
    }
  } else if (sa == 4 && sb == 0) {
    const vb = v128.load32_splat(b);
    for (; i + 4 <= n; i += 4) {
      const at = <usize>i << 2;
      v128.store(o + at, vectorI32(op, v128.load(a + at), vb));
    }
  } else if (sa == 0 && sb == 4) {
    const va = v128.load32_splat(a);
    for (; i + 4 <= n; i += 4) {
      const at = <usize>i << 2;
      v128.store(o + at, vectorI32(op, va, v128.load(b + at)));
    }
  }
  return i;
}

@inline function loopI32(op: i32, a: usize, b: usize, o: usize, rank: i32): void {
  const rows = rowsBegin(rank, a, b, o, 0);
  const last = rank - 1;
  const n = dimSize(last), sa = stride(0, last), sb = stride(1, last), so = stride(2, last);
  for (let r = 0; r < rows; r++) {
    let i = 0;
    if (!isBinaryCompare(op)) {
      if ((op == B_ADD || op == B_SUB || op == B_MUL || op == B_MAXIMUM || op == B_MINIMUM) && so == 4) i = vectorRowI32(op, p0, sa, p1, sb, p2, n);
      for (; i < n; i++) {
        store<i32>(p2 + <usize>(i * so), arithI32(op, load<i32>(p0 + <usize>(i * sa)), load<i32>(p1 + <usize>(i * sb))));
      }
    } else {
      for (; i < n; i++) {
        store<u8>(p2 + <usize>(i * so), cmp<i32>(op, load<i32>(p0 + <usize>(i * sa)), load<i32>(p1 + <usize>(i * sb))));
      }
    }
    rowsNext(rank);
  }
}

/** int32 inputs: arithmetic except div (int32 out) and comparisons (bool out). */
export function binaryI32(op: i32, a: usize, b: usize, o: usize, rank: i32): void {
  switch (op) {
    case B_ADD: loopI32(B_ADD, a, b, o, rank); break;
    case B_SUB: loopI32(B_SUB, a, b, o, rank); break;
    case B_MUL: loopI32(B_MUL, a, b, o, rank); break;
    case B_MAXIMUM: loopI32(B_MAXIMUM, a, b, o, rank); break;
    case B_MINIMUM: loopI32(B_MINIMUM, a, b, o, rank); break;
    case B_REMAINDER: loopI32(B_REMAINDER, a, b, o, rank); break;
    case B_POW: loopI32(B_POW, a, b, o, rank); break;
    case B_FMOD: loopI32(B_FMOD, a, b, o, rank); break;
    case B_FLOOR_DIVIDE: loopI32(B_FLOOR_DIVIDE, a, b, o, rank); break;
    case B_TRUNC_DIVIDE: loopI32(B_TRUNC_DIVIDE, a, b, o, rank); break;
    case B_EQ: loopI32(B_EQ, a, b, o, rank); break;
    case B_NE: loopI32(B_NE, a, b, o, rank); break;
    case B_LT: loopI32(B_LT, a, b, o, rank); break;
    case B_LE: loopI32(B_LE, a, b, o, rank); break;
    case B_GT: loopI32(B_GT, a, b, o, rank); break;
    case B_GE: loopI32(B_GE, a, b, o, rank); break;
  }
}

// ---- bool ----------------------------------------------------------------------------------

@inline function scalarBool(op: i32, a: u8, b: u8): u8 {
  switch (op) {
    case B_LOGICAL_AND: return a & b;
    case B_LOGICAL_OR: return a | b;
    case B_LOGICAL_XOR: return a ^ b;
  }
  return cmp<u8>(op, a, b);
}

@inline function loopBool(op: i32, a: usize, b: usize, o: usize, rank: i32): void {
  const rows = rowsBegin(rank, a, b, o, 0);
  const last = rank - 1;
  const n = dimSize(last), sa = stride(0, last), sb = stride(1, last), so = stride(2, last);
  for (let r = 0; r < rows; r++) {
    for (let i = 0; i < n; i++) {
      store<u8>(p2 + <usize>(i * so), scalarBool(op, load<u8>(p0 + <usize>(i * sa)), load<u8>(p1 + <usize>(i * sb))));
    }
    rowsNext(rank);
  }
}

/** bool inputs: comparisons and logical ops (bool out). Inputs are 0 or 1. */
export function binaryBool(op: i32, a: usize, b: usize, o: usize, rank: i32): void {
  switch (op) {
    case B_EQ: loopBool(B_EQ, a, b, o, rank); break;
    case B_NE: loopBool(B_NE, a, b, o, rank); break;
    case B_LT: loopBool(B_LT, a, b, o, rank); break;
    case B_LE: loopBool(B_LE, a, b, o, rank); break;
    case B_GT: loopBool(B_GT, a, b, o, rank); break;
    case B_GE: loopBool(B_GE, a, b, o, rank); break;
    case B_LOGICAL_AND: loopBool(B_LOGICAL_AND, a, b, o, rank); break;
    case B_LOGICAL_OR: loopBool(B_LOGICAL_OR, a, b, o, rank); break;
    case B_LOGICAL_XOR: loopBool(B_LOGICAL_XOR, a, b, o, rank); break;
  }
}
