/** `TransformerDecoderLayer` and `TransformerDecoder` (PyTorch 1.13's math). */
import * as T from '@torchlet/core';
import type { Tensor } from '@torchlet/core';
import { Dropout, LayerNorm, Linear, Module, ModuleList } from '@torchlet/nn';
import { MultiheadAttention } from './multihead-attention.ts';
import { LAYER_ARGS, activationFn, buildLayers, checkLayerArgs, type TransformerLayerArgs, type TransformerLayerConfig, type TransformerLayerOptions } from './encoder.ts';

/** PyTorch's positional order of the decoder's masks, after `tgt, memory`. */
const DECODER_MASKS = ['tgtMask', 'memoryMask', 'tgtKeyPaddingMask', 'memoryKeyPaddingMask'] as const;

/** The decoder's masks: positionally in PyTorch's order and/or as options. */
export type TransformerDecoderForwardArgs = T.PosArgs<TransformerDecoderLayerForwardOptions, typeof DECODER_MASKS>;

/**
 * The masks of `TransformerDecoderLayer.forward` and `TransformerDecoder.forward` (PyTorch's
 * `tgt_mask`, `memory_mask`, ...): bool `true` = not allowed, or float additive.
 */
export interface TransformerDecoderLayerForwardOptions {
  /** Self-attention mask `(T, T)` or `(N*nhead, T, T)`, e.g. `generateSquareSubsequentMask(T)`. */
  tgtMask?: Tensor | null;
  /** Cross-attention mask `(T, S)` or `(N*nhead, T, S)`. */
  memoryMask?: Tensor | null;
  /** `(N, T)`: padding in the target. */
  tgtKeyPaddingMask?: Tensor | null;
  /** `(N, S)`: padding in the memory. */
  memoryKeyPaddingMask?: Tensor | null;
}

/**
 * Self-attention, cross-attention over the encoder's memory and a feed-forward block, each
 * with a residual connection and LayerNorm (post-norm, or pre-norm with `normFirst`).
 * State-dict keys as PyTorch: `self_attn.*`, `multihead_attn.*`, `linear1.*`, `linear2.*`,
 * `norm1.*`, `norm2.*`, `norm3.*`.
 *
 * @example
 * ```ts
 * const layer = new torch.TransformerDecoderLayer(64, 4, { batchFirst: true });
 * const tgt = torch.randn([2, 7, 64]), memory = torch.randn([2, 10, 64]);
 * const out = layer.forward(tgt, memory, { tgtMask: torch.generateSquareSubsequentMask(7) });
 * console.log(out.shape);   // [2, 7, 64]
 * ```
 */
export class TransformerDecoderLayer extends Module {
  /** The configuration this layer was built from (TransformerDecoder copies layers with it). */
  readonly config: Readonly<TransformerLayerConfig>;
  /** Pre-norm (LayerNorm before each block) rather than post-norm. */
  readonly normFirst: boolean;
  /** Whether inputs and outputs are `(N, T, E)` rather than `(T, N, E)`. */
  readonly batchFirst: boolean;
  readonly #activation: (x: Tensor) => Tensor;
  /** Self-attention over the target (PyTorch's `self_attn`). */
  selfAttn: MultiheadAttention;
  /** Cross-attention from the target to the encoder's memory (PyTorch's `multihead_attn`). */
  multiheadAttn: MultiheadAttention;
  /** The feed-forward block's first projection, `dModel -> dimFeedforward`. */
  linear1: Linear;
  /** Dropout after the feed-forward activation. */
  dropout: Dropout;
  /** The feed-forward block's second projection, `dimFeedforward -> dModel`. */
  linear2: Linear;
  /** LayerNorm of the self-attention sub-layer. */
  norm1: LayerNorm;
  /** LayerNorm of the cross-attention sub-layer. */
  norm2: LayerNorm;
  /** LayerNorm of the feed-forward sub-layer. */
  norm3: LayerNorm;
  /** Dropout on the self-attention output, before the residual add. */
  dropout1: Dropout;
  /** Dropout on the cross-attention output, before the residual add. */
  dropout2: Dropout;
  /** Dropout on the feed-forward output, before the residual add. */
  dropout3: Dropout;

  /**
   * PyTorch's `TransformerDecoderLayer(d_model, nhead, dim_feedforward, dropout, activation,
   * layer_norm_eps, batch_first, norm_first)`: the optional arguments positionally in that order
   * and/or as options.
   */
  constructor(dModel: number, nhead: number, ...args: TransformerLayerArgs) {
    super();
    const options = T.parseArgs('TransformerDecoderLayer', args, LAYER_ARGS) as TransformerLayerOptions;
    const o = checkLayerArgs('TransformerDecoderLayer', dModel, nhead, options);
    this.#activation = activationFn(options.activation ?? 'relu', 'TransformerDecoderLayer');
    this.config = { ...options, dModel, nhead };
    this.normFirst = o.normFirst;
    this.batchFirst = o.batchFirst;
    this.selfAttn = new MultiheadAttention(dModel, nhead, { dropout: o.dropout, batchFirst: o.batchFirst });
    this.multiheadAttn = new MultiheadAttention(dModel, nhead, { dropout: o.dropout, batchFirst: o.batchFirst });
    this.linear1 = new Linear(dModel, o.dimFeedforward);
    this.dropout = new Dropout(o.dropout);
    this.linear2 = new Linear(o.dimFeedforward, dModel);
    this.norm1 = new LayerNorm(dModel, { eps: o.layerNormEps });
    this.norm2 = new LayerNorm(dModel, { eps: o.layerNormEps });
    this.norm3 = new LayerNorm(dModel, { eps: o.layerNormEps });
    this.dropout1 = new Dropout(o.dropout);
    this.dropout2 = new Dropout(o.dropout);
    this.dropout3 = new Dropout(o.dropout);
  }

  /** `tgt (T, N, E)` and `memory (S, N, E)` (batch first with batchFirst) -> shaped like `tgt`. */
  forward(tgt: Tensor, memory: Tensor, ...args: TransformerDecoderForwardArgs): Tensor {
    const options = T.parseArgs('TransformerDecoderLayer.forward', args, DECODER_MASKS) as TransformerDecoderLayerForwardOptions;
    const { tgtMask = null, memoryMask = null, tgtKeyPaddingMask = null, memoryKeyPaddingMask = null } = options;
    return T.tidy(() => {
      let x = tgt;
      if (this.normFirst) {
        x = x.add(this.#saBlock(this.norm1.forward(x), tgtMask, tgtKeyPaddingMask));
        x = x.add(this.#mhaBlock(this.norm2.forward(x), memory, memoryMask, memoryKeyPaddingMask));
        x = x.add(this.#ffBlock(this.norm3.forward(x)));
      } else {
        x = this.norm1.forward(x.add(this.#saBlock(x, tgtMask, tgtKeyPaddingMask)));
        x = this.norm2.forward(x.add(this.#mhaBlock(x, memory, memoryMask, memoryKeyPaddingMask)));
        x = this.norm3.forward(x.add(this.#ffBlock(x)));
      }
      return x;
    });
  }

  #saBlock(x: Tensor, mask: Tensor | null, kpm: Tensor | null): Tensor {
    const [y] = this.selfAttn.forward(x, x, x, { attnMask: mask, keyPaddingMask: kpm, needWeights: false });
    return this.dropout1.forward(y);
  }

  #mhaBlock(x: Tensor, mem: Tensor, mask: Tensor | null, kpm: Tensor | null): Tensor {
    const [y] = this.multiheadAttn.forward(x, mem, mem, { attnMask: mask, keyPaddingMask: kpm, needWeights: false });
    return this.dropout2.forward(y);
  }

  #ffBlock(x: Tensor): Tensor {
    return this.dropout3.forward(this.linear2.forward(this.dropout.forward(this.#activation(this.linear1.forward(x)))));
  }
}

/** Like {@link EncoderLayerSource}, for decoder layers. */
export type DecoderLayerSource = TransformerDecoderLayer | TransformerLayerConfig | ((index: number) => TransformerDecoderLayer);

/**
 * A stack of `numLayers` independent decoder layers and an optional final norm. State-dict keys
 * as PyTorch: `layers.0.multihead_attn.in_proj_weight`, ..., `norm.weight`.
 *
 * @example
 * ```ts
 * const decoder = new torch.TransformerDecoder(new torch.TransformerDecoderLayer(64, 4), 2);
 * const tgt = torch.randn([7, 2, 64]), memory = torch.randn([10, 2, 64]);   // (T, N, E): batchFirst false
 * console.log(decoder.forward(tgt, memory).shape);   // [7, 2, 64]
 * ```
 */
export class TransformerDecoder extends Module {
  /** The decoder layers, applied in order (state-dict keys `layers.0.*`, `layers.1.*`, ...). */
  layers: ModuleList<TransformerDecoderLayer>;
  /** The final norm applied after the last layer, or null for none. */
  norm: Module | null;
  /** The number of layers. */
  readonly numLayers: number;

  constructor(decoderLayer: DecoderLayerSource, numLayers: number, norm: (Module & { forward(x: Tensor): Tensor }) | null = null) {
    super();
    this.layers = new ModuleList(buildLayers<TransformerDecoderLayer>('TransformerDecoder', decoderLayer, numLayers, TransformerDecoderLayer));
    this.norm = norm;
    this.numLayers = numLayers;
  }

  /**
   * PyTorch's `forward(tgt, memory, tgt_mask, memory_mask, tgt_key_padding_mask,
   * memory_key_padding_mask)`: the masks positionally and/or as options.
   *
   * @example
   * decoder.forward(tgt, memory, generateSquareSubsequentMask(T));
   */
  forward(tgt: Tensor, memory: Tensor, ...args: TransformerDecoderForwardArgs): Tensor {
    const options = T.parseArgs('TransformerDecoder.forward', args, DECODER_MASKS) as TransformerDecoderLayerForwardOptions;
    return T.tidy(() => {
      let x = tgt;
      for (const layer of this.layers) x = layer.forward(x, memory, options);
      if (this.norm) x = (this.norm as Module & { forward(x: Tensor): Tensor }).forward(x);
      return x;
    });
  }
}
