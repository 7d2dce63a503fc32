import type { Backend, UnaryOp, View } from './backend.ts';
import { isFloat, toDType, type DType, type DTypeLike, type TypedArray } from './dtype.ts';
import { setTensorCheck, trackTensor, untrackTensor } from './memory.ts';
import { isContiguous, normalizeDim, numel, shapeStr, type Shape } from './shape.ts';
import { stats, type Storage } from './storage.ts';
import { formatTensor } from './format.ts';
import { ReadPromise } from './read-promise.ts';
import type { NanToNumOptions } from './ops/math.ts';
import * as ew from './ops/elementwise.ts';
import * as act from './ops/activation.ts';
import * as red from './ops/reduce.ts';
import * as vw from './ops/view.ts';
import * as cmb from './ops/combine.ts';
import * as idx from './ops/indexing.ts';
import * as la from './ops/linalg.ts';
import * as srt from './ops/sort.ts';
import * as scn from './ops/scan.ts';
import * as nrm from './ops/norm.ts';
import * as arr from './ops/arrange.ts';
import * as ix from './ops/index-at.ts';
import { castTo, contiguous, readView, readViewSync } from './ops/util.ts';
import { getAutogradHook, type BackwardOptions } from './grad-hook.ts';
import type { DimOnly, DimOption, PosArgs, ReduceOptions } from './args.ts';

export type { ReduceOptions };
import type { MaxResult } from './ops/reduce.ts';
import { freedByStepMessage, type StepScope } from './step-scope.ts';

/**
 * What core knows of an autograd graph node: its name, and a reference count. Each tensor whose
 * `gradFn` it is and each later node that takes its output holds one reference; when the last
 * goes (the tensors disposed), the node frees the tensors it saved for backward at once, as
 * PyTorch frees a graph nobody refers to, instead of waiting for the garbage collector.
 */
export interface GradFn {
  /** The node's name, for debugging and error messages (`MulBackward`). */
  readonly name: string;
  /** @internal One more tensor or node refers to this node. */
  retain(): void;
  /** @internal Undoes one `retain()`; the last frees the node's saved tensors. */
  drop(): void;
}

/** A tensor, a number, or (for logical ops) a boolean. */
export type TensorLike = Tensor | number | boolean;

/** Nested arrays as returned by `tolist()`. */
export type NestedArray = number | boolean | NestedArray[];

const finalizer = new FinalizationRegistry<Storage>((storage) => {
  stats.tensors--;
  storage.release();
});


/** Accepts `f([2, 3])` and `f(2, 3)`. */
function dimsArg(args: ReadonlyArray<number | readonly number[]>): number[] {
  if (args.length === 1 && Array.isArray(args[0])) return [...(args[0] as readonly number[])];
  return args as number[];
}

/** The unary ops whose Tensor method is written out in the class below (with its own doc comment). */
type HandWrittenUnary =
  | 'neg' | 'abs' | 'sign' | 'exp' | 'log' | 'sqrt' | 'rsqrt' | 'sin' | 'cos' | 'tanh' | 'sigmoid' | 'erf'
  | 'log1p' | 'expm1' | 'reciprocal' | 'floor' | 'ceil' | 'round' | 'relu' | 'logicalNot';

/** One method per unary op of the op table (`x.tan()`), installed by ops/math.ts, where the functions are. */
export interface Tensor extends Readonly<Record<Exclude<UnaryOp, HandWrittenUnary>, () => Tensor>> {
  /** `torch.atan2`(this, other). */
  atan2(other: TensorLike): Tensor;
  /** `torch.hypot`(this, other). */
  hypot(other: TensorLike): Tensor;
  /** `torch.fmod`(this, other). */
  fmod(other: TensorLike): Tensor;
  /** `torch.floorDivide`(this, other). */
  floorDivide(other: TensorLike): Tensor;
  /** `torch.frac`(this). */
  frac(): Tensor;
  /** `torch.isnan`(this). */
  isnan(): Tensor;
  /** `torch.isinf`(this). */
  isinf(): Tensor;
  /** `torch.isfinite`(this). */
  isfinite(): Tensor;
  /** `torch.signbit`(this). */
  signbit(): Tensor;
  /** `torch.nanToNum`(this, ...). */
  nanToNum(...args: [(number | NanToNumOptions)?, (number | null)?, (number | null)?, NanToNumOptions?]): Tensor;
  /** `torch.logaddexp`(this, other). */
  logaddexp(other: TensorLike): Tensor;
  /** `torch.lerp`(this, end, weight). */
  lerp(end: TensorLike, weight: TensorLike): Tensor;
}

/**
 * An n-dimensional array on a backend.
 *
 * Memory: a tensor views a reference-counted backend buffer. Views (reshape, permute, slice, ...)
 * share the buffer; the buffer is freed when every tensor viewing it has been disposed
 * (`dispose()`, `tidy`, `using`) or garbage-collected (a FinalizationRegistry safety net that
 * may run late or never: dispose explicitly in loops). Using a disposed tensor throws.
 *
 * Readback is asynchronous (`data()`, `item()`, `tolist()`); `dataSync()` works on backends
 * that can read synchronously (wasm).
 *
 * @example
 * ```ts
 * const x = torch.tensor([[1, 2], [3, 4]], { requiresGrad: true });
 * console.log(x.shape, x.dtype, x.ndim, x.numel());   // [2, 2] 'float32' 2 4
 * const y = x.matmul(x).relu().sum();
 * y.backward();
 * console.log(await x.grad!.tolist());   // [[7, 11], [9, 13]]
 * console.log(x.toString());             // tensor([[1., 2.], [3., 4.]], requires_grad=True)
 * ```
 */
export class Tensor {
  /** Size of each dim (frozen); `[]` for a 0-d tensor. */
  readonly shape: readonly number[];
  /**
   * Elements (not bytes) to step in the buffer per index of each dim: 0 on broadcast dims, negative on
   * flipped ones.
   */
  readonly strides: readonly number[];
  /** Element offset of the first element in the buffer. */
  readonly offset: number;
  /**
   * Element type, `'float32'`, `'int32'` or `'bool'`; fixed for the tensor's life (`to()` makes a
   * converted copy).
   */
  readonly dtype: DType;
  /** @internal The reference-counted backend buffer, shared with every view of it. */
  readonly storage: Storage;
  #disposed = false;
  #requiresGrad = false;
  /**
   * The gradient that `backward()` accumulated into this tensor (leaves that require grad, and
   * tensors that called `retainGrad()`), or null. Owned by this tensor: disposed with it, and
   * replaced (the old one disposed) when gradients accumulate. Set it to null to drop it.
   */
  grad: Tensor | null = null;
  /** @internal The autograd node that produced this tensor, or null for a leaf. */
  gradFn: GradFn | null = null;
  /** @internal Set by retainGrad(). */
  retainsGrad = false;
  /** @internal The step scope this tensor belongs to (see step-scope.ts), or null. */
  stepScope: StepScope | null = null;
  /** Whether this tensor holds a counted reference to `gradFn` (see setGradFn_). */
  #countsGradFn = false;

  /**
   * @internal Wraps a storage. The new tensor takes one reference to `storage` (the caller
   * either allocated it or called `retain()`). Users create tensors with the creation functions.
   */
  constructor(storage: Storage, shape: Shape, strides: readonly number[], offset: number, dtype: DType) {
    this.storage = storage;
    this.shape = Object.freeze([...shape]);
    this.strides = Object.freeze([...strides]);
    this.offset = offset;
    this.dtype = dtype;
    stats.tensors++;
    finalizer.register(this, storage, this);
    trackTensor(this);
  }

  /** The backend holding this tensor's buffer. */
  get backend(): Backend {
    return this.storage.backend;
  }

  /** Number of dims, `shape.length` (0 for a scalar tensor). */
  get ndim(): number {
    return this.shape.length;
  }

  /** True after `dispose()`, or once `removeBackendInstance` destroyed the backend holding its buffer. */
  get isDisposed(): boolean {
    return this.#disposed || this.storage.orphaned;
  }

  /** Number of elements: the product of `shape` (1 for a 0-d tensor, 0 when a dim is 0). */
  numel(): number {
    return numel(this.shape);
  }

  /** The size of one dimension, or the whole shape. */
  size(): number[];
  size(dim: number): number;
  size(dim?: number): number | number[] {
    if (dim === undefined) return [...this.shape];
    return this.shape[normalizeDim(dim, this.ndim)] ?? 1;
  }

  /** Row-major contiguous layout (views after transpose/expand/flip usually are not). */
  isContiguous(): boolean {
    return isContiguous(this.shape, this.strides);
  }

  /** @internal The strided view the backend sees; throws on a disposed tensor. */
  view_(): View {
    if (this.storage.orphaned) {
      throw new Error(
        `Tensor of shape ${shapeStr(this.shape)} (${this.dtype}) lived on the '${this.storage.backend.name}' backend instance, ` +
          `which was removed (removeBackendInstance(), or a lost GPU device); its data is gone. Create it again on the current backend.`,
      );
    }
    if (this.#disposed) {
      throw new Error(
        freedByStepMessage(this) ??
        `Tensor of shape ${shapeStr(this.shape)} (${this.dtype}) was disposed; it cannot be used after dispose() ` +
          `or outside the tidy() that created it. Use keep() or return it from tidy() to keep it.`,
      );
    }
    return { buffer: this.storage.buffer, dtype: this.dtype, shape: this.shape, strides: this.strides, offset: this.offset };
  }

  // ---- autograd (the engine lives in @torchlet/autograd) ----

  /**
   * Whether operations on this tensor are recorded for `backward()`. Only float32 tensors can
   * require gradients, and only leaves (tensors not computed from others that require grad)
   * can change the flag.
   */
  get requiresGrad(): boolean {
    return this.#requiresGrad;
  }
  /**
   * Same as `requiresGrad_(value)`: throws on a non-leaf, and a TypeError when setting true on a
   * non-float32 tensor.
   */
  set requiresGrad(value: boolean) {
    this.requiresGrad_(value);
  }

  /** Sets `requiresGrad` in place (PyTorch's `requires_grad_()`); returns this. */
  requiresGrad_(value = true): this {
    if (this.gradFn !== null) {
      throw new Error(
        'you can only change requiresGrad flags of leaf tensors. To use a computed tensor as a new leaf, use detach().requiresGrad_()',
      );
    }
    if (value && !isFloat(this.dtype)) {
      throw new TypeError(`only tensors of floating point dtype can require gradients, got ${this.dtype}`);
    }
    this.#requiresGrad = value;
    return this;
  }

  /**
   * @internal Autograd marks the output of a recorded op. `counted` false for the views a node
   * saves for itself: a node owns those, so they must not keep it alive.
   */
  setGradFn_(node: GradFn, counted = true): void {
    if (counted) node.retain();
    this.#dropGradFn();
    this.gradFn = node;
    this.#countsGradFn = counted;
    this.#requiresGrad = true;
  }

  #dropGradFn(): void {
    const prev = this.gradFn;
    this.gradFn = null;
    if (prev && this.#countsGradFn) prev.drop();
    this.#countsGradFn = false;
  }

  /** True for tensors not produced by a recorded op (inputs, parameters, detached tensors). */
  get isLeaf(): boolean {
    return this.gradFn === null;
  }

  /** Keeps `grad` for this non-leaf tensor after backward (PyTorch's `retain_grad()`). */
  retainGrad(): this {
    if (!this.#requiresGrad) throw new Error("can't retain_grad on a Tensor that has requiresGrad=false");
    this.retainsGrad = true;
    return this;
  }

  /**
   * Computes gradients of this tensor with respect to the leaves that require them and adds
   * them to their `.grad`. A non-scalar tensor needs `gradient` (the cotangent, same shape).
   * Frees the graph's saved tensors unless `retainGraph`. Synchronous: work is queued on the
   * backend like any op. Needs `@torchlet/autograd` (the `torchlet` package loads it).
   */
  backward(gradient?: Tensor, options: BackwardOptions = {}): void {
    const hook = getAutogradHook();
    if (!hook) {
      throw new Error("backward(): autograd is not loaded. Import '@torchlet/autograd' (the 'torchlet' package imports it for you).");
    }
    hook.backward(this, gradient, options);
  }

  /** Releases this tensor's reference to its buffer (and its `.grad`). Idempotent. */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#dropGradFn();
    if (this.grad) {
      this.grad.dispose();
      this.grad = null;
    }
    finalizer.unregister(this);
    untrackTensor(this);
    stats.tensors--;
    this.storage.release();
  }

  /**
   * @internal Makes this leaf view `src`'s elements, dtype and layout (PyTorch's `param.data = src`):
   * the same object, so modules and optimizers holding it see the change. Takes a reference to
   * `src`'s buffer and releases this tensor's old one; `src` stays the caller's. `.grad` is left
   * as it is (the caller converts it). Used by `Module.to(dtype)`.
   */
  setData_(src: Tensor): void {
    this.view_();
    src.view_();
    if (this.gradFn !== null) throw new Error('setData_: only a leaf tensor can have its data replaced');
    if (this.#requiresGrad && !isFloat(src.dtype)) throw new TypeError(`setData_: a tensor that requires grad cannot take ${src.dtype} data`);
    src.storage.retain();
    const old = this.storage;
    const w = this as unknown as { storage: Storage; shape: Shape; strides: readonly number[]; offset: number; dtype: DType };
    w.storage = src.storage;
    w.shape = Object.freeze([...src.shape]);
    w.strides = Object.freeze([...src.strides]);
    w.offset = src.offset;
    w.dtype = src.dtype;
    finalizer.unregister(this);
    finalizer.register(this, src.storage, this);
    old.release();
  }

  /** Calls `dispose()`, so `using t = ...` releases the tensor when the block exits. */
  [Symbol.dispose](): void {
    this.dispose();
  }

  // ---- readback ----

  /**
   * A contiguous host copy of the elements, after all queued work has run. Await it: the
   * {@link ReadPromise} throws when used as a number or string without `await`.
   */
  data(): ReadPromise<TypedArray> {
    return ReadPromise.of('data', readView(this));
  }

  /** Synchronous `data()`; throws on backends that cannot read synchronously (WebGPU). */
  dataSync(): TypedArray {
    return readViewSync(this);
  }

  /**
   * The value of a one-element tensor as a number (PyTorch's `item()`); a bool tensor gives 1 or
   * 0 so that the type stays `number` (`tolist()` gives booleans). Await it: `total += await
   * loss.item()`; used without `await` in arithmetic or a string, the {@link ReadPromise} throws a
   * TypeError instead of giving `"0[object Promise]"`.
   *
   * @example
   * let total = 0;
   * total += await loss.item();
   */
  item(): ReadPromise<number> {
    if (this.numel() !== 1) {
      throw new RangeError(`a Tensor with ${this.numel()} elements cannot be converted to a scalar (shape ${shapeStr(this.shape)})`);
    }
    return ReadPromise.of('item', readView(this).then((d) => d[0]!));
  }

  /** Nested arrays of numbers (booleans for bool tensors), like PyTorch's `tolist()`; await it. */
  tolist(): ReadPromise<NestedArray> {
    return ReadPromise.of('tolist', readView(this).then((d) => nest(d, this.shape, this.dtype === 'bool')));
  }

  /**
   * PyTorch-style print: `tensor([[1.0000, 2.0000]], requires_grad=True)`, with `grad_fn=<...>` on
   * computed tensors, `dtype=torch.X` for dtypes other than float32, int32 (PyTorch's int64 here)
   * and bool, and PyTorch's summary (`...`) past 1000 elements. Reads synchronously where the
   * backend can; on WebGPU it says to `await data()`. `console.log(t)`, Node's `util.inspect` and
   * `Deno.inspect` print the same.
   */
  toString(): string {
    const extras: string[] = [];
    if (!['float32', 'int32', 'bool'].includes(this.dtype)) extras.push(`dtype=torch.${this.dtype}`);
    // PyTorch numbers its backward nodes by overload (`MulBackward0`); the first is the usual one.
    if (this.gradFn) extras.push(`grad_fn=<${this.gradFn.name}0>`);
    else if (this.#requiresGrad) extras.push('requires_grad=True');
    if (this.#disposed) return `tensor(<disposed>, shape=${shapeStr(this.shape)}, dtype=${this.dtype})`;
    if (!this.backend.readSync) return `tensor(<on ${this.backend.name}: await data()>, shape=${shapeStr(this.shape)}, dtype=${this.dtype})`;
    return formatTensor(this.dataSync(), this.shape, this.dtype, extras);
  }

  /** Node's `console.log` / `util.inspect` print {@link toString}'s PyTorch form, not the fields. */
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString();
  }

  /** Deno's `console.log` / `Deno.inspect` print {@link toString}'s PyTorch form. */
  [Symbol.for('Deno.customInspect')](): string {
    return this.toString();
  }

  // ---- dtype ----

  /**
   * A copy converted to `dtype` (PyTorch's names work too: `'int64'`/`torch.long` give int32,
   * `'half'` float16); when it already has that dtype, a new tensor over the same buffer (no copy).
   * float -> float16/bfloat16 rounds to nearest even, as PyTorch. An unknown dtype or float64 throws.
   *
   * @example
   * const h = torch.randn([2, 3]).to('bfloat16');   // 2 bytes per element
   * const back = h.to(torch.float32);              // exact: every bfloat16 is a float32
   */
  to(dtype: DTypeLike): Tensor {
    return castTo(this, toDType(dtype, 'to'), true);
  }
  /** `to('float16')` (PyTorch's `half()`): IEEE half precision storage, rounded to nearest even. */
  half(): Tensor {
    return this.to('float16');
  }
  /** `to('bfloat16')` (PyTorch's `bfloat16()`): bfloat16 storage, rounded to nearest even. */
  bfloat16(): Tensor {
    return this.to('bfloat16');
  }
  /**
   * `to('int32')` under PyTorch's name for int64 (stored as int32): floats truncate toward zero
   * (NaN gives 0, values beyond int32 saturate), bools give 0/1.
   */
  long(): Tensor {
    return this.to('int32');
  }
  /** `to('float32')`: a float32 copy the caller owns (a new reference to this buffer when already float32). */
  float(): Tensor {
    return this.to('float32');
  }
  /**
   * `to('int32')`: floats truncate toward zero (NaN gives 0, out-of-range values saturate), bools give
   * 0/1.
   */
  int(): Tensor {
    return this.to('int32');
  }
  /** `to('bool')`: true where an element is nonzero (NaN included). */
  bool(): Tensor {
    return this.to('bool');
  }

  // ---- views (never copy) ----

  /**
   * Same elements in a new shape, given as `reshape(2, 3)` or `reshape([2, 3])`, one dim may be -1: a view
   * when the strides allow, else a copy ({@link vw.reshape | reshape}).
   */
  reshape(...shape: Array<number | readonly number[]>): Tensor {
    return vw.reshape(this, dimsArg(shape));
  }
  /**
   * Like `reshape` but never copies: throws a RangeError when the strides allow no view
   * ({@link vw.view | view}).
   */
  view(...shape: Array<number | readonly number[]>): Tensor {
    return vw.view(this, dimsArg(shape));
  }
  /**
   * Reorders the dims, given as `permute(2, 0, 1)` or `permute([2, 0, 1])`; a view
   * ({@link vw.permute | permute}).
   */
  permute(...dims: Array<number | readonly number[]>): Tensor {
    return vw.permute(this, dimsArg(dims));
  }
  /** Swaps dims `dim0` and `dim1`; a view ({@link vw.transpose | transpose}). */
  transpose(...args: PosArgs<vw.TransposeOptions, ['dim0', 'dim1']>): Tensor {
    return vw.transpose(this, ...args);
  }
  /** Transpose of a tensor with at most 2 dims. */
  t(): Tensor {
    return vw.t(this);
  }
  /** Inserts a size-1 dim at `dim` (`-1` appends one); a view ({@link vw.unsqueeze | unsqueeze}). */
  unsqueeze(...args: PosArgs<DimOnly, ['dim']>): Tensor {
    return vw.unsqueeze(this, ...args);
  }
  /**
   * Removes size-1 dims: all of them, or those in `dim` (a listed dim of another size stays); a view
   * ({@link vw.squeeze | squeeze}).
   */
  squeeze(...args: [dim?: number | readonly number[] | null | vw.SqueezeOptions]): Tensor {
    return vw.squeeze(this, ...args);
  }
  /**
   * Broadcasts size-1 dims to `size` (-1 keeps a dim; new leading dims allowed) with stride 0: a view, no
   * copy, so in-place writes to it throw ({@link vw.expand | expand}).
   */
  expand(...size: Array<number | readonly number[]>): Tensor {
    return vw.expand(this, dimsArg(size));
  }
  /** `expand(...other.shape)`: a broadcast view with `other`'s shape. */
  expandAs(other: Tensor): Tensor {
    return vw.expand(this, [...other.shape]);
  }
  /**
   * `length` elements of `dim` from `start` (negative counts from the end); a view
   * ({@link vw.narrow | narrow}).
   */
  narrow(...args: PosArgs<vw.NarrowOptions, ['dim', 'start', 'length']>): Tensor {
    return vw.narrow(this, ...args);
  }
  /** `x[..., start:end:step]` on `dim` with Python's slice semantics (`null` = open end). */
  slice(dim: number, start?: number | null, end?: number | null, step?: number): Tensor {
    return vw.slice(this, dim, start, end, step);
  }
  /**
   * The slice at `index` of `dim`, with that dim removed (`x[..., index]`); a view
   * ({@link vw.select | select}).
   */
  select(...args: PosArgs<vw.SelectOptions, ['dim', 'index']>): Tensor {
    return vw.select(this, ...args);
  }
  /**
   * Reverses the element order along `dims` with negative strides: a view, where PyTorch's `flip` copies
   * ({@link vw.flip | flip}).
   */
  flip(...dims: Array<number | readonly number[]>): Tensor {
    return vw.flip(this, dimsArg(dims));
  }
  /**
   * Merges dims `startDim..endDim` (inclusive) into one; a view when the strides allow, else a copy
   * ({@link vw.flatten | flatten}).
   */
  flatten(...args: PosArgs<vw.FlattenOptions, ['startDim', 'endDim']>): Tensor {
    return vw.flatten(this, ...args);
  }
  /** Sliding windows of `size`, `step` apart, along `dim`, as a new last dim (a view). */
  unfold(dim: number, size: number, step: number): Tensor {
    return vw.unfold(this, dim, size, step);
  }
  /** Splits `dim` into `sizes` (one may be -1); a view ({@link vw.unflatten | unflatten}). */
  unflatten(...args: PosArgs<vw.UnflattenOptions, ['dim', 'sizes']>): Tensor {
    return vw.unflatten(this, ...args);
  }
  /** This tensor if already contiguous (a new reference), else a contiguous copy. */
  contiguous(): Tensor {
    return contiguous(this);
  }
  /**
   * A new tensor sharing this one's elements but outside any autograd graph: gradients do not
   * flow through it. (A view: no copy.)
   */
  detach(): Tensor {
    return vw.detach(this);
  }
  /** A contiguous copy that owns its own buffer. */
  clone(): Tensor {
    return vw.clone(this);
  }
  /**
   * Views of consecutive pieces along `dim`, each `splitSizeOrSections` long (the last may be shorter) or
   * of the listed lengths; the caller disposes each piece ({@link cmb.split | split}).
   */
  split(splitSizeOrSections: number | readonly number[], ...dim: [dim?: DimOption]): Tensor[] {
    return cmb.split(this, splitSizeOrSections, ...dim);
  }
  /**
   * `chunks` views of `ceil(n / chunks)` elements along `dim`, fewer when they run out, as in PyTorch
   * ({@link cmb.chunk | chunk}).
   */
  chunk(chunks: number, ...dim: [dim?: DimOption]): Tensor[] {
    return cmb.chunk(this, chunks, ...dim);
  }
  /** The slices along `dim`, each a view with that dim removed ({@link cmb.unbind | unbind}). */
  unbind(...dim: [dim?: DimOption]): Tensor[] {
    return cmb.unbind(this, ...dim);
  }
  /**
   * Tiles the tensor `sizes[i]` times along dim `i` (extra leading sizes add dims); a copy, as PyTorch's
   * `repeat` ({@link cmb.repeat | repeat}).
   */
  repeat(...sizes: Array<number | readonly number[]>): Tensor {
    return cmb.repeat(this, dimsArg(sizes));
  }

  // ---- element-wise ----

  /** `-x` ({@link ew.neg | neg}); throws a TypeError on bool (use `logicalNot`). */
  neg(): Tensor { return ew.neg(this); }
  /** `|x|` ({@link ew.abs | abs}); float32 and int32 keep their dtype, bool computes as int32. */
  abs(): Tensor { return ew.abs(this); }
  /** -1, 0 or 1 by each element's sign ({@link ew.sign | sign}); bool computes as int32. */
  sign(): Tensor { return ew.sign(this); }
  /** `e^x` ({@link ew.exp | exp}); float32 result (integer and bool inputs are converted). */
  exp(): Tensor { return ew.exp(this); }
  /** Natural logarithm ({@link ew.log | log}); float32 result, `-Infinity` at 0 and NaN below. */
  log(): Tensor { return ew.log(this); }
  /** Square root ({@link ew.sqrt | sqrt}); float32 result, NaN below 0. */
  sqrt(): Tensor { return ew.sqrt(this); }
  /** `1 / sqrt(x)` ({@link ew.rsqrt | rsqrt}); float32 result. */
  rsqrt(): Tensor { return ew.rsqrt(this); }
  /** Sine of radians ({@link ew.sin | sin}); float32 result. */
  sin(): Tensor { return ew.sin(this); }
  /** Cosine of radians ({@link ew.cos | cos}); float32 result. */
  cos(): Tensor { return ew.cos(this); }
  /** Hyperbolic tangent ({@link ew.tanh | tanh}); float32 result. */
  tanh(): Tensor { return ew.tanh(this); }
  /** `1 / (1 + exp(-x))` ({@link ew.sigmoid | sigmoid}); float32 result. */
  sigmoid(): Tensor { return ew.sigmoid(this); }
  /** The Gauss error function ({@link ew.erf | erf}); float32 result. */
  erf(): Tensor { return ew.erf(this); }
  /** `log(1 + x)`, accurate near 0 ({@link ew.log1p | log1p}); float32 result. */
  log1p(): Tensor { return ew.log1p(this); }
  /** `exp(x) - 1`, accurate near 0 ({@link ew.expm1 | expm1}); float32 result. */
  expm1(): Tensor { return ew.expm1(this); }
  /** `1 / x` ({@link ew.reciprocal | reciprocal}); float32 result, so integers do not truncate. */
  reciprocal(): Tensor { return ew.reciprocal(this); }
  /** Rounds down ({@link ew.floor | floor}); the identity on int32. */
  floor(): Tensor { return ew.floor(this); }
  /** Rounds up ({@link ew.ceil | ceil}); the identity on int32. */
  ceil(): Tensor { return ew.ceil(this); }
  /** Rounds half to even, as PyTorch ({@link ew.round | round}); the identity on int32. */
  round(): Tensor { return ew.round(this); }
  /** `x * x` ({@link ew.square | square}); bool computes as int32. */
  square(): Tensor { return ew.square(this); }
  /** `max(x, 0)` ({@link act.relu | relu}); float32 and int32 keep their dtype. */
  relu(): Tensor { return act.relu(this); }
  /**
   * GELU: exact (with erf), or the tanh approximation with `approximate: 'tanh'`
   * ({@link act.gelu | gelu}).
   */
  gelu(options?: act.GeluOptions): Tensor { return act.gelu(this, options); }
  /** SiLU (swish), `x * sigmoid(x)` ({@link act.silu | silu}). */
  silu(): Tensor { return act.silu(this); }
  /** `x` where `x > 0`, else `negativeSlope * x` (default 0.01) ({@link act.leakyRelu | leakyRelu}). */
  leakyRelu(negativeSlope?: number): Tensor { return act.leakyRelu(this, negativeSlope); }
  /** `x` where `x > 0`, else `alpha * (exp(x) - 1)` (default alpha 1) ({@link act.elu | elu}). */
  elu(alpha?: number): Tensor { return act.elu(this, alpha); }
  /**
   * `log(1 + exp(beta x)) / beta`, and `x` itself where `beta x > threshold`
   * ({@link act.softplus | softplus}).
   */
  softplus(options?: act.SoftplusOptions): Tensor { return act.softplus(this, options); }
  /** A bool tensor, true where an element is zero or false ({@link ew.logicalNot | logicalNot}). */
  logicalNot(): Tensor { return ew.logicalNot(this); }

  /**
   * `this + alpha * other`, broadcasting, with PyTorch's type promotion for tensors and scalars
   * ({@link ew.add | add}).
   */
  add(other: TensorLike, options?: { alpha?: number }): Tensor { return ew.add(this, other, options); }
  /**
   * `this - alpha * other` ({@link ew.sub | sub}); throws a TypeError for two bool operands (use
   * `logicalXor`).
   */
  sub(other: TensorLike, options?: { alpha?: number }): Tensor { return ew.sub(this, other, options); }
  /** `this * other`, broadcasting and promoting ({@link ew.mul | mul}). */
  mul(other: TensorLike): Tensor { return ew.mul(this, other); }
  /** True division `this / other` ({@link ew.div | div}): float32 even for integer operands. */
  div(other: TensorLike): Tensor { return ew.div(this, other); }
  /** `this ** exponent` ({@link ew.pow | pow}); int32 to a negative power gives 0 where PyTorch throws. */
  pow(exponent: TensorLike): Tensor { return ew.pow(this, exponent); }
  /**
   * Python's `%`: the result has the sign of `other` ({@link ew.remainder | remainder}); int32 `x % 0`
   * gives 0.
   */
  remainder(other: TensorLike): Tensor { return ew.remainder(this, other); }
  /** Element-wise maximum, broadcasting; NaN wins ({@link ew.maximum | maximum}). */
  maximum(other: Tensor): Tensor { return ew.maximum(this, other); }
  /** Element-wise minimum, broadcasting; NaN wins ({@link ew.minimum | minimum}). */
  minimum(other: Tensor): Tensor { return ew.minimum(this, other); }
  /**
   * Clamps to `[min, max]`, numbers or tensors, either omitted but not both ({@link ew.clamp | clamp});
   * NaN stays NaN.
   */
  clamp(...args: ew.ClampArgs): Tensor { return ew.clamp(this, ...args); }
  /** `this == other`, broadcasting, as a bool tensor ({@link ew.eq | eq}). */
  eq(other: TensorLike): Tensor { return ew.eq(this, other); }
  /** `this != other`, broadcasting, as a bool tensor ({@link ew.ne | ne}). */
  ne(other: TensorLike): Tensor { return ew.ne(this, other); }
  /** `this < other`, broadcasting, as a bool tensor ({@link ew.lt | lt}). */
  lt(other: TensorLike): Tensor { return ew.lt(this, other); }
  /** `this <= other`, broadcasting, as a bool tensor ({@link ew.le | le}). */
  le(other: TensorLike): Tensor { return ew.le(this, other); }
  /** `this > other`, broadcasting, as a bool tensor ({@link ew.gt | gt}). */
  gt(other: TensorLike): Tensor { return ew.gt(this, other); }
  /** `this >= other`, broadcasting, as a bool tensor ({@link ew.ge | ge}). */
  ge(other: TensorLike): Tensor { return ew.ge(this, other); }
  /**
   * AND of the operands' truth values (nonzero is true), as a bool tensor
   * ({@link ew.logicalAnd | logicalAnd}).
   */
  logicalAnd(other: TensorLike): Tensor { return ew.logicalAnd(this, other); }
  /**
   * OR of the operands' truth values (nonzero is true), as a bool tensor
   * ({@link ew.logicalOr | logicalOr}).
   */
  logicalOr(other: TensorLike): Tensor { return ew.logicalOr(this, other); }
  /**
   * XOR of the operands' truth values (nonzero is true), as a bool tensor
   * ({@link ew.logicalXor | logicalXor}).
   */
  logicalXor(other: TensorLike): Tensor { return ew.logicalXor(this, other); }
  /** `condition ? this : other`, like PyTorch's `x.where(condition, y)`. */
  where(condition: Tensor, other: TensorLike): Tensor { return idx.where(condition, this, other); }
  /**
   * A copy with `value` (a number, boolean or 0-d tensor) where the bool `mask`, broadcast to this shape,
   * is true ({@link idx.maskedFill | maskedFill}).
   */
  maskedFill(mask: Tensor, value: number | boolean | Tensor): Tensor { return idx.maskedFill(this, mask, value); }

  // ---- sorting and scans (ops/sort.ts, ops/scan.ts) ----

  /** `[values, indices]` sorted along a dim ({@link srt.sort | sort}): `sort()`, `sort(0, true)`, `sort({ dim, descending })`. */
  sort(...args: Parameters<typeof srt.sort> extends [Tensor, ...infer R] ? R : never): srt.SortResult { return srt.sort(this, ...args); }
  /** The indices that sort along a dim ({@link srt.argsort | argsort}). */
  argsort(...args: Parameters<typeof srt.argsort> extends [Tensor, ...infer R] ? R : never): Tensor { return srt.argsort(this, ...args); }
  /** The `k` largest (or smallest) along a dim as `[values, indices]` ({@link srt.topk | topk}). */
  topk(k: number, ...args: Parameters<typeof srt.topk> extends [Tensor, number, ...infer R] ? R : never): srt.SortResult { return srt.topk(this, k, ...args); }
  /** The `k`-th smallest along a dim as `[values, indices]` ({@link srt.kthvalue | kthvalue}). */
  kthvalue(k: number, ...args: Parameters<typeof srt.kthvalue> extends [Tensor, number, ...infer R] ? R : never): srt.SortResult { return srt.kthvalue(this, k, ...args); }
  /** Cumulative sum along `dim` ({@link scn.cumsum | cumsum}). */
  cumsum(dim: number | { dim: number }): Tensor { return scn.cumsum(this, dim); }
  /** Cumulative product along `dim` ({@link scn.cumprod | cumprod}). */
  cumprod(dim: number | { dim: number }): Tensor { return scn.cumprod(this, dim); }
  /** `log(cumsum(exp(x)))` along `dim`, computed stably ({@link scn.logcumsumexp | logcumsumexp}). */
  logcumsumexp(dim: number | { dim: number }): Tensor { return scn.logcumsumexp(this, dim); }
  /** PyTorch's `x.norm(p='fro', dim=None, keepdim=False)` ({@link nrm.norm | norm}). */
  norm(...args: Parameters<typeof nrm.norm> extends [Tensor, ...infer R] ? R : never): Tensor { return nrm.norm(this, ...args); }
  /**
   * PyTorch's `x[...]` ({@link ix.at | at}): `x.at(':, 1:3')`, `x.at('..., -1')`, `x.at(idx)`,
   * `x.at(mask)`, `x.at(0, null, '::2')`. Differentiable.
   */
  at(...index: ix.IndexEntry[]): Tensor { return ix.at(this, ...index); }
  /** In place `x[indices] = values` (`+=` with accumulate), PyTorch's `index_put_` ({@link ix.indexPut_ | indexPut_}). */
  indexPut_(indices: readonly ix.IndexEntry[], values: Tensor | number | boolean, options?: ix.IndexPutOptions | boolean): this { return ix.indexPut_(this, indices, values, options); }
  /** Out-of-place `index_put` ({@link ix.indexPut | indexPut}); differentiable. */
  indexPut(indices: readonly ix.IndexEntry[], values: Tensor | number | boolean, options?: ix.IndexPutOptions | boolean): Tensor { return ix.indexPut(this, indices, values, options); }
  /** PyTorch's `x.T`: every dim reversed, a view ({@link arr.reverseDims | reverseDims}). */
  get T(): Tensor { return arr.reverseDims(this); }
  /** PyTorch's `x.mT`: the last two dims swapped, a view ({@link arr.matrixTranspose | matrixTranspose}). */
  get mT(): Tensor { return arr.matrixTranspose(this); }
  /** Moves dims `source` to `destination` ({@link arr.movedim | movedim}). */
  movedim(source: number | readonly number[], destination: number | readonly number[]): Tensor { return arr.movedim(this, source, destination); }
  /** Swaps two dims, as `transpose` ({@link arr.swapaxes | swapaxes}). */
  swapaxes(axis0: number, axis1: number): Tensor { return arr.swapaxes(this, axis0, axis1); }
  /** Rolls elements along dims ({@link arr.roll | roll}). */
  roll(shifts: number | readonly number[], dims?: number | readonly number[]): Tensor { return arr.roll(this, shifts, dims); }
  /** The diagonal of the matrices in `dim1`, `dim2` ({@link arr.diagonal | diagonal}). */
  diagonal(...args: Parameters<typeof arr.diagonal> extends [Tensor, ...infer R] ? R : never): Tensor { return arr.diagonal(this, ...args); }
  /** Repeats along each dim, padding `dims` with leading 1s ({@link arr.tile | tile}). */
  tile(...dims: Array<number | readonly number[]>): Tensor { return arr.tile(this, ...dims); }

  // ---- in place (the result is written into this tensor's elements) ----

  /** `this += alpha * other`, in place; returns this. */
  add_(other: TensorLike, options?: { alpha?: number }): this { return ew.assign(this, ew.add(this, other, options)); }
  /**
   * `this -= alpha * other`, in place; returns this. Like every in-place op, throws on a tensor that
   * requires grad unless inside `noGrad`.
   */
  sub_(other: TensorLike, options?: { alpha?: number }): this { return ew.assign(this, ew.sub(this, other, options)); }
  /** `this *= other`, in place, the product converted to this dtype; returns this. */
  mul_(other: TensorLike): this { return ew.assign(this, ew.mul(this, other)); }
  /**
   * `this /= other`, in place; returns this. An int32 tensor stores the float quotient truncated toward
   * zero.
   */
  div_(other: TensorLike): this { return ew.assign(this, ew.div(this, other)); }
  /** Clamps to `[min, max]` in place; returns this. */
  clamp_(...args: ew.ClampArgs): this { return ew.assign(this, ew.clamp(this, ...args)); }
  /** Copies `src` (broadcast to this shape, converted to this dtype) into this tensor; returns this. */
  copy_(src: TensorLike): this { return ew.copyInto(this, src); }
  /**
   * Sets every element to `value`, in place; returns this. Throws a RangeError for a value the dtype
   * cannot hold.
   */
  fill_(value: number | boolean): this { return ew.copyInto(this, value); }
  /** Sets every element to 0 (false for bool), in place; returns this. */
  zero_(): this { return ew.copyInto(this, 0); }

  // ---- reductions (PyTorch's positional order, `sum(1, true)`, or `sum({ dim: 1, keepdim: true })`) ----

  /**
   * Sum over `dim` (every dim by default): `sum(1)`, `sum([0, 1], true)`, `sum({ dim, keepdim })`
   * ({@link red.sum | sum}); bool and int32 sum in int32 (PyTorch: int64).
   */
  sum(...args: red.ReduceArgs): Tensor { return red.sum(this, ...args); }
  /** Mean over `dim` ({@link red.mean | mean}); float32 only, so convert integers with `float()` first. */
  mean(...args: red.ReduceArgs): Tensor { return red.mean(this, ...args); }
  /** Product over `dim` ({@link red.prod | prod}); bool and int32 multiply in int32; an empty product is 1. */
  prod(...args: red.ReduceArgs): Tensor { return red.prod(this, ...args); }
  /**
   * Without `dim`: the maximum as a 0-d tensor. With `dim` (`max(1)`, `max(1, true)`, `max({ dim: 1 })`):
   * `[values, indices]` (also `.values`, `.indices`). With a tensor: the element-wise maximum ({@link red.max | max}).
   */
  max(): Tensor;
  max(other: Tensor): Tensor;
  max(dim: red.OneDimArg, keepdim?: boolean | { keepdim?: boolean }): MaxResult;
  max(...args: unknown[]): Tensor | MaxResult { return (red.max as (x: Tensor, ...a: unknown[]) => Tensor | MaxResult)(this, ...args); }
  /**
   * Without `dim`: the minimum as a 0-d tensor. With `dim`: `[values, indices]` (also `.values`,
   * `.indices`). With a tensor: the element-wise minimum ({@link red.min | min}).
   */
  min(): Tensor;
  min(other: Tensor): Tensor;
  min(dim: red.OneDimArg, keepdim?: boolean | { keepdim?: boolean }): MaxResult;
  min(...args: unknown[]): Tensor | MaxResult { return (red.min as (x: Tensor, ...a: unknown[]) => Tensor | MaxResult)(this, ...args); }
  /** The maximum over `dim` without indices (PyTorch's `amax`). */
  amax(...args: red.ReduceArgs): Tensor { return red.amax(this, ...args); }
  /** The minimum over `dim` (one or several dims, every dim by default) without indices (PyTorch's `amin`). */
  amin(...args: red.ReduceArgs): Tensor { return red.amin(this, ...args); }
  /**
   * int32 index of the first maximum along `dim` (`argmax(1)`), or in the flattened tensor without `dim`;
   * NaN counts as the maximum ({@link red.argmax | argmax}).
   */
  argmax(...args: red.ArgReduceArgs): Tensor { return red.argmax(this, ...args); }
  /**
   * int32 index of the first minimum along `dim`, or in the flattened tensor without `dim`; NaN counts as
   * the minimum ({@link red.argmin | argmin}).
   */
  argmin(...args: red.ArgReduceArgs): Tensor { return red.argmin(this, ...args); }
  /**
   * Variance over `dim` in PyTorch's order `var(dim, unbiased, keepdim)` or with options, with Bessel's
   * correction unless `unbiased` is false; float32 only ({@link red.variance | var}).
   */
  var(...args: red.VarArgs): Tensor { return red.variance(this, ...args); }
  /** Standard deviation: the square root of `var()` with the same arguments ({@link red.std | std}). */
  std(...args: red.VarArgs): Tensor { return red.std(this, ...args); }
  /**
   * `log(sum(exp(x)))` over `dim`, computed stably (the max is subtracted first); float32 result
   * ({@link red.logsumexp | logsumexp}).
   */
  logsumexp(...args: red.ReduceArgs): Tensor { return red.logsumexp(this, ...args); }
  /**
   * A bool tensor, true where every element over `dim` is nonzero (true for an empty reduction)
   * ({@link red.all | all}).
   */
  all(...args: red.ReduceArgs): Tensor { return red.all(this, ...args); }
  /** A bool tensor, true where any element over `dim` is nonzero ({@link red.any | any}). */
  any(...args: red.ReduceArgs): Tensor { return red.any(this, ...args); }

  // ---- linear algebra, indexing ----

  /**
   * Matrix product with PyTorch's rank rules: 1-D operands are vectors, batch dims broadcast; float32 only
   * ({@link la.matmul | matmul}).
   */
  matmul(other: Tensor): Tensor { return la.matmul(this, other); }
  /** Product of two 2-D float32 matrices ({@link la.mm | mm}). */
  mm(other: Tensor): Tensor { return la.mm(this, other); }
  /** Batched product of 3-D float32 tensors, `[B, M, K] @ [B, K, N]` with equal `B` ({@link la.bmm | bmm}). */
  bmm(other: Tensor): Tensor { return la.bmm(this, other); }
  /**
   * PyTorch's `gather`: `out[i][j] = this[index[i][j]][j]` for `dim` 0, and so on; `index` is int32 and
   * gives `out` its shape ({@link idx.gather | gather}).
   */
  gather(dim: number, index: Tensor): Tensor { return idx.gather(this, dim, index); }
  /**
   * The slices along `dim` at the positions in the 1-D int32 `index`, copied
   * ({@link idx.indexSelect | indexSelect}).
   */
  indexSelect(dim: number, index: Tensor): Tensor { return idx.indexSelect(this, dim, index); }
  /** PyTorch's `scatter_add`: a copy of this tensor with `src` added at `index` along `dim`. */
  scatterAdd(dim: number, index: Tensor, src: Tensor): Tensor { return idx.scatterAdd(this, dim, index, src); }
  /** In place: `src` added into this tensor at `index` along `dim`, PyTorch's `scatter_add_` ({@link idx.scatterAdd_ | scatterAdd_}). */
  scatterAdd_(dim: number, index: Tensor, src: Tensor): this { return idx.scatterAdd_(this, dim, index, src); }
  /**
   * A copy keeping the lower triangle (`col - row <= diagonal`) of the last two dims, zero elsewhere
   * ({@link idx.tril | tril}).
   */
  tril(diagonal = 0): Tensor { return idx.tril(this, diagonal); }
  /**
   * A copy keeping the upper triangle (`col - row >= diagonal`) of the last two dims, zero elsewhere
   * ({@link idx.triu | triu}).
   */
  triu(diagonal = 0): Tensor { return idx.triu(this, diagonal); }
}

/**
 * True for torchlet tensors.
 *
 * @example
 * ```ts
 * console.log(torch.isTensor(torch.zeros([1])), torch.isTensor([1]));   // true false
 * ```
 */
export function isTensor(x: unknown): x is Tensor {
  return x instanceof Tensor;
}
setTensorCheck(isTensor);

function nest(d: TypedArray, shape: Shape, asBool: boolean): NestedArray {
  const conv = (v: number): number | boolean => (asBool ? v !== 0 : v);
  if (shape.length === 0) return conv(d[0]!);
  const build = (dim: number, base: number): NestedArray[] => {
    const n = shape[dim]!;
    const out: NestedArray[] = new Array(n);
    let stride = 1;
    for (let i = dim + 1; i < shape.length; i++) stride *= shape[i]!;
    for (let i = 0; i < n; i++) {
      out[i] = dim === shape.length - 1 ? conv(d[base + i]!) : build(dim + 1, base + i * stride);
    }
    return out;
  };
  return build(0, 0);
}
