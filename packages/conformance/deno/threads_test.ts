/**
 * The conformance suite in Deno on the wasm backend with a thread pool (Web Workers on a shared
 * memory): two threads, and every product and attention pass the pool can split sent to it.
 */
import { registerBackend } from '@torchlet/core';
import { createWasmBackend } from '@torchlet/backend-wasm';
import { defineConformanceTests } from './suite.ts';

registerBackend('wasm-threads', () => createWasmBackend({ threads: 2, parallelThreshold: 0 }));
defineConformanceTests('wasm-threads');
