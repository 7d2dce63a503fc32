/**
 * The conformance suite in Node on the wasm backend with a thread pool (worker_threads on a
 * shared memory): two threads, and every product and attention pass the pool can split sent to
 * it, so that odd shapes cross thread boundaries. No skip list.
 */
import { registerBackend } from '@torchlet/core';
import { createWasmBackend } from '@torchlet/backend-wasm';
import { defineConformanceSuite } from './define-suite.ts';

registerBackend('wasm-threads', () => createWasmBackend({ threads: 2, parallelThreshold: 0 }));
await defineConformanceSuite('wasm-threads');
