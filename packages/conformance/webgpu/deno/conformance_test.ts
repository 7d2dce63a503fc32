/**
 * The conformance suite in Deno on the WebGPU backend (Deno's wgpu; lavapipe without a GPU),
 * `pnpm run test:webgpu`; see ../../deno/suite.ts. Then torch.compile against eager
 * (src/compiled.ts: every modules case with its tolerances, the MLP and Transformer loops within
 * rtol 1e-5, a re-trace, a value read), in this module so that they run on the device whose
 * pipelines the eager cases compiled.
 */
import '@torchlet/backend-webgpu';
import { defineCompiledTests } from '../../deno/compile_suite.ts';
import { defineConformanceTests } from '../../deno/suite.ts';

defineConformanceTests('webgpu');
await defineCompiledTests('webgpu', false);
