import { registerBackend } from '@torchlet/core';
import { createWasmBackend, type WasmBackendOptions } from './backend.ts';

export { WasmBackend, createWasmBackend, type WasmBackendOptions } from './backend.ts';
export type { ThreadPool, GeneratedRun } from './threads.ts';

/**
 * The thread pool's class, loading its code: the pool is a chunk of its own, which a backend
 * loads only when it starts pool threads (one-thread apps never do), so the class is not a static
 * export. For profiling tools that wrap its methods; backends create their pools themselves.
 *
 * @example
 * ```ts
 * import { loadThreadPool } from '@torchlet/backend-wasm';
 * const ThreadPool = await loadThreadPool();
 * console.log(typeof ThreadPool.start);   // 'function'
 * ```
 */
export async function loadThreadPool(): Promise<typeof import('./threads.ts').ThreadPool> {
  return (await import('./threads.ts')).ThreadPool;
}
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
