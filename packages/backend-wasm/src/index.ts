import { registerBackend } from '@torchlet/core';
import { createWasmBackend, type WasmBackendOptions } from './backend.ts';

export { WasmBackend, createWasmBackend, type WasmBackendOptions } from './backend.ts';
export { ThreadPool, type GeneratedRun } from './threads.ts';
export {
  loadKernels,
  supportsSimd,
  supportsRelaxedSimd,
  supportsThreads,
  type KernelExports,
  type KernelVariant,
  type LoadedKernels,
  type LoadKernelsOptions,
  type PartKernels,
} from './load.ts';

// Importing this package makes 'wasm' available to setBackend (the package's one side effect).
registerBackend('wasm', (options) => createWasmBackend(options as WasmBackendOptions), 10);
