/**
 * `torch.nn.functional` for torchlet: `import { F } from '@torchlet/nn'`, then
 * `F.crossEntropy(logits, labels)`, `F.relu(x)`, `F.conv2d(x, w, b, { padding: 1 })`.
 * The ops live in @torchlet/core (they are tensor ops); the losses live here.
 */
import type * as core from '@torchlet/core';

export {
  // activations
  relu, gelu, silu, leakyRelu, elu, softplus, sigmoid, tanh,
  // linear, normalization, regularization, lookup
  linear, softmax, logSoftmax, layerNorm, batchNorm, dropout, embedding, oneHot, cosineSimilarity,
  // convolution, pooling, padding
  conv1d, conv2d, maxPool2d, avgPool2d, adaptiveAvgPool2d, pad,
} from '@torchlet/core';
// Local aliases rather than `export type {...} from`: tsup's declaration bundler turns re-exported
// types of another package into values inside `export * as F`, which breaks `F.ConvOptions`.
export type GeluOptions = core.GeluOptions;
export type SoftplusOptions = core.SoftplusOptions;
export type LayerNormOptions = core.LayerNormOptions;
export type BatchNormOptions = core.BatchNormOptions;
export type DropoutOptions = core.DropoutOptions;
export type EmbeddingOptions = core.EmbeddingOptions;
export type ConvOptions = core.ConvOptions;
export type MaxPool2dOptions = core.MaxPool2dOptions;
export type AvgPool2dOptions = core.AvgPool2dOptions;
export type CosineSimilarityOptions = core.CosineSimilarityOptions;
export * from './loss.ts';
