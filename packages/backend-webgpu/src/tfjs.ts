/// <reference types="@webgpu/types" />
/**
 * The bridge to @tensorflow/tfjs-backend-webgpu: one tfjs WebGPUBackend on *our* GPUDevice, so
 * GPU buffers pass between the two without copies. tfjs registers its kernels under the name
 * 'webgpu'; we register the same kernels under {@link TFJS_BACKEND_NAME} so that a user's own
 * tfjs 'webgpu' backend (on another device) is left alone.
 *
 * Ordering: tfjs records into its own command encoder. Before a tfjs op, the torchlet backend
 * submits its pending work (tfjs reads our buffers); after it, `submitQueue()` submits tfjs's,
 * so our later commands (recorded in our next encoder) see its result. One GPUQueue orders both.
 */
import * as tf from '@tensorflow/tfjs-core';
import { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';

export const TFJS_BACKEND_NAME = 'torchlet-webgpu';

/** The parts of tfjs's WebGPUBackend we use that its typings mark internal. */
interface TfjsInternals {
  submitQueue(): void;
  endComputePassEncoder(): void;
  commandEncoder: GPUCommandEncoder | null;
  tensorMap: { get(dataId: object): { resource: GPUBuffer | null } | undefined };
}

export class TfjsBridge {
  readonly backend: WebGPUBackend;

  private constructor(backend: WebGPUBackend) {
    this.backend = backend;
  }

  static async create(device: GPUDevice, adapterInfo: GPUAdapterInfo | undefined): Promise<TfjsBridge> {
    const backend = new WebGPUBackend(device, adapterInfo);
    if (tf.findBackend(TFJS_BACKEND_NAME)) tf.removeBackend(TFJS_BACKEND_NAME);
    else {
      for (const k of tf.getKernelsForBackend('webgpu')) tf.registerKernel({ ...k, backendName: TFJS_BACKEND_NAME });
    }
    tf.registerBackend(TFJS_BACKEND_NAME, () => backend, 0);
    await tf.setBackend(TFJS_BACKEND_NAME);
    return new TfjsBridge(backend);
  }

  /** tfjs's current backend must be ours while we run a tfjs op. */
  private ensureCurrent(): void {
    if (tf.getBackend() !== TFJS_BACKEND_NAME) {
      // setBackend of an initialised backend switches synchronously before its first await.
      void tf.setBackend(TFJS_BACKEND_NAME);
      if (tf.getBackend() !== TFJS_BACKEND_NAME) {
        throw new Error(`webgpu backend: tfjs's current backend is '${tf.getBackend()}'; torchlet needs '${TFJS_BACKEND_NAME}' for matmul`);
      }
    }
  }

  /**
   * `C = op(A) @ op(B)` with A, B zero-copy views of our buffers (packed `[batch, rows, cols]`,
   * starting at byte 0). Calls `use(buffer)` with the GPUBuffer holding C (packed
   * `[batch, M, N]`) after tfjs has submitted the work, then releases it back to tfjs.
   */
  matmul(
    a: { buffer: GPUBuffer; shape: [number, number, number]; transpose: boolean },
    b: { buffer: GPUBuffer; shape: [number, number, number]; transpose: boolean },
    use: (result: GPUBuffer) => void,
  ): void {
    this.ensureCurrent();
    const A = tf.tensor({ buffer: a.buffer, zeroCopy: true }, a.shape, 'float32');
    const B = tf.tensor({ buffer: b.buffer, zeroCopy: true }, b.shape, 'float32');
    let C: tf.Tensor | null = null;
    try {
      C = tf.matMul(A as tf.Tensor3D, B as tf.Tensor3D, a.transpose, b.transpose);
      const internals = this.backend as unknown as TfjsInternals;
      if (internals.commandEncoder) {
        internals.endComputePassEncoder();
        internals.submitQueue();
      }
      const res = internals.tensorMap.get(C.dataId)?.resource;
      if (!res) throw new Error('webgpu backend: tfjs matMul left no GPU buffer');
      use(res);
    } finally {
      A.dispose();
      B.dispose();
      C?.dispose();
    }
  }

  /** Names of the tfjs kernels registered for the bridge (for the coverage table). */
  static kernelNames(): string[] {
    return tf.getKernelsForBackend('webgpu').map((k) => k.kernelName);
  }
}
