// Element-wise functions of one argument. Op codes (U_*) are generated from core's op table
// (scripts/op-codes.mjs), which also fails the build when an op of the table has no case here.
// Each row runs a v128 body (when both operands are contiguous and the op has a vector form)
// and a scalar tail; the per-op loops come from inlining `rowF32` with a constant op.
import { erf64, roundEven } from './math';
import {
  U_NEG, U_ABS, U_SIGN, U_RELU, U_FLOOR, U_CEIL, U_ROUND, U_EXP, U_LOG, U_SQRT, U_RSQRT, U_SIN, U_COS, U_TANH, U_SIGMOID, U_ERF, U_LOG1P, U_EXPM1, U_RECIPROCAL,
  U_TRUNC, U_TAN, U_ASIN, U_ACOS, U_ATAN, U_SINH, U_COSH, U_ASINH, U_ACOSH, U_ATANH, U_LOG2, U_LOG10, U_EXP2,
} from './op-codes.generated';
import { rowsBegin, rowsNext, dimSize, stride, p0, p1 } from './iter';


@inline export function scalarF32(op: i32, x: f32): f32 {
  switch (op) {
    case U_NEG: return -x;
    case U_ABS: return Mathf.abs(x);
    case U_SIGN: return x > 0 ? 1.0 : x < 0 ? -1.0 : 0.0; // PyTorch 1.13's CPU kernel: (0 < x) - (x < 0), so sign(NaN) = 0
    case U_RELU: return max<f32>(x, 0.0); // NaN propagates, as torch.relu
    case U_FLOOR: return floor<f32>(x);
    case U_CEIL: return ceil<f32>(x);
    case U_ROUND: return roundEven(x);
    case U_EXP: return <f32>Math.exp(<f64>x);
    case U_LOG: return <f32>Math.log(<f64>x);
    case U_SQRT: return sqrt<f32>(x);
    case U_RSQRT: return <f32>(1.0 / Math.sqrt(<f64>x));
    case U_SIN: return <f32>Math.sin(<f64>x);
    case U_COS: return <f32>Math.cos(<f64>x);
    case U_TANH: return <f32>Math.tanh(<f64>x);
    case U_SIGMOID: return <f32>(1.0 / (1.0 + Math.exp(-<f64>x)));
    case U_ERF: return <f32>erf64(<f64>x);
    case U_LOG1P: return <f32>Math.log1p(<f64>x);
    case U_EXPM1: return <f32>Math.expm1(<f64>x);
    case U_RECIPROCAL: return <f32>(1.0 / x);
    case U_TRUNC: return trunc<f32>(x);
    case U_TAN: return <f32>Math.tan(<f64>x);
    case U_ASIN: return <f32>Math.asin(<f64>x);
    case U_ACOS: return <f32>Math.acos(<f64>x);
    case U_ATAN: return <f32>Math.atan(<f64>x);
    case U_SINH: return <f32>Math.sinh(<f64>x);
    case U_COSH: return <f32>Math.cosh(<f64>x);
    case U_ASINH: return <f32>Math.asinh(<f64>x);
    case U_ACOSH: return <f32>Math.acosh(<f64>x);
    case U_ATANH: return <f32>Math.atanh(<f64>x);
    case U_LOG2: return <f32>Math.log2(<f64>x);
    case U_LOG10: return <f32>Math.log10(<f64>x);
    case U_EXP2: return <f32>Math.pow(2.0, <f64>x);
  }
  return x;
}

@inline export function hasVectorF32(op: i32): bool {
  return op == U_NEG || op == U_ABS || op == U_RELU || op == U_FLOOR || op == U_CEIL || op == U_ROUND || op == U_SQRT || op == U_RECIPROCAL || op == U_TRUNC;
}

@inline export function vectorF32(op: i32, v: v128): v128 {
  switch (op) {
    case U_NEG: return f32x4.neg(v);
    case U_ABS: return f32x4.abs(v);
    case U_RELU: return f32x4.max(v, f32x4.splat(0));
    case U_FLOOR: return f32x4.floor(v);
    case U_CEIL: return f32x4.ceil(v);
    case U_ROUND: return f32x4.nearest(v);
    case U_SQRT: return f32x4.sqrt(v);
    case U_RECIPROCAL: return f32x4.div(f32x4.splat(1), v);
    case U_TRUNC: return f32x4.trunc(v);
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
    case U_NEG: loopF32(U_NEG, x, o, rank); break;
    case U_ABS: loopF32(U_ABS, x, o, rank); break;
    case U_SIGN: loopF32(U_SIGN, x, o, rank); break;
    case U_RELU: loopF32(U_RELU, x, o, rank); break;
    case U_FLOOR: loopF32(U_FLOOR, x, o, rank); break;
    case U_CEIL: loopF32(U_CEIL, x, o, rank); break;
    case U_ROUND: loopF32(U_ROUND, x, o, rank); break;
    case U_EXP: loopF32(U_EXP, x, o, rank); break;
    case U_LOG: loopF32(U_LOG, x, o, rank); break;
    case U_SQRT: loopF32(U_SQRT, x, o, rank); break;
    case U_RSQRT: loopF32(U_RSQRT, x, o, rank); break;
    case U_SIN: loopF32(U_SIN, x, o, rank); break;
    case U_COS: loopF32(U_COS, x, o, rank); break;
    case U_TANH: loopF32(U_TANH, x, o, rank); break;
    case U_SIGMOID: loopF32(U_SIGMOID, x, o, rank); break;
    case U_ERF: loopF32(U_ERF, x, o, rank); break;
    case U_LOG1P: loopF32(U_LOG1P, x, o, rank); break;
    case U_EXPM1: loopF32(U_EXPM1, x, o, rank); break;
    case U_RECIPROCAL: loopF32(U_RECIPROCAL, x, o, rank); break;
    case U_TRUNC: loopF32(U_TRUNC, x, o, rank); break;
    case U_TAN: loopF32(U_TAN, x, o, rank); break;
    case U_ASIN: loopF32(U_ASIN, x, o, rank); break;
    case U_ACOS: loopF32(U_ACOS, x, o, rank); break;
    case U_ATAN: loopF32(U_ATAN, x, o, rank); break;
    case U_SINH: loopF32(U_SINH, x, o, rank); break;
    case U_COSH: loopF32(U_COSH, x, o, rank); break;
    case U_ASINH: loopF32(U_ASINH, x, o, rank); break;
    case U_ACOSH: loopF32(U_ACOSH, x, o, rank); break;
    case U_ATANH: loopF32(U_ATANH, x, o, rank); break;
    case U_LOG2: loopF32(U_LOG2, x, o, rank); break;
    case U_LOG10: loopF32(U_LOG10, x, o, rank); break;
    case U_EXP2: loopF32(U_EXP2, x, o, rank); break;
  }
}

@inline function scalarI32(op: i32, x: i32): i32 {
  switch (op) {
    case U_NEG: return -x;
    case U_ABS: return x < 0 ? -x : x;
    case U_SIGN: return x > 0 ? 1 : x < 0 ? -1 : 0;
    case U_RELU: return x > 0 ? x : 0;
  }
  return x; // floor, ceil, round, trunc: identity on integers
}

@inline function vectorI32(op: i32, v: v128): v128 {
  switch (op) {
    case U_NEG: return i32x4.neg(v);
    case U_ABS: return i32x4.abs(v);
    case U_SIGN: return v128.or(i32x4.shr_s(v, 31), i32x4.shr_u(i32x4.neg(v), 31));
    case U_RELU: return i32x4.max_s(v, i32x4.splat(0));
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
    case U_NEG: loopI32(U_NEG, x, o, rank); break;
    case U_ABS: loopI32(U_ABS, x, o, rank); break;
    case U_SIGN: loopI32(U_SIGN, x, o, rank); break;
    case U_RELU: loopI32(U_RELU, x, o, rank); break;
    default: loopI32(U_FLOOR, x, o, rank); break;
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
