/** Pooling layers: MaxPool2d, AvgPool2d, AdaptiveAvgPool2d over core's pooling ops. */
import * as T from '@torchlet/core';
import type { Tensor } from '@torchlet/core';
import { Module } from '../module.ts';
import { checkBool, checkInt, checkTuple, pyBool, pyIntOrTuple } from './args.ts';

/** Options of `MaxPool2d` (PyTorch's keyword arguments, camelCase); ints or `[h, w]` pairs. */
export interface MaxPool2dOptions {
  /** Default: `kernelSize`. */
  stride?: number | readonly number[] | null;
  /** Implicit -inf padding, at most half the kernel (default 0). */
  padding?: number | readonly number[];
  /** Spacing between kernel elements. Default 1, as in PyTorch. */
  dilation?: number | readonly number[];
  /** Round the output size up (default false). */
  ceilMode?: boolean;
  /** PyTorch's `return_indices`: not supported (true throws); false is accepted for positional calls. */
  returnIndices?: boolean;
  /** The window size, when everything is given as one options object (`new nn.MaxPool2d({ kernelSize: 2 })`). */
  kernelSize?: number | readonly number[];
}

/** PyTorch's positional order of `nn.MaxPool2d(kernel_size, stride, padding, dilation, return_indices, ceil_mode)`. */
const MAX_POOL_ARGS = ['kernelSize', 'stride', 'padding', 'dilation', 'returnIndices', 'ceilMode'] as const;
/** PyTorch's positional order of `nn.AvgPool2d(kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override)`. */
const AVG_POOL_ARGS = ['kernelSize', 'stride', 'padding', 'ceilMode', 'countIncludePad', 'divisorOverride'] as const;

/** The kernel size and the rest, positionally and/or as options; the kernel size is required. */
function poolOptions<O extends { kernelSize?: number | readonly number[] }>(layer: string, args: readonly unknown[], names: readonly string[]): O & { kernelSize: number | readonly number[] } {
  const o = T.parseArgs(layer, args, names) as O;
  if (o.kernelSize === undefined) throw new TypeError(`${layer}: kernelSize is required (the first argument, or { kernelSize })`);
  return o as O & { kernelSize: number | readonly number[] };
}

/** Checks kernel/stride/padding at construction, so a bad layer fails where it is built. */
function poolArgs(layer: string, kernelSize: number | readonly number[], o: MaxPool2dOptions): void {
  const k = checkTuple(layer, 'kernelSize', kernelSize, 2, 1);
  if (o.stride !== undefined && o.stride !== null) checkTuple(layer, 'stride', o.stride, 2, 1);
  const p = checkTuple(layer, 'padding', o.padding ?? 0, 2, 0);
  if (p.some((v, i) => v > Math.floor(k[i]! / 2))) {
    throw new RangeError(`${layer}: pad should be at most half of kernel size, but got padding=${pyIntOrTuple(o.padding ?? 0)} and kernelSize=${pyIntOrTuple(kernelSize)}`);
  }
  checkBool(layer, 'ceilMode', o.ceilMode ?? false);
}

/**
 * 2-D max pooling (PyTorch's `nn.MaxPool2d`; `returnIndices` is not supported).
 *
 * @example
 * ```ts
 * const pool = new nn.MaxPool2d(2);
 * console.log(pool.forward(torch.randn([8, 32, 28, 28])).shape);   // [8, 32, 14, 14]
 * ```
 */
export class MaxPool2d extends Module {
  /** The window size, an int or `[h, w]`, PyTorch's `kernel_size`. */
  readonly kernelSize: number | readonly number[];
  /** Step between windows; `kernelSize` when not given. */
  readonly stride: number | readonly number[];
  /** Implicit -inf padding on both sides. Default 0. */
  readonly padding: number | readonly number[];
  /** Spacing between kernel elements. Default 1. */
  readonly dilation: number | readonly number[];
  /** Round the output size up instead of down, PyTorch's `ceil_mode`. Default false. */
  readonly ceilMode: boolean;

  constructor(kernelSize: number | readonly number[] | MaxPool2dOptions, ...args: T.PosArgs<MaxPool2dOptions, ['stride', 'padding', 'dilation', 'returnIndices', 'ceilMode']>) {
    super();
    const options = poolOptions<MaxPool2dOptions>('MaxPool2d', [kernelSize, ...args], MAX_POOL_ARGS);
    kernelSize = options.kernelSize;
    if (options.returnIndices !== undefined && options.returnIndices !== false) {
      throw new TypeError(`MaxPool2d: returnIndices=${String(options.returnIndices)} is not supported (only the pooled values are returned)`);
    }
    poolArgs('MaxPool2d', kernelSize, options);
    checkTuple('MaxPool2d', 'dilation', options.dilation ?? 1, 2, 1);
    this.kernelSize = kernelSize;
    this.stride = options.stride ?? kernelSize;
    this.padding = options.padding ?? 0;
    this.dilation = options.dilation ?? 1;
    this.ceilMode = options.ceilMode ?? false;
  }

  /**
   * `input: (N, C, H, W) -> (N, C, H', W')`, or unbatched `(C, H, W)`; each of `H'`, `W'` is
   * `floor((size + 2 padding - dilation (kernelSize - 1) - 1) / stride) + 1` (ceil with `ceilMode`).
   */
  forward(input: Tensor): Tensor {
    return T.maxPool2d(input, { kernelSize: this.kernelSize, stride: this.stride, padding: this.padding, dilation: this.dilation, ceilMode: this.ceilMode });
  }

  override extraRepr(): string {
    return `kernel_size=${pyIntOrTuple(this.kernelSize)}, stride=${pyIntOrTuple(this.stride)}, padding=${pyIntOrTuple(this.padding)}, dilation=${pyIntOrTuple(this.dilation)}, ceil_mode=${pyBool(this.ceilMode)}`;
  }
}

/** Options of `AvgPool2d` (PyTorch's keyword arguments, camelCase); ints or `[h, w]` pairs. */
export interface AvgPool2dOptions {
  /** Default: `kernelSize`. */
  stride?: number | readonly number[] | null;
  /** Implicit zero padding, at most half the kernel (default 0). */
  padding?: number | readonly number[];
  /** Round the output size up (default false). */
  ceilMode?: boolean;
  /** Count the padding zeros in the divisor (default true). */
  countIncludePad?: boolean;
  /** Divide every window's sum by this instead. */
  divisorOverride?: number | null;
  /** The window size, when everything is given as one options object (`new nn.AvgPool2d({ kernelSize: 2 })`). */
  kernelSize?: number | readonly number[];
}

/**
 * 2-D average pooling (PyTorch's `nn.AvgPool2d`).
 *
 * @example
 * ```ts
 * const pool = new nn.AvgPool2d(2, { stride: 2 });
 * console.log(pool.forward(torch.ones([1, 1, 4, 4])).shape);   // [1, 1, 2, 2]
 * ```
 */
export class AvgPool2d extends Module {
  /** The window size, an int or `[h, w]`, PyTorch's `kernel_size`. */
  readonly kernelSize: number | readonly number[];
  /** Step between windows; `kernelSize` when not given. */
  readonly stride: number | readonly number[];
  /** Implicit zero padding on both sides. Default 0. */
  readonly padding: number | readonly number[];
  /** Round the output size up instead of down, PyTorch's `ceil_mode`. Default false. */
  readonly ceilMode: boolean;
  /** Count the padding zeros in each window's divisor, PyTorch's `count_include_pad`. Default true. */
  readonly countIncludePad: boolean;
  /** Divide every window's sum by this instead of its size, PyTorch's `divisor_override`. Default null. */
  readonly divisorOverride: number | null;

  constructor(kernelSize: number | readonly number[] | AvgPool2dOptions, ...args: T.PosArgs<AvgPool2dOptions, ['stride', 'padding', 'ceilMode', 'countIncludePad', 'divisorOverride']>) {
    super();
    const options = poolOptions<AvgPool2dOptions>('AvgPool2d', [kernelSize, ...args], AVG_POOL_ARGS);
    kernelSize = options.kernelSize;
    poolArgs('AvgPool2d', kernelSize, options);
    this.countIncludePad = checkBool('AvgPool2d', 'countIncludePad', options.countIncludePad ?? true);
    const d = options.divisorOverride ?? null;
    if (d !== null && (typeof d !== 'number' || d === 0 || !Number.isFinite(d))) throw new RangeError(`AvgPool2d: divisorOverride must be a nonzero number, got ${String(d)}`);
    this.kernelSize = kernelSize;
    this.stride = options.stride ?? kernelSize;
    this.padding = options.padding ?? 0;
    this.ceilMode = options.ceilMode ?? false;
    this.divisorOverride = d;
  }

  /**
   * `input: (N, C, H, W) -> (N, C, H', W')`, or unbatched `(C, H, W)`; each of `H'`, `W'` is
   * `floor((size + 2 padding - kernelSize) / stride) + 1` (ceil with `ceilMode`).
   */
  forward(input: Tensor): Tensor {
    return T.avgPool2d(input, {
      kernelSize: this.kernelSize, stride: this.stride, padding: this.padding, ceilMode: this.ceilMode,
      countIncludePad: this.countIncludePad, divisorOverride: this.divisorOverride,
    });
  }

  override extraRepr(): string {
    return `kernel_size=${pyIntOrTuple(this.kernelSize)}, stride=${pyIntOrTuple(this.stride)}, padding=${pyIntOrTuple(this.padding)}`;
  }
}

/**
 * Adaptive 2-D average pooling to `outputSize` (an int, or `[h, w]` with `null` keeping that input size).
 *
 * @example
 * ```ts
 * const gap = new nn.AdaptiveAvgPool2d(1);   // global average pooling
 * console.log(gap.forward(torch.randn([8, 64, 7, 7])).shape);   // [8, 64, 1, 1]
 * ```
 */
export class AdaptiveAvgPool2d extends Module {
  /** The target `(H', W')`: an int for a square output, or `[h, w]` where null keeps that input size, PyTorch's `output_size`. */
  readonly outputSize: number | readonly (number | null)[];

  constructor(outputSize: number | readonly (number | null)[]) {
    super();
    if (typeof outputSize === 'number') {
      checkInt('AdaptiveAvgPool2d', 'outputSize', outputSize, 1);
    } else if (Array.isArray(outputSize) && outputSize.length === 2) {
      for (const s of outputSize) if (s !== null) checkInt('AdaptiveAvgPool2d', 'outputSize', s, 1);
    } else {
      throw new RangeError(`AdaptiveAvgPool2d: outputSize must be an integer or a list of 2 (integer or null), got ${JSON.stringify(outputSize)}`);
    }
    this.outputSize = outputSize;
  }

  /** `input: (N, C, H, W) -> (N, C, H', W')` (or unbatched `(C, H, W)`), averaging over windows that tile the input as in PyTorch. */
  forward(input: Tensor): Tensor {
    return T.adaptiveAvgPool2d(input, this.outputSize);
  }

  override extraRepr(): string {
    const s = this.outputSize;
    return `output_size=${typeof s === 'number' ? s : `(${s.map((v) => (v === null ? 'None' : String(v))).join(', ')})`}`;
  }
}
