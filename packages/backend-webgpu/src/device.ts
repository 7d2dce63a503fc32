/// <reference types="@webgpu/types" />
/**
 * Finding a GPU with no code from the user: browsers and Deno have `navigator.gpu`; in Node the
 * user passes a `GPU` from the npm `webgpu` package (`setBackend('webgpu', { gpu })`) or, when
 * that package is installed, it is imported here.
 */

/** Options of the 'webgpu' backend factory (`setBackend('webgpu', options)`). */
export interface WebGpuBackendOptions {
  /** A `GPU` object (Node: `create([])` from the npm `webgpu` package). Default: `navigator.gpu`, else the `webgpu` package. */
  gpu?: GPU;
  /** Use this device instead of requesting one (it is shared with tfjs-backend-webgpu). */
  device?: GPUDevice;
  /** Passed to `requestAdapter` (e.g. `{ powerPreference: 'high-performance' }`). */
  adapterOptions?: GPURequestAdapterOptions;
}

const isNode = typeof process !== 'undefined' && typeof process.versions?.node === 'string' && typeof (globalThis as { Deno?: unknown }).Deno === 'undefined';

/** Spec constants that tfjs-backend-webgpu reads as globals; Node has none until `webgpu` provides them. */
async function installNodeGlobals(): Promise<{ create?: (flags: string[]) => GPU }> {
  const name = 'webgpu'; // a variable, so bundlers leave this optional import alone
  try {
    const mod = (await import(/* @vite-ignore */ name)) as { create: (flags: string[]) => GPU; globals: Record<string, unknown> };
    for (const [k, v] of Object.entries(mod.globals)) {
      if (!(k in globalThis)) (globalThis as Record<string, unknown>)[k] = v;
    }
    return mod;
  } catch (err) {
    if (typeof (globalThis as { GPUBufferUsage?: unknown }).GPUBufferUsage !== 'undefined') return {};
    throw unavailable(`the npm package 'webgpu' could not be loaded (${err instanceof Error ? err.message : String(err)})`);
  }
}

export function unavailable(why: string): Error {
  const how = isNode
    ? "In Node, install the npm package 'webgpu' (Dawn: `npm i webgpu@0.6.2`); it is found automatically, or pass " +
      "`setBackend('webgpu', { gpu: create([]) })`. Without a GPU, point Vulkan at a software driver, e.g. " +
      'VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json.'
    : typeof (globalThis as { Deno?: unknown }).Deno !== 'undefined'
      ? 'Deno needs a Vulkan (or Metal/DX12) driver; on Linux without a GPU: `apt-get install mesa-vulkan-drivers libvulkan1`.'
      : 'Use a browser with WebGPU (Chrome/Edge 113+, Safari 26, Firefox 141 on Windows); Chromium on Linux needs ' +
        '`--enable-unsafe-webgpu` (and `--use-webgpu-adapter=swiftshader` without a GPU).';
  return new Error(`webgpu backend: WebGPU is unavailable: ${why}. ${how} Or use the 'wasm' backend.`);
}

/**
 * Resolves a GPUDevice (and its adapter info, for tfjs) from the options, with the WGSL language
 * features of the `GPU` it came from (`navigator.gpu.wgslLanguageFeatures`; empty when unknown).
 */
export async function acquireDevice(
  options: WebGpuBackendOptions,
): Promise<{ device: GPUDevice; adapterInfo: GPUAdapterInfo | undefined; wgslFeatures: ReadonlySet<string> }> {
  let gpu = options.gpu;
  if (isNode) {
    const mod = await installNodeGlobals();
    if (!gpu && !(globalThis as { navigator?: { gpu?: GPU } }).navigator?.gpu) gpu = mod.create?.([]);
  }
  gpu ??= (globalThis as { navigator?: { gpu?: GPU } }).navigator?.gpu;
  // tfjs-backend-webgpu checks `navigator.gpu` before it runs; Node has no navigator (20) or one without gpu (22).
  if (isNode && gpu) provideNavigatorGpu(gpu);
  const wgslFeatures: ReadonlySet<string> = (gpu as { wgslLanguageFeatures?: ReadonlySet<string> } | undefined)?.wgslLanguageFeatures ?? new Set();
  if (options.device) return { device: options.device, adapterInfo: (options.device as { adapterInfo?: GPUAdapterInfo }).adapterInfo, wgslFeatures };
  if (!gpu) throw unavailable('navigator.gpu is undefined');
  const adapter = await gpu.requestAdapter(options.adapterOptions);
  if (!adapter) throw unavailable('requestAdapter() returned null (no usable adapter)');
  const l = adapter.limits;
  const device = await adapter.requestDevice({
    requiredLimits: {
      maxBufferSize: l.maxBufferSize,
      maxStorageBufferBindingSize: l.maxStorageBufferBindingSize,
      maxComputeWorkgroupStorageSize: l.maxComputeWorkgroupStorageSize,
      maxComputeInvocationsPerWorkgroup: l.maxComputeInvocationsPerWorkgroup,
      maxComputeWorkgroupSizeX: l.maxComputeWorkgroupSizeX,
      maxComputeWorkgroupSizeY: l.maxComputeWorkgroupSizeY,
      maxStorageBuffersPerShaderStage: l.maxStorageBuffersPerShaderStage,
    },
  });
  return { device, adapterInfo: (adapter as { info?: GPUAdapterInfo }).info, wgslFeatures };
}

function provideNavigatorGpu(gpu: GPU): void {
  const g = globalThis as { navigator?: { gpu?: GPU } };
  if (g.navigator?.gpu) return;
  if (g.navigator === undefined) {
    Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
  } else {
    Object.defineProperty(g.navigator, 'gpu', { value: gpu, configurable: true });
  }
}
