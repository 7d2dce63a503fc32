/** Creating tensors: from data, constants, ranges and random numbers. */
import type { Backend } from '../backend.ts';
import { allocTyped, isDType, type DType, type TypedArray } from '../dtype.ts';
import { tidy } from '../memory.ts';
import { nextRandom } from '../random.ts';
import { getBackend } from '../registry.ts';
import { checkShape, numel, shapeStr, type Shape } from '../shape.ts';
import { Tensor } from '../tensor.ts';
import { add, floor, minimum, mul } from './elementwise.ts';
import { fillP, randomP } from './primitives.ts';
import { castTo, checkFillValue, describe, empty, fillWith } from './util.ts';

/** Options of creation functions. */
export interface CreateOptions {
  /** Element type of the new tensor; each function states its default (float32 for most). */
  dtype?: DType;
  /** The backend to create on (default: the current one). */
  backend?: Backend;
  /** Make the new tensor a leaf that records operations for `backward()` (float32 only). */
  requiresGrad?: boolean;
}

/** Applies `requiresGrad` from the options; disposes `t` if that throws. */
function leaf(t: Tensor, options: CreateOptions | undefined): Tensor {
  if (options?.requiresGrad) {
    try {
      t.requiresGrad_(true);
    } catch (e) {
      t.dispose();
      throw e;
    }
  }
  return t;
}

function resolveDType(dtype: unknown, fallback: DType, op: string): DType {
  if (dtype === undefined) return fallback;
  if (!isDType(dtype)) throw new TypeError(`${op}: unknown dtype '${String(dtype)}' (expected 'float32', 'int32' or 'bool')`);
  return dtype;
}

function shapeArg(shape: Shape | number, op: string): number[] {
  const s = typeof shape === 'number' ? [shape] : [...shape];
  checkShape(s, `${op}: shape`);
  return s;
}

/** Copies host data into a new tensor. `data` is converted to `dtype`'s typed array. */
function upload(data: ArrayLike<number>, shape: Shape, dtype: DType, backend: Backend): Tensor {
  const t = empty(shape, dtype, backend);
  let host: TypedArray;
  if ((dtype === 'float32' && data instanceof Float32Array) || (dtype === 'int32' && data instanceof Int32Array) || (dtype === 'bool' && data instanceof Uint8Array)) {
    host = data;
  } else {
    host = allocTyped(dtype, data.length);
    if (dtype === 'bool') for (let i = 0; i < data.length; i++) host[i] = data[i] ? 1 : 0;
    else if (dtype === 'int32') {
      for (let i = 0; i < data.length; i++) {
        const v = data[i]!;
        if (!Number.isFinite(v)) {
          t.dispose();
          throw new RangeError(`tensor: cannot store the non-finite value ${v} in an int32 tensor`);
        }
        host[i] = Math.trunc(v);
      }
    } else host.set(data);
  }
  return fillWith(t, (v) => {
    if (host.length > 0) backend.write(v.buffer, host);
  });
}

/** Nested arrays (or a scalar) flattened, with the shape they describe. */
function flattenNested(data: unknown): { flat: Array<number | boolean>; shape: number[] } {
  const shape: number[] = [];
  let probe: unknown = data;
  while (Array.isArray(probe)) {
    shape.push(probe.length);
    probe = probe[0];
  }
  const flat: Array<number | boolean> = [];
  const walk = (v: unknown, dim: number, path: string): void => {
    if (dim === shape.length) {
      if (typeof v !== 'number' && typeof v !== 'boolean') {
        throw new TypeError(`tensor: expected a number or boolean at ${path || 'the top level'}, got ${describe(v)}`);
      }
      flat.push(v);
      return;
    }
    if (!Array.isArray(v) || v.length !== shape[dim]) {
      throw new RangeError(`tensor: ragged nested array: expected length ${shape[dim]} at ${path || 'the top level'} (shape ${shapeStr(shape)}), got ${Array.isArray(v) ? v.length : describe(v)}`);
    }
    for (let i = 0; i < v.length; i++) walk(v[i], dim + 1, `${path}[${i}]`);
  };
  walk(data, 0, '');
  return { flat, shape };
}

/**
 * A tensor from nested arrays, a number or boolean, or a typed array (then 1-D).
 * The default dtype is float32 for numbers (JavaScript has no integer type to infer int64 from,
 * unlike Python), bool for booleans, int32 for an Int32Array.
 */
export function tensor(data: unknown, options?: CreateOptions): Tensor {
  const backend = options?.backend ?? getBackend();
  if (ArrayBuffer.isView(data) && !(data instanceof DataView)) {
    const arr = data as unknown as ArrayLike<number>;
    const def: DType = data instanceof Int32Array ? 'int32' : 'float32';
    return leaf(upload(arr, [arr.length], resolveDType(options?.dtype, def, 'tensor'), backend), options);
  }
  const { flat, shape } = flattenNested(data);
  const allBool = flat.length > 0 && flat.every((v) => typeof v === 'boolean');
  const dtype = resolveDType(options?.dtype, allBool ? 'bool' : 'float32', 'tensor');
  const nums = flat.map((v) => (typeof v === 'boolean' ? (v ? 1 : 0) : v));
  return leaf(upload(nums, shape, dtype, backend), options);
}

/** A tensor of `shape` over a typed array's elements (copied). */
export function fromArray(data: TypedArray | ArrayLike<number>, shape?: Shape, options?: CreateOptions): Tensor {
  const s = shape === undefined ? [data.length] : shapeArg(shape, 'fromArray');
  if (numel(s) !== data.length) {
    throw new RangeError(`fromArray: ${data.length} elements do not fill shape ${shapeStr(s)} (${numel(s)} elements)`);
  }
  const def: DType = data instanceof Int32Array ? 'int32' : data instanceof Uint8Array ? 'bool' : 'float32';
  return leaf(upload(data, s, resolveDType(options?.dtype, def, 'fromArray'), options?.backend ?? getBackend()), options);
}

/** A tensor of `shape` filled with `value` (float32 unless `value` is boolean or `dtype` says). */
export function full(shape: Shape | number, value: number | boolean, options?: CreateOptions): Tensor {
  const s = shapeArg(shape, 'full');
  const dtype = resolveDType(options?.dtype, typeof value === 'boolean' ? 'bool' : 'float32', 'full');
  return leaf(fillP(s, dtype, checkFillValue(value, dtype, 'full'), options?.backend ?? getBackend()), options);
}

/**
 * A new tensor of `shape` filled with 0: float32 unless `options.dtype` says otherwise (PyTorch's
 * `torch.zeros`).
 */
export function zeros(shape: Shape | number, options?: CreateOptions): Tensor {
  return full(shape, 0, options);
}

/**
 * A new tensor of `shape` filled with 1: float32 unless `options.dtype` says otherwise (PyTorch's
 * `torch.ones`).
 */
export function ones(shape: Shape | number, options?: CreateOptions): Tensor {
  return full(shape, 1, options);
}

function likeOptions(t: Tensor, options?: CreateOptions): CreateOptions {
  return { dtype: options?.dtype ?? t.dtype, backend: options?.backend ?? t.backend, requiresGrad: options?.requiresGrad };
}

/**
 * Zeros with `t`'s shape, dtype and backend, each overridable in `options` (PyTorch's `torch.zeros_like`);
 * `t`'s elements are not read.
 */
export function zerosLike(t: Tensor, options?: CreateOptions): Tensor {
  return full(t.shape, 0, likeOptions(t, options));
}
/**
 * Ones with `t`'s shape, dtype and backend, each overridable in `options` (PyTorch's `torch.ones_like`);
 * `t`'s elements are not read.
 */
export function onesLike(t: Tensor, options?: CreateOptions): Tensor {
  return full(t.shape, 1, likeOptions(t, options));
}
/**
 * `value` everywhere, with `t`'s shape, dtype and backend, each overridable in `options` (PyTorch's
 * `torch.full_like`); throws a RangeError if the dtype cannot hold `value`.
 */
export function fullLike(t: Tensor, value: number | boolean, options?: CreateOptions): Tensor {
  return full(t.shape, value, likeOptions(t, options));
}

/**
 * Values from `start` (inclusive) to `end` (exclusive) by `step`; `arange(n)` is `0..n-1`.
 * int32 when all arguments are integers (PyTorch's int64), else float32.
 */
export function arange(start: number, end?: number, step = 1, options?: CreateOptions): Tensor {
  if (end === undefined) {
    end = start;
    start = 0;
  }
  for (const [v, n] of [[start, 'start'], [end, 'end'], [step, 'step']] as const) {
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new RangeError(`arange: ${n} must be a finite number, got ${String(v)}`);
  }
  if (step === 0) throw new RangeError('arange: step must be nonzero');
  if ((end - start) / step < 0) {
    throw new RangeError(`arange: upper bound and larger bound inconsistent with step sign (start ${start}, end ${end}, step ${step})`);
  }
  const ints = Number.isInteger(start) && Number.isInteger(end) && Number.isInteger(step);
  const dtype = resolveDType(options?.dtype, ints ? 'int32' : 'float32', 'arange');
  const n = Math.ceil((end - start) / step);
  const host = allocTyped(dtype, n);
  for (let i = 0; i < n; i++) host[i] = start + i * step;
  return leaf(upload(host, [n], dtype, options?.backend ?? getBackend()), options);
}

/** `steps` evenly spaced values from `start` to `end` inclusive (PyTorch's symmetric formula). */
export function linspace(start: number, end: number, steps: number, options?: CreateOptions): Tensor {
  if (!Number.isInteger(steps) || steps < 0) throw new RangeError(`linspace: number of steps must be non-negative, got ${steps}`);
  const host = new Float64Array(steps);
  if (steps === 1) host[0] = start;
  else if (steps > 1) {
    const step = (end - start) / (steps - 1);
    const half = Math.floor(steps / 2);
    for (let i = 0; i < steps; i++) host[i] = i < half ? start + step * i : end - step * (steps - 1 - i);
  }
  const dtype = resolveDType(options?.dtype, 'float32', 'linspace');
  return leaf(upload(dtype === 'float32' ? Float32Array.from(host) : host, [steps], dtype, options?.backend ?? getBackend()), options);
}

/** An `n x m` matrix with ones on the diagonal. */
export function eye(n: number, m = n, options?: CreateOptions): Tensor {
  checkShape([n, m], 'eye: size');
  const dtype = resolveDType(options?.dtype, 'float32', 'eye');
  const host = allocTyped(dtype, n * m);
  for (let i = 0; i < Math.min(n, m); i++) host[i * m + i] = 1;
  return leaf(upload(host, [n, m], dtype, options?.backend ?? getBackend()), options);
}

function randomTensor(kind: 'uniform' | 'normal', shape: Shape | number, options: CreateOptions | undefined, op: string): Tensor {
  const s = shapeArg(shape, op);
  const dtype = resolveDType(options?.dtype, 'float32', op);
  if (dtype !== 'float32') throw new TypeError(`${op}: only float32 is supported, got ${dtype}`);
  const n = numel(s);
  return leaf(randomP(s, { kind, ...nextRandom(Math.ceil(n / 4)) }, options?.backend ?? getBackend()), options);
}

/** Uniform random numbers in [0, 1), from the seeded Philox generator. */
export function rand(shape: Shape | number, options?: CreateOptions): Tensor {
  return randomTensor('uniform', shape, options, 'rand');
}

/** Standard normal random numbers, from the seeded Philox generator. */
export function randn(shape: Shape | number, options?: CreateOptions): Tensor {
  return randomTensor('normal', shape, options, 'randn');
}

/**
 * Uniform numbers in [0, 1) with `t`'s shape and backend, float32 whatever `t`'s dtype (PyTorch's
 * `torch.rand_like`); draws from the seeded Philox generator like {@link rand}.
 */
export function randLike(t: Tensor, options?: CreateOptions): Tensor {
  return rand(t.shape, likeOptions(t, { dtype: 'float32', ...options }));
}
/**
 * Standard normal numbers with `t`'s shape and backend, float32 whatever `t`'s dtype (PyTorch's
 * `torch.randn_like`); draws from the seeded Philox generator like {@link randn}.
 */
export function randnLike(t: Tensor, options?: CreateOptions): Tensor {
  return randn(t.shape, likeOptions(t, { dtype: 'float32', ...options }));
}

/** Random integers in `[low, high)` (int32 by default). */
export function randint(low: number, high: number, shape: Shape | number, options?: CreateOptions): Tensor {
  if (!Number.isInteger(low) || !Number.isInteger(high) || high <= low) {
    throw new RangeError(`randint: expected integers low < high, got low=${low}, high=${high}`);
  }
  if (high - low > 2 ** 24) throw new RangeError(`randint: the range high - low must be at most 2^24, got ${high - low}`);
  const dtype = resolveDType(options?.dtype, 'int32', 'randint');
  const backend = options?.backend ?? getBackend();
  return tidy(() => {
    const u = rand(shape, { backend });
    // floor(u * range) < range in exact arithmetic; the minimum guards float32 rounding.
    const k = minimum(floor(mul(u, high - low)), high - low - 1);
    return castTo(add(castTo(k, 'int32', false), low), dtype, true);
  });
}

