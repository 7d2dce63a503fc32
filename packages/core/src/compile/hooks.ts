/**
 * The seams through which packages above core tell `torch.compile` what a trace cannot see from the
 * backend calls alone: a host step whose values change from call to call (an optimizer's step
 * count and learning rate) and the gradients autograd attaches to leaves. Outside a trace both are
 * a plain call and a no-op.
 */
import type { Tensor } from '../tensor.ts';

/** What a tracer implements (compile/trace.ts). */
export interface TraceSink {
  /** Runs `fn` as a host step: not recorded, re-run at every replay. */
  host<T>(name: string, fn: () => T): T;
  /** `leaf.grad` was just assigned; `accumulated` when it was added to a gradient already there. */
  gradAssigned(leaf: Tensor, accumulated: boolean): void;
  /** Runs `fn` unrecorded; buffers it allocates count as created before the call (external). */
  untraced<T>(fn: () => T): T;
  /** Adds a check every replay runs first: a string (why not) makes the call trace again. */
  guard(check: () => string | null): void;
}

let sink: TraceSink | null = null;

/** @internal Installs the active tracer (null when none). */
export function setTraceSink(s: TraceSink | null): void {
  sink = s;
}

/** @internal Whether a `torch.compile` trace is recording now. */
export function isTracing(): boolean {
  return sink !== null;
}

/**
 * @internal Runs `fn`, and while `torch.compile` traces, records it as a host step that every
 * replay runs again instead of replaying its backend calls: for work whose scalars change between
 * calls (an optimizer step reads its step count and a scheduler's learning rate; zeroGrad drops
 * the gradients). `fn` must reach the tensors it uses through objects that outlive the call
 * (parameters, `.grad`, optimizer state), never through tensors created by the traced function.
 */
export function traceHost<T>(name: string, fn: () => T): T {
  return sink === null ? fn() : sink.host(name, fn);
}

/**
 * @internal Autograd calls this after it assigns `leaf.grad` (`accumulated`: the sum of the old
 * gradient and a new one), so a replay can attach the gradient it computes.
 */
export function gradAssigned(leaf: Tensor, accumulated: boolean): void {
  if (sink !== null) sink.gradAssigned(leaf, accumulated);
}

/**
 * @internal Runs `fn` as if no trace were recording: for state an object creates once and keeps
 * across calls (an optimizer's buffer of step-dependent scalars), which a replay then reads as a
 * tensor from before the call. `fn` must not compute anything a replay would need to redo.
 */
export function traceUntraced<T>(fn: () => T): T {
  return sink === null ? fn() : sink.untraced(fn);
}

/**
 * @internal While `torch.compile` traces, adds `check` to the plan: every replay calls it first,
 * and a string (the reason) makes that call trace again instead of replaying. For state a plan
 * bakes in that can change between calls without showing in the arguments (an optimizer's
 * amsgrad, nesterov or whether a weight decay is set). Outside a trace, a no-op.
 */
export function traceGuard(check: () => string | null): void {
  if (sink !== null) sink.guard(check);
}

let epoch = 0;

/**
 * @internal Bumped by state changes that alter what a traced function computes without showing in
 * its arguments (a module's switch between training and evaluation): compiled plans are keyed by it, so they re-trace.
 */
export function invalidateTraces(): void {
  epoch++;
}

/** @internal The current value of the counter {@link invalidateTraces} bumps. */
export function traceEpoch(): number {
  return epoch;
}
