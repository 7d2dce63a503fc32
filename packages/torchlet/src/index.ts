/**
 * torchlet: the umbrella package. `import * as torch from 'torchlet'` gives the whole API of
 * the @torchlet/* packages, with the WebAssembly backend registered (`await torch.setBackend('wasm')`).
 */
// Registers the 'wasm' backend with core's registry as a side effect of the import.
import '@torchlet/backend-wasm';

export * from '@torchlet/core';
// Importing autograd turns on gradient recording: loss.backward() just works.
export { grad, valueAndGrad, gradOf, type GradOptions, type AutogradGradOptions } from '@torchlet/autograd';
/** PyTorch's `torch.autograd` namespace: `autograd.grad(...)` is `gradOf`. */
export * as autograd from '@torchlet/autograd';
// torch.nn (for now its functional API) and torch.nn.functional as F, as PyTorch users write them.
export * as nn from '@torchlet/nn';
export { F } from '@torchlet/nn';
// torch.optim: optimizers, lr schedulers (optim.StepLR, ...) and gradient clipping.
export * as optim from '@torchlet/optim';
// Attention and Transformers (PyTorch's nn.MultiheadAttention, nn.Transformer*, F.scaled_dot_product_attention):
// the `transformer` namespace, and its main classes at the top level.
export * as transformer from '@torchlet/transformer';
export {
  MultiheadAttention, Transformer, TransformerEncoder, TransformerEncoderLayer, TransformerDecoder, TransformerDecoderLayer,
  scaledDotProductAttention, generateSquareSubsequentMask,
} from '@torchlet/transformer';
/** torch.utils.data and the torchvision/torchtext datasets: `datasets.DataLoader`, `datasets.loadMNIST`, ... */
export * as datasets from '@torchlet/datasets';
/**
 * Training in a worker (worker_threads in Node, Web Workers in Deno and browsers): the worker's
 * module calls `serveTraining(train)`, the main thread `trainInWorker(url)`.
 */
export * from './worker-training/index.ts';
