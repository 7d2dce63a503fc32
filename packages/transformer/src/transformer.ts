/** `Transformer`: PyTorch's encoder-decoder model (Vaswani et al., "Attention Is All You Need"). */
import * as T from '@torchlet/core';
import type { Tensor } from '@torchlet/core';
import { LayerNorm, Module, init } from '@torchlet/nn';
import { TransformerDecoder } from './decoder.ts';
import { LAYER_ARGS, TransformerEncoder, checkLayerArgs, type TransformerLayerConfig, type TransformerLayerOptions } from './encoder.ts';
import { generateSquareSubsequentMask } from './masks.ts';

/** PyTorch's positional order of the constructor's arguments. */
const TRANSFORMER_ARGS = [
  'dModel', 'nhead', 'numEncoderLayers', 'numDecoderLayers', 'dimFeedforward', 'dropout', 'activation',
  'customEncoder', 'customDecoder', 'layerNormEps', 'batchFirst', 'normFirst',
] as const;
/** PyTorch's positional order of `forward`'s masks, after `src, tgt`. */
const TRANSFORMER_MASKS = ['srcMask', 'tgtMask', 'memoryMask', 'srcKeyPaddingMask', 'tgtKeyPaddingMask', 'memoryKeyPaddingMask'] as const;

const shapeStr = (s: readonly number[]): string => `[${s.join(', ')}]`;

/** What `Transformer` needs of its encoder (a `TransformerEncoder`, or a custom one). */
export interface EncoderLike extends Module {
  /** `src` (N, S, E) or (S, N, E) -> memory of the same shape. */
  forward(src: Tensor, options?: { mask?: Tensor | null; srcKeyPaddingMask?: Tensor | null }): Tensor;
}

/** What `Transformer` needs of its decoder (a `TransformerDecoder`, or a custom one). */
export interface DecoderLike extends Module {
  /** `tgt` (N, T, E) or (T, N, E) attending to `memory` -> output shaped like `tgt`. */
  forward(tgt: Tensor, memory: Tensor, options?: TransformerForwardOptions): Tensor;
}

export interface TransformerOptions extends TransformerLayerOptions {
  /** Model width (default 512). */
  dModel?: number;
  /** Attention heads (default 8). */
  nhead?: number;
  /** Encoder layers (default 6). */
  numEncoderLayers?: number;
  /** Decoder layers (default 6). */
  numDecoderLayers?: number;
  /** Used instead of the default encoder (PyTorch's `custom_encoder`). */
  customEncoder?: EncoderLike;
  /** Used instead of the default decoder (PyTorch's `custom_decoder`). */
  customDecoder?: DecoderLike;
}

/**
 * The masks of `Transformer.forward` (PyTorch's `src_mask`, `tgt_mask`, ...): bool `true` = not allowed
 * (or padding), or float additive. Shapes are for batched inputs; `N*nhead`-batched 3-d attention masks
 * work too.
 */
export interface TransformerForwardOptions {
  /** Encoder self-attention mask `(S, S)`. */
  srcMask?: Tensor | null;
  /** Decoder self-attention mask `(T, T)`, typically `generateSquareSubsequentMask(T)`. */
  tgtMask?: Tensor | null;
  /** Decoder cross-attention mask `(T, S)`. */
  memoryMask?: Tensor | null;
  /** `(N, S)` padding of the source. */
  srcKeyPaddingMask?: Tensor | null;
  /** `(N, T)` padding of the target. */
  tgtKeyPaddingMask?: Tensor | null;
  /** `(N, S)` padding of the memory (usually the same as srcKeyPaddingMask). */
  memoryKeyPaddingMask?: Tensor | null;
}

/**
 * An encoder of `numEncoderLayers` layers with a final LayerNorm (`encoder.norm`), and a decoder
 * of `numDecoderLayers` layers with a final LayerNorm (`decoder.norm`). As PyTorch, every weight
 * matrix is re-initialised xavier-uniform after construction.
 *
 * `new Transformer({ dModel: 512, nhead: 8 })` is PyTorch's `nn.Transformer(d_model=512, nhead=8)`.
 *
 * @example
 * ```ts
 * const model = new torch.Transformer({ dModel: 64, nhead: 4, numEncoderLayers: 2, numDecoderLayers: 2, batchFirst: true });
 * const src = torch.randn([2, 10, 64]), tgt = torch.randn([2, 7, 64]);
 * const out = model.forward(src, tgt, { tgtMask: torch.Transformer.generateSquareSubsequentMask(7) });
 * console.log(out.shape);   // [2, 7, 64]
 * ```
 */
export class Transformer extends Module {
  /** The encoder: a `TransformerEncoder` with a final LayerNorm, or `customEncoder`. */
  encoder: EncoderLike;
  /** The decoder: a `TransformerDecoder` with a final LayerNorm, or `customDecoder`. */
  decoder: DecoderLike;
  /** The model width E that source and target features must have. */
  readonly dModel: number;
  /** The number of attention heads in every layer. */
  readonly nhead: number;
  /** Whether inputs and output are `(N, S, E)` rather than `(S, N, E)`. */
  readonly batchFirst: boolean;

  /**
   * PyTorch's `Transformer(d_model, nhead, num_encoder_layers, num_decoder_layers,
   * dim_feedforward, dropout, activation, custom_encoder, custom_decoder, layer_norm_eps,
   * batch_first, norm_first)`: positionally in that order and/or as options.
   *
   * @example
   * new Transformer(16, 2, 1, 1, 32, 0.0);
   * new Transformer({ dModel: 16, nhead: 2, numEncoderLayers: 1, batchFirst: true });
   */
  constructor(...args: T.PosArgs<TransformerOptions, typeof TRANSFORMER_ARGS>) {
    super();
    const options = T.parseArgs('Transformer', args, TRANSFORMER_ARGS) as TransformerOptions;
    const dModel = options.dModel ?? 512;
    const nhead = options.nhead ?? 8;
    const o = checkLayerArgs('Transformer', dModel, nhead, options);
    // Each layer gets only the layer options (not numEncoderLayers, customEncoder, ...).
    const layer: TransformerLayerConfig = { dModel, nhead };
    for (const k of LAYER_ARGS) if (options[k] !== undefined) (layer as unknown as Record<string, unknown>)[k] = options[k];
    this.encoder = options.customEncoder ?? new TransformerEncoder(layer, options.numEncoderLayers ?? 6, new LayerNorm(dModel, { eps: o.layerNormEps }));
    this.decoder = options.customDecoder ?? new TransformerDecoder(layer, options.numDecoderLayers ?? 6, new LayerNorm(dModel, { eps: o.layerNormEps }));
    this.dModel = dModel;
    this.nhead = nhead;
    this.batchFirst = o.batchFirst;
    this.resetParameters();
  }

  /** PyTorch's `_reset_parameters`: xavier-uniform on every parameter with more than one dim. */
  resetParameters(): void {
    for (const p of this.parameters()) if (p.ndim > 1) init.xavierUniform_(p);
  }

  /**
   * `src (S, N, E)` and `tgt (T, N, E)` (batch first with `batchFirst`; or unbatched) -> the
   * decoder output shaped like `tgt`. The masks in PyTorch's order (`src_mask, tgt_mask,
   * memory_mask, src_key_padding_mask, tgt_key_padding_mask, memory_key_padding_mask`),
   * positionally and/or as options.
   */
  forward(src: Tensor, tgt: Tensor, ...args: T.PosArgs<TransformerForwardOptions, typeof TRANSFORMER_MASKS>): Tensor {
    const options = T.parseArgs('Transformer.forward', args, TRANSFORMER_MASKS) as TransformerForwardOptions;
    if (!(src instanceof T.Tensor) || !(tgt instanceof T.Tensor)) throw new TypeError('Transformer: expected src and tgt to be Tensors');
    const batched = src.ndim === 3;
    const b = this.batchFirst ? 0 : 1;
    if (batched && src.shape[b] !== tgt.shape[b]) {
      throw new RangeError(`Transformer: the batch number of src and tgt must be equal, got src ${shapeStr(src.shape)} and tgt ${shapeStr(tgt.shape)} (batch dim ${b})`);
    }
    if (src.shape[src.ndim - 1] !== this.dModel || tgt.shape[tgt.ndim - 1] !== this.dModel) {
      throw new RangeError(`Transformer: the feature number of src and tgt must be equal to dModel=${this.dModel}, got src ${shapeStr(src.shape)} and tgt ${shapeStr(tgt.shape)}`);
    }
    const { srcMask = null, srcKeyPaddingMask = null, ...dec } = options;
    return T.tidy(() => {
      const memory = this.encoder.forward(src, { mask: srcMask, srcKeyPaddingMask });
      return this.decoder.forward(tgt, memory, dec);
    });
  }

  /** PyTorch's `Transformer.generate_square_subsequent_mask`. */
  static generateSquareSubsequentMask(sz: number): Tensor {
    return generateSquareSubsequentMask(sz);
  }
}

