import {
  checkMatmulViews,
  checkProgram,
  checkReduction,
  checkFusedViews,
  checkInt8LinearViews,
  unsupportedError,
  binaryCode,
  kernelDtypes,
  opKind,
  unaryCode,
  coalesce,
  contiguousStrides,
  dtypeSize,
  isHalf,
  isContiguous,
  numel,
  type Backend,
  type BackendMemory,
  type BinaryOp,
  type AdamStepParams,
  type AttentionParams,
  type BufferId,
  type FusedKernels,
  type SgdStepParams,
  type DType,
  type ElementwiseProgram,
  type ProgramDType,
  type ProgramInstr,
  type RandomParams,
  type ReduceOp,
  type ReductionProgram,
  type TypedArray,
  type UnaryOp,
  type View,
  runReductionComposite,
  checkMatmulEpilogue,
  runMatmulComposite,
} from '@torchlet/core';
import { loadKernels, supportsThreads, type KernelExports, type KernelVariant } from './load.ts';
import { ARG_WORDS, JOB, isNode } from './pool-words.ts';
import type { ThreadPool } from './threads.ts';
import { areaBytes, checkProgramViews, compileProgram, flattenViews, programWords, sameViews, type CompiledProgram, type LastCall } from './program.ts';
import type { GeneratedKernel, GeneratedModules } from './jit.ts';
import type { ReductionLayout } from './jit-reduce.ts';
import { checkReductionViews } from './reduction.ts';

/** Kernel dtype codes (assembly/*.ts); float16/bfloat16 only reach `copy` (core computes them in float32). */
const DTYPE_CODE: Record<DType, number> = { float32: 0, int32: 1, bool: 2, float16: 3, bfloat16: 4 };
const REDUCE_CODE: Record<ReduceOp, number> = { sum: 0, prod: 1, max: 2, min: 3, argmax: 4, argmin: 5 };


/** Must match MAX_RANK in assembly/iter.ts. */
const MAX_RANK = 32;
const ROW_BYTES = MAX_RANK * 4;
/** Words of the scratch area (assembly/iter.ts: 8 rows of MAX_RANK): a generated module's call words go there when they fit. */
const SCRATCH_WORDS = 8 * MAX_RANK;

/** The contract's error for an op this backend cannot run with these dtypes. */
function unsupported(op: string, dtypes: Record<string, DType>): Error {
  return unsupportedError('wasm', op, dtypes);
}

/** Options of {@link createWasmBackend}. */
export interface WasmBackendOptions {
  /**
   * Force a kernel build; by default relaxed SIMD where the engine supports it (Node 20: after
   * setting V8's relaxed-SIMD flag at run time, see `loadKernels`), else plain SIMD.
   */
  variant?: KernelVariant;
  /**
   * Threads that run matmul, attention and fused element-wise programs, `'auto'` by default: the hardware concurrency (at
   * most 8) where memory can be shared — Node, Deno, and cross-origin isolated pages — and 1
   * elsewhere (a page that is not isolated runs on one thread, silently; a runtime that shares
   * memory but will not start workers runs on one thread with a console warning). `backend.threads` tells which. With n > 1 the kernels
   * run on a shared memory and n - 1 pool threads (worker_threads in Node and Deno, Web Workers
   * in browsers) split each large product, attention pass or program with the calling thread; every call
   * stays synchronous and results are bit-for-bit those of one thread. `1` opts out: everything
   * on the calling thread, no pool. An explicit n > 1 throws where memory cannot be shared,
   * saying which headers to send.
   */
  threads?: number | 'auto';
  /**
   * With threads: the multiply-adds below which a product or an attention pass runs on the
   * calling thread alone (for a fused element-wise program: elements times its instructions and
   * operands), because waking the pool would cost more than it saves (default 262144, about 10
   * microseconds of work; 0 sends everything the pool can split to it). An eager float32
   * element-wise op or copy splits from twice this many elements, an eager reduction from four
   * times (their operands then outgrow one core's cache).
   */
  parallelThreshold?: number;
  /**
   * Whether fused element-wise programs (what `torch.compile` hands chains of element-wise ops
   * to) run as WebAssembly modules generated per program, `true` by default, or on the
   * interpreter built into the kernels (`false`; also what runs a program for which no module
   * can be generated). Both give the eager kernels' bits; the generated modules are faster. The
   * code that generates them is loaded by `createWasmBackend` in Node and Deno, and in browsers
   * on the first fused program, which runs on the interpreter until it has arrived (a loop that
   * never yields to the event loop keeps the interpreter: `await backend.loadGeneratedKernels()`
   * first; see `loadGeneratedKernels`).
   */
  generatedKernels?: boolean;
}

/**
 * The default of {@link WasmBackendOptions.parallelThreshold}: waking a sleeping pool thread
 * takes some microseconds, about what this much matmul work takes on one thread.
 */
const PARALLEL_THRESHOLD = 1 << 18;
/**
 * Pool threads split a product into row blocks of a multiple of this (MR, the micro-kernel's rows
 * in assembly/matmul.ts: a block of fewer rows would take the few-rows path, another order of sums)...
 */
const ROW_ALIGN = 5;
/** ... or, when it has too few rows (a matrix-vector product), column blocks of a multiple of this. */
const COL_ALIGN = 8;
/** Must match SMALL in assembly/matmul.ts: products of at most this many multiply-adds take the plain loop. */
const SMALL_MATMUL = 4096;
/** Blocks a matmul is cut into per pool thread (see matmulOnPool). */
const BLOCKS_PER_THREAD = 3;
/**
 * A fused program's work for {@link WasmBackendOptions.parallelThreshold}: elements times its
 * instructions and the values it reads and writes (a one-op program is memory-bound: an add of
 * 131072 elements moves 1.5 MB, some tens of microseconds on one thread).
 */
const programWork = (c: CompiledProgram, n: number): number => n * (c.program.instrs.length + c.program.inputs.length + c.program.outputs.length);
/**
 * An eager float32 element-wise op or copy runs split over the pool (onPool) from this many times
 * `parallelThreshold` elements (524288 by default: a 2 MB float32 output, about one core's L2),
 * an eager reduction (reduceOnPool) from EAGER_REDUCE_SPLIT times. Below that its operands mostly
 * sit in the cache of the core that wrote them, and in a training step the eager kernel on the
 * calling thread beat the split: per-call minima, 2 threads, the split against the eager kernel
 * over the same alternating steps (relaxed SIMD, 2-core machine, 2026-12-03): compiled
 * Transformer step, its in-projection's bias add [16, 64, 384] 0.190 vs 0.126 ms and that bias's
 * gradient sum 0.214 vs 0.134 ms; eager step, 21 muls of [16, 64, 128] 0.84 vs 0.70 ms, 14 adds
 * 0.71 vs 0.59 ms, 15 sums 0.85 vs 0.46 ms, a sum of [16, 64, 512] 0.26 vs 0.17 ms. From 524288
 * elements the split won: an add 0.106 vs 0.168 ms, a ReLU 0.075 vs 0.121 ms. (A reduction of a
 * [4096, 384] tensor, repeated alone, ran 1.6-1.7x faster split.)
 */
const EAGER_SPLIT = 2;
/** See {@link EAGER_SPLIT}. */
const EAGER_REDUCE_SPLIT = 4;
/** The prologue of an eager reduction run as a fused one (reduceOnPool): the value itself. */
const IDENTITY = checkProgram(['float32'], [], [0]);
/** The first and last byte a view reaches (from its buffer's start; views of one buffer may differ in dtype). */
function extent(v: View): [number, number] {
  let lo = v.offset, hi = v.offset;
  for (let d = 0; d < v.shape.length; d++) {
    const reach = (v.shape[d]! - 1) * v.strides[d]!;
    if (reach < 0) lo += reach;
    else hi += reach;
  }
  const size = dtypeSize(v.dtype);
  return [lo * size, (hi + 1) * size - 1];
}
/** The fewest rows (columns) of a matmul block beyond the one block per thread (see matmulOnPool). */
const MIN_BLOCK = 128;
/** Runs of blocks a fused element-wise program is cut into per pool thread (a slower thread takes fewer). */
const ELEMENTWISE_RUNS_PER_THREAD = 4;
/** A fused reduction's call: its views (inputs then epilogue inputs; extra outputs then outputs) flattened, and what runs it (null: the composite). */
interface ReductionCall {
  readonly flat: readonly number[];
  readonly ins: readonly View[];
  readonly outs: readonly View[];
  readonly run: { kernel: GeneratedKernel; layout: ReductionLayout } | null;
}

/**
 * A generated module's `run` that a fused matmul calls from the kernels (assembly/matmul.ts): its
 * index in this thread's kernels' function table, set when first put there (pool threads keep
 * their own on their own instances; see threads.ts runPart).
 */
type EpilogueRun = GeneratedKernel['run'] & { epilogueSlot?: number };

/** A fused matmul's epilogue as the matmul glue passes it to the kernels (see matmulWith). */
interface MatmulEpilogueCall {
  /** The module's run on this thread, its table index set. */
  readonly run: EpilogueRun;
  /** The address of the call's words. */
  readonly words: number;
  /** The module's id (pool threads cache their instances by it). */
  readonly id: number;
  /** The address of the module's bytes in the memory, for pool threads to compile. */
  readonly bytes: number;
  /** The bytes' length (0: none copied, as there is no pool). */
  readonly length: number;
}

/** Whether `a` and `b` hold, in order, the very objects of `all` (no copy made). */
function sameObjects(all: readonly View[], a: readonly View[], b: readonly View[]): boolean {
  if (all.length !== a.length + b.length) return false;
  for (let i = 0; i < a.length; i++) if (all[i] !== a[i]) return false;
  for (let i = 0; i < b.length; i++) if (all[a.length + i] !== b[i]) return false;
  return true;
}

/** Calls kept per fused program (the sites a replay calls it from; more sites go through the checks). */
const RECENT_CALLS = 32;
/** Elements a generated kernel's run on a pool thread is a multiple of. */
const GENERATED_ALIGN = 64;
/** Outputs a fused reduction's run on a pool thread is a multiple of (a column walk's four lanes, one cache line). */
const REDUCTION_ALIGN = 16;

/**
 * The WebAssembly SIMD backend. Every call runs synchronously to completion, so `read` only
 * wraps `readSync`. Buffers live in the module's linear memory; since `memory.grow` detaches the
 * old ArrayBuffer, host views of it are re-created after any call that may allocate.
 *
 * @example
 * ```ts
 * import * as torch from 'torchlet';
 * import { WasmBackend } from '@torchlet/backend-wasm';
 * const backend = await torch.setBackend('wasm');
 * console.log(backend instanceof WasmBackend && backend.variant);   // 'relaxed' or 'simd'
 * ```
 */
export class WasmBackend implements Backend {
  /** The backend's name in core's registry, as passed to `setBackend('wasm')`. */
  readonly name = 'wasm';
  /** Threads that run matmul, attention and fused element-wise programs, this one included (see {@link WasmBackendOptions.threads}). */
  get threads(): number {
    return this.pool?.size ?? 1;
  }
  /** Which compiled variant runs ('relaxed' uses f32x4.relaxed_madd in matmul). */
  readonly variant: KernelVariant;
  private readonly k: KernelExports;
  private readonly scratchPtr: number;
  private i32View: Int32Array;
  /** Live buffers: pointer -> byte size. The BufferId is the pointer. */
  private readonly live = new Map<number, number>();
  private destroyed = false;
  /** The pool threads (with {@link WasmBackendOptions.threads} > 1); null runs everything here. */
  private readonly pool: ThreadPool | null;
  private readonly parallelThreshold: number;
  /** Whether fused element-wise programs run as generated modules (see {@link WasmBackendOptions.generatedKernels}). */
  private readonly useGenerated: boolean;
  /** The generated modules, once src/jit.ts has loaded (until then the interpreter runs programs). */
  private generated: GeneratedModules | null = null;
  private generatedLoad: Promise<void> | null = null;
  /**
   * Each program's recent calls (see LastCall in program.ts), newest first: a replay calls one
   * program at several sites (an optimizer's update per parameter, a ReLU per layer).
   */
  private lastCalls = new WeakMap<CompiledProgram, LastCall[]>();
  /** The call a View object was last the first output of (see elementwise). */
  private siteOf = new WeakMap<object, { c: CompiledProgram; last: LastCall }>();
  /** A live buffer's size, or undefined (for sameViews). */
  private readonly liveBytes = (buffer: number): number | undefined => this.live.get(buffer);
  /** Each fused reduction's recent calls: their views flattened, and the module to run (null: the composite). */
  private lastReductions = new WeakMap<ReductionProgram, ReductionCall[]>();
  /** The fused reduction call a View object was last the first output of (see reduction). */
  private reductionSiteOf = new WeakMap<object, { program: ReductionProgram; entry: ReductionCall }>();
  /** The prologue-free fused reductions eager reductions run as on the pool (see reduceOnPool), by op and axes. */
  private readonly reducePrograms = new Map<string, ReductionProgram>();
  /** The one-instruction programs element-wise ops run as on the pool (see onPool), by op. */
  private readonly opPrograms = new Map<string, CompiledProgram>();

  /**
   * Wraps instantiated kernels; with a `pool`, `exports.memory` must be the memory its threads
   * share, and the backend stops the pool on {@link destroy}. {@link createWasmBackend} builds
   * both.
   */
  constructor(exports: KernelExports, variant: KernelVariant, pool: ThreadPool | null = null, parallelThreshold = PARALLEL_THRESHOLD, generatedKernels = true) {
    this.k = exports;
    this.useGenerated = generatedKernels;
    this.variant = variant;
    this.pool = pool;
    this.parallelThreshold = parallelThreshold;
    this.scratchPtr = exports.scratch();
    this.i32View = new Int32Array(exports.memory.buffer);
  }

  // ---- memory --------------------------------------------------------------------------------

  alloc(bytes: number): BufferId {
    this.check();
    if (!Number.isInteger(bytes) || bytes < 0) throw new RangeError(`wasm backend: cannot allocate ${bytes} bytes`);
    // wasm returns an i32: an address past 2 GiB arrives negative, so every pointer is read as
    // unsigned (`>>> 0`); a negative offset would make `slice`/typed-array views count from the end.
    const ptr = bytes < 2 ** 32 ? this.k.alloc(bytes) >>> 0 : 0;
    if (ptr === 0) throw outOfMemory(bytes, this.k.memory.buffer.byteLength, this.live);
    this.live.set(ptr, bytes);
    return ptr;
  }

  free(buffer: BufferId): void {
    if (this.destroyed) return; // the memory went with the backend (the contract: no throw here)
    if (!this.live.delete(buffer)) throw new Error(`wasm backend: free of unknown buffer ${buffer}`);
    this.k.free(buffer);
  }

  write(buffer: BufferId, src: TypedArray, byteOffset = 0): void {
    const size = this.size(buffer);
    if (byteOffset < 0 || byteOffset + src.byteLength > size) {
      throw new RangeError(`wasm backend: write of ${src.byteLength} bytes at ${byteOffset} overruns a ${size}-byte buffer`);
    }
    new Uint8Array(this.k.memory.buffer, buffer + byteOffset, src.byteLength).set(
      new Uint8Array(src.buffer, src.byteOffset, src.byteLength),
    );
  }

  read(view: View): Promise<TypedArray> {
    try {
      return Promise.resolve(this.readSync(view));
    } catch (e) {
      return Promise.reject(e);
    }
  }

  readSync(view: View): TypedArray {
    this.check();
    const n = numel(view.shape);
    const size = dtypeSize(view.dtype);
    if (n === 0) return this.copyOut(view.dtype, 0, 0);
    if (isContiguous(view.shape, view.strides)) return this.copyOut(view.dtype, this.addr(view), n);
    const tmp = this.alloc(n * size);
    try {
      this.copy(view, { buffer: tmp, dtype: view.dtype, shape: view.shape, strides: contiguousStrides(view.shape), offset: 0 });
      return this.copyOut(view.dtype, tmp, n);
    } finally {
      this.free(tmp);
    }
  }

  memory(): BackendMemory {
    return { reservedBytes: this.k.memory.buffer.byteLength };
  }

  // ---- fused optimizer steps (assembly/optim.ts) -------------------------------------------------

  /**
   * The attention kernels write `out`, `gradQ`, `gradK` and `gradV` in any layout whose last dim is
   * contiguous (heads as `[B, L, H, D]` rows: no copy merges them afterwards).
   */
  readonly attentionStridedOutputs = true;

  /**
   * Up to this many keys (one key block of assembly/attention.ts) the attention kernels take a
   * `probs` operand: the forward saves the probabilities, the backward reads them back instead of
   * recomputing them (a product and an exp per score).
   */
  readonly attentionProbsKeys = 64;

  readonly fused: FusedKernels = {
    // src/jit.ts: a WebAssembly module generated per program, registers in v128 locals; else
    // assembly/program.ts, an interpreter over blocks of lanes in L1. One pass over memory.
    elementwise: (program, inputs, outputs) => this.elementwise(program, inputs, outputs),
    // src/jit-reduce.ts: the prologue, the fold and the epilogue in one generated module where the
    // reduced dims are the innermost or the outermost; else (and until the generator has loaded)
    // core's composite: the prologue program, `reduce`, the epilogue program.
    reduction: (program, inputs, extraOutputs, epilogueInputs, outputs) => this.reduction(program, inputs, extraOutputs, epilogueInputs, outputs),
    // A replay's calls with their checks, site lookups and layouts done once: the function
    // writes the call's words and runs the generated module.
    prepareElementwise: (program, inputs, outputs) => this.prepareElementwise(program, inputs, outputs),
    prepareReduction: (program, inputs, extraOutputs, epilogueInputs, outputs) => this.prepareReduction(program, inputs, extraOutputs, epilogueInputs, outputs),
    // assembly/matmul.ts calls the epilogue's generated module (src/jit.ts, through the kernels'
    // function table) on each block of the product as soon as it is final, while it is in cache;
    // with a pool, or before the generator has loaded: the matmul, then the program.
    matmulEpilogue: (program, a, b, epilogueInputs, outputs) => this.matmulEpilogueRun(program, a, b, epilogueInputs, outputs)(),
    prepareMatmulEpilogue: (program, a, b, epilogueInputs, outputs) => {
      this.check();
      if (!this.useGenerated || this.generated === null) return null;
      return this.matmulEpilogueRun(program, a, b, epilogueInputs, outputs);
    },
    // assembly/attention.ts: flash-attention style, no L x S buffer; shapes and strides go
    // through the scratch area.
    attention: (q, k, v, mask, out, lse, p: AttentionParams, probs?: View | null) => {
      const bh = this.attentionLayout('attention', q, k, v, mask, out, lse, null, null, probs ?? null);
      const operands = [this.addr(q), this.addr(k), this.addr(v), mask ? this.addr(mask) : 0, this.addr(out), this.addr(lse)];
      const macs = bh * q.shape[2]! * k.shape[2]! * (q.shape[3]! + v.shape[3]!);
      if (this.pool && bh > 1 && macs >= this.parallelThreshold) {
        this.runAttention(JOB.attention, [this.scratchPtr, ...operands, p.scale, p.causal ? 1 : 0], bh, q.shape[3]!, v.shape[3]!);
      } else if (this.k.attention(...(operands as [number, number, number, number, number, number]), p.scale, p.causal ? 1 : 0) !== 0) {
        throw new RangeError('wasm backend: out of memory allocating attention scratch');
      }
    },
    attentionBackward: (q, k, v, mask, out, lse, gradOut, gradQ, gradK, gradV, p: AttentionParams, probs?: View | null) => {
      const bh = this.attentionLayout('attentionBackward', q, k, v, mask, out, lse, gradOut, [gradQ, gradK, gradV], probs ?? null);
      const operands = [
        this.addr(q), this.addr(k), this.addr(v), mask ? this.addr(mask) : 0, this.addr(out), this.addr(lse), this.addr(gradOut),
        this.addr(gradQ), this.addr(gradK), this.addr(gradV),
      ] as const;
      const macs = 2 * bh * q.shape[2]! * k.shape[2]! * (q.shape[3]! + v.shape[3]!);
      if (this.pool && bh > 1 && macs >= this.parallelThreshold) {
        this.runAttention(JOB.attentionBackward, [this.scratchPtr, ...operands, p.scale, p.causal ? 1 : 0], bh, q.shape[3]!, v.shape[3]!);
      } else if (this.k.attentionBackward(...operands, p.scale, p.causal ? 1 : 0) !== 0) {
        throw new RangeError('wasm backend: out of memory allocating attention scratch');
      }
    },
    adamStep: (param, grad, expAvg, expAvgSq, maxExpAvgSq, p: AdamStepParams) => {
      const views = maxExpAvgSq ? [param, grad, expAvg, expAvgSq, maxExpAvgSq] : [param, grad, expAvg, expAvgSq];
      this.check();
      const n = checkFusedViews('wasm', 'adamStep', views);
      const flags = (p.decoupledWeightDecay ? 1 : 0) | (p.amsgrad ? 2 : 0) | (p.maximize ? 4 : 0);
      const stepSize = p.lr / (1 - p.beta1 ** p.step);
      const bc2sqrt = Math.sqrt(1 - p.beta2 ** p.step);
      this.k.adamStep(
        this.addr(param), this.addr(grad), this.addr(expAvg), this.addr(expAvgSq), maxExpAvgSq ? this.addr(maxExpAvgSq) : 0, n,
        p.beta1, 1 - p.beta1, p.beta2, 1 - p.beta2, p.eps,
        p.weightDecay, p.decoupledWeightDecay ? 1 - p.lr * p.weightDecay : 1, flags, stepSize, bc2sqrt,
      );
    },
    sgdStep: (param, grad, momentumBuffer, p: SgdStepParams) => {
      if (p.momentum !== 0 && !momentumBuffer) throw new Error('wasm backend: sgdStep with momentum needs a momentum buffer');
      this.check();
      const n = checkFusedViews('wasm', 'sgdStep', momentumBuffer ? [param, grad, momentumBuffer] : [param, grad]);
      const flags = (p.maximize ? 4 : 0) | (p.nesterov ? 8 : 0) | (p.firstStep ? 16 : 0);
      this.k.sgdStep(this.addr(param), this.addr(grad), momentumBuffer ? this.addr(momentumBuffer) : 0, n, p.lr, p.momentum, 1 - p.dampening, p.weightDecay, flags);
    },
    // assembly/quant.ts: int8 x int8 -> int32 SIMD dot products, dequantised on the way out.
    int8Linear: (x, weight, weightScale, bias, out) => {
      this.check();
      const { M, N, K, kp } = checkInt8LinearViews('wasm', x, weight, weightScale, bias, out);
      if (this.k.int8Linear(this.addr(x), this.addr(weight), this.addr(weightScale), bias ? this.addr(bias) : 0, this.addr(out), M, N, K, kp) !== 0) {
        throw new RangeError('wasm backend: out of memory allocating int8Linear scratch');
      }
    },
  };

  /**
   * A fused element-wise program (core's fused-program.ts): checked, its program words written
   * into a block allocated for the call with the registers' area after them, and run in one
   * pass over the elements.
   */
  private elementwise(program: ElementwiseProgram, inputs: readonly View[], outputs: readonly View[]): void {
    this.check();
    const c = compileProgram(program);
    // A replay passes a program the views it passed at that site last time: checked then, the
    // same now. It passes the same View objects too, so the site its first output was last seen
    // at is tried first; then the program's recent sites.
    const first = Array.isArray(outputs) ? (outputs[0] as unknown) : undefined;
    const site = first !== null && typeof first === 'object' ? this.siteOf.get(first) : undefined;
    let last = site !== undefined && site.c === c && sameViews(site.last.flat, inputs, outputs, this.liveBytes) ? site.last : undefined;
    if (!last) {
      let calls = this.lastCalls.get(c);
      if (!calls) this.lastCalls.set(c, (calls = []));
      let at = 0;
      while (at < calls.length && !sameViews(calls[at]!.flat, inputs, outputs, this.liveBytes)) at++;
      last = at < calls.length ? calls[at]! : undefined;
      if (!last) {
        const n = checkProgramViews(c, inputs, outputs, (buffer) => this.size(buffer));
        if (n === 0) return;
        last = { flat: flattenViews(inputs, outputs, (buffer) => this.size(buffer)), n, prepared: undefined };
        if (calls.length >= RECENT_CALLS) calls.pop();
        calls.unshift(last);
      }
      if (first !== null && typeof first === 'object') this.siteOf.set(first, { c, last });
    }
    const n = last.n;
    if (n === 0) return;
    if (this.useGenerated) {
      if (this.generated) {
        let prepared = last.prepared as ReturnType<GeneratedModules['prepare']> | undefined;
        if (prepared === undefined || (prepared === null && this.generated.hasPending())) {
          prepared = this.generated.prepare(c, inputs, outputs);
          last.prepared = prepared;
        }
        if (prepared && this.runGenerated(c, n, prepared)) return;
      } else if (this.generatedLoad === null) {
        // Loads in the background (once: a load still pending is not asked again on every call);
        // a failed load (a chunk the server lacks) leaves the interpreter.
        this.loadGeneratedKernels().catch(() => {});
      }
    }
    const words = programWords(c, inputs, outputs, MAX_RANK);
    const wordBytes = Math.ceil((words.length * 4) / 16) * 16;
    const block = this.k.programBlock();
    const area = areaBytes(c, block);
    // With a pool: a few runs of whole blocks per thread, taken from the shared counter; each
    // element is computed alike wherever it runs, so the result is one thread's.
    const pool = this.pool && programWork(c, n) >= this.parallelThreshold ? this.pool : null;
    const chunk = pool ? Math.ceil(n / (pool.size * ELEMENTWISE_RUNS_PER_THREAD) / block) * block : n;
    const parts = pool ? Math.min(pool.size, Math.ceil(n / chunk)) : 1;
    const buffer = this.alloc(wordBytes + parts * area);
    try {
      this.ints().set(words, buffer >>> 2);
      if (parts > 1) {
        pool!.args.set([buffer, buffer + wordBytes, area, n, chunk]);
        pool!.run(JOB.elementwise, parts, this.k);
      } else {
        this.k.elementwise(buffer, buffer + wordBytes, 0, n);
      }
    } finally {
      this.free(buffer);
    }
  }

  /**
   * `elementwise` on these views, prepared (core's FusedKernels.prepareElementwise): checked
   * once, the module and its words found once. Null until the generator has loaded (and with
   * `generatedKernels: false`); a program without a generated module runs the plain call.
   */
  private prepareElementwise(program: ElementwiseProgram, inputs: readonly View[], outputs: readonly View[]): (() => void) | null {
    this.check();
    if (!this.useGenerated || this.generated === null) return null;
    const c = compileProgram(program);
    const n = checkProgramViews(c, inputs, outputs, (buffer) => this.size(buffer));
    if (n === 0) return () => this.check();
    const prepared = this.generated.prepare(c, inputs, outputs);
    if (prepared === null) return this.generated.hasPending() ? null : () => this.elementwise(program, inputs, outputs);
    const { kernel, layout } = prepared;
    const work = programWork(c, n);
    return () => {
      this.check();
      this.runKernel(kernel, layout.words, n, work, GENERATED_ALIGN);
    };
  }

  /**
   * A fused matmul (core's fused-matmul.ts) on these views, ready to run: the product goes to the
   * first float32 output that no operand overlaps (its home; the epilogue then runs in place
   * there), and the kernel runs the epilogue's generated module on each finished block. Without a
   * module (the interpreter, a generator still loading), with a pool, or for a batch of products:
   * the matmul into the home, then the program. Without a home, or with an output overlapping
   * `a` or `b` (the kernel writes outputs while it still reads them): core's composite.
   */
  private matmulEpilogueRun(program: ElementwiseProgram, a: View, b: View, epilogueInputs: readonly View[], outputs: readonly View[]): () => void {
    this.check();
    checkMatmulEpilogue(program);
    if (!Array.isArray(epilogueInputs) || !Array.isArray(outputs)) throw new TypeError('wasm backend: fused matmul: epilogueInputs and outputs must be arrays of views');
    if (epilogueInputs.length !== program.inputs.length - 1 || outputs.length !== program.outputs.length) {
      throw new TypeError(`wasm backend: fused matmul: the epilogue takes ${program.inputs.length - 1} inputs and stores ${program.outputs.length} outputs, got ${epilogueInputs.length} and ${outputs.length}`);
    }
    const composite = (): void => runMatmulComposite(this, program, a, b, epilogueInputs, outputs);
    const overlaps = (x: View, y: View): boolean => {
      if (x.buffer !== y.buffer) return false;
      const [xl, xh] = extent(x), [yl, yh] = extent(y);
      return xl <= yh && yl <= xh;
    };
    if (outputs.some((o) => overlaps(o, a) || overlaps(o, b))) return composite;
    const home = outputs.find((o, k) => o.dtype === 'float32' && program.dtypes[program.outputs[k]!] === 'float32' && !epilogueInputs.some((v) => overlaps(o, v)));
    if (home === undefined) return composite;
    const c = compileProgram(program);
    const inputs = [home, ...epilogueInputs];
    const n = checkProgramViews(c, inputs, outputs, (buffer) => this.size(buffer));
    const unfused = (): void => {
      this.matmul(a, b, home);
      if (n > 0) this.elementwise(program, inputs, outputs);
    };
    if (n === 0 || !this.useGenerated) return unfused;
    if (this.generated === null) {
      this.loadGeneratedKernels().catch(() => {});
      return unfused;
    }
    const prepared = this.generated.prepare(c, inputs, outputs);
    if (prepared === null) return unfused;
    const { kernel, layout } = prepared;
    const words = layout.words, work = programWork(c, n);
    const run = kernel.run as EpilogueRun;
    run.epilogueSlot ??= this.k.table.grow(1, run);
    return () => {
      this.check();
      // The words stay put while the kernel runs: in the scratch area (matmul does not use it)
      // where they fit and no pool may run the product; with a pool, in a block with the module's
      // bytes (each pool thread compiles them once, as for a fused program).
      const wordBytes = Math.ceil((words.length * 4) / 16) * 16;
      const bytes = this.pool ? kernel.bytes.length : 0;
      const block = bytes || words.length > SCRATCH_WORDS ? this.alloc(wordBytes + bytes) : 0;
      const at = block || this.scratchPtr;
      try {
        this.ints().set(words, at >>> 2);
        if (bytes) new Uint8Array(this.k.memory.buffer, at + wordBytes, bytes).set(kernel.bytes);
        const epilogue: MatmulEpilogueCall = { run, words: at, id: kernel.id, bytes: at + wordBytes, length: bytes };
        if (!this.matmulWith(a, b, home, epilogue)) this.runKernel(kernel, words, n, work, GENERATED_ALIGN);
      } finally {
        if (block) this.free(block);
      }
    };
  }

  /** `reduction` on these views, prepared as {@link prepareElementwise} prepares a program. */
  private prepareReduction(
    program: ReductionProgram, inputs: readonly View[], extraOutputs: readonly View[], epilogueInputs: readonly View[], outputs: readonly View[],
  ): (() => void) | null {
    this.check();
    if (!this.useGenerated || this.generated === null) return null;
    if (program === null || typeof program !== 'object') throw new TypeError('wasm backend: fused reduction: expected a ReductionProgram (from torch.checkReduction)');
    if (![inputs, extraOutputs, epilogueInputs, outputs].every((g) => Array.isArray(g))) {
      throw new TypeError('wasm backend: fused reduction: inputs, extraOutputs, epilogueInputs and outputs must be arrays of views');
    }
    const ok = checkReductionViews(program, inputs, extraOutputs, epilogueInputs, outputs, (buffer) => this.size(buffer));
    const run = ok ? this.generated.reduction(program, inputs, extraOutputs, epilogueInputs, outputs) : null;
    if (run === null) {
      if (this.generated.hasPending()) return null;
      return () => {
        this.check();
        runReductionComposite(this, program, inputs, extraOutputs, epilogueInputs, outputs);
      };
    }
    return () => {
      this.check();
      this.runReduction(program, run);
    };
  }

  /** A fused reduction (core's fused-reduction.ts): a generated module where one applies, else the composite. */
  private reduction(
    program: ReductionProgram, inputs: readonly View[], extraOutputs: readonly View[], epilogueInputs: readonly View[], outputs: readonly View[],
  ): void {
    this.check();
    if (program === null || typeof program !== 'object') throw new TypeError('wasm backend: fused reduction: expected a ReductionProgram (from torch.checkReduction)');
    if (this.useGenerated && !this.generated) this.loadGeneratedKernels().catch(() => {});
    if (!this.generated) {
      runReductionComposite(this, program, inputs, extraOutputs, epilogueInputs, outputs);
      return;
    }
    if (![inputs, extraOutputs, epilogueInputs, outputs].every((g) => Array.isArray(g))) {
      throw new TypeError('wasm backend: fused reduction: inputs, extraOutputs, epilogueInputs and outputs must be arrays of views');
    }
    // A replay passes each site the views it passed last time: checked then, the same now (the
    // group sizes too, which the flattened views alone do not tell apart). It passes the same View
    // objects, so the call its first output was last seen in is tried first, without copying.
    const first = outputs[0] as unknown;
    const site = first !== null && typeof first === 'object' ? this.reductionSiteOf.get(first) : undefined;
    let hit = site !== undefined && site.program === program && sameObjects(site.entry.ins, inputs, epilogueInputs) &&
      sameObjects(site.entry.outs, extraOutputs, outputs) && sameViews(site.entry.flat, site.entry.ins, site.entry.outs, this.liveBytes) ? site.entry : undefined;
    if (!hit) {
      let calls = this.lastReductions.get(program);
      if (!calls) this.lastReductions.set(program, (calls = []));
      const ins = [...inputs, ...epilogueInputs], outs = [...extraOutputs, ...outputs];
      const sizes = inputs.length === program.prologue?.inputs?.length && outputs.length === (program.epilogue ? program.epilogue.outputs.length : 1);
      hit = sizes ? calls.find((c) => sameViews(c.flat, ins, outs, this.liveBytes)) : undefined;
      if (!hit) {
        const size = (buffer: number): number => this.size(buffer);
        const ok = checkReductionViews(program, inputs, extraOutputs, epilogueInputs, outputs, size);
        hit = { flat: flattenViews(ins, outs, size), ins, outs, run: ok ? this.generated.reduction(program, inputs, extraOutputs, epilogueInputs, outputs) : null };
        if (calls.length >= RECENT_CALLS) calls.pop();
        calls.unshift(hit);
      }
      if (first !== null && typeof first === 'object') this.reductionSiteOf.set(first, { program, entry: hit });
    }
    if (!hit.run) {
      runReductionComposite(this, program, inputs, extraOutputs, epilogueInputs, outputs);
      return;
    }
    this.runReduction(program, hit.run);
  }

  /**
   * Runs a fused reduction's module; with a pool, split over the outputs (kept elements): each
   * output's values are folded in their one order by one thread, so the bits are one thread's.
   */
  private runReduction(program: ReductionProgram, { kernel, layout }: { kernel: GeneratedKernel; layout: ReductionLayout }): void {
    const reduced = layout.words[0]! * layout.words[1]!;
    const work = layout.count * reduced * (program.prologue.instrs.length + program.prologue.inputs.length + 1);
    this.runKernel(kernel, layout.words, layout.count, work, REDUCTION_ALIGN);
  }

  /**
   * With a pool and the generated kernels: a float32 sum, max, min or prod of a contiguous view
   * large enough to split runs as a fused reduction with no prologue (src/jit-reduce.ts), whose
   * meaning is this backend's `reduce` of a contiguous operand (the same walk, the same order of
   * sums), split over the pool by outputs. False where the eager kernel runs it on this thread.
   */
  private reduceOnPool(op: ReduceOp, x: View, axes: readonly number[], out: View): boolean {
    if (this.pool === null || this.generated === null || x.dtype !== 'float32' || !(op === 'sum' || op === 'max' || op === 'min' || op === 'prod')) return false;
    if (numel(x.shape) < EAGER_REDUCE_SPLIT * this.parallelThreshold || !isContiguous(x.shape, x.strides) || !isContiguous(out.shape, out.strides)) return false;
    const sorted = [...axes].sort((a, b) => a - b);
    if (sorted.some((a, i) => !Number.isInteger(a) || a < 0 || a >= x.shape.length || (i > 0 && a === sorted[i - 1]))) return false;
    if (out.shape.length !== x.shape.length || out.shape.some((d, i) => d !== (sorted.includes(i) ? 1 : x.shape[i]))) return false;
    const key = `${op} ${sorted.join(',')}`;
    let program = this.reducePrograms.get(key);
    if (!program) this.reducePrograms.set(key, (program = checkReduction(IDENTITY, op, sorted, null)));
    try {
      if (!checkReductionViews(program, [x], [], [], [out], (buffer) => this.size(buffer))) return false;
    } catch {
      return false; // the eager kernel runs it (or says what is wrong)
    }
    const run = this.generated.reduction(program, [x], [], [], [out]);
    if (run === null) return false;
    this.runReduction(program, run);
    return true;
  }

  /**
   * Loads the code that generates fused element-wise modules (src/jit.ts, a chunk of its own, so
   * that an app which never calls `torch.compile` does not download it). It loads by itself on
   * the first fused program, which then runs on the interpreter, as do the programs until it has
   * loaded (same bits); await this first to have generated modules from the first call on.
   * Resolves at once with `generatedKernels: false`.
   *
   * @example
   * ```ts
   * import { createWasmBackend } from '@torchlet/backend-wasm';
   * const backend = await createWasmBackend({ threads: 1 });
   * await backend.loadGeneratedKernels();
   * ```
   */
  loadGeneratedKernels(): Promise<void> {
    if (!this.useGenerated) return Promise.resolve();
    this.generatedLoad ??= import('./jit.ts').then((m) => {
      if (!this.destroyed) this.generated = new m.GeneratedModules(this.k.memory, this.k);
    });
    return this.generatedLoad;
  }

  /**
   * Runs a program as its generated module (src/jit.ts), split over the pool like the
   * interpreter; false where no module could be generated (the caller runs the interpreter).
   */
  private runGenerated(c: CompiledProgram, n: number, prepared: NonNullable<ReturnType<GeneratedModules['prepare']>>): boolean {
    // Runs of a multiple of GENERATED_ALIGN elements, so that only a row's end runs one element at a time.
    this.runKernel(prepared.kernel, prepared.layout.words, n, programWork(c, n), GENERATED_ALIGN);
    return true;
  }

  /**
   * Runs a generated module's `run(words, 0, n)` (an element-wise program's elements, a fused
   * reduction's outputs), split over the pool in runs of a multiple of `align` when `work`
   * reaches the threshold: each element or output is computed whole by one thread, as on one.
   */
  private runKernel(kernel: GeneratedKernel, words: Int32Array, n: number, work: number, align: number): void {
    const pool = this.pool && work >= this.parallelThreshold ? this.pool : null;
    const chunk = pool ? Math.ceil(n / (pool.size * ELEMENTWISE_RUNS_PER_THREAD) / align) * align : n;
    const parts = pool ? Math.min(pool.size, Math.ceil(n / chunk)) : 1;
    if (parts === 1 && words.length <= SCRATCH_WORDS) {
      // On this thread, the words go through the scratch area: no block allocated per call.
      this.ints().set(words, this.scratchPtr >>> 2);
      kernel.run(this.scratchPtr, 0, n);
      return;
    }
    const wordBytes = Math.ceil((words.length * 4) / 16) * 16;
    // With a pool, the module's bytes go with the job: each pool thread compiles them once.
    const buffer = this.alloc(wordBytes + (parts > 1 ? kernel.bytes.length : 0));
    try {
      this.ints().set(words, buffer >>> 2);
      if (parts > 1) {
        new Uint8Array(this.k.memory.buffer, buffer + wordBytes, kernel.bytes.length).set(kernel.bytes);
        pool!.args.set([buffer, n, chunk, kernel.id, buffer + wordBytes, kernel.bytes.length]);
        pool!.run(JOB.generated, parts, this.k, () => kernel.run);
      } else {
        kernel.run(buffer, 0, n);
      }
    } finally {
      this.free(buffer);
    }
  }

  /**
   * Runs an attention pass on the pool, split over the B * H (batch, head) pairs: `args` are
   * the kernel's leading arguments (params pointer, operands, scale, causal); each part gets
   * scratch of its own (for head sizes `d` and `dv`).
   */
  private runAttention(kind: number, args: number[], bh: number, d: number, dv: number): void {
    const pool = this.pool!;
    const parts = Math.min(pool.size, bh);
    const stride = Math.ceil(this.k.attentionScratchBytes(d, dv) / 64) * 64;
    const buffers = this.alloc(parts * stride);
    try {
      pool.args.set([...args, bh, buffers, stride]);
      pool.run(kind, parts, this.k);
    } finally {
      this.free(buffers);
    }
  }

  /**
   * Checks the attention operands (4-D float32 of agreeing shapes; every operand with a unit last
   * stride; out and the gradients `grads` (dq, dk, dv) with elements apart, lse and probs
   * contiguous, probs only up to {@link WasmBackend.attentionProbsKeys} keys), writes B H L S D Dv,
   * the strides of q, k, v, mask, gradOut, out and the gradients and the probs address to the
   * scratch words assembly/attention.ts reads, and returns B * H.
   */
  private attentionLayout(
    op: string, q: View, k: View, v: View, mask: View | null, out: View, lse: View, gradOut: View | null, grads: readonly [View, View, View] | null,
    probs: View | null,
  ): number {
    this.check();
    const [B, H, L, D] = q.shape as [number, number, number, number];
    const S = k.shape[2]!, Dv = v.shape[3]!;
    const all = [q, k, v, out, lse, ...(mask ? [mask] : []), ...(gradOut ? [gradOut] : []), ...(grads ?? [])];
    for (const x of all) if (x.dtype !== 'float32') throw unsupported(op, { operand: x.dtype });
    const same = (x: View, like: View): boolean => x.shape.length === 4 && x.shape.every((n, d) => n === like.shape[d]);
    const shapesOk = q.shape.length === 4 && k.shape.length === 4 && v.shape.length === 4 && out.shape.length === 4 &&
      k.shape[0] === B && k.shape[1] === H && k.shape[3] === D && v.shape[0] === B && v.shape[1] === H && v.shape[2] === S &&
      out.shape[0] === B && out.shape[1] === H && out.shape[2] === L && out.shape[3] === Dv &&
      lse.shape.length === 3 && lse.shape[0] === B && lse.shape[1] === H && lse.shape[2] === L &&
      (!mask || (mask.shape.length === 4 && mask.shape[2] === L && mask.shape[3] === S)) &&
      (!gradOut || same(gradOut, out)) && (!grads || (same(grads[0], q) && same(grads[1], k) && same(grads[2], v)));
    if (!shapesOk) {
      const named = [['q', q], ['k', k], ['v', v], ['out', out], ['lse', lse], ['mask', mask], ['gradOut', gradOut], ['gradQ', grads?.[0]], ['gradK', grads?.[1]], ['gradV', grads?.[2]]] as const;
      throw new Error(`wasm backend: ${op} shapes do not agree: ${named.filter(([, x]) => x).map(([n, x]) => `${n} [${x!.shape}]`).join(', ')}`);
    }
    for (const x of [q, k, v, out, ...(gradOut ? [gradOut] : []), ...(grads ?? [])]) {
      if (x.shape[3]! > 1 && x.strides[3] !== 1) throw new Error(`wasm backend: ${op} needs a unit stride on the last dim, got strides [${x.strides.join(', ')}]`);
    }
    if (!isContiguous(lse.shape, lse.strides)) throw new Error(`wasm backend: ${op} needs a contiguous lse, got shape [${lse.shape.join(', ')}] with strides [${lse.strides.join(', ')}]`);
    if (probs) {
      const want = [B, H, L, S];
      if (probs.dtype !== 'float32' || probs.shape.length !== 4 || !probs.shape.every((n, d) => n === want[d]) || !isContiguous(probs.shape, probs.strides)) {
        throw new Error(`wasm backend: ${op} needs probs as contiguous float32 [${want.join(', ')}], got ${probs.dtype} [${probs.shape.join(', ')}] with strides [${probs.strides.join(', ')}]`);
      }
      if (S > this.attentionProbsKeys) throw new RangeError(`wasm backend: ${op} saves probabilities for up to ${this.attentionProbsKeys} keys, got ${S}`);
    }
    for (const x of [out, ...(grads ?? [])]) {
      if (!apart(x)) throw new Error(`wasm backend: ${op} needs outputs whose elements do not overlap, got shape [${x.shape.join(', ')}] with strides [${x.strides.join(', ')}]`);
    }
    const s = (x: View | null, d: number): number => (!x || x.shape[d] === 1 ? 0 : x.strides[d]!);
    const words = [
      B, H, L, S, D, Dv,
      s(q, 0), s(q, 1), s(q, 2), s(k, 0), s(k, 1), s(k, 2), s(v, 0), s(v, 1), s(v, 2),
      s(mask, 0), s(mask, 1), s(mask, 2), s(mask, 3), s(gradOut, 0), s(gradOut, 1), s(gradOut, 2),
      s(out, 0), s(out, 1), s(out, 2),
      ...(grads ? [s(grads[0], 0), s(grads[0], 1), s(grads[0], 2), s(grads[1], 0), s(grads[1], 1), s(grads[1], 2), s(grads[2], 0), s(grads[2], 1), s(grads[2], 2)] : Array<number>(9).fill(0)),
      probs ? this.addr(probs) | 0 : 0,
    ];
    this.ints().set(words, this.scratchPtr >> 2);
    return B * H;
  }

  /**
   * With a pool and the generated kernels: a float32 element-wise op (or copy, `instr` null)
   * large enough to split runs as a one-instruction (no-instruction) fused program, whose
   * generated module gives the eager kernel's bits (each element computed alike, wherever it
   * runs; a copy moves the bits as they are), so the pool threads share it. False where it stays
   * with the eager kernel on this thread: too small, another dtype, a strided output, an input
   * overlapping the output other than as the same view (programs allow only an exact in-place
   * update), or no module.
   */
  private onPool(instr: ProgramInstr | null, inputs: readonly View[], out: View): boolean {
    if (this.pool === null || this.generated === null) return false;
    // The dtypes a program of this op reads and writes: float32, but for a comparison's bool
    // result and a where's bool condition (both exact in any kernel).
    const compare = instr?.kind === 'binary' && opKind('binary', instr.op) === 'compare';
    const dtypes = inputs.map((_, i) => (instr?.kind === 'where' && i === 0 ? 'bool' : 'float32') as ProgramDType);
    if (out.dtype !== (compare ? 'bool' : 'float32') || inputs.some((v, i) => v.dtype !== dtypes[i])) return false;
    const n = numel(out.shape);
    if (n < EAGER_SPLIT * this.parallelThreshold || !isContiguous(out.shape, out.strides)) return false;
    const [lo, hi] = extent(out);
    for (const v of inputs) {
      // A compiled step's intermediates share one planned buffer: what matters is whether the ranges meet.
      if (v.buffer !== out.buffer) continue;
      const [a, b] = extent(v);
      const same = v.dtype === out.dtype && v.offset === out.offset && v.strides.every((st, d) => out.shape[d] === 1 || st === out.strides[d]);
      if (a <= hi && lo <= b && !same) return false;
    }
    const key = instr === null ? 'copy' : `${instr.kind} ${'op' in instr ? instr.op : ''}`;
    let c = this.opPrograms.get(key);
    if (!c) {
      const program = checkProgram(dtypes, instr ? [instr] : [], [instr ? inputs.length : 0]);
      this.opPrograms.set(key, (c = compileProgram(program)));
    }
    try {
      checkProgramViews(c, inputs, [out], (buffer) => this.size(buffer));
    } catch {
      return false; // a view the program path does not take: the eager kernel runs it (or says what is wrong)
    }
    const prepared = this.generated.prepare(c, inputs, [out]);
    return prepared !== null && this.runGenerated(c, n, prepared);
  }

  /**
   * Marks the backend unusable, stops its pool threads and drops its generated modules and
   * remembered calls (which hold instances on its memory), so that an app which replaces its
   * backend keeps nothing of the old one running or compiled.
   */
  destroy(): void {
    this.destroyed = true;
    this.live.clear();
    void this.pool?.stop();
    this.generated = null;
    this.lastCalls = new WeakMap();
    this.siteOf = new WeakMap();
    this.lastReductions = new WeakMap();
    this.reductionSiteOf = new WeakMap();
  }

  // ---- element-wise ----------------------------------------------------------------------------

  unary(op: UnaryOp, x: View, out: View): void {
    this.check();
    const [fn, code] = this.unaryKernel(op, x, out);
    if (this.onPool({ kind: 'unary', op, x: 0 }, [x], out)) return;
    const rank = this.layout(out.shape, [x, out]);
    if (rank === 0) return;
    fn(code, this.addr(x), this.addr(out), rank);
  }

  /** The unary kernel and op code for `op` on these dtypes, or the unsupported error. */
  private unaryKernel(op: UnaryOp, x: View, out: View): [KernelExports['unaryF32'], number] {
    // Kernel codes and dtype classes come from core's op table (the build generated the
    // AssemblyScript constants from the same table).
    const code = unaryCode(op);
    const ok = code !== undefined && x.dtype === out.dtype && kernelDtypes(opKind('unary', op)).includes(x.dtype);
    if (!ok) throw unsupported(`unary ${op}`, { x: x.dtype, out: out.dtype });
    return [x.dtype === 'float32' ? this.k.unaryF32 : x.dtype === 'int32' ? this.k.unaryI32 : this.logicalNot, code];
  }

  /** The bool `not` kernel in the unary kernels' form (it takes no op code). */
  private readonly logicalNot = (_code: number, x: number, out: number, rank: number): void => this.k.logicalNot(x, out, rank);

  binary(op: BinaryOp, a: View, b: View, out: View): void {
    this.check();
    const [fn, code] = this.binaryKernel(op, a, b, out);
    if (this.onPool({ kind: 'binary', op, a: 0, b: 1 }, [a, b], out)) return;
    const rank = this.layout(out.shape, [a, b, out]);
    if (rank === 0) return;
    fn(code, this.addr(a), this.addr(b), this.addr(out), rank);
  }

  /** The binary kernel and op code for `op` on these dtypes, or the unsupported error. */
  private binaryKernel(op: BinaryOp, a: View, b: View, out: View): [KernelExports['binaryF32'], number] {
    const code = binaryCode(op);
    const t = a.dtype;
    const kind = code === undefined ? undefined : opKind('binary', op);
    const ok =
      code !== undefined &&
      kind !== undefined &&
      b.dtype === t &&
      kernelDtypes(kind).includes(t) &&
      out.dtype === (kind === 'compare' || kind === 'logical' ? 'bool' : t);
    if (!ok) throw unsupported(`binary ${op}`, { a: a.dtype, b: b.dtype, out: out.dtype });
    return [t === 'float32' ? this.k.binaryF32 : t === 'int32' ? this.k.binaryI32 : this.k.binaryBool, code];
  }

  where(cond: View, a: View, b: View, out: View): void {
    this.check();
    this.checkWhere(cond, a, b, out);
    if (this.onPool({ kind: 'where', cond: 0, a: 1, b: 2 }, [cond, a, b], out)) return;
    const rank = this.layout(out.shape, [cond, a, b, out]);
    if (rank === 0) return;
    this.k.where(dtypeSize(out.dtype), this.addr(cond), this.addr(a), this.addr(b), this.addr(out), rank);
  }

  private checkWhere(cond: View, a: View, b: View, out: View): void {
    if (cond.dtype !== 'bool' || a.dtype !== out.dtype || b.dtype !== out.dtype || isHalf(out.dtype)) {
      throw unsupported('where', { cond: cond.dtype, a: a.dtype, b: b.dtype, out: out.dtype });
    }
  }

  /**
   * A compute call prepared for a replay (core's Backend.prepare), on one thread: the
   * element-wise, copy and index kernels' checks and row layout done once; the function
   * writes the rows to the scratch area again and calls the kernel. Null with a pool (a call may
   * split over it) and for the other methods: the caller makes the plain call.
   */
  prepare(method: string, args: readonly unknown[]): (() => void) | null {
    this.check();
    if (this.pool !== null) return null;
    const a = args as readonly View[];
    switch (method) {
      case 'unary': {
        const [op, x, out] = args as [UnaryOp, View, View];
        const [fn, code] = this.unaryKernel(op, x, out);
        const rank = this.layout(out.shape, [x, out]), rows = this.rows(2), ax = this.addr(x), ao = this.addr(out);
        return rank === 0 ? () => this.check() : () => {
          this.writeRowsAgain(rows);
          fn(code, ax, ao, rank);
        };
      }
      case 'binary': {
        const [op, x, y, out] = args as [BinaryOp, View, View, View];
        const [fn, code] = this.binaryKernel(op, x, y, out);
        const rank = this.layout(out.shape, [x, y, out]), rows = this.rows(3), ax = this.addr(x), ay = this.addr(y), ao = this.addr(out);
        return rank === 0 ? () => this.check() : () => {
          this.writeRowsAgain(rows);
          fn(code, ax, ay, ao, rank);
        };
      }
      case 'where': {
        const [cond, x, y, out] = a as [View, View, View, View];
        this.checkWhere(cond, x, y, out);
        const rank = this.layout(out.shape, [cond, x, y, out]), rows = this.rows(4), size = dtypeSize(out.dtype);
        const ac = this.addr(cond), ax = this.addr(x), ay = this.addr(y), ao = this.addr(out);
        return rank === 0 ? () => this.check() : () => {
          this.writeRowsAgain(rows);
          this.k.where(size, ac, ax, ay, ao, rank);
        };
      }
      case 'copy': {
        const [src, dst] = a as [View, View];
        const rank = this.layout(dst.shape, [src, dst]), rows = this.rows(2), as = this.addr(src), ad = this.addr(dst);
        const from = DTYPE_CODE[src.dtype], to = DTYPE_CODE[dst.dtype];
        return rank === 0 ? () => this.check() : () => {
          this.writeRowsAgain(rows);
          this.k.copy(from, to, as, ad, rank);
        };
      }
      case 'gather': case 'scatterAdd': {
        const gather = method === 'gather';
        // gather(x, dim, index, out) and scatterAdd(dst, dim, index, src): the data operand, then the one shaped like index.
        const [data, dim, index, other] = args as [View, number, View, View];
        if (gather ? index.dtype !== 'int32' || other.dtype !== data.dtype || isHalf(data.dtype)
          : index.dtype !== 'int32' || (data.dtype !== 'float32' && data.dtype !== 'int32') || other.dtype !== data.dtype) return null;
        const { rank, dimStride, dimLen } = this.indexLayout(data, dim, index, other);
        const rows = this.rows(3), ai = this.addr(index), ao = this.addr(other), ad = this.addr(data);
        const size = dtypeSize(data.dtype), code = DTYPE_CODE[data.dtype];
        return rank === 0 ? () => this.check() : () => {
          this.writeRowsAgain(rows);
          const bad = gather ? this.k.gather(size, ai, ao, ad, rank, dimStride, dimLen) : this.k.scatterAdd(code, ai, ao, ad, rank, dimStride, dimLen);
          if (bad !== 0) throw this.indexError(method, dim, dimLen);
        };
      }
      default: return null;
    }
  }

  /** The rows {@link layout} (or indexLayout) just wrote to the scratch area for `views` operands: the shape, then each one's strides. */
  private rows(views: number): Int32Array {
    const base = this.scratchPtr >> 2;
    return this.ints().slice(base, base + (1 + views) * MAX_RANK);
  }

  /** Writes rows kept by {@link rows} back to the scratch area, for a prepared call's kernel. */
  private writeRowsAgain(rows: Int32Array): void {
    this.check();
    this.ints().set(rows, this.scratchPtr >> 2);
  }

  // ---- reductions ----------------------------------------------------------------------------

  reduce(op: ReduceOp, x: View, axes: readonly number[], out: View): void {
    this.check();
    const arg = op === 'argmax' || op === 'argmin';
    const numeric = x.dtype === 'float32' || x.dtype === 'int32';
    if (!numeric || out.dtype !== (arg ? 'int32' : x.dtype) || !(op in REDUCE_CODE)) {
      throw unsupported(`reduce ${op}`, { x: x.dtype, out: out.dtype });
    }
    if (arg && axes.length !== 1) throw new Error(`wasm backend: reduce ${op} takes exactly one axis, got [${axes.join(', ')}]`);
    if (numel(out.shape) === 0) return;
    if (this.reduceOnPool(op, x, axes, out)) return;
    // Kept and reduced dims each ordered by decreasing |stride| in x (a broadcast's 0 counting as
    // the largest), so the innermost of each is the nearest in memory: the kernel walks whichever
    // of the two is contiguous, and a permuted view's dims coalesce. The kept order does not
    // change any output; the reduced order is the order a sum accumulates in (float64).
    const far = (d: number): number => (x.strides[d] === 0 ? Infinity : Math.abs(x.strides[d]!));
    const dims = [...x.shape.keys()].sort((a, b) => (far(a) === far(b) ? a - b : far(b) - far(a)));
    const reduced = new Set(axes);
    const outerShape: number[] = [], outerX: number[] = [], outerOut: number[] = [];
    const innerShape: number[] = [], innerX: number[] = [];
    for (const d of dims) {
      if (reduced.has(d)) {
        innerShape.push(x.shape[d]!);
        innerX.push(x.strides[d]!);
      } else {
        outerShape.push(x.shape[d]!);
        outerX.push(x.strides[d]!);
        outerOut.push(out.strides[d]!);
      }
    }
    if (numel(innerShape) === 0) {
      this.fill(out, op === 'prod' ? 1 : 0); // core rejects empty max/min/arg*
      return;
    }
    const size = dtypeSize(x.dtype);
    const outer = coalesce(outerShape, [outerX, outerOut]);
    const inner = arg ? { shape: innerShape, strides: [innerX] } : coalesce(innerShape, [innerX]);
    this.writeRows(0, outer.shape, outer.strides.map((s, i) => scale(s, i === 0 ? size : dtypeSize(out.dtype))));
    this.writeRows(5, inner.shape, [scale(inner.strides[0]!, size)]);
    this.k.reduce(REDUCE_CODE[op], DTYPE_CODE[x.dtype], this.addr(x), this.addr(out), outer.shape.length, inner.shape.length);
  }

  // ---- matmul --------------------------------------------------------------------------------

  matmul(a: View, b: View, out: View): void {
    this.check();
    this.matmulWith(a, b, out, null);
  }

  /**
   * `matmul`, with a fused matmul's epilogue (or null) run by the kernel on each block of the
   * product as soon as it is final, on this thread or on the pool's. Returns whether the epilogue
   * ran: only for one product (a batch folded into rows counts as one); otherwise the caller runs
   * it after.
   */
  private matmulWith(a: View, b: View, out: View, epilogue: MatmulEpilogueCall | null): boolean {
    const checked = checkMatmulViews('wasm', a, b, out);
    const { rank: r, N, K } = checked;
    let M = checked.M;
    if (numel(out.shape) === 0) return true;
    const batchShape = out.shape.slice(0, r - 2);
    let batch = coalesce(batchShape, [a.strides.slice(0, r - 2), b.strides.slice(0, r - 2), out.strides.slice(0, r - 2)]);
    let [sa, sb, so] = batch.strides as [number[], number[], number[]];
    const sam = a.strides[r - 2]! * 4, sak = a.strides[r - 1]! * 4;
    const sbk = b.strides[r - 2]! * 4, sbn = b.strides[r - 1]! * 4;
    let pa = this.addr(a), pb = this.addr(b), pc = this.addr(out);
    let total = numel(batch.shape);
    if (total > 1 && foldsIntoRows(batch.shape, sa, sb, so, a.strides[r - 2]!, M, N, K)) {
      // One shared B (a Linear's weight under a [batch, seq, features] input) and A and C rows
      // evenly spaced across the batch: one product of total * M rows, so B is packed once, not
      // once per batch item. Every element sums the same terms in the same order either way.
      M *= total;
      total = 1;
      batch = { shape: [], strides: [[], [], []] };
      [sa, sb, so] = [[], [], []];
    }
    if (this.pool && total * M * N * K >= this.parallelThreshold && (total > 1 || M >= 2 * ROW_ALIGN || N >= 2 * COL_ALIGN)) {
      const onPool = total === 1 ? epilogue : null;
      this.matmulOnPool([N, K, M, sam, sak, sbk, sbn, pa, pb, pc], total, batch.shape, [sa, sb, so], onPool);
      return onPool !== null;
    }
    // Odometer over the (coalesced) batch dims.
    const rank = batch.shape.length;
    const idx = new Array<number>(rank).fill(0);
    const epi = total === 1 && epilogue ? epilogue.run.epilogueSlot! : 0, words = epilogue?.words ?? 0;
    for (let t = 0; t < total; t++) {
      if (this.k.matmul(pa, pb, pc, M, N, K, sam, sak, sbk, sbn, epi, words) !== 0) {
        throw new RangeError('wasm backend: out of memory allocating matmul packing buffers');
      }
      for (let d = rank - 1; d >= 0; d--) {
        if (++idx[d]! < batch.shape[d]!) {
          pa += sa[d]! * 4; pb += sb[d]! * 4; pc += so[d]! * 4;
          break;
        }
        idx[d] = 0;
        const back = batch.shape[d]! - 1;
        pa -= sa[d]! * 4 * back; pb -= sb[d]! * 4 * back; pc -= so[d]! * 4 * back;
      }
    }
    return epi !== 0;
  }

  /**
   * Splits a (batched) product over the pool: into whole products when there are enough, otherwise
   * each product into row blocks, or column blocks when it has too few rows. `head` is N K M sam
   * sak sbk sbn pa pb pc (see threads.ts, runPart).
   */
  private matmulOnPool(head: number[], total: number, batchShape: readonly number[], batchStrides: readonly number[][], epilogue: MatmulEpilogueCall | null): void {
    const pool = this.pool!;
    const [N, K, M] = head as [number, number, number];
    // A few blocks per thread, taken one at a time, so that a slower thread takes fewer (each
    // row block packs all of B again, which bounds how many are worth making).
    const want = Math.ceil((BLOCKS_PER_THREAD * pool.size) / total);
    // Columns when there are too few rows for every thread, or when fewer rows than columns make
    // them the cheaper cut: each row block packs all of B (K x N) again, each column block all of
    // A (M x K) (a weight gradient X^T dY with 128 rows and 512 columns: 4x less copying).
    const fewRows = Math.floor(M / ROW_ALIGN) < Math.min(want, pool.size);
    const colsCheaper = M < N && Math.floor(N / COL_ALIGN) >= Math.min(want, pool.size);
    const byCols = want > 1 && (fewRows || colsCheaper);
    const [extent, align] = byCols ? [N, COL_ALIGN] : [M, ROW_ALIGN];
    // No block may fall to the plain loop that the whole product does not take (another order of
    // sums): every block keeps more than SMALL_MATMUL multiply-adds.
    const other = byCols ? M * K : N * K;
    // Nor so small that repacking the other operand outweighs the balance: packing a float costs
    // about five multiply-adds, so a block of r rows (columns) spends ~5/r of its time repacking
    // (128 x 1024 x 128, a projection's weight gradient, on 2 threads: 6 blocks of ~21 rows took
    // 0.466 ms, 2 blocks of 64 rows 0.404 ms, one thread 0.774 ms). Every thread still gets one.
    const blocks = Math.max(pool.size, Math.floor(extent / MIN_BLOCK));
    let chunks = Math.max(1, Math.min(want, blocks, Math.floor(extent / align)));
    while (chunks > 1 && other * Math.floor(Math.floor(extent / align) / chunks) * align <= SMALL_MATMUL) chunks--;
    // Whole rounds: as many blocks in all as a multiple of the threads where fewer, larger blocks
    // allow it, since a last round of fewer blocks than threads leaves threads idle (a 384-row
    // weight gradient in 3 blocks of 128 rows ran 1.46x faster on 2 threads than on one, in 2 of 192 rows 1.98x).
    if (total * chunks > pool.size) {
      let whole = chunks;
      while (whole > 1 && (total * whole) % pool.size !== 0) whole--;
      if ((total * whole) % pool.size === 0) chunks = whole;
    }
    const parts = Math.min(pool.size, total * chunks);
    const rank = batchShape.length;
    if (21 + 4 * rank > ARG_WORDS) throw new Error(`wasm backend: matmul batch rank ${rank} is too large for the thread pool`);
    const stride = Math.ceil(this.k.matmulScratchBytes(M, N, K) / 64) * 64;
    const scratch = this.alloc(parts * stride);
    try {
      const epi = epilogue ? [epilogue.id, epilogue.bytes, epilogue.length, epilogue.words] : [0, 0, 0, 0];
      pool.args.set([...head, chunks, align, total, rank, scratch, stride, byCols ? 1 : 0, ...epi, ...batchShape, ...batchStrides.flatMap((s) => s.map((x) => x * 4))]);
      pool.run(JOB.matmul, parts, this.k, epilogue ? () => epilogue.run : undefined);
    } finally {
      this.free(scratch);
    }
  }

  // ---- data movement ---------------------------------------------------------------------------

  copy(src: View, dst: View): void {
    this.check();
    if (src.dtype === dst.dtype && this.onPool(null, [src], dst)) return;
    const rank = this.layout(dst.shape, [src, dst]);
    if (rank === 0) return;
    this.k.copy(DTYPE_CODE[src.dtype], DTYPE_CODE[dst.dtype], this.addr(src), this.addr(dst), rank);
  }

  fill(dst: View, value: number): void {
    this.check();
    if (isHalf(dst.dtype)) throw unsupported('fill', { dst: dst.dtype });
    const n = numel(dst.shape);
    if (n === 0) return;
    this.k.fill(DTYPE_CODE[dst.dtype], this.addr(dst), n, value);
  }

  gather(x: View, dim: number, index: View, out: View): void {
    this.check();
    if (index.dtype !== 'int32' || out.dtype !== x.dtype || isHalf(x.dtype)) {
      throw unsupported('gather', { x: x.dtype, index: index.dtype, out: out.dtype });
    }
    const { rank, dimStride, dimLen } = this.indexLayout(x, dim, index, out);
    if (rank === 0) return;
    const code = this.k.gather(dtypeSize(x.dtype), this.addr(index), this.addr(out), this.addr(x), rank, dimStride, dimLen);
    if (code !== 0) throw this.indexError('gather', dim, dimLen);
  }

  scatterAdd(dst: View, dim: number, index: View, src: View): void {
    this.check();
    if (index.dtype !== 'int32' || (dst.dtype !== 'float32' && dst.dtype !== 'int32') || src.dtype !== dst.dtype) {
      throw unsupported('scatterAdd', { dst: dst.dtype, index: index.dtype, src: src.dtype });
    }
    const { rank, dimStride, dimLen } = this.indexLayout(dst, dim, index, src);
    if (rank === 0) return;
    const code = this.k.scatterAdd(DTYPE_CODE[dst.dtype], this.addr(index), this.addr(src), this.addr(dst), rank, dimStride, dimLen);
    if (code !== 0) throw this.indexError('scatterAdd', dim, dimLen);
  }

  random(dst: View, params: RandomParams): void {
    this.check();
    if (dst.dtype !== 'float32') throw unsupported(`random ${params.kind}`, { dst: dst.dtype });
    const n = numel(dst.shape);
    if (n === 0) return;
    const c = params.counter;
    this.k.random(
      params.kind === 'uniform' ? 0 : 1,
      this.addr(dst),
      n,
      params.seedLo >>> 0,
      params.seedHi >>> 0,
      c % 4294967296,
      Math.floor(c / 4294967296),
    );
  }

  // ---- test hooks ------------------------------------------------------------------------------

  /** One Philox 4x32-10 block computed by the kernels (for known-answer tests). */
  philoxBlock(counter: readonly number[], key: readonly [number, number]): [number, number, number, number] {
    this.k.philoxBlock(counter[0]! >>> 0, counter[1]! >>> 0, counter[2]! >>> 0, counter[3]! >>> 0, key[0] >>> 0, key[1] >>> 0);
    const at = (this.scratchPtr + 7 * ROW_BYTES) >> 2;
    const v = this.ints();
    return [v[at]! >>> 0, v[at + 1]! >>> 0, v[at + 2]! >>> 0, v[at + 3]! >>> 0];
  }

  /** Bytes the kernel allocator spans (allocated or free), for tests of reuse. */
  heapBytes(): number {
    return this.k.heapBytes() >>> 0;
  }

  // ---- helpers ---------------------------------------------------------------------------------

  private check(): void {
    if (this.destroyed) throw new Error('wasm backend: used after destroy()');
  }

  private size(buffer: BufferId): number {
    const size = this.live.get(buffer);
    if (size === undefined) throw new Error(`wasm backend: unknown buffer ${buffer}`);
    return size;
  }

  /** Byte address of a view's first element. */
  private addr(v: View): number {
    return v.buffer + v.offset * dtypeSize(v.dtype);
  }

  /** A copy of `length` bytes of memory at `start`, in a plain ArrayBuffer (never a view of shared memory). */
  /**
   * `n` elements of `dtype` at byte `start` of linear memory, copied into a new typed array: a
   * small one lives on the JavaScript heap (an ArrayBuffer slice allocates a backing store for
   * each read, a loss's `item()` included).
   */
  private copyOut(dtype: DType, start: number, n: number): TypedArray {
    const Ctor = dtype === 'float32' ? Float32Array : dtype === 'int32' ? Int32Array : isHalf(dtype) ? Uint16Array : Uint8Array;
    const out = new Ctor(n);
    const mem = this.k.memory.buffer;
    if (start % Ctor.BYTES_PER_ELEMENT === 0) out.set(new Ctor(mem, start, n));
    else new Uint8Array(out.buffer).set(new Uint8Array(mem, start, n * Ctor.BYTES_PER_ELEMENT));
    return out;
  }


  /** An Int32Array over the current memory (re-created after memory.grow detached the old one). */
  private ints(): Int32Array {
    if (this.i32View.buffer !== this.k.memory.buffer) this.i32View = new Int32Array(this.k.memory.buffer);
    return this.i32View;
  }

  /**
   * Coalesces the shape shared by `views`, writes it with their byte strides to the scratch area
   * (operands 0..3) and returns the rank, or 0 for an empty tensor (nothing to do).
   */
  private layout(shape: readonly number[], views: readonly View[]): number {
    if (numel(shape) === 0) return 0;
    const l = coalesce(shape, views.map((v) => v.strides as number[]));
    this.writeRows(0, l.shape, l.strides.map((s, i) => scale(s, dtypeSize(views[i]!.dtype))));
    return l.shape.length;
  }

  /** Writes a shape (at scratch row `row`) and byte strides (the rows after it). */
  private writeRows(row: number, shape: readonly number[], strides: readonly number[][]): void {
    if (shape.length > MAX_RANK) throw new Error(`wasm backend: rank ${shape.length} exceeds ${MAX_RANK} after merging dims`);
    const v = this.ints();
    const base = (this.scratchPtr >> 2) + row * MAX_RANK;
    for (let d = 0; d < shape.length; d++) v[base + d] = shape[d]!;
    strides.forEach((s, k) => {
      const at = base + (k + 1) * MAX_RANK;
      for (let d = 0; d < s.length; d++) v[at + d] = s[d]!;
    });
  }

  /**
   * Layout for gather/scatterAdd: iterates `index`'s shape over operands (index, other, data),
   * with the data operand's stride along `dim` zeroed (the kernel adds index * dimStride).
   */
  private indexLayout(data: View, dim: number, index: View, other: View): { rank: number; dimStride: number; dimLen: number } {
    const r = index.shape.length;
    const dataRank = data.shape.length;
    if (dim < 0 || dim >= Math.max(r, 1) || dataRank !== r || other.shape.length !== r) {
      throw new Error(`wasm backend: gather/scatterAdd dim ${dim} or ranks do not agree (data rank ${dataRank}, index rank ${r})`);
    }
    if (numel(index.shape) === 0) return { rank: 0, dimStride: 0, dimLen: 0 };
    const dimLen = r === 0 ? 1 : data.shape[dim]!;
    const dimStride = r === 0 ? 0 : data.strides[dim]! * dtypeSize(data.dtype);
    const shape = r === 0 ? [1] : [...index.shape];
    const pick = (v: View, zeroDim: boolean): number[] =>
      r === 0 ? [0] : v.strides.map((s, d) => (zeroDim && d === dim ? 0 : s * dtypeSize(v.dtype)));
    this.writeRows(0, shape, [pick(index, false), pick(other, false), pick(data, true)]);
    return { rank: shape.length, dimStride, dimLen };
  }

  private indexError(op: string, dim: number, size: number): RangeError {
    const v = this.ints();
    const at = (this.scratchPtr + 7 * ROW_BYTES) >> 2;
    return new RangeError(`wasm backend: ${op} index ${v[at]} is out of bounds for dimension ${dim} with size ${size}`);
  }
}

/** wasm32 addresses are 32 bits: linear memory can never pass 4 GiB (memory64 would lift this). */
const MEMORY_LIMIT = 2 ** 32;

/**
 * Whether no two elements of `v` share an address (strides positive where a dim has more than one
 * element): taken from the smallest stride up, each stride lies beyond the reach of the dims below it.
 */
function apart(v: View): boolean {
  const dims = v.shape.map((n, d) => [n, v.strides[d]!] as const).filter(([n]) => n > 1).sort((a, b) => a[1] - b[1]);
  let reach = 0;
  for (const [n, stride] of dims) {
    if (stride <= reach) return false;
    reach += (n - 1) * stride;
  }
  return true;
}

function gib(bytes: number): string {
  return `${(bytes / 2 ** 30).toFixed(2)} GiB`;
}

/** The error for a failed allocation: the size asked for, the limit and what holds memory now. */
function outOfMemory(bytes: number, reserved: number, live: ReadonlyMap<number, number>): RangeError {
  let held = 0;
  for (const size of live.values()) held += size;
  return new RangeError(
    `wasm backend: out of memory allocating ${bytes} bytes (${gib(bytes)}): wasm memory is limited to ` +
      `${gib(MEMORY_LIMIT)} (32-bit addresses), ${gib(reserved)} is reserved and ${live.size} live buffers ` +
      `hold ${gib(held)}. torch.memory() shows which backend holds what; dispose() tensors you no longer ` +
      `need, or wrap the work in torch.tidy().`,
  );
}

/**
 * Whether a batched product is one product of `batch * M` rows: a one-dim batch (after
 * coalescing) over which B does not move, A's rows step on evenly (its batch stride M row
 * strides), C is contiguous, and each item is large enough for the packed path (the plain
 * loop for tiny products and the few-rows path sum differently, so those keep their per-item
 * products).
 */
function foldsIntoRows(batchShape: readonly number[], sa: readonly number[], sb: readonly number[], so: readonly number[], rowStride: number, M: number, N: number, K: number): boolean {
  return batchShape.length === 1 && sb[0] === 0 && sa[0] === M * rowStride && so[0] === M * N && M >= 4 && M * N * K > SMALL_MATMUL;
}

function scale(strides: readonly number[], bytes: number): number[] {
  return strides.map((s) => s * bytes);
}

/**
 * Compiles the kernels and returns a ready backend (asynchronous: compiling, and starting pool
 * threads with `threads` > 1). Errors say what the runtime lacks.
 *
 * @example
 * ```ts
 * import * as torch from 'torchlet';
 * import { createWasmBackend } from '@torchlet/backend-wasm';
 * // A second, independent instance (its own memory); setBackend('wasm') is the usual way.
 * const backend = await createWasmBackend({ variant: 'simd' });
 * const x = torch.ones([2], { backend });
 * ```
 */
export async function createWasmBackend(options: WasmBackendOptions = {}): Promise<WasmBackend> {
  const threads = await threadCount(options.threads);
  const threshold = options.parallelThreshold ?? PARALLEL_THRESHOLD;
  if (typeof threshold !== 'number' || !(threshold >= 0)) {
    throw new RangeError(`wasm backend: parallelThreshold must be a number >= 0, got ${String(threshold)}`);
  }
  const generated = options.generatedKernels ?? true;
  if (typeof generated !== 'boolean') throw new TypeError(`wasm backend: generatedKernels must be true or false, got ${String(generated)}`);
  if (threads === 1) {
    const { exports, variant } = await loadKernels({ variant: options.variant });
    return withGenerator(new WasmBackend(exports, variant, null, threshold, generated));
  }
  const { exports, variant, workerModule } = await loadKernels({ variant: options.variant, shared: true });
  let pool: ThreadPool;
  try {
    // The pool's code is a chunk of its own: a one-thread app never loads it.
    const { ThreadPool } = await import('./threads.ts');
    pool = await ThreadPool.start(threads, workerModule!, exports.memory);
  } catch (e) {
    // The default asked for whatever the runtime offers: a runtime that shares memory but will
    // not start workers (some embedded or edge runtimes) runs on one thread, as where memory
    // cannot be shared. An explicit count is a request, and its failure an error. Unlike a page
    // without isolation (documented, and told by its headers), this one is unexpected, so it is
    // said once, with the reason: a user who reads `backend.threads` needs no guessing.
    if ((options.threads ?? 'auto') === 'auto') {
      console.warn(`wasm backend: threads 'auto' asked for ${threads}, but ${threads - 1} pool threads could not start (${e instanceof Error ? e.message : String(e)}); running on one thread.`);
      const single = await loadKernels({ variant: options.variant });
      return withGenerator(new WasmBackend(single.exports, single.variant, null, threshold, generated));
    }
    throw new Error(`wasm backend: could not start ${threads - 1} pool threads (${e instanceof Error ? e.message : String(e)}); pass \`threads: 1\` to run on this thread only.`, { cause: e });
  }
  return withGenerator(new WasmBackend(exports, variant, pool, threshold, generated));
}

/**
 * In Node and Deno, loads the generated-kernel code (src/jit.ts) before the backend is handed
 * out: there it is a local file, and a chunk loaded on the first fused program arrives only
 * when the event loop next turns, which a training loop that never awaits (a benchmark, a
 * script stepping synchronously) never lets happen, so its compiled steps would stay on the
 * interpreter for good. Browsers keep loading it on the first fused program, so that a page
 * without `torch.compile` never downloads it. A failed load leaves the interpreter.
 */
async function withGenerator(backend: WasmBackend): Promise<WasmBackend> {
  if (isNode() || 'Deno' in globalThis) await backend.loadGeneratedKernels().catch(() => {});
  return backend;
}

async function threadCount(threads: number | 'auto' = 'auto'): Promise<number> {
  if (threads === 'auto') {
    if (!supportsThreads()) return 1;
    let n = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency;
    if (n === undefined && isNode()) {
      const specifier = 'node:os'; // Node 20 has no navigator
      n = ((await import(/* @vite-ignore */ specifier)) as typeof import('node:os')).availableParallelism();
    }
    return Math.max(1, Math.min(8, n ?? 1));
  }
  if (typeof threads !== 'number' || !Number.isInteger(threads) || threads < 1 || threads > 64) {
    throw new RangeError(`wasm backend: threads must be an integer from 1 to 64 or 'auto', got ${String(threads)}`);
  }
  return threads;
}
