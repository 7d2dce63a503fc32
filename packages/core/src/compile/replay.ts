/**
 * A replay plan: the trace's steps compiled into closures over the real backend, with views
 * resolved once where their buffer never changes (the arena, external tensors) and per call where
 * it does (arguments, the storages a replay allocates for the tensors it hands out). A replay runs
 * no op code, creates no Tensor objects but the ones it returns and the gradients it attaches, and
 * allocates only those tensors' buffers.
 */
import type { Backend, BufferId, View } from '../backend.ts';
import { dtypeSize } from '../dtype.ts';
import { runProgramComposite, type ElementwiseProgram, type ProgramCall } from '../fused-program.ts';
import { runReductionComposite } from '../fused-reduction.ts';
import { runMatmulComposite } from '../fused-matmul.ts';
import { keep } from '../memory.ts';
import { getRngState, setRngState, type RngState } from '../random.ts';
import { Storage, storageOf } from '../storage.ts';
import { Tensor } from '../tensor.ts';
import { ARENA_ALIGN, arenaElementOffset, type Layout } from './plan.ts';
import type { Entry, GradTarget, OutSpec, Trace, TraceArg, VView } from './trace.ts';

/**
 * Views (and groups of views) a step remembers: a replay's fresh buffer usually comes back at the
 * address it had, but where the caller keeps earlier results alive it may alternate between a
 * few addresses, each of which then finds its View objects and its prepared call again.
 */
const RECENT = 4;

/**
 * A view maker that hands back the same View object for a buffer and offset it made one for
 * recently: no allocation per replay, and an identity a backend may key per-call work on.
 */
function lastView(base: Pick<View, 'dtype' | 'shape' | 'strides'>): (buffer: BufferId, offset: number) => View {
  const recent: View[] = [];
  return (buffer, offset) => {
    for (let i = 0; i < recent.length; i++) {
      const v = recent[i]!;
      if (v.buffer === buffer && v.offset === offset) return v;
    }
    const v = { ...base, buffer, offset };
    if (recent.unshift(v) > RECENT) recent.pop();
    return v;
  };
}

/** Whether `vs` resolves, view for view, to the very objects of `was`. */
function sameResolved(vs: ReadonlyArray<View | Resolve<View>>, was: readonly View[], st: ReplayState): boolean {
  for (let k = 0; k < vs.length; k++) {
    const v = vs[k]!;
    if ((typeof v === 'function' ? v(st) : v) !== was[k]) return false;
  }
  return true;
}

/**
 * Resolves groups of views into the same arrays as a recent replay when every view is the same
 * object (no allocation then): an identity the step keys its prepared call on.
 */
function lastGroups(groups: ReadonlyArray<ReadonlyArray<View | Resolve<View>>>): Resolve<View[][]> {
  const recent: View[][][] = [];
  return (st) => {
    for (let i = 0; i < recent.length; i++) {
      const was = recent[i]!;
      let same = true;
      for (let g = 0; g < groups.length && same; g++) same = sameResolved(groups[g]!, was[g]!, st);
      if (same) return was;
    }
    const now = groups.map((vs) => vs.map((v) => (typeof v === 'function' ? v(st) : v)));
    if (recent.unshift(now) > RECENT) recent.pop();
    return now;
  };
}

/**
 * A step that runs a kernel call on the views `resolve` gives: through the function the backend
 * prepared for those views (Backend.prepare, FusedKernels.prepareElementwise / prepareReduction:
 * checks and layout done once), prepared again for views it has not seen (a replay's fresh
 * buffer at a new address), and as the plain call while the backend cannot prepare it.
 */
function preparedStep(
  resolve: Resolve<View[][]>,
  prepare: ((g: View[][]) => (() => void) | null) | null,
  plain: (g: View[][]) => void,
): Step {
  if (prepare === null) return (st) => plain(resolve(st));
  const prepared = new WeakMap<View[][], () => void>();
  let last: View[][] | null = null, lastRun: (() => void) | null = null;
  return (st) => {
    const g = resolve(st);
    if (g !== last) {
      let run = prepared.get(g);
      if (run === undefined) {
        const made = prepare(g) ?? null;
        if (made === null) return plain(g);
        prepared.set(g, (run = made));
      }
      last = g;
      lastRun = run;
    }
    lastRun!();
  };
}

/** Per-replay state. */
interface ReplayState {
  readonly args: readonly Tensor[];
  /** The storages this replay allocated, by plan buffer. */
  readonly storages: Array<Storage | undefined>;
  /** The one storage of this replay's parameter gradients (Plan.gradSlots), once allocated. */
  grads: Storage | null;
  readonly rng: RngState;
  /** Philox blocks the host steps of this replay drew. */
  hostRng: number;
}

type Step = (st: ReplayState) => void;
type Resolve<T> = (st: ReplayState) => T;

/** Counts of one plan, for `compiled.stats()`. */
export interface PlanCounts {
  /** Backend compute calls of the traced (eager) call outside host steps (allocations and frees excluded). */
  readonly eagerCalls: number;
  /** Buffers the traced (eager) call allocated. */
  readonly eagerAllocs: number;
  /** Backend compute calls of one replay (fused programs count once; host steps not counted). */
  readonly replayCalls: number;
  /** Buffers one replay allocates (the tensors it returns or attaches as gradients). */
  readonly replayAllocs: number;
  /** Fused element-wise programs in the plan. */
  readonly fusedGroups: number;
  /** The element-wise calls those programs replace. */
  readonly fusedOps: number;
  /** Reductions fused with their element-wise prologue and epilogue (one kernel each). */
  readonly fusedReductions: number;
  /** Matmuls fused with their element-wise epilogue (one kernel each: a Linear's bias add and activation). */
  readonly fusedMatmuls: number;
  /** Bytes of the plan's arena (intermediates). */
  readonly arenaBytes: number;
  /** Host steps re-run at each replay (optimizer steps, zeroGrad). */
  readonly hostSteps: number;
}

/** A program call of the plan: a fusion pass's program entry, or a traced `fused.elementwise` call (an optimizer's update). */
interface ProgramEntry {
  readonly program: ElementwiseProgram;
  readonly inputs: readonly VView[];
  readonly outputs: readonly VView[];
}

/** `e` as a program call, or null. */
function asProgram(e: Entry): ProgramEntry | null {
  if (e.kind === 'program') return e;
  if (e.kind !== 'call' || !e.fused || e.method !== 'elementwise') return null;
  const [p, i, o] = e.args;
  if (p?.k !== 'value' || i?.k !== 'views' || o?.k !== 'views') return null;
  return { program: p.value as ElementwiseProgram, inputs: i.vs, outputs: o.vs };
}

/**
 * Runs of consecutive program entries with one program (an optimizer's per-parameter updates)
 * on independent buffers — no member reads or writes a buffer another member writes — with
 * only allocations and frees between them, by the index of the run's last member. Runs of one
 * are left out.
 */
function programBatches(entries: readonly Entry[]): Map<number, number[]> {
  const out = new Map<number, number[]>();
  let run: number[] = [];
  let key = '';
  let reads = new Set<number>(), writes = new Set<number>();
  const close = (): void => {
    if (run.length > 1) out.set(run[run.length - 1]!, run);
    run = [];
  };
  for (const [i, entry] of entries.entries()) {
    if (entry.kind === 'alloc' || entry.kind === 'free') continue;
    const e = asProgram(entry);
    if (e === null) {
      close();
      continue;
    }
    const r = new Set(e.inputs.map((v) => v.vbuf)), w = new Set(e.outputs.map((v) => v.vbuf));
    const independent = [...r].every((v) => !writes.has(v)) && [...w].every((v) => !writes.has(v) && !reads.has(v));
    if (run.length === 0 || e.program.key !== key || !independent) {
      close();
      key = e.program.key;
      reads = new Set();
      writes = new Set();
    }
    run.push(i);
    for (const v of r) reads.add(v);
    for (const v of w) writes.add(v);
  }
  close();
  return out;
}

/** A compiled trace. */
export class Plan {
  private readonly steps: Step[] = [];
  private readonly arena: Storage | null;
  private readonly externals: Array<{ real: number; storage: WeakRef<Storage> }> = [];
  /** Gradient targets checked before a replay starts (those set before the first host step). */
  private readonly gradChecks: Array<{ target: GradTarget; accumulated: boolean }> = [];
  /**
   * The byte offset of each gradient in the one storage a replay allocates for them all, and its
   * size: a kernel batched over many parameters (the optimizer's update, `fused.elementwiseBatch`)
   * then binds one buffer for all their gradients, where a backend that binds a few buffers per
   * dispatch (WebGPU: maxStorageBuffersPerShaderStage) would otherwise run fewer per dispatch.
   * The storage is freed when the last of those gradients is.
   */
  private readonly gradSlots = new Map<number, number>();
  private gradBytes = 0;
  readonly counts: PlanCounts;

  constructor(
    private readonly backend: Backend,
    private readonly trace: Trace,
    entries: readonly Entry[],
    private readonly layout: Layout,
    private readonly argOffsets: readonly number[],
  ) {
    this.arena = layout.arenaBytes > 0 ? Storage.alloc(backend, layout.arenaBytes) : null;
    this.planGradSlots(entries);
    const used = new Set<number>();
    let replayCalls = 0, replayAllocs = 0, fusedGroups = 0, fusedOps = 0, fusedReductions = 0, fusedMatmuls = 0, hostSteps = 0;
    let seenHost = false, gradsCounted = false;
    const batches = backend.fused?.elementwiseBatch ? programBatches(entries) : new Map<number, number[]>();
    const batched = new Set<number>();
    for (const members of batches.values()) for (const m of members) batched.add(m);
    for (const [i, e] of entries.entries()) {
      const batch = batches.get(i);
      // A batch runs at its last member's position (only allocations and frees lie between its members).
      const step = batch ? this.compileBatch(batch.map((m) => asProgram(entries[m]!)!), used) : batched.has(i) ? null : this.compileEntry(e, used);
      if (step) this.steps.push(step);
      if (((e.kind === 'call' || e.kind === 'program') && (!batched.has(i) || batch)) || e.kind === 'random' || e.kind === 'write' || e.kind === 'reduction' || e.kind === 'matmul') replayCalls++;
      if (e.kind === 'reduction') fusedReductions++;
      if (e.kind === 'matmul') fusedMatmuls++;
      // The gradients in one storage (gradSlots) are one allocation.
      if (e.kind === 'alloc' && layout.owned.has(e.vbuf)) {
        if (!this.gradSlots.has(e.vbuf)) replayAllocs++;
        else if (!gradsCounted) {
          replayAllocs++;
          gradsCounted = true;
        }
      }
      if (e.kind === 'program') {
        fusedGroups++;
        fusedOps += e.ops;
      }
      if (e.kind === 'host') {
        hostSteps++;
        seenHost = true;
      }
      if (e.kind === 'grad' && !seenHost) this.gradChecks.push({ target: e.target, accumulated: e.accumulated });
    }
    for (const v of used) {
      const vb = trace.vbufs[v]!;
      if (vb.origin === 'external') this.externals.push({ real: vb.real, storage: vb.storage! });
    }
    this.counts = {
      eagerCalls: trace.eagerCalls,
      eagerAllocs: trace.eagerAllocs,
      replayCalls,
      replayAllocs,
      fusedGroups,
      fusedOps,
      fusedReductions,
      fusedMatmuls,
      arenaBytes: layout.arenaBytes,
      hostSteps,
    };
  }

  /**
   * Gradients that share one storage: plan buffers that a single, non-accumulating gradient entry
   * hands out, that are not returned and not freed inside the call (at least two of them).
   */
  private planGradSlots(entries: readonly Entry[]): void {
    const uses = new Map<number, number>();
    const candidates: number[] = [];
    for (const e of entries) {
      if (e.kind !== 'grad') continue;
      const v = e.ref.vbuf;
      uses.set(v, (uses.get(v) ?? 0) + (e.accumulated ? 2 : 1));
      if (uses.get(v) === 1) candidates.push(v);
    }
    const returned = new Set<number>();
    const collect = (o: OutSpec): void => {
      if (o.t === 'tensor') returned.add(o.ref.vbuf);
      else if (o.t === 'array') o.items.forEach(collect);
      else if (o.t === 'object') for (const [, x] of o.entries) collect(x);
    };
    collect(this.trace.out);
    const group = candidates.filter((v) => {
      const vb = this.trace.vbufs[v]!;
      return uses.get(v) === 1 && vb.origin === 'plan' && this.layout.owned.has(v) && !vb.freed && !returned.has(v);
    });
    if (group.length < 2) return;
    for (const v of group) {
      this.gradSlots.set(v, this.gradBytes);
      this.gradBytes += Math.max(ARENA_ALIGN, Math.ceil(this.trace.vbufs[v]!.bytes / ARENA_ALIGN) * ARENA_ALIGN);
    }
  }

  /**
   * Null when the plan can replay with `args`, else why not: a tensor it reads from outside the
   * call was freed (its buffer may now belong to another tensor), or a gradient it sets is not in
   * the state the trace saw.
   */
  check(args: readonly Tensor[]): string | null {
    for (const g of this.trace.guards) {
      const why = g();
      if (why !== null) return why;
    }
    for (const x of this.externals) {
      const s = x.storage.deref();
      if (s === undefined || s.released || storageOf(this.backend, x.real) !== s) return 'a tensor the plan reads was freed since it was traced';
    }
    for (const g of this.gradChecks) {
      const t = 'arg' in g.target ? args[g.target.arg]! : g.target.tensor;
      if (t.isDisposed) return 'a tensor whose gradient the plan sets was disposed';
      if (!g.accumulated && t.grad !== null) return 'a gradient the traced call created is already set (the traced call started without it)';
    }
    return null;
  }

  /** Runs the plan on `args` (same signature as the trace's) and returns the rebuilt result. */
  run(args: readonly Tensor[]): unknown {
    const st: ReplayState = { args, storages: [], grads: null, rng: getRngState(), hostRng: 0 };
    try {
      for (const s of this.steps) s(st);
      setRngState({ seed: st.rng.seed, counter: st.rng.counter + this.trace.rngAdvance + st.hostRng });
      return this.rebuild(this.trace.out, st);
    } finally {
      // The tensors made above hold their own references; the replay's go.
      for (const s of st.storages) s?.release();
      st.grads?.release();
    }
  }

  /** Frees the arena; the plan cannot run afterwards. */
  dispose(): void {
    this.arena?.release();
    this.steps.length = 0;
  }

  private rebuild(o: OutSpec, st: ReplayState): unknown {
    switch (o.t) {
      case 'tensor': return this.wrap(o.ref, st);
      case 'array': return o.items.map((x) => this.rebuild(x, st));
      case 'object': return Object.fromEntries(o.entries.map(([k, x]) => [k, this.rebuild(x, st)]));
      case 'value': return o.value;
    }
  }

  /** A new tensor viewing the buffer `ref` names in this replay. */
  private wrap(ref: VView, st: ReplayState): Tensor {
    const vb = this.trace.vbufs[ref.vbuf]!;
    let storage: Storage;
    let offset = ref.offset;
    if (vb.origin === 'arg') {
      const a = st.args[vb.arg!]!;
      storage = a.storage;
      offset += a.offset - this.argOffsets[vb.arg!]!;
    } else if (vb.origin === 'external') storage = vb.storage!.deref()!;
    else if (this.gradSlots.has(ref.vbuf)) {
      storage = st.grads!;
      offset += this.gradSlots.get(ref.vbuf)! / dtypeSize(ref.dtype);
    } else storage = st.storages[ref.vbuf]!;
    storage.retain();
    return new Tensor(storage, ref.shape, ref.strides, offset, ref.dtype);
  }

  /** A resolver of the backend view of `v`: a constant where the buffer never changes. */
  private view(v: VView, used: Set<number>): View | Resolve<View> {
    used.add(v.vbuf);
    const vb = this.trace.vbufs[v.vbuf]!;
    const base = { dtype: v.dtype, shape: v.shape, strides: v.strides };
    if (vb.origin === 'external') return { ...base, buffer: vb.real, offset: v.offset };
    if (vb.origin === 'arg') {
      const i = vb.arg!, o0 = this.argOffsets[i]!;
      const same = lastView(base);
      return (st) => {
        const a = st.args[i]!;
        return same(a.storage.buffer, v.offset + a.offset - o0);
      };
    }
    const slot = this.gradSlots.get(v.vbuf);
    if (slot !== undefined) {
      const same = lastView(base);
      const offset = v.offset + slot / dtypeSize(v.dtype);
      return (st) => same(st.grads!.buffer, offset);
    }
    if (this.layout.owned.has(v.vbuf)) {
      const same = lastView(base);
      return (st) => same(st.storages[v.vbuf]!.buffer, v.offset);
    }
    return { ...base, buffer: this.arena!.buffer, offset: arenaElementOffset(this.layout, v) };
  }

  /** One `fused.elementwiseBatch` call for the program entries of a batch (programBatches). */
  private compileBatch(members: readonly ProgramEntry[], used: Set<number>): Step {
    const b = this.backend;
    const program = members[0]!.program;
    const views = members.map((e) => ({ inputs: e.inputs.map((v) => this.view(v, used)), outputs: e.outputs.map((v) => this.view(v, used)) }));
    const at = (v: View | Resolve<View>, st: ReplayState): View => (typeof v === 'function' ? v(st) : v);
    const resolve = (st: ReplayState): ProgramCall[] => views.map((c) => ({ inputs: c.inputs.map((v) => at(v, st)), outputs: c.outputs.map((v) => at(v, st)) }));
    const dynamic = views.some((c) => [...c.inputs, ...c.outputs].some((v) => typeof v === 'function'));
    if (!dynamic) {
      const calls = resolve(null as unknown as ReplayState);
      return () => b.fused!.elementwiseBatch!(program, calls);
    }
    return (st) => b.fused!.elementwiseBatch!(program, resolve(st));
  }

  /** A resolver of view groups: a constant where no view changes between replays. */
  private groups(groups: ReadonlyArray<ReadonlyArray<View | Resolve<View>>>): Resolve<View[][]> {
    if (groups.some((vs) => vs.some((v) => typeof v === 'function'))) return lastGroups(groups);
    const fixed = groups as View[][];
    return () => fixed;
  }

  /** A fused element-wise program's step (a fusion pass's group, or an optimizer's traced update). */
  private compileProgram(e: ProgramEntry, used: Set<number>): Step {
    const b = this.backend;
    const groups = [e.inputs.map((v) => this.view(v, used)), e.outputs.map((v) => this.view(v, used))];
    const program = e.program;
    const f = b.fused;
    const plain = f?.elementwise
      ? (g: View[][]) => f.elementwise!(program, g[0]!, g[1]!)
      : (g: View[][]) => runProgramComposite(b, program, g[0]!, g[1]!);
    const prepare = f?.elementwise && f.prepareElementwise ? (g: View[][]) => f.prepareElementwise!(program, g[0]!, g[1]!) : null;
    return preparedStep(this.groups(groups), prepare, plain);
  }

  private arg(a: TraceArg, used: Set<number>): unknown {
    if (a.k === 'view') return this.view(a.v, used);
    if (a.k === 'views') {
      const vs = a.vs.map((v) => this.view(v, used));
      return vs.some((v) => typeof v === 'function') ? (st: ReplayState) => vs.map((v) => (typeof v === 'function' ? v(st) : v)) : vs;
    }
    return a.value;
  }

  private compileEntry(e: Entry, used: Set<number>): Step | null {
    const b = this.backend;
    switch (e.kind) {
      case 'alloc': {
        if (!this.layout.owned.has(e.vbuf)) return null;
        const { vbuf, bytes } = e;
        if (this.gradSlots.has(vbuf)) {
          const all = this.gradBytes;
          return (st) => {
            st.grads ??= Storage.alloc(b, all);
          };
        }
        return (st) => {
          st.storages[vbuf] = Storage.alloc(b, bytes);
        };
      }
      case 'free': return null;
      case 'write': {
        used.add(e.vbuf);
        const vb = this.trace.vbufs[e.vbuf]!;
        const { data, byteOffset } = e;
        if (vb.origin === 'external') return () => b.write(vb.real, data, byteOffset);
        if (vb.origin === 'arg') {
          const i = vb.arg!, o0 = this.argOffsets[i]!;
          return (st) => {
            const a = st.args[i]!;
            b.write(a.storage.buffer, data, byteOffset + (a.offset - o0) * dtypeSize(a.dtype));
          };
        }
        const slot = this.gradSlots.get(e.vbuf);
        if (slot !== undefined) return (st) => b.write(st.grads!.buffer, data, byteOffset + slot);
        if (this.layout.owned.has(e.vbuf)) return (st) => b.write(st.storages[e.vbuf]!.buffer, data, byteOffset);
        const off = this.layout.arenaOffset.get(e.vbuf);
        if (off === undefined) return null; // written, never read
        const arena = this.arena!.buffer;
        return () => b.write(arena, data, off + byteOffset);
      }
      case 'random': {
        const out = this.view(e.out, used);
        const { dist, rngOffset } = e;
        return (st) => {
          const seed = st.rng.seed;
          b.random(typeof out === 'function' ? out(st) : out, {
            kind: dist, seedLo: seed % 4294967296, seedHi: Math.floor(seed / 4294967296), counter: st.rng.counter + rngOffset + st.hostRng,
          });
        };
      }
      case 'host': {
        const { fn, rngOffset } = e;
        return (st) => {
          const counter = st.rng.counter + rngOffset + st.hostRng;
          setRngState({ seed: st.rng.seed, counter });
          fn();
          st.hostRng += getRngState().counter - counter;
        };
      }
      case 'grad': {
        const { target, ref, accumulated } = e;
        used.add(ref.vbuf);
        return (st) => {
          const t = 'arg' in target ? st.args[target.arg]! : target.tensor;
          if (!accumulated && t.grad !== null) {
            throw new Error('torch.compile: a replay would overwrite a .grad that the traced call did not have; call zeroGrad() inside the compiled function, or keep the gradient state the same between calls');
          }
          const old = t.grad;
          t.grad = keep(this.wrap(ref, st));
          old?.dispose();
        };
      }
      case 'program': return this.compileProgram(e, used);
      case 'reduction': {
        const groups = [e.inputs, e.extraOutputs, e.epilogueInputs, e.outputs].map((vs) => vs.map((v) => this.view(v, used)));
        const program = e.program;
        const f = b.fused;
        const plain = f?.reduction
          ? (g: View[][]) => f.reduction!(program, g[0]!, g[1]!, g[2]!, g[3]!)
          : (g: View[][]) => runReductionComposite(b, program, g[0]!, g[1]!, g[2]!, g[3]!);
        // Prepared only alongside the backend's own kernel (the composite has nothing to prepare).
        const prepare = f?.reduction && f.prepareReduction ? (g: View[][]) => f.prepareReduction!(program, g[0]!, g[1]!, g[2]!, g[3]!) : null;
        return preparedStep(this.groups(groups), prepare, plain);
      }
      case 'matmul': {
        const groups = [[e.a, e.b], e.epilogueInputs, e.outputs].map((vs) => vs.map((v) => this.view(v, used)));
        const program = e.program;
        const f = b.fused;
        const plain = f?.matmulEpilogue
          ? (g: View[][]) => f.matmulEpilogue!(program, g[0]![0]!, g[0]![1]!, g[1]!, g[2]!)
          : (g: View[][]) => runMatmulComposite(b, program, g[0]![0]!, g[0]![1]!, g[1]!, g[2]!);
        const prepare = f?.matmulEpilogue && f.prepareMatmulEpilogue ? (g: View[][]) => f.prepareMatmulEpilogue!(program, g[0]![0]!, g[0]![1]!, g[1]!, g[2]!) : null;
        return preparedStep(this.groups(groups), prepare, plain);
      }
      case 'call': {
        const p = asProgram(e);
        if (p) return this.compileProgram(p, used);
        const owner = (e.fused ? b.fused : b) as Record<string, (...a: unknown[]) => unknown>;
        const fn = owner[e.method]!;
        const args = e.args.map((a) => this.arg(a, used));
        const dyn = e.args.map((a, i) => a.k !== 'value' && typeof args[i] === 'function');
        if (!dyn.some(Boolean)) {
          // Views that never change: the backend may prepare the call once (Backend.prepare).
          if (e.fused || typeof b.prepare !== 'function') return () => fn.apply(owner, args);
          let run: (() => void) | null | undefined;
          return () => {
            if (run === undefined) run = b.prepare!(e.method, args) ?? null;
            if (run !== null) run();
            else fn.apply(owner, args);
          };
        }
        return (st) => fn.apply(owner, args.map((a, i) => (dyn[i] ? (a as Resolve<unknown>)(st) : a)));
      }
    }
  }
}
