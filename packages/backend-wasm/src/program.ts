// The glue of the fused element-wise kernel (assembly/program.ts): checks a program once (it may
// come from plain JavaScript), turns it into the kernel's instruction words with a register
// allocation, and per call checks the views and writes the program words the kernel reads.
import {
  binaryCode,
  checkProgram,
  coalesce,
  contiguousStrides,
  isContiguous,
  numel,
  opKind,
  unaryCode,
  type ElementwiseProgram,
  type ProgramDType,
  type View,
} from '@torchlet/core';

/** Input modes (assembly/program.ts). */
const DIRECT = 0, GATHER_F32 = 1, GATHER_BOOL = 2, SPLAT_F32 = 3, SPLAT_BOOL = 4, COPY_F32 = 5;
/** Instruction families (assembly/program.ts). */
const F_UNARY = 0, F_UNARY_MASK = 1, F_BINARY = 2, F_COMPARE = 3, F_MASK = 4, F_WHERE = 5, F_CONST = 6;
/** Words of the program header, of an input (before its strides), of an instruction, of an output. */
const HEAD = 8, INPUT_WORDS = 3, INSTR_WORDS = 6, OUTPUT_WORDS = 3;

/** A checked program in the kernel's terms; the same for every call with that program. */
export interface CompiledProgram {
  /** The checked program (its dtypes recomputed from the instructions). */
  readonly program: ElementwiseProgram;
  /** Registers: inputs, then one per instruction. */
  readonly nRegs: number;
  /** Lane slots the registers share (inputs and constants own theirs; the rest are reused once dead). */
  readonly nSlots: number;
  /** Each register's slot. */
  readonly slot: readonly number[];
  /** The instructions' words: family, op, destination slot, then operand registers a, b, c. */
  readonly instrWords: Int32Array;
  /** Whether input register k is also stored to an output (it is then copied per block, never read in place). */
  readonly inputIsOutput: readonly boolean[];
}

const compiled = new WeakMap<object, CompiledProgram>();
const float32Bits = new Int32Array(1);
const float32View = new Float32Array(float32Bits.buffer);

/** The error of a bad argument to the fused kernel. */
function bad(message: string): TypeError {
  return new TypeError(`wasm backend: fused elementwise: ${message}`);
}

/**
 * The kernel's form of `program`, checked once per program object: the instructions are
 * re-checked with core's `checkProgram` (a plain JavaScript caller may pass anything), so a
 * malformed program fails here, naming the instruction, and never reaches the kernel.
 */
export function compileProgram(program: ElementwiseProgram): CompiledProgram {
  if (program === null || typeof program !== 'object') throw bad(`expected an ElementwiseProgram (from torch.checkProgram), got ${String(program)}`);
  const hit = compiled.get(program);
  if (hit) return hit;
  const { inputs, instrs, outputs } = program as Partial<ElementwiseProgram>;
  if (!Array.isArray(inputs) || !Array.isArray(instrs) || !Array.isArray(outputs)) {
    throw bad('the program needs arrays `inputs`, `instrs` and `outputs` (build it with torch.checkProgram)');
  }
  for (const [j, ins] of instrs.entries()) {
    if (ins === null || typeof ins !== 'object') throw bad(`instruction ${j} is ${String(ins)}, not an instruction object`);
  }
  let checked: ElementwiseProgram;
  try {
    checked = checkProgram(inputs, instrs, outputs);
  } catch (e) {
    throw bad(`malformed program: ${e instanceof Error ? e.message : String(e)}`);
  }
  const given = (program as { dtypes?: unknown }).dtypes;
  if (!Array.isArray(given) || given.length !== checked.dtypes.length || given.some((t, i) => t !== checked.dtypes[i])) {
    throw bad(`the program's dtypes [${Array.isArray(given) ? given.join(', ') : String(given)}] do not follow from its instructions ([${checked.dtypes.join(', ')}]); build programs with torch.checkProgram`);
  }
  const result = allocate(checked);
  compiled.set(program, result);
  return result;
}

/** Encodes the instructions and gives every register a slot (a linear scan over their live ranges). */
function allocate(program: ElementwiseProgram): CompiledProgram {
  const nIn = program.inputs.length;
  const nRegs = nIn + program.instrs.length;
  const operands = (j: number): number[] => {
    const ins = program.instrs[j]!;
    switch (ins.kind) {
      case 'unary': return [ins.x];
      case 'binary': return [ins.a, ins.b];
      case 'where': return [ins.cond, ins.a, ins.b];
      case 'const': return [];
    }
  };
  // The last instruction that reads each register; outputs live throughout (constants too: their
  // slots are filled once, before the first block, and never given to another register).
  const lastUse = new Array<number>(nRegs).fill(-1);
  for (let j = 0; j < program.instrs.length; j++) for (const r of operands(j)) lastUse[r] = j;
  for (const r of program.outputs) lastUse[r] = Infinity;
  const slot = new Array<number>(nRegs);
  let nSlots = 0;
  // Inputs own their slots: one broadcast over everything is filled once, before the first block.
  for (let k = 0; k < nIn; k++) slot[k] = nSlots++;
  const free: number[] = [];
  const words = new Int32Array(program.instrs.length * INSTR_WORDS);
  for (const [j, ins] of program.instrs.entries()) {
    const r = nIn + j;
    // Operands dying here give their slots to this instruction's result: every loop reads lane i
    // before it writes lane i, so the result may overwrite an operand.
    for (const o of new Set(operands(j))) if (o >= nIn && lastUse[o] === j && program.instrs[o - nIn]!.kind !== 'const') free.push(slot[o]!);
    if (ins.kind === 'const') {
      slot[r] = nSlots++; // filled once, so never shared
    } else {
      slot[r] = free.pop() ?? nSlots++;
      if (lastUse[r] === -1) free.push(slot[r]!); // a dead result: its slot is free again at once
    }
    const w = j * INSTR_WORDS;
    words[w + 2] = slot[r]!;
    switch (ins.kind) {
      case 'unary':
        words[w] = opKind('unary', ins.op) === 'logical' ? F_UNARY_MASK : F_UNARY;
        words[w + 1] = unaryCode(ins.op)!;
        words[w + 3] = ins.x;
        break;
      case 'binary': {
        const kind = opKind('binary', ins.op);
        const bool = program.dtypes[ins.a] === 'bool';
        words[w] = kind === 'logical' || (kind === 'compare' && bool) ? F_MASK : kind === 'compare' ? F_COMPARE : F_BINARY;
        words[w + 1] = binaryCode(ins.op)!;
        words[w + 3] = ins.a;
        words[w + 4] = ins.b;
        break;
      }
      case 'where':
        words[w] = F_WHERE;
        words[w + 3] = ins.cond;
        words[w + 4] = ins.a;
        words[w + 5] = ins.b;
        break;
      case 'const':
        words[w] = F_CONST;
        float32View[0] = ins.value; // rounds to float32, -0 and NaN included
        words[w + 1] = float32Bits[0]!;
        break;
    }
  }
  const inputIsOutput = program.inputs.map((_, k) => program.outputs.includes(k));
  return { program, nRegs, nSlots, slot, instrWords: words, inputIsOutput };
}

/** Bytes of one element of a program dtype. */
const BYTES: Record<ProgramDType, number> = { float32: 4, bool: 1 };

/** The smallest and largest element offsets a view reaches (it has at least one element). */
export function extent(v: View): [number, number] {
  let lo = v.offset, hi = v.offset;
  for (let d = 0; d < v.shape.length; d++) {
    const reach = (v.shape[d]! - 1) * v.strides[d]!;
    if (reach < 0) lo += reach;
    else hi += reach;
  }
  return [lo, hi];
}

function describe(v: View): string {
  return `${v.dtype} view of shape [${v.shape.join(', ')}], strides [${v.strides.join(', ')}], offset ${v.offset}`;
}

/**
 * Checks the views against the program and each other, returning the element count: as many
 * inputs and outputs as the program has, each of the dtype its register holds, all of one shape,
 * outputs contiguous, each inside its live buffer (`bufferBytes` throws for an unknown one), no
 * output overlapping another or an input other than exactly (an in-place update).
 */
export function checkProgramViews(
  c: CompiledProgram, inputs: readonly View[], outputs: readonly View[], bufferBytes: (buffer: number) => number,
): number {
  const p = c.program;
  if (!Array.isArray(inputs) || !Array.isArray(outputs)) throw bad('inputs and outputs must be arrays of views');
  if (inputs.length !== p.inputs.length || outputs.length !== p.outputs.length) {
    throw bad(`the program takes ${p.inputs.length} inputs and ${p.outputs.length} outputs, got ${inputs.length} and ${outputs.length}`);
  }
  const views = [...inputs, ...outputs];
  for (const [i, v] of views.entries()) {
    const what = i < inputs.length ? `input ${i}` : `output ${i - inputs.length}`;
    const ok = v !== null && typeof v === 'object' && Array.isArray(v.shape) && Array.isArray(v.strides) && v.shape.length === v.strides.length &&
      v.shape.every((s: number) => Number.isInteger(s) && s >= 0) && v.strides.every((s: number) => Number.isInteger(s)) && Number.isInteger(v.offset) && v.offset >= 0 &&
      Number.isInteger(v.buffer);
    if (!ok) throw bad(`${what} is not a view (buffer, dtype, shape, strides of the same length, offset)`);
  }
  const shape = outputs[0]!.shape;
  for (const [i, v] of views.entries()) {
    const input = i < inputs.length;
    const what = input ? `input ${i}` : `output ${i - inputs.length}`;
    const want = input ? p.inputs[i]! : p.dtypes[p.outputs[i - inputs.length]!]!;
    if (v.dtype !== want) throw bad(`${what} must be ${want} (its register's dtype), got ${v.dtype}`);
    if (v.shape.length !== shape.length || v.shape.some((s: number, d: number) => s !== shape[d])) {
      throw bad(`${what} has shape [${v.shape.join(', ')}], the outputs [${shape.join(', ')}]: every view has the outputs' shape (broadcast inputs with stride 0)`);
    }
    if (!input && !isContiguous(v.shape, v.strides)) throw bad(`${what} must be contiguous, got ${describe(v)}`);
  }
  const n = numel(shape);
  if (n === 0) return 0;
  if (n > 2 ** 31 - 1) throw bad(`${n} elements is more than the kernel indexes (2^31 - 1)`);
  const ranges = views.map((v, i) => {
    const [lo, hi] = extent(v);
    const size = bufferBytes(v.buffer);
    const bytes = BYTES[v.dtype as ProgramDType];
    if (lo < 0 || (hi + 1) * bytes > size) {
      throw bad(`${i < inputs.length ? `input ${i}` : `output ${i - inputs.length}`} (${describe(v)}) reaches outside its ${size}-byte buffer`);
    }
    return [v.buffer + lo * bytes, v.buffer + (hi + 1) * bytes] as const;
  });
  const overlap = (a: number, b: number): boolean => ranges[a]![0] < ranges[b]![1] && ranges[b]![0] < ranges[a]![1];
  for (let o = inputs.length; o < views.length; o++) {
    for (let other = 0; other < o; other++) {
      if (!overlap(o, other)) continue;
      const v = views[other]!, out = views[o]!;
      const same = other < inputs.length && v.buffer === out.buffer && v.offset === out.offset && v.dtype === out.dtype &&
        v.strides.every((s: number, d: number) => shape[d] === 1 || s === out.strides[d]);
      if (!same) {
        throw bad(`output ${o - inputs.length} overlaps ${other < inputs.length ? `input ${other}` : `output ${other - inputs.length}`} without being the same view (only an exact in-place update is allowed)`);
      }
    }
  }
  return n;
}

/** Byte address of a view's first element. */
const addr = (v: View): number => v.buffer + v.offset * BYTES[v.dtype as ProgramDType];

/**
 * The program words for one call (assembly/program.ts's header): the shape coalesced over all
 * views, each input's mode, address, slot and byte strides, the instructions, the outputs.
 */
export function programWords(c: CompiledProgram, inputs: readonly View[], outputs: readonly View[], maxRank: number): Int32Array {
  const p = c.program;
  const shape = outputs[0]!.shape;
  const l = coalesce(shape, [contiguousStrides(shape), ...inputs.map((v) => v.strides)]);
  const rank = l.shape.length;
  if (rank > maxRank) throw bad(`rank ${rank} after merging dims exceeds ${maxRank}`);
  const nIn = inputs.length;
  const words = new Int32Array(HEAD + rank + nIn * (INPUT_WORDS + rank) + c.instrWords.length + outputs.length * OUTPUT_WORDS);
  words.set([c.nRegs, p.instrs.length, nIn, outputs.length, rank, 0, c.nSlots, 0]);
  words.set(l.shape, HEAD);
  const dense = l.strides[0]!;
  let at = HEAD + rank;
  for (const [k, v] of inputs.entries()) {
    const strides = l.strides[k + 1]!;
    const bool = v.dtype === 'bool';
    // An input that is also stored to an output is always copied into its slot: read in place, it
    // could already hold another output written over it (in place) when it is stored.
    const mode = strides.every((s) => s === 0) ? (bool ? SPLAT_BOOL : SPLAT_F32)
      : bool ? GATHER_BOOL
      : c.inputIsOutput[k] ? COPY_F32
      : strides.every((s, d) => s === dense[d]) ? DIRECT : GATHER_F32;
    words[at] = mode;
    words[at + 1] = addr(v);
    words[at + 2] = c.slot[k]!;
    for (let d = 0; d < rank; d++) words[at + INPUT_WORDS + d] = strides[d]! * BYTES[v.dtype as ProgramDType];
    at += INPUT_WORDS + rank;
  }
  words.set(c.instrWords, at);
  at += c.instrWords.length;
  for (const [k, v] of outputs.entries()) {
    words[at] = v.dtype === 'bool' ? 1 : 0;
    words[at + 1] = addr(v);
    words[at + 2] = p.outputs[k]!;
    at += OUTPUT_WORDS;
  }
  return words;
}

/** Bytes of one part's area: the register pointers and a word per input (padded to 16 bytes), then the slots. */
export function areaBytes(c: CompiledProgram, block: number): number {
  return Math.ceil(((c.nRegs + c.program.inputs.length) * 4) / 16) * 16 + c.nSlots * block * 4;
}

/**
 * A program's last call: its views flattened (per view: buffer, the buffer's size, offset, dtype,
 * rank, shape, strides) and what checking them gave. A compiled step's replay passes the same
 * views every step, so comparing numbers replaces the checks and the layout's arrays and
 * strings, which cost more than a small program's work.
 */
export interface LastCall {
  /** The views, flattened. */
  readonly flat: readonly number[];
  /** The element count checkProgramViews gave. */
  readonly n: number;
  /** The generated path's prepared call for these views (null: none; undefined: not prepared yet). */
  prepared: unknown;
}

const DTYPE_CODE: Record<string, number> = { float32: 1, bool: 2 };

/** The views flattened as {@link LastCall} keeps them (after checkProgramViews accepted them). */
export function flattenViews(inputs: readonly View[], outputs: readonly View[], bufferBytes: (buffer: number) => number): number[] {
  const flat: number[] = [inputs.length, outputs.length];
  for (const list of [inputs, outputs]) {
    for (const v of list) flat.push(v.buffer, bufferBytes(v.buffer), v.offset, DTYPE_CODE[v.dtype]!, v.shape.length, ...v.shape, ...v.strides);
  }
  return flat;
}

/**
 * Whether `inputs` and `outputs` are, number for number, the views `flat` holds, each buffer
 * still live with the size it had (`liveBytes`: undefined for a freed one). Anything else (a
 * plain JavaScript caller's odd object included) is not the same, and goes through the checks.
 */
export function sameViews(flat: readonly number[], inputs: readonly View[], outputs: readonly View[], liveBytes: (buffer: number) => number | undefined): boolean {
  if (!Array.isArray(inputs) || !Array.isArray(outputs) || flat[0] !== inputs.length || flat[1] !== outputs.length) return false;
  let at = 2;
  for (let k = 0; k < inputs.length + outputs.length; k++) {
    const v = k < inputs.length ? inputs[k] : outputs[k - inputs.length];
    if (v === null || typeof v !== 'object') return false;
    const { shape, strides } = v;
    if (flat[at] !== v.buffer || flat[at + 1] !== liveBytes(v.buffer) || flat[at + 2] !== v.offset || flat[at + 3] !== DTYPE_CODE[v.dtype]) return false;
    const rank = flat[at + 4]!;
    if (!Array.isArray(shape) || !Array.isArray(strides) || shape.length !== rank || strides.length !== rank) return false;
    at += 5;
    for (let d = 0; d < rank; d++) if (shape[d] !== flat[at + d] || strides[d] !== flat[at + rank + d]) return false;
    at += 2 * rank;
  }
  return true;
}
