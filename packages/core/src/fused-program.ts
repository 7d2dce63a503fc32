/**
 * Fused element-wise programs: a chain of op-table primitives run as one kernel.
 *
 * `torch.compile` groups consecutive element-wise primitives whose intermediates nobody else
 * reads into one {@link ElementwiseProgram} and hands it to a backend's optional
 * `fused.elementwise` kernel, which keeps intermediates in registers instead of memory. A backend
 * without the kernel runs the same program op by op ({@link runProgramComposite}), so the
 * contract stays small. Every instruction is an op of the op table (op-table.ts), so a fused op's
 * meaning is written once: the WGSL generator reads the table's expressions, the wasm kernel its
 * kernel codes, and {@link evalProgramRef} its `ref` functions.
 *
 * Semantics are exactly the eager ops': each instruction rounds to its register's dtype, as the
 * eager kernel rounds to its output, so a fused program gives the bits the unfused chain gives
 * (up to what each backend's eager kernels already differ by).
 */
import type { BinaryOp, UnaryOp } from './op-table.ts';
import { BINARY_TABLE, UNARY_TABLE, binaryRef, unaryRef } from './op-table.ts';
import { contiguousStrides, numel } from './shape.ts';
import type { Backend, View } from './backend.ts';

/**
 * The dtypes a program's registers hold. float32 registers compute as the eager float32 kernels;
 * bool registers hold 0 or 1 (a comparison's result, a `where` condition, a logical op).
 */
export type ProgramDType = 'float32' | 'bool';

/** A unary op-table primitive applied to register `x`. */
export interface UnaryInstr {
  /** The instruction's family. */
  readonly kind: 'unary';
  /** The op-table name. */
  readonly op: UnaryOp;
  /** The operand's register. */
  readonly x: number;
}

/** A binary op-table primitive applied to registers `a` and `b`. */
export interface BinaryInstr {
  /** The instruction's family. */
  readonly kind: 'binary';
  /** The op-table name. */
  readonly op: BinaryOp;
  /** The first operand's register. */
  readonly a: number;
  /** The second operand's register. */
  readonly b: number;
}

/** `cond ? a : b` per element (the backend's `where`); `cond` is a bool register. */
export interface WhereInstr {
  /** The instruction's family. */
  readonly kind: 'where';
  /** The condition's register (bool). */
  readonly cond: number;
  /** The register chosen where `cond` is true. */
  readonly a: number;
  /** The register chosen where `cond` is false. */
  readonly b: number;
}

/** A constant, already rounded to float32 (a traced scalar such as the 0.5 of `x.mul(0.5)`). */
export interface ConstInstr {
  /** The instruction's family. */
  readonly kind: 'const';
  /** The value (`Math.fround` of it is what every element sees). */
  readonly value: number;
}

/** One instruction of an {@link ElementwiseProgram}; it defines the next register. */
export type ProgramInstr = UnaryInstr | BinaryInstr | WhereInstr | ConstInstr;

/**
 * A fused element-wise program over one shape.
 *
 * Registers: `0 .. inputs.length - 1` hold the inputs' elements; instruction `j` defines register
 * `inputs.length + j`. Operands always name earlier registers. `outputs[k]` is the register stored
 * to output `k`. `dtypes` gives every register's dtype (inputs first), each instruction's operands
 * and result following the op table's kinds (e.g. `exp` float32 -> float32, `lt` -> bool, `where`
 * on a bool condition). Build programs with {@link checkProgram} so a malformed one fails at
 * compile time, naming the instruction, rather than inside a kernel.
 */
export interface ElementwiseProgram {
  /** The inputs' dtypes, one per input view. */
  readonly inputs: readonly ProgramDType[];
  /** The instructions in order. */
  readonly instrs: readonly ProgramInstr[];
  /** The registers stored to the output views, in order. */
  readonly outputs: readonly number[];
  /** Every register's dtype: the inputs', then one per instruction. */
  readonly dtypes: readonly ProgramDType[];
  /** A string that identifies the program (equal programs, equal keys): the cache key of generated code. */
  readonly key: string;
}

const isFloatOnly = (k: string): boolean => k === 'float' || k === 'floatBinary';

/**
 * The dtype an instruction produces from its operands' dtypes, or an error message naming what is
 * wrong. The rules are the op table's kinds restricted to the program dtypes.
 */
function instrDType(ins: ProgramInstr, reg: (i: number) => ProgramDType): ProgramDType | string {
  switch (ins.kind) {
    case 'const':
      return typeof ins.value === 'number' ? 'float32' : 'a const needs a number';
    case 'unary': {
      const e = UNARY_TABLE[ins.op];
      if (!e) return `unknown unary op '${String(ins.op)}'`;
      const t = reg(ins.x);
      if (e.kind === 'logical') return t === 'bool' ? 'bool' : `'${ins.op}' takes a bool register, got ${t}`;
      return t === 'float32' ? 'float32' : `'${ins.op}' takes a float32 register, got ${t}`;
    }
    case 'binary': {
      const e = BINARY_TABLE[ins.op];
      if (!e) return `unknown binary op '${String(ins.op)}'`;
      const a = reg(ins.a), b = reg(ins.b);
      if (a !== b) return `'${ins.op}' operands differ in dtype (${a}, ${b})`;
      if (e.kind === 'compare') return 'bool';
      if (e.kind === 'logical') return a === 'bool' ? 'bool' : `'${ins.op}' takes bool registers, got ${a}`;
      if (a !== 'float32') return `'${ins.op}' takes float32 registers, got ${a}`;
      return isFloatOnly(e.kind) || e.kind === 'arith' ? 'float32' : `'${ins.op}' has no program form`;
    }
    case 'where': {
      if (reg(ins.cond) !== 'bool') return `where's condition must be a bool register, got ${reg(ins.cond)}`;
      const a = reg(ins.a), b = reg(ins.b);
      return a === b ? a : `where's branches differ in dtype (${a}, ${b})`;
    }
    default:
      return `unknown instruction kind '${String((ins as { kind: unknown }).kind)}'`;
  }
}

/**
 * Builds a checked {@link ElementwiseProgram}: every operand names an earlier register, every
 * instruction's dtypes follow the op table, every output names a register. Throws a TypeError
 * naming the first bad instruction.
 *
 * @example
 * ```ts
 * // GELU's tanh-free tail: 0.5 * x * (1 + erf(x / sqrt 2)) on one float32 input.
 * const p = torch.checkProgram(['float32'], [
 *   { kind: 'const', value: Math.SQRT1_2 },            // r1
 *   { kind: 'binary', op: 'mul', a: 0, b: 1 },          // r2 = x / sqrt 2
 *   { kind: 'unary', op: 'erf', x: 2 },                 // r3
 *   { kind: 'const', value: 1 },                        // r4
 *   { kind: 'binary', op: 'add', a: 3, b: 4 },          // r5
 *   { kind: 'binary', op: 'mul', a: 0, b: 5 },          // r6
 *   { kind: 'const', value: 0.5 },                      // r7
 *   { kind: 'binary', op: 'mul', a: 6, b: 7 },          // r8
 * ], [8]);
 * console.log(torch.evalProgramRef(p, [1])[0]);   // ~0.8413
 * ```
 */
export function checkProgram(inputs: readonly ProgramDType[], instrs: readonly ProgramInstr[], outputs: readonly number[]): ElementwiseProgram {
  const dtypes: ProgramDType[] = [];
  for (const [i, t] of inputs.entries()) {
    if (t !== 'float32' && t !== 'bool') throw new TypeError(`fused program: input ${i} has dtype ${String(t)}; programs take float32 and bool`);
    dtypes.push(t);
  }
  const reg = (at: number) => (i: number): ProgramDType => {
    if (!Number.isInteger(i) || i < 0 || i >= at) throw new TypeError(`fused program: instruction ${at - inputs.length} reads register ${String(i)}, which is not defined before it`);
    return dtypes[i]!;
  };
  for (const [j, ins] of instrs.entries()) {
    const t = instrDType(ins, reg(inputs.length + j));
    if (t !== 'float32' && t !== 'bool') throw new TypeError(`fused program: instruction ${j} (${ins.kind}${'op' in ins ? ` ${ins.op}` : ''}): ${t}`);
    dtypes.push(t);
  }
  if (outputs.length === 0) throw new TypeError('fused program: no outputs');
  for (const o of outputs) {
    if (!Number.isInteger(o) || o < 0 || o >= dtypes.length) throw new TypeError(`fused program: output register ${String(o)} does not exist (${dtypes.length} registers)`);
  }
  const key = `${inputs.join(',')}|${instrs.map(instrKey).join(';')}|${outputs.join(',')}`;
  return { inputs: [...inputs], instrs: [...instrs], outputs: [...outputs], dtypes, key };
}

function instrKey(ins: ProgramInstr): string {
  switch (ins.kind) {
    case 'unary': return `u:${ins.op}:${ins.x}`;
    case 'binary': return `b:${ins.op}:${ins.a}:${ins.b}`;
    case 'where': return `w:${ins.cond}:${ins.a}:${ins.b}`;
    case 'const': return `c:${Object.is(ins.value, -0) ? '-0' : String(Math.fround(ins.value))}`;
  }
}

/**
 * Runs a program on plain numbers: one element's inputs in, its outputs out, each register
 * rounded as the eager kernels round (float32 with `Math.fround`, bool to 0/1). The oracle of the
 * backends' fused kernels, from the op table's `ref` functions.
 *
 * @example
 * ```ts
 * const p = torch.checkProgram(['float32', 'float32'], [{ kind: 'binary', op: 'sub', a: 0, b: 1 }, { kind: 'unary', op: 'exp', x: 2 }], [3]);
 * console.log(torch.evalProgramRef(p, [1, 1]));   // [1]
 * ```
 */
export function evalProgramRef(program: ElementwiseProgram, inputs: readonly number[]): number[] {
  const r: number[] = inputs.map((v, i) => (program.dtypes[i] === 'bool' ? +(v !== 0) : Math.fround(v)));
  const round = (v: number, t: ProgramDType): number => (t === 'bool' ? +(v !== 0) : Math.fround(v));
  for (const [j, ins] of program.instrs.entries()) {
    const t = program.dtypes[program.inputs.length + j]!;
    let v: number;
    switch (ins.kind) {
      case 'const': v = ins.value; break;
      case 'unary': v = unaryRef(ins.op)(r[ins.x]!); break;
      case 'binary': v = binaryRef(ins.op)(r[ins.a]!, r[ins.b]!, false); break;
      case 'where': v = r[ins.cond] ? r[ins.a]! : r[ins.b]!; break;
    }
    r.push(round(v, t));
  }
  return program.outputs.map((o) => r[o]!);
}

/** One call of a program in a batch (`FusedKernels.elementwiseBatch`): its operands, as `elementwise` takes them. */
export interface ProgramCall {
  /** The input views, shaped like the outputs (any strides), one per program input. */
  readonly inputs: readonly View[];
  /** The contiguous output views, one per program output. */
  readonly outputs: readonly View[];
}

/** Bytes of one element of a program dtype in a backend buffer. */
const BYTES: Record<ProgramDType, number> = { float32: 4, bool: 1 };

/**
 * The default of `FusedKernels.elementwise`: runs `program` op by op with the backend's own
 * `unary`/`binary`/`where`/`fill`, on temporaries it allocates and frees. Same operands as the
 * fused kernel: `inputs` (any strides, shaped like the outputs), `outputs` contiguous and shaped
 * alike; an output may be the very view of an input (an in-place update), since every output is
 * written only after every instruction has run. Synchronous for the caller; work is enqueued in
 * order like any backend call.
 *
 * @example
 * ```ts
 * // For backend authors and tests: the program run op by op on any backend.
 * const b = torch.getBackend();
 * const p = torch.checkProgram(['float32'], [{ kind: 'unary', op: 'neg', x: 0 }], [1]);
 * const x = torch.tensor([1, 2]), y = torch.empty([2]);
 * torch.runProgramComposite(b, p, [x.view_()], [y.view_()]);
 * console.log(y.tolist());   // [-1, -2]
 * ```
 */
export function runProgramComposite(backend: Backend, program: ElementwiseProgram, inputs: readonly View[], outputs: readonly View[]): void {
  if (inputs.length !== program.inputs.length || outputs.length !== program.outputs.length) {
    throw new TypeError(`fused program: takes ${program.inputs.length} inputs and ${program.outputs.length} outputs, got ${inputs.length} and ${outputs.length}`);
  }
  const shape = outputs[0]!.shape;
  const n = numel(shape);
  const strides = contiguousStrides(shape);
  const regs: View[] = [...inputs];
  const temps: number[] = [];
  const temp = (t: ProgramDType): View => {
    const buffer = backend.alloc(n * BYTES[t]);
    temps.push(buffer);
    return { buffer, dtype: t, shape, strides, offset: 0 };
  };
  try {
    for (const [j, ins] of program.instrs.entries()) {
      const out = temp(program.dtypes[program.inputs.length + j]!);
      if (n > 0) {
        switch (ins.kind) {
          case 'const': backend.fill(out, Math.fround(ins.value)); break;
          case 'unary': backend.unary(ins.op, regs[ins.x]!, out); break;
          case 'binary': backend.binary(ins.op, regs[ins.a]!, regs[ins.b]!, out); break;
          case 'where': backend.where(regs[ins.cond]!, regs[ins.a]!, regs[ins.b]!, out); break;
        }
      }
      regs.push(out);
    }
    if (n > 0) for (const [k, o] of program.outputs.entries()) backend.copy(regs[o]!, outputs[k]!);
  } finally {
    for (const b of temps) backend.free(b);
  }
}
