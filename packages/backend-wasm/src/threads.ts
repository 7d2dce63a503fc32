// A pool of threads sharing the kernels' memory. Each pool thread instantiates the small
// assembly/worker.ts module on the main module's shared WebAssembly.Memory and waits on a
// control word; a job (one matmul, one attention pass, one fused element-wise program) is cut into parts, the calling thread
// runs part 0 and the pool threads the others, and `run` returns when every part is done — so
// the backend stays synchronous, as every other backend call. Coordination is through
// Atomics on a small SharedArrayBuffer (the same pattern as Emscripten's pthreads).
import type { PartKernels } from './load.ts';
import { ARG_WORDS, JOB, isNode } from './pool-words.ts';

/** A thread's `run(words, from, to)` of generated module `id` (whose `length` bytes are at `bytes` in the shared memory). */
export type GeneratedRun = (id: number, bytes: number, length: number) => (words: number, from: number, to: number) => void;

/** Control words (Int32Array indices). */
const GEN = 0; // bumped once per job; threads wait on it
const KIND = 1;
const PARTS = 2;
/**
 * The current job's admission word: `(gen << 8) | OPEN | joined`. A pool thread joins a job only
 * while it is open (a compare-and-swap that also counts it); the caller closes it once its own
 * part is done and then waits only for the threads that joined. A thread that wakes late (the OS
 * ran something else: a loaded machine, more busy threads than cores) finds the job closed and
 * leaves it alone, so the caller never waits for a thread that has not started, and never
 * rewrites a job's arguments while a thread could still read them.
 */
const JOIN = 3;
const FAILED = 4; // set by a thread whose part threw (the error itself stays in that thread)
const NEXT = 5; // the next work item of the current job (threads take items with Atomics.add)
const DONE = 6; // joined threads that have finished the current job
const CONTROL_WORDS = 8;
/** JOIN's open flag; its low 7 bits count the threads that joined (at most 63 pool threads). */
const OPEN = 0x80;
/** JOIN's generation bits (the job generation modulo 2^23, enough to tell a stale job from the current one). */
const GEN_MASK = 0x7fffff;
/**
 * How long, in ms, a pool thread busy-waits for the next job before it sleeps (by the clock, the
 * same on any machine). A compiled Transformer step runs 36 jobs with gaps of 15-600 microseconds
 * between them (the serial ops and the replay's JavaScript), so at 50 microseconds the thread
 * sleeps before about half of them, pays a wake-up (a futex wake, an interrupt under a
 * hypervisor) and misses short jobs, whose items the caller then runs alone. Spinning for 1 ms
 * keeps it awake through a step (asleep before 0.1 jobs per step) and made the step 0-15% faster
 * on a quiet 2-core machine, but 11-35% slower with one other busy process on it (the spinning
 * thread takes the core the caller needs between jobs); backing off once the spinning thread is
 * preempted recovered under half of that. Measured in one process, alternating (2026-12-03).
 */
const SPIN_MS = 0.05;
/** The longest single Atomics.wait of a sleeping thread, in ms (it then checks again). */
const WAIT_SLICE_MS = 50;
/**
 * How long the calling thread busy-waits for the threads that joined before it sleeps, in ms:
 * they are running their last work item, which takes about as long as the caller's own; a
 * thread preempted mid-item is waited for asleep, not with a core spinning beside it.
 */
const WAIT_SPIN_MS = 2;

/**
 * Runs thread `part`'s share of a job: work items taken one at a time from the shared counter
 * `ctl[5]` (NEXT) until none are left, so a thread that runs slower (cold caches, a busy core)
 * simply takes fewer. `part` picks the thread's own scratch. It is also the pool threads' code
 * (turned into source with `toString`), so it must stay self-contained: no references outside its
 * body (hence the job kinds as literals: 1, 2, 3, 4 are JOB.matmul, JOB.attention,
 * JOB.attentionBackward, JOB.elementwise, and 5 is NEXT).
 *
 * Argument layouts (`a`, float64 words):
 * - matmul: N K M sam sak sbk sbn pa pb pc chunks align total rank scratch scratchStride byCols
 *   epiId epiBytes epiLength epiWords, then the batch shape and the batch strides (bytes) of A, B
 *   and C, `rank` words each. With `epiId` (0: none; one product only), each block runs the
 *   epilogue of a fused matmul: generated module `epiId` (as for `generated` below; its table
 *   index in this thread's kernels is kept on its run function as `epilogueSlot`) on its call's
 *   words at `epiWords`, as soon as the block's part of the product is final. Work
 *   item i (of total * chunks) is block c = i % chunks of product p = i / chunks: its rows (its
 *   columns with byCols) cut into `chunks` runs of whole `align`-sized groups, the last run taking
 *   the remainder, so no block is smaller than `align` (a block of fewer rows than the
 *   micro-kernel's would take another kernel and round differently from one thread).
 * - attention: params q k v mask out lse scale causal BH sBuf sBufStride; item i is (batch, head)
 *   pair i of BH.
 * - attentionBackward: params q k v mask out lse gout dq dk dv scale causal BH sBuf sBufStride.
 * - elementwise: prog area areaStride n chunk; item i is elements [i * chunk, (i + 1) * chunk)
 *   (chunk a multiple of the interpreter's block), each part with its own register area.
 * - generated (5): words n chunk id bytes length; a generated module (src/jit.ts) over elements
 *   [i * chunk, (i + 1) * chunk) per item. `generated(id, bytes, length)` gives this thread's
 *   instance of module `id`, compiling the `length` bytes at `bytes` the first time.
 */
export function runPart(x: PartKernels, kind: number, a: Float64Array, part: number, ctl: Int32Array, generated: GeneratedRun): void {
  if (kind === 1) {
    const N = a[0]!, K = a[1]!, M = a[2]!, sam = a[3]!, sak = a[4]!, sbk = a[5]!, sbn = a[6]!;
    const chunks = a[10]!, align = a[11]!, total = a[12]!, rank = a[13]!, byCols = a[16] === 1;
    const scratch = a[14]! + part * a[15]!;
    const items = total * chunks;
    // The epilogue's run in this thread's kernels' function table (put there on first use).
    let epi = 0;
    if (a[17] !== 0) {
      const run = generated(a[17]!, a[18]!, a[19]!) as ((words: number, from: number, to: number) => void) & { epilogueSlot?: number };
      epi = run.epilogueSlot ?? (run.epilogueSlot = x.table.grow(1, run));
    }
    const words = a[20]!;
    for (let i = Atomics.add(ctl, 5, 1); i < items; i = Atomics.add(ctl, 5, 1)) {
      const p = Math.floor(i / chunks), c = i % chunks;
      // The product's offsets from its batch index (row-major over the batch shape).
      let pa = a[7]!, pb = a[8]!, pc = a[9]!;
      for (let d = rank - 1, rest = p; d >= 0; d--) {
        const size = a[21 + d]!, at = rest % size;
        rest = Math.floor(rest / size);
        pa += at * a[21 + rank + d]!;
        pb += at * a[21 + 2 * rank + d]!;
        pc += at * a[21 + 3 * rank + d]!;
      }
      const extent = byCols ? N : M, groups = Math.floor(extent / align);
      const from = Math.floor((c * groups) / chunks) * align;
      const to = c === chunks - 1 ? extent : Math.floor(((c + 1) * groups) / chunks) * align;
      if (byCols) x.matmulPart(pa, pb + from * sbn, pc + from * 4, M, to - from, K, sam, sak, sbk, sbn, N * 4, scratch, epi, words, from);
      else x.matmulPart(pa + from * sam, pb, pc + from * N * 4, to - from, N, K, sam, sak, sbk, sbn, N * 4, scratch, epi, words, from * N);
    }
  } else if (kind === 5) {
    const run = generated(a[3]!, a[4]!, a[5]!), n = a[1]!, chunk = a[2]!;
    for (let i = Atomics.add(ctl, 5, 1); i * chunk < n; i = Atomics.add(ctl, 5, 1)) run(a[0]!, i * chunk, Math.min(n, (i + 1) * chunk));
  } else if (kind === 4) {
    const n = a[3]!, chunk = a[4]!, area = a[1]! + part * a[2]!;
    for (let i = Atomics.add(ctl, 5, 1); i * chunk < n; i = Atomics.add(ctl, 5, 1)) {
      x.elementwise(a[0]!, area, i * chunk, Math.min(n, (i + 1) * chunk));
    }
  } else if (kind === 2 || kind === 3) {
    const fwd = kind === 2;
    const BH = a[fwd ? 9 : 13]!;
    const sBuf = a[fwd ? 10 : 14]! + part * a[fwd ? 11 : 15]!;
    for (let bh = Atomics.add(ctl, 5, 1); bh < BH; bh = Atomics.add(ctl, 5, 1)) {
      if (fwd) x.attentionPart(a[0]!, a[1]!, a[2]!, a[3]!, a[4]!, a[5]!, a[6]!, a[7]!, a[8]!, bh, bh + 1, sBuf);
      else x.attentionBackwardPart(a[0]!, a[1]!, a[2]!, a[3]!, a[4]!, a[5]!, a[6]!, a[7]!, a[8]!, a[9]!, a[10]!, a[11]!, a[12]!, bh, bh + 1, sBuf);
    }
  }
}

/** The pool threads' program: instantiate, then run parts until told to stop. */
function threadSource(): string {
  return `"use strict";
const runPart = ${runPart.toString()};
function start(data, post) {
  const { module, memory, control, args, index } = data;
  const x = new WebAssembly.Instance(module, { env: { memory } }).exports;
  // This thread's instances of the generated modules (src/jit.ts), compiled on first use.
  const modules = new Map();
  const generated = (id, at, length) => {
    let run = modules.get(id);
    if (run === undefined) {
      const bytes = new Uint8Array(memory.buffer, at, length).slice();
      const env = { memory, unary: x.unaryElementF32, binary: x.binaryElementF32 };
      run = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env }).exports.run;
      modules.set(id, run);
    }
    return run;
  };
  const ctl = new Int32Array(control), a = new Float64Array(args);
  // Read before 'ready': the first job may be posted as soon as the caller hears it.
  let gen = Atomics.load(ctl, ${GEN});
  post('ready');
  for (;;) {
    // The clock is read every 1024 loads (a load takes some nanoseconds, the clock more).
    const until = performance.now() + ${SPIN_MS};
    for (let i = 1; Atomics.load(ctl, ${GEN}) === gen; i++) if ((i & 1023) === 0 && performance.now() > until) break;
    // Sleep in short waits, not one endless one: a runtime ending the process can then stop
    // this thread even where termination does not interrupt a futex wait.
    while (Atomics.load(ctl, ${GEN}) === gen) Atomics.wait(ctl, ${GEN}, gen, ${WAIT_SLICE_MS});
    gen = Atomics.load(ctl, ${GEN});
    if (Atomics.load(ctl, ${KIND}) === ${JOB.stop}) return;
    // Join the job while it is open (see JOIN in threads.ts); a closed or newer one is skipped.
    const open = ((gen & ${GEN_MASK}) << 8) | ${OPEN};
    let joined = false;
    for (let w = Atomics.load(ctl, ${JOIN}); (w & ~0x7f) === open; w = Atomics.load(ctl, ${JOIN})) {
      if (Atomics.compareExchange(ctl, ${JOIN}, w, w + 1) === w) { joined = true; break; }
    }
    if (!joined) continue;
    try {
      const kind = Atomics.load(ctl, ${KIND}), parts = Atomics.load(ctl, ${PARTS});
      if (index + 1 < parts) runPart(x, kind, a, index + 1, ctl, generated);
    } catch (e) {
      Atomics.store(ctl, ${FAILED}, 1);
    }
    Atomics.add(ctl, ${DONE}, 1);
    Atomics.notify(ctl, ${DONE});
  }
}
if (typeof require === 'function') {
  const { parentPort } = require('node:worker_threads');
  parentPort.once('message', (data) => start(data, (m) => parentPort.postMessage(m)));
} else {
  self.onmessage = (e) => start(e.data, (m) => self.postMessage(m));
}
`;
}

const noGenerated: GeneratedRun = () => {
  throw new Error('wasm backend: a generated-kernel job without its module');
};

/** One pool thread: a worker_threads Worker (Node, Deno) or a Web Worker (browsers). */
interface PoolThread {
  post(message: unknown): void;
  ready: Promise<void>;
  /** Ends the thread; resolves once it has exited (at once where the runtime does not say). */
  terminate(): Promise<void>;
}


/**
 * Whether pool threads are worker_threads: in Node, and in Deno, whose Web Workers would keep
 * the process alive (its worker_threads can be unref'd and need no permission).
 */
const useWorkerThreads = (): boolean => isNode() || 'Deno' in globalThis;

async function spawn(source: string): Promise<PoolThread> {
  if (useWorkerThreads()) {
    // A computed specifier, so that browser bundlers do not try to resolve a Node built-in.
    const specifier = 'node:worker_threads';
    const { Worker } = (await import(/* @vite-ignore */ specifier)) as typeof import('node:worker_threads');
    const w = new Worker(source, { eval: true });
    const ready = new Promise<void>((resolve, reject) => {
      w.once('message', () => {
        // An idle pool must not keep the process alive (only once started: until then the
        // thread's 'ready' is what the caller awaits).
        w.unref();
        resolve();
      });
      w.once('error', reject);
    });
    return { post: (m) => w.postMessage(m), ready, terminate: () => w.terminate().then(() => {}, () => {}) };
  }
  if (typeof Worker !== 'function') throw new Error('this runtime has no Worker');
  const url = URL.createObjectURL(new Blob([source], { type: 'text/javascript' }));
  const w = new Worker(url, { type: 'module' });
  const ready = new Promise<void>((resolve, reject) => {
    w.onmessage = () => resolve();
    w.onerror = (e) => reject(new Error(e.message || 'the worker failed to start'));
  });
  return {
    post: (m) => w.postMessage(m),
    ready: ready.finally(() => URL.revokeObjectURL(url)),
    terminate: () => {
      w.terminate(); // a Web Worker ends at once
      return Promise.resolve();
    },
  };
}

/**
 * The pool. `run` is synchronous and not re-entrant (the backend calls it from one thread, one
 * job at a time). Pool threads spin for 50 microseconds after a job, then sleep in Atomics.wait.
 *
 * @example
 * ```ts
 * // not run: the backend starts its own pool; shown for the options that reach it
 * import * as torch from 'torchlet';
 * await torch.setBackend('wasm', { threads: 'auto' });   // a ThreadPool of one worker per core (cross-origin isolated pages, Node, Deno)
 * ```
 */
export class ThreadPool {
  /** Threads that run parts, the calling thread included. */
  readonly size: number;
  /** Job arguments, written by the caller before `run` (the layouts are documented at `runPart` in threads.ts). */
  readonly args: Float64Array;
  private readonly ctl: Int32Array;
  private readonly threads: PoolThread[];
  /** Whether Atomics.wait may block this thread (not on a browser's main thread). */
  private readonly canBlock: boolean;
  private stopped = false;
  /** Resolves once every thread has exited after {@link stop}. */
  private exited: Promise<void> = Promise.resolve();
  /** Removes the program-exit hook that {@link start} installed. */
  private forgetExit = (): void => {};

  private constructor(threads: PoolThread[], ctl: Int32Array, args: Float64Array) {
    this.threads = threads;
    this.ctl = ctl;
    this.args = args;
    this.size = threads.length + 1;
    let canBlock = true;
    try {
      Atomics.wait(ctl, CONTROL_WORDS - 1, 1, 0);
    } catch {
      canBlock = false;
    }
    this.canBlock = canBlock;
  }

  /**
   * Starts `size - 1` threads, each instantiating `module` (assembly/worker.ts) on `memory`.
   * Asynchronous: resolves when every thread is ready. Throws, naming the cause, when the
   * runtime has no Worker or a thread fails to start.
   */
  static async start(size: number, module: WebAssembly.Module, memory: WebAssembly.Memory): Promise<ThreadPool> {
    const control = new SharedArrayBuffer(CONTROL_WORDS * 4);
    const args = new SharedArrayBuffer(ARG_WORDS * 8);
    const source = threadSource();
    const threads: PoolThread[] = [];
    try {
      for (let index = 0; index < size - 1; index++) {
        const t = await spawn(source);
        threads.push(t);
        t.post({ module, memory, control, args, index });
      }
      await Promise.all(threads.map((t) => t.ready));
    } catch (e) {
      for (const t of threads) void t.terminate();
      throw e;
    }
    const pool = new ThreadPool(threads, new Int32Array(control), new Float64Array(args));
    // Let the threads return on their own when the program ends, rather than rely on the
    // runtime interrupting them (Deno's 'unload', Node's 'exit'; browsers end workers with the page).
    const onExit = (): void => void pool.stop();
    const g = globalThis as { addEventListener?: (t: string, f: () => void) => void; removeEventListener?: (t: string, f: () => void) => void };
    if (isNode()) {
      process.once('exit', onExit);
      pool.forgetExit = () => void process.off('exit', onExit);
    } else if (g.addEventListener) {
      g.addEventListener('unload', onExit);
      pool.forgetExit = () => g.removeEventListener?.('unload', onExit);
    }
    return pool;
  }

  /**
   * Runs job `kind` with the arguments in {@link args} on `parts` (2..size) threads, this one
   * (through `x`) and parts - 1 pool threads, which take its work items until none are left.
   * Returns when all are done; throws if a part failed. `generated` gives this thread's run of a
   * generated module (job kind 5).
   */
  run(kind: number, parts: number, x: PartKernels, generated: GeneratedRun = noGenerated): void {
    if (this.stopped) throw new Error('wasm backend: the thread pool was stopped');
    const ctl = this.ctl;
    const gen = (Atomics.load(ctl, GEN) + 1) | 0;
    Atomics.store(ctl, KIND, kind);
    Atomics.store(ctl, PARTS, parts);
    Atomics.store(ctl, FAILED, 0);
    Atomics.store(ctl, NEXT, 0);
    Atomics.store(ctl, DONE, 0);
    Atomics.store(ctl, JOIN, ((gen & GEN_MASK) << 8) | OPEN);
    Atomics.store(ctl, GEN, gen);
    Atomics.notify(ctl, GEN);
    let error: unknown;
    try {
      runPart(x, kind, this.args, 0, ctl, generated);
    } catch (e) {
      error = e;
    }
    // Close the job; the threads that joined are the ones to wait for.
    const joined = Atomics.exchange(ctl, JOIN, (gen & GEN_MASK) << 8) & 0x7f;
    const until = performance.now() + WAIT_SPIN_MS;
    for (let spins = 1; ; spins++) {
      const done = Atomics.load(ctl, DONE);
      if (done >= joined) break;
      if (this.canBlock && (spins & 255) === 0 && performance.now() > until) Atomics.wait(ctl, DONE, done, WAIT_SLICE_MS);
    }
    if (error !== undefined) throw error;
    if (Atomics.load(ctl, FAILED)) throw new Error('wasm backend: a pool thread failed while running a kernel');
  }

  /**
   * Tells the threads to exit and terminates them. The pool cannot run jobs afterwards. The
   * promise resolves once every thread has exited (a caller need not wait for it).
   */
  stop(): Promise<void> {
    if (!this.stopped) {
      this.stopped = true;
      this.forgetExit();
      Atomics.store(this.ctl, KIND, JOB.stop);
      Atomics.store(this.ctl, JOIN, 0);
      Atomics.add(this.ctl, GEN, 1);
      Atomics.notify(this.ctl, GEN);
      this.exited = Promise.all(this.threads.map((t) => t.terminate())).then(() => {});
    }
    return this.exited;
  }
}
