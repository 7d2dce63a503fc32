import { backendCounters, stats } from './storage.ts';
import type { Tensor } from './tensor.ts';
import { listInstances } from './registry.ts';
import { joinStep, leaveStep, stepScopeInfo, type StepScopeInfo } from './step-scope.ts';

/** One backend's share of `memory()`. */
export interface BackendMemoryInfo {
  /** Live buffers on this backend. */
  buffers: number;
  /** Bytes they hold. */
  bytes: number;
  /** Bytes the backend holds from the system (wasm linear memory, pooled GPU buffers), when it says. */
  reservedBytes?: number;
}

/** What `memory()` reports. */
export interface MemoryInfo {
  /** Tensors not yet disposed or collected (views count separately). */
  tensors: number;
  /** Backend buffers alive (several tensors may view one buffer). */
  buffers: number;
  /** Bytes held by live buffers. */
  bytes: number;
  /** The same per backend, with the bytes the backend itself reserves from the system. */
  backends: Record<string, BackendMemoryInfo>;
  /** Step scopes (see setStepScopes): boundaries seen, tensors waiting in open scopes, tensors freed. */
  steps: StepScopeInfo;
}

/**
 * Live tensors, buffers and bytes, in total and per backend, so a leak is visible.
 *
 * @example
 * ```ts
 * const before = torch.memory().tensors;
 * const x = torch.zeros([1000]);
 * console.log(torch.memory().tensors - before, torch.memory().bytes >= 4000);   // 1 true
 * x.dispose();
 * ```
 */
export function memory(): MemoryInfo {
  const backends: MemoryInfo['backends'] = {};
  const instances = listInstances();
  for (const [name, c] of backendCounters()) {
    const reserved = instances.get(name)?.memory?.().reservedBytes;
    backends[name] = reserved === undefined ? { ...c } : { ...c, reservedBytes: reserved };
  }
  return { tensors: stats.tensors, buffers: stats.buffers, bytes: stats.bytes, backends, steps: stepScopeInfo() };
}

/** A tidy scope: the tensors created while it is the innermost open scope. */
type Scope = Set<Tensor>;
const scopes: Scope[] = [];

/** @internal Called by the Tensor constructor. */
export function trackTensor(t: Tensor): void {
  const top = scopes[scopes.length - 1];
  if (top) top.add(t);
  joinStep(t);
}

/** @internal Called by Tensor.dispose. */
export function untrackTensor(t: Tensor): void {
  const top = scopes[scopes.length - 1];
  if (top) top.delete(t);
  leaveStep(t);
}

/**
 * Keeps `t` alive past the enclosing {@link tidy} scope and past the step scopes that free a
 * training step's tensors (it moves to no scope at all: the caller now owns it and must dispose
 * it). Returns `t`.
 *
 * @example
 * ```ts
 * let total: torch.Tensor | null = null;
 * torch.tidy(() => {
 *   total = torch.keep(torch.ones([3]).sum());   // survives the scope it was made in
 * });
 * console.log(await total!.item());   // 3
 * // in a training loop: const best = torch.keep(loss.detach()) survives later optimizer.step() calls
 * ```
 */
export function keep<T extends Tensor>(t: T): T {
  for (const s of scopes) s.delete(t);
  leaveStep(t);
  return t;
}

function collectTensors(value: unknown, out: Set<Tensor>, depth = 0): void {
  if (value === null || typeof value !== 'object' || depth > 8) return;
  if (isTensor(value)) {
    out.add(value);
    return;
  }
  if (Array.isArray(value)) {
    for (const v of value) collectTensors(v, out, depth + 1);
  } else if (value instanceof Map) {
    for (const v of value.values()) collectTensors(v, out, depth + 1);
  } else if (Object.getPrototypeOf(value) === Object.prototype) {
    for (const v of Object.values(value)) collectTensors(v, out, depth + 1);
  }
}

let isTensor: (x: unknown) => x is Tensor = (_x): _x is Tensor => false;
/** @internal Wired by tensor.ts to break the import cycle. */
export function setTensorCheck(fn: (x: unknown) => x is Tensor): void {
  isTensor = fn;
}

function closeScope(scope: Scope, result: unknown): void {
  const idx = scopes.lastIndexOf(scope);
  if (idx >= 0) scopes.splice(idx, 1);
  const kept = new Set<Tensor>();
  collectTensors(result, kept);
  for (const t of scope) if (!kept.has(t)) t.dispose();
  // Returned tensors belong to the enclosing scope now, as if created there.
  const parent = scopes[scopes.length - 1];
  if (parent) for (const t of kept) if (scope.has(t)) parent.add(t);
}

/**
 * Runs `fn` and disposes every tensor created during it, except those it returns (in an array,
 * a Map or a plain object, up to 8 levels deep) and those passed to {@link keep}. Returned
 * tensors are handed to the enclosing scope, if any.
 *
 * If `fn` returns a Promise, the scope stays open until the promise settles and then disposes
 * as above; `tidy` then returns a Promise of the result. While an async scope is open it owns
 * every tensor created by any code, so do not run unrelated tensor code concurrently with an
 * async tidy (JavaScript has no portable async context to tell them apart).
 *
 * @example
 * ```ts
 * const before = torch.memory().tensors;
 * const y = torch.tidy(() => {
 *   const a = torch.randn([100]);
 *   return a.mul(2).add(1).relu();   // the intermediates are freed; the result is kept
 * });
 * console.log(torch.memory().tensors - before);   // 1
 * ```
 */
export function tidy<T>(fn: () => T): T {
  const scope: Scope = new Set();
  scopes.push(scope);
  let result: T;
  try {
    result = fn();
  } catch (e) {
    closeScope(scope, undefined);
    throw e;
  }
  if (result !== null && typeof result === 'object' && typeof (result as { then?: unknown }).then === 'function') {
    return (result as unknown as Promise<unknown>).then(
      (value) => {
        closeScope(scope, value);
        return value;
      },
      (err: unknown) => {
        closeScope(scope, undefined);
        throw err;
      },
    ) as T;
  }
  closeScope(scope, result);
  return result;
}
