import { registerBackend } from '@torchlet/core';
import { createWebGpuBackend } from './backend.ts';
import type { WebGpuBackendOptions } from './device.ts';

export { WebGpuBackend, createWebGpuBackend, OP_PROGRAMS } from './backend.ts';
export type { WebGpuBackendOptions } from './device.ts';
export { BufferPool, type PoolStats } from './pool.ts';
export type { WebGpuCounters } from './counters.ts';
/** @internal The op x dtype expression tables (for the generated coverage table). */
export * as KERNEL_TABLES from './kernels.ts';

/**
 * Importing this package makes 'webgpu' available to setBackend (its one side effect). Its
 * priority (5) is below wasm's (10): a software adapter (SwiftShader, lavapipe) is far slower
 * than the wasm backend, and whether the adapter is real is only known after an async request,
 * so `setBackend()` without a name picks wasm when both are imported; ask for 'webgpu' by name.
 */
registerBackend('webgpu', (options) => createWebGpuBackend(options as WebGpuBackendOptions), 5);
