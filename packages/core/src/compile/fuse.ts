/**
 * The fusion pass: maximal runs of element-wise calls (unary, binary, where, and fills as
 * constants) on float32/bool views of one shape become one ElementwiseProgram, so a replay makes
 * one kernel call where eager made one per op, and the intermediates that nothing outside the run
 * reads never touch memory.
 *
 * Only provably equal computations are fused: each instruction is the op the call ran, on the
 * operands it read. A register stands for a buffer only where the run wrote that buffer through
 * the very view it then reads (any other view of it, a broadcast or a transpose, ends the run, as
 * element i of a kernel may not read element j of its own output), and a run never writes a buffer
 * through a view other than the one it reads it by (the in-place update the contract allows). A
 * 1-element float32 buffer written once from JavaScript (a traced scalar such as the 0.5 of
 * `x.mul(0.5)`) is a constant of the program.
 */
import { checkProgram, type ProgramDType, type ProgramInstr } from '../fused-program.ts';
import { numel } from '../shape.ts';
import type { BinaryOp, UnaryOp } from '../op-table.ts';
import { entryBuffers } from './plan.ts';
import type { Entry, Trace, TraceArg, VView } from './trace.ts';

/**
 * A view's identity: buffer, offset, shape, dtype and strides, a size-1 dim's stride read as 0
 * (it never moves the offset), so a contiguous `[16, 4, 1]` (strides `4, 1, 1`) and the same
 * elements read as `[16, 4, 1]` with strides `4, 1, 0` are one view and a run goes on through them.
 */
export const keyOf = (v: VView): string => `${v.vbuf}:${v.offset}:${v.strides.map((s, d) => (v.shape[d] === 1 ? 0 : s)).join(',')}:${v.shape.join(',')}:${v.dtype}`;
const sameShape = (a: readonly number[], b: readonly number[]): boolean => a.length === b.length && a.every((d, i) => d === b[i]);
const isProgDType = (d: string): d is ProgramDType => d === 'float32' || d === 'bool';

/** An element-wise call, read as an instruction over its operand views. */
interface Elementwise {
  /** Builds the instruction from the operands' registers. */
  make(regs: number[]): ProgramInstr;
  readonly operands: readonly VView[];
  readonly out: VView;
  /** A fill's value (the instruction is a constant). */
  readonly fill?: number;
}

const v = (a: TraceArg | undefined): VView | null => (a && a.k === 'view' ? a.v : null);

/** The call as an element-wise instruction, or null when it is not one. */
function asElementwise(e: Entry): Elementwise | null {
  if (e.kind !== 'call' || e.fused) return null;
  const a = e.args;
  switch (e.method) {
    case 'unary': {
      const x = v(a[1]), out = v(a[2]);
      if (!x || !out) return null;
      const op = (a[0] as { value: UnaryOp }).value;
      return { operands: [x], out, make: ([r]) => ({ kind: 'unary', op, x: r! }) };
    }
    case 'binary': {
      const x = v(a[1]), y = v(a[2]), out = v(a[3]);
      if (!x || !y || !out) return null;
      const op = (a[0] as { value: BinaryOp }).value;
      return { operands: [x, y], out, make: ([r, s]) => ({ kind: 'binary', op, a: r!, b: s! }) };
    }
    case 'where': {
      const c = v(a[0]), x = v(a[1]), y = v(a[2]), out = v(a[3]);
      if (!c || !x || !y || !out) return null;
      return { operands: [c, x, y], out, make: ([r, s, t]) => ({ kind: 'where', cond: r!, a: s!, b: t! }) };
    }
    case 'fill': {
      const out = v(a[0]);
      const value = (a[1] as { value: unknown }).value;
      if (!out || out.dtype !== 'float32' || typeof value !== 'number') return null;
      return { operands: [], out, fill: value, make: () => ({ kind: 'const', value }) };
    }
    default:
      return null;
  }
}

/** Whether `e` is a float32 `sum`/`max`/`min`/`prod` reduction call (what fuse-reduce.ts can fuse). */
export function isFloatReduce(e: Entry): boolean {
  if (e.kind !== 'call' || e.fused || e.method !== 'reduce') return false;
  const op = (e.args[0] as { value: unknown }).value;
  const x = v(e.args[1]), out = v(e.args[3]);
  return (op === 'sum' || op === 'max' || op === 'min' || op === 'prod') && x?.dtype === 'float32' && out?.dtype === 'float32';
}

/** Whether `e` is a plain float32 `matmul` call (what fuse-matmul.ts can give an epilogue). */
export function isFloatMatmul(e: Entry): boolean {
  if (e.kind !== 'call' || e.fused || e.method !== 'matmul') return false;
  return e.args.length === 3 && e.args.every((a) => a.k === 'view' && a.v.dtype === 'float32');
}

/** Whether one instruction on operands of these dtypes is a valid program (the op table's rules). */
function validInstr(ew: Elementwise): boolean {
  const dts = ew.operands.map((o) => o.dtype);
  if (!dts.every(isProgDType) || !isProgDType(ew.out.dtype)) return false;
  try {
    const p = checkProgram(dts as ProgramDType[], [ew.make(dts.map((_, i) => i))], [dts.length]);
    return p.dtypes[dts.length] === ew.out.dtype;
  } catch {
    return false;
  }
}

/**
 * The 1-element float32 plan buffers written once from JavaScript and otherwise only read as
 * element-wise operands: their value, by buffer.
 */
function constants(trace: Trace): Map<number, number> {
  const writes = new Map<number, number>();
  for (const e of trace.entries) if (e.kind === 'write') writes.set(e.vbuf, (writes.get(e.vbuf) ?? 0) + 1);
  const out = new Map<number, number>();
  for (const e of trace.entries) {
    if (e.kind !== 'write' || writes.get(e.vbuf) !== 1) continue;
    const vb = trace.vbufs[e.vbuf]!;
    if (vb.origin !== 'plan' || vb.bytes !== 4 || e.byteOffset !== 0 || !(e.data instanceof Float32Array) || e.data.length !== 1) continue;
    out.set(e.vbuf, e.data[0]!);
  }
  // Anything other than an element-wise operand use (an output, another kernel's operand) disqualifies.
  for (const e of trace.entries) {
    if (e.kind === 'write' || e.kind === 'alloc' || e.kind === 'free') continue;
    const ew = asElementwise(e);
    const reads = new Set(ew ? ew.operands.map((o) => o.vbuf) : []);
    for (const b of entryBuffers(e)) if (out.has(b) && (!reads.has(b) || ew?.out.vbuf === b)) out.delete(b);
  }
  return out;
}

/** f32 add, sub, mul and div of f32 values: the double result rounded once is the f32 result. */
const FOLD: Partial<Record<BinaryOp, (a: number, b: number) => number>> = {
  add: (a, b) => Math.fround(a + b),
  sub: (a, b) => Math.fround(a - b),
  mul: (a, b) => Math.fround(a * b),
  div: (a, b) => Math.fround(a / b),
};

/**
 * Constant folding: a binary add/sub/mul/div of two constants (such as LayerNorm backward's
 * `n * n` of the traced scalar n) into a 1-element float32 plan buffer that nothing else writes
 * and that is read only as an element-wise operand is a constant too: its value joins `consts`,
 * and the call's index is returned (with its output buffer), so that a run goes on through it (a different shape would
 * end the run) and it is dropped once no call reads its buffer. The same bits as the kernel:
 * f32 operands, one rounding.
 */
function foldConstants(trace: Trace, owned: ReadonlySet<number>, consts: Map<number, number>): Map<number, number> {
  const folded = new Map<number, number>();
  const writers = new Map<number, number>();
  const others = new Set<number>();
  for (const e of trace.entries) {
    if (e.kind === 'alloc' || e.kind === 'free') continue;
    const ew = asElementwise(e);
    if (e.kind === 'write' || !ew) {
      for (const b of entryBuffers(e)) others.add(b);
      continue;
    }
    // An output written by more than one call is not a constant.
    writers.set(ew.out.vbuf, (writers.get(ew.out.vbuf) ?? 0) + 1);
  }
  trace.entries.forEach((e, i) => {
    if (e.kind !== 'call' || e.fused || e.method !== 'binary') return;
    const fold = FOLD[(e.args[0] as { value: BinaryOp }).value];
    const x = v(e.args[1]), y = v(e.args[2]), out = v(e.args[3]);
    if (!fold || !x || !y || !out || out.dtype !== 'float32' || x.dtype !== 'float32' || y.dtype !== 'float32') return;
    const a = consts.get(x.vbuf), b = consts.get(y.vbuf);
    const vb = trace.vbufs[out.vbuf]!;
    if (a === undefined || b === undefined || vb.origin !== 'plan' || vb.bytes !== 4 || owned.has(out.vbuf)) return;
    if (others.has(out.vbuf) || writers.get(out.vbuf) !== 1 || consts.has(out.vbuf)) return;
    consts.set(out.vbuf, fold(a, b));
    folded.set(i, out.vbuf);
  });
  return folded;
}

/** One run being built. */
class Run {
  readonly shape: readonly number[];
  readonly members: number[] = [];
  readonly instrs: ProgramInstr[] = [];
  readonly inputs: VView[] = [];
  private readonly inputReg = new Map<string, number>();
  private readonly constReg = new Map<number, number>();
  /** Each buffer written: the view, and the register holding its latest value. */
  readonly written = new Map<number, { key: string; view: VView; reg: number }>();
  /** Each buffer read as an input: the views it was read by. */
  private readonly readKeys = new Map<number, Set<string>>();
  ops = 0;

  constructor(shape: readonly number[], private readonly consts: ReadonlyMap<number, number>) {
    this.shape = shape;
  }

  private get nRegs(): number {
    return this.inputs.length + this.instrs.length;
  }

  /** Adds the call at `index` when it keeps the run sound; false leaves the run unchanged. */
  add(index: number, ew: Elementwise): boolean {
    if (!sameShape(ew.out.shape, this.shape)) return false;
    const outKey = keyOf(ew.out);
    const w = this.written.get(ew.out.vbuf);
    if (w && w.key !== outKey) return false;
    const rk = this.readKeys.get(ew.out.vbuf);
    if (rk && [...rk].some((k) => k !== outKey)) return false;
    // Resolve operands without committing: new inputs and constants are appended at the end.
    const plan: Array<{ reg?: number; input?: VView; constant?: number }> = [];
    for (const o of ew.operands) {
      const c = this.consts.get(o.vbuf);
      if (c !== undefined) {
        plan.push({ constant: c });
        continue;
      }
      const wr = this.written.get(o.vbuf);
      if (wr) {
        if (wr.key !== keyOf(o)) return false;
        plan.push({ reg: wr.reg });
        continue;
      }
      if (!sameShape(o.shape, this.shape)) return false;
      plan.push({ input: o });
    }
    // Inputs take the low registers, so adding one renumbers the instructions' registers: add the
    // new inputs first, then read every operand's register.
    for (const p of plan) if (p.input) this.input(p.input);
    const regs = plan.map((p, i) => {
      if (p.constant !== undefined) return this.constant(p.constant);
      if (p.input) return this.inputReg.get(keyOf(p.input))!;
      return this.written.get(ew.operands[i]!.vbuf)!.reg;
    });
    this.instrs.push(ew.make(regs));
    this.members.push(index);
    this.ops++;
    this.written.set(ew.out.vbuf, { key: outKey, view: ew.out, reg: this.nRegs - 1 });
    return true;
  }

  private input(o: VView): number {
    const k = keyOf(o);
    let r = this.inputReg.get(k);
    if (r === undefined) {
      // Registers are numbered inputs first: shift every instruction's references to make room.
      r = this.inputs.length;
      this.shiftFrom(r);
      this.inputs.push(o);
      this.inputReg.set(k, r);
      let s = this.readKeys.get(o.vbuf);
      if (!s) this.readKeys.set(o.vbuf, (s = new Set()));
      s.add(k);
    }
    return r;
  }

  private constant(value: number): number {
    let r = this.constReg.get(value);
    if (r === undefined) {
      this.instrs.push({ kind: 'const', value });
      r = this.nRegs - 1;
      this.constReg.set(value, r);
    }
    return r;
  }

  /** Renumbers registers >= `from` up by one (an input is inserted at `from`). */
  private shiftFrom(from: number): void {
    const s = (r: number): number => (r >= from ? r + 1 : r);
    for (let i = 0; i < this.instrs.length; i++) {
      const ins = this.instrs[i]!;
      if (ins.kind === 'unary') this.instrs[i] = { ...ins, x: s(ins.x) };
      else if (ins.kind === 'binary') this.instrs[i] = { ...ins, a: s(ins.a), b: s(ins.b) };
      else if (ins.kind === 'where') this.instrs[i] = { ...ins, cond: s(ins.cond), a: s(ins.a), b: s(ins.b) };
    }
    for (const [k, r] of this.inputReg) if (r >= from) this.inputReg.set(k, r + 1);
    for (const [k, r] of this.constReg) this.constReg.set(k, s(r));
    for (const [k, w] of this.written) this.written.set(k, { ...w, reg: s(w.reg) });
  }
}

/**
 * The entries with runs of element-wise calls replaced by program entries (at the position of the
 * run's last call; only allocations, frees and constant writes lie between a run's calls, and
 * none of them computes). `owned` buffers leave the call as tensors, so a run always stores them.
 */
export function fuseEntries(trace: Trace, owned: ReadonlySet<number>, nearReductions = false, nearMatmuls = false): readonly Entry[] {
  const entries = trace.entries;
  const consts = constants(trace);
  const folded = foldConstants(trace, owned, consts);
  // With `nearReductions`, a lone element-wise call next to a float32 reduction becomes a program
  // too, so that the reduction pass (fuse-reduce.ts) can take it as a prologue or an epilogue;
  // with `nearMatmuls`, one just after a float32 matmul (a bias add), for the matmul pass
  // (fuse-matmul.ts) to take as an epilogue.
  const near = new Set<number>();
  if (nearReductions || nearMatmuls) {
    const compute = entries.flatMap((e, i) => (e.kind === 'alloc' || e.kind === 'free' || e.kind === 'grad' || (e.kind === 'write' && consts.has(e.vbuf)) ? [] : [i]));
    compute.forEach((i, k) => {
      if (nearMatmuls && isFloatMatmul(entries[i]!) && k + 1 < compute.length) near.add(compute[k + 1]!);
      if (!nearReductions || !isFloatReduce(entries[i]!)) return;
      if (k > 0) near.add(compute[k - 1]!);
      if (k + 1 < compute.length) near.add(compute[k + 1]!);
    });
  }
  // The last entry using each buffer, to tell which values a run must store.
  const lastUse = new Map<number, number>();
  entries.forEach((e, i) => {
    for (const b of entryBuffers(e)) lastUse.set(b, i);
  });
  const replace = new Map<number, Entry>();
  const drop = new Set<number>();

  let run: Run | null = null;
  const close = (): void => {
    if (run === null) return;
    const r = run;
    run = null;
    if (r.ops < 2 && !r.members.some((m) => near.has(m))) return;
    const last = r.members[r.members.length - 1]!;
    const outputs: number[] = [];
    const outViews: VView[] = [];
    for (const [vbuf, w] of r.written) {
      const vb = trace.vbufs[vbuf]!;
      const needed = vb.origin !== 'plan' || owned.has(vbuf) || (lastUse.get(vbuf) ?? -1) > last;
      if (needed) {
        outputs.push(w.reg);
        outViews.push(w.view);
      }
    }
    if (outputs.length === 0) return; // nothing it computes is used: leave the calls as they were
    const program = checkProgram(r.inputs.map((i) => i.dtype as ProgramDType), r.instrs, outputs);
    for (const m of r.members) drop.add(m);
    drop.delete(last);
    replace.set(last, { kind: 'program', program, inputs: r.inputs, outputs: outViews, ops: r.ops });
  };

  entries.forEach((e, i) => {
    // A gradient entry only hands a buffer out as a `.grad` (nothing is read or computed): runs
    // go on through it, as through allocations.
    if (e.kind === 'alloc' || e.kind === 'free' || e.kind === 'grad' || (e.kind === 'write' && consts.has(e.vbuf)) || folded.has(i)) return;
    const ew = asElementwise(e);
    if (!ew || numel(ew.out.shape) === 0 || !validInstr(ew)) {
      close();
      return;
    }
    if (run !== null && (run as Run).add(i, ew)) return;
    close();
    run = new Run(ew.out.shape, consts);
    run.add(i, ew);
  });
  close();

  const out: Entry[] = [];
  entries.forEach((e, i) => {
    if (drop.has(i)) return;
    out.push(replace.get(i) ?? e);
  });
  // A constant write or folded call nothing reads any more (its readers became program constants)
  // is dropped; folded calls go first, as they read constant writes.
  const foldedBy = new Map<Entry, number>();
  for (const [i, vbuf] of folded) foldedBy.set(entries[i]!, vbuf);
  const foldedOut = (e: Entry): number | null => foldedBy.get(e) ?? null;
  const readBy = (list: readonly Entry[]): Set<number> => {
    const used = new Set<number>();
    for (const e of list) {
      if (e.kind === 'write') continue;
      const f = foldedOut(e);
      for (const b of entryBuffers(e)) if (b !== f) used.add(b);
    }
    return used;
  };
  let used = readBy(out);
  const kept = out.filter((e) => {
    const f = foldedOut(e);
    return f === null || used.has(f);
  });
  used = readBy(kept);
  return kept.filter((e) => !(e.kind === 'write' && consts.has(e.vbuf) && !used.has(e.vbuf) && !owned.has(e.vbuf)));
}
