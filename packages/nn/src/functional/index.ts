/**
 * `torch.nn.functional` for torchlet: `import { F } from '@torchlet/nn'`, then
 * `F.crossEntropy(logits, labels)`, `F.relu(x)`, `F.conv2d(x, w, b, { padding: 1 })`.
 * The ops live in @torchlet/core (they are tensor ops); the losses live here.
 */
export {
  // activations
  relu, gelu, silu, leakyRelu, elu, softplus, sigmoid, tanh,
  type GeluOptions, type SoftplusOptions,
  // linear, normalization, regularization, lookup
  linear, softmax, logSoftmax, layerNorm, batchNorm, dropout, embedding, oneHot, cosineSimilarity,
  // convolution, pooling, padding
  conv1d, conv2d, maxPool2d, avgPool2d, adaptiveAvgPool2d, pad,
  type LayerNormOptions, type BatchNormOptions, type DropoutOptions, type EmbeddingOptions, type ConvOptions,
  type MaxPool2dOptions, type AvgPool2dOptions, type CosineSimilarityOptions,
} from '@torchlet/core';
export * from './loss.ts';
