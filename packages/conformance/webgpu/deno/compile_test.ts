/// <reference lib="deno.ns" />
/**
 * torch.compile against eager in Deno on WebGPU (Deno's wgpu; lavapipe without a GPU), the checks
 * of src/compiled.ts within rtol 1e-5 for the training loops and each modules case's tolerances.
 */
import '@torchlet/backend-webgpu';
import { defineCompiledTests } from '../../deno/compile_suite.ts';

await defineCompiledTests('webgpu', false);
