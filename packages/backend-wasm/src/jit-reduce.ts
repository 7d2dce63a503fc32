// Fused reductions (core's fused-reduction.ts) as generated WebAssembly modules: the prologue
// program computes each value in v128 registers, the value is folded into accumulators at once,
// and the epilogue program runs on the reduced value, so neither the values reduced nor the
// reduced values touch memory (the prologue's extra outputs are still stored).
//
// The meaning is runReductionComposite: the prologue into a contiguous temporary, backend-wasm's
// `reduce` of it, the epilogue. Bit-identity therefore needs assembly/reduce.ts's accumulation,
// which on a contiguous temporary comes down to two walks, and only those are generated:
//  - rows: every reduced dim lies after every kept one (a softmax's or LayerNorm's row, a mean of
//    everything). The reduced dims are one contiguous row of n per output; a float32 sum adds
//    elements 4i+0/1 and 4i+2/3 into two f64x2 partials, adds their lanes (lane 0 + lane 1) to
//    the float64 accumulator, then adds the row's last n % 4 elements one by one (rowF32).
//  - cols: every reduced dim lies before every kept one (a bias gradient's sum over the batch).
//    Each output adds its values one by one in float64, in reduced-row order; four neighbouring
//    outputs run in the lanes of two f64x2 accumulators (colF64), which is the same arithmetic.
// Products multiply one by one in float64; max/min are exact in any order. A reduction whose
// kept and reduced dims interleave, or whose operands do not make one run per walk direction
// (the dims must coalesce in every operand), gets no module: the caller runs the composite.
import { coalesce, contiguousStrides, type ReductionProgram, type View } from '@torchlet/core';
import { ELEMENT_IMPORTS, ProgramCode } from './jit-program.ts';
import { Body, F32, F64, I32, OP, V128, moduleBytes, uleb } from './jit-emit.ts';

/** How the vector direction reads an operand: one value in every lane, four contiguous, or four strided. */
type Lanes = 'splat' | 'dense' | 'strided';

/** One call's layout: the module's cache key, the words it reads and how many outputs (rows) or kept elements (cols) it covers. */
export interface ReductionLayout {
  /** The walk and each operand's lane class (with the program's key, the module's cache key). */
  readonly key: string;
  /** 'rows' or 'cols' (see the file comment). */
  readonly walk: 'rows' | 'cols';
  /** The prologue inputs' lane classes (rows: along the reduced row; cols: along the kept run). */
  readonly inputs: readonly Lanes[];
  /** The epilogue inputs' lane classes (cols; rows runs the epilogue one output at a time). */
  readonly epilogueInputs: readonly Lanes[];
  /** `run(words, 0, count)`: outputs (rows) or kept elements (cols). */
  readonly count: number;
  /** The call's words (see generateReductionModule). */
  readonly words: Int32Array;
}

const BYTES: Record<string, number> = { float32: 4, bool: 1 };
const lanes = (stride: number): Lanes => (stride === 0 ? 'splat' : stride === 1 ? 'dense' : 'strided');
const addr = (v: View): number => v.buffer + v.offset * BYTES[v.dtype]!;

/**
 * The layout of a call whose views were checked (checkReductionViews), or null where no module
 * applies (interleaved kept and reduced dims, operands that do not coalesce, an empty shape).
 */
export function reductionLayout(
  program: ReductionProgram, inputs: readonly View[], extraOutputs: readonly View[], epilogueInputs: readonly View[], outputs: readonly View[],
): ReductionLayout | null {
  const x = inputs[0]!.shape;
  const reduced = new Set(program.axes);
  const r = x.map((d, i) => (reduced.has(i) ? 1 : d));
  const xc = contiguousStrides(x), rc = contiguousStrides(r);
  const kept = [...x.keys()].filter((d) => !reduced.has(d) && x[d]! > 1);
  const red = [...x.keys()].filter((d) => reduced.has(d) && x[d]! > 1);
  const walk = kept.length === 0 || red.length === 0 || kept.at(-1)! < red[0]! ? 'rows' : red.at(-1)! < kept[0]! ? 'cols' : null;
  if (walk === null || x.some((d) => d === 0)) return null;
  const pick = (s: readonly number[], dims: readonly number[]): number[] => dims.map((d) => s[d]!);
  // Every operand over the kept dims (the epilogue's and the outputs' strides are over the result shape, same dims).
  const keptOps = [...inputs.map((v) => v.strides), ...extraOutputs.map(() => xc), ...epilogueInputs.map((v) => v.strides), ...outputs.map(() => rc)];
  const k = coalesce(pick(x, kept), keptOps.map((s) => pick(s, kept)));
  const redOps = [xc, ...inputs.map((v) => v.strides), ...extraOutputs.map(() => xc)];
  const q = coalesce(pick(x, red), redOps.map((s) => pick(s, red)));
  // The reduced dims may make two runs in the operands (a bias broadcast over the rows of a
  // sum of everything): an outer count of inner rows. A rows walk's two partials then carry on
  // from one inner row to the next, which is the temporary's one row only when no group of four
  // straddles two inner rows.
  if (k.shape.length > 1 || q.shape.length > 2) return null;
  const two = q.shape.length === 2;
  if (two && walk === 'rows' && q.shape[1]! % 4 !== 0) return null;
  const ks = k.strides.map((s) => s[0]!);
  const inner = q.strides.map((s) => s[two ? 1 : 0]!), outer = q.strides.map((s) => (two ? s[0]! : 0));
  const nIn = inputs.length;
  const keptCount = k.shape[0]!;
  const words: number[] = [q.shape[two ? 1 : 0]!, two ? q.shape[0]! : 1];
  const inputLanes = inputs.map((_, i) => lanes(walk === 'rows' ? inner[1 + i]! : ks[i]!));
  const epiLanes = walk === 'cols' ? epilogueInputs.map((_, i) => lanes(ks[nIn + extraOutputs.length + i]!)) : [];
  // Per prologue input and extra output: address, kept stride, inner and outer reduced strides
  // (bytes); per epilogue input: address, kept stride; per output: address.
  for (const [i, v] of inputs.entries()) words.push(addr(v), ...[ks[i]!, inner[1 + i]!, outer[1 + i]!].map((x) => x * BYTES[v.dtype]!));
  for (const [i, v] of extraOutputs.entries()) words.push(addr(v), ...[ks[nIn + i]!, inner[1 + nIn + i]!, outer[1 + nIn + i]!].map((x) => x * BYTES[v.dtype]!));
  for (const [i, v] of epilogueInputs.entries()) words.push(addr(v), ks[nIn + extraOutputs.length + i]! * BYTES[v.dtype]!);
  for (const v of outputs) words.push(addr(v));
  const key = `${walk}:${inputLanes.join(',')}:${epiLanes.join(',')}`;
  return { key, walk, inputs: inputLanes, epilogueInputs: epiLanes, count: keptCount, words: Int32Array.from(words) };
}

/**
 * The module for `program` over layouts like `layout`: exports `run(words, from, to)`, which
 * computes outputs (rows) or kept elements (cols) [from, to).
 * Throws when an instruction has no generated form (the caller runs the composite).
 */
export function generateReductionModule(program: ReductionProgram, layout: ReductionLayout, shared: boolean, maxPages: number): Uint8Array<ArrayBuffer> {
  const pro = program.prologue, epi = program.epilogue;
  const op = program.op;
  const nIn = pro.inputs.length, nExtra = pro.outputs.length - 1;
  const nEpi = epi ? epi.inputs.length - 1 : 0, nOut = epi ? epi.outputs.length : 1;
  const rows = layout.walk === 'rows';

  // Locals: parameters 0 words, 1 from, 2 to.
  let next = 3;
  const local = (): number => next++;
  const o = local(), e = local(), t = local(), n = local(), ro = local(), nRows = local();
  const ptr = pro.inputs.map(() => local());
  const base = pro.inputs.map(() => local());
  const rstride = pro.inputs.map(() => local());
  const ostride = pro.inputs.map(() => local());
  const kstride = pro.inputs.map(() => local());
  const xptr = Array.from({ length: nExtra }, () => local());
  const xbase = Array.from({ length: nExtra }, () => local());
  const xstride = Array.from({ length: nExtra }, () => local());
  const xostride = Array.from({ length: nExtra }, () => local());
  const eptr = Array.from({ length: nEpi }, () => local());
  const estride = Array.from({ length: nEpi }, () => local());
  const optr = Array.from({ length: nOut }, () => local());
  const i32Count = next - 3;
  const acc = local();
  const f64Count = 1;
  const m = local();
  const f32Count = 1;
  const preg = pro.dtypes.map(() => local());
  const ereg = epi ? epi.dtypes.map(() => local()) : [];
  const tmp = local(), v0 = local(), v1 = local();
  // Accumulator pairs of the four groups of a sixteen-wide cols run (group 0's is v0, v1).
  const pairs = [[v0, v1], [local(), local()], [local(), local()], [local(), local()]] as const;
  const v128Count = next - 3 - i32Count - f64Count - f32Count;

  // Word offsets (reductionLayout): inner row length, outer rows, then the operands'.
  let w = 2;
  const inWord = pro.inputs.map(() => (w += 4) - 4);
  const extraWord = Array.from({ length: nExtra }, () => (w += 4) - 4);
  const epiWord = Array.from({ length: nEpi }, () => (w += 2) - 2);
  const outWord = Array.from({ length: nOut }, () => w++);

  const b = new Body();
  const word = (i: number): Body => b.get(0).raw(OP.i32Load, 2, ...uleb(i * 4));
  const pcode = new ProgramCode(b, pro, preg, t, tmp);
  const ecode = epi ? new ProgramCode(b, epi, ereg, t, tmp) : null;
  const inBool = (k: number): boolean => pro.inputs[k] === 'bool';
  const outSize = (k: number): number => BYTES[epi ? epi.dtypes[epi.outputs[k]!]! : 'float32']!;
  const bump = (l: number, by: number | { local: number; times: number }): void => {
    b.get(l);
    if (typeof by === 'number') b.i32(by);
    else {
      b.get(by.local);
      if (by.times !== 1) b.i32(by.times).raw(OP.i32Mul);
    }
    b.raw(OP.i32Add).set(l);
  };
  /** local = word(at) + o * word(at + 1) (the operand's address at kept index o). */
  const at = (l: number, wordAt: number): void => {
    word(wordAt);
    b.get(o);
    word(wordAt + 1);
    b.raw(OP.i32Mul, OP.i32Add).set(l);
  };
  const shuffleHi = [8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7];
  const value = preg[pro.outputs[0]!]!;

  // ---- once: the row length and count, strides, constants ------------------------------------
  word(0).set(n);
  word(1).set(nRows);
  for (let k = 0; k < nIn; k++) {
    word(inWord[k]! + 1).set(kstride[k]!);
    word(inWord[k]! + 2).set(rstride[k]!);
    word(inWord[k]! + 3).set(ostride[k]!);
  }
  for (let j = 0; j < nExtra; j++) {
    word(extraWord[j]! + 2).set(xstride[j]!);
    word(extraWord[j]! + 3).set(xostride[j]!);
  }
  for (let j = 0; j < nEpi; j++) word(epiWord[j]! + 1).set(estride[j]!);
  pcode.constants();
  ecode?.constants();

  const initAccumulators = (groups = 1): void => {
    const id = op === 'sum' ? 0 : op === 'prod' ? 1 : op === 'max' ? -Infinity : Infinity;
    for (let g = 0; g < groups; g++) {
      const [a0, a1] = pairs[g]!;
      if (op === 'sum' || op === 'prod') {
        b.f64(id).simd('f64x2.splat').tee(a0).set(a1);
      } else {
        b.f32(id).simd('f32x4.splat').set(a0);
      }
    }
    if (op === 'sum' || op === 'prod') b.f64(id).set(acc);
    else b.f32(id).set(m);
  };
  /** Folds the value register into the lane accumulators (cols; rows for sum and max/min) of group `g`. */
  const foldLanes = (g = 0): void => {
    const [v0, v1] = pairs[g]!;
    if (op === 'sum' || op === 'prod') {
      const f = op === 'sum' ? 'f64x2.add' : 'f64x2.mul';
      b.get(v0).get(value).simd('f64x2.promote_low_f32x4').simd(f).set(v0);
      b.get(v1).get(value).get(value).simd('i8x16.shuffle', ...shuffleHi).simd('f64x2.promote_low_f32x4').simd(f).set(v1);
    } else {
      b.get(v0).get(value).simd(op === 'max' ? 'f32x4.max' : 'f32x4.min').set(v0);
    }
  };
  /** Folds lane 0 of the value register into the scalar accumulator (rows, one element). */
  const foldScalar = (): void => {
    if (op === 'sum' || op === 'prod') {
      b.get(acc).get(value).simd('f32x4.extract_lane', 0).raw(OP.f64PromoteF32, op === 'sum' ? OP.f64Add : OP.f64Mul).set(acc);
    } else {
      b.get(m).get(value).simd('f32x4.extract_lane', 0).raw(op === 'max' ? OP.f32Max : OP.f32Min).set(m);
    }
  };
  /** Stores the prologue's extra outputs at their pointers (four elements, `g` groups of four further, or lane 0). */
  const storeExtras = (vector: boolean, g = 0): void => {
    for (let j = 0; j < nExtra; j++) pcode.store(xptr[j]!, pro.outputs[j + 1]!, vector, g);
  };
  /** The reduced value(s) of group `g`, as float32 lanes, into register 0 of the epilogue (or stored). */
  const finish = (vector: boolean, g = 0): void => {
    const [v0, v1] = pairs[g]!;
    const dst = epi ? ereg[0]! : tmp;
    if (rows) {
      if (op === 'sum' || op === 'prod') b.get(acc).raw(OP.f32DemoteF64);
      else b.get(m);
      b.simd('f32x4.splat').set(dst);
    } else if (op === 'sum' || op === 'prod') {
      b.get(v0).simd('f32x4.demote_f64x2_zero').get(v1).simd('f32x4.demote_f64x2_zero')
        .simd('i8x16.shuffle', 0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23).set(dst);
    } else {
      b.get(v0).set(dst);
    }
    if (epi) {
      for (let j = 0; j < nEpi; j++) {
        const bool = epi.inputs[j + 1] === 'bool';
        const cls = rows ? 'splat' : layout.epilogueInputs[j]!;
        if (!vector || cls === 'splat') ecode!.loadSplat(eptr[j]!, ereg[j + 1]!, bool);
        else if (cls === 'dense') ecode!.loadVector(eptr[j]!, ereg[j + 1]!, bool, g);
        else ecode!.loadStrided(eptr[j]!, estride[j]!, ereg[j + 1]!, bool);
      }
      ecode!.instructions(vector);
      for (let k = 0; k < nOut; k++) ecode!.store(optr[k]!, epi.outputs[k]!, vector, g);
    } else {
      b.get(optr[0]!).get(tmp);
      if (vector) b.simd('v128.store', 0, ...uleb(16 * g));
      else b.simd('v128.store32_lane', 0, 0, 0);
    }
  };
  /** Per output (rows) or kept run (cols) at index o: every operand's address. */
  const addresses = (): void => {
    for (let k = 0; k < nIn; k++) at(base[k]!, inWord[k]!);
    for (let j = 0; j < nExtra; j++) at(xbase[j]!, extraWord[j]!);
    for (let j = 0; j < nEpi; j++) at(eptr[j]!, epiWord[j]!);
    for (let k = 0; k < nOut; k++) word(outWord[k]!).get(o).i32(outSize(k)).raw(OP.i32Mul, OP.i32Add).set(optr[k]!);
  };

  /** The start of an inner row: the pointers at their row bases (then the bases move to the next row). */
  const rowStart = (): void => {
    for (let k = 0; k < nIn; k++) {
      b.get(base[k]!).set(ptr[k]!);
      bump(base[k]!, { local: ostride[k]!, times: 1 });
    }
    for (let j = 0; j < nExtra; j++) {
      b.get(xbase[j]!).set(xptr[j]!);
      bump(xbase[j]!, { local: xostride[j]!, times: 1 });
    }
  };
  /** `body` for each of the nRows inner rows (rowStart, then `body`). */
  const eachRow = (body: () => void): void => {
    b.i32(0).set(ro);
    b.raw(OP.block, 0x40, OP.loop, 0x40);
    b.get(ro).get(nRows).raw(OP.i32GeS, OP.brIf, 1);
    rowStart();
    body();
    bump(ro, 1);
    b.raw(OP.br, 0, OP.end, OP.end);
  };

  b.get(1).set(o);
  if (rows) {
    // ---- rows: per output, its nRows inner rows of n values ---------------------------------
    b.raw(OP.block, 0x40, OP.loop, 0x40);
    b.get(o).get(2).raw(OP.i32GeS, OP.brIf, 1);
    addresses();
    initAccumulators();
    // Four values at a time, row after row (the partials carry on: n is a multiple of 4 when nRows > 1).
    eachRow(() => {
      for (let k = 0; k < nIn; k++) if (layout.inputs[k] === 'splat') pcode.loadSplat(ptr[k]!, preg[k]!, inBool(k));
      b.i32(0).set(e);
      b.raw(OP.block, 0x40, OP.loop, 0x40);
      b.get(n).get(e).raw(OP.i32Sub).i32(4).raw(OP.i32LtS, OP.brIf, 1);
      for (let k = 0; k < nIn; k++) {
        const cls = layout.inputs[k]!;
        if (cls === 'dense') pcode.loadVector(ptr[k]!, preg[k]!, inBool(k));
        else if (cls === 'strided') pcode.loadStrided(ptr[k]!, rstride[k]!, preg[k]!, inBool(k));
      }
      pcode.instructions(true);
      storeExtras(true);
      if (op === 'prod') {
        for (let lane = 0; lane < 4; lane++) b.get(acc).get(value).simd('f32x4.extract_lane', lane).raw(OP.f64PromoteF32, OP.f64Mul).set(acc);
      } else {
        foldLanes();
      }
      for (let k = 0; k < nIn; k++) if (layout.inputs[k] !== 'splat') bump(ptr[k]!, { local: rstride[k]!, times: 4 });
      for (let j = 0; j < nExtra; j++) bump(xptr[j]!, { local: xstride[j]!, times: 4 });
      bump(e, 4);
      b.raw(OP.br, 0, OP.end, OP.end);
    });
    // The partials into the accumulator: acc + (lane 0 + lane 1) of their sum; max/min of the lanes.
    if (op === 'sum') {
      b.get(v0).get(v1).simd('f64x2.add').set(v0);
      b.get(acc).get(v0).simd('f64x2.extract_lane', 0).get(v0).simd('f64x2.extract_lane', 1).raw(OP.f64Add, OP.f64Add).set(acc);
    } else if (op === 'max' || op === 'min') {
      for (let lane = 0; lane < 4; lane++) b.get(m).get(v0).simd('f32x4.extract_lane', lane).raw(op === 'max' ? OP.f32Max : OP.f32Min).set(m);
    }
    // The (last) row's last values, one at a time.
    b.raw(OP.block, 0x40, OP.loop, 0x40);
    b.get(e).get(n).raw(OP.i32GeS, OP.brIf, 1);
    for (let k = 0; k < nIn; k++) if (layout.inputs[k] !== 'splat') pcode.loadSplat(ptr[k]!, preg[k]!, inBool(k));
    pcode.instructions(false);
    storeExtras(false);
    foldScalar();
    for (let k = 0; k < nIn; k++) if (layout.inputs[k] !== 'splat') bump(ptr[k]!, { local: rstride[k]!, times: 1 });
    for (let j = 0; j < nExtra; j++) bump(xptr[j]!, { local: xstride[j]!, times: 1 });
    bump(e, 1);
    b.raw(OP.br, 0, OP.end, OP.end);
    finish(false);
    bump(o, 1);
    b.raw(OP.br, 0, OP.end, OP.end);
  } else {
    // ---- cols: per four kept elements (then one at a time), every reduced value in order -------
    const run = (vector: boolean): void => {
      b.raw(OP.block, 0x40, OP.loop, 0x40);
      if (vector) b.get(2).get(o).raw(OP.i32Sub).i32(4).raw(OP.i32LtS, OP.brIf, 1);
      else b.get(o).get(2).raw(OP.i32GeS, OP.brIf, 1);
      addresses();
      initAccumulators();
      eachRow(() => {
        b.i32(0).set(e);
        b.raw(OP.block, 0x40, OP.loop, 0x40);
        b.get(e).get(n).raw(OP.i32GeS, OP.brIf, 1);
        for (let k = 0; k < nIn; k++) {
          const cls = layout.inputs[k]!;
          if (!vector || cls === 'splat') pcode.loadSplat(ptr[k]!, preg[k]!, inBool(k));
          else if (cls === 'dense') pcode.loadVector(ptr[k]!, preg[k]!, inBool(k));
          else pcode.loadStrided(ptr[k]!, kstride[k]!, preg[k]!, inBool(k));
        }
        pcode.instructions(vector);
        storeExtras(vector);
        foldLanes();
        for (let k = 0; k < nIn; k++) bump(ptr[k]!, { local: rstride[k]!, times: 1 });
        for (let j = 0; j < nExtra; j++) bump(xptr[j]!, { local: xstride[j]!, times: 1 });
        bump(e, 1);
        b.raw(OP.br, 0, OP.end, OP.end);
      });
      finish(vector);
      bump(o, vector ? 4 : 1);
      b.raw(OP.br, 0, OP.end, OP.end);
    };
    // Sixteen kept elements at a time (four groups, each with accumulators of its own, so four
    // times the independent adds) where the prologue's and the epilogue's operands are contiguous
    // or one value along the kept run; each output still folds its values in order.
    if ([...layout.inputs, ...layout.epilogueInputs].every((c) => c !== 'strided')) {
      b.raw(OP.block, 0x40, OP.loop, 0x40);
      b.get(2).get(o).raw(OP.i32Sub).i32(16).raw(OP.i32LtS, OP.brIf, 1);
      addresses();
      initAccumulators(4);
      eachRow(() => {
        b.i32(0).set(e);
        b.raw(OP.block, 0x40, OP.loop, 0x40);
        b.get(e).get(n).raw(OP.i32GeS, OP.brIf, 1);
        for (let k = 0; k < nIn; k++) if (layout.inputs[k] === 'splat') pcode.loadSplat(ptr[k]!, preg[k]!, inBool(k));
        for (let g = 0; g < 4; g++) {
          for (let k = 0; k < nIn; k++) if (layout.inputs[k] === 'dense') pcode.loadVector(ptr[k]!, preg[k]!, inBool(k), g);
          pcode.instructions(true);
          storeExtras(true, g);
          foldLanes(g);
        }
        for (let k = 0; k < nIn; k++) bump(ptr[k]!, { local: rstride[k]!, times: 1 });
        for (let j = 0; j < nExtra; j++) bump(xptr[j]!, { local: xstride[j]!, times: 1 });
        bump(e, 1);
        b.raw(OP.br, 0, OP.end, OP.end);
      });
      for (let g = 0; g < 4; g++) finish(true, g);
      bump(o, 16);
      b.raw(OP.br, 0, OP.end, OP.end);
    }
    run(true);
    run(false);
  }

  return moduleBytes({
    shared, maxPages, imports: ELEMENT_IMPORTS, params: 3,
    locals: [[i32Count, I32], [f64Count, F64], [f32Count, F32], [v128Count, V128]], body: b.bytes,
  });
}
