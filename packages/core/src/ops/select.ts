/**
 * Ops whose output shape depends on the values: nonzero, argwhere, maskedSelect, unique,
 * uniqueConsecutive, bincount, repeatInterleave with a tensor of repeats. Each reads what decides
 * the shape (the mask, the values, the repeats) to the host, then builds the result on the
 * device with gather/indexSelect/scatterAdd, so maskedSelect and repeatInterleave stay
 * differentiable. The plain forms read synchronously (wasm); on a backend that cannot (WebGPU)
 * they throw naming the `...Async` form, which works everywhere.
 *
 * histc is here too but needs no read: its size is `bins`, and the range comes from device-side
 * min/max.
 */
import { argBool, argInt, argNumber, parseArgs } from '../args.ts';
import type { TypedArray } from '../dtype.ts';
import { tidy } from '../memory.ts';
import { broadcastShapes, normalizeDim, shapeStr } from '../shape.ts';
import type { Tensor } from '../tensor.ts';
import { repeatInterleaveInt } from './arrange.ts';
import { fromArray, onesLike } from './creation.ts';
import { add, div, eq, floor, ge, le, logicalAnd, mul, sub } from './elementwise.ts';
import { gather, indexSelect, scatterAdd, where } from './indexing.ts';
import { amax, amin } from './reduce.ts';
import { castTo, expectDType, expectTensor, readViewSync } from './util.ts';

/** Reads `t` synchronously, or throws naming the async form of `op`. */
function readNow(op: string, t: Tensor): TypedArray {
  if (!t.backend.readSync) {
    throw new Error(`${op}: the output's size depends on the values, and the '${t.backend.name}' backend cannot read them synchronously; use \`await torch.${op}Async(...)\` instead`);
  }
  return readViewSync(t);
}

/** Runs `build` with the host copies of `reads`, read synchronously (sync=true) or not. */
function withHost<R>(op: string, reads: readonly Tensor[], build: (host: TypedArray[]) => R, sync: true): R;
function withHost<R>(op: string, reads: readonly Tensor[], build: (host: TypedArray[]) => R, sync: false): Promise<R>;
function withHost<R>(op: string, reads: readonly Tensor[], build: (host: TypedArray[]) => R, sync: boolean): R | Promise<R> {
  if (sync) return build(reads.map((t) => readNow(op, t)));
  return Promise.all(reads.map((t) => t.data())).then(build);
}

const int32 = (data: readonly number[], shape: number[], like: Tensor): Tensor => fromArray(Int32Array.from(data), shape, { backend: like.backend });

// ---- nonzero / argwhere ----

/** Options of {@link nonzero}. */
export interface NonzeroOptions {
  /** One 1-D index tensor per dim instead of one `[N, ndim]` tensor (default false). */
  asTuple?: boolean;
}

function nonzeroBuild(input: Tensor, asTuple: boolean, host: TypedArray): Tensor | Tensor[] {
  const nd = input.ndim;
  const coords: number[][] = Array.from({ length: Math.max(nd, asTuple ? 1 : 0) }, () => []);
  const strides = input.shape.map((_, i) => input.shape.slice(i + 1).reduce((a, b) => a * b, 1));
  let n = 0;
  for (let f = 0; f < host.length; f++) {
    if (host[f] === 0) continue; // NaN is non-zero, as in PyTorch
    n++;
    for (let d = 0; d < nd; d++) coords[d]!.push(Math.floor(f / strides[d]!) % input.shape[d]!);
    if (nd === 0 && asTuple) coords[0]!.push(0);
  }
  if (asTuple) return coords.map((c) => int32(c, [c.length], input));
  const flat: number[] = [];
  for (let i = 0; i < n; i++) for (let d = 0; d < nd; d++) flat.push(coords[d]![i]!);
  return int32(flat, [n, nd], input);
}

function nonzeroArgs(args: readonly unknown[]): boolean {
  const a = parseArgs('nonzero', args, [], ['asTuple']);
  return a.asTuple === undefined ? false : argBool('nonzero', 'asTuple', a.asTuple);
}

/**
 * The indices of the non-zero (true) elements, PyTorch's `torch.nonzero(input, as_tuple=False)`:
 * an int32 `[N, ndim]` tensor in row-major order, or with `{ asTuple: true }` one `[N]` tensor
 * per dim. Synchronous on wasm; on WebGPU use {@link nonzeroAsync}.
 *
 * @example
 * const mask = torch.tensor([[true, false], [false, true]]);
 * torch.nonzero(torch.tensor([0, 3, 0, 5]));  // tensor([[1], [3]])
 * const [rows, cols] = torch.nonzero(mask, { asTuple: true });
 */
export function nonzero(input: Tensor, options?: NonzeroOptions & { asTuple?: false }): Tensor;
export function nonzero(input: Tensor, options: NonzeroOptions & { asTuple: true }): Tensor[];
export function nonzero(input: Tensor, options?: NonzeroOptions): Tensor | Tensor[] {
  expectTensor('nonzero', input);
  const asTuple = nonzeroArgs([options]);
  return withHost('nonzero', [input], ([h]) => nonzeroBuild(input, asTuple, h!), true);
}

/**
 * {@link nonzero} on any backend, reading the values asynchronously.
 *
 * @example
 * ```ts
 * const idx = await torch.nonzeroAsync(torch.tensor([0, 3, 0, 5]));   // any backend, WebGPU included
 * console.log(await idx.tolist());   // [[1], [3]]
 * ```
 */
export async function nonzeroAsync(input: Tensor, options?: NonzeroOptions & { asTuple?: false }): Promise<Tensor>;
export async function nonzeroAsync(input: Tensor, options: NonzeroOptions & { asTuple: true }): Promise<Tensor[]>;
export async function nonzeroAsync(input: Tensor, options?: NonzeroOptions): Promise<Tensor | Tensor[]> {
  expectTensor('nonzero', input);
  const asTuple = nonzeroArgs([options]);
  return withHost('nonzero', [input], ([h]) => nonzeroBuild(input, asTuple, h!), false);
}

/**
 * PyTorch's `torch.argwhere`: {@link nonzero}'s `[N, ndim]` form.
 *
 * @example
 * torch.argwhere(torch.tensor([[0, 1], [1, 0]]));  // tensor([[0, 1], [1, 0]])
 */
export function argwhere(input: Tensor): Tensor {
  return nonzero(input);
}

/**
 * {@link argwhere} on any backend.
 *
 * @example
 * ```ts
 * const idx = await torch.argwhereAsync(torch.tensor([[0, 1], [1, 0]]));
 * console.log(await idx.tolist());   // [[0, 1], [1, 0]]
 * ```
 */
export function argwhereAsync(input: Tensor): Promise<Tensor> {
  return nonzeroAsync(input);
}

// ---- maskedSelect ----

function maskedSelectPrep(input: Tensor, mask: Tensor): number[] {
  expectTensor('maskedSelect', input);
  expectTensor('maskedSelect', mask, 'mask');
  expectDType('maskedSelect', mask, ['bool'], 'mask');
  return broadcastShapes(input.shape, mask.shape);
}

function maskedSelectBuild(input: Tensor, shape: number[], host: TypedArray): Tensor {
  const idx: number[] = [];
  for (let i = 0; i < host.length; i++) if (host[i]) idx.push(i);
  return tidy(() => gather(input.expand(shape).reshape([-1]), 0, int32(idx, [idx.length], input)));
}

/**
 * The elements of `input` where `mask` is true, as a 1-D tensor (both broadcast), PyTorch's
 * `torch.masked_select` and `x[mask]`. Differentiable in `input`. Synchronous on wasm; on
 * WebGPU use {@link maskedSelectAsync}.
 *
 * @example
 * const x = torch.tensor([[-1, 2], [3, -4]]);
 * torch.maskedSelect(x, x.gt(0));
 */
export function maskedSelect(input: Tensor, mask: Tensor): Tensor {
  const shape = maskedSelectPrep(input, mask);
  return tidy(() => {
    const m = mask.expand(shape);
    return withHost('maskedSelect', [m], ([h]) => maskedSelectBuild(input, shape, h!), true);
  });
}

/**
 * {@link maskedSelect} on any backend, reading the mask asynchronously.
 *
 * @example
 * ```ts
 * const x = torch.tensor([-1, 2, -3, 4]);
 * console.log(await (await torch.maskedSelectAsync(x, x.gt(0))).tolist());   // [2, 4]
 * ```
 */
export async function maskedSelectAsync(input: Tensor, mask: Tensor): Promise<Tensor> {
  const shape = maskedSelectPrep(input, mask);
  const m = mask.expand(shape);
  try {
    return await withHost('maskedSelect', [m], ([h]) => maskedSelectBuild(input, shape, h!), false);
  } finally {
    m.dispose();
  }
}

// ---- unique / uniqueConsecutive ----

/** Options of {@link unique}. */
export interface UniqueOptions {
  /** Sort the unique values ascending (default true; torchlet always sorts). */
  sorted?: boolean;
  /** Also return, for each input element (or slice), the index of its unique value. */
  returnInverse?: boolean;
  /** Also return how often each unique value occurs. */
  returnCounts?: boolean;
  /** Unique slices along this dim instead of unique elements. */
  dim?: number | null;
}

interface UniquePlan {
  readonly returnInverse: boolean;
  readonly returnCounts: boolean;
  readonly dim: number | null;
}

function uniqueArgs(op: string, input: Tensor, options: unknown, withSorted: boolean): UniquePlan {
  expectTensor(op, input);
  const a = parseArgs(op, options === undefined ? [] : [options], [], withSorted ? ['sorted', 'returnInverse', 'returnCounts', 'dim'] : ['returnInverse', 'returnCounts', 'dim']);
  if (a.sorted !== undefined) argBool(op, 'sorted', a.sorted);
  return {
    returnInverse: a.returnInverse === undefined ? false : argBool(op, 'returnInverse', a.returnInverse),
    returnCounts: a.returnCounts === undefined ? false : argBool(op, 'returnCounts', a.returnCounts),
    dim: a.dim === undefined || a.dim === null ? null : normalizeDim(argInt(op, 'dim', a.dim), input.ndim),
  };
}

/** The input seen as a list of keys: elements, or the slices along `dim` (each a number[]). */
function keysOf(input: Tensor, dim: number | null, host: TypedArray): number[][] {
  if (dim === null) return Array.from(host, (v) => [v]);
  // `host` is the input with `dim` moved first, contiguous.
  const n = input.shape[dim]!;
  const len = n === 0 ? 0 : host.length / n;
  return Array.from({ length: n }, (_, i) => Array.from(host.subarray(i * len, (i + 1) * len)));
}

function compareKeys(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! < b[i]! ? -1 : 1;
  return 0;
}

/** Builds [output, inverse?, counts?] from the group id of each key and one representative per group. */
function uniqueResult(input: Tensor, plan: UniquePlan, groupOf: number[], reps: number[], counts: number[]): Tensor | Tensor[] {
  const out = tidy(() => {
    if (plan.dim === null) return gather(input.reshape([-1]), 0, int32(reps, [reps.length], input));
    return indexSelect(input, plan.dim, int32(reps, [reps.length], input));
  });
  if (!plan.returnInverse && !plan.returnCounts) return out;
  const r: Tensor[] = [out];
  if (plan.returnInverse) r.push(int32(groupOf, plan.dim === null ? [...input.shape] : [input.shape[plan.dim]!], input));
  if (plan.returnCounts) r.push(int32(counts, [counts.length], input));
  return r;
}

function uniqueBuild(input: Tensor, plan: UniquePlan, host: TypedArray, consecutive: boolean): Tensor | Tensor[] {
  const keys = keysOf(input, plan.dim, host);
  const groupOf = new Array<number>(keys.length);
  const reps: number[] = [], counts: number[] = [];
  if (consecutive) {
    keys.forEach((k, i) => {
      if (i === 0 || compareKeys(k, keys[i - 1]!) !== 0) {
        reps.push(i);
        counts.push(0);
      }
      groupOf[i] = reps.length - 1;
      counts[reps.length - 1]!++;
    });
  } else {
    const order = keys.map((_, i) => i).sort((a, b) => compareKeys(keys[a]!, keys[b]!) || a - b);
    order.forEach((i, j) => {
      if (j === 0 || compareKeys(keys[i]!, keys[order[j - 1]!]!) !== 0) {
        reps.push(i);
        counts.push(0);
      }
      groupOf[i] = reps.length - 1;
      counts[reps.length - 1]!++;
    });
  }
  return uniqueResult(input, plan, groupOf, reps, counts);
}

function uniqueSource(input: Tensor, dim: number | null): Tensor {
  return dim === null ? input : input.movedim(dim, 0).contiguous();
}

/**
 * The sorted unique elements (or slices along `dim`), PyTorch's `torch.unique(input, sorted=True,
 * return_inverse=False, return_counts=False, dim=None)`: a tensor, or `[output, inverse?, counts?]`
 * when either flag is set (int32 inverse and counts). Synchronous on wasm; on WebGPU use
 * {@link uniqueAsync}.
 *
 * @example
 * const x = torch.tensor([2, 1, 2, 3]);
 * torch.unique(torch.tensor([3, 1, 3]));  // tensor([1, 3])
 * const [values, inverse, counts] = torch.unique(x, { returnInverse: true, returnCounts: true }) as torch.Tensor[];
 */
export function unique(input: Tensor, options?: UniqueOptions): Tensor | Tensor[] {
  const plan = uniqueArgs('unique', input, options, true);
  return tidy(() => withHost('unique', [uniqueSource(input, plan.dim)], ([h]) => uniqueBuild(input, plan, h!, false), true));
}

/**
 * {@link unique} on any backend, reading the values asynchronously.
 *
 * @example
 * ```ts
 * const u = await torch.uniqueAsync(torch.tensor([3, 1, 3])) as torch.Tensor;
 * console.log(await u.tolist());   // [1, 3]
 * ```
 */
export async function uniqueAsync(input: Tensor, options?: UniqueOptions): Promise<Tensor | Tensor[]> {
  const plan = uniqueArgs('unique', input, options, true);
  const src = uniqueSource(input, plan.dim);
  try {
    return await withHost('unique', [src], ([h]) => uniqueBuild(input, plan, h!, false), false);
  } finally {
    if (src !== input) src.dispose();
  }
}

/**
 * Collapses runs of equal consecutive elements (or slices along `dim`), PyTorch's
 * `torch.unique_consecutive(input, return_inverse=False, return_counts=False, dim=None)`.
 * Synchronous on wasm; on WebGPU use {@link uniqueConsecutiveAsync}.
 *
 * @example
 * torch.uniqueConsecutive(torch.tensor([1, 1, 2, 1]));  // tensor([1, 2, 1])
 */
export function uniqueConsecutive(input: Tensor, options?: Omit<UniqueOptions, 'sorted'>): Tensor | Tensor[] {
  const plan = uniqueArgs('uniqueConsecutive', input, options, false);
  return tidy(() => withHost('uniqueConsecutive', [uniqueSource(input, plan.dim)], ([h]) => uniqueBuild(input, plan, h!, true), true));
}

/**
 * {@link uniqueConsecutive} on any backend.
 *
 * @example
 * ```ts
 * const u = await torch.uniqueConsecutiveAsync(torch.tensor([1, 1, 2, 1])) as torch.Tensor;
 * console.log(await u.tolist());   // [1, 2, 1]
 * ```
 */
export async function uniqueConsecutiveAsync(input: Tensor, options?: Omit<UniqueOptions, 'sorted'>): Promise<Tensor | Tensor[]> {
  const plan = uniqueArgs('uniqueConsecutive', input, options, false);
  const src = uniqueSource(input, plan.dim);
  try {
    return await withHost('uniqueConsecutive', [src], ([h]) => uniqueBuild(input, plan, h!, true), false);
  } finally {
    if (src !== input) src.dispose();
  }
}

// ---- bincount ----

/** Options of {@link bincount}. */
export interface BincountOptions {
  /** Per-element weights (same length as input); the result is then float32. */
  weights?: Tensor | null;
  /** The least number of bins (default 0). */
  minlength?: number;
}

function bincountArgs(input: Tensor, args: readonly unknown[]): { weights: Tensor | null; minlength: number } {
  expectTensor('bincount', input);
  expectDType('bincount', input, ['int32'], 'input');
  if (input.ndim !== 1) throw new RangeError(`bincount: input must be 1-D, got shape ${shapeStr(input.shape)}`);
  const a = parseArgs('bincount', args, ['weights', 'minlength']);
  const weights = (a.weights ?? null) as Tensor | null;
  if (weights !== null) {
    expectTensor('bincount', weights, 'weights');
    if (weights.ndim !== 1 || weights.shape[0] !== input.shape[0]) throw new RangeError(`bincount: weights ${shapeStr(weights.shape)} must be 1-D with the input's length ${input.shape[0]}`);
  }
  return { weights, minlength: a.minlength === undefined ? 0 : argInt('bincount', 'minlength', a.minlength, 0) };
}

function bincountBuild(input: Tensor, weights: Tensor | null, minlength: number, host: TypedArray): Tensor {
  let max = -1;
  for (const v of host) {
    if (v < 0) throw new RangeError(`bincount only supports 1-d non-negative integral inputs (got ${v})`);
    if (v > max) max = v;
  }
  const len = Math.max(max + 1, minlength);
  return tidy(() => {
    const w = weights ? castTo(weights, 'float32', false) : onesLike(input, { dtype: 'int32' });
    return scatterAdd(null, 0, input, w, [len]);
  });
}

/**
 * Counts each non-negative integer of the 1-D int32 `input` (or sums `weights` per value),
 * PyTorch's `torch.bincount(input, weights=None, minlength=0)`: `max(input) + 1` bins at least
 * `minlength`. Synchronous on wasm; on WebGPU use {@link bincountAsync}.
 *
 * @example
 * torch.bincount(torch.tensor([0, 2, 2], { dtype: 'int32' }));  // tensor([1, 0, 2])
 */
export function bincount(input: Tensor, ...args: [weights?: Tensor | null | BincountOptions, minlength?: number | BincountOptions, options?: BincountOptions]): Tensor {
  const { weights, minlength } = bincountArgs(input, args);
  return withHost('bincount', [input], ([h]) => bincountBuild(input, weights, minlength, h!), true);
}

/**
 * {@link bincount} on any backend.
 *
 * @example
 * ```ts
 * const counts = await torch.bincountAsync(torch.tensor([0, 2, 2], { dtype: 'int32' }));
 * console.log(await counts.tolist());   // [1, 0, 2]
 * ```
 */
export function bincountAsync(input: Tensor, ...args: [weights?: Tensor | null | BincountOptions, minlength?: number | BincountOptions, options?: BincountOptions]): Promise<Tensor> {
  const { weights, minlength } = bincountArgs(input, args);
  return withHost('bincount', [input], ([h]) => bincountBuild(input, weights, minlength, h!), false);
}

// ---- repeatInterleave ----

function repeatPlan(input: Tensor, repeats: Tensor, dim: number | null | undefined): { x: Tensor; d: number } {
  expectTensor('repeatInterleave', repeats, 'repeats');
  expectDType('repeatInterleave', repeats, ['int32'], 'repeats');
  if (repeats.ndim > 1) throw new RangeError(`repeatInterleave: repeats must be 0-dim or 1-dim tensor, got shape ${shapeStr(repeats.shape)}`);
  const x = dim === undefined || dim === null ? input.reshape([-1]) : input;
  const d = dim === undefined || dim === null ? 0 : normalizeDim(dim, x.ndim);
  const n = x.ndim === 0 ? 1 : x.shape[d]!;
  if (repeats.numel() !== 1 && repeats.numel() !== n) {
    throw new RangeError(`repeatInterleave: repeats must have the same size as input along dim ${d} (${n}), got ${repeats.numel()}`);
  }
  return { x, d };
}

function repeatBuild(x: Tensor, d: number, host: TypedArray): Tensor {
  const n = x.ndim === 0 ? 1 : x.shape[d]!;
  const idx: number[] = [];
  for (let i = 0; i < n; i++) {
    const r = host.length === 1 ? host[0]! : host[i]!;
    if (r < 0) throw new RangeError(`repeatInterleave: repeats can not be negative (got ${r})`);
    for (let k = 0; k < r; k++) idx.push(i);
  }
  return tidy(() => indexSelect(x.ndim === 0 ? x.reshape([1]) : x, d, int32(idx, [idx.length], x)));
}

/**
 * Repeats each element (or slice along `dim`) `repeats` times, PyTorch's
 * `torch.repeat_interleave(input, repeats, dim=None)`: `repeats` is a number, or an int32 tensor
 * of one count per element along `dim`. Without `dim`, the flattened input. Differentiable.
 * A tensor `repeats` is read synchronously (wasm); on WebGPU use {@link repeatInterleaveAsync}.
 *
 * @example
 * const x = torch.tensor([[1, 2], [3, 4]]);
 * torch.repeatInterleave(torch.tensor([1, 2]), 2);  // tensor([1, 1, 2, 2])
 * torch.repeatInterleave(x, torch.tensor([1, 2], { dtype: 'int32' }), 0);
 */
export function repeatInterleave(input: Tensor, repeats: number | Tensor, dim?: number | null | { dim?: number | null }): Tensor {
  expectTensor('repeatInterleave', input);
  const dv = parseArgs('repeatInterleave', [dim], ['dim']).dim as number | null | undefined;
  if (typeof repeats === 'number') return repeatInterleaveInt(input, repeats, dv);
  return tidy(() => {
    const { x, d } = repeatPlan(input, repeats, dv);
    return withHost('repeatInterleave', [repeats], ([h]) => repeatBuild(x, d, h!), true);
  });
}

/**
 * {@link repeatInterleave} on any backend, reading a tensor `repeats` asynchronously.
 *
 * @example
 * ```ts
 * const r = await torch.repeatInterleaveAsync(torch.tensor([1, 2]), torch.tensor([1, 2], { dtype: 'int32' }));
 * console.log(await r.tolist());   // [1, 2, 2]
 * ```
 */
export async function repeatInterleaveAsync(input: Tensor, repeats: number | Tensor, dim?: number | null | { dim?: number | null }): Promise<Tensor> {
  expectTensor('repeatInterleave', input);
  const dv = parseArgs('repeatInterleave', [dim], ['dim']).dim as number | null | undefined;
  if (typeof repeats === 'number') return repeatInterleaveInt(input, repeats, dv);
  const { x, d } = repeatPlan(input, repeats, dv);
  try {
    return await withHost('repeatInterleave', [repeats], ([h]) => repeatBuild(x, d, h!), false);
  } finally {
    if (x !== input) x.dispose();
  }
}

// ---- histc ----

/** Options of {@link histc}. */
export interface HistcOptions {
  /** Number of bins (default 100). */
  bins?: number;
  /** Lower end of the range (default 0; with max also 0, the data's minimum). */
  min?: number;
  /** Upper end of the range (default 0; with min also 0, the data's maximum). */
  max?: number;
}

/**
 * A histogram of `input` in `bins` equal bins over `[min, max]` (PyTorch's `torch.histc(input,
 * bins=100, min=0, max=0)`): float32 counts; elements outside the range are ignored, the last
 * bin includes `max`, and `min = max = 0` uses the data's range. Needs no data read.
 *
 * @example
 * torch.histc(torch.tensor([1, 2, 1]), 4, 0, 3);  // tensor([0., 2., 1., 0.])
 */
export function histc(input: Tensor, ...args: [bins?: number | HistcOptions, min?: number | HistcOptions, max?: number | HistcOptions, options?: HistcOptions]): Tensor {
  expectTensor('histc', input);
  expectDType('histc', input, ['float32']);
  const a = parseArgs('histc', args, ['bins', 'min', 'max']);
  const bins = a.bins === undefined ? 100 : argInt('histc', 'bins', a.bins, 1);
  let lo = a.min === undefined ? 0 : argNumber('histc', 'min', a.min);
  let hi = a.max === undefined ? 0 : argNumber('histc', 'max', a.max);
  // A zero-width range widens by 1 on each side, as PyTorch does (for the data's range below too).
  if (lo === hi && lo !== 0) [lo, hi] = [lo - 1, hi + 1];
  if (lo > hi) throw new RangeError(`histc: max must be larger than min (min ${lo}, max ${hi})`);
  return tidy(() => {
    let loT: Tensor | number = lo, hiT: Tensor | number = hi;
    if (lo === 0 && hi === 0 && input.numel() > 0) {
      loT = amin(input);
      hiT = amax(input);
      const same = eq(loT, hiT);
      loT = where(same, sub(loT, 1), loT);
      hiT = where(same, add(hiT, 1), hiT);
    }
    const inRange = logicalAnd(ge(input, loT), le(input, hiT));
    // PyTorch: bin = (x - min) * bins / (max - min), truncated; x == max goes to the last bin.
    const width = typeof hiT === 'number' && typeof loT === 'number' ? hiT - loT : sub(hiT, loT);
    const pos = floor(div(mul(sub(input, loT), bins), width));
    const bin = castTo(where(ge(pos, bins), bins - 1, where(inRange, pos, 0)), 'int32', false).reshape([-1]);
    const w = castTo(inRange, 'float32', false).reshape([-1]);
    return scatterAdd(null, 0, bin, w, [bins]);
  });
}
