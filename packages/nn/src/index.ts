/**
 * @torchlet/nn: neural networks for torchlet — `Module` and its layers, `Parameter`, `init`,
 * state dicts, and the functional API under both of PyTorch's names
 * (`import { F } from '@torchlet/nn'`, or `functional`).
 */
export * as functional from './functional/index.ts';
export * as F from './functional/index.ts';
export * as init from './init.ts';
export { Parameter, isParameter } from './parameter.ts';
export { castParameters } from './cast.ts';
export { Module, toSnakeCase, stateDictToLists, type StateDict, type LoadResult, type RemovableHandle } from './module.ts';
export type { FullBackwardHook } from './backward-hook.ts';
export { Sequential, ModuleList, ModuleDict } from './modules/container.ts';
export { Linear, type LinearOptions } from './modules/linear.ts';
export { ReLU, GELU, SiLU, Tanh, Sigmoid, LeakyReLU, ELU, Softplus, Softmax, LogSoftmax, Identity, Flatten } from './modules/activation.ts';
export { RNNBase, RNN, LSTM, GRU, type RNNBaseOptions, type RNNOptions, type LSTMOptions, type GRUOptions } from './modules/rnn.ts';
export { Conv1d, Conv2d, type ConvOptions } from './modules/conv.ts';
export { MaxPool2d, AvgPool2d, AdaptiveAvgPool2d, type MaxPool2dOptions, type AvgPool2dOptions } from './modules/pooling.ts';
export { BatchNorm1d, BatchNorm2d, LayerNorm, type BatchNormOptions, type LayerNormOptions } from './modules/normalization.ts';
export { RMSNorm, type RMSNormOptions } from './modules/rms-norm.ts';
export { Dropout } from './modules/dropout.ts';
export { Embedding, type EmbeddingOptions, type FromPretrainedOptions } from './modules/embedding.ts';
export { MSELoss, L1Loss, SmoothL1Loss, CrossEntropyLoss, NLLLoss, BCELoss, BCEWithLogitsLoss, KLDivLoss } from './modules/loss.ts';
export {
  saveSafetensors, loadSafetensors, loadSafetensorsEntry, readSafetensorsHeader, SafetensorsError, MAX_HEADER_BYTES, MAX_HEADER_VALUES,
  type SafetensorsHeader, type SafetensorsEntry, type SafetensorsDType, type SaveSafetensorsOptions,
} from './safetensors.ts';
export {
  checkpointFiles, readCheckpointText, loadSafetensorsInto,
  type CheckpointFiles, type CheckpointSource, type NamedBlob, type RangeReader, type LoadSafetensorsIntoOptions,
} from './checkpoint-files.ts';
export { LoraLinear, applyLora, loraLayers, loraStateDict, saveLoraAdapter, loadLoraAdapter, type LoraConfig } from './lora.ts';
export * as quantization from './quantization/index.ts';
export { quantizeDynamic, QuantizedLinear, Float16Linear, saveQuantized, loadQuantized, type QuantizeDynamicOptions } from './quantization/index.ts';
export * as utils from './utils/index.ts';
export { distillationLoss, distill, type DistillationOptions, type DistillOptions, type Classifier, type StepOptimizer } from './distill.ts';
