// Element-wise functions of two arguments. Op codes follow BINARY_OPS in core's backend.ts.
// Rows whose operands are contiguous (or a broadcast scalar, stride 0) run a v128 body for the
// ops with a vector form; everything else runs the scalar loop with arbitrary byte strides.
import { rowsBegin, rowsNext, dimSize, stride, p0, p1, p2 } from './iter';

const ADD = 0, SUB = 1, MUL = 2, DIV = 3, MAXIMUM = 4, MINIMUM = 5, REMAINDER = 6, POW = 7;
const EQ = 8, NE = 9, LT = 10, LE = 11, GT = 12, GE = 13;
const AND = 14, OR = 15, XOR = 16;

// ---- float32 -------------------------------------------------------------------------------

@inline function arithF32(op: i32, a: f32, b: f32): f32 {
  switch (op) {
    case ADD: return a + b;
    case SUB: return a - b;
    case MUL: return a * b;
    case DIV: return a / b;
    case MAXIMUM: return max<f32>(a, b); // wasm f32.max propagates NaN, as torch.maximum
    case MINIMUM: return min<f32>(a, b);
    case REMAINDER: {
      // Python's %: the result has the divisor's sign (PyTorch's remainder).
      let m = a % b;
      if (m != 0 && (m < 0) != (b < 0)) m += b;
      return m;
    }
    case POW: return <f32>Math.pow(<f64>a, <f64>b);
  }
  return 0;
}

@inline function vectorF32(op: i32, a: v128, b: v128): v128 {
  switch (op) {
    case ADD: return f32x4.add(a, b);
    case SUB: return f32x4.sub(a, b);
    case MUL: return f32x4.mul(a, b);
    case DIV: return f32x4.div(a, b);
    case MAXIMUM: return f32x4.max(a, b);
    case MINIMUM: return f32x4.min(a, b);
  }
  return a;
}

@inline function cmp<T>(op: i32, a: T, b: T): u8 {
  switch (op) {
    case EQ: return a == b ? 1 : 0;
    case NE: return a != b ? 1 : 0;
    case LT: return a < b ? 1 : 0;
    case LE: return a <= b ? 1 : 0;
    case GT: return a > b ? 1 : 0;
    case GE: return a >= b ? 1 : 0;
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
    if (op < EQ) {
      if (op <= MINIMUM && so == 4) i = vectorRowF32(op, p0, sa, p1, sb, p2, n);
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
    case ADD: loopF32(ADD, a, b, o, rank); break;
    case SUB: loopF32(SUB, a, b, o, rank); break;
    case MUL: loopF32(MUL, a, b, o, rank); break;
    case DIV: loopF32(DIV, a, b, o, rank); break;
    case MAXIMUM: loopF32(MAXIMUM, a, b, o, rank); break;
    case MINIMUM: loopF32(MINIMUM, a, b, o, rank); break;
    case REMAINDER: loopF32(REMAINDER, a, b, o, rank); break;
    case POW: loopF32(POW, a, b, o, rank); break;
    case EQ: loopF32(EQ, a, b, o, rank); break;
    case NE: loopF32(NE, a, b, o, rank); break;
    case LT: loopF32(LT, a, b, o, rank); break;
    case LE: loopF32(LE, a, b, o, rank); break;
    case GT: loopF32(GT, a, b, o, rank); break;
    case GE: loopF32(GE, a, b, o, rank); break;
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
    case ADD: return a + b;
    case SUB: return a - b;
    case MUL: return a * b;
    case MAXIMUM: return a > b ? a : b;
    case MINIMUM: return a < b ? a : b;
    case REMAINDER: {
      if (b == 0) return 0; // the contract's choice (PyTorch raises)
      let m = a % b; // i32.rem_s: MIN % -1 is 0, no trap
      if (m != 0 && (m < 0) != (b < 0)) m += b;
      return m;
    }
    case POW: return powI32(a, b);
  }
  return 0;
}

@inline function vectorI32(op: i32, a: v128, b: v128): v128 {
  switch (op) {
    case ADD: return i32x4.add(a, b);
    case SUB: return i32x4.sub(a, b);
    case MUL: return i32x4.mul(a, b);
    case MAXIMUM: return i32x4.max_s(a, b);
    case MINIMUM: return i32x4.min_s(a, b);
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
    if (op < EQ) {
      if ((op <= MUL || op == MAXIMUM || op == MINIMUM) && so == 4) i = vectorRowI32(op, p0, sa, p1, sb, p2, n);
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
    case ADD: loopI32(ADD, a, b, o, rank); break;
    case SUB: loopI32(SUB, a, b, o, rank); break;
    case MUL: loopI32(MUL, a, b, o, rank); break;
    case MAXIMUM: loopI32(MAXIMUM, a, b, o, rank); break;
    case MINIMUM: loopI32(MINIMUM, a, b, o, rank); break;
    case REMAINDER: loopI32(REMAINDER, a, b, o, rank); break;
    case POW: loopI32(POW, a, b, o, rank); break;
    case EQ: loopI32(EQ, a, b, o, rank); break;
    case NE: loopI32(NE, a, b, o, rank); break;
    case LT: loopI32(LT, a, b, o, rank); break;
    case LE: loopI32(LE, a, b, o, rank); break;
    case GT: loopI32(GT, a, b, o, rank); break;
    case GE: loopI32(GE, a, b, o, rank); break;
  }
}

// ---- bool ----------------------------------------------------------------------------------

@inline function scalarBool(op: i32, a: u8, b: u8): u8 {
  switch (op) {
    case AND: return a & b;
    case OR: return a | b;
    case XOR: return a ^ b;
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
    case EQ: loopBool(EQ, a, b, o, rank); break;
    case NE: loopBool(NE, a, b, o, rank); break;
    case LT: loopBool(LT, a, b, o, rank); break;
    case LE: loopBool(LE, a, b, o, rank); break;
    case GT: loopBool(GT, a, b, o, rank); break;
    case GE: loopBool(GE, a, b, o, rank); break;
    case AND: loopBool(AND, a, b, o, rank); break;
    case OR: loopBool(OR, a, b, o, rank); break;
    case XOR: loopBool(XOR, a, b, o, rank); break;
  }
}
