/**
 * The shared dtype suite (core/test/dtype-suite.ts) on the WebGPU backend: float16/bfloat16 live
 * two to a 32-bit word and convert in WGSL with integer arithmetic (no shader-f16 needed).
 */
import '@torchlet/autograd';
import { afterAll, beforeAll, expect } from 'vitest';
import * as torch from '@torchlet/core';
import { removeBackendInstance } from '@torchlet/core';
import '../src/index.ts';
import { defineDtypeSuite } from '../../core/test/dtype-suite.ts';

beforeAll(async () => {
  await torch.setBackend('webgpu');
  expect(torch.getBackend().name).toBe('webgpu');
});

afterAll(() => removeBackendInstance('webgpu'));

defineDtypeSuite();
