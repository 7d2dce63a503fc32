/**
 * @torchlet/transformer: attention and Transformers with PyTorch's options, masks and
 * state-dict keys — `scaledDotProductAttention`, `MultiheadAttention`,
 * `Transformer{Encoder,Decoder}[Layer]`, `Transformer` and `generateSquareSubsequentMask`.
 */
export { scaledDotProductAttention, attentionWithWeights, toAdditiveMask, causalMask, type ScaledDotProductAttentionOptions } from './attention.ts';
export { MultiheadAttention, type MultiheadAttentionOptions, type MultiheadAttentionForwardOptions } from './multihead-attention.ts';
export {
  TransformerEncoderLayer, TransformerEncoder,
  type Activation, type TransformerLayerOptions, type TransformerLayerConfig, type EncoderLayerSource,
  type TransformerEncoderLayerForwardOptions, type TransformerEncoderForwardOptions,
} from './encoder.ts';
export { TransformerDecoderLayer, TransformerDecoder, type DecoderLayerSource, type TransformerDecoderLayerForwardOptions } from './decoder.ts';
export { Transformer, type TransformerOptions, type TransformerForwardOptions } from './transformer.ts';
export { generateSquareSubsequentMask } from './masks.ts';
