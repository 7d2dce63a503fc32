/**
 * Pruning (PyTorch's `torch.nn.utils.prune`), with PyTorch's semantics and state-dict layout:
 * pruning parameter `name` moves it to the parameter `<name>_orig` (the same Parameter object, so
 * an optimizer holding it keeps working) and adds the buffer `<name>_mask`; a forward pre-hook
 * recomputes `module[name] = <name>_orig * <name>_mask` before every forward, so gradients reach
 * `<name>_orig` masked. Pruning again combines the masks as PyTorch's PruningContainer does: the
 * new method sees only the entries (unstructured) or channels (structured) still unpruned.
 * `remove` makes it permanent. Masks are computed on the host (`dataSync`).
 */
import * as T from '@torchlet/core';
import { Tensor, keep, noGrad } from '@torchlet/core';
import { Module, type RemovableHandle, toSnakeCase } from '../module.ts';
import { Parameter } from '../parameter.ts';
import { roundHalfEven } from '../quantization/quantized-linear.ts';

/**
 * A fraction of the entries in [0, 1], or an integer count >= 2 (JavaScript cannot tell Python's
 * `1` from `1.0`: here 1 means all of them, as PyTorch's 1.0).
 */
export type Amount = number;

/** How to choose what to prune; `mask` (0/1) is the current mask of the entries `t` holds. */
interface Method {
  readonly kind: 'unstructured' | 'structured';
  /** Structured methods prune slices along this dimension. */
  readonly dim?: number;
  compute(t: Float32Array, shape: readonly number[], mask: Float32Array): Float32Array;
}

/** PyTorch's `_compute_nparams_toprune` with `_validate_pruning_amount`. */
function countToPrune(amount: Amount, n: number, op: string): number {
  if (typeof amount !== 'number' || Number.isNaN(amount)) throw new TypeError(`${op}: amount must be a number, got ${String(amount)}`);
  if (Number.isInteger(amount) && amount !== 1 && !(amount === 0)) {
    if (amount < 0) throw new RangeError(`${op}: amount=${amount} should either be a float in the range [0, 1] or a non-negative integer`);
    if (amount > n) throw new RangeError(`${op}: amount=${amount} should be smaller than the number of parameters to prune=${n}`);
    return amount;
  }
  if (amount < 0 || amount > 1) throw new RangeError(`${op}: amount=${amount} should either be a float in the range [0, 1] or a non-negative integer`);
  return roundHalfEven(amount * n); // Python's round()
}

/** Indices of the `k` smallest values (ties: lower index first). */
function smallest(v: ArrayLike<number>, k: number): number[] {
  const idx = Array.from({ length: v.length }, (_, i) => i);
  idx.sort((a, b) => v[a]! - v[b]! || a - b);
  return idx.slice(0, k);
}

function l1Method(amount: Amount, op: string): Method {
  return {
    kind: 'unstructured',
    compute(t, _shape, mask) {
      const k = countToPrune(amount, t.length, op);
      const out = Float32Array.from(mask);
      for (const i of smallest(t.map(Math.abs), k)) out[i] = 0;
      return out;
    },
  };
}

function randomMethod(amount: Amount, op: string): Method {
  return {
    kind: 'unstructured',
    compute(t, _shape, mask) {
      const k = countToPrune(amount, t.length, op);
      const out = Float32Array.from(mask);
      if (k === 0) return out;
      const r = T.rand([t.length]);
      const scores = r.dataSync();
      r.dispose();
      for (const i of smallest(scores, k)) out[i] = 0;
      return out;
    },
  };
}

/** Channel norms along every dimension but `dim`: (sum |x|^n)^(1/n), max |x| for Infinity. */
function channelNorms(t: Float32Array, shape: readonly number[], dim: number, n: number): Float64Array {
  const size = shape[dim]!;
  const inner = shape.slice(dim + 1).reduce((a, b) => a * b, 1);
  const out = new Float64Array(size);
  for (let i = 0; i < t.length; i++) {
    const c = Math.floor(i / inner) % size;
    const a = Math.abs(t[i]!);
    if (n === Infinity) out[c] = Math.max(out[c]!, a);
    else if (n === 1) out[c] += a;
    else out[c] += a ** n;
  }
  if (n !== Infinity && n !== 1) for (let c = 0; c < size; c++) out[c] = out[c]! ** (1 / n);
  return out;
}

function lnMethod(amount: Amount, n: number, dim: number, op: string): Method {
  if (!(typeof n === 'number' && n > 0)) throw new RangeError(`${op}: n must be a positive number or Infinity, got ${String(n)}`);
  return {
    kind: 'structured',
    dim,
    compute(t, shape, mask) {
      const d = dim < 0 ? dim + shape.length : dim;
      if (d < 0 || d >= shape.length) throw new RangeError(`${op}: dim ${dim} is out of range for a tensor of shape [${shape.join(', ')}]`);
      const size = shape[d]!;
      const k = countToPrune(amount, size, op);
      if (k === 0) return Float32Array.from(mask);
      const norms = channelNorms(t, shape, d, n);
      const prune = new Set(smallest(norms, k));
      const inner = shape.slice(d + 1).reduce((a, b) => a * b, 1);
      return mask.map((m, i) => (prune.has(Math.floor(i / inner) % size) ? 0 : m));
    },
  };
}

function customMethod(newMask: Float32Array): Method {
  return { kind: 'unstructured', custom: true, compute: (_t, _shape, mask) => mask.map((m, i) => m * newMask[i]!) } as Method;
}

/**
 * PyTorch's PruningContainer._combine_masks: run `method` on the part of `t` that the current
 * mask still keeps, and write the result back there.
 */
function combine(method: Method, t: Float32Array, shape: readonly number[], mask: Float32Array): Float32Array {
  if (method.kind === 'unstructured') {
    const keep = [...mask.keys()].filter((i) => mask[i] === 1);
    const part = method.compute(Float32Array.from(keep, (i) => t[i]!), [keep.length], Float32Array.from(keep, (i) => mask[i]!));
    const out = Float32Array.from(mask);
    keep.forEach((i, j) => (out[i] = part[j]!));
    return out;
  }
  // Structured: keep the channels along `dim` that are not entirely pruned.
  const d = method.dim! < 0 ? method.dim! + shape.length : method.dim!;
  const size = shape[d]!;
  const inner = shape.slice(d + 1).reduce((a, b) => a * b, 1);
  const alive = new Array<boolean>(size).fill(false);
  mask.forEach((m, i) => { if (m !== 0) alive[Math.floor(i / inner) % size] = true; });
  const channels = alive.flatMap((a, c) => (a ? [c] : []));
  const subShape = shape.map((s, i) => (i === d ? channels.length : s));
  const pick = (src: Float32Array): Float32Array => {
    const out = new Float32Array(src.length / size * channels.length);
    let j = 0;
    for (let i = 0; i < src.length; i++) if (alive[Math.floor(i / inner) % size]) out[j++] = src[i]!;
    return out;
  };
  const part = method.compute(pick(t), subShape, pick(mask));
  const out = Float32Array.from(mask);
  let j = 0;
  for (let i = 0; i < out.length; i++) if (alive[Math.floor(i / inner) % size]) out[i] = part[j++]!;
  return out;
}

type Pruned = Module & Record<string, unknown>;
const HOOKS = new WeakMap<Module, Map<string, RemovableHandle>>();

function field(module: Module, name: string): string {
  // The camelCase field whose state-dict name is `name` (Linear: 'weight').
  const key = Object.keys(module).find((k) => toSnakeCase(k) === name);
  if (!key) throw new RangeError(`prune: ${module.constructor.name} has no parameter '${name}'`);
  return key;
}

/** The (orig, current mask) of `module[name]`, pruned or not. */
function state(module: Module, name: string): { orig: Parameter; mask: Float32Array | null } {
  const sd = module.stateDict();
  const origReg = sd[`${name}_orig`];
  if (origReg instanceof Parameter) return { orig: origReg, mask: Float32Array.from(sd[`${name}_mask`]!.dataSync() as Float32Array) };
  const p = (module as Pruned)[field(module, name)];
  if (!(p instanceof Parameter)) throw new RangeError(`prune: '${name}' of ${module.constructor.name} is not a parameter`);
  return { orig: p, mask: null };
}

function recompute(module: Module, name: string): void {
  const orig = module.stateDict()[`${name}_orig`]!;
  const mask = module.stateDict()[`${name}_mask`]!;
  const key = field(module, name);
  const prev = (module as Pruned)[key] as Tensor | null;
  // Under noGrad too the product is recomputed, so a changed weight_orig is always seen.
  (module as Pruned)[key] = keep(T.mul(orig, mask));
  if (prev && !(prev instanceof Parameter)) prev.dispose(); // saved tensors in a graph keep their own views
}

/** Applies a mask (0/1 float32, the parameter's shape) as `<name>_orig` * `<name>_mask`. */
function applyMask(module: Module, name: string, mask: Float32Array, orig: Parameter): void {
  const maskT = T.fromArray(mask, orig.shape);
  const old = module.stateDict()[`${name}_mask`];
  if (!old) {
    module.registerParameter(`${name}_orig`, orig);
    module.registerBuffer(`${name}_mask`, maskT);
    const handle = module.registerForwardPreHook((m) => recompute(m, name));
    if (!HOOKS.has(module)) HOOKS.set(module, new Map());
    HOOKS.get(module)!.set(name, handle);
  } else {
    module.registerBuffer(`${name}_mask`, maskT);
    old.dispose();
  }
  recompute(module, name);
}

function prune(module: Module, name: string, method: Method): Module {
  if (!(module instanceof Module)) throw new TypeError('prune: expected a Module');
  const { orig, mask } = state(module, name);
  const t = orig.dataSync() as Float32Array;
  const current = mask ?? new Float32Array(t.length).fill(1);
  // A custom mask covers the whole tensor: combining it is a product (what the container's slicing gives).
  const next = mask && !(method as { custom?: boolean }).custom ? combine(method, t, orig.shape, current) : method.compute(t, orig.shape, current);
  applyMask(module, name, next, orig);
  return module;
}

/**
 * Prunes the `amount` entries of smallest |value| (PyTorch's `l1_unstructured`).
 *
 * @example
 * ```ts
 * const fc = new nn.Linear(8, 8);
 * nn.utils.prune.l1Unstructured(fc, 'weight', 0.5);   // zeros the 50% smallest |w|
 * console.log(nn.utils.prune.isPruned(fc));            // true: weight = weight_orig * weight_mask
 * ```
 */
export function l1Unstructured(module: Module, name: string, amount: Amount): Module {
  return prune(module, name, l1Method(amount, 'l1Unstructured'));
}

/**
 * Prunes `amount` entries chosen at random (torchlet's RNG: `manualSeed` makes it repeatable).
 *
 * @example
 * ```ts
 * const fc = new nn.Linear(8, 8);
 * nn.utils.prune.randomUnstructured(fc, 'weight', 0.3);
 * ```
 */
export function randomUnstructured(module: Module, name: string, amount: Amount): Module {
  return prune(module, name, randomMethod(amount, 'randomUnstructured'));
}

/**
 * Prunes the `amount` slices along `dim` of smallest L`n` norm (PyTorch's `ln_structured`).
 *
 * @example
 * ```ts
 * const conv = new nn.Conv2d(3, 16, 3);
 * nn.utils.prune.lnStructured(conv, 'weight', 0.25, 2, 0);   // drops the 4 output channels of least L2 norm
 * ```
 */
export function lnStructured(module: Module, name: string, amount: Amount, n: number, dim: number): Module {
  return prune(module, name, lnMethod(amount, n, dim, 'lnStructured'));
}

/**
 * Applies a given 0/1 mask (a Tensor of the parameter's shape), combined with any earlier one.
 *
 * @example
 * ```ts
 * const fc = new nn.Linear(2, 2);
 * nn.utils.prune.customFromMask(fc, 'weight', torch.tensor([[1, 0], [0, 1]]));
 * ```
 */
export function customFromMask(module: Module, name: string, mask: Tensor): Module {
  const { orig } = state(module, name);
  if (mask.shape.length !== orig.shape.length || mask.shape.some((s, i) => s !== orig.shape[i])) {
    throw new RangeError(`customFromMask: mask of shape [${mask.shape.join(', ')}] does not match '${name}' of shape [${orig.shape.join(', ')}]`);
  }
  return prune(module, name, customMethod(Float32Array.from(mask.dataSync(), Number)));
}

/** Options of {@link globalUnstructured}. */
export interface GlobalPruneOptions {
  /** 'l1' (default, PyTorch's L1Unstructured) or 'random'. */
  pruningMethod?: 'l1' | 'random';
  /** How many entries to prune across all the parameters together: a fraction in [0, 1] or a count >= 2 (see `Amount`). */
  amount: Amount;
}

/**
 * Prunes across several parameters at once, as if they were one vector (PyTorch's
 * `global_unstructured`): the scores are the current (already masked) values, and `amount`
 * counts over all of them.
 *
 * @example
 * ```ts
 * const model = new nn.Sequential(new nn.Linear(8, 8), new nn.Linear(8, 4));
 * nn.utils.prune.globalUnstructured(
 *   [[model.at(0), 'weight'], [model.at(1), 'weight']],
 *   { pruningMethod: 'l1', amount: 0.2 },
 * );
 * ```
 */
export function globalUnstructured(parameters: ReadonlyArray<readonly [Module, string]>, options: GlobalPruneOptions): void {
  const method = (options.pruningMethod ?? 'l1') === 'l1' ? l1Method(options.amount, 'globalUnstructured') : randomMethod(options.amount, 'globalUnstructured');
  const parts = parameters.map(([m, name]) => {
    const { orig, mask } = state(m, name);
    const t = orig.dataSync() as Float32Array;
    const current = mask ?? new Float32Array(t.length).fill(1);
    return { m, name, orig, scores: t.map((v, i) => v * current[i]!), mask: current };
  });
  const n = parts.reduce((a, p) => a + p.scores.length, 0);
  const scores = new Float32Array(n), mask = new Float32Array(n);
  let at = 0;
  for (const p of parts) {
    scores.set(p.scores, at);
    mask.set(p.mask, at);
    at += p.scores.length;
  }
  const finalMask = combine(method, scores, [n], mask);
  at = 0;
  for (const p of parts) {
    const slice = finalMask.subarray(at, at + p.scores.length);
    at += p.scores.length;
    prune(p.m, p.name, customMethod(Float32Array.from(slice)));
  }
}

/**
 * Makes pruning permanent: `<name>_orig` and `<name>_mask` go, and `name` becomes a Parameter
 * holding `orig * mask` again (PyTorch's `prune.remove`).
 *
 * @example
 * ```ts
 * const fc = new nn.Linear(4, 4);
 * nn.utils.prune.l1Unstructured(fc, 'weight', 0.5);
 * nn.utils.prune.remove(fc, 'weight');   // makes the pruning permanent: weight is a plain parameter again
 * ```
 */
export function remove(module: Module, name: string): Module {
  const sd = module.stateDict();
  const orig = sd[`${name}_orig`], mask = sd[`${name}_mask`];
  if (!(orig instanceof Parameter) || !mask) throw new Error(`prune.remove: parameter '${name}' of ${module.constructor.name} is not pruned`);
  HOOKS.get(module)?.get(name)?.remove();
  HOOKS.get(module)?.delete(name);
  const key = field(module, name);
  const current = (module as Pruned)[key] as Tensor;
  noGrad(() => orig.mul_(mask));
  module.registerParameter(`${name}_orig`, null);
  module.registerBuffer(`${name}_mask`, null);
  mask.dispose();
  (module as Pruned)[key] = orig;
  if (current !== orig) current.dispose();
  return module;
}

/**
 * True when any parameter of `module` or its descendants is pruned (PyTorch's `prune.is_pruned`).
 *
 * @example
 * ```ts
 * const fc = new nn.Linear(4, 4);
 * console.log(nn.utils.prune.isPruned(fc));   // false
 * ```
 */
export function isPruned(module: Module): boolean {
  for (const m of module.modules()) for (const [k] of m.namedBuffers('', false)) if (k.endsWith('_mask')) return true;
  return false;
}

/** One row of {@link sparsityReport}. */
export interface SparsityRow {
  /** Dotted name of the parameter (`0.weight`). */
  name: string;
  /** Elements of the parameter (of all of them, in the `total` row). */
  numel: number;
  /** Of those, the ones exactly zero. */
  zeros: number;
  /** zeros / numel. */
  sparsity: number;
}

/**
 * Per pruned parameter: how many entries the mask zeroes, plus a `total` row.
 *
 * @example
 * ```ts
 * const model = new nn.Sequential(new nn.Linear(8, 8));
 * nn.utils.prune.l1Unstructured(model.at(0), 'weight', 0.5);
 * for (const row of nn.utils.prune.sparsityReport(model)) console.log(row.name, row.zeros, '/', row.numel);
 * ```
 */
export function sparsityReport(model: Module): SparsityRow[] {
  const rows: SparsityRow[] = [];
  for (const [name, b] of model.namedBuffers()) {
    if (!name.endsWith('_mask')) continue;
    const d = b.dataSync();
    let zeros = 0;
    for (const v of d) if (v === 0) zeros++;
    rows.push({ name: name.slice(0, -5), numel: d.length, zeros, sparsity: d.length ? zeros / d.length : 0 });
  }
  const numel = rows.reduce((a, r) => a + r.numel, 0), zeros = rows.reduce((a, r) => a + r.zeros, 0);
  rows.push({ name: 'total', numel, zeros, sparsity: numel ? zeros / numel : 0 });
  return rows;
}
