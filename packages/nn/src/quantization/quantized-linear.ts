/**
 * Dynamically quantised linear layers (PyTorch's `torch.nn.quantized.dynamic.Linear`): weights
 * stored as int8 with one symmetric scale per output channel, activations quantised per call.
 * Inference only: no autograd flows through them.
 */
import * as T from '@torchlet/core';
import { Tensor, keep, noGrad } from '@torchlet/core';
import { Module } from '../module.ts';
import type { Linear } from '../modules/linear.ts';
import { pyBool } from '../modules/args.ts';
import { floatToHalf, halfToFloat } from './half.ts';

/**
 * Row length in bytes of the packed int8 weight: K rounded up to 16 (one v128).
 *
 * @example
 * ```ts
 * console.log(nn.quantization.paddedK(30));   // the input width rounded up for the int8 kernel
 * ```
 */
export function paddedK(k: number): number {
  return Math.ceil(k / 16) * 16;
}

/** An int8 matrix with one symmetric scale per row. */
export interface PerChannelInt8 {
  /** Row-major int8 values, `q[r * k + c] = round(w[r * k + c] / scale[r])` in [-127, 127]. */
  q: Int8Array;
  /** One scale per output row: max |w| of the row / 127 (1 for an all-zero row). */
  scale: Float32Array;
}

/**
 * Symmetric per-row int8 quantisation of a row-major `[n, k]` float32 matrix:
 * `scale[r] = max_k |w[r, k]| / 127` (1 for an all-zero row), `q = clamp(round(w / scale), -127, 127)`
 * with float32 division and round half to even (PyTorch's `torch.round`).
 *
 * @example
 * ```ts
 * const w = new Float32Array([0.5, -1, 0.25, 2]);   // 2 rows of 2
 * const { q, scale } = nn.quantization.quantizePerChannel(w, 2, 2);
 * console.log(Array.from(q), Array.from(scale));   // int8 values and the per-row scales
 * ```
 */
export function quantizePerChannel(w: Float32Array, n: number, k: number): PerChannelInt8 {
  const q = new Int8Array(n * k);
  const scale = new Float32Array(n);
  for (let r = 0; r < n; r++) {
    let amax = 0;
    for (let c = 0; c < k; c++) amax = Math.max(amax, Math.abs(w[r * k + c]!));
    const s = amax > 0 ? Math.fround(amax / 127) : 1;
    scale[r] = s;
    for (let c = 0; c < k; c++) q[r * k + c] = Math.min(127, Math.max(-127, roundHalfEven(Math.fround(w[r * k + c]! / s))));
  }
  return { q, scale };
}

export function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return r - v === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * `y = dequant(quant(x) @ Wq^T) + b` with int8 weights (`[outFeatures, inFeatures]`, per output
 * channel symmetric scales) and activations quantised per call to int8, per tensor and
 * symmetrically (`sx = max|x| / 127`). Runs the backend's `fused.int8Linear` kernel when it has
 * one (the wasm backend: SIMD int8 dot products with int32 accumulation); otherwise the
 * composite below computes the same numbers with float32 ops on integer-valued tensors.
 *
 * State dict: `weight` is int8 and lives on the host (`weightInt8`), so it is not in
 * `stateDict()`; `weight_scale` and `bias` are buffers. `saveQuantized` writes all three.
 *
 * @example
 * ```ts
 * const fc = new nn.Linear(256, 128);
 * const q = await nn.QuantizedLinear.fromFloat(fc);   // int8 weights, one scale per output row
 * console.log(q.forward(torch.randn([4, 256])).shape);  // [4, 128]
 * ```
 */
export class QuantizedLinear extends Module {
  /** Size of each input's last dim, PyTorch's `in_features`. */
  readonly inFeatures: number;
  /** Size of each output's last dim, PyTorch's `out_features`. */
  readonly outFeatures: number;
  /** Per-output-channel scales, float32 `[outFeatures]` (state-dict key `weight_scale`). */
  weightScale: Tensor;
  /** float32 `[outFeatures]` or null. */
  bias: Tensor | null;
  /** The int8 weights, row-major `[outFeatures, inFeatures]` (the source of truth). */
  readonly weightInt8: Int8Array;
  /** The scales on the host. */
  readonly scales: Float32Array;
  // Device copies made on first use: packed int8 rows for the kernel, or integer-valued float32
  // `[out, in]` for the composite.
  #packed: Tensor | null = null;
  #asFloat: Tensor | null = null;

  constructor(inFeatures: number, outFeatures: number, weightInt8: Int8Array, weightScale: Float32Array, bias: Float32Array | null) {
    super();
    if (weightInt8.length !== inFeatures * outFeatures || weightScale.length !== outFeatures || (bias && bias.length !== outFeatures)) {
      throw new RangeError(`QuantizedLinear: weights of ${weightInt8.length}, scales of ${weightScale.length} and bias of ${bias?.length ?? 0} elements do not fit [${outFeatures}, ${inFeatures}]`);
    }
    this.inFeatures = inFeatures;
    this.outFeatures = outFeatures;
    this.weightInt8 = weightInt8;
    this.scales = Float32Array.from(weightScale);
    this.weightScale = T.fromArray(weightScale, [outFeatures]);
    this.bias = bias ? T.fromArray(bias, [outFeatures]) : null;
    this.registerBuffer('weightScale', this.weightScale);
    this.registerBuffer('bias', this.bias);
  }

  /** Quantises a float Linear's weight (per output channel); the bias stays float32. */
  static async fromFloat(linear: Linear): Promise<QuantizedLinear> {
    const w = (await linear.weight.data()) as Float32Array;
    const { q, scale } = quantizePerChannel(w, linear.outFeatures, linear.inFeatures);
    const b = linear.bias ? ((await linear.bias.data()) as Float32Array) : null;
    return new QuantizedLinear(linear.inFeatures, linear.outFeatures, q, scale, b ? Float32Array.from(b) : null);
  }

  /** The weights dequantised to float32 (`q * scale`), `[outFeatures, inFeatures]`. */
  dequantizedWeight(): Float32Array {
    const out = new Float32Array(this.weightInt8.length);
    const s = this.scales;
    for (let i = 0; i < out.length; i++) out[i] = this.weightInt8[i]! * s[Math.floor(i / this.inFeatures)]!;
    return out;
  }

  forward(input: Tensor): Tensor {
    if (input.shape[input.ndim - 1] !== this.inFeatures) {
      throw new RangeError(`QuantizedLinear: input of shape [${input.shape.join(', ')}] does not end in in_features=${this.inFeatures}`);
    }
    return noGrad(() => T.tidy(() => {
      const lead = input.shape.slice(0, -1);
      const x = input.reshape([-1, this.inFeatures]).contiguous();
      // The kernel reads every operand through x's backend; with weights on another instance the
      // composite path runs, whose matmul names the mismatch.
      const kernel = this.weightScale.backend === x.backend ? x.backend.fused?.int8Linear : undefined;
      let y: Tensor;
      if (kernel) {
        y = T.zeros([x.shape[0]!, this.outFeatures]);
        kernel.call(x.backend.fused, x.view_(), this.#packedWeight().view_(), this.weightScale.view_(), this.bias ? this.bias.view_() : null, y.view_());
      } else {
        y = this.#composite(x);
      }
      return y.reshape([...lead, this.outFeatures]);
    }));
  }

  /** The same numbers as the kernel (see FusedKernels.int8Linear), from float32 tensor ops. */
  #composite(x: Tensor): Tensor {
    const amax = x.numel() ? x.abs().max() : T.zeros([]);
    const sx = T.where(amax.gt(0), amax.div(127), T.ones([])); // a float32 division, as the kernel
    const xq = x.div(sx).round().clamp(-127, 127);
    // Integer-valued float32 products: exact while |sum| < 2^24, as the kernel's int32 sum.
    const acc = xq.matmul(this.#floatWeight().t());
    const y = acc.mul(this.weightScale.mul(sx));
    return this.bias ? y.add(this.bias) : y;
  }

  #packedWeight(): Tensor {
    if (!this.#packed) {
      const k = this.inFeatures, kp = paddedK(k);
      const bytes = new Int8Array(this.outFeatures * kp);
      for (let r = 0; r < this.outFeatures; r++) bytes.set(this.weightInt8.subarray(r * k, (r + 1) * k), r * kp);
      this.#packed = keep(T.fromArray(new Int32Array(bytes.buffer), [this.outFeatures, kp / 4], { dtype: 'int32' }));
    }
    return this.#packed;
  }

  #floatWeight(): Tensor {
    if (!this.#asFloat) this.#asFloat = keep(T.fromArray(Float32Array.from(this.weightInt8), [this.outFeatures, this.inFeatures]));
    return this.#asFloat;
  }

  /** Drops the device copies of the weights after `weightInt8` changed (loadQuantized). */
  invalidate(): void {
    this.#packed?.dispose();
    this.#asFloat?.dispose();
    this.#packed = this.#asFloat = null;
  }

  /** Re-reads the host copy of the scales after `weightScale` was written (loadQuantized). */
  syncScales(): void {
    this.scales.set(this.weightScale.dataSync() as Float32Array);
  }

  /** Bytes of the stored weights: int8 weights, float32 scales and bias. */
  storageBytes(): number {
    return this.weightInt8.length + 4 * this.outFeatures + (this.bias ? 4 * this.outFeatures : 0);
  }

  override dispose(): void {
    super.dispose();
    this.#packed?.dispose();
    this.#asFloat?.dispose();
    this.#packed = this.#asFloat = null;
  }

  override extraRepr(): string {
    return `in_features=${this.inFeatures}, out_features=${this.outFeatures}, dtype=torch.qint8, qscheme=torch.per_channel_symmetric, bias=${pyBool(this.bias !== null)}`;
  }
}

/**
 * A Linear whose weight is stored as float16 (half the bytes of float32) and computed in float32:
 * the forward decodes it once into a float32 tensor. Inference only.
 *
 * @example
 * ```ts
 * const half = await nn.Float16Linear.fromFloat(new nn.Linear(64, 32));   // weights stored as float16
 * console.log(half.forward(torch.randn([2, 64])).shape);   // [2, 32]
 * ```
 */
export class Float16Linear extends Module {
  /** Size of each input's last dim, PyTorch's `in_features`. */
  readonly inFeatures: number;
  /** Size of each output's last dim, PyTorch's `out_features`. */
  readonly outFeatures: number;
  /** float32 `[outFeatures]` or null, a buffer (state-dict key `bias`), owned by the module. */
  bias: Tensor | null;
  /** IEEE half-precision bits, row-major `[outFeatures, inFeatures]`. */
  readonly weightHalf: Uint16Array;
  #weight: Tensor | null = null;

  constructor(inFeatures: number, outFeatures: number, weightHalf: Uint16Array, bias: Float32Array | null) {
    super();
    if (weightHalf.length !== inFeatures * outFeatures || (bias && bias.length !== outFeatures)) {
      throw new RangeError(`Float16Linear: ${weightHalf.length} weights and ${bias?.length ?? 0} biases do not fit [${outFeatures}, ${inFeatures}]`);
    }
    this.inFeatures = inFeatures;
    this.outFeatures = outFeatures;
    this.weightHalf = weightHalf;
    this.bias = bias ? T.fromArray(bias, [outFeatures]) : null;
    this.registerBuffer('bias', this.bias);
  }

  /**
   * Rounds a float Linear's weight to float16 (round to nearest even) and copies its bias as float32.
   * Async: it reads the weights back. `linear` is left as it was; the caller still owns it.
   */
  static async fromFloat(linear: Linear): Promise<Float16Linear> {
    const w = (await linear.weight.data()) as Float32Array;
    const half = new Uint16Array(w.length);
    for (let i = 0; i < w.length; i++) half[i] = floatToHalf(w[i]!);
    return new Float16Linear(linear.inFeatures, linear.outFeatures, half, linear.bias ? Float32Array.from((await linear.bias.data()) as Float32Array) : null);
  }

  forward(input: Tensor): Tensor {
    if (!this.#weight) this.#weight = keep(T.fromArray(Float32Array.from(this.weightHalf, halfToFloat), [this.outFeatures, this.inFeatures]));
    return noGrad(() => T.linear(input, this.#weight!, this.bias));
  }

  /** Drops the decoded float32 weight after `weightHalf` changed (loadQuantized). */
  invalidate(): void {
    this.#weight?.dispose();
    this.#weight = null;
  }

  /** Bytes of the stored weights: 2 per float16 weight plus 4 per float32 bias element. */
  storageBytes(): number {
    return 2 * this.weightHalf.length + (this.bias ? 4 * this.outFeatures : 0);
  }

  override dispose(): void {
    super.dispose();
    this.#weight?.dispose();
    this.#weight = null;
  }

  override extraRepr(): string {
    return `in_features=${this.inFeatures}, out_features=${this.outFeatures}, dtype=torch.float16, bias=${pyBool(this.bias !== null)}`;
  }
}
