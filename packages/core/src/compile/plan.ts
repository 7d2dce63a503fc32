/**
 * From a trace to a replay plan's layout: which plan buffers a replay allocates afresh (those
 * that leave the call as tensors: returned values and gradients) and which live in the arena, one
 * buffer allocated once per plan in which every other intermediate gets an offset by liveness
 * (two intermediates share bytes only when their lifetimes do not overlap).
 */
import { dtypeSize } from '../dtype.ts';
import type { Entry, OutSpec, Trace, VView } from './trace.ts';

/** Arena offsets are multiples of this many bytes (any element size divides it). */
export const ARENA_ALIGN = 16;

/** Where each plan buffer lives at replay. */
export interface Layout {
  /** Plan buffers a replay allocates as storages of their own (they outlive the call as tensors). */
  readonly owned: ReadonlySet<number>;
  /** Byte offset in the arena of every other plan buffer that a replayed step uses. */
  readonly arenaOffset: ReadonlyMap<number, number>;
  /** The arena's size in bytes. */
  readonly arenaBytes: number;
}

/** The views a step reads or writes. */
export function entryViews(e: Entry): VView[] {
  switch (e.kind) {
    case 'call': {
      const vs: VView[] = [];
      for (const a of e.args) {
        if (a.k === 'view') vs.push(a.v);
        else if (a.k === 'views') vs.push(...a.vs);
      }
      return vs;
    }
    case 'random': return [e.out];
    case 'grad': return [e.ref];
    case 'program': return [...e.inputs, ...e.outputs];
    case 'reduction': return [...e.inputs, ...e.extraOutputs, ...e.epilogueInputs, ...e.outputs];
    case 'matmul': return [e.a, e.b, ...e.epilogueInputs, ...e.outputs];
    default: return [];
  }
}

/** The buffers a step uses (`write` names one without a view). */
export function entryBuffers(e: Entry): number[] {
  if (e.kind === 'write') return [e.vbuf];
  return entryViews(e).map((v) => v.vbuf);
}

function collectOut(o: OutSpec, into: Set<number>): void {
  if (o.t === 'tensor') into.add(o.ref.vbuf);
  else if (o.t === 'array') for (const x of o.items) collectOut(x, into);
  else if (o.t === 'object') for (const [, x] of o.entries) collectOut(x, into);
}

/**
 * The plan buffers that leave the call as tensors, or the reason the trace cannot be replayed
 * (a host step uses or frees a buffer that only the traced call's tensors reach).
 */
export function ownedBuffers(trace: Trace): Set<number> | string {
  const owned = new Set<number>();
  collectOut(trace.out, owned);
  for (const e of trace.entries) if (e.kind === 'grad') owned.add(e.ref.vbuf);
  for (const v of [...owned]) if (trace.vbufs[v]!.origin !== 'plan') owned.delete(v);
  for (const [i, vb] of trace.vbufs.entries()) {
    if (vb.origin !== 'plan' || owned.has(i)) continue;
    if (vb.hostTouched) return 'a host step (an optimizer step) uses a tensor computed inside the function other than a gradient';
    if (vb.freedInHost) return 'a host step frees a tensor computed inside the function other than a gradient';
  }
  // A gradient that a later one for the same leaf replaces (autograd accumulates a parameter used
  // twice) is freed at replay as at trace: by the tensor's dispose when the new one is attached.
  const replaced = new Set<number>();
  const lastGrad = new Map<unknown, number>();
  for (const e of trace.entries) {
    if (e.kind !== 'grad') continue;
    const key = 'arg' in e.target ? `arg${e.target.arg}` : e.target.tensor;
    const prev = lastGrad.get(key);
    if (prev !== undefined && e.accumulated) replaced.add(prev);
    lastGrad.set(key, e.ref.vbuf);
  }
  const returned = new Set<number>();
  collectOut(trace.out, returned);
  for (const v of owned) {
    const vb = trace.vbufs[v]!;
    if (vb.freed && !vb.freedInHost && (!replaced.has(v) || returned.has(v))) return 'a gradient or returned tensor is freed inside the function';
  }
  return owned;
}

/**
 * Offsets for the arena buffers by liveness: each buffer lives from the first to the last step
 * that uses it; a greedy first fit, in order of first use, places it at the lowest aligned offset
 * free for that whole interval.
 */
export function layoutArena(entries: readonly Entry[], trace: Trace, owned: ReadonlySet<number>): Layout {
  const first = new Map<number, number>();
  const last = new Map<number, number>();
  entries.forEach((e, i) => {
    for (const v of entryBuffers(e)) {
      if (v < 0 || trace.vbufs[v]!.origin !== 'plan' || owned.has(v)) continue;
      if (!first.has(v)) first.set(v, i);
      last.set(v, i);
    }
  });
  // A buffer that host data is written to keeps its bytes for the whole plan: a backend may run a
  // write ahead of compute calls it has queued but not submitted (WebGPU's writeBuffer), so those
  // bytes must not be shared with another intermediate.
  for (const e of entries) {
    if (e.kind === 'write' && first.has(e.vbuf)) {
      first.set(e.vbuf, -1);
      last.set(e.vbuf, entries.length);
    }
  }
  const order = [...first.keys()].sort((a, b) => first.get(a)! - first.get(b)!);
  const active: Array<{ off: number; size: number; end: number }> = [];
  const arenaOffset = new Map<number, number>();
  let arenaBytes = 0;
  for (const v of order) {
    const start = first.get(v)!;
    for (let i = active.length - 1; i >= 0; i--) if (active[i]!.end < start) active.splice(i, 1);
    const size = Math.max(ARENA_ALIGN, Math.ceil(trace.vbufs[v]!.bytes / ARENA_ALIGN) * ARENA_ALIGN);
    active.sort((a, b) => a.off - b.off);
    let off = 0;
    for (const a of active) {
      if (a.off - off >= size) break;
      off = Math.max(off, a.off + a.size);
    }
    active.push({ off, size, end: last.get(v)! });
    arenaOffset.set(v, off);
    arenaBytes = Math.max(arenaBytes, off + size);
  }
  return { owned, arenaOffset, arenaBytes };
}

/** A view's offset in elements within the arena. */
export function arenaElementOffset(layout: Layout, v: VView): number {
  return layout.arenaOffset.get(v.vbuf)! / dtypeSize(v.dtype) + v.offset;
}
