import type { DType, TypedArray } from './dtype.ts';
import type { ElementwiseProgram, ProgramCall } from './fused-program.ts';
import type { ReductionProgram } from './fused-reduction.ts';

/**
 * The backend contract: memory, a handful of primitive kernels, readback.
 *
 * Everything else — broadcasting, type promotion, views, composite ops such as softmax or
 * layer norm — is built once in core from these primitives. A backend never sees a
 * broadcast rule or a type-promotion rule: core has already expanded inputs (stride 0) to
 * the output's shape and cast them to the dtype the kernel expects.
 *
 * Ordering: compute calls only enqueue work, and work runs in call order. `read` is the only
 * asynchronous call; it resolves after every call made before it has run. A synchronous
 * backend (wasm) simply runs each call at once.
 *
 * Ownership: core allocates every buffer (`alloc`) and frees it (`free`) exactly once, when
 * the last tensor viewing it is disposed. A backend never frees a buffer on its own.
 */

/** A backend's handle for one allocation. Opaque to core. */
export type BufferId = number;

/**
 * A strided window onto a buffer. `strides` and `offset` count elements, not bytes.
 * A stride may be 0 (a broadcast dimension) or negative (a flipped one). Element
 * `[i0, i1, ...]` lives at `offset + i0*strides[0] + i1*strides[1] + ...`.
 */
export interface View {
  /** The buffer viewed, as returned by `alloc`. */
  readonly buffer: BufferId;
  /** Element type; sets the byte size of an element ({@link dtypeSize}). */
  readonly dtype: DType;
  /** Size of each dim; `[]` for one element. */
  readonly shape: readonly number[];
  /** Elements to step per index of each dim (0: broadcast, negative: flipped). */
  readonly strides: readonly number[];
  /** Element (not byte) index of element `[0, 0, ...]` in the buffer. */
  readonly offset: number;
}

// The element-wise ops' names, dtype classes, kernel codes and WGSL live in the op table.
import type { BinaryOp, UnaryOp } from './op-table.ts';
export type { BinaryOp, UnaryOp } from './op-table.ts';
export { BINARY_OPS, UNARY_OPS } from './op-table.ts';

/**
 * Reductions. `sum`, `prod`, `max`, `min` keep the input's dtype (float32 or int32; core
 * casts bool to int32 first). `argmax`/`argmin` write int32 indices along exactly one axis,
 * the first index of the extreme value; a NaN counts as the extreme (as PyTorch). `max`/`min`
 * propagate NaN. An empty sum is 0 and an empty product 1; core rejects empty max/min/arg*.
 */
export type ReduceOp = 'sum' | 'prod' | 'max' | 'min' | 'argmax' | 'argmin';

/** Every {@link ReduceOp}, for code and tests that iterate over them. */
export const REDUCE_OPS: readonly ReduceOp[] = ['sum', 'prod', 'max', 'min', 'argmax', 'argmin'];

/** Distributions of `random`. */
export type RandomKind = 'uniform' | 'normal';

/**
 * Counter-based random numbers (Philox 4x32-10, Salmon et al. 2011), so one seed gives the same
 * numbers on every backend. Element `i` of the output uses the Philox block for counter
 * `(counter + floor(i / 4))` as a 64-bit value split into words `[lo, hi, 0, 0]`, with the key
 * `[seedLo, seedHi]`. Of that block's four 32-bit words `w`:
 * - uniform: element `i` is `(w[i % 4] >>> 8) * 2^-24`, in [0, 1).
 * - normal: elements `4c..4c+3` come from Box-Muller on the pairs `(w0, w1)` and `(w2, w3)`:
 *   `u1 = ((wA >>> 8) + 1) * 2^-24` (in (0, 1]), `u2 = (wB >>> 8) * 2^-24`,
 *   `r = sqrt(-2 ln u1)`, giving `r cos(2 pi u2)` then `r sin(2 pi u2)`, computed in float64
 *   and rounded once to float32.
 * `philox.ts` in core is the reference implementation.
 */
export interface RandomParams {
  /** `'uniform'` in [0, 1) or `'normal'` (mean 0, standard deviation 1). */
  readonly kind: RandomKind;
  /** The seed's low 32 bits (`seed % 2^32`), the first Philox key word. */
  readonly seedLo: number;
  /** The seed's high bits (`floor(seed / 2^32)`), the second Philox key word. */
  readonly seedHi: number;
  /** The first block's counter; a non-negative integer below 2^53. */
  readonly counter: number;
}

/** Hyper-parameters of one fused Adam/AdamW step (PyTorch 1.13's names, camelCase). */
export interface AdamStepParams {
  /** Learning rate. */
  readonly lr: number;
  /** Decay of the running average of the gradient, `expAvg`. */
  readonly beta1: number;
  /** Decay of the running average of the squared gradient, `expAvgSq`. */
  readonly beta2: number;
  /** Added to the denominator (the bias-corrected `sqrt(expAvgSq)`) for numerical stability. */
  readonly eps: number;
  /**
   * L2 penalty: `weightDecay * param` is added to the gradient, or with `decoupledWeightDecay` the
   * parameter is decayed instead.
   */
  readonly weightDecay: number;
  /** AdamW: decay the parameter (`p *= 1 - lr * weightDecay`) instead of adding to the gradient. */
  readonly decoupledWeightDecay: boolean;
  /** AMSGrad: divide by the running maximum of `expAvgSq`, kept in `maxExpAvgSq`. */
  readonly amsgrad: boolean;
  /** Maximize the objective: the gradient is negated first. */
  readonly maximize: boolean;
  /** The step number after this update (1 on the first), for the bias corrections. */
  readonly step: number;
}

/** Options of a fused attention call ({@link FusedKernels.attention}). */
export interface AttentionParams {
  /** Multiplies `Q K^T` before the mask is added. */
  readonly scale: number;
  /** Query `i` attends keys `j <= i` only (PyTorch's `is_causal`, top-left aligned). */
  readonly causal: boolean;
}

/** Hyper-parameters of one fused SGD step. */
export interface SgdStepParams {
  /** Learning rate. */
  readonly lr: number;
  /** Momentum factor; 0 means no momentum buffer (`momentumBuffer` is null). */
  readonly momentum: number;
  /** Scales the new gradient in the buffer update: `buf = momentum * buf + (1 - dampening) * grad`. */
  readonly dampening: number;
  /** L2 penalty: `weightDecay * param` is added to the gradient first. */
  readonly weightDecay: number;
  /** Nesterov momentum: step along `grad + momentum * buf` instead of `buf`. */
  readonly nesterov: boolean;
  /** Maximize the objective: the gradient is negated first. */
  readonly maximize: boolean;
  /** The momentum buffer is being created: it becomes the (decayed) gradient itself. */
  readonly firstStep: boolean;
}

/**
 * Optional fused kernels: fast paths over a correct composite default in core or in a package
 * (the same tests cover both). The optimizer steps update their operands in place; their views
 * are contiguous float32 with the same number of elements. Other kernels state their operands.
 */
export interface FusedKernels {
  /** One Adam/AdamW update of `param` and its state (`maxExpAvgSq` only with amsgrad). */
  adamStep(param: View, grad: View, expAvg: View, expAvgSq: View, maxExpAvgSq: View | null, p: AdamStepParams): void;
  /** One SGD update of `param` (and its momentum buffer when momentum is not 0). */
  sgdStep(param: View, grad: View, momentumBuffer: View | null, p: SgdStepParams): void;
  /**
   * Scaled dot-product attention without the `L x S` score matrix (an online softmax over key
   * blocks): `out = softmax(q k^T * scale + mask) v`, plus the per-row logsumexp of the masked,
   * scaled scores in `lse`, from which the backward recomputes the probabilities.
   * `q [B, H, L, D]`, `k [B, H, S, D]`, `v [B, H, S, Dv]`: float32, any strides except that the
   * last dim is contiguous (stride 1). `mask`: float32 `[B, H, L, S]`, any strides (0 for
   * broadcast dims), added to the scaled scores. `out [B, H, L, Dv]` and `lse [B, H, L]` are
   * contiguous (`out` may be laid out otherwise where {@link Backend.attentionStridedOutputs}
   * says so). A row whose keys are all masked gives NaN, as softmax does. `probs`, only where
   * {@link Backend.attentionProbsKeys} allows it: a contiguous `[B, H, L, S]` float32 view into
   * which the forward also writes the probabilities, for `attentionBackward` to read back.
   */
  attention(q: View, k: View, v: View, mask: View | null, out: View, lse: View, p: AttentionParams, probs?: View | null): void;
  /**
   * The gradients of `attention` from the same operands, its `out` and `lse`, and `gradOut`
   * (shaped like `out`, last dim contiguous): writes all of the contiguous `gradQ`, `gradK` and
   * `gradV` (shaped like q, k, v; laid out otherwise where
   * {@link Backend.attentionStridedOutputs} says so). No gradient flows to the mask. `probs`: the
   * forward's saved probabilities (see `attention`), read instead of recomputed.
   */
  attentionBackward(
    q: View, k: View, v: View, mask: View | null, out: View, lse: View, gradOut: View,
    gradQ: View, gradK: View, gradV: View, p: AttentionParams, probs?: View | null,
  ): void;
  /**
   * Dynamically quantised linear layer (inference only; the composite default is in @torchlet/nn's
   * quantization). `x` is contiguous float32 `[M, K]`; it is quantised per call, per tensor and
   * symmetrically: `sx = max|x| / 127` (1 if x is all zeros), `xq = clamp(round(x / sx), -127, 127)`
   * (round half to even, float32 division). `weight` is a contiguous int32 `[N, Kp / 4]` view of
   * int8 bytes: row `n` holds `wq[n, 0..K)` then zeros up to `Kp` (a multiple of 16), byte `k` of
   * the row being element `k`. `weightScale` and `bias` (or null) are float32 `[N]`; `out` is
   * float32 `[M, N]`:
   * `out[m, n] = f32(sum_k xq[m, k] * wq[n, k]) * (sx * weightScale[n]) + bias[n]`, the sum exact
   * in int32.
   */
  int8Linear(x: View, weight: View, weightScale: View, bias: View | null, out: View): void;
  /**
   * A fused element-wise program (fused-program.ts; built by `torch.compile`): every output
   * element `i` is the program run on the inputs' elements `i`, intermediates kept in registers.
   * `inputs` are shaped like the outputs, any strides (0 for broadcast dims), dtypes as
   * `program.inputs`; `outputs` are contiguous, one shape, dtypes as the output registers. An
   * output may be exactly an input's view (an in-place update); nothing else overlaps. The
   * default is core's `runProgramComposite` (op by op); the result must match it bit for bit
   * wherever the backend's eager kernels do.
   */
  elementwise(program: ElementwiseProgram, inputs: readonly View[], outputs: readonly View[]): void;
  /**
   * A fused reduction (fused-reduction.ts; built by `torch.compile`): the prologue program per
   * element of the input shape on `inputs` (shaped alike, any strides), its output 0 reduced by
   * `program.op` over `program.axes` and its outputs 1.. stored to `extraOutputs` (input-shaped,
   * contiguous); then the epilogue per element of the result (the input shape with the axes set
   * to 1) on the reduced value and `epilogueInputs` (result-shaped, any strides), stored to
   * `outputs` (result-shaped, contiguous; without an epilogue, the reduced value to `outputs[0]`).
   * No output overlaps another or an input. The default is core's `runReductionComposite`; the
   * result must match it bit for bit (sums accumulated as the backend's own `reduce` does).
   * `torch.compile` builds reduction programs only for a backend that has this kernel.
   */
  reduction(program: ReductionProgram, inputs: readonly View[], extraOutputs: readonly View[], epilogueInputs: readonly View[], outputs: readonly View[]): void;
  /**
   * A fused matmul (fused-matmul.ts; built by `torch.compile`): the product of `a` and `b` (as
   * `matmul` takes them), then the `epilogue` program per element of it, the product's element
   * being its input 0 and `epilogueInputs` its inputs 1.. (shaped like the product, any strides:
   * a bias broadcast along rows), stored to `outputs` (shaped like the product, contiguous). An
   * output may be exactly an epilogue input's view; nothing else overlaps. The default is core's
   * `runMatmulComposite` (`matmul`, then the program); the result must match it bit for bit.
   * `torch.compile` builds fused matmuls only for a backend that has this kernel.
   */
  matmulEpilogue(epilogue: ElementwiseProgram, a: View, b: View, epilogueInputs: readonly View[], outputs: readonly View[]): void;
  /**
   * Several calls of one program (each as `elementwise` takes it, shapes free to differ), on
   * operands that are independent across calls: no call reads or writes a buffer range another
   * call writes. One kernel launch where the backend can (a GPU dispatch costs more than its
   * work for a small tensor); the default, when a backend lacks it, is `elementwise` per call.
   * `torch.compile` groups consecutive equal programs so (an optimizer's per-parameter updates).
   */
  elementwiseBatch?(program: ElementwiseProgram, calls: readonly ProgramCall[]): void;
  /**
   * `elementwise(program, inputs, outputs)` made ready to run again and again on these very
   * views, as a `torch.compile` replay runs each of its calls: the checks and the layout work are
   * done here, once, and the returned function runs the kernel (the same bits as the call).
   * Null where the backend cannot prepare it yet (its kernel generator has not loaded): the
   * caller makes the plain call and may ask again later. Whenever the caller runs the function,
   * every view's elements lie in a live buffer at the view's address (a buffer freed and
   * allocated again at that address will do); once the backend is destroyed the
   * function throws as the call would. Optional: without it, a replay makes the plain call.
   */
  prepareElementwise?(program: ElementwiseProgram, inputs: readonly View[], outputs: readonly View[]): (() => void) | null;
  /** `reduction(...)` made ready to run again on these very views, as {@link FusedKernels.prepareElementwise} is. */
  prepareReduction?(
    program: ReductionProgram, inputs: readonly View[], extraOutputs: readonly View[], epilogueInputs: readonly View[], outputs: readonly View[],
  ): (() => void) | null;
  /** `matmulEpilogue(...)` made ready to run again on these very views, as {@link FusedKernels.prepareElementwise} is. */
  prepareMatmulEpilogue?(epilogue: ElementwiseProgram, a: View, b: View, epilogueInputs: readonly View[], outputs: readonly View[]): (() => void) | null;
}

/** What a backend reports about its own memory, beyond the bytes core has allocated. */
export interface BackendMemory {
  /** Bytes the backend holds from the system (wasm: linear memory size; GPU: pooled buffers). */
  readonly reservedBytes: number;
}

/**
 * A compute backend.
 *
 * Output views (`out`) of compute calls are contiguous row-major windows of a buffer that core
 * allocated, possibly at a non-zero `offset`; only `copy`'s `dst` may be arbitrarily strided.
 * Input views may be strided in any way (strides 0 and negative included). Inputs and outputs
 * never overlap unless core says so (`unary`/`binary` may be called in place with `out` equal to
 * a contiguous input view).
 *
 * A backend that cannot run an op with given dtypes throws an Error naming the op, the backend
 * and the dtypes; it never computes something else. Kernels that take indices (`gather`,
 * `scatterAdd`) throw a RangeError naming the bad index, the dimension and its size.
 */
export interface Backend {
  /**
   * The backend's short name (`'wasm'`, `'webgpu'`): the key of `memory().backends` and the name in error
   * messages.
   */
  readonly name: string;

  /** Allocates `bytes` bytes (may be 0). The contents are unspecified. */
  alloc(bytes: number): BufferId;
  /**
   * Releases a buffer; core calls it exactly once per `alloc`. After `destroy()` it must do
   * nothing and not throw: the garbage collector's safety net (a FinalizationRegistry) may still
   * release tensors of a destroyed backend, and a throw there would end the process.
   */
  free(buffer: BufferId): void;
  /** Copies `src` into the buffer starting at `byteOffset`. Ordered with compute calls. */
  write(buffer: BufferId, src: TypedArray, byteOffset?: number): void;
  /** Reads a view into a new contiguous host array, after all earlier calls have run. */
  read(view: View): Promise<TypedArray>;
  /** Synchronous `read`, for backends that can (wasm). */
  readSync?(view: View): TypedArray;

  /** `out[i] = op(x[i])`; shapes are equal. */
  unary(op: UnaryOp, x: View, out: View): void;
  /** `out[i] = op(a[i], b[i])`; shapes are equal (core broadcasts with stride 0). */
  binary(op: BinaryOp, a: View, b: View, out: View): void;
  /** `out[i] = cond[i] ? a[i] : b[i]`; `cond` is bool, `a`/`b`/`out` share a dtype; shapes are equal. */
  where(cond: View, a: View, b: View, out: View): void;
  /**
   * Reduces `x` over `axes` (sorted, distinct, non-empty). `out` has `x`'s shape with those axes
   * set to 1 (keepdim form).
   */
  reduce(op: ReduceOp, x: View, axes: readonly number[], out: View): void;
  /**
   * Batched float32 matrix product: `a` is `[...B, M, K]`, `b` is `[...B, K, N]`, `out` is
   * `[...B, M, N]`, with identical batch shapes `B` (core broadcasts with stride 0). Any strides,
   * so transposed operands need no copy.
   */
  matmul(a: View, b: View, out: View): void;
  /**
   * `dst[i] = src[i]`, converting dtype if they differ: float -> int truncates toward zero
   * (NaN -> 0, saturating at the int32 range), anything -> bool is `!= 0`, bool -> number is 0/1.
   * `dst` may be strided but has no stride 0.
   */
  copy(src: View, dst: View): void;
  /** Sets every element of a contiguous `dst` to `value` (already checked against the dtype by core). */
  fill(dst: View, value: number): void;
  /**
   * PyTorch's gather: `out[..., j, ...] = x[..., index[..., j, ...], ...]` along `dim`.
   * `index` is int32 with `out`'s shape; on the other dimensions `x` is at least as large.
   */
  gather(x: View, dim: number, index: View, out: View): void;
  /**
   * `dst[..., index[..., j, ...], ...] += src[..., j, ...]` along `dim`, accumulating repeated
   * indices. `dst` is contiguous float32 or int32; `index` (int32) and `src` share a shape.
   */
  scatterAdd(dst: View, dim: number, index: View, src: View): void;
  /** Fills a contiguous float32 `dst` with Philox random numbers; see {@link RandomParams}. */
  random(dst: View, params: RandomParams): void;
  /**
   * The compute call `method(...args)` (one of this interface's methods, its arguments as that
   * method takes them) made ready to run again and again on these very views, as a
   * `torch.compile` replay runs each of its calls: the checks and the layout work are done here,
   * once, and the returned function runs the kernel (the same bits as the call, the same errors
   * from the kernel itself, such as an index out of range). Null where the backend does not
   * prepare that call: the caller makes the plain call. Whenever the caller runs the function,
   * every view's elements lie in a live buffer at the view's address. Optional.
   */
  prepare?(method: string, args: readonly unknown[]): (() => void) | null;

  /** Optional fused kernels, each an override of a composite in core. */
  readonly fused?: Partial<FusedKernels>;
  /**
   * True when the fused `attention` and `attentionBackward` take `out`, `gradQ`, `gradK` and
   * `gradV` in any layout whose last dim is contiguous and whose elements do not overlap, not only
   * contiguous ones. Core then lays each out in the order of its operand's dims (out and gradQ as
   * q, gradK as k, gradV as v): heads split from a `[B, L, H * D]` projection by a permute come
   * back merged by the inverse permute and a reshape without a copy.
   */
  readonly attentionStridedOutputs?: boolean;
  /**
   * Up to this many keys the fused `attention` takes a `probs` operand, saving the `L x S`
   * probabilities for `attentionBackward` to read instead of recomputing them (one product and
   * one exp per score fewer, for `L x S` floats of memory). Core passes one when gradients will be
   * needed; absent or 0: never.
   */
  readonly attentionProbsKeys?: number;
  /** The backend's own memory figures. */
  memory?(): BackendMemory;
  /** Releases everything; the backend is unusable afterwards. */
  destroy?(): void;
}

/** Creates a backend, asynchronously when it must load code or a device. */
export type BackendFactory = (options?: Record<string, unknown>) => Backend | Promise<Backend>;
