/**
 * The conformance suite in Node on the WebGPU backend: Dawn (npm `webgpu`) on SwiftShader's
 * software Vulkan driver when there is no GPU. Every case is its own test, as on wasm; no skip list.
 */
import '@torchlet/backend-webgpu';
import { existsSync } from 'node:fs';
import { defineConformanceSuite } from '../test/define-suite.ts';

const SWIFTSHADER = '/usr/lib/chromium/vk_swiftshader_icd.json';
if (process.env.VK_ICD_FILENAMES === undefined && existsSync(SWIFTSHADER)) process.env.VK_ICD_FILENAMES = SWIFTSHADER;

await defineConformanceSuite('webgpu');
