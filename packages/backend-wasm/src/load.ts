import { relaxedWasm, simdWasm } from './kernels.generated.ts';

/** The functions and memory the compiled kernels export (assembly/index.ts). */
export interface KernelExports {
  readonly memory: WebAssembly.Memory;
  alloc(bytes: number): number;
  free(ptr: number): void;
  heapBytes(): number;
  scratch(): number;
  unaryF32(op: number, x: number, out: number, rank: number): void;
  unaryI32(op: number, x: number, out: number, rank: number): void;
  logicalNot(x: number, out: number, rank: number): void;
  binaryF32(op: number, a: number, b: number, out: number, rank: number): void;
  binaryI32(op: number, a: number, b: number, out: number, rank: number): void;
  binaryBool(op: number, a: number, b: number, out: number, rank: number): void;
  where(size: number, cond: number, a: number, b: number, out: number, rank: number): void;
  reduce(op: number, dtype: number, x: number, out: number, rank: number, reducedRank: number): void;
  matmul(a: number, b: number, c: number, m: number, n: number, k: number, sam: number, sak: number, sbk: number, sbn: number): number;
  copy(from: number, to: number, src: number, dst: number, rank: number): void;
  fill(dtype: number, dst: number, n: number, value: number): void;
  gather(size: number, index: number, out: number, x: number, rank: number, dimStride: number, dimLen: number): number;
  scatterAdd(dtype: number, index: number, src: number, dst: number, rank: number, dimStride: number, dimLen: number): number;
  random(kind: number, out: number, n: number, seedLo: number, seedHi: number, counterLo: number, counterHi: number): void;
  philoxBlock(c0: number, c1: number, c2: number, c3: number, k0: number, k1: number): void;
  adamStep(param: number, grad: number, m: number, v: number, vmax: number, n: number, beta1: number, oneMinusBeta1: number, beta2: number, oneMinusBeta2: number, eps: number, wd: number, decay: number, flags: number, stepSize: number, bc2sqrt: number): void;
  sgdStep(param: number, grad: number, buf: number, n: number, lr: number, momentum: number, oneMinusDampening: number, wd: number, flags: number): void;
  int8Linear(x: number, w: number, wScale: number, bias: number, out: number, m: number, n: number, k: number, kp: number): number;
}

/** Which compiled variant runs: relaxed SIMD (fused multiply-add in matmul) where the engine validates it. */
export type KernelVariant = 'relaxed' | 'simd';

function decode(base64: string): Uint8Array<ArrayBuffer> {
  const bin = atob(base64);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return bytes;
}

/**
 * Instantiates the kernels. The wasm bytes are embedded (base64), so this needs no file access
 * or bundler support in Node, Deno or browsers. `variant` forces one; by default the relaxed-SIMD
 * build is used where `WebAssembly.validate` accepts it (Deno, Chromium; Node 20 only with
 * --experimental-wasm-relaxed-simd), the plain SIMD build otherwise.
 */
export async function loadKernels(variant?: KernelVariant): Promise<{ exports: KernelExports; variant: KernelVariant }> {
  let chosen: KernelVariant = variant ?? 'simd';
  let bytes: Uint8Array<ArrayBuffer> | undefined;
  if (variant === undefined || variant === 'relaxed') {
    const relaxed = decode(relaxedWasm);
    if (WebAssembly.validate(relaxed)) {
      chosen = 'relaxed';
      bytes = relaxed;
    } else if (variant === 'relaxed') {
      throw new Error('wasm backend: this engine does not support relaxed SIMD');
    }
  }
  if (!bytes) {
    bytes = decode(simdWasm);
    chosen = 'simd';
  }
  const { instance } = await WebAssembly.instantiate(bytes, {});
  return { exports: instance.exports as unknown as KernelExports, variant: chosen };
}
