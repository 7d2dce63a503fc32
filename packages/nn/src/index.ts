/**
 * @torchlet/nn: neural networks for torchlet. For now the functional API, under both of
 * PyTorch's usual names: `import { F } from '@torchlet/nn'` (or `functional`).
 */
export * as functional from './functional/index.ts';
export * as F from './functional/index.ts';
