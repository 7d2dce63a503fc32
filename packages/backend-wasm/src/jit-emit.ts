// A small WebAssembly binary emitter: the opcodes the generated fused-program modules use
// (src/jit.ts), the LEB128 encodings and the sections of a one-function module. No dependency:
// the binary format is simple enough to write directly (WebAssembly core spec, section 5, and the
// fixed-width SIMD proposal's opcode table).

/**
 * A v128 expression as the kernels write an op's vector form (scripts/op-codes.mjs reads them
 * from assembly/): an operand's index, a float32 constant in every lane, or an instruction
 * applied to operands.
 */
export type SimdExpr = number | { readonly f32: number } | readonly [string, ...SimdExpr[]];

/** Value types. */
export const I32 = 0x7f, F32 = 0x7d, F64 = 0x7c, V128 = 0x7b;

/** Core instructions. */
export const OP = {
  block: 0x02, loop: 0x03, if: 0x04, end: 0x0b, br: 0x0c, brIf: 0x0d, call: 0x10, select: 0x1b,
  localGet: 0x20, localSet: 0x21, localTee: 0x22,
  i32Load: 0x28, f32Load: 0x2a, i32Load8u: 0x2d, i32Store8: 0x3a,
  i32Const: 0x41, i32Eqz: 0x45, i32Ne: 0x47, i32LtS: 0x48, i32GtS: 0x4a, i32GeS: 0x4e,
  i32Add: 0x6a, i32Sub: 0x6b, i32Mul: 0x6c, i32DivU: 0x6e, i32And: 0x71,
  f32Min: 0x96, f32Max: 0x97, f64Add: 0xa0, f64Mul: 0xa2, f32DemoteF64: 0xb6, f64PromoteF32: 0xbb,
} as const;

/** SIMD instructions (after the 0xfd prefix), by their text-format names. */
export const SIMD: Readonly<Record<string, number>> = {
  'v128.load': 0x00, 'v128.load32_splat': 0x09, 'v128.store': 0x0b, 'v128.const': 0x0c, 'i8x16.shuffle': 0x0d,
  'i8x16.splat': 0x0f, 'i32x4.splat': 0x11, 'f32x4.splat': 0x13, 'f64x2.splat': 0x14,
  'i32x4.extract_lane': 0x1b, 'i32x4.replace_lane': 0x1c, 'f32x4.extract_lane': 0x1f, 'f32x4.replace_lane': 0x20,
  'f64x2.extract_lane': 0x21,
  'i8x16.ne': 0x24,
  'f32x4.eq': 0x41, 'f32x4.ne': 0x42, 'f32x4.lt': 0x43, 'f32x4.gt': 0x44, 'f32x4.le': 0x45, 'f32x4.ge': 0x46,
  'v128.not': 0x4d, 'v128.and': 0x4e, 'v128.andnot': 0x4f, 'v128.or': 0x50, 'v128.xor': 0x51, 'v128.bitselect': 0x52,
  'v128.store32_lane': 0x5a, 'v128.load32_zero': 0x5c, 'f32x4.demote_f64x2_zero': 0x5e, 'f64x2.promote_low_f32x4': 0x5f,
  'i8x16.narrow_i16x8_s': 0x65, 'f32x4.ceil': 0x67, 'f32x4.floor': 0x68, 'f32x4.trunc': 0x69, 'f32x4.nearest': 0x6a,
  'i16x8.narrow_i32x4_s': 0x85, 'i16x8.extend_low_i8x16_s': 0x87, 'i32x4.extend_low_i16x8_s': 0xa7,
  'f32x4.abs': 0xe0, 'f32x4.neg': 0xe1, 'f32x4.sqrt': 0xe3, 'f32x4.add': 0xe4, 'f32x4.sub': 0xe5, 'f32x4.mul': 0xe6,
  'f32x4.div': 0xe7, 'f32x4.min': 0xe8, 'f32x4.max': 0xe9, 'f64x2.add': 0xf0, 'f64x2.mul': 0xf2,
};

/** Operand counts of the SIMD instructions an op's form may use (the pure v128 -> v128 ones). */
const ARITY: Readonly<Record<string, number>> = {
  'f32x4.eq': 2, 'f32x4.ne': 2, 'f32x4.lt': 2, 'f32x4.gt': 2, 'f32x4.le': 2, 'f32x4.ge': 2,
  'v128.not': 1, 'v128.and': 2, 'v128.andnot': 2, 'v128.or': 2, 'v128.xor': 2, 'v128.bitselect': 3,
  'f32x4.ceil': 1, 'f32x4.floor': 1, 'f32x4.trunc': 1, 'f32x4.nearest': 1,
  'f32x4.abs': 1, 'f32x4.neg': 1, 'f32x4.sqrt': 1, 'f32x4.add': 2, 'f32x4.sub': 2, 'f32x4.mul': 2,
  'f32x4.div': 2, 'f32x4.min': 2, 'f32x4.max': 2,
};

/** Unsigned LEB128. */
export function uleb(v: number): number[] {
  const out: number[] = [];
  do {
    let b = v & 0x7f;
    v >>>= 7;
    if (v) b |= 0x80;
    out.push(b);
  } while (v);
  return out;
}

/** Signed LEB128 of an int32. */
export function sleb(v: number): number[] {
  const out: number[] = [];
  v |= 0;
  for (;;) {
    const b = v & 0x7f;
    v >>= 7;
    if ((v === 0 && !(b & 0x40)) || (v === -1 && b & 0x40)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
}

const utf8 = (s: string): number[] => [...uleb(s.length), ...new TextEncoder().encode(s)];
const section = (id: number, bytes: number[]): number[] => [id, ...uleb(bytes.length), ...bytes];
const vec = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];

/** A function body under construction: typed helpers over a byte array. */
export class Body {
  readonly bytes: number[] = [];
  /** Pushes raw bytes. */
  raw(...b: number[]): this {
    for (const x of b) this.bytes.push(x);
    return this;
  }
  get(local: number): this {
    return this.raw(OP.localGet, ...uleb(local));
  }
  set(local: number): this {
    return this.raw(OP.localSet, ...uleb(local));
  }
  tee(local: number): this {
    return this.raw(OP.localTee, ...uleb(local));
  }
  i32(v: number): this {
    return this.raw(OP.i32Const, ...sleb(v));
  }
  /** A SIMD instruction by name, with its immediates (memarg, lane) after it. */
  simd(name: string, ...imm: number[]): this {
    const code = SIMD[name];
    if (code === undefined) throw new Error(`no opcode for ${name}`);
    return this.raw(0xfd, ...uleb(code), ...imm);
  }
  /** `v128.const` with `value` (rounded to float32) in every lane. */
  f32x4Const(value: number): this {
    const lanes = new Uint8Array(new Float32Array(4).fill(value).buffer);
    return this.simd('v128.const', ...lanes);
  }
  /** `f32.const`. */
  f32(v: number): this {
    return this.raw(0x43, ...new Uint8Array(new Float32Array([v]).buffer));
  }
  /** `f64.const`. */
  f64(v: number): this {
    return this.raw(0x44, ...new Uint8Array(new Float64Array([v]).buffer));
  }
  /** `v128.const` with the int32 `value` in every lane. */
  i32x4Const(value: number): this {
    const lanes = new Uint8Array(new Int32Array(4).fill(value).buffer);
    return this.simd('v128.const', ...lanes);
  }
  /**
   * An op's form (see {@link SimdExpr}) over the v128 locals `operands`. Throws for an
   * instruction this emitter does not know, so the caller can fall back.
   */
  expr(e: SimdExpr, operands: readonly number[]): this {
    if (typeof e === 'number') {
      const local = operands[e];
      if (local === undefined) throw new Error(`a form reads operand ${e} of ${operands.length}`);
      return this.get(local);
    }
    if (!Array.isArray(e)) return this.f32x4Const((e as { f32: number }).f32);
    const [name, ...args] = e as readonly [string, ...SimdExpr[]];
    if (ARITY[name] !== args.length) throw new Error(`no generated form of ${name} with ${args.length} operands`);
    for (const a of args) this.expr(a, operands);
    return this.simd(name);
  }
}

/** What a generated module imports besides its memory: functions of the kernels' instance. */
export interface ImportedFunction {
  /** The import's field name in `env`. */
  readonly name: string;
  /** Parameter types. */
  readonly params: readonly number[];
  /** Result types. */
  readonly results: readonly number[];
}

/**
 * A module importing `env.memory` (shared when `shared`, with the kernels' declared maximum) and
 * `imports` (function indices 0..), exporting one function `run` of `params` i32 parameters,
 * no results, with `locals` ([count, type] groups) and `body` (its final `end` added here).
 */
export function moduleBytes(opts: {
  shared: boolean; maxPages: number; imports: readonly ImportedFunction[]; params: number;
  locals: readonly (readonly [number, number])[]; body: readonly number[];
}): Uint8Array<ArrayBuffer> {
  const types = [
    ...opts.imports.map((f) => [0x60, ...vec(f.params.map((t) => [t])), ...vec(f.results.map((t) => [t]))]),
    [0x60, ...vec(Array.from({ length: opts.params }, () => [I32])), 0],
  ];
  const limits = opts.shared ? [0x03, 0, ...uleb(opts.maxPages)] : [0x00, 0];
  const imports = [
    [...utf8('env'), ...utf8('memory'), 0x02, ...limits],
    ...opts.imports.map((f, i) => [...utf8('env'), ...utf8(f.name), 0x00, ...uleb(i)]),
  ];
  const run = opts.imports.length;
  const fn = [...vec(opts.locals.map(([n, t]) => [...uleb(n), t])), ...opts.body, OP.end];
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0,
    ...section(1, vec(types)),
    ...section(2, vec(imports)),
    ...section(3, vec([uleb(run)])),
    ...section(7, vec([[...utf8('run'), 0x00, ...uleb(run)]])),
    ...section(10, vec([[...uleb(fn.length), ...fn]])),
  ]);
}
