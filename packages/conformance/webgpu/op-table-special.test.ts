/** The op table's NaN/Infinity/edge-value table on the WebGPU backend (Dawn; SwiftShader without a GPU). */
import '@torchlet/backend-webgpu';
import { existsSync } from 'node:fs';
import { defineOpTableSpecialSuite } from '../test/op-table-special.ts';

const SWIFTSHADER = '/usr/lib/chromium/vk_swiftshader_icd.json';
if (process.env.VK_ICD_FILENAMES === undefined && existsSync(SWIFTSHADER)) process.env.VK_ICD_FILENAMES = SWIFTSHADER;

// WGSL computes in f32 with the prelude's helpers (wgsl.ts): a few ulp from PyTorch.
defineOpTableSpecialSuite('webgpu', { rtol: 1e-5, atol: 1e-30 });
