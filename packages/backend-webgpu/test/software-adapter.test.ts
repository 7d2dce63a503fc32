/**
 * On an adapter that runs shaders on the CPU (SwiftShader, llvmpipe), every matmul runs as tfjs's
 * packed program: tfjs's pick for small outputs (one 256-thread workgroup per output element,
 * MatMulReduceProgram) cost ~30 ms of CPU per product there, which made the small models of the
 * tests spend most of their time in matmul (tfjs.ts). tfjs's global flag is left as it was.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as torch from '@torchlet/core';
import { removeBackendInstance } from '@torchlet/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import '../src/index.ts'; // registers 'webgpu'
import type { WebGpuBackend } from '../src/index.ts';
import { isSoftwareAdapter } from '../src/tfjs.ts';

let backend: WebGpuBackend;
beforeAll(async () => {
  backend = (await torch.setBackend('webgpu')) as WebGpuBackend;
});
afterAll(() => removeBackendInstance('webgpu'));

const info = (o: Partial<GPUAdapterInfo> & { isFallbackAdapter?: boolean }): GPUAdapterInfo => ({ vendor: '', architecture: '', device: '', description: '', ...o }) as GPUAdapterInfo;

describe('software adapters', () => {
  it('are known by isFallbackAdapter or by name', () => {
    // As Dawn (Node, Chromium) and wgpu (Deno) report them on this machine type.
    expect(isSoftwareAdapter(info({ vendor: 'google', architecture: 'swiftshader', description: 'SwiftShader driver 5.0.0', isFallbackAdapter: true }))).toBe(true);
    expect(isSoftwareAdapter(info({ vendor: '65541', description: 'llvmpipe (LLVM 15.0.6, 256 bits)', isFallbackAdapter: true }))).toBe(true);
    expect(isSoftwareAdapter(info({ vendor: 'google', architecture: 'swiftshader' }))).toBe(true);
    expect(isSoftwareAdapter(info({ description: 'lavapipe' }))).toBe(true);
    expect(isSoftwareAdapter(info({ vendor: 'nvidia', architecture: 'hopper', isFallbackAdapter: false }))).toBe(false);
    expect(isSoftwareAdapter(undefined)).toBe(false);
  });

  it("run a small matmul as tfjs's packed program, with tfjs's flag restored", async () => {
    const device = backend.device as GPUDevice & Record<string, unknown>;
    const shaders: string[] = [];
    const create = device.createShaderModule;
    device.createShaderModule = (d: GPUShaderModuleDescriptor) => {
      shaders.push(d.code);
      return create.call(device, d);
    };
    try {
      // [3, 32] @ [32, 4]: 12 outputs, for which tfjs would pick its reduce program; K a whole
      // tile and both operands packed at offset 0, so the backend hands it to tfjs (backend.ts).
      const a = torch.arange(96).reshape([3, 32]).float(), b = torch.arange(128).reshape([32, 4]).float().div(4);
      const got = await a.matmul(b).data();
      const ah = await a.data(), bh = await b.data();
      for (let m = 0; m < 3; m++) {
        for (let n = 0; n < 4; n++) {
          let want = 0;
          for (let k = 0; k < 32; k++) want += ah[m * 32 + k]! * bh[k * 4 + n]!;
          expect(got[m * 4 + n]).toBe(want); // multiples of 1/4 below 2^24: exact
        }
      }
    } finally {
      device.createShaderModule = create;
    }
    expect(tf.env().get('WEBGPU_MATMUL_PROGRAM_TYPE')).toBe(-1);
    // tfjs's reduce program declares `sumValues`; its packed one tiles A and B in mm_Asub / mm_Bsub.
    expect(shaders.some((s) => s.includes('sumValues'))).toBe(false);
    expect(shaders.some((s) => s.includes('mm_Asub'))).toBe(true);
  });
});
