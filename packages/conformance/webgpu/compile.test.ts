/**
 * torch.compile against eager on WebGPU in Node (Dawn on SwiftShader when there is no GPU): the
 * two small training loops within rtol 1e-5, and with TORCHLET_COMPILE_MODULES=1 every modules case
 * with its tolerances (about five minutes on SwiftShader; all 32 pass) (compile-suite.ts).
 */
import '@torchlet/backend-webgpu';
import { existsSync } from 'node:fs';
import { defineCompiledSuite } from '../test/compile-suite.ts';

const SWIFTSHADER = '/usr/lib/chromium/vk_swiftshader_icd.json';
if (process.env.VK_ICD_FILENAMES === undefined && existsSync(SWIFTSHADER)) process.env.VK_ICD_FILENAMES = SWIFTSHADER;

await defineCompiledSuite('webgpu', false, process.env.TORCHLET_COMPILE_MODULES === '1');
