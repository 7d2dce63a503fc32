import { registerBackend } from '@torchlet/core';
import { createWasmBackend } from './backend.ts';

export { WasmBackend, createWasmBackend, type WasmBackendOptions } from './backend.ts';
export { loadKernels, supportsSimd, supportsRelaxedSimd, type KernelExports, type KernelVariant, type LoadedKernels } from './load.ts';

// Importing this package makes 'wasm' available to setBackend (the package's one side effect).
registerBackend('wasm', (options) => createWasmBackend(options as { variant?: 'relaxed' | 'simd' }), 10);
