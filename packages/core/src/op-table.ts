/**
 * The element-wise op table: the one place each unary and binary primitive's facts live.
 *
 * - The op's **name** is the key, shared by core, autograd (`RULES`) and every backend.
 * - Its **kind** says which dtypes the kernel takes and what it returns ({@link KIND_DTYPES}).
 * - Its **kernel code** is its index in the table ({@link unaryCode}, {@link binaryCode}); the
 *   wasm build generates the AssemblyScript constants from this file and fails when a code has
 *   no case in the kernels' switches (backend-wasm/scripts/op-codes.mjs).
 * - Its **WGSL** expression per element type is written here, so the WebGPU backend has no table
 *   of its own to forget (`x`, or `a` and `b`, is the loaded element: f32, i32, or u32 0/1 for
 *   bool; names ending in `_` are helpers of backend-webgpu's `wgsl.ts` prelude).
 * - Its **gradient rule** is `RULES[name]` in @torchlet/autograd, typed over these names, so a
 *   primitive without a rule does not compile.
 *
 * Adding a unary op therefore touches this entry, its AssemblyScript case, its gradient rule and
 * its public function (ops/math.ts); the Tensor method comes from the entry (tensor.ts installs
 * one per unary op), and each missing step is a compile or build error.
 */

/** The WGSL element types: float32 computes in f32, int32 in i32, bool in u32 0/1. */
export type WgslElem = 'f32' | 'i32' | 'bool';

/**
 * Dtype classes of the element-wise kernels: the dtypes a kernel of each kind takes, and the WGSL
 * element types it has an expression for.
 * - `float`: float32 in, float32 out (core converts integer and bool inputs first, as PyTorch).
 * - `numeric`: float32 or int32 in, same dtype out (bool computes as int32).
 * - `logical`: bool in, bool out.
 * - `arith`: binary, float32 or int32 operands, same dtype out (bool computes as int32).
 * - `floatBinary`: binary, float32 operands and out (core converts integers first).
 * - `compare`: binary, float32, int32 or bool operands, bool out.
 */
export const KIND_DTYPES = {
  float: { dtypes: ['float32'], wgsl: ['f32'] },
  numeric: { dtypes: ['float32', 'int32'], wgsl: ['f32', 'i32'] },
  logical: { dtypes: ['bool'], wgsl: ['bool'] },
  arith: { dtypes: ['float32', 'int32'], wgsl: ['f32', 'i32'] },
  floatBinary: { dtypes: ['float32'], wgsl: ['f32'] },
  compare: { dtypes: ['float32', 'int32', 'bool'], wgsl: ['f32', 'i32', 'bool'] },
} as const;

/** A dtype class of {@link KIND_DTYPES}. */
export type OpKind = keyof typeof KIND_DTYPES;
type UnaryKind = 'float' | 'numeric' | 'logical';
type BinaryKind = 'arith' | 'floatBinary' | 'compare' | 'logical';

/** One table entry: the kind and a WGSL expression for each element type the kind takes. */
interface Entry<K extends OpKind> {
  readonly kind: K;
  readonly wgsl: { readonly [E in (typeof KIND_DTYPES)[K]['wgsl'][number]]: string };
}
type Entries<K extends OpKind> = { [Kind in K]: Entry<Kind> }[K];

const cmp = (e: string): string => `select(0u, 1u, ${e})`;
// Float comparisons test NaN on the bits: a shader compiler may assume no NaN (Dawn on
// SwiftShader gives `x != x` false for NaN), and PyTorch's `x != x` is true for NaN.
const nan2 = '(isnan_(a) || isnan_(b))';
const compare = (e: string, f32: string): Entry<'compare'> => ({ kind: 'compare', wgsl: { f32: cmp(f32), i32: cmp(e), bool: cmp(e) } });
const float = (f32: string): Entry<'float'> => ({ kind: 'float', wgsl: { f32 } });

/**
 * Element-wise functions of one argument, in kernel-code order. `out` has the input's dtype
 * except for `float` ops on integer inputs, which core converts to float32 first.
 */
export const UNARY_TABLE = {
  neg: { kind: 'numeric', wgsl: { f32: '-x', i32: '-x' } },
  abs: { kind: 'numeric', wgsl: { f32: 'abs(x)', i32: 'abs(x)' } },
  // PyTorch 1.13's CPU kernel: (0 < x) - (x < 0), so sign(NaN) = 0.
  sign: { kind: 'numeric', wgsl: { f32: 'sign_(x)', i32: 'sign(x)' } },
  // NaN propagates, as torch.relu.
  relu: { kind: 'numeric', wgsl: { f32: 'select(0.0, x, x > 0.0 || isnan_(x))', i32: 'max(x, 0)' } },
  // Rounding is the identity on integers; `round` rounds half to even, as PyTorch.
  floor: { kind: 'numeric', wgsl: { f32: 'floor(x)', i32: 'x' } },
  ceil: { kind: 'numeric', wgsl: { f32: 'ceil(x)', i32: 'x' } },
  round: { kind: 'numeric', wgsl: { f32: 'round(x)', i32: 'x' } },
  exp: float('exp(x)'),
  log: float('log_(x)'),
  sqrt: float('sqrt_(x)'),
  rsqrt: float('rsqrt_(x)'),
  sin: float('sin_(x)'),
  cos: float('cos_(x)'),
  tanh: float('tanh_(x)'),
  sigmoid: float('1.0 / (1.0 + exp(-x))'),
  erf: float('erf_(x)'),
  log1p: float('log1p_(x)'),
  expm1: float('expm1_(x)'),
  reciprocal: float('1.0 / x'),
  logicalNot: { kind: 'logical', wgsl: { bool: '1u - x' } },
} as const satisfies Record<string, Entries<UnaryKind>>;

/**
 * Element-wise functions of two arguments, in kernel-code order; `a` and `b` always share a dtype.
 * maximum/minimum propagate NaN. remainder has the sign of the divisor (Python's `%`); int32
 * remainder by 0 gives 0. int32 pow with a negative exponent gives 0 (1 for base 1, ±1 for -1).
 */
export const BINARY_TABLE = {
  add: { kind: 'arith', wgsl: { f32: 'a + b', i32: 'a + b' } },
  sub: { kind: 'arith', wgsl: { f32: 'a - b', i32: 'a - b' } },
  mul: { kind: 'arith', wgsl: { f32: 'a * b', i32: 'a * b' } },
  div: { kind: 'floatBinary', wgsl: { f32: 'a / b' } },
  maximum: { kind: 'arith', wgsl: { f32: 'fmax_(a, b)', i32: 'max(a, b)' } },
  minimum: { kind: 'arith', wgsl: { f32: 'fmin_(a, b)', i32: 'min(a, b)' } },
  remainder: { kind: 'arith', wgsl: { f32: 'frem_(a, b)', i32: 'irem_(a, b)' } },
  pow: { kind: 'arith', wgsl: { f32: 'pow_(a, b)', i32: 'ipow_(a, b)' } },
  eq: compare('a == b', `!${nan2} && a == b`),
  ne: compare('a != b', `${nan2} || a != b`),
  lt: compare('a < b', `!${nan2} && a < b`),
  le: compare('a <= b', `!${nan2} && a <= b`),
  gt: compare('a > b', `!${nan2} && a > b`),
  ge: compare('a >= b', `!${nan2} && a >= b`),
  logicalAnd: { kind: 'logical', wgsl: { bool: 'a & b' } },
  logicalOr: { kind: 'logical', wgsl: { bool: 'a | b' } },
  logicalXor: { kind: 'logical', wgsl: { bool: 'a ^ b' } },
} as const satisfies Record<string, Entries<BinaryKind>>;

/** The name of an element-wise function of one argument ({@link UNARY_TABLE}). */
export type UnaryOp = keyof typeof UNARY_TABLE;
/** The name of an element-wise function of two arguments ({@link BINARY_TABLE}). */
export type BinaryOp = keyof typeof BINARY_TABLE;
/** The unary ops whose kernel takes float32 only ({@link KIND_DTYPES} `float`). */
export type FloatUnaryOp = { [P in UnaryOp]: (typeof UNARY_TABLE)[P]['kind'] extends 'float' ? P : never }[UnaryOp];

/** Every {@link UnaryOp}, in kernel-code order. */
export const UNARY_OPS = Object.keys(UNARY_TABLE) as readonly UnaryOp[];
/** Every {@link BinaryOp}, in kernel-code order. */
export const BINARY_OPS = Object.keys(BINARY_TABLE) as readonly BinaryOp[];

const UNARY_CODES = new Map<string, number>(UNARY_OPS.map((op, i) => [op, i]));
const BINARY_CODES = new Map<string, number>(BINARY_OPS.map((op, i) => [op, i]));

/** The kernel code of a unary op (its index in the table), or undefined for an unknown name. */
export const unaryCode = (op: string): number | undefined => UNARY_CODES.get(op);
/** The kernel code of a binary op (its index in the table), or undefined for an unknown name. */
export const binaryCode = (op: string): number | undefined => BINARY_CODES.get(op);

/** The dtype class of an element-wise op. */
export function opKind(family: 'unary', op: UnaryOp): UnaryKind;
export function opKind(family: 'binary', op: BinaryOp): BinaryKind;
export function opKind(family: 'unary' | 'binary', op: string): OpKind {
  return family === 'unary' ? UNARY_TABLE[op as UnaryOp].kind : BINARY_TABLE[op as BinaryOp].kind;
}

/** The dtypes an op's kernel accepts (both operands share one). */
export function kernelDtypes(kind: OpKind): readonly string[] {
  return KIND_DTYPES[kind].dtypes;
}

/**
 * The WGSL expression of an op for one element type, or undefined where its kind has none.
 */
export function wgslExpr(family: 'unary' | 'binary', op: string, elem: WgslElem): string | undefined {
  const entry = family === 'unary' ? UNARY_TABLE[op as UnaryOp] : BINARY_TABLE[op as BinaryOp];
  return (entry?.wgsl as Partial<Record<WgslElem, string>> | undefined)?.[elem];
}
