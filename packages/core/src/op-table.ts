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
 * float16 and bfloat16 are in no class: they are storage dtypes, and core runs every primitive on
 * them through float32 (ops/primitives.ts, viaFloat32), so no kernel ever sees them.
 */
export const KIND_DTYPES = {
  /** Float32 in, float32 out. */
  float: {
    /** The dtypes a kernel of this kind takes. */
    dtypes: ['float32'],
    /** The WGSL element types it has an expression for. */
    wgsl: ['f32'],
  },
  /** Float32 or int32 in, same dtype out. */
  numeric: {
    /** The dtypes a kernel of this kind takes. */
    dtypes: ['float32', 'int32'],
    /** The WGSL element types it has an expression for. */
    wgsl: ['f32', 'i32'],
  },
  /** Bool in, bool out. */
  logical: {
    /** The dtypes a kernel of this kind takes. */
    dtypes: ['bool'],
    /** The WGSL element types it has an expression for. */
    wgsl: ['bool'],
  },
  /** Binary, float32 or int32 operands, same dtype out. */
  arith: {
    /** The dtypes a kernel of this kind takes. */
    dtypes: ['float32', 'int32'],
    /** The WGSL element types it has an expression for. */
    wgsl: ['f32', 'i32'],
  },
  /** Binary, float32 operands and out. */
  floatBinary: {
    /** The dtypes a kernel of this kind takes. */
    dtypes: ['float32'],
    /** The WGSL element types it has an expression for. */
    wgsl: ['f32'],
  },
  /** Binary, float32, int32 or bool operands, bool out. */
  compare: {
    /** The dtypes a kernel of this kind takes. */
    dtypes: ['float32', 'int32', 'bool'],
    /** The WGSL element types it has an expression for. */
    wgsl: ['f32', 'i32', 'bool'],
  },
} as const;

/** A dtype class of {@link KIND_DTYPES}. */
export type OpKind = keyof typeof KIND_DTYPES;
/** The dtype classes of unary ops. */
export type UnaryKind = 'float' | 'numeric' | 'logical';
/** The dtype classes of binary ops. */
export type BinaryKind = 'arith' | 'floatBinary' | 'compare' | 'logical';

/**
 * One table entry: the kind, a WGSL expression for each element type the kind takes, and `ref`,
 * the op's meaning in float64 JavaScript (`int` is true for int32 operands, whose result the
 * caller truncates). `ref` is what core's reference backend runs and what backend tests compare
 * kernels against, so a new op brings its own test oracle.
 */
export interface OpTableEntry<K extends OpKind, R> {
  /** The op's dtype class. */
  readonly kind: K;
  /** A WGSL expression of `x` (unary) or `a`, `b` (binary) for each element type of the kind. */
  readonly wgsl: { readonly [E in (typeof KIND_DTYPES)[K]['wgsl'][number]]: string };
  /** The op's meaning in float64 JavaScript: the reference backend and the kernel tests' oracle. */
  readonly ref: R;
}
/** A unary op's meaning in float64 JavaScript. */
export type UnaryRef = (x: number) => number;
/** A binary op's meaning in float64 JavaScript (`int`: int32 operands, the caller truncates). */
export type BinaryRef = (a: number, b: number, int: boolean) => number;
type Entries<K extends OpKind, R> = { [Kind in K]: OpTableEntry<Kind, R> }[K];

/** The Gauss error function in float64 (series near 0, continued fraction beyond). */
function erf(x: number): number {
  const t = Math.abs(x);
  if (Number.isNaN(x)) return x;
  if (t < 2.5) {
    let sum = 0, term = t, n = 0;
    while (Math.abs(term) > 1e-17 * Math.abs(sum) || n === 0) {
      sum += term / (2 * n + 1);
      n++;
      term *= (-t * t) / n;
      if (n > 200) break;
    }
    return Math.sign(x) * (2 / Math.sqrt(Math.PI)) * sum;
  }
  let f = 0;
  for (let k = 60; k >= 1; k--) f = (k / 2) / (t + f);
  return Math.sign(x) * (1 - Math.exp(-t * t) / Math.sqrt(Math.PI) / (t + f));
}

/** Round half to even, as torch.round. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Integer power with int32 wrap-around; a negative exponent gives 0 except for bases 1 and -1. */
function powI32(b: number, e: number): number {
  if (e < 0) return b === 1 ? 1 : b === -1 ? (e & 1 ? -1 : 1) : 0;
  let r = 1;
  for (let k = e; k; k >>>= 1, b = Math.imul(b, b)) if (k & 1) r = Math.imul(r, b);
  return r;
}

/** C's pow (PyTorch's): 1^y = 1 and (-1)^±Infinity = 1, where JavaScript's `**` gives NaN. */
const powC = (a: number, b: number): number => (a === 1 || (a === -1 && Math.abs(b) === Infinity) ? 1 : a ** b);

/** Python's `%` from the exact fmod: the result has the divisor's sign. */
function pyRemainder(a: number, b: number): number {
  const m = a % b;
  return m !== 0 && m < 0 !== b < 0 ? m + b : m;
}

/**
 * PyTorch's floor division of floats (`div_floor_floating`, ATen/native/BinaryOps.h): from the
 * exact `fmod`, so `floorDivide(a, b)` is consistent with `remainder` where `floor(a / b)` is not.
 */
function floorDivideFloat(a: number, b: number): number {
  if (b === 0) return a / b;
  const mod = a % b;
  let div = (a - mod) / b;
  if (mod !== 0 && (b < 0) !== (mod < 0)) div -= 1;
  if (div === 0) return Math.sign(a / b) * 0;
  let q = Math.floor(div);
  if (div - q > 0.5) q += 1;
  return q;
}

const cmp = (e: string): string => `select(0u, 1u, ${e})`;
// Float comparisons test NaN on the bits: a shader compiler may assume no NaN (Dawn on
// SwiftShader gives `x != x` false for NaN), and PyTorch's `x != x` is true for NaN.
const nan2 = '(isnan_(a) || isnan_(b))';
const compare = (e: string, f32: string, ref: (a: number, b: number) => boolean): OpTableEntry<'compare', BinaryRef> => ({
  kind: 'compare', wgsl: { f32: cmp(f32), i32: cmp(e), bool: cmp(e) }, ref: (a, b) => +ref(a, b),
});
const float = (f32: string, ref: UnaryRef): OpTableEntry<'float', UnaryRef> => ({ kind: 'float', wgsl: { f32 }, ref });
/** A table entry from its parts (typed as an Entry, so the API reference shows one entry type rather than each literal). */
const unaryEntry = <K extends UnaryKind>(kind: K, wgsl: OpTableEntry<K, UnaryRef>['wgsl'], ref: UnaryRef): OpTableEntry<K, UnaryRef> => ({ kind, wgsl, ref });
const binaryEntry = <K extends BinaryKind>(kind: K, wgsl: OpTableEntry<K, BinaryRef>['wgsl'], ref: BinaryRef): OpTableEntry<K, BinaryRef> => ({ kind, wgsl, ref });
const nanMax = (a: number, b: number): number => (Number.isNaN(a) || Number.isNaN(b) ? NaN : Math.max(a, b));
const nanMin = (a: number, b: number): number => (Number.isNaN(a) || Number.isNaN(b) ? NaN : Math.min(a, b));

/**
 * Element-wise functions of one argument, in kernel-code order. `out` has the input's dtype
 * except for `float` ops on integer inputs, which core converts to float32 first.
 */
export const UNARY_TABLE = {
  /** `neg` (see core's function of that name). */
  neg: unaryEntry('numeric', { f32: '-x', i32: '-x' }, (x) => -x),
  /** `abs` (see core's function of that name). */
  abs: unaryEntry('numeric', { f32: 'abs(x)', i32: 'abs(x)' }, Math.abs),
  // PyTorch 1.13's CPU kernel: (0 < x) - (x < 0), so sign(NaN) = 0.
  /** `sign` (see core's function of that name). */
  sign: unaryEntry('numeric', { f32: 'sign_(x)', i32: 'sign(x)' }, (x) => (x > 0 ? 1 : x < 0 ? -1 : 0)),
  // NaN propagates, as torch.relu.
  /** `relu` (see core's function of that name). */
  relu: unaryEntry('numeric', { f32: 'select(0.0, x, x > 0.0 || isnan_(x))', i32: 'max(x, 0)' }, (x) => (Number.isNaN(x) ? x : x > 0 ? x : 0)),
  // Rounding is the identity on integers; `round` rounds half to even, as PyTorch.
  /** `floor` (see core's function of that name). */
  floor: unaryEntry('numeric', { f32: 'floor(x)', i32: 'x' }, Math.floor),
  /** `ceil` (see core's function of that name). */
  ceil: unaryEntry('numeric', { f32: 'ceil(x)', i32: 'x' }, Math.ceil),
  /** `round` (see core's function of that name). */
  round: unaryEntry('numeric', { f32: 'round(x)', i32: 'x' }, roundHalfEven),
  /** `exp` (see core's function of that name). */
  exp: float('exp_(x)', Math.exp),
  /** `log` (see core's function of that name). */
  log: float('log_(x)', Math.log),
  /** `sqrt` (see core's function of that name). */
  sqrt: float('sqrt_(x)', Math.sqrt),
  /** `rsqrt` (see core's function of that name). */
  rsqrt: float('rsqrt_(x)', (x) => 1 / Math.sqrt(x)),
  /** `sin` (see core's function of that name). */
  sin: float('sin_(x)', Math.sin),
  /** `cos` (see core's function of that name). */
  cos: float('cos_(x)', Math.cos),
  /** `tanh` (see core's function of that name). */
  tanh: float('tanh_(x)', Math.tanh),
  /** `sigmoid` (see core's function of that name). */
  sigmoid: float('1.0 / (1.0 + exp_(-x))', (x) => 1 / (1 + Math.exp(-x))),
  /** `erf` (see core's function of that name). */
  erf: float('erf_(x)', erf),
  /** `log1p` (see core's function of that name). */
  log1p: float('log1p_(x)', Math.log1p),
  /** `expm1` (see core's function of that name). */
  expm1: float('expm1_(x)', Math.expm1),
  /** `reciprocal` (see core's function of that name). */
  reciprocal: float('1.0 / x', (x) => 1 / x),
  /** `logicalNot` (see core's function of that name). */
  logicalNot: unaryEntry('logical', { bool: '1u - x' }, (x) => (x ? 0 : 1)),
  /** `trunc` (see core's function of that name). */
  trunc: unaryEntry('numeric', { f32: 'trunc(x)', i32: 'x' }, Math.trunc),
  /** `tan` (see core's function of that name). */
  tan: float('tan_(x)', Math.tan),
  /** `asin` (see core's function of that name). */
  asin: float('asin_(x)', Math.asin),
  /** `acos` (see core's function of that name). */
  acos: float('acos_(x)', Math.acos),
  /** `atan` (see core's function of that name). */
  atan: float('atan_(x)', Math.atan),
  /** `sinh` (see core's function of that name). */
  sinh: float('sinh_(x)', Math.sinh),
  /** `cosh` (see core's function of that name). */
  cosh: float('cosh_(x)', Math.cosh),
  /** `asinh` (see core's function of that name). */
  asinh: float('asinh_(x)', Math.asinh),
  /** `acosh` (see core's function of that name). */
  acosh: float('acosh_(x)', Math.acosh),
  /** `atanh` (see core's function of that name). */
  atanh: float('atanh_(x)', Math.atanh),
  /** `log2` (see core's function of that name). */
  log2: float('log_(x) * 1.4426950408889634', Math.log2),
  /** `log10` (see core's function of that name). */
  log10: float('log_(x) * 0.4342944819032518', Math.log10),
  /** `exp2` (see core's function of that name). */
  exp2: float('exp2_(x)', (x) => 2 ** x),
} as const satisfies Record<string, Entries<UnaryKind, UnaryRef>>;

/**
 * Element-wise functions of two arguments, in kernel-code order; `a` and `b` always share a dtype.
 * maximum/minimum propagate NaN. remainder has the sign of the divisor (Python's `%`), fmod the
 * sign of the dividend (C's `fmod`). int32 remainder, fmod, floorDivide and truncDivide by 0 give
 * 0 where PyTorch raises ZeroDivisionError (a kernel cannot raise, and checking the divisor would
 * read it back from the device); int32 pow with a negative exponent gives 0 (1 for base 1, ±1 for -1).
 */
export const BINARY_TABLE = {
  /** `add` (see core's function of that name). */
  add: binaryEntry('arith', { f32: 'a + b', i32: 'a + b' }, (a, b) => a + b),
  /** `sub` (see core's function of that name). */
  sub: binaryEntry('arith', { f32: 'a - b', i32: 'a - b' }, (a, b) => a - b),
  /** `mul` (see core's function of that name). */
  mul: binaryEntry('arith', { f32: 'a * b', i32: 'a * b' }, (a, b, int) => (int ? Math.imul(a, b) : a * b)),
  /** `div` (see core's function of that name). */
  div: binaryEntry('floatBinary', { f32: 'a / b' }, (a, b) => a / b),
  /** `maximum` (see core's function of that name). */
  maximum: binaryEntry('arith', { f32: 'fmax_(a, b)', i32: 'max(a, b)' }, nanMax),
  /** `minimum` (see core's function of that name). */
  minimum: binaryEntry('arith', { f32: 'fmin_(a, b)', i32: 'min(a, b)' }, nanMin),
  /** `remainder` (see core's function of that name). */
  remainder: binaryEntry('arith', { f32: 'frem_(a, b)', i32: 'irem_(a, b)' }, (a, b, int) => (int && b === 0 ? 0 : pyRemainder(a, b))),
  /** `pow` (see core's function of that name). */
  pow: binaryEntry('arith', { f32: 'pow_(a, b)', i32: 'ipow_(a, b)' }, (a, b, int) => (int ? powI32(a, b) : powC(a, b))),
  /** `eq` (see core's function of that name). */
  eq: compare('a == b', `!${nan2} && a == b`, (a, b) => a === b),
  /** `ne` (see core's function of that name). */
  ne: compare('a != b', `${nan2} || a != b`, (a, b) => a !== b),
  /** `lt` (see core's function of that name). */
  lt: compare('a < b', `!${nan2} && a < b`, (a, b) => a < b),
  /** `le` (see core's function of that name). */
  le: compare('a <= b', `!${nan2} && a <= b`, (a, b) => a <= b),
  /** `gt` (see core's function of that name). */
  gt: compare('a > b', `!${nan2} && a > b`, (a, b) => a > b),
  /** `ge` (see core's function of that name). */
  ge: compare('a >= b', `!${nan2} && a >= b`, (a, b) => a >= b),
  /** `logicalAnd` (see core's function of that name). */
  logicalAnd: binaryEntry('logical', { bool: 'a & b' }, (a, b) => +(!!a && !!b)),
  /** `logicalOr` (see core's function of that name). */
  logicalOr: binaryEntry('logical', { bool: 'a | b' }, (a, b) => +(!!a || !!b)),
  /** `logicalXor` (see core's function of that name). */
  logicalXor: binaryEntry('logical', { bool: 'a ^ b' }, (a, b) => +(!!a !== !!b)),
  /** `atan2` (see core's function of that name). */
  atan2: binaryEntry('floatBinary', { f32: 'atan2_(a, b)' }, Math.atan2),
  /** `hypot` (see core's function of that name). */
  hypot: binaryEntry('floatBinary', { f32: 'hypot_(a, b)' }, (a, b) => Math.hypot(a, b)),
  /** `fmod` (see core's function of that name). */
  fmod: binaryEntry('arith', { f32: 'fmod_(a, b)', i32: 'ifmod_(a, b)' }, (a, b, int) => (int && b === 0 ? 0 : a % b)),
  /** `floorDivide` (see core's function of that name). */
  floorDivide: binaryEntry('arith', { f32: 'floordiv_(a, b)', i32: 'ifloordiv_(a, b)' }, (a, b, int) => (int ? (b === 0 ? 0 : Math.floor(a / b)) : floorDivideFloat(a, b))),
  /** `truncDivide` (see core's function of that name). */
  truncDivide: binaryEntry('arith', { f32: 'trunc(a / b)', i32: 'itruncdiv_(a, b)' }, (a, b, int) => (int && b === 0 ? 0 : Math.trunc(a / b))),
} as const satisfies Record<string, Entries<BinaryKind, BinaryRef>>;

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

/**
 * The kernel code of a unary op (its index in the table), or undefined for an unknown name.
 *
 * @example
 * ```ts
 * // For backends and code generators: an op's kernel code is its index in core's op table.
 * console.log(torch.unaryCode('exp') !== undefined, torch.unaryCode('nope'));   // true undefined
 * ```
 */
export const unaryCode = (op: string): number | undefined => UNARY_CODES.get(op);
/**
 * The kernel code of a binary op (its index in the table), or undefined for an unknown name.
 *
 * @example
 * ```ts
 * console.log(typeof torch.binaryCode('add'), torch.binaryCode('nope'));   // 'number' undefined
 * ```
 */
export const binaryCode = (op: string): number | undefined => BINARY_CODES.get(op);

/**
 * A unary op's meaning in float64 JavaScript (the table's `ref`).
 *
 * @example
 * ```ts
 * // The op's meaning in plain JavaScript (float64), what the kernels are tested against.
 * console.log(torch.unaryRef('exp')(1));   // 2.718281828459045
 * ```
 */
export const unaryRef = (op: UnaryOp): UnaryRef => UNARY_TABLE[op].ref;
/**
 * A binary op's meaning in float64 JavaScript; `int` for int32 operands (the caller truncates).
 *
 * @example
 * ```ts
 * const remainder = torch.binaryRef('remainder');
 * console.log(remainder(-5, 3, false));   // 1: Python's sign convention
 * ```
 */
export const binaryRef = (op: BinaryOp): BinaryRef => BINARY_TABLE[op].ref;

/**
 * The dtype class of an element-wise op.
 *
 * @example
 * ```ts
 * console.log(torch.opKind('unary', 'exp'), torch.opKind('binary', 'add'));   // the dtype classes: exp is float-only
 * ```
 */
export function opKind(family: 'unary', op: UnaryOp): UnaryKind;
export function opKind(family: 'binary', op: BinaryOp): BinaryKind;
export function opKind(family: 'unary' | 'binary', op: string): OpKind {
  return family === 'unary' ? UNARY_TABLE[op as UnaryOp].kind : BINARY_TABLE[op as BinaryOp].kind;
}

/**
 * The dtypes an op's kernel accepts (both operands share one).
 *
 * @example
 * ```ts
 * console.log(torch.kernelDtypes(torch.opKind('unary', 'exp')));   // ['float32']
 * ```
 */
export function kernelDtypes(kind: OpKind): readonly string[] {
  return KIND_DTYPES[kind].dtypes;
}

/**
 * The WGSL expression of an op for one element type, or undefined where its kind has none.
 *
 * @example
 * ```ts
 * // The WGSL expression the WebGPU backend generates for an op and element type.
 * console.log(torch.wgslExpr('unary', 'exp', 'f32'));
 * ```
 */
export function wgslExpr(family: 'unary' | 'binary', op: string, elem: WgslElem): string | undefined {
  const entry = family === 'unary' ? UNARY_TABLE[op as UnaryOp] : BINARY_TABLE[op as BinaryOp];
  return (entry?.wgsl as Partial<Record<WgslElem, string>> | undefined)?.[elem];
}
