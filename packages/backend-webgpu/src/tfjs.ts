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

/** tfjs's `MatMulProgramType.MatMulPackedProgram` (tfjs 4.22), for its WEBGPU_MATMUL_PROGRAM_TYPE flag. */
const MATMUL_PACKED_PROGRAM = 3;

/**
 * True for an adapter that runs shaders on the CPU (SwiftShader in Node's Dawn and Chromium,
 * llvmpipe/lavapipe in Deno's wgpu): both report `isFallbackAdapter`; older ones are known by name.
 */
export function isSoftwareAdapter(info: GPUAdapterInfo | undefined): boolean {
  if (!info) return false;
  if ((info as { isFallbackAdapter?: boolean }).isFallbackAdapter === true) return true;
  return /swiftshader|llvmpipe|lavapipe/i.test(`${info.vendor} ${info.architecture} ${info.device} ${info.description}`);
}

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
  /**
   * Run every matmul as tfjs's packed program (32x32 tiles, one thread per 4x4 outputs) instead of
   * tfjs's pick by output size. tfjs gives small outputs more workgroups, which a GPU runs in
   * parallel: for at most 128 outputs one 256-thread workgroup per output element with an 8-step
   * tree reduction (MatMulReduceProgram), else 16x8 tiles. A CPU adapter runs workgroups one after
   * another, each barrier a switch through every invocation: a [6, 32] @ [32, 6] product took
   * ~30 ms of CPU on SwiftShader as a reduction and ~1 ms packed (50 in a row: 1,500 ms vs 47 ms),
   * which made the small models of the tests and conformance cases spend most of their time in
   * matmul. The packed program's K tile (32, or 128 for a row vector) is what `matmul` pads to.
   */
  readonly packedMatmul: boolean;

  private constructor(backend: WebGPUBackend, packedMatmul: boolean) {
    this.backend = backend;
    this.packedMatmul = packedMatmul;
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
    const bridge = new TfjsBridge(backend, isSoftwareAdapter(adapterInfo));
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
    // The program choice is tfjs's global flag: set only for this call, so a tfjs of the user's
    // own on the same tfjs-core keeps its choice.
    const env = tf.env();
    const programType = env.get('WEBGPU_MATMUL_PROGRAM_TYPE');
    if (this.packedMatmul) env.set('WEBGPU_MATMUL_PROGRAM_TYPE', MATMUL_PACKED_PROGRAM);
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
      if (this.packedMatmul) env.set('WEBGPU_MATMUL_PROGRAM_TYPE', programType);
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
