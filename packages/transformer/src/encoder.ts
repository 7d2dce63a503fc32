/**
 * `TransformerEncoderLayer` and `TransformerEncoder` (PyTorch 1.13's plain-math path: the
 * nested-tensor inference fast path is not reproduced; results equal the training-mode math).
 */
import * as T from '@torchlet/core';
import type { Tensor } from '@torchlet/core';
import { Dropout, LayerNorm, Linear, Module, ModuleList } from '@torchlet/nn';
import { MultiheadAttention } from './multihead-attention.ts';

/**
 * The feed-forward activation of a Transformer layer: 'relu', 'gelu' (exact, erf-based) or any
 * element-wise function of a tensor.
 */
export type Activation = 'relu' | 'gelu' | ((x: Tensor) => Tensor);

/** The options shared by the encoder and decoder layers (PyTorch's, camelCased). */
export interface TransformerLayerOptions {
  /** Width of the feed-forward block (default 2048). */
  dimFeedforward?: number;
  /** Dropout after attention, inside and after the feed-forward block (default 0.1). */
  dropout?: number;
  /** The feed-forward activation: 'relu' (default), 'gelu' or a function. */
  activation?: Activation;
  /** LayerNorm epsilon (default 1e-5). */
  layerNormEps?: number;
  /** Inputs and outputs are `(N, seq, dModel)` instead of `(seq, N, dModel)` (default false). */
  batchFirst?: boolean;
  /** Pre-norm: LayerNorm before attention and feed-forward instead of after (default false). */
  normFirst?: boolean;
}

/** A layer's full configuration: what {@link TransformerEncoder} rebuilds each layer from. */
export interface TransformerLayerConfig extends TransformerLayerOptions {
  /** The model width `E` of inputs and outputs (PyTorch's `d_model`); divisible by `nhead`. */
  dModel: number;
  /** The number of attention heads; each has width `dModel / nhead`. */
  nhead: number;
}

export function activationFn(activation: Activation, op: string): (x: Tensor) => Tensor {
  if (typeof activation === 'function') return activation;
  if (activation === 'relu') return T.relu;
  if (activation === 'gelu') return (x) => T.gelu(x);
  throw new RangeError(`${op}: activation should be relu/gelu, not ${String(activation)}`);
}

/** PyTorch's positional order of a layer's optional arguments, after `dModel, nhead`. */
export const LAYER_ARGS = ['dimFeedforward', 'dropout', 'activation', 'layerNormEps', 'batchFirst', 'normFirst'] as const;

/** A layer's optional arguments: positionally in PyTorch's order and/or as options. */
export type TransformerLayerArgs = T.PosArgs<TransformerLayerOptions, typeof LAYER_ARGS>;

export function checkLayerArgs(op: string, dModel: number, nhead: number, o: TransformerLayerOptions): Required<Omit<TransformerLayerOptions, 'activation'>> {
  if (o.dropout !== undefined) T.argNumber(op, 'dropout', o.dropout, 0, 1);
  if (o.layerNormEps !== undefined) T.argNumber(op, 'layerNormEps', o.layerNormEps, 0);
  if (o.batchFirst !== undefined) T.argBool(op, 'batchFirst', o.batchFirst);
  if (o.normFirst !== undefined) T.argBool(op, 'normFirst', o.normFirst);
  if (!Number.isInteger(dModel) || dModel <= 0) throw new RangeError(`${op}: dModel must be a positive integer, got ${String(dModel)}`);
  if (!Number.isInteger(nhead) || nhead <= 0) throw new RangeError(`${op}: nhead must be a positive integer, got ${String(nhead)}`);
  if (dModel % nhead !== 0) throw new RangeError(`${op}: dModel must be divisible by nhead, got dModel=${dModel} and nhead=${nhead}`);
  const dimFeedforward = o.dimFeedforward ?? 2048;
  if (!Number.isInteger(dimFeedforward) || dimFeedforward <= 0) throw new RangeError(`${op}: dimFeedforward must be a positive integer, got ${String(dimFeedforward)}`);
  return { dimFeedforward, dropout: o.dropout ?? 0.1, layerNormEps: o.layerNormEps ?? 1e-5, batchFirst: o.batchFirst ?? false, normFirst: o.normFirst ?? false };
}

/** The masks of `TransformerEncoderLayer.forward` (PyTorch's `src_mask`, `src_key_padding_mask`). */
export interface TransformerEncoderLayerForwardOptions {
  /** `(S, S)` or `(N*nhead, S, S)`: bool `true` = not allowed, or float additive. */
  srcMask?: Tensor | null;
  /** `(N, S)`: bool `true` = padding (ignored as a key), or float additive. */
  srcKeyPaddingMask?: Tensor | null;
}

/**
 * Self-attention and a feed-forward block, each with a residual connection and LayerNorm
 * (post-norm, or pre-norm with `normFirst`). State-dict keys as PyTorch: `self_attn.*`,
 * `linear1.*`, `linear2.*`, `norm1.*`, `norm2.*`.
 *
 * @example
 * ```ts
 * const layer = new torch.TransformerEncoderLayer(512, 8, { dimFeedforward: 2048, batchFirst: true });
 * const src = torch.randn([4, 20, 512]);
 * console.log(layer.forward(src).shape);   // [4, 20, 512]
 * ```
 */
export class TransformerEncoderLayer extends Module {
  /** The configuration this layer was built from (TransformerEncoder copies layers with it). */
  readonly config: Readonly<TransformerLayerConfig>;
  /** Pre-norm (LayerNorm before each block) rather than post-norm. */
  readonly normFirst: boolean;
  /** Whether inputs and outputs are `(N, S, E)` rather than `(S, N, E)`. */
  readonly batchFirst: boolean;
  readonly #activation: (x: Tensor) => Tensor;
  // Children in PyTorch's registration order.
  /** The self-attention block (PyTorch's `self_attn`). */
  selfAttn: MultiheadAttention;
  /** The feed-forward block's first projection, `dModel -> dimFeedforward`. */
  linear1: Linear;
  /** Dropout after the feed-forward activation. */
  dropout: Dropout;
  /** The feed-forward block's second projection, `dimFeedforward -> dModel`. */
  linear2: Linear;
  /** LayerNorm of the self-attention sub-layer. */
  norm1: LayerNorm;
  /** LayerNorm of the feed-forward sub-layer. */
  norm2: LayerNorm;
  /** Dropout on the self-attention output, before the residual add. */
  dropout1: Dropout;
  /** Dropout on the feed-forward output, before the residual add. */
  dropout2: Dropout;

  /**
   * PyTorch's `TransformerEncoderLayer(d_model, nhead, dim_feedforward, dropout, activation,
   * layer_norm_eps, batch_first, norm_first)`: the optional arguments positionally in that order
   * and/or as options.
   *
   * @example
   * new TransformerEncoderLayer(8, 2, 16);                      // feed-forward width 16
   * new TransformerEncoderLayer(8, 2, { dimFeedforward: 16, batchFirst: true });
   */
  constructor(dModel: number, nhead: number, ...args: TransformerLayerArgs) {
    super();
    const options = T.parseArgs('TransformerEncoderLayer', args, LAYER_ARGS) as TransformerLayerOptions;
    const o = checkLayerArgs('TransformerEncoderLayer', dModel, nhead, options);
    this.#activation = activationFn(options.activation ?? 'relu', 'TransformerEncoderLayer');
    this.config = { ...options, dModel, nhead };
    this.normFirst = o.normFirst;
    this.batchFirst = o.batchFirst;
    this.selfAttn = new MultiheadAttention(dModel, nhead, { dropout: o.dropout, batchFirst: o.batchFirst });
    this.linear1 = new Linear(dModel, o.dimFeedforward);
    this.dropout = new Dropout(o.dropout);
    this.linear2 = new Linear(o.dimFeedforward, dModel);
    this.norm1 = new LayerNorm(dModel, { eps: o.layerNormEps });
    this.norm2 = new LayerNorm(dModel, { eps: o.layerNormEps });
    this.dropout1 = new Dropout(o.dropout);
    this.dropout2 = new Dropout(o.dropout);
  }

  /**
   * `src (S, N, E)` (`(N, S, E)` with batchFirst, or unbatched `(S, E)`) -> the same shape. The masks
   * as PyTorch's `forward(src, src_mask, src_key_padding_mask)`, positionally or as options.
   */
  forward(src: Tensor, ...args: T.PosArgs<TransformerEncoderLayerForwardOptions, ['srcMask', 'srcKeyPaddingMask']>): Tensor {
    const { srcMask = null, srcKeyPaddingMask = null } = T.parseArgs('TransformerEncoderLayer.forward', args, ['srcMask', 'srcKeyPaddingMask']) as TransformerEncoderLayerForwardOptions;
    return T.tidy(() => {
      let x = src;
      if (this.normFirst) {
        x = x.add(this.#saBlock(this.norm1.forward(x), srcMask, srcKeyPaddingMask));
        x = x.add(this.#ffBlock(this.norm2.forward(x)));
      } else {
        x = this.norm1.forward(x.add(this.#saBlock(x, srcMask, srcKeyPaddingMask)));
        x = this.norm2.forward(x.add(this.#ffBlock(x)));
      }
      return x;
    });
  }

  #saBlock(x: Tensor, mask: Tensor | null, kpm: Tensor | null): Tensor {
    const [y] = this.selfAttn.forward(x, x, x, { attnMask: mask, keyPaddingMask: kpm, needWeights: false });
    return this.dropout1.forward(y);
  }

  #ffBlock(x: Tensor): Tensor {
    return this.dropout2.forward(this.linear2.forward(this.dropout.forward(this.#activation(this.linear1.forward(x)))));
  }
}

/**
 * How {@link TransformerEncoder} gets its layers: a layer whose configuration and weights each
 * copy takes (PyTorch deep-copies the layer it is given), a configuration (each layer freshly
 * initialised), or a factory called once per layer.
 */
export type EncoderLayerSource = TransformerEncoderLayer | TransformerLayerConfig | ((index: number) => TransformerEncoderLayer);

/** The masks of `TransformerEncoder.forward`, passed to every layer. */
export interface TransformerEncoderForwardOptions {
  /** The attention mask of every layer (PyTorch names this argument `mask`). */
  mask?: Tensor | null;
  /** `(N, S)`: bool `true` = padding (ignored as a key), or float additive; the same for every layer. */
  srcKeyPaddingMask?: Tensor | null;
}

/** Builds `numLayers` independent layers from `source` (see {@link EncoderLayerSource}). */
export function buildLayers<L extends Module>(
  op: string,
  source: L | TransformerLayerConfig | ((i: number) => L),
  numLayers: number,
  Ctor: new (dModel: number, nhead: number, o: TransformerLayerOptions) => L,
): L[] {
  if (!Number.isInteger(numLayers) || numLayers < 0) throw new RangeError(`${op}: numLayers must be a non-negative integer, got ${String(numLayers)}`);
  const layers: L[] = [];
  for (let i = 0; i < numLayers; i++) {
    // Modules are callable (typeof 'function'): tell a layer from a factory before calling it.
    if (source instanceof Ctor) {
      // PyTorch's copy.deepcopy: same configuration, same initial weights.
      const { dModel, nhead, ...o } = (source as unknown as { config: TransformerLayerConfig }).config;
      const layer = new Ctor(dModel, nhead, o);
      layer.loadStateDict(source.stateDict());
      layers.push(layer);
    } else if (source instanceof Module) {
      throw new TypeError(`${op}: expected a ${Ctor.name}, a layer configuration {dModel, nhead, ...} or a factory, got a ${source.constructor.name}`);
    } else if (typeof source === 'function') {
      const layer = source(i);
      if (!(layer instanceof Ctor)) throw new TypeError(`${op}: the layer factory must return a ${Ctor.name}`);
      if (layers.includes(layer)) throw new TypeError(`${op}: the layer factory returned the same layer twice; layers must be independent`);
      layers.push(layer);
    } else if (source !== null && typeof source === 'object' && !(source instanceof Module)) {
      const { dModel, nhead, ...o } = source as TransformerLayerConfig;
      layers.push(new Ctor(dModel, nhead, o));
    } else throw new TypeError(`${op}: expected a ${Ctor.name}, a layer configuration {dModel, nhead, ...} or a factory`);
  }
  return layers;
}

/**
 * A stack of `numLayers` independent encoder layers and an optional final norm. State-dict keys
 * as PyTorch: `layers.0.self_attn.in_proj_weight`, ..., `norm.weight`.
 *
 * @example
 * ```ts
 * const layer = new torch.TransformerEncoderLayer(64, 4, { batchFirst: true });
 * const encoder = new torch.TransformerEncoder(layer, 6);   // six deep copies, as in PyTorch
 * const mask = torch.generateSquareSubsequentMask(10);
 * console.log(encoder.forward(torch.randn([2, 10, 64]), { mask }).shape);   // [2, 10, 64]
 * ```
 */
export class TransformerEncoder extends Module {
  /** The encoder layers, applied in order (state-dict keys `layers.0.*`, `layers.1.*`, ...). */
  layers: ModuleList<TransformerEncoderLayer>;
  /** The final norm applied after the last layer, or null for none. */
  norm: Module | null;
  /** The number of layers. */
  readonly numLayers: number;

  constructor(encoderLayer: EncoderLayerSource, numLayers: number, norm: (Module & { forward(x: Tensor): Tensor }) | null = null) {
    super();
    this.layers = new ModuleList(buildLayers<TransformerEncoderLayer>('TransformerEncoder', encoderLayer, numLayers, TransformerEncoderLayer));
    this.norm = norm;
    this.numLayers = numLayers;
  }

  /** PyTorch's `forward(src, mask, src_key_padding_mask)`: the masks positionally or as options. */
  forward(src: Tensor, ...args: T.PosArgs<TransformerEncoderForwardOptions, ['mask', 'srcKeyPaddingMask']>): Tensor {
    const { mask = null, srcKeyPaddingMask = null } = T.parseArgs('TransformerEncoder.forward', args, ['mask', 'srcKeyPaddingMask']) as TransformerEncoderForwardOptions;
    return T.tidy(() => {
      let x = src;
      for (const layer of this.layers) x = layer.forward(x, { srcMask: mask, srcKeyPaddingMask });
      if (this.norm) x = (this.norm as Module & { forward(x: Tensor): Tensor }).forward(x);
      return x;
    });
  }
}
