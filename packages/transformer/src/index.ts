/**
 * @torchlet/transformer: attention and Transformers with PyTorch's options, masks and
 * state-dict keys — `scaledDotProductAttention`, `MultiheadAttention`,
 * `Transformer{Encoder,Decoder}[Layer]`, `Transformer` and `generateSquareSubsequentMask`; positional
 * encodings, a GPT with a key/value cache and GPT-2 weight loading, the Llama family (RMSNorm,
 * rotary embeddings, SwiGLU, grouped-query attention; Hugging Face and llama2.c checkpoints), and
 * tokenizers (char, byte-level BPE).
 */
export { scaledDotProductAttention, attentionWithWeights, toAdditiveMask, causalMask, type ScaledDotProductAttentionOptions } from './attention.ts';
export { MultiheadAttention, type MultiheadAttentionOptions, type MultiheadAttentionForwardOptions } from './multihead-attention.ts';
export {
  TransformerEncoderLayer, TransformerEncoder,
  type Activation, type TransformerLayerOptions, type TransformerLayerConfig, type EncoderLayerSource,
  type TransformerEncoderLayerForwardOptions, type TransformerEncoderForwardOptions,
} from './encoder.ts';
export { TransformerDecoderLayer, TransformerDecoder, type DecoderLayerSource, type TransformerDecoderLayerForwardOptions } from './decoder.ts';
export { Transformer, type TransformerOptions, type TransformerForwardOptions, type EncoderLike, type DecoderLike } from './transformer.ts';
export { generateSquareSubsequentMask } from './masks.ts';
export { SinusoidalPositionalEncoding, LearnedPositionalEmbedding, type PositionalEncodingOptions, type PositionalForwardOptions } from './positional.ts';
export { GPT, GPTModel, Block, CausalSelfAttention, MLP, Sampler, type GPTConfig, type GenerateOptions } from './gpt.ts';
export { KVCache, LayerKV } from './kv-cache.ts';
export { mapGPT2Keys, inferGPT2Config, gptFromHuggingFace } from './gpt2.ts';
export { LlamaForCausalLM, LlamaModel, LlamaDecoderLayer, LlamaAttention, LlamaMLP, llamaConfigFromHF, type LlamaConfig } from './llama.ts';
export { RotaryEmbedding, type RopeStyle } from './rope.ts';
export { generateStream, generateBatch, type CausalLM, type GenerationOptions } from './generate.ts';
export { loadLlama2c, readLlama2cHeader, type Llama2cHeader } from './llama2c.ts';
export { CharTokenizer } from './tokenizers/char.ts';
export { SentencePieceTokenizer, type SentencePieceSpec } from './tokenizers/sentencepiece.ts';
export { HFTokenizer } from './tokenizers/hf-tokenizer.ts';
export { BPETokenizer, bytesToUnicode, preTokenize, GPT2_PATTERN, type BPETokenizerOptions, type BPETrainOptions, type ByteUnicodeTable } from './tokenizers/bpe.ts';
