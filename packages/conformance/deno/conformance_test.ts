/**
 * The conformance suite in Deno on the wasm backend (`pnpm run test:deno`); see suite.ts.
 */
import '@torchlet/backend-wasm';
import { defineConformanceTests } from './suite.ts';

defineConformanceTests('wasm');
