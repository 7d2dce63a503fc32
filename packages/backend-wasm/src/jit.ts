// Fused element-wise programs as WebAssembly modules generated per program (the other design
// issue 16 names; measured 3-15x faster than the interpreter of assembly/program.ts in
// benchmarks/fused). Each register is a v128 local, so a chain's intermediates never leave the
// CPU's registers: four elements per iteration, then one element at a time for a row's last
// ones (the same v128 code on a splatted element, so every element is computed alike).
//
// An op's meaning is not written here: its v128 form comes from the kernels' own source
// (simd-forms.generated.ts, read from assembly/ by scripts/op-codes.mjs), and an op without one
// (exp, erf, pow, ...) calls the kernels' unaryElementF32 / binaryElementF32, the eager kernels'
// element functions, through an import from the kernels' instance. So a generated module gives
// the eager kernels' bits, as the interpreter does.
//
// The module imports the kernels' memory (shared with the pool threads when threads are on; each
// pool thread instantiates the module on its first part of it, from the bytes passed with the
// job). The iteration: the views are coalesced into a shape whose last dim is a "row"; an input
// is `splat` (one value), `dense` (the outputs' layout), or per row `bcast` (one value per row:
// a LayerNorm's mean), `inner` (contiguous along the row: a bias) or `strided`. Shapes and
// addresses come per call in a word block; the classes are part of the module's cache key.
import { coalesce, contiguousStrides, type ReductionProgram, type View } from '@torchlet/core';
import type { CompiledProgram } from './program.ts';
import { Body, I32, OP, V128, moduleBytes, uleb } from './jit-emit.ts';
import { ELEMENT_IMPORTS, ProgramCode } from './jit-program.ts';
import { generateReductionModule, reductionLayout, type ReductionLayout } from './jit-reduce.ts';

/** How the generated loop reads an input (see the file comment). */
type InputClass = 'splat' | 'dense' | 'bcast' | 'inner' | 'strided';

/** A call's layout: the module's cache key, and the words it reads (see {@link layoutOf}). */
export interface JitLayout {
  /** The coalesced rank and each input's class (with the program's key, the module's cache key). */
  readonly key: string;
  /** The coalesced rank (0 when no input needs per-row addresses). */
  readonly rank: number;
  /** Each input's class. */
  readonly classes: readonly InputClass[];
  /** The call's words: row length and outer dims (with a rank), each input's address (and byte strides), each output's address. */
  readonly words: Int32Array;
}

const BYTES = { float32: 4, bool: 1 } as const;
const rowClass = (c: InputClass): boolean => c === 'bcast' || c === 'inner' || c === 'strided';

/** The layout of one call: views already checked against the program (checkProgramViews). */
export function layoutOf(c: CompiledProgram, inputs: readonly View[], outputs: readonly View[]): JitLayout {
  const shape = outputs[0]!.shape;
  const l = coalesce(shape, [contiguousStrides(shape), ...inputs.map((v) => v.strides)]);
  const r = l.shape.length, dense = l.strides[0]!;
  const classes = inputs.map((_, k): InputClass => {
    const s = l.strides[k + 1]!;
    if (s.every((x) => x === 0)) return 'splat';
    if (s.every((x, d) => x === dense[d])) return 'dense';
    const inner = s[r - 1]!;
    return inner === 0 ? 'bcast' : inner === 1 ? 'inner' : 'strided';
  });
  const rank = classes.some(rowClass) ? r : 0;
  const words: number[] = rank ? [l.shape[r - 1]!, ...l.shape.slice(0, r - 1)] : [];
  for (const [k, v] of inputs.entries()) {
    const size = BYTES[v.dtype as keyof typeof BYTES];
    words.push(v.buffer + v.offset * size);
    if (rowClass(classes[k]!)) for (const s of l.strides[k + 1]!) words.push(s * size);
  }
  for (const v of outputs) words.push(v.buffer + v.offset * BYTES[v.dtype as keyof typeof BYTES]);
  return { key: `${rank}:${classes.join(',')}`, rank, classes, words: Int32Array.from(words) };
}


/**
 * The module for `c` over layouts like `layout`: exports `run(words, from, to)`, which computes
 * elements [from, to). Throws when an instruction has no generated form (the caller then runs the
 * interpreter).
 */
export function generateModule(c: CompiledProgram, layout: JitLayout, shared: boolean, maxPages: number): Uint8Array<ArrayBuffer> {
  const p = c.program;
  const { rank, classes } = layout;
  // Locals: parameters 0 words, 1 from, 2 to; then i32 scratch, per-input and per-output
  // pointers; then one v128 per register and a temporary.
  let next = 3;
  const local = (): number => next++;
  const e = local(), rowEnd = local(), r = local(), t = local(), q = local(), off = local(), col = local(), inner = local();
  const ptr = classes.map(() => local());
  const base = classes.map((k) => (rowClass(k) ? local() : -1));
  const stride = classes.map((k) => (k === 'strided' ? local() : -1));
  const outPtr = p.outputs.map(() => local());
  const i32Count = next - 3;
  const reg = p.dtypes.map(() => local());
  const tmp = local();
  const v128Count = next - 3 - i32Count;

  // Word offsets of the call's block.
  let w = rank;
  const addrWord: number[] = [], strideWord: number[] = [];
  for (const k of classes) {
    addrWord.push(w++);
    strideWord.push(w);
    if (rowClass(k)) w += rank;
  }
  const outWord = p.outputs.map(() => w++);
  const size = (reg: number): number => BYTES[p.dtypes[reg]!];
  const isBool = (reg: number): boolean => p.dtypes[reg] === 'bool';

  const b = new Body();
  const word = (i: number): Body => b.get(0).raw(OP.i32Load, 2, ...uleb(i * 4));
  const add = (l: number, bytes: number | [number, number]): void => {
    b.get(l);
    if (typeof bytes === 'number') b.i32(bytes);
    else b.get(bytes[0]).i32(bytes[1]).raw(OP.i32Mul);
    b.raw(OP.i32Add).set(l);
  };
  const code = new ProgramCode(b, p, reg, t, tmp);

  // ---- prologue: addresses, constants, one-value inputs -------------------------------------
  if (rank) word(0).set(inner);
  for (const [k, cls] of classes.entries()) {
    word(addrWord[k]!);
    if (cls === 'dense') b.get(1).i32(size(k)).raw(OP.i32Mul, OP.i32Add);
    b.set(rowClass(cls) ? base[k]! : ptr[k]!);
    if (cls === 'splat') code.loadSplat(ptr[k]!, reg[k]!, isBool(k));
    if (cls === 'strided') word(strideWord[k]! + rank - 1).set(stride[k]!);
  }
  for (const [o, rgs] of p.outputs.entries()) word(outWord[o]!).get(1).i32(size(rgs)).raw(OP.i32Mul, OP.i32Add).set(outPtr[o]!);
  code.constants();
  b.get(1).set(e);

  // ---- per element group: loads, the instructions, stores -----------------------------------
  const loads = (vector: boolean): void => {
    for (const [k, cls] of classes.entries()) {
      if (cls === 'splat' || cls === 'bcast') continue;
      if (!vector) code.loadSplat(ptr[k]!, reg[k]!, isBool(k));
      else if (cls !== 'strided') code.loadVector(ptr[k]!, reg[k]!, isBool(k));
      else code.loadStrided(ptr[k]!, stride[k]!, reg[k]!, isBool(k));
    }
  };
  const instructions = (vector: boolean): void => code.instructions(vector);
  const stores = (vector: boolean): void => {
    for (const [o, rg] of p.outputs.entries()) code.store(outPtr[o]!, rg, vector);
  };
  const advance = (n: number): void => {
    for (const [k, cls] of classes.entries()) {
      if (cls === 'splat' || cls === 'bcast') continue;
      add(ptr[k]!, cls === 'strided' ? [stride[k]!, n] : n * size(k));
    }
    for (const [o, rg] of p.outputs.entries()) add(outPtr[o]!, n * size(rg));
    add(e, n);
  };

  // ---- the loops ------------------------------------------------------------------------------
  b.raw(OP.block, 0x40, OP.loop, 0x40);
  b.get(e).get(2).raw(OP.i32GeS, OP.brIf, 1);
  if (rank) {
    // The row of element e: its end, its column, and each row input's address.
    b.get(e).get(inner).raw(OP.i32DivU).set(r);
    b.get(r).i32(1).raw(OP.i32Add).get(inner).raw(OP.i32Mul).set(rowEnd);
    b.get(rowEnd).get(2).get(rowEnd).get(2).raw(OP.i32LtS, OP.select).set(rowEnd);
    b.get(e).get(r).get(inner).raw(OP.i32Mul, OP.i32Sub).set(col);
    for (const [k, cls] of classes.entries()) {
      if (!rowClass(cls)) continue;
      b.get(col);
      word(strideWord[k]! + rank - 1);
      b.raw(OP.i32Mul).set(off);
      b.get(r).set(t);
      for (let d = rank - 2; d >= 0; d--) {
        b.get(t);
        word(1 + d);
        b.raw(OP.i32DivU).set(q);
        b.get(off).get(t).get(q);
        word(1 + d);
        b.raw(OP.i32Mul, OP.i32Sub);
        word(strideWord[k]! + d);
        b.raw(OP.i32Mul, OP.i32Add).set(off);
        b.get(q).set(t);
      }
      b.get(base[k]!).get(off).raw(OP.i32Add).set(ptr[k]!);
      if (cls === 'bcast') code.loadSplat(ptr[k]!, reg[k]!, isBool(k));
    }
  } else {
    b.get(2).set(rowEnd);
  }
  // Sixteen elements at a time where every input is contiguous along the row or one value (the
  // common element-wise chain, a bias add, an optimizer update): four groups per loop turn, one
  // pointer step.
  if (classes.every((k) => k !== 'strided')) {
    b.raw(OP.block, 0x40, OP.loop, 0x40);
    b.get(rowEnd).get(e).raw(OP.i32Sub).i32(16).raw(OP.i32LtS, OP.brIf, 1);
    for (let g = 0; g < 4; g++) {
      for (const [k, cls] of classes.entries()) if (cls === 'dense' || cls === 'inner') code.loadVector(ptr[k]!, reg[k]!, isBool(k), g);
      instructions(true);
      for (const [o, rg] of p.outputs.entries()) code.store(outPtr[o]!, rg, true, g);
    }
    advance(16);
    b.raw(OP.br, 0, OP.end, OP.end);
  }
  // Four elements at a time.
  b.raw(OP.block, 0x40, OP.loop, 0x40);
  b.get(rowEnd).get(e).raw(OP.i32Sub).i32(4).raw(OP.i32LtS, OP.brIf, 1);
  loads(true);
  instructions(true);
  stores(true);
  advance(4);
  b.raw(OP.br, 0, OP.end, OP.end);
  // The row's last elements, one at a time.
  b.raw(OP.block, 0x40, OP.loop, 0x40);
  b.get(e).get(rowEnd).raw(OP.i32GeS, OP.brIf, 1);
  loads(false);
  instructions(false);
  stores(false);
  advance(1);
  b.raw(OP.br, 0, OP.end, OP.end);
  b.raw(OP.br, 0, OP.end, OP.end);

  return moduleBytes({ shared, maxPages, imports: ELEMENT_IMPORTS, params: 3, locals: [[i32Count, I32], [v128Count, V128]], body: b.bytes });
}


/** A generated module, instantiated on this thread. */
export interface GeneratedKernel {
  /** The module's id in this backend: pool threads cache their instances by it. */
  readonly id: number;
  /** Its bytes, passed to pool threads with each job (they compile them once). */
  readonly bytes: Uint8Array<ArrayBuffer>;
  /** `run(words, from, to)` on this thread. */
  readonly run: (words: number, from: number, to: number) => void;
}

/** The kernels' element functions a generated module imports. */
export interface ElementFunctions {
  /** assembly/program.ts unaryElementF32. */
  unaryElementF32(op: number, x: number): number;
  /** assembly/program.ts binaryElementF32. */
  binaryElementF32(op: number, a: number, b: number): number;
}

/**
 * Distinct modules one backend generates at most; later programs run on the interpreter (each
 * module is a few KB here and in every pool thread, and a compiled step has tens of programs).
 */
const MAX_MODULES = 1024;

/** The generated modules of one backend, cached per program and layout classes. */
export class GeneratedModules {
  /** By program key and layout key: equal programs of different traces share a module. */
  private readonly cache = new Map<string, GeneratedKernel | null>();
  /** The same entries by program object and layout key: a replay's lookup hashes no long key. */
  private readonly byProgram = new WeakMap<CompiledProgram, Map<string, GeneratedKernel | null>>();
  private nextId = 1;
  private pending = 0;
  private readonly shared: boolean;

  constructor(private readonly memory: WebAssembly.Memory, private readonly elements: ElementFunctions) {
    this.shared = typeof SharedArrayBuffer === 'function' && memory.buffer instanceof SharedArrayBuffer;
  }

  /** The module for a call (null: none, run the interpreter) and the call's layout. */
  prepare(c: CompiledProgram, inputs: readonly View[], outputs: readonly View[]): { kernel: GeneratedKernel; layout: JitLayout } | null {
    const layout = layoutOf(c, inputs, outputs);
    const kernel = this.get(c, layout);
    return kernel ? { kernel, layout } : null;
  }

  /** Whether a module is compiling in the background (a call prepared without it may find it next time). */
  hasPending(): boolean {
    return this.pending > 0;
  }

  /** The imports of a module, on this thread. */
  private imports(): WebAssembly.Imports {
    return { env: { memory: this.memory, unary: this.elements.unaryElementF32, binary: this.elements.binaryElementF32 } };
  }

  /**
   * The kernel for `c` over `layout`'s classes, or null where none can be generated or compiled
   * (the caller runs the interpreter): an instruction without a generated form, or an engine
   * that refuses to compile it here. A browser's main thread compiles at most 4 KB synchronously;
   * a larger module is then compiled in the background and used from the next call on.
   */
  get(c: CompiledProgram, layout: JitLayout): GeneratedKernel | null {
    let mine = this.byProgram.get(c);
    if (!mine) this.byProgram.set(c, (mine = new Map()));
    const hit = mine.get(layout.key);
    if (hit !== undefined) return hit;
    const kernel = this.module(`${c.program.key}#${layout.key}`, () => generateModule(c, layout, this.shared, MAX_PAGES));
    // A module compiling in the background is not kept per program as none: it may still land.
    if (kernel !== 'pending') mine.set(layout.key, kernel);
    return kernel === 'pending' ? null : kernel;
  }

  /**
   * The module of a fused reduction over views checked by checkReductionViews, and the call's
   * layout; null where none applies (jit-reduce.ts: the caller runs the composite).
   */
  reduction(
    program: ReductionProgram, inputs: readonly View[], extraOutputs: readonly View[], epilogueInputs: readonly View[], outputs: readonly View[],
  ): { kernel: GeneratedKernel; layout: ReductionLayout } | null {
    const layout = reductionLayout(program, inputs, extraOutputs, epilogueInputs, outputs);
    if (!layout) return null;
    const kernel = this.module(`reduction#${program.key}#${layout.key}`, () => generateReductionModule(program, layout, this.shared, MAX_PAGES));
    return kernel && kernel !== 'pending' ? { kernel, layout } : null;
  }

  /**
   * The module cached under `key`, or generated by `make` and compiled here; null where none can
   * be generated (an instruction without a generated form), 'pending' where the engine refuses to
   * compile it here: a browser's main thread compiles at most 4 KB synchronously, so a larger
   * module is compiled in the background and found in the cache from then on.
   */
  private module(key: string, make: () => Uint8Array<ArrayBuffer>): GeneratedKernel | null | 'pending' {
    const found = this.cache.get(key);
    if (found !== undefined || this.cache.size >= MAX_MODULES) return found ?? null;
    let bytes: Uint8Array<ArrayBuffer>;
    try {
      bytes = make();
    } catch {
      this.cache.set(key, null);
      return null;
    }
    const id = this.nextId++;
    const entry = (instance: WebAssembly.Instance): GeneratedKernel => ({ id, bytes, run: instance.exports.run as GeneratedKernel['run'] });
    try {
      const kernel = entry(new WebAssembly.Instance(new WebAssembly.Module(bytes), this.imports()));
      this.cache.set(key, kernel);
      return kernel;
    } catch {
      this.cache.set(key, null);
      this.pending++;
      WebAssembly.instantiate(bytes, this.imports()).then(
        ({ instance }) => void this.cache.set(key, entry(instance)),
        () => {},
      ).finally(() => this.pending--);
      return 'pending';
    }
  }
}

/** The shared memory's declared maximum in the threaded kernels (scripts/build-wasm.mjs MAX_PAGES, 4 GiB). */
const MAX_PAGES = 65536;
