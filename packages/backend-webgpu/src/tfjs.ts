/// <reference types="@webgpu/types" />
/**
 * The bridge to @tensorflow/tfjs-backend-webgpu: one tfjs WebGPUBackend on *our* GPUDevice, so
 * GPU buffers pass between the two without copies. tfjs registers its kernels under the name
 * 'webgpu'; we register the same kernels under {@link TFJS_BACKEND_NAME} so that a user's own
 * tfjs 'webgpu' backend (on another device) is left alone.
 *
 * Ordering: tfjs records into *our* command encoder (its `commandEncoder` is set to ours before
 * each op), so a matmul costs no submit: commands in one encoder run in order. tfjs keeps its
 * per-op uniform buffers and the disposed result's buffer until its `submitQueue()`, which the
 * torchlet backend calls to submit the shared encoder ({@link TfjsBridge.submit}); that is also
 * when tfjs recycles them. tfjs may still submit on its own (after
 * `WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE` dispatches): the encoder it then holds is returned, and the
 * backend adopts it.
 */
import * as tf from '@tensorflow/tfjs-core';
import { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';

export const TFJS_BACKEND_NAME = 'torchlet-webgpu';

/** The parts of tfjs's WebGPUBackend we use that its typings mark internal. */
interface TfjsInternals {
  submitQueue(): void;
  recordAndSubmit(...args: unknown[]): void;
  endComputePassEncoder(): void;
  commandEncoder: GPUCommandEncoder | null;
  dispatchCountInPass: number;
  tensorMap: { get(dataId: object): { resource: GPUBuffer | null } | undefined };
}

export class TfjsBridge {
  readonly backend: WebGPUBackend;

  private constructor(backend: WebGPUBackend) {
    this.backend = backend;
  }

  /** Called once per dispatch tfjs records (for the backend's counters). */
  onDispatch: () => void = () => {};

  static async create(device: GPUDevice, adapterInfo: GPUAdapterInfo | undefined): Promise<TfjsBridge> {
    const backend = new WebGPUBackend(device, adapterInfo);
    // Every tfjs kernel dispatch goes through recordAndSubmit: count it on this private instance.
    const internals = backend as unknown as TfjsInternals;
    const record = internals.recordAndSubmit.bind(backend);
    if (tf.findBackend(TFJS_BACKEND_NAME)) tf.removeBackend(TFJS_BACKEND_NAME);
    else {
      for (const k of tf.getKernelsForBackend('webgpu')) tf.registerKernel({ ...k, backendName: TFJS_BACKEND_NAME });
    }
    tf.registerBackend(TFJS_BACKEND_NAME, () => backend, 0);
    await tf.setBackend(TFJS_BACKEND_NAME);
    const bridge = new TfjsBridge(backend);
    internals.recordAndSubmit = (...args: unknown[]) => {
      bridge.onDispatch();
      record(...args);
    };
    return bridge;
  }

  /**
   * Submits `encoder`: through tfjs's `submitQueue()` when tfjs has recorded into it (tfjs then
   * recycles its uniforms and disposed buffers, which must outlive the submit), else directly.
   */
  submit(encoder: GPUCommandEncoder, queue: GPUQueue): void {
    const internals = this.backend as unknown as TfjsInternals;
    if (internals.commandEncoder === encoder) {
      internals.endComputePassEncoder();
      internals.submitQueue();
    } else {
      queue.submit([encoder.finish()]);
    }
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
   * starting at byte 0), recorded into `encoder` (which has no open pass). Calls
   * `use(buffer, encoder)` with the GPUBuffer holding C (packed `[batch, M, N]`) and the encoder
   * to record its copy into, then releases C to tfjs (recycled at the next submit). Returns the
   * encoder now holding pending work: `encoder` itself, or the one tfjs opened after submitting
   * `encoder` on its own (then `encoder` is already submitted).
   */
  matmul(
    a: { buffer: GPUBuffer; shape: [number, number, number]; transpose: boolean },
    b: { buffer: GPUBuffer; shape: [number, number, number]; transpose: boolean },
    encoder: GPUCommandEncoder,
    use: (result: GPUBuffer, encoder: GPUCommandEncoder) => void,
  ): GPUCommandEncoder {
    this.ensureCurrent();
    const internals = this.backend as unknown as TfjsInternals;
    // Anything tfjs recorded elsewhere goes first (it never does: every op runs through here).
    if (internals.commandEncoder && internals.commandEncoder !== encoder) {
      internals.endComputePassEncoder();
      internals.submitQueue();
    }
    internals.commandEncoder = encoder;
    const A = tf.tensor({ buffer: a.buffer, zeroCopy: true }, a.shape, 'float32');
    const B = tf.tensor({ buffer: b.buffer, zeroCopy: true }, b.shape, 'float32');
    let C: tf.Tensor | null = null;
    try {
      C = tf.matMul(A as tf.Tensor3D, B as tf.Tensor3D, a.transpose, b.transpose);
      internals.endComputePassEncoder();
      // The torchlet backend decides when the shared encoder is submitted: tfjs's own batch
      // (a submit after WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE dispatches, counted across matmuls
      // until its next submitQueue) would split a Transformer step in two.
      internals.dispatchCountInPass = 0;
      const res = internals.tensorMap.get(C.dataId)?.resource;
      if (!res) throw new Error('webgpu backend: tfjs matMul left no GPU buffer');
      // tfjs submitted on its own (a full batch): continue in the encoder it opened, or a new one.
      internals.commandEncoder ??= this.backend.device.createCommandEncoder();
      use(res, internals.commandEncoder);
      return internals.commandEncoder;
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
