/**
 * Step scopes: memory without ceremony for loops written as in PyTorch (no tidy, no dispose, no
 * await between steps). WASM memory and GPU buffers are invisible to the garbage collector, and
 * its FinalizationRegistry never runs while a loop does not yield, so the library frees a step's
 * tensors itself at natural boundaries: `optimizer.step()` and each DataLoader batch.
 *
 * Rule: each boundary of a source (one optimizer, one DataLoader) opens a scope, and every
 * tensor created afterwards joins it. A source's third boundary frees the scope its first one
 * opened, so a tensor lives at least until the same optimizer's (or loader's) second-next step:
 * the loss of step k can be read after `optimizer.step()` and during step k+1. Exempt: tensors
 * passed to `keep()` (parameters, gradients, optimizer state, buffers and caches the library
 * holds are kept this way), tensors on the fields of a module (so a module may cache a tensor on
 * `this`), tensors created before the first boundary (the program's setup: data, models), and
 * the tensors of a source that never steps again. A tensor a scope freed throws an error naming
 * the scope and `torch.keep` when used; it never reads back wrong values.
 */
import type { Tensor } from './tensor.ts';

/** One step's tensors (see `setStepScopes`); internal bookkeeping, exposed only as a tensor's `stepScope`. */
export interface StepScope {
  /** What opened it, for errors: `optimizer.step()` or `DataLoader batch`. */
  readonly label: string;
  /** The opening source's boundary count (1 for its first). */
  readonly index: number;
  /** The tensors created during the step and not kept. */
  readonly tensors: Set<Tensor>;
  /** Set once the scope freed its tensors. */
  freed: boolean;
}

/** What `memory().steps` reports. */
export interface StepScopeInfo {
  /** Whether step scopes are on (see {@link setStepScopes}). */
  enabled: boolean;
  /** Boundaries seen so far (`optimizer.step()` calls and DataLoader batches). */
  boundaries: number;
  /** Tensors waiting in open step scopes. */
  pending: number;
  /** Tensors that step scopes have freed so far. */
  freed: number;
}

interface SourceState {
  count: number;
  /** Scopes this source opened that are not freed yet, oldest first (at most two). */
  open: StepScope[];
}

let enabled = true;
let current: StepScope | null = null;
// Keyed weakly: the scopes of an optimizer or loader nobody holds go with it to the collector.
let sources = new WeakMap<object, SourceState>();
const info = { boundaries: 0, pending: 0, freed: 0 };
/** Objects whose tensor-valued fields are exempt (modules), held weakly. */
const roots = new Set<WeakRef<object>>();

/**
 * Turns step scopes on (the default) or off. Off, a loop that neither disposes nor uses
 * `tidy` keeps every tensor until the garbage collector finds it, which a loop that never awaits
 * does not allow: use this only when you manage memory yourself and keep tensors across steps
 * without `torch.keep`. Turning them off leaves the open scopes' tensors to you.
 *
 * @example
 * ```ts
 * torch.setStepScopes(false);
 * ```
 */
export function setStepScopes(on: boolean): void {
  if (typeof on !== 'boolean') throw new TypeError(`setStepScopes: expected true or false, got ${String(on)}`);
  if (on === enabled) return;
  enabled = on;
  // Either way, nothing tracked so far is freed by a scope: a fresh start.
  for (const s of openScopes) forget(s);
  openScopes.clear();
  current = null;
  sources = new WeakMap();
}

/** Every scope not yet freed (so setStepScopes can let go of them). */
const openScopes = new Set<StepScope>();

function forget(scope: StepScope): void {
  for (const t of scope.tensors) t.stepScope = null;
  info.pending -= scope.tensors.size;
  scope.tensors.clear();
}

/** @internal Called for every new tensor (memory.ts's trackTensor). */
export function joinStep(t: Tensor): void {
  if (current === null) return;
  current.tensors.add(t);
  t.stepScope = current;
  info.pending++;
}

/** @internal Takes `t` out of its step scope (keep(), dispose(), an optimizer's parameters). */
export function leaveStep(t: Tensor): void {
  const s = t.stepScope;
  if (s === null || s.freed) return;
  if (s.tensors.delete(t)) info.pending--;
  t.stepScope = null;
}

/**
 * @internal Puts `t` in the current step scope (a DataLoader's batch, built ahead of time outside
 * any scope, joins the step it is handed out in).
 */
export function adoptIntoStep(t: Tensor): void {
  leaveStep(t);
  joinStep(t);
}

/**
 * @internal Exempts the tensor-valued fields of `obj` (and arrays on them) from step scopes
 * for as long as `obj` lives: Module registers itself. Returns `obj`.
 */
export function keepFieldsAcrossSteps<T extends object>(obj: T): T {
  roots.add(new WeakRef(obj));
  return obj;
}

/**
 * @internal A step boundary of `source` (an optimizer, a DataLoader): frees the scope that the
 * source's boundary before last opened, and opens a new one that tensors created from now on join.
 */
export function stepBoundary(source: object, label: string): void {
  if (!enabled) return;
  info.boundaries++;
  let st = sources.get(source);
  if (!st) {
    st = { count: 0, open: [] };
    sources.set(source, st);
  }
  st.count++;
  if (st.open.length >= 2) free(st.open.shift()!);
  const scope: StepScope = { label, index: st.count, tensors: new Set(), freed: false };
  st.open.push(scope);
  openScopes.add(scope);
  current = scope;
}

function free(scope: StepScope): void {
  openScopes.delete(scope);
  if (scope.tensors.size === 0) {
    scope.freed = true;
    return;
  }
  spareModuleFields(scope);
  const doomed = [...scope.tensors];
  info.pending -= doomed.length;
  scope.tensors.clear();
  scope.freed = true;
  for (const t of doomed) t.dispose();
  info.freed += doomed.length;
}

/** Takes the tensors that modules hold on their fields out of `scope`. */
function spareModuleFields(scope: StepScope): void {
  for (const ref of roots) {
    const obj = ref.deref();
    if (obj === undefined) {
      roots.delete(ref);
      continue;
    }
    for (const v of Object.values(obj)) {
      if (Array.isArray(v)) {
        for (const x of v) spare(x, scope);
      } else spare(v, scope);
    }
  }
}

function spare(v: unknown, scope: StepScope): void {
  const t = v as Tensor | null;
  if (t !== null && typeof t === 'object' && t.stepScope === scope) {
    scope.tensors.delete(t);
    info.pending--;
    t.stepScope = null;
  }
}

/** @internal The counters behind `memory().steps`. */
export function stepScopeInfo(): StepScopeInfo {
  return { enabled, ...info };
}

/** @internal The message for a tensor a step scope freed, or null when none did. */
export function freedByStepMessage(t: Tensor): string | null {
  const s = t.stepScope;
  if (s === null || !s.freed) return null;
  return (
    `Tensor of shape [${t.shape.join(', ')}] (${t.dtype}) was freed by the step scope that ${s.label} #${s.index} opened: ` +
    'tensors created during a training step are freed two steps of the same optimizer (or DataLoader) later. ' +
    'To use it longer, call torch.keep(t) when you create it (then dispose() it yourself), store it on a module field, ' +
    'or read its value (await t.item()) while it is alive; torch.setStepScopes(false) turns step scopes off.'
  );
}
