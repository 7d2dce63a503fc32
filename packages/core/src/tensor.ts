import type { Backend, View } from './backend.ts';
import type { DType, TypedArray } from './dtype.ts';
import { setTensorCheck, trackTensor, untrackTensor } from './memory.ts';
import { isContiguous, normalizeDim, numel, shapeStr, type Shape } from './shape.ts';
import { stats, type Storage } from './storage.ts';
import { formatTensor } from './format.ts';
import * as ew from './ops/elementwise.ts';
import * as act from './ops/activation.ts';
import * as red from './ops/reduce.ts';
import * as vw from './ops/view.ts';
import * as cmb from './ops/combine.ts';
import * as idx from './ops/indexing.ts';
import * as la from './ops/linalg.ts';
import { castTo, contiguous, readView, readViewSync } from './ops/util.ts';
import { getAutogradHook, type BackwardOptions } from './grad-hook.ts';
import type { MaxResult } from './ops/reduce.ts';

/** What core knows of an autograd graph node: its name, for debugging (`MulBackward`). */
export interface GradFn {
  readonly name: string;
}

/** A tensor, a number, or (for logical ops) a boolean. */
export type TensorLike = Tensor | number | boolean;

/** Nested arrays as returned by `tolist()`. */
export type NestedArray = number | boolean | NestedArray[];

/** Options of reductions: `dim` (one or several; all when omitted) and `keepdim`. */
export interface ReduceOptions {
  dim?: number | readonly number[] | null;
  keepdim?: boolean;
}

const finalizer = new FinalizationRegistry<Storage>((storage) => {
  stats.tensors--;
  storage.release();
});


/** Accepts `f([2, 3])` and `f(2, 3)`. */
function dimsArg(args: ReadonlyArray<number | readonly number[]>): number[] {
  if (args.length === 1 && Array.isArray(args[0])) return [...(args[0] as readonly number[])];
  return args as number[];
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
 */
export class Tensor {
  readonly shape: readonly number[];
  readonly strides: readonly number[];
  /** Element offset of the first element in the buffer. */
  readonly offset: number;
  readonly dtype: DType;
  /** @internal */
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

  get ndim(): number {
    return this.shape.length;
  }

  /** True after `dispose()` (or when the buffer was released). */
  get isDisposed(): boolean {
    return this.#disposed;
  }

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
    if (this.#disposed) {
      throw new Error(
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
    if (value && this.dtype !== 'float32') {
      throw new TypeError(`only tensors of floating point dtype can require gradients, got ${this.dtype}`);
    }
    this.#requiresGrad = value;
    return this;
  }

  /** @internal Autograd marks the output of a recorded op. */
  setGradFn_(node: GradFn): void {
    this.gradFn = node;
    this.#requiresGrad = true;
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
    this.gradFn = null;
    if (this.grad) {
      this.grad.dispose();
      this.grad = null;
    }
    finalizer.unregister(this);
    untrackTensor(this);
    stats.tensors--;
    this.storage.release();
  }

  [Symbol.dispose](): void {
    this.dispose();
  }

  // ---- readback ----

  /** A contiguous host copy of the elements, after all queued work has run. */
  async data(): Promise<TypedArray> {
    return readView(this);
  }

  /** Synchronous `data()`; throws on backends that cannot read synchronously (WebGPU). */
  dataSync(): TypedArray {
    return readViewSync(this);
  }

  /** The value of a one-element tensor (booleans for bool tensors). */
  async item(): Promise<number | boolean> {
    if (this.numel() !== 1) {
      throw new RangeError(`a Tensor with ${this.numel()} elements cannot be converted to a scalar (shape ${shapeStr(this.shape)})`);
    }
    const d = await this.data();
    return this.dtype === 'bool' ? d[0] !== 0 : d[0]!;
  }

  /** Nested arrays of numbers (booleans for bool tensors), like PyTorch's `tolist()`. */
  async tolist(): Promise<NestedArray> {
    const d = await this.data();
    return nest(d, this.shape, this.dtype === 'bool');
  }

  /** PyTorch-style print (`tensor([[1.0000, 2.0000]])`); reads synchronously where the backend can. */
  toString(): string {
    if (this.#disposed) return `tensor(<disposed>, shape=${shapeStr(this.shape)}, dtype=${this.dtype})`;
    if (!this.backend.readSync) return `tensor(<on ${this.backend.name}: await data()>, shape=${shapeStr(this.shape)}, dtype=${this.dtype})`;
    return formatTensor(this.dataSync(), this.shape, this.dtype);
  }

  // ---- dtype ----

  /** A copy converted to `dtype` (this tensor itself when it already has it). */
  to(dtype: DType): Tensor {
    return castTo(this, dtype, true);
  }
  float(): Tensor {
    return this.to('float32');
  }
  int(): Tensor {
    return this.to('int32');
  }
  bool(): Tensor {
    return this.to('bool');
  }

  // ---- views (never copy) ----

  reshape(...shape: Array<number | readonly number[]>): Tensor {
    return vw.reshape(this, dimsArg(shape));
  }
  view(...shape: Array<number | readonly number[]>): Tensor {
    return vw.view(this, dimsArg(shape));
  }
  permute(...dims: Array<number | readonly number[]>): Tensor {
    return vw.permute(this, dimsArg(dims));
  }
  transpose(dim0: number, dim1: number): Tensor {
    return vw.transpose(this, dim0, dim1);
  }
  /** Transpose of a tensor with at most 2 dims. */
  t(): Tensor {
    return vw.t(this);
  }
  unsqueeze(dim: number): Tensor {
    return vw.unsqueeze(this, dim);
  }
  squeeze(dim?: number | readonly number[]): Tensor {
    return vw.squeeze(this, dim);
  }
  expand(...size: Array<number | readonly number[]>): Tensor {
    return vw.expand(this, dimsArg(size));
  }
  expandAs(other: Tensor): Tensor {
    return vw.expand(this, [...other.shape]);
  }
  narrow(dim: number, start: number, length: number): Tensor {
    return vw.narrow(this, dim, start, length);
  }
  /** `x[..., start:end:step]` on `dim` with Python's slice semantics (`null` = open end). */
  slice(dim: number, start?: number | null, end?: number | null, step?: number): Tensor {
    return vw.slice(this, dim, start, end, step);
  }
  select(dim: number, index: number): Tensor {
    return vw.select(this, dim, index);
  }
  flip(...dims: Array<number | readonly number[]>): Tensor {
    return vw.flip(this, dimsArg(dims));
  }
  flatten(startDim = 0, endDim = -1): Tensor {
    return vw.flatten(this, startDim, endDim);
  }
  /** Sliding windows of `size`, `step` apart, along `dim`, as a new last dim (a view). */
  unfold(dim: number, size: number, step: number): Tensor {
    return vw.unfold(this, dim, size, step);
  }
  unflatten(dim: number, sizes: readonly number[]): Tensor {
    return vw.unflatten(this, dim, sizes);
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
  split(splitSizeOrSections: number | readonly number[], dim = 0): Tensor[] {
    return cmb.split(this, splitSizeOrSections, dim);
  }
  chunk(chunks: number, dim = 0): Tensor[] {
    return cmb.chunk(this, chunks, dim);
  }
  unbind(dim = 0): Tensor[] {
    return cmb.unbind(this, dim);
  }
  repeat(...sizes: Array<number | readonly number[]>): Tensor {
    return cmb.repeat(this, dimsArg(sizes));
  }

  // ---- element-wise ----

  neg(): Tensor { return ew.neg(this); }
  abs(): Tensor { return ew.abs(this); }
  sign(): Tensor { return ew.sign(this); }
  exp(): Tensor { return ew.exp(this); }
  log(): Tensor { return ew.log(this); }
  sqrt(): Tensor { return ew.sqrt(this); }
  rsqrt(): Tensor { return ew.rsqrt(this); }
  sin(): Tensor { return ew.sin(this); }
  cos(): Tensor { return ew.cos(this); }
  tanh(): Tensor { return ew.tanh(this); }
  sigmoid(): Tensor { return ew.sigmoid(this); }
  erf(): Tensor { return ew.erf(this); }
  log1p(): Tensor { return ew.log1p(this); }
  expm1(): Tensor { return ew.expm1(this); }
  reciprocal(): Tensor { return ew.reciprocal(this); }
  floor(): Tensor { return ew.floor(this); }
  ceil(): Tensor { return ew.ceil(this); }
  round(): Tensor { return ew.round(this); }
  square(): Tensor { return ew.square(this); }
  relu(): Tensor { return act.relu(this); }
  gelu(options?: act.GeluOptions): Tensor { return act.gelu(this, options); }
  silu(): Tensor { return act.silu(this); }
  leakyRelu(negativeSlope?: number): Tensor { return act.leakyRelu(this, negativeSlope); }
  elu(alpha?: number): Tensor { return act.elu(this, alpha); }
  softplus(options?: act.SoftplusOptions): Tensor { return act.softplus(this, options); }
  logicalNot(): Tensor { return ew.logicalNot(this); }

  add(other: TensorLike, options?: { alpha?: number }): Tensor { return ew.add(this, other, options); }
  sub(other: TensorLike, options?: { alpha?: number }): Tensor { return ew.sub(this, other, options); }
  mul(other: TensorLike): Tensor { return ew.mul(this, other); }
  div(other: TensorLike): Tensor { return ew.div(this, other); }
  pow(exponent: TensorLike): Tensor { return ew.pow(this, exponent); }
  remainder(other: TensorLike): Tensor { return ew.remainder(this, other); }
  maximum(other: Tensor): Tensor { return ew.maximum(this, other); }
  minimum(other: Tensor): Tensor { return ew.minimum(this, other); }
  clamp(min?: number | Tensor | null, max?: number | Tensor | null): Tensor { return ew.clamp(this, min, max); }
  eq(other: TensorLike): Tensor { return ew.eq(this, other); }
  ne(other: TensorLike): Tensor { return ew.ne(this, other); }
  lt(other: TensorLike): Tensor { return ew.lt(this, other); }
  le(other: TensorLike): Tensor { return ew.le(this, other); }
  gt(other: TensorLike): Tensor { return ew.gt(this, other); }
  ge(other: TensorLike): Tensor { return ew.ge(this, other); }
  logicalAnd(other: TensorLike): Tensor { return ew.logicalAnd(this, other); }
  logicalOr(other: TensorLike): Tensor { return ew.logicalOr(this, other); }
  logicalXor(other: TensorLike): Tensor { return ew.logicalXor(this, other); }
  /** `condition ? this : other`, like PyTorch's `x.where(condition, y)`. */
  where(condition: Tensor, other: TensorLike): Tensor { return idx.where(condition, this, other); }
  maskedFill(mask: Tensor, value: number | boolean | Tensor): Tensor { return idx.maskedFill(this, mask, value); }

  // ---- in place (the result is written into this tensor's elements) ----

  /** `this += alpha * other`, in place; returns this. */
  add_(other: TensorLike, options?: { alpha?: number }): this { return ew.assign(this, ew.add(this, other, options)); }
  sub_(other: TensorLike, options?: { alpha?: number }): this { return ew.assign(this, ew.sub(this, other, options)); }
  mul_(other: TensorLike): this { return ew.assign(this, ew.mul(this, other)); }
  div_(other: TensorLike): this { return ew.assign(this, ew.div(this, other)); }
  clamp_(min?: number | null, max?: number | null): this { return ew.assign(this, ew.clamp(this, min, max)); }
  /** Copies `src` (broadcast to this shape, converted to this dtype) into this tensor; returns this. */
  copy_(src: TensorLike): this { return ew.copyInto(this, src); }
  fill_(value: number | boolean): this { return ew.copyInto(this, value); }
  zero_(): this { return ew.copyInto(this, 0); }

  // ---- reductions ----

  sum(options?: ReduceOptions): Tensor { return red.sum(this, options); }
  mean(options?: ReduceOptions): Tensor { return red.mean(this, options); }
  prod(options?: ReduceOptions): Tensor { return red.prod(this, options); }
  /** Without `dim`: the maximum as a 0-d tensor. With `dim`: `[values, indices]` (also `.values`, `.indices`). */
  max(): Tensor;
  max(options: { dim: number; keepdim?: boolean }): MaxResult;
  max(options?: { dim?: number | null; keepdim?: boolean }): Tensor | MaxResult { return red.max(this, options as { dim: number }); }
  min(): Tensor;
  min(options: { dim: number; keepdim?: boolean }): MaxResult;
  min(options?: { dim?: number | null; keepdim?: boolean }): Tensor | MaxResult { return red.min(this, options as { dim: number }); }
  /** The maximum over `dim` without indices (PyTorch's `amax`). */
  amax(options?: ReduceOptions): Tensor { return red.amax(this, options); }
  amin(options?: ReduceOptions): Tensor { return red.amin(this, options); }
  argmax(options?: { dim?: number | null; keepdim?: boolean }): Tensor { return red.argmax(this, options); }
  argmin(options?: { dim?: number | null; keepdim?: boolean }): Tensor { return red.argmin(this, options); }
  var(options?: red.VarOptions): Tensor { return red.variance(this, options); }
  std(options?: red.VarOptions): Tensor { return red.std(this, options); }
  logsumexp(options?: ReduceOptions): Tensor { return red.logsumexp(this, options); }
  all(options?: ReduceOptions): Tensor { return red.all(this, options); }
  any(options?: ReduceOptions): Tensor { return red.any(this, options); }

  // ---- linear algebra, indexing ----

  matmul(other: Tensor): Tensor { return la.matmul(this, other); }
  mm(other: Tensor): Tensor { return la.mm(this, other); }
  bmm(other: Tensor): Tensor { return la.bmm(this, other); }
  gather(dim: number, index: Tensor): Tensor { return idx.gather(this, dim, index); }
  indexSelect(dim: number, index: Tensor): Tensor { return idx.indexSelect(this, dim, index); }
  /** PyTorch's `scatter_add`: a copy of this tensor with `src` added at `index` along `dim`. */
  scatterAdd(dim: number, index: Tensor, src: Tensor): Tensor { return idx.scatterAdd(this, dim, index, src); }
  tril(diagonal = 0): Tensor { return idx.tril(this, diagonal); }
  triu(diagonal = 0): Tensor { return idx.triu(this, diagonal); }
}

/** True for torchlet tensors. */
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
