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
  linear, softmax, logSoftmax, layerNorm, rmsNorm, batchNorm, dropout, embedding, oneHot, cosineSimilarity,
  // convolution, pooling, padding
  conv1d, conv2d, maxPool2d, avgPool2d, adaptiveAvgPool2d, pad,
} from '@torchlet/core';
// Local aliases rather than `export type {...} from`: tsup's declaration bundler turns re-exported
// types of another package into values inside `export * as F`, which breaks `F.ConvOptions`.
/** Options of `F.gelu` (core's `GeluOptions`): `approximate: 'none' | 'tanh'`. */
export type GeluOptions = core.GeluOptions;
/** Options of `F.softplus` (core's `SoftplusOptions`): `beta`, `threshold`. */
export type SoftplusOptions = core.SoftplusOptions;
/** Options of `F.layerNorm` (core's `LayerNormOptions`): affine `weight`/`bias`, `eps`. */
export type LayerNormOptions = core.LayerNormOptions;
/** Options of `F.rmsNorm` (core's `RMSNormOptions`): elementwise `weight`, `eps`. */
export type RMSNormOptions = core.RMSNormOptions;
/** Options of `F.batchNorm` (core's `BatchNormOptions`): affine `weight`/`bias`, `training` (default false), `momentum`, `eps`. */
export type BatchNormOptions = core.BatchNormOptions;
/** Options of `F.dropout` (core's `DropoutOptions`): `p`, `training`. */
export type DropoutOptions = core.DropoutOptions;
/** Options of `F.embedding` (core's `EmbeddingOptions`): `paddingIdx`, the row that gets no gradient. */
export type EmbeddingOptions = core.EmbeddingOptions;
/** Options of `F.conv1d` and `F.conv2d` (core's `ConvOptions`): `stride`, `padding`, `dilation`, `groups`. */
export type ConvOptions = core.ConvOptions;
/** Options of `F.maxPool2d` (core's `MaxPool2dOptions`): `kernelSize`, `stride`, `padding`, `dilation`, `ceilMode`. */
export type MaxPool2dOptions = core.MaxPool2dOptions;
/** Options of `F.avgPool2d` (core's `AvgPool2dOptions`): `kernelSize`, `stride`, `padding`, `ceilMode`, `countIncludePad`, `divisorOverride`. */
export type AvgPool2dOptions = core.AvgPool2dOptions;
/** Options of `F.cosineSimilarity` (core's `CosineSimilarityOptions`): `dim`, `eps`. */
export type CosineSimilarityOptions = core.CosineSimilarityOptions;
export * from './loss.ts';
