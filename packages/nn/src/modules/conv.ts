/** Conv1d and Conv2d: PyTorch's convolution layers over core's `conv1d`/`conv2d`. */
import * as T from '@torchlet/core';
import type { Tensor } from '@torchlet/core';
import { Module } from '../module.ts';
import type { Parameter } from '../parameter.ts';
import { kaimingUniform_, uniform_, calculateFanInAndFanOut } from '../init.ts';
import { newParameter } from './linear.ts';
import { checkBool, checkInt, checkTuple, pyTuple, show } from './args.ts';

/** Options of `Conv1d` and `Conv2d` (PyTorch's keyword arguments, camelCase). Invalid values throw a RangeError or TypeError from the constructor. */
export interface ConvOptions {
  /** Step between windows: an int or one per spatial dim (default 1). */
  stride?: number | readonly number[];
  /** Zero padding on both sides: an int, one per spatial dim, `'valid'` (none) or `'same'` (stride 1 only). Default 0. */
  padding?: number | readonly number[] | 'same' | 'valid';
  /** Spacing between kernel elements (default 1). */
  dilation?: number | readonly number[];
  /** Independent channel groups; both channel counts must divide by it (default 1). */
  groups?: number;
  /** Learn an additive bias (default true). */
  bias?: boolean;
  /** Only `'zeros'` (the default) is supported. */
  paddingMode?: 'zeros';
}

/**
 * The shared N-d convolution layer: `weight` of shape `(outChannels, inChannels / groups, ...kernelSize)`,
 * `bias` of shape `(outChannels)`, and PyTorch's default initialisation (kaiming-uniform with
 * a = sqrt(5); bias U(-1/sqrt(fanIn), 1/sqrt(fanIn)) with fanIn = inChannels / groups * prod(kernelSize)).
 */
abstract class ConvNd extends Module {
  /** Channels of the input, PyTorch's `in_channels`. */
  readonly inChannels: number;
  /** Channels of the output (the number of filters), PyTorch's `out_channels`. */
  readonly outChannels: number;
  /** The kernel's spatial size, one entry per spatial dim, PyTorch's `kernel_size`. */
  readonly kernelSize: number[];
  /** Step between windows, one entry per spatial dim. */
  readonly stride: number[];
  /** Zero padding on both sides, one entry per spatial dim, or `'same'`/`'valid'` as given. */
  readonly padding: number[] | 'same' | 'valid';
  /** Spacing between kernel elements, one entry per spatial dim. */
  readonly dilation: number[];
  /** Independent channel groups; each sees `inChannels / groups` inputs. */
  readonly groups: number;
  /** The filters, `(outChannels, inChannels / groups, ...kernelSize)`, kaiming-uniform with a = sqrt(5); state-dict key `weight`. */
  weight: Parameter;
  /** `(outChannels)`, U(-1/sqrt(fanIn), 1/sqrt(fanIn)); state-dict key `bias`; null with `bias: false`. */
  bias: Parameter | null;

  constructor(layer: string, k: number, inChannels: number, outChannels: number, kernelSize: number | readonly number[], options: ConvOptions) {
    super();
    this.inChannels = checkInt(layer, 'inChannels', inChannels, 1);
    this.outChannels = checkInt(layer, 'outChannels', outChannels, 1);
    this.kernelSize = checkTuple(layer, 'kernelSize', kernelSize, k, 1);
    this.stride = checkTuple(layer, 'stride', options.stride ?? 1, k, 1);
    this.dilation = checkTuple(layer, 'dilation', options.dilation ?? 1, k, 1);
    this.groups = checkInt(layer, 'groups', options.groups ?? 1, 1);
    if (inChannels % this.groups !== 0) throw new RangeError(`${layer}: inChannels must be divisible by groups (inChannels=${inChannels}, groups=${this.groups})`);
    if (outChannels % this.groups !== 0) throw new RangeError(`${layer}: outChannels must be divisible by groups (outChannels=${outChannels}, groups=${this.groups})`);
    const padding = options.padding ?? 0;
    if (typeof padding === 'string') {
      if (padding !== 'same' && padding !== 'valid') throw new RangeError(`${layer}: Invalid padding string '${padding}', should be one of 'valid', 'same'`);
      if (padding === 'same' && this.stride.some((s) => s !== 1)) throw new RangeError(`${layer}: padding='same' is not supported for strided convolutions (stride=${pyTuple(this.stride)})`);
      this.padding = padding;
    } else this.padding = checkTuple(layer, 'padding', padding, k, 0);
    const mode = options.paddingMode ?? 'zeros';
    if (mode !== 'zeros') throw new RangeError(`${layer}: paddingMode ${show(mode)} is not supported (only 'zeros')`);
    const bias = checkBool(layer, 'bias', options.bias ?? true);
    this.weight = newParameter([outChannels, inChannels / this.groups, ...this.kernelSize]);
    this.bias = bias ? newParameter([outChannels]) : null;
    this.resetParameters();
  }

  /** Re-draws `weight` and `bias` in place with PyTorch's default initialisation (from the seeded generator). */
  resetParameters(): void {
    kaimingUniform_(this.weight, { a: Math.sqrt(5) });
    if (this.bias) {
      const [fanIn] = calculateFanInAndFanOut(this.weight);
      const bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
      uniform_(this.bias, -bound, bound);
    }
  }

  /** The options passed to core's `conv1d`/`conv2d` (stride, padding, dilation, groups). */
  protected convOptions(): T.ConvOptions {
    return { stride: this.stride, padding: this.padding, dilation: this.dilation, groups: this.groups };
  }

  /** PyTorch's `_ConvNd.extra_repr`: defaults are left out. */
  override extraRepr(): string {
    let s = `${this.inChannels}, ${this.outChannels}, kernel_size=${pyTuple(this.kernelSize)}, stride=${pyTuple(this.stride)}`;
    if (typeof this.padding === 'string') s += `, padding=${this.padding}`;
    else if (this.padding.some((p) => p !== 0)) s += `, padding=${pyTuple(this.padding)}`;
    if (this.dilation.some((d) => d !== 1)) s += `, dilation=${pyTuple(this.dilation)}`;
    if (this.groups !== 1) s += `, groups=${this.groups}`;
    if (this.bias === null) s += ', bias=False';
    return s;
  }
}

/** PyTorch's positional order of a convolution's options after `kernel_size`. */
const CONV_ARGS = ['stride', 'padding', 'dilation', 'groups', 'bias', 'paddingMode'] as const;

/**
 * 1-D convolution over `(N, C, L)` or unbatched `(C, L)` input (PyTorch's `nn.Conv1d`).
 *
 * @example
 * ```ts
 * const conv = new nn.Conv1d(16, 32, 5, { padding: 'same' });
 * console.log(conv.forward(torch.randn([4, 16, 100])).shape);   // [4, 32, 100]
 * ```
 */
export class Conv1d extends ConvNd {
  /** PyTorch's `Conv1d(in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias, padding_mode)`, positionally and/or as options. */
  constructor(inChannels: number, outChannels: number, kernelSize: number | readonly number[], ...args: T.PosArgs<ConvOptions, typeof CONV_ARGS>) {
    super('Conv1d', 1, inChannels, outChannels, kernelSize, T.parseArgs('Conv1d', args, CONV_ARGS) as ConvOptions);
  }

  /**
   * `input: (N, inChannels, L) -> (N, outChannels, L')`, or unbatched `(inChannels, L) -> (outChannels, L')`,
   * with `L' = floor((L + 2 padding - dilation (kernelSize - 1) - 1) / stride) + 1`.
   */
  forward(input: Tensor): Tensor {
    return T.conv1d(input, this.weight, this.bias, this.convOptions()); // (N, outChannels, L')
  }
}

/**
 * 2-D convolution over `(N, C, H, W)` or unbatched `(C, H, W)` input (PyTorch's `nn.Conv2d`).
 *
 * @example
 * ```ts
 * const conv = new nn.Conv2d(1, 32, 3, { padding: 1 });   // nn.Conv2d(1, 32, 3, padding=1)
 * const y = conv.forward(torch.randn([8, 1, 28, 28]));
 * console.log(y.shape);   // [8, 32, 28, 28]
 * ```
 */
export class Conv2d extends ConvNd {
  /** PyTorch's `Conv2d(in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias, padding_mode)`, positionally and/or as options. */
  constructor(inChannels: number, outChannels: number, kernelSize: number | readonly number[], ...args: T.PosArgs<ConvOptions, typeof CONV_ARGS>) {
    super('Conv2d', 2, inChannels, outChannels, kernelSize, T.parseArgs('Conv2d', args, CONV_ARGS) as ConvOptions);
  }

  /**
   * `input: (N, inChannels, H, W) -> (N, outChannels, H', W')`, or unbatched `(inChannels, H, W)`; each of
   * `H'`, `W'` is `floor((size + 2 padding - dilation (kernelSize - 1) - 1) / stride) + 1`.
   */
  forward(input: Tensor): Tensor {
    return T.conv2d(input, this.weight, this.bias, this.convOptions()); // (N, outChannels, H', W')
  }
}
