// Fused element-wise programs (core's fused-program.ts), run by an interpreter over blocks of
// BLOCK elements: every register is a block of 32-bit lanes in an area the caller passes, each
// instruction a SIMD loop over the block, so a chain's intermediates stay in L1 and memory is
// read and written once. The loops are built from the eager kernels' own element functions
// (unary.ts scalarF32/vectorF32, binary.ts arithF32/vectorF32), so a fused program gives the
// bits the same ops give one kernel at a time. bool registers hold lane masks (0 or all ones):
// comparisons, logical ops and `where` are then single v128 instructions.
//
// The program (i32 words at `prog`, written by src/program.ts):
//   0 nRegs  1 nInstrs  2 nInputs  3 nOutputs  4 rank  5 (unused)  6 nSlots  7 (unused)
//   8                  shape[rank], the iterated shape (coalesced over every operand)
//   then per input     mode, ptr, slot, strides[rank] (bytes)
//   then per instr     family, op (a const: its float32 bits), dst slot, a, b, c (registers)
//   then per output    dtype (0 float32, 1 bool), ptr, register
// The area (16-byte aligned): the registers' current block pointers (nRegs u32), then per input
// the address its slot was last filled from by a broadcast (a row's mean stays in its slot for
// the row's blocks), padded to 16 bytes, then nSlots slots of BLOCK lanes. Inputs are registers 0 .. nInputs - 1, instruction
// j defines register nInputs + j. Outputs are contiguous; an output may be an input's very view,
// since a block's outputs are stored after all its instructions have run.
import {
  U_NEG, U_ABS, U_SIGN, U_RELU, U_FLOOR, U_CEIL, U_ROUND, U_EXP, U_LOG, U_SQRT, U_RSQRT, U_SIN, U_COS, U_TANH, U_SIGMOID, U_ERF, U_LOG1P, U_EXPM1, U_RECIPROCAL,
  U_LOGICAL_NOT, U_TRUNC, U_TAN, U_ASIN, U_ACOS, U_ATAN, U_SINH, U_COSH, U_ASINH, U_ACOSH, U_ATANH, U_LOG2, U_LOG10, U_EXP2,
  B_ADD, B_SUB, B_MUL, B_DIV, B_MAXIMUM, B_MINIMUM, B_REMAINDER, B_POW, B_EQ, B_NE, B_LT, B_LE, B_GT, B_GE, B_LOGICAL_AND, B_LOGICAL_OR, B_LOGICAL_XOR,
  B_ATAN2, B_HYPOT, B_FMOD, B_FLOOR_DIVIDE, B_TRUNC_DIVIDE,
} from './op-codes.generated';
import { scalarF32, hasVectorF32 as unaryHasVector, vectorF32 as unaryVector } from './unary';
import { arithF32, hasVectorF32 as binaryHasVector, vectorF32 as binaryVector } from './binary';

/** Elements per block: 1 KiB a register, so a chain of a dozen live registers fits in L1. */
export const BLOCK: i32 = 256;
const BLOCK_BYTES: usize = <usize>BLOCK << 2;

// Input modes.
const DIRECT = 0; // float32, element i at ptr + 4i: full blocks are read in place
const GATHER_F32 = 1;
const GATHER_BOOL = 2;
const SPLAT_F32 = 3; // every stride 0: one value, filled once
const SPLAT_BOOL = 4;
const COPY_F32 = 5; // float32 gathered, always copied: its register is stored to an output too

// Instruction families.
const F_UNARY = 0; // float32 -> float32
const F_UNARY_MASK = 1; // bool -> bool
const F_BINARY = 2; // float32, float32 -> float32
const F_COMPARE = 3; // float32, float32 -> bool
const F_MASK = 4; // bool, bool -> bool
const F_WHERE = 5;
const F_CONST = 6;

const HEAD: usize = 8;
const INSTR_WORDS: usize = 6;
const OUTPUT_WORDS: usize = 3;
const INPUT_WORDS: usize = 3;

/**
 * One element of a float32 unary op, exactly as the eager kernel computes it (unary.ts's
 * scalarF32): what the modules generated per program (src/jit.ts) import for the ops that have
 * no v128 form, so that an op's meaning is not written a second time.
 */
export function unaryElementF32(op: i32, x: f32): f32 {
  return scalarF32(op, x);
}

/** One element of a float32 binary op (the arith and floatBinary classes), as binary.ts's arithF32. */
export function binaryElementF32(op: i32, a: f32, b: f32): f32 {
  return arithF32(op, a, b);
}

/** The block size, for the glue (it sizes the area). */
export function programBlock(): i32 {
  return BLOCK;
}

@inline function word(p: usize, i: usize): i32 {
  return load<i32>(p + (i << 2));
}

// ---- instruction loops over `n4` lanes (a multiple of 4, at most BLOCK) ----------------------

@inline function unaryLoop(op: i32, x: usize, d: usize, n4: i32): void {
  if (unaryHasVector(op)) {
    for (let i = 0; i < n4; i += 4) {
      const at = <usize>i << 2;
      v128.store(d + at, unaryVector(op, v128.load(x + at)));
    }
  } else {
    for (let i = 0; i < n4; i++) {
      const at = <usize>i << 2;
      store<f32>(d + at, scalarF32(op, load<f32>(x + at)));
    }
  }
}

/** float32 unary ops (every op of the float and numeric classes). */
function unaryBlock(op: i32, x: usize, d: usize, n4: i32): void {
  switch (op) {
    case U_NEG: unaryLoop(U_NEG, x, d, n4); break;
    case U_ABS: unaryLoop(U_ABS, x, d, n4); break;
    case U_SIGN: unaryLoop(U_SIGN, x, d, n4); break;
    case U_RELU: unaryLoop(U_RELU, x, d, n4); break;
    case U_FLOOR: unaryLoop(U_FLOOR, x, d, n4); break;
    case U_CEIL: unaryLoop(U_CEIL, x, d, n4); break;
    case U_ROUND: unaryLoop(U_ROUND, x, d, n4); break;
    case U_EXP: unaryLoop(U_EXP, x, d, n4); break;
    case U_LOG: unaryLoop(U_LOG, x, d, n4); break;
    case U_SQRT: unaryLoop(U_SQRT, x, d, n4); break;
    case U_RSQRT: unaryLoop(U_RSQRT, x, d, n4); break;
    case U_SIN: unaryLoop(U_SIN, x, d, n4); break;
    case U_COS: unaryLoop(U_COS, x, d, n4); break;
    case U_TANH: unaryLoop(U_TANH, x, d, n4); break;
    case U_SIGMOID: unaryLoop(U_SIGMOID, x, d, n4); break;
    case U_ERF: unaryLoop(U_ERF, x, d, n4); break;
    case U_LOG1P: unaryLoop(U_LOG1P, x, d, n4); break;
    case U_EXPM1: unaryLoop(U_EXPM1, x, d, n4); break;
    case U_RECIPROCAL: unaryLoop(U_RECIPROCAL, x, d, n4); break;
    case U_TRUNC: unaryLoop(U_TRUNC, x, d, n4); break;
    case U_TAN: unaryLoop(U_TAN, x, d, n4); break;
    case U_ASIN: unaryLoop(U_ASIN, x, d, n4); break;
    case U_ACOS: unaryLoop(U_ACOS, x, d, n4); break;
    case U_ATAN: unaryLoop(U_ATAN, x, d, n4); break;
    case U_SINH: unaryLoop(U_SINH, x, d, n4); break;
    case U_COSH: unaryLoop(U_COSH, x, d, n4); break;
    case U_ASINH: unaryLoop(U_ASINH, x, d, n4); break;
    case U_ACOSH: unaryLoop(U_ACOSH, x, d, n4); break;
    case U_ATANH: unaryLoop(U_ATANH, x, d, n4); break;
    case U_LOG2: unaryLoop(U_LOG2, x, d, n4); break;
    case U_LOG10: unaryLoop(U_LOG10, x, d, n4); break;
    case U_EXP2: unaryLoop(U_EXP2, x, d, n4); break;
  }
}

/** A bool unary op on four mask lanes. */
@inline function logicalVector(op: i32, v: v128): v128 {
  switch (op) {
    case U_LOGICAL_NOT: return v128.not(v);
  }
  return v;
}

@inline function logicalLoop(op: i32, x: usize, d: usize, n4: i32): void {
  for (let i = 0; i < n4; i += 4) {
    const at = <usize>i << 2;
    v128.store(d + at, logicalVector(op, v128.load(x + at)));
  }
}

/** bool unary ops on masks. */
function logicalBlock(op: i32, x: usize, d: usize, n4: i32): void {
  switch (op) {
    case U_LOGICAL_NOT: logicalLoop(U_LOGICAL_NOT, x, d, n4); break;
  }
}

@inline function binaryLoop(op: i32, a: usize, b: usize, d: usize, n4: i32): void {
  if (binaryHasVector(op)) {
    for (let i = 0; i < n4; i += 4) {
      const at = <usize>i << 2;
      v128.store(d + at, binaryVector(op, v128.load(a + at), v128.load(b + at)));
    }
  } else {
    for (let i = 0; i < n4; i++) {
      const at = <usize>i << 2;
      store<f32>(d + at, arithF32(op, load<f32>(a + at), load<f32>(b + at)));
    }
  }
}

/** float32 arithmetic (the arith and floatBinary classes). */
function binaryBlock(op: i32, a: usize, b: usize, d: usize, n4: i32): void {
  switch (op) {
    case B_ADD: binaryLoop(B_ADD, a, b, d, n4); break;
    case B_SUB: binaryLoop(B_SUB, a, b, d, n4); break;
    case B_MUL: binaryLoop(B_MUL, a, b, d, n4); break;
    case B_DIV: binaryLoop(B_DIV, a, b, d, n4); break;
    case B_MAXIMUM: binaryLoop(B_MAXIMUM, a, b, d, n4); break;
    case B_MINIMUM: binaryLoop(B_MINIMUM, a, b, d, n4); break;
    case B_REMAINDER: binaryLoop(B_REMAINDER, a, b, d, n4); break;
    case B_POW: binaryLoop(B_POW, a, b, d, n4); break;
    case B_ATAN2: binaryLoop(B_ATAN2, a, b, d, n4); break;
    case B_HYPOT: binaryLoop(B_HYPOT, a, b, d, n4); break;
    case B_FMOD: binaryLoop(B_FMOD, a, b, d, n4); break;
    case B_FLOOR_DIVIDE: binaryLoop(B_FLOOR_DIVIDE, a, b, d, n4); break;
    case B_TRUNC_DIVIDE: binaryLoop(B_TRUNC_DIVIDE, a, b, d, n4); break;
  }
}

/** A float32 comparison of four lanes as a mask: IEEE comparisons, as the scalar kernel's. */
@inline function compareVector(op: i32, a: v128, b: v128): v128 {
  switch (op) {
    case B_EQ: return f32x4.eq(a, b);
    case B_NE: return f32x4.ne(a, b);
    case B_LT: return f32x4.lt(a, b);
    case B_LE: return f32x4.le(a, b);
    case B_GT: return f32x4.gt(a, b);
    case B_GE: return f32x4.ge(a, b);
  }
  return a;
}

@inline function compareLoop(op: i32, a: usize, b: usize, d: usize, n4: i32): void {
  for (let i = 0; i < n4; i += 4) {
    const at = <usize>i << 2;
    v128.store(d + at, compareVector(op, v128.load(a + at), v128.load(b + at)));
  }
}

/** float32 comparisons, giving masks. */
function compareBlock(op: i32, a: usize, b: usize, d: usize, n4: i32): void {
  switch (op) {
    case B_EQ: compareLoop(B_EQ, a, b, d, n4); break;
    case B_NE: compareLoop(B_NE, a, b, d, n4); break;
    case B_LT: compareLoop(B_LT, a, b, d, n4); break;
    case B_LE: compareLoop(B_LE, a, b, d, n4); break;
    case B_GT: compareLoop(B_GT, a, b, d, n4); break;
    case B_GE: compareLoop(B_GE, a, b, d, n4); break;
  }
}

/** bool ops on masks; comparisons order false below true, as the u8 kernel does on 0 and 1. */
@inline function maskVector(op: i32, a: v128, b: v128): v128 {
  switch (op) {
    case B_LOGICAL_AND: return v128.and(a, b);
    case B_LOGICAL_OR: return v128.or(a, b);
    case B_LOGICAL_XOR: return v128.xor(a, b);
    case B_EQ: return v128.not(v128.xor(a, b));
    case B_NE: return v128.xor(a, b);
    case B_LT: return v128.andnot(b, a); // !a && b
    case B_LE: return v128.or(v128.not(a), b);
    case B_GT: return v128.andnot(a, b); // a && !b
    case B_GE: return v128.or(a, v128.not(b));
  }
  return a;
}

@inline function maskLoop(op: i32, a: usize, b: usize, d: usize, n4: i32): void {
  for (let i = 0; i < n4; i += 4) {
    const at = <usize>i << 2;
    v128.store(d + at, maskVector(op, v128.load(a + at), v128.load(b + at)));
  }
}

/** bool binary ops: the logical class and comparisons of bools. */
function maskBlock(op: i32, a: usize, b: usize, d: usize, n4: i32): void {
  switch (op) {
    case B_LOGICAL_AND: maskLoop(B_LOGICAL_AND, a, b, d, n4); break;
    case B_LOGICAL_OR: maskLoop(B_LOGICAL_OR, a, b, d, n4); break;
    case B_LOGICAL_XOR: maskLoop(B_LOGICAL_XOR, a, b, d, n4); break;
    case B_EQ: maskLoop(B_EQ, a, b, d, n4); break;
    case B_NE: maskLoop(B_NE, a, b, d, n4); break;
    case B_LT: maskLoop(B_LT, a, b, d, n4); break;
    case B_LE: maskLoop(B_LE, a, b, d, n4); break;
    case B_GT: maskLoop(B_GT, a, b, d, n4); break;
    case B_GE: maskLoop(B_GE, a, b, d, n4); break;
  }
}

/** `where`: the branches' bits moved as they are, as the eager kernel moves them. */
function whereBlock(c: usize, a: usize, b: usize, d: usize, n4: i32): void {
  for (let i = 0; i < n4; i += 4) {
    const at = <usize>i << 2;
    v128.store(d + at, v128.bitselect(v128.load(a + at), v128.load(b + at), v128.load(c + at)));
  }
}

// ---- loading inputs and storing outputs ----------------------------------------------------

@inline function splat(d: usize, v: v128): void {
  for (let i: usize = 0; i < BLOCK_BYTES; i += 16) v128.store(d + i, v);
}

@inline function maskOf(byte: u8): i32 {
  return byte != 0 ? -1 : 0;
}

/** `k` elements from `src` (byte stride `st`) into lanes of `d`: float32 bits, or bool masks. */
function segment(src: usize, st: i32, d: usize, k: i32, isBool: bool): void {
  let i = 0;
  if (!isBool) {
    if (st == 4) {
      memory.copy(d, src, <usize>k << 2);
      return;
    }
    if (st == 0) {
      const v = load<i32>(src);
      const vv = i32x4.splat(v);
      for (; i + 4 <= k; i += 4) v128.store(d + (<usize>i << 2), vv);
      for (; i < k; i++) store<i32>(d + (<usize>i << 2), v);
      return;
    }
    for (; i < k; i++) store<i32>(d + (<usize>i << 2), load<i32>(src + <usize>(i * st)));
    return;
  }
  if (st == 1) {
    // 16 bytes at a time: 0/1 bytes to 0/-1 bytes, sign-extended to four lanes of masks.
    for (; i + 16 <= k; i += 16) {
      const m = i8x16.ne(v128.load(src + <usize>i), i8x16.splat(0));
      const lo = i16x8.extend_low_i8x16_s(m), hi = i16x8.extend_high_i8x16_s(m);
      const at = d + (<usize>i << 2);
      v128.store(at, i32x4.extend_low_i16x8_s(lo));
      v128.store(at + 16, i32x4.extend_high_i16x8_s(lo));
      v128.store(at + 32, i32x4.extend_low_i16x8_s(hi));
      v128.store(at + 48, i32x4.extend_high_i16x8_s(hi));
    }
  }
  for (; i < k; i++) store<i32>(d + (<usize>i << 2), maskOf(load<u8>(src + <usize>(i * st))));
}

/** The byte offset of element `e` of an input laid out over `shape` with byte `strides`. */
@inline function offsetOf(shapeAt: usize, stridesAt: usize, rank: i32, e: i32): i32 {
  let rest = e, off = 0;
  for (let dim = rank - 1; dim >= 0; dim--) {
    const size = word(shapeAt, <usize>dim);
    const q = rest / size;
    off += (rest - q * size) * word(stridesAt, <usize>dim);
    rest = q;
  }
  return off;
}

/**
 * The block of a gathered input: a pointer to its lanes. A block inside one row of a float32
 * input is read in place when the row is contiguous (a bias or a LayerNorm weight, broadcast
 * over rows), and filled only when its value changes when the row is a broadcast (a row's mean
 * or scale, stride 0): `lastAt` keeps where the slot was last filled from. Otherwise the block
 * is gathered into the slot `d`.
 */
function blockOf(
  mode: i32, ptr: usize, shapeAt: usize, stridesAt: usize, rank: i32, s: i32, len: i32, d: usize, lastAt: usize,
): usize {
  const last = <usize>(rank - 1);
  const inner = word(shapeAt, last), st = word(stridesAt, last);
  if (mode == GATHER_F32 && s % inner + len <= inner) {
    const src = ptr + <usize>offsetOf(shapeAt, stridesAt, rank, s);
    // In place only when no lane past the block is read (the last block may be partial).
    if (st == 4 && (len & 3) == 0) return src;
    if (st == 0) {
      if (load<u32>(lastAt) != <u32>src) {
        splat(d, v128.load32_splat(src));
        store<u32>(lastAt, <u32>src);
      }
      return d;
    }
  }
  store<u32>(lastAt, 0);
  gather(ptr, shapeAt, stridesAt, rank, s, len, d, mode == GATHER_BOOL);
  return d;
}

/**
 * Elements [s, s + len) of an input laid out over `shape` (rank dims, at `shapeAt`) with the byte
 * strides at `stridesAt`, into the lanes of `d`: one segment per (part of a) row.
 */
function gather(ptr: usize, shapeAt: usize, stridesAt: usize, rank: i32, s: i32, len: i32, d: usize, isBool: bool): void {
  const last = <usize>(rank - 1);
  const inner = word(shapeAt, last), st = word(stridesAt, last);
  const end = s + len;
  let e = s, lane = 0;
  while (e < end) {
    let rest = e, off = 0, col = 0;
    for (let dim = rank - 1; dim >= 0; dim--) {
      const size = word(shapeAt, <usize>dim);
      const q = rest / size, at = rest - q * size;
      if (dim == rank - 1) col = at;
      off += at * word(stridesAt, <usize>dim);
      rest = q;
    }
    const k = min(inner - col, end - e);
    segment(ptr + <usize>off, st, d + (<usize>lane << 2), k, isBool);
    e += k;
    lane += k;
  }
}

/** `len` mask lanes of `src` as 0/1 bytes at `o`. */
function storeBool(src: usize, o: usize, len: i32): void {
  let i = 0;
  const one = i8x16.splat(1);
  for (; i + 16 <= len; i += 16) {
    const at = src + (<usize>i << 2);
    const lo = i16x8.narrow_i32x4_s(v128.load(at), v128.load(at + 16));
    const hi = i16x8.narrow_i32x4_s(v128.load(at + 32), v128.load(at + 48));
    v128.store(o + <usize>i, v128.and(i8x16.narrow_i16x8_s(lo, hi), one));
  }
  for (; i < len; i++) store<u8>(o + <usize>i, <u8>(load<i32>(src + (<usize>i << 2)) & 1));
}

// ---- the interpreter -------------------------------------------------------------------------

/**
 * Runs the program at `prog` over elements [from, to) (`from` a multiple of BLOCK unless it is
 * the only block), with `area` as its registers (see the header). Parts of one program on
 * disjoint ranges may run at once, each with its own area.
 */
export function elementwise(prog: usize, area: usize, from: i32, to: i32): void {
  const nRegs = word(prog, 0), nInstrs = word(prog, 1), nInputs = word(prog, 2), nOutputs = word(prog, 3);
  const rank = word(prog, 4);
  const shapeAt = prog + (HEAD << 2);
  const inputWords = INPUT_WORDS + <usize>rank;
  const inputsAt = shapeAt + (<usize>rank << 2);
  const instrsAt = inputsAt + ((<usize>nInputs * inputWords) << 2);
  const outputsAt = instrsAt + ((<usize>nInstrs * INSTR_WORDS) << 2);
  const lastAt = area + (<usize>nRegs << 2);
  const slots = area + ((<usize>(nRegs + nInputs) * 4 + 15) & ~15);

  // Registers that hold one value throughout: constants and inputs broadcast over every dim.
  for (let k = 0; k < nInputs; k++) {
    const at = inputsAt + ((<usize>k * inputWords) << 2);
    const mode = word(at, 0), ptr = <usize>word(at, 1), slot = slots + <usize>word(at, 2) * BLOCK_BYTES;
    store<u32>(area + (<usize>k << 2), <u32>slot);
    store<u32>(lastAt + (<usize>k << 2), 0);
    if (mode == SPLAT_F32) splat(slot, v128.load32_splat(ptr));
    else if (mode == SPLAT_BOOL) splat(slot, i32x4.splat(maskOf(load<u8>(ptr))));
  }
  for (let j = 0; j < nInstrs; j++) {
    const at = instrsAt + ((<usize>j * INSTR_WORDS) << 2);
    const slot = slots + <usize>word(at, 2) * BLOCK_BYTES;
    store<u32>(area + (<usize>(nInputs + j) << 2), <u32>slot);
    if (word(at, 0) == F_CONST) splat(slot, i32x4.splat(word(at, 1)));
  }

  for (let s = from; s < to; s += BLOCK) {
    const len = min(BLOCK, to - s);
    const n4 = (len + 3) & ~3;
    for (let k = 0; k < nInputs; k++) {
      const at = inputsAt + ((<usize>k * inputWords) << 2);
      const mode = word(at, 0), ptr = <usize>word(at, 1), slot = slots + <usize>word(at, 2) * BLOCK_BYTES;
      if (mode == DIRECT) {
        if (len == BLOCK) {
          store<u32>(area + (<usize>k << 2), <u32>(ptr + (<usize>s << 2)));
        } else {
          // The last, partial block: copied, so that no lane past the input's end is read.
          memory.copy(slot, ptr + (<usize>s << 2), <usize>len << 2);
          store<u32>(area + (<usize>k << 2), <u32>slot);
        }
      } else if (mode == GATHER_F32 || mode == GATHER_BOOL || mode == COPY_F32) {
        const p = blockOf(mode, ptr, shapeAt, at + (INPUT_WORDS << 2), rank, s, len, slot, lastAt + (<usize>k << 2));
        store<u32>(area + (<usize>k << 2), <u32>p);
      }
    }
    for (let j = 0; j < nInstrs; j++) {
      const at = instrsAt + ((<usize>j * INSTR_WORDS) << 2);
      const family = word(at, 0), op = word(at, 1);
      const d = slots + <usize>word(at, 2) * BLOCK_BYTES;
      const a = <usize>load<u32>(area + (<usize>word(at, 3) << 2));
      const b = <usize>load<u32>(area + (<usize>word(at, 4) << 2));
      const c = <usize>load<u32>(area + (<usize>word(at, 5) << 2));
      switch (family) {
        case F_UNARY: unaryBlock(op, a, d, n4); break;
        case F_UNARY_MASK: logicalBlock(op, a, d, n4); break;
        case F_BINARY: binaryBlock(op, a, b, d, n4); break;
        case F_COMPARE: compareBlock(op, a, b, d, n4); break;
        case F_MASK: maskBlock(op, a, b, d, n4); break;
        case F_WHERE: whereBlock(a, b, c, d, n4); break;
      }
    }
    for (let k = 0; k < nOutputs; k++) {
      const at = outputsAt + ((<usize>k * OUTPUT_WORDS) << 2);
      const src = <usize>load<u32>(area + (<usize>word(at, 2) << 2));
      const ptr = <usize>word(at, 1);
      if (word(at, 0) == 0) memory.copy(ptr + (<usize>s << 2), src, <usize>len << 2);
      else storeBool(src, ptr + <usize>s, len);
    }
  }
}
