/**
 * The tracer of `torch.compile`: records every backend call core makes while the traced function
 * runs (eagerly, so the traced call's results are the eager ones), with each view's buffer renamed
 * to a virtual buffer that says where it came from:
 * - `external`: allocated before the call (parameters, optimizer state, a module's cached mask);
 *   a replay reads the same buffer, after checking it is still held by the same storage;
 * - `arg`: an argument tensor's buffer, matched by position at replay;
 * - `plan`: allocated by a recorded call (an intermediate, a gradient, a returned tensor);
 * - `host`: allocated inside a host step (compile/hooks.ts), which every replay re-runs.
 * Anything the recording cannot reproduce faithfully (a read of values, a large write of host data,
 * two backends, a second RNG seed) ends the recording with a reason: the call finishes eagerly and
 * the caller runs that signature eagerly from then on (or, with `fullgraph`, throws).
 */
import type { Backend, BufferId, RandomKind, RandomParams, View } from '../backend.ts';
import type { DType, TypedArray } from '../dtype.ts';
import type { ElementwiseProgram } from '../fused-program.ts';
import type { ReductionProgram } from '../fused-reduction.ts';
import { getRngState } from '../random.ts';
import { listInstances } from '../registry.ts';
import { storageOf, type Storage } from '../storage.ts';
import { isTensor, type Tensor } from '../tensor.ts';
import { setTraceSink, type TraceSink } from './hooks.ts';

/** A view whose buffer is a virtual buffer of the trace. */
export interface VView {
  readonly vbuf: number;
  readonly dtype: DType;
  readonly shape: readonly number[];
  readonly strides: readonly number[];
  readonly offset: number;
}

/** A recorded call's argument: a view, a list of views, or a value passed as it was. */
export type TraceArg = { readonly k: 'view'; readonly v: VView } | { readonly k: 'views'; readonly vs: readonly VView[] } | { readonly k: 'value'; readonly value: unknown };

/** Whose `.grad` a gradient entry sets: the argument at a position, or a tensor that outlives calls. */
export type GradTarget = { readonly arg: number } | { readonly tensor: Tensor };

/** One recorded step of the traced function. */
export type Entry =
  | { readonly kind: 'alloc'; readonly vbuf: number; readonly bytes: number }
  | { readonly kind: 'free'; readonly vbuf: number }
  | { readonly kind: 'write'; readonly vbuf: number; readonly data: TypedArray; readonly byteOffset: number }
  | { readonly kind: 'call'; readonly method: string; readonly fused: boolean; readonly args: readonly TraceArg[] }
  | { readonly kind: 'random'; readonly out: VView; readonly dist: RandomKind; readonly rngOffset: number }
  | { readonly kind: 'host'; readonly name: string; readonly fn: () => unknown; readonly rngOffset: number }
  | { readonly kind: 'grad'; readonly target: GradTarget; readonly ref: VView; readonly accumulated: boolean }
  /** Made by the fusion pass (compile/fuse.ts), never recorded: a run of element-wise calls as one program. */
  | { readonly kind: 'program'; readonly program: ElementwiseProgram; readonly inputs: readonly VView[]; readonly outputs: readonly VView[]; readonly ops: number }
  /** Made by the reduction pass (compile/fuse-reduce.ts): a reduction with its element-wise prologue and epilogue. */
  | {
    readonly kind: 'reduction'; readonly program: ReductionProgram; readonly inputs: readonly VView[]; readonly extraOutputs: readonly VView[];
    readonly epilogueInputs: readonly VView[]; readonly outputs: readonly VView[]; readonly ops: number;
  }
  /** Made by the matmul pass (compile/fuse-matmul.ts): a product with its element-wise epilogue. */
  | {
    readonly kind: 'matmul'; readonly program: ElementwiseProgram; readonly a: VView; readonly b: VView;
    readonly epilogueInputs: readonly VView[]; readonly outputs: readonly VView[]; readonly ops: number;
  };

/** Where a virtual buffer came from, and what the trace saw happen to it. */
export interface VBuf {
  readonly origin: 'external' | 'arg' | 'plan' | 'host';
  /** Bytes (plan buffers). */
  readonly bytes: number;
  /** The argument position (arg buffers). */
  readonly arg?: number;
  /** The buffer id at trace time (external buffers keep it at replay). */
  readonly real: BufferId;
  /** The storage that held an external buffer, to check at replay that it still does. */
  readonly storage?: WeakRef<Storage>;
  /** Freed before the call ended, and whether inside a host step. */
  freed: boolean;
  freedInHost: boolean;
  /** Used by a call inside a host step. */
  hostTouched: boolean;
}

/** What a traced function returned, with tensors replaced by references to their buffers. */
export type OutSpec =
  | { readonly t: 'tensor'; readonly ref: VView }
  | { readonly t: 'array'; readonly items: readonly OutSpec[] }
  | { readonly t: 'object'; readonly entries: ReadonlyArray<readonly [string, OutSpec]> }
  | { readonly t: 'value'; readonly value: unknown };

/** A finished recording. */
export interface Trace {
  readonly backend: Backend | null;
  readonly entries: readonly Entry[];
  readonly vbufs: readonly VBuf[];
  /** Plan buffers still allocated when the function returned. */
  readonly liveAtEnd: ReadonlySet<number>;
  readonly out: OutSpec;
  /** Philox blocks the recorded (non-host) calls drew. */
  readonly rngAdvance: number;
  /** Backend compute calls the eager run made outside host steps (allocations and frees excluded). */
  readonly eagerCalls: number;
  /** Buffers the eager run allocated outside host steps. */
  readonly eagerAllocs: number;
  /** Checks every replay runs first (compile/hooks.ts `traceGuard`): a string means trace again. */
  readonly guards: ReadonlyArray<() => string | null>;
}

/** The backend methods of the contract that core calls (backend.ts); reads end a trace. */
const METHODS = ['alloc', 'free', 'write', 'read', 'readSync', 'unary', 'binary', 'where', 'reduce', 'matmul', 'copy', 'fill', 'gather', 'scatterAdd', 'random'] as const;

/** A write of host data above this many elements ends the trace: it is data, not a constant. */
export const MAX_BAKED_WRITE = 16;

/**
 * The error `torch.compile` throws with `fullgraph: true` where a function cannot be traced (a
 * read of values, a large write of JavaScript data, two backends, an async function); without
 * `fullgraph` the same reasons make that signature run eagerly, with a warning.
 *
 * @example
 * ```ts
 * const f = torch.compile((x: torch.Tensor) => x.mul(x.sum().dataSync()[0]!), { fullgraph: true });
 * const x = torch.ones([2]);
 * f(x);   // the warm-up call runs eagerly
 * try {
 *   f(x);   // the traced call meets the read
 * } catch (e) {
 *   console.log(e instanceof torch.GraphBreak);   // true
 * }
 * ```
 */
export class GraphBreak extends Error {
  /** `'GraphBreak'`, so logs and `catch` blocks can tell it from other errors. */
  override name = 'GraphBreak';
}

const isView = (a: unknown): a is View =>
  a !== null && typeof a === 'object' && 'buffer' in a && 'strides' in a && 'shape' in a && 'offset' in a && 'dtype' in a;

/** Records one call of the traced function; see the file comment. */
export class Tracer implements TraceSink {
  readonly entries: Entry[] = [];
  readonly vbufs: VBuf[] = [];
  /** The current virtual buffer of each live real buffer id (of `backend`). */
  private readonly realToV = new Map<BufferId, number>();
  private backend: Backend | null = null;
  /** Why recording stopped, or null while it goes on. */
  broken: string | null = null;
  private depth = 0;
  private inHost = 0;
  private inUntraced = 0;
  private readonly guards: Array<() => string | null> = [];
  private readonly rngStart = getRngState();
  private hostRng = 0;
  private eagerCalls = 0;
  private eagerAllocs = 0;
  private readonly restore: Array<() => void> = [];

  constructor(
    private readonly args: readonly Tensor[],
    private readonly fullgraph: boolean,
  ) {
    for (const [i, t] of args.entries()) {
      if (this.backend === null) this.backend = t.backend;
      else if (t.backend !== this.backend) {
        this.stop('the tensor arguments live on different backends');
        return;
      }
      const real = t.view_().buffer;
      if (!this.realToV.has(real)) this.realToV.set(real, this.newV({ origin: 'arg', bytes: t.storage.bytes, arg: i, real }));
    }
  }

  /** Installs the recording wrappers on every backend instance and the trace hooks. */
  start(): void {
    setTraceSink(this);
    for (const b of listInstances().values()) this.patch(b);
  }

  /** Removes the wrappers (idempotent). */
  finish(): void {
    setTraceSink(null);
    while (this.restore.length) this.restore.pop()!();
  }

  /** Ends the recording (the call goes on eagerly), or throws with `fullgraph`. */
  stop(reason: string): void {
    if (this.broken !== null) return;
    if (this.fullgraph) {
      this.broken = reason;
      throw new GraphBreak(`torch.compile (fullgraph): ${reason}`);
    }
    this.broken = reason;
  }

  private newV(v: Omit<VBuf, 'freed' | 'freedInHost' | 'hostTouched'>): number {
    this.vbufs.push({ ...v, freed: false, freedInHost: false, hostTouched: false });
    return this.vbufs.length - 1;
  }

  private patch(b: Backend): void {
    const rec = b as unknown as Record<string, unknown>;
    for (const name of METHODS) {
      const orig = rec[name];
      if (typeof orig !== 'function') continue;
      const own = Object.prototype.hasOwnProperty.call(rec, name);
      rec[name] = this.wrap(b, name, false, orig as (...a: unknown[]) => unknown);
      this.restore.push(() => {
        if (own) rec[name] = orig;
        else delete rec[name];
      });
    }
    const fused = b.fused as Record<string, unknown> | undefined;
    if (fused && typeof fused === 'object') {
      for (const name of Object.keys(fused)) {
        const orig = fused[name];
        if (typeof orig !== 'function') continue;
        fused[name] = this.wrap(b, name, true, (orig as (...a: unknown[]) => unknown).bind(fused));
        this.restore.push(() => {
          fused[name] = orig;
        });
      }
    }
  }

  private wrap(b: Backend, name: string, fused: boolean, orig: (...a: unknown[]) => unknown): (...a: unknown[]) => unknown {
    return (...a: unknown[]): unknown => {
      // Calls a backend makes to itself, everything after the recording stopped, and untraced
      // work (its buffers then read as external ones) just run.
      if (this.depth > 0 || this.broken !== null || this.inUntraced > 0) return orig.apply(b, a);
      this.depth++;
      try {
        return this.onCall(b, name, fused, a, orig);
      } finally {
        this.depth--;
      }
    };
  }

  private onCall(b: Backend, name: string, fused: boolean, a: unknown[], orig: (...a: unknown[]) => unknown): unknown {
    if (this.backend === null) this.backend = b;
    if (b !== this.backend) {
      this.stop(`the function uses two backends ('${this.backend.name}' and '${b.name}')`);
      return orig.apply(b, a);
    }
    const host = this.inHost > 0;
    if (name === 'read' || name === 'readSync') {
      if (host) return orig.apply(b, a);
      this.stop('it reads tensor values (item(), data(), tolist(), dataSync(), toString(), or an op whose result shape depends on values, such as nonzero)');
      return orig.apply(b, a);
    }
    if (!host) {
      if (name === 'alloc') this.eagerAllocs++;
      else if (name !== 'free') this.eagerCalls++;
    }
    if (name === 'alloc') {
      const id = orig.apply(b, a) as BufferId;
      const bytes = a[0] as number;
      this.realToV.set(id, this.newV({ origin: host ? 'host' : 'plan', bytes, real: id }));
      if (!host) this.entries.push({ kind: 'alloc', vbuf: this.realToV.get(id)!, bytes });
      return id;
    }
    if (name === 'free') {
      const id = a[0] as BufferId;
      const v = this.realToV.get(id);
      if (v !== undefined) {
        const vb = this.vbufs[v]!;
        this.realToV.delete(id);
        vb.freed = true;
        if (host) vb.freedInHost = true;
        else if (vb.origin === 'plan') this.entries.push({ kind: 'free', vbuf: v });
      }
      return orig.apply(b, a);
    }
    // Map every view argument to its virtual buffer (before the call: a kernel never frees).
    const args: TraceArg[] = a.map((x) => {
      if (isView(x)) return { k: 'view', v: this.vview(x, host) };
      if (Array.isArray(x) && x.length > 0 && x.every(isView)) return { k: 'views', vs: x.map((v) => this.vview(v, host)) };
      return { k: 'value', value: x };
    });
    if (this.broken !== null || host) return orig.apply(b, a);
    if (name === 'write') {
      const src = a[1] as TypedArray;
      if (src.length > MAX_BAKED_WRITE) {
        this.stop(`it copies ${src.length} elements of JavaScript data into a tensor (torch.tensor, fromArray, ...) inside the function; pass that data as an argument instead (at most ${MAX_BAKED_WRITE} elements are baked in as constants)`);
      } else {
        const vbuf = this.realToV.get(a[0] as BufferId) ?? this.external(b, a[0] as BufferId);
        if (vbuf !== null) this.entries.push({ kind: 'write', vbuf, data: src.slice(), byteOffset: (a[2] as number | undefined) ?? 0 });
      }
    } else if (name === 'random' && !fused) {
      const p = a[1] as RandomParams;
      const seed = this.rngStart.seed;
      if (p.seedLo !== seed % 4294967296 || p.seedHi !== Math.floor(seed / 4294967296)) this.stop('the random seed changes inside the function (manualSeed)');
      else this.entries.push({ kind: 'random', out: (args[0] as { v: VView }).v, dist: p.kind, rngOffset: p.counter - this.rngStart.counter - this.hostRng });
    } else {
      this.entries.push({ kind: 'call', method: name, fused, args });
    }
    return orig.apply(b, a);
  }

  /** The virtual view of a real view; registers unknown buffers as external ones. */
  private vview(v: View, host: boolean): VView {
    let vbuf = this.realToV.get(v.buffer) ?? null;
    if (vbuf === null) vbuf = this.external(this.backend!, v.buffer);
    if (vbuf === null) return { vbuf: -1, dtype: v.dtype, shape: v.shape, strides: v.strides, offset: v.offset };
    const vb = this.vbufs[vbuf]!;
    if (host) vb.hostTouched = true;
    else if (vb.origin === 'host') this.stop('it uses a tensor that a host step (an optimizer step) created in the same call');
    return { vbuf, dtype: v.dtype, shape: [...v.shape], strides: [...v.strides], offset: v.offset };
  }

  private external(b: Backend, id: BufferId): number | null {
    const storage = storageOf(b, id);
    if (!storage) {
      this.stop('a backend call uses a buffer that no tensor holds');
      return null;
    }
    const v = this.newV({ origin: 'external', bytes: storage.bytes, real: id, storage: new WeakRef(storage) });
    this.realToV.set(id, v);
    return v;
  }

  host<T>(name: string, fn: () => T): T {
    if (this.broken !== null || this.inHost > 0) return fn();
    const before = getRngState().counter;
    this.entries.push({ kind: 'host', name, fn, rngOffset: before - this.rngStart.counter - this.hostRng });
    this.inHost++;
    try {
      const r = fn();
      if (r !== null && typeof r === 'object' && typeof (r as { then?: unknown }).then === 'function') this.stop(`the host step '${name}' is asynchronous`);
      return r;
    } finally {
      this.inHost--;
      this.hostRng += getRngState().counter - before;
    }
  }

  untraced<T>(fn: () => T): T {
    this.inUntraced++;
    try {
      return fn();
    } finally {
      this.inUntraced--;
    }
  }

  guard(check: () => string | null): void {
    if (this.broken === null && this.inHost === 0) this.guards.push(check);
  }

  gradAssigned(leaf: Tensor, accumulated = false): void {
    if (this.broken !== null || this.inHost > 0) return;
    const g = leaf.grad;
    if (g === null) return;
    const argIndex = this.args.indexOf(leaf);
    let target: GradTarget;
    if (argIndex >= 0) target = { arg: argIndex };
    else {
      const v = this.realToV.get(leaf.storage.buffer);
      if (v !== undefined && this.vbufs[v]!.origin !== 'external') {
        this.stop('a tensor created inside the function (a new leaf, or retainGrad) receives a gradient; only parameters and arguments can');
        return;
      }
      target = { tensor: leaf };
    }
    this.entries.push({ kind: 'grad', target, ref: this.vview(g.view_(), false), accumulated });
  }

  /** Describes the returned value, or stops the recording when a replay could not rebuild it. */
  outSpec(value: unknown, depth = 0): OutSpec {
    if (isTensor(value)) {
      if (value.isDisposed) {
        this.stop('it returns a disposed tensor');
        return { t: 'value', value: undefined };
      }
      return { t: 'tensor', ref: this.vview(value.view_(), false) };
    }
    if (value === null || typeof value !== 'object') {
      if (typeof value === 'function') this.stop('it returns a function');
      return { t: 'value', value };
    }
    if (depth > 8) {
      this.stop('its result nests deeper than 8 levels');
      return { t: 'value', value: undefined };
    }
    if (Array.isArray(value)) return { t: 'array', items: value.map((v) => this.outSpec(v, depth + 1)) };
    if (Object.getPrototypeOf(value) === Object.prototype) {
      return { t: 'object', entries: Object.entries(value).map(([k, v]) => [k, this.outSpec(v, depth + 1)] as const) };
    }
    this.stop(`it returns a ${(value as object).constructor?.name ?? 'object'}; a compiled function returns tensors, numbers, and arrays or plain objects of them`);
    return { t: 'value', value: undefined };
  }

  /** The finished recording (call after `finish`). */
  result(out: OutSpec): Trace {
    const liveAtEnd = new Set<number>();
    for (const v of this.realToV.values()) if (this.vbufs[v]!.origin === 'plan') liveAtEnd.add(v);
    return {
      backend: this.backend,
      entries: this.entries,
      vbufs: this.vbufs,
      liveAtEnd,
      out,
      rngAdvance: getRngState().counter - this.rngStart.counter - this.hostRng,
      eagerCalls: this.eagerCalls,
      eagerAllocs: this.eagerAllocs,
      guards: this.guards,
    };
  }
}
