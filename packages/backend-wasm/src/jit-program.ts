// A fused element-wise program's code on v128 registers, shared by the generated element-wise
// modules (jit.ts) and reduction modules (jit-reduce.ts): loads, the instructions, stores. An
// op's meaning is not written here (see jit.ts's file comment): its v128 form comes from the
// kernels' own source, or the kernels' element function is called through an import.
import { binaryCode, opKind, unaryCode, type ElementwiseProgram } from '@torchlet/core';
import { BINARY_F32, COMPARE_F32, MASK_BINARY, MASK_UNARY, UNARY_F32 } from './simd-forms.generated.ts';
import { type Body, F32, I32, OP, type SimdExpr, uleb } from './jit-emit.ts';

/** The kernels' element functions a module imports (function indices 0 and 1). */
export const ELEMENT_IMPORTS = [
  { name: 'unary', params: [I32, F32], results: [F32] },
  { name: 'binary', params: [I32, F32, F32], results: [F32] },
] as const;
const CALL_UNARY = 0, CALL_BINARY = 1;

/**
 * The code of one program on v128 registers, shared by the element-wise modules (generateModule)
 * and the reduction modules (jit-reduce.ts): loads of an element (splatted) or four, the
 * instructions, stores. `reg` maps each register to its v128 local; `t` is an i32 scratch local,
 * `tmp` a v128 one.
 */
export class ProgramCode {
  constructor(
    private readonly b: Body, private readonly p: ElementwiseProgram, private readonly reg: readonly number[],
    private readonly t: number, private readonly tmp: number,
  ) {}

  /** Whether register `r` holds bools (lane masks). */
  isBool(r: number): boolean {
    return this.p.dtypes[r] === 'bool';
  }

  /** A bool byte at the address on the stack as a lane mask (0 or -1), as an i32. */
  private byteMask(): void {
    this.b.raw(OP.i32Load8u, 0, 0).i32(0).raw(OP.i32Ne).set(this.t).i32(0).get(this.t).raw(OP.i32Sub);
  }

  /** One element at the address in local `at` in every lane of `dst` (a float's bits, or a bool's mask). */
  loadSplat(at: number, dst: number, bool: boolean): void {
    const b = this.b;
    if (bool) {
      b.get(at);
      this.byteMask();
      b.simd('i32x4.splat').set(dst);
    } else {
      b.get(at).simd('v128.load32_splat', 0, 0).set(dst);
    }
  }

  /** Four contiguous elements at the address in local `at` (plus `group` groups of four further) into `dst`. */
  loadVector(at: number, dst: number, bool: boolean, group = 0): void {
    if (bool) {
      // Four 0/1 bytes to four lane masks: bytes to 0/-1, sign-extended twice.
      this.b.get(at).simd('v128.load32_zero', 0, ...uleb(4 * group)).i32x4Const(0).simd('i8x16.ne')
        .simd('i16x8.extend_low_i8x16_s').simd('i32x4.extend_low_i16x8_s').set(dst);
    } else {
      this.b.get(at).simd('v128.load', 0, ...uleb(16 * group)).set(dst);
    }
  }

  /** Four elements `stride` (a local, in bytes) apart from the address in local `at` into `dst`. */
  loadStrided(at: number, stride: number, dst: number, bool: boolean): void {
    const b = this.b;
    for (let lane = 0; lane < 4; lane++) {
      b.get(at);
      if (lane) b.get(stride).i32(lane).raw(OP.i32Mul, OP.i32Add);
      if (bool) this.byteMask();
      else b.raw(OP.f32Load, 2, 0);
      if (lane === 0) b.simd(bool ? 'i32x4.splat' : 'f32x4.splat');
      else b.simd(bool ? 'i32x4.replace_lane' : 'f32x4.replace_lane', lane);
    }
    b.set(dst);
  }

  /** The program's constants into their registers (once, before the loops). */
  constants(): void {
    const nIn = this.p.inputs.length;
    for (const [j, ins] of this.p.instrs.entries()) if (ins.kind === 'const') this.b.f32x4Const(ins.value).set(this.reg[nIn + j]!);
  }

  /** An op without a v128 form: the kernels' element function per lane (lane 0 only, splatted, for one element). */
  private call(fn: number, code: number, operands: readonly number[], vector: boolean): void {
    const b = this.b;
    for (let lane = 0; lane < (vector ? 4 : 1); lane++) {
      b.i32(code);
      for (const o of operands) b.get(o).simd('f32x4.extract_lane', lane);
      b.raw(OP.call, ...uleb(fn));
      if (lane === 0) b.simd('f32x4.splat');
      else b.simd('f32x4.replace_lane', lane);
    }
  }

  /** The instructions on four lanes (`vector`) or on lane 0 of splatted registers. */
  instructions(vector: boolean): void {
    const { b, p, reg } = this;
    const nIn = p.inputs.length;
    for (const [j, ins] of p.instrs.entries()) {
      if (ins.kind === 'const') continue;
      switch (ins.kind) {
        case 'unary': {
          if (opKind('unary', ins.op) === 'logical') {
            b.expr(form(MASK_UNARY, ins.op), [reg[ins.x]!]);
          } else {
            const f = UNARY_F32[ins.op];
            if (f !== undefined) b.expr(f, [reg[ins.x]!]);
            else this.call(CALL_UNARY, unaryCode(ins.op)!, [reg[ins.x]!], vector);
          }
          break;
        }
        case 'binary': {
          const operands = [reg[ins.a]!, reg[ins.b]!];
          if (this.isBool(ins.a)) b.expr(form(MASK_BINARY, ins.op), operands);
          else if (opKind('binary', ins.op) === 'compare') b.expr(form(COMPARE_F32, ins.op), operands);
          else {
            const f = BINARY_F32[ins.op];
            if (f !== undefined) b.expr(f, operands);
            else this.call(CALL_BINARY, binaryCode(ins.op)!, operands, vector);
          }
          break;
        }
        case 'where':
          // The interpreter's whereBlock: the branches' bits moved as they are, by the condition's mask.
          b.get(reg[ins.a]!).get(reg[ins.b]!).get(reg[ins.cond]!).simd('v128.bitselect');
          break;
      }
      b.set(reg[nIn + j]!);
    }
  }

  /** Register `rg` stored at the address in local `at` (plus `group` groups of four further): four elements (`vector`) or lane 0. */
  store(at: number, rg: number, vector: boolean, group = 0): void {
    const { b, reg, tmp } = this;
    b.get(at);
    if (!this.isBool(rg)) {
      b.get(reg[rg]!);
      if (vector) b.simd('v128.store', 0, ...uleb(16 * group));
      else b.simd('v128.store32_lane', 0, 0, 0);
    } else if (vector) {
      // Four masks to four 0/1 bytes.
      b.get(reg[rg]!).get(reg[rg]!).simd('i16x8.narrow_i32x4_s').tee(tmp).get(tmp).simd('i8x16.narrow_i16x8_s')
        .i32x4Const(0x01010101).simd('v128.and').simd('v128.store32_lane', 0, ...uleb(4 * group), 0);
    } else {
      b.get(reg[rg]!).simd('i32x4.extract_lane', 0).i32(1).raw(OP.i32And, OP.i32Store8, 0, 0);
    }
  }
}

function form(forms: Readonly<Record<string, SimdExpr>>, op: string) {
  const f = forms[op];
  // Every bool op and comparison has a mask form in program.ts; a new one without it cannot be generated.
  if (f === undefined) throw new Error(`no generated form of '${op}' on lane masks`);
  return f;
}
