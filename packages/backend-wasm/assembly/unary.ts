// Element-wise functions of one argument. Op codes follow UNARY_OPS in core's backend.ts.
// Each row runs a v128 body (when both operands are contiguous and the op has a vector form)
// and a scalar tail; the per-op loops come from inlining `rowF32` with a constant op.
import { erf64, roundEven } from './math';
import { rowsBegin, rowsNext, dimSize, stride, p0, p1 } from './iter';

const NEG = 0, ABS = 1, SIGN = 2, RELU = 3, FLOOR = 4, CEIL = 5, ROUND = 6;
const EXP = 7, LOG = 8, SQRT = 9, RSQRT = 10, SIN = 11, COS = 12, TANH = 13, SIGMOID = 14, ERF = 15;
const LOG1P = 16, EXPM1 = 17, RECIPROCAL = 18;

@inline function scalarF32(op: i32, x: f32): f32 {
  switch (op) {
    case NEG: return -x;
    case ABS: return Mathf.abs(x);
    case SIGN: return x > 0 ? 1.0 : x < 0 ? -1.0 : 0.0; // PyTorch 1.13's CPU kernel: (0 < x) - (x < 0), so sign(NaN) = 0
    case RELU: return max<f32>(x, 0.0); // NaN propagates, as torch.relu
    case FLOOR: return floor<f32>(x);
    case CEIL: return ceil<f32>(x);
    case ROUND: return roundEven(x);
    case EXP: return <f32>Math.exp(<f64>x);
    case LOG: return <f32>Math.log(<f64>x);
    case SQRT: return sqrt<f32>(x);
    case RSQRT: return <f32>(1.0 / Math.sqrt(<f64>x));
    case SIN: return <f32>Math.sin(<f64>x);
    case COS: return <f32>Math.cos(<f64>x);
    case TANH: return <f32>Math.tanh(<f64>x);
    case SIGMOID: return <f32>(1.0 / (1.0 + Math.exp(-<f64>x)));
    case ERF: return <f32>erf64(<f64>x);
    case LOG1P: return <f32>Math.log1p(<f64>x);
    case EXPM1: return <f32>Math.expm1(<f64>x);
    case RECIPROCAL: return <f32>(1.0 / x);
  }
  return x;
}

@inline function hasVectorF32(op: i32): bool {
  return op == NEG || op == ABS || op == RELU || op == FLOOR || op == CEIL || op == ROUND || op == SQRT || op == RECIPROCAL;
}

@inline function vectorF32(op: i32, v: v128): v128 {
  switch (op) {
    case NEG: return f32x4.neg(v);
    case ABS: return f32x4.abs(v);
    case RELU: return f32x4.max(v, f32x4.splat(0));
    case FLOOR: return f32x4.floor(v);
    case CEIL: return f32x4.ceil(v);
    case ROUND: return f32x4.nearest(v);
    case SQRT: return f32x4.sqrt(v);
    case RECIPROCAL: return f32x4.div(f32x4.splat(1), v);
  }
  return v;
}

@inline function rowF32(op: i32, x: usize, sx: i32, o: usize, so: i32, n: i32): void {
  let i = 0;
  if (hasVectorF32(op) && sx == 4 && so == 4) {
    for (; i + 4 <= n; i += 4) {
      const at = <usize>i << 2;
      v128.store(o + at, vectorF32(op, v128.load(x + at)));
    }
  }
  for (; i < n; i++) store<f32>(o + <usize>(i * so), scalarF32(op, load<f32>(x + <usize>(i * sx))));
}

@inline function loopF32(op: i32, x: usize, o: usize, rank: i32): void {
  const rows = rowsBegin(rank, x, o, 0, 0);
  const n = dimSize(rank - 1), sx = stride(0, rank - 1), so = stride(1, rank - 1);
  for (let r = 0; r < rows; r++) {
    rowF32(op, p0, sx, p1, so, n);
    rowsNext(rank);
  }
}

/** float32 -> float32 for every float op. */
export function unaryF32(op: i32, x: usize, o: usize, rank: i32): void {
  switch (op) {
    case NEG: loopF32(NEG, x, o, rank); break;
    case ABS: loopF32(ABS, x, o, rank); break;
    case SIGN: loopF32(SIGN, x, o, rank); break;
    case RELU: loopF32(RELU, x, o, rank); break;
    case FLOOR: loopF32(FLOOR, x, o, rank); break;
    case CEIL: loopF32(CEIL, x, o, rank); break;
    case ROUND: loopF32(ROUND, x, o, rank); break;
    case EXP: loopF32(EXP, x, o, rank); break;
    case LOG: loopF32(LOG, x, o, rank); break;
    case SQRT: loopF32(SQRT, x, o, rank); break;
    case RSQRT: loopF32(RSQRT, x, o, rank); break;
    case SIN: loopF32(SIN, x, o, rank); break;
    case COS: loopF32(COS, x, o, rank); break;
    case TANH: loopF32(TANH, x, o, rank); break;
    case SIGMOID: loopF32(SIGMOID, x, o, rank); break;
    case ERF: loopF32(ERF, x, o, rank); break;
    case LOG1P: loopF32(LOG1P, x, o, rank); break;
    case EXPM1: loopF32(EXPM1, x, o, rank); break;
    case RECIPROCAL: loopF32(RECIPROCAL, x, o, rank); break;
  }
}

@inline function scalarI32(op: i32, x: i32): i32 {
  switch (op) {
    case NEG: return -x;
    case ABS: return x < 0 ? -x : x;
    case SIGN: return x > 0 ? 1 : x < 0 ? -1 : 0;
    case RELU: return x > 0 ? x : 0;
  }
  return x; // floor, ceil, round: identity on integers
}

@inline function vectorI32(op: i32, v: v128): v128 {
  switch (op) {
    case NEG: return i32x4.neg(v);
    case ABS: return i32x4.abs(v);
    case SIGN: return v128.or(i32x4.shr_s(v, 31), i32x4.shr_u(i32x4.neg(v), 31));
    case RELU: return i32x4.max_s(v, i32x4.splat(0));
  }
  return v;
}

@inline function loopI32(op: i32, x: usize, o: usize, rank: i32): void {
  const rows = rowsBegin(rank, x, o, 0, 0);
  const n = dimSize(rank - 1), sx = stride(0, rank - 1), so = stride(1, rank - 1);
  for (let r = 0; r < rows; r++) {
    const xp = p0, op_ = p1;
    let i = 0;
    if (sx == 4 && so == 4) {
      for (; i + 4 <= n; i += 4) {
        const at = <usize>i << 2;
        v128.store(op_ + at, vectorI32(op, v128.load(xp + at)));
      }
    }
    for (; i < n; i++) store<i32>(op_ + <usize>(i * so), scalarI32(op, load<i32>(xp + <usize>(i * sx))));
    rowsNext(rank);
  }
}

/** int32 -> int32: neg abs sign relu floor ceil round. */
export function unaryI32(op: i32, x: usize, o: usize, rank: i32): void {
  switch (op) {
    case NEG: loopI32(NEG, x, o, rank); break;
    case ABS: loopI32(ABS, x, o, rank); break;
    case SIGN: loopI32(SIGN, x, o, rank); break;
    case RELU: loopI32(RELU, x, o, rank); break;
    default: loopI32(FLOOR, x, o, rank); break;
  }
}

/** bool -> bool logicalNot. */
export function logicalNot(x: usize, o: usize, rank: i32): void {
  const rows = rowsBegin(rank, x, o, 0, 0);
  const n = dimSize(rank - 1), sx = stride(0, rank - 1), so = stride(1, rank - 1);
  for (let r = 0; r < rows; r++) {
    for (let i = 0; i < n; i++) store<u8>(p1 + <usize>(i * so), load<u8>(p0 + <usize>(i * sx)) == 0 ? 1 : 0);
    rowsNext(rank);
  }
}
