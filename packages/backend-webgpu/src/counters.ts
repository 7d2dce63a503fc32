/// <reference types="@webgpu/types" />
/**
 * Counts of the GPU work a backend issues, for benchmarks and tests of dispatch cost: a training
 * step's CPU time on WebGPU goes mostly into encoding dispatches, creating bind groups and
 * buffers, and submitting, so these counts say what a step costs on any adapter (a software one
 * included), where its wall time says little.
 */

/**
 * What {@link WebGpuBackend.counters} returns: counts since the backend was created or since the
 * last `resetCounters()`, on the backend's GPUDevice (tfjs-backend-webgpu's matmuls on the
 * shared device included; so is other code's use of a device passed in `options.device`).
 */
export interface WebGpuCounters {
  /** Compute dispatches recorded: the backend's own kernels and tfjs-backend-webgpu's (matmul). */
  dispatches: number;
  /** Command buffers submitted to the device's queue. */
  submits: number;
  /** GPU buffers created: pool growth, readback staging, tfjs's buffers. 0 per step once warm. */
  bufferCreations: number;
  /** Bind groups created (one per dispatch that found none to reuse). */
  bindGroups: number;
  /** Compute pipelines created (each a shader compile). */
  pipelines: number;
}

/** Fresh zero counts. */
export function zeroCounters(): WebGpuCounters {
  return { dispatches: 0, submits: 0, bufferCreations: 0, bindGroups: 0, pipelines: 0 };
}

/**
 * Counts the device's buffer, bind group and pipeline creations and its queue's submits into `c`,
 * by wrapping those methods on the device and queue objects themselves (own properties; every
 * user of the device, tfjs included, calls through them).
 */
export function countDeviceCalls(device: GPUDevice, c: WebGpuCounters): void {
  const d = device as unknown as Record<string, (...args: unknown[]) => unknown>;
  const wrap = (obj: Record<string, (...args: unknown[]) => unknown>, name: string, key: keyof WebGpuCounters, by: (args: unknown[]) => number = () => 1): void => {
    const f = obj[name];
    if (typeof f !== 'function') return;
    const bound = f.bind(obj);
    obj[name] = (...args: unknown[]) => {
      c[key] += by(args);
      return bound(...args);
    };
  };
  wrap(d, 'createBuffer', 'bufferCreations');
  wrap(d, 'createBindGroup', 'bindGroups');
  wrap(d, 'createComputePipeline', 'pipelines');
  wrap(device.queue as unknown as Record<string, (...args: unknown[]) => unknown>, 'submit', 'submits', (args) => (Array.isArray(args[0]) ? args[0].length : 1));
}
