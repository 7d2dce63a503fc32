/** Creating tensors: from data, constants, ranges and random numbers. */
import type { Backend } from '../backend.ts';
import { allocTyped, isHalf, toDType, type DType, type DTypeLike, type TypedArray } from '../dtype.ts';
import { encodeHalf } from '../half.ts';
import { tidy } from '../memory.ts';
import { nextRandom } from '../random.ts';
import { getBackend } from '../registry.ts';
import { checkShape, numel, shapeStr, type Shape } from '../shape.ts';
import { Tensor } from '../tensor.ts';
import { add, floor, minimum, mul } from './elementwise.ts';
import { fillP, randomP } from './primitives.ts';
import { castTo, checkFillValue, describe, empty as alloc, fillWith } from './util.ts';
import { checkFits, checkOptions, isOptions, sizeArgs, type SizeArgs } from '../args.ts';

/** Options of creation functions. */
export interface CreateOptions {
  /**
   * Element type of the new tensor; each function states its default (float32 for most). PyTorch's
   * names work too: `'int64'`/`torch.long` (stored as int32, values outside int32 throw), `'half'`.
   */
  dtype?: DTypeLike;
  /** The backend to create on (default: the current one). */
  backend?: Backend;
  /** Make the new tensor a leaf that records operations for `backward()` (float32 only). */
  requiresGrad?: boolean;
}

const CREATE_KEYS = ['dtype', 'backend', 'requiresGrad'] as const;

/** Checks an options object's keys (`requires_grad` names `requiresGrad`) and returns it. */
function opts(op: string, options: unknown): CreateOptions | undefined {
  if (options === undefined || options === null) return undefined;
  if (!isOptions(options)) throw new TypeError(`${op}: expected an options object ({ dtype, backend, requiresGrad }), got ${describe(options)}`);
  checkOptions(op, options, CREATE_KEYS);
  return options;
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
  return toDType(dtype, op);
}

/** A host array for `n` values of `dtype`: float16/bfloat16 values are built as float32 and encoded by `upload`. */
function hostArray(dtype: DType, n: number): TypedArray {
  return allocTyped(isHalf(dtype) ? 'float32' : dtype, n);
}

function shapeArg(shape: Shape | number, op: string): number[] {
  const s = typeof shape === 'number' ? [shape] : [...shape];
  checkShape(s, `${op}: shape`);
  return s;
}

/**
 * Copies host data into a new tensor. `data` is converted to `dtype`'s typed array; integer
 * values outside int32 throw (int64 data is stored as int32), non-integers truncate toward zero
 * as in PyTorch. For float16/bfloat16 a Uint16Array is taken as the bit patterns themselves,
 * anything else as values rounded to nearest even (through float32, as PyTorch does).
 */
function upload(data: ArrayLike<number>, shape: Shape, dtype: DType, backend: Backend, op = 'tensor'): Tensor {
  const t = alloc(shape, dtype, backend);
  let host: TypedArray;
  if ((dtype === 'float32' && data instanceof Float32Array) || (dtype === 'int32' && data instanceof Int32Array) || (dtype === 'bool' && data instanceof Uint8Array)) {
    host = data;
  } else if (isHalf(dtype)) {
    host = data instanceof Uint16Array ? data : encodeHalf(dtype, data instanceof Float32Array ? data : Float32Array.from(data));
  } else {
    host = allocTyped(dtype, data.length);
    if (dtype === 'bool') for (let i = 0; i < data.length; i++) host[i] = data[i] ? 1 : 0;
    else if (dtype === 'int32') {
      for (let i = 0; i < data.length; i++) {
        const v = data[i]!;
        try {
          checkFits(op, v, dtype);
        } catch (e) {
          t.dispose();
          throw e;
        }
        host[i] = Math.trunc(v);
      }
    } else host.set(data);
  }
  return fillWith(t, (v) => {
    if (host.length > 0) backend.write(v.buffer, host);
  });
}

/** The deepest nesting `tensor()` reads; far past any real tensor's rank. */
const MAX_NESTING = 64;

/** Nested arrays (or a scalar) flattened, with the shape they describe. */
function flattenNested(data: unknown): { flat: Array<number | boolean>; shape: number[] } {
  const shape: number[] = [];
  let probe: unknown = data;
  while (Array.isArray(probe)) {
    // A self-referencing array (`a[0] = a`) would nest forever and exhaust memory.
    if (shape.length === MAX_NESTING) throw new RangeError(`tensor: nested arrays deeper than ${MAX_NESTING} levels (is an array inside itself?)`);
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
 *
 * @example
 * ```ts
 * const x = torch.tensor([[1, 2], [3, 4]]);                   // float32, as PyTorch's default
 * const i = torch.tensor([0, 2, 1], { dtype: 'int32' });
 * const b = torch.tensor([true, false]);
 * console.log(x.shape, i.dtype, b.dtype);   // [2, 2] 'int32' 'bool'
 * ```
 */
export function tensor(data: unknown, options?: CreateOptions): Tensor {
  options = opts('tensor', options);
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

/**
 * A tensor of `shape` over a typed array's elements (copied).
 *
 * @example
 * ```ts
 * const data = new Float32Array([1, 2, 3, 4, 5, 6]);
 * const x = torch.fromArray(data, [2, 3]);   // torch.from_numpy(a)
 * console.log(x.shape);   // [2, 3]
 * ```
 */
export function fromArray(data: TypedArray | ArrayLike<number>, shape?: Shape, options?: CreateOptions): Tensor {
  options = opts('fromArray', options);
  const s = shape === undefined ? [data.length] : shapeArg(shape, 'fromArray');
  if (numel(s) !== data.length) {
    throw new RangeError(`fromArray: ${data.length} elements do not fill shape ${shapeStr(s)} (${numel(s)} elements)`);
  }
  const def: DType = data instanceof Int32Array ? 'int32' : data instanceof Uint8Array ? 'bool' : 'float32';
  return leaf(upload(data, s, resolveDType(options?.dtype, def, 'fromArray'), options?.backend ?? getBackend()), options);
}

/**
 * A tensor of `shape` filled with `value` (float32 unless `value` is boolean or `dtype` says).
 *
 * @example
 * ```ts
 * console.log(await torch.full([2, 2], 7).tolist());   // [[7, 7], [7, 7]]
 * ```
 */
export function full(shape: Shape | number, value: number | boolean, options?: CreateOptions): Tensor {
  options = opts('full', options);
  const s = shapeArg(shape, 'full');
  const dtype = resolveDType(options?.dtype, typeof value === 'boolean' ? 'bool' : 'float32', 'full');
  return leaf(fillP(s, dtype, checkFillValue(value, dtype, 'full'), options?.backend ?? getBackend()), options);
}

/**
 * A new tensor filled with 0, its size given as PyTorch does (`zeros(2, 3)`) or as one list
 * (`zeros([2, 3])`), then options: float32 unless `dtype` says otherwise (PyTorch's `torch.zeros`).
 *
 * @example
 * torch.zeros(2, 3); torch.zeros([2, 3], { dtype: 'int32' });
 */
export function zeros(...size: SizeArgs<CreateOptions>): Tensor {
  const a = sizeArgs<CreateOptions>('zeros', size);
  return full(a.shape, 0, opts('zeros', a.options));
}

/**
 * A new tensor filled with 1, its size given as `ones(2, 3)` or `ones([2, 3])`, then options:
 * float32 unless `dtype` says otherwise (PyTorch's `torch.ones`).
 *
 * @example
 * ```ts
 * console.log(torch.ones(2, 3).shape, torch.ones([4], { dtype: 'int32' }).dtype);   // [2, 3] 'int32'
 * ```
 */
export function ones(...size: SizeArgs<CreateOptions>): Tensor {
  const a = sizeArgs<CreateOptions>('ones', size);
  return full(a.shape, 1, opts('ones', a.options));
}

/**
 * A new tensor of the size given (`empty(2, 3)` or `empty([2, 3])`) whose values are not to be
 * relied on (PyTorch's `torch.empty`; here they are zeros).
 *
 * @example
 * ```ts
 * const x = torch.empty(2, 3);   // contents unspecified, as PyTorch's torch.empty
 * x.fill_(0);
 * ```
 */
export function empty(...size: SizeArgs<CreateOptions>): Tensor {
  const a = sizeArgs<CreateOptions>('empty', size);
  return full(a.shape, 0, opts('empty', a.options));
}

function likeOptions(t: Tensor, options?: CreateOptions): CreateOptions {
  options = opts('like', options);
  return { dtype: options?.dtype ?? t.dtype, backend: options?.backend ?? t.backend, requiresGrad: options?.requiresGrad };
}

/**
 * Zeros with `t`'s shape, dtype and backend, each overridable in `options` (PyTorch's `torch.zeros_like`);
 * `t`'s elements are not read.
 *
 * @example
 * ```ts
 * const x = torch.randn([2, 3]);
 * console.log(torch.zerosLike(x).shape);   // [2, 3]
 * ```
 */
export function zerosLike(t: Tensor, options?: CreateOptions): Tensor {
  return full(t.shape, 0, likeOptions(t, options));
}
/**
 * Ones with `t`'s shape, dtype and backend, each overridable in `options` (PyTorch's `torch.ones_like`);
 * `t`'s elements are not read.
 *
 * @example
 * ```ts
 * const m = torch.onesLike(torch.zeros([3], { dtype: 'int32' }));
 * console.log(m.dtype);   // 'int32'
 * ```
 */
export function onesLike(t: Tensor, options?: CreateOptions): Tensor {
  return full(t.shape, 1, likeOptions(t, options));
}
/**
 * `value` everywhere, with `t`'s shape, dtype and backend, each overridable in `options` (PyTorch's
 * `torch.full_like`); throws a RangeError if the dtype cannot hold `value`.
 *
 * @example
 * ```ts
 * console.log(await torch.fullLike(torch.zeros([2]), -1).tolist());   // [-1, -1]
 * ```
 */
export function fullLike(t: Tensor, value: number | boolean, options?: CreateOptions): Tensor {
  return full(t.shape, value, likeOptions(t, options));
}

/**
 * Values from `start` (inclusive) to `end` (exclusive) by `step`; `arange(n)` is `0..n-1`.
 * int32 when all arguments are integers (PyTorch's int64), else float32. Options come last
 * (`arange(5, { dtype: 'float32' })`); values an integer dtype cannot hold throw a RangeError.
 *
 * @example
 * ```ts
 * console.log(await torch.arange(5).tolist());         // [0, 1, 2, 3, 4]
 * console.log(await torch.arange(0, 10, 3).tolist());   // [0, 3, 6, 9]
 * ```
 */
export function arange(...args: ArangeArgs): Tensor {
  let n = args.length;
  while (n > 0 && args[n - 1] === undefined) n--;
  const options = n > 0 && isOptions(args[n - 1]) ? opts('arange', args[--n]) : undefined;
  if (n < 1 || n > 3) throw new TypeError(`arange: expected (end), (start, end) or (start, end, step), then options; got ${n} numbers`);
  const nums = args.slice(0, n) as unknown[];
  let [start, end, step] = (n === 1 ? [0, nums[0], 1] : [nums[0], nums[1], nums[2] ?? 1]) as [number, number, number];
  for (const [v, name] of [[start, 'start'], [end, 'end'], [step, 'step']] as const) {
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new RangeError(`arange: ${name} must be a finite number, got ${String(v)}`);
  }
  if (step === 0) throw new RangeError('arange: step must be nonzero');
  if ((end - start) / step < 0) {
    throw new RangeError(`arange: upper bound and larger bound inconsistent with step sign (start ${start}, end ${end}, step ${step})`);
  }
  const ints = Number.isInteger(start) && Number.isInteger(end) && Number.isInteger(step);
  const dtype = resolveDType(options?.dtype, ints ? 'int32' : 'float32', 'arange');
  const count = Math.ceil((end - start) / step);
  if (count > 0) {
    checkFits('arange', start, dtype);
    checkFits('arange', start + (count - 1) * step, dtype);
  }
  const host = hostArray(dtype, count);
  for (let i = 0; i < count; i++) host[i] = start + i * step;
  return leaf(upload(host, [count], dtype, options?.backend ?? getBackend(), 'arange'), options);
}

/** arange's arguments: `(end)`, `(start, end)` or `(start, end, step)`, each optionally followed by options. */
export type ArangeArgs =
  | [end: number, options?: CreateOptions]
  | [start: number, end: number, options?: CreateOptions]
  | [start: number, end: number, step: number, options?: CreateOptions];

/**
 * `steps` evenly spaced values from `start` to `end` inclusive (PyTorch's symmetric formula).
 *
 * @example
 * ```ts
 * console.log(await torch.linspace(0, 1, 5).tolist());   // [0, 0.25, 0.5, 0.75, 1]
 * ```
 */
export function linspace(start: number, end: number, steps: number, options?: CreateOptions): Tensor {
  if (!Number.isInteger(steps) || steps < 0) throw new RangeError(`linspace: number of steps must be non-negative, got ${steps}`);
  const dtype = resolveDType(options?.dtype, 'float32', 'linspace');
  const backend = options?.backend ?? getBackend();
  // The tensor first: a size the backend cannot hold fails here with its error, before host
  // memory of 8 bytes a step is touched (linspace(0, 1, 2**31) filled 16 GB and was killed).
  alloc([steps], dtype, backend).dispose();
  const host = dtype === 'float32' ? new Float32Array(steps) : new Float64Array(steps);
  if (steps === 1) host[0] = start;
  else if (steps > 1) {
    const step = (end - start) / (steps - 1);
    const half = Math.floor(steps / 2);
    for (let i = 0; i < steps; i++) host[i] = i < half ? start + step * i : end - step * (steps - 1 - i);
  }
  return leaf(upload(host, [steps], dtype, backend, 'linspace'), options);
}

/**
 * An `n x m` matrix with ones on the diagonal.
 *
 * @example
 * ```ts
 * console.log(await torch.eye(2).tolist());   // [[1, 0], [0, 1]]
 * ```
 */
export function eye(n: number, m = n, options?: CreateOptions): Tensor {
  checkShape([n, m], 'eye: size');
  const dtype = resolveDType(options?.dtype, 'float32', 'eye');
  const host = hostArray(dtype, n * m);
  for (let i = 0; i < Math.min(n, m); i++) host[i * m + i] = 1;
  return leaf(upload(host, [n, m], dtype, options?.backend ?? getBackend()), options);
}

function randomTensor(kind: 'uniform' | 'normal', shape: Shape | number, options: CreateOptions | undefined, op: string): Tensor {
  options = opts(op, options);
  const s = shapeArg(shape, op);
  const dtype = resolveDType(options?.dtype, 'float32', op);
  if (dtype !== 'float32' && !isHalf(dtype)) throw new TypeError(`${op}: expected a float dtype (float32, float16, bfloat16), got ${dtype}`);
  const n = numel(s);
  const r = randomP(s, { kind, ...nextRandom(Math.ceil(n / 4)) }, options?.backend ?? getBackend());
  // float16/bfloat16: the float32 numbers rounded, so a seed gives the same values in every dtype
  if (dtype === 'float32') return leaf(r, options);
  try {
    return leaf(castTo(r, dtype, false), options);
  } finally {
    r.dispose();
  }
}

/**
 * Uniform random numbers in [0, 1), size as `rand(2, 3)` or `rand([2, 3])`, from the seeded Philox generator.
 *
 * @example
 * ```ts
 * torch.manualSeed(0);
 * const u = torch.rand(2, 3);   // U[0, 1), from the seeded Philox generator
 * console.log(u.shape);   // [2, 3]
 * ```
 */
export function rand(...size: SizeArgs<CreateOptions>): Tensor {
  const a = sizeArgs<CreateOptions>('rand', size);
  return randomTensor('uniform', a.shape, a.options, 'rand');
}

/**
 * Standard normal random numbers, size as `randn(2, 3)` or `randn([2, 3])`, from the seeded Philox
 * generator.
 *
 * @example
 * torch.randn(64, 784, { requiresGrad: true });
 */
export function randn(...size: SizeArgs<CreateOptions>): Tensor {
  const a = sizeArgs<CreateOptions>('randn', size);
  return randomTensor('normal', a.shape, a.options, 'randn');
}

/**
 * Uniform numbers in [0, 1) with `t`'s shape and backend, float32 whatever `t`'s dtype (PyTorch's
 * `torch.rand_like`); draws from the seeded Philox generator like {@link rand}.
 *
 * @example
 * ```ts
 * const noise = torch.randLike(torch.zeros([4, 4]));
 * ```
 */
export function randLike(t: Tensor, options?: CreateOptions): Tensor {
  return rand(t.shape, likeOptions(t, { dtype: 'float32', ...options }));
}
/**
 * Standard normal numbers with `t`'s shape and backend, float32 whatever `t`'s dtype (PyTorch's
 * `torch.randn_like`); draws from the seeded Philox generator like {@link randn}.
 *
 * @example
 * ```ts
 * const x = torch.zeros([4, 4]);
 * const noisy = x.add(torch.randnLike(x).mul(0.1));
 * ```
 */
export function randnLike(t: Tensor, options?: CreateOptions): Tensor {
  return randn(t.shape, likeOptions(t, { dtype: 'float32', ...options }));
}

/**
 * Random integers in `[low, high)` (int32 by default): `randint(low, high, size)` or, as in PyTorch,
 * `randint(high, size)` with `low` 0.
 *
 * @example
 * torch.randint(0, 10, [64]); torch.randint(10, [64]);
 */
export function randint(high: number, shape: Shape, options?: CreateOptions): Tensor;
export function randint(low: number, high: number, shape: Shape | number, options?: CreateOptions): Tensor;
export function randint(low: number, high: number | Shape, shape?: Shape | number | CreateOptions, options?: CreateOptions): Tensor {
  if (Array.isArray(high)) return randint(0, low, high as Shape, shape as CreateOptions | undefined);
  if (typeof high !== 'number') throw new TypeError(`randint: expected (low, high, size) or (high, size), got high=${describe(high)}`);
  options = opts('randint', options);
  if (shape === undefined || isOptions(shape)) throw new TypeError('randint: missing the size argument, e.g. randint(0, 10, [64])');
  if (!Number.isInteger(low) || !Number.isInteger(high) || high <= low) {
    throw new RangeError(`randint: expected integers low < high, got low=${low}, high=${high}`);
  }
  if (high - low > 2 ** 24) throw new RangeError(`randint: the range high - low must be at most 2^24, got ${high - low}`);
  const dtype = resolveDType(options?.dtype, 'int32', 'randint');
  const backend = options?.backend ?? getBackend();
  return tidy(() => {
    const u = rand(shape as Shape | number, { backend });
    // floor(u * range) < range in exact arithmetic; the minimum guards float32 rounding.
    const k = minimum(floor(mul(u, high - low)), high - low - 1);
    return castTo(add(castTo(k, 'int32', false), low), dtype, true);
  });
}

