/**
 * The reduction pass, after the element-wise one (fuse.ts): a float32 `sum`/`max`/`min`/`prod`
 * whose input is computed by the fused program just before it, and whose result is read by the
 * fused program just after it, becomes one ReductionProgram (fused-reduction.ts) with that
 * program as its prologue and epilogue: the values reduced and the reduced values then never
 * touch memory. Runs only for a backend with a `fused.reduction` kernel (elsewhere the fused form
 * would run as the same calls plus copies).
 *
 * Only provably equal computations are fused. A prologue is taken when the reduction reads the
 * view the program stored (the program's other outputs stay stored, as the kernel's extra
 * outputs, and so does the value reduced when something after the reduction reads it, if it is
 * contiguous); an epilogue when it reads the reduction's result through the view the reduction
 * wrote, and nothing else does before it (the result is stored as one more output when read
 * later). Views equal but for a size-1 dim's stride count as the same view; contiguous views of
 * the same elements in another shape (a reshape between the kernels) too, the program then run
 * in the reduction's shapes when all its operands are contiguous. A plain copy just before the
 * reduction is taken as an identity prologue on its source, also through a reshape that only
 * merges or splits dims (the reduction then runs in the copy's shape, each reduced dim one dim
 * there). Between the program, the reduction and the epilogue lie only allocations, frees and
 * `.grad` hand-outs, and the fused entry takes the place of the last of them.
 */
import { checkProgram, type ElementwiseProgram, type ProgramInstr } from '../fused-program.ts';
import { checkReduction, type ProgramReduceOp } from '../fused-reduction.ts';
import { numel } from '../shape.ts';
import { isFloatReduce, keyOf } from './fuse.ts';
import { entryBuffers } from './plan.ts';
import type { Entry, Trace, VView } from './trace.ts';


/** `program` with its registers renamed by `map` (inputs permuted; instructions keep their order). */
function renumber(program: ElementwiseProgram, inputs: readonly number[], map: (r: number) => number, outputs: readonly number[]): ElementwiseProgram {
  const instrs = program.instrs.map((ins): ProgramInstr => {
    switch (ins.kind) {
      case 'unary': return { ...ins, x: map(ins.x) };
      case 'binary': return { ...ins, a: map(ins.a), b: map(ins.b) };
      case 'where': return { ...ins, cond: map(ins.cond), a: map(ins.a), b: map(ins.b) };
      case 'const': return ins;
    }
  });
  return checkProgram(inputs.map((k) => program.inputs[k]!), instrs, outputs.map(map));
}

/** `program` with input `k` moved to register 0. */
export function inputFirst(program: ElementwiseProgram, k: number): ElementwiseProgram {
  const n = program.inputs.length;
  const order = [k, ...[...Array(n).keys()].filter((i) => i !== k)];
  const map = (r: number): number => (r >= n ? r : r === k ? 0 : r < k ? r + 1 : r);
  return renumber(program, order, map, program.outputs);
}

/** `program` with output `k` moved first. */
function outputFirst(program: ElementwiseProgram, k: number): ElementwiseProgram {
  const outs = [program.outputs[k]!, ...program.outputs.filter((_, i) => i !== k)];
  return renumber(program, [...program.inputs.keys()], (r) => r, outs);
}

/** `program` with output `k` also listed first (reduced), all its outputs kept after it (stored). */
function withOutputFirst(program: ElementwiseProgram, k: number): ElementwiseProgram {
  return renumber(program, [...program.inputs.keys()], (r) => r, [program.outputs[k]!, ...program.outputs]);
}

/** Row-major contiguous (a size-1 dim's stride does not matter). */
export function isContiguous(v: VView): boolean {
  let want = 1;
  for (let d = v.shape.length - 1; d >= 0; d--) {
    if (v.shape[d] !== 1 && v.strides[d] !== want) return false;
    want *= v.shape[d]!;
  }
  return true;
}

/** Row-major strides of `shape`. */
function contiguousStrides(shape: readonly number[]): number[] {
  const st = new Array<number>(shape.length);
  for (let d = shape.length - 1, m = 1; d >= 0; d--) {
    st[d] = m;
    m *= shape[d]!;
  }
  return st;
}

/**
 * A program's views re-read in `shape` (an element-wise program computes the same values over a
 * reshape of all its operands), or null when one cannot be: each must be contiguous with as many
 * elements, or a single element.
 */
export function asShape(views: readonly VView[], shape: readonly number[]): VView[] | null {
  const n = numel(shape);
  const out: VView[] = [];
  for (const v of views) {
    if (numel(v.shape) !== n || (n !== 1 && !isContiguous(v))) return null;
    out.push({ ...v, shape: [...shape], strides: contiguousStrides(shape) });
  }
  return out;
}

/** Two contiguous views of the same elements in another shape (a reshape between two kernels). */
export const reshapeOf = (a: VView, b: VView): boolean =>
  a.vbuf === b.vbuf && a.offset === b.offset && a.dtype === b.dtype && numel(a.shape) === numel(b.shape) && isContiguous(a) && isContiguous(b);

/**
 * For each dim of `to`, the consecutive dims of `from` whose sizes multiply to it (a reshape that
 * only merges or splits dims), or null; shapes with a size-1 dim are left alone (null).
 */
function dimGroups(from: readonly number[], to: readonly number[]): number[][] | null {
  if (from.includes(1) || to.includes(1)) return null;
  const groups: number[][] = [];
  let f = 0;
  for (const t of to) {
    const g: number[] = [];
    let p = 1;
    while (f < from.length && p < t) {
      p *= from[f]!;
      g.push(f++);
    }
    if (p !== t) return null;
    groups.push(g);
  }
  return f === from.length ? groups : null;
}

/** Fuses reductions with their neighbouring programs (see the file comment). */
export function fuseReductions(entries: readonly Entry[], trace: Trace, owned: ReadonlySet<number>): readonly Entry[] {
  const lastUse = new Map<number, number>();
  entries.forEach((e, i) => {
    for (const b of entryBuffers(e)) lastUse.set(b, i);
  });
  // Gradient entries only hand buffers out as `.grad` (nothing computed): skipped like allocations.
  const compute = entries.flatMap((e, i) => (e.kind === 'alloc' || e.kind === 'free' || e.kind === 'grad' ? [] : [i]));
  /** A plan buffer that no tensor leaving the call holds and that nothing reads after `at`. */
  const privateTo = (vbuf: number, at: number): boolean => trace.vbufs[vbuf]!.origin === 'plan' && !owned.has(vbuf) && lastUse.get(vbuf) === at;
  const drop = new Set<number>();
  const replace = new Map<number, Entry>();

  compute.forEach((i, k) => {
    const e = entries[i]!;
    if (!isFloatReduce(e) || e.kind !== 'call' || drop.has(i)) return;
    const op = (e.args[0] as { value: ProgramReduceOp }).value;
    const x = (e.args[1] as { v: VView }).v;
    const axes = (e.args[2] as { value: readonly number[] }).value;
    const out = (e.args[3] as { v: VView }).v;
    let ops = 1;
    // The reduction as run: in the shape of a copy taken as its prologue (below), else as called.
    let rAxes = axes, rOut = out, reshaped = false;

    // The prologue: the program just before, when the reduction is the last reader of what it stored.
    let prologue: ElementwiseProgram | null = null;
    let inputs: readonly VView[] = [x];
    let extraOutputs: readonly VView[] = [];
    const j = k > 0 ? compute[k - 1]! : -1;
    const pe = j >= 0 ? entries[j]! : null;
    if (pe?.kind === 'program' && !drop.has(j) && !replace.has(j)) {
      let pIn: readonly VView[] | null = pe.inputs, pOut: readonly VView[] | null = pe.outputs;
      let at = pOut.findIndex((o) => keyOf(o) === keyOf(x));
      // The reduction reads what the program stored in another shape (a reshape between them):
      // the program runs in the reduction's shape instead.
      const r = at < 0 ? pOut.findIndex((o) => reshapeOf(o, x)) : -1;
      if (r >= 0) {
        pIn = asShape(pe.inputs, x.shape);
        pOut = asShape(pe.outputs, x.shape);
        at = pIn && pOut ? r : -1;
      }
      if (pIn && pOut && at >= 0 && pOut.every((o, n) => n === at || o.vbuf !== x.vbuf)) {
        if (privateTo(x.vbuf, i)) {
          prologue = outputFirst(pe.program, at);
          inputs = pIn;
          extraOutputs = pOut.filter((_, n) => n !== at);
          ops += pe.ops;
        } else if (isContiguous(x)) {
          // Read again later (a bias gradient's masked values, a residual sum): the value reduced
          // is also stored, as an extra output (the contract's extra outputs are contiguous).
          prologue = withOutputFirst(pe.program, at);
          inputs = pIn;
          extraOutputs = pOut;
          ops += pe.ops;
        }
      }
    }

    // A copy just before (a strided gradient made contiguous for the products after it): an
    // identity prologue on the copy's source; the destination stays stored (an extra output) when
    // read again. Through a reshape that only merges or splits dims, the reduction runs in the
    // copy's shape: each reduced dim is one dim there, so the same elements fold in the same order.
    if (prologue === null && pe?.kind === 'call' && !pe.fused && pe.method === 'copy' && !drop.has(j)) {
      const src = (pe.args[0] as { v?: VView }).v, dst = (pe.args[1] as { v?: VView }).v;
      if (src && dst && src.dtype === 'float32' && dst.dtype === 'float32' && dst.vbuf === x.vbuf && isContiguous(dst)) {
        const same = keyOf(dst) === keyOf(x);
        const g = same ? null : reshapeOf(dst, x) && isContiguous(out) ? dimGroups(dst.shape, x.shape) : null;
        if (same || (g && axes.every((a) => g[a]!.length === 1))) {
          const keep = !privateTo(x.vbuf, i);
          prologue = checkProgram(['float32'], [], keep ? [0, 0] : [0]);
          inputs = [src];
          extraOutputs = keep ? [dst] : [];
          ops += 1;
          if (g) {
            rAxes = axes.map((a) => g[a]![0]!);
            const rShape = dst.shape.map((d, a) => (rAxes.includes(a) ? 1 : d));
            rOut = { ...out, shape: rShape, strides: contiguousStrides(rShape) };
            reshaped = true;
          }
        }
      }
    }

    // The epilogue: the program just after, when it alone reads the result, by the view written.
    let epilogue: ElementwiseProgram | null = null;
    let epilogueInputs: readonly VView[] = [];
    let outputs: readonly VView[] = [rOut];
    const n = k + 1 < compute.length ? compute[k + 1]! : -1;
    const ne = n >= 0 ? entries[n]! : null;
    // Read again later (a mean's sum, saved for backward): the epilogue also stores the reduced
    // value, as one more output (the contract's outputs are contiguous).
    const kept = n >= 0 && !privateTo(out.vbuf, n) && trace.vbufs[out.vbuf]!.origin === 'plan' && isContiguous(out);
    if (!reshaped && ne?.kind === 'program' && (privateTo(out.vbuf, n) || kept)) {
      const reads = ne.inputs.flatMap((v, r) => (v.vbuf === out.vbuf ? [r] : []));
      const sameShape = (s: readonly number[]): boolean => s.length === out.shape.length && s.every((d, a) => d === out.shape[a]);
      let eIn: readonly VView[] | null = ne.inputs, eOut: readonly VView[] | null = ne.outputs;
      // The program reads the result in another shape (a mean's [1, 1] read as []): it runs in the
      // reduction's result shape instead.
      if (reads.length === 1 && keyOf(ne.inputs[reads[0]!]!) !== keyOf(out) && reshapeOf(ne.inputs[reads[0]!]!, out)) {
        eIn = asShape(ne.inputs, out.shape);
        eOut = asShape(ne.outputs, out.shape);
      }
      if (eIn && eOut && reads.length === 1 && keyOf(eIn[reads[0]!]!) === keyOf(out) && eOut.every((o) => sameShape(o.shape) && o.vbuf !== out.vbuf)) {
        epilogue = inputFirst(ne.program, reads[0]!);
        if (kept) epilogue = checkProgram(epilogue.inputs, epilogue.instrs, [...epilogue.outputs, 0]);
        epilogueInputs = eIn.filter((_, r) => r !== reads[0]);
        outputs = kept ? [...eOut, out] : eOut;
        ops += ne.ops;
      }
    }
    if (prologue === null && epilogue === null) return;
    if (prologue !== null) drop.add(j);
    const program = checkReduction(prologue ?? checkProgram(['float32'], [], [0]), op, rAxes, epilogue);
    if (epilogue !== null) {
      drop.add(i);
      replace.set(n, { kind: 'reduction', program, inputs, extraOutputs, epilogueInputs, outputs, ops });
    } else {
      replace.set(i, { kind: 'reduction', program, inputs, extraOutputs, epilogueInputs, outputs, ops });
    }
  });

  const result: Entry[] = [];
  entries.forEach((e, i) => {
    if (!drop.has(i)) result.push(replace.get(i) ?? e);
  });
  return result;
}
