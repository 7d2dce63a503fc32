/**
 * The conformance suite in Node on the WebGPU backend: Dawn (npm `webgpu`) on SwiftShader's
 * software Vulkan driver when there is no GPU. Every case is its own test, as on wasm; no skip list.
 * Then torch.compile against eager (compile-suite.ts, src/compiled.ts: every modules case compiled,
 * the seed MLP and Transformer loops within rtol 1e-5, a re-trace, a value read), in this file so
 * that they find the eager cases' pipelines compiled on the same device: SwiftShader compiles each
 * of tfjs's matmul shaders in ~0.7 s of CPU, most of what a fresh device spends on these checks.
 */
import '@torchlet/backend-webgpu';
import { existsSync } from 'node:fs';
import { defineCompiledSuite } from '../test/compile-suite.ts';
import { defineConformanceSuite } from '../test/define-suite.ts';

const SWIFTSHADER = '/usr/lib/chromium/vk_swiftshader_icd.json';
if (process.env.VK_ICD_FILENAMES === undefined && existsSync(SWIFTSHADER)) process.env.VK_ICD_FILENAMES = SWIFTSHADER;

await defineConformanceSuite('webgpu');
await defineCompiledSuite('webgpu', false);
