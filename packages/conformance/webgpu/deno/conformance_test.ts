/**
 * The conformance suite in Deno on the WebGPU backend (Deno's wgpu; lavapipe without a GPU),
 * `pnpm run test:webgpu`; see ../../deno/suite.ts.
 */
import '@torchlet/backend-webgpu';
import { defineConformanceTests } from '../../deno/suite.ts';

defineConformanceTests('webgpu');
