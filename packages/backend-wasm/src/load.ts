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
  attention(q: number, k: number, v: number, mask: number, out: number, lse: number, scale: number, causal: number): number;
  attentionBackward(q: number, k: number, v: number, mask: number, out: number, lse: number, gradOut: number, dq: number, dk: number, dv: number, scale: number, causal: number): number;
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

const V128_CONST_0 = [0xfd, 0x0c, ...new Array<number>(16).fill(0)];
/** A module whose one function returns `v128.const 0`: valid where fixed-width SIMD is. */
const SIMD_PROBE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version
  0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b, //       type section: () -> v128
  0x03, 0x02, 0x01, 0x00, //                         function section: one function of type 0
  0x0a, 0x16, 0x01, 0x14, 0x00, ...V128_CONST_0, 0x0b, // code: no locals, v128.const 0, end
]);
/** The same with `f32x4.relaxed_madd(0, 0, 0)` (opcode 0xfd 0x105): valid where relaxed SIMD is. */
const RELAXED_PROBE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
  0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b,
  0x03, 0x02, 0x01, 0x00,
  0x0a, 0x3d, 0x01, 0x3b, 0x00, ...V128_CONST_0, ...V128_CONST_0, ...V128_CONST_0, 0xfd, 0x85, 0x02, 0x0b,
]);

/** Whether this engine runs WebAssembly fixed-width SIMD (every current browser, Node >= 16.4, Deno). */
export function supportsSimd(): boolean {
  return typeof WebAssembly === 'object' && WebAssembly.validate(SIMD_PROBE);
}

/** Whether this engine runs relaxed SIMD (Deno, Chromium >= 114; Node 20 only with --experimental-wasm-relaxed-simd). */
export function supportsRelaxedSimd(): boolean {
  return supportsSimd() && WebAssembly.validate(RELAXED_PROBE);
}

const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/**
 * The bytes of one variant. Each lives base64-encoded in its own generated module, imported
 * only when asked for: bundlers emit it as a chunk of its own, so an app downloads one binary.
 */
async function variantBytes(variant: KernelVariant): Promise<Uint8Array<ArrayBuffer>> {
  let base64: string;
  try {
    // Two literal specifiers (not one template) so that every bundler sees both chunks.
    base64 = variant === 'relaxed'
      ? (await import('./kernels-relaxed.generated.ts')).wasm
      : (await import('./kernels-simd.generated.ts')).wasm;
  } catch (e) {
    throw new Error(
      `wasm backend: could not load the ${variant} kernels module (${message(e)}). ` +
        'It is a separate chunk of @torchlet/backend-wasm, imported on first use: if you bundle the ' +
        'app, deploy every file your bundler emits next to the entry (a chunk left out or served ' +
        'from another path fails here); if you run the package from a checkout, run `pnpm run build` first.',
      { cause: e },
    );
  }
  return decode(base64);
}

/**
 * Instantiates the kernels. The wasm bytes are embedded in the package (base64, one module per
 * variant, imported on demand), so this needs no file access, no network permission and no
 * bundler configuration in Node, Deno or browsers. `variant` forces one; by default the
 * relaxed-SIMD build is used where the engine supports it (see {@link supportsRelaxedSimd}),
 * the plain SIMD build otherwise. Errors say what the engine lacks and what to do.
 */
export async function loadKernels(variant?: KernelVariant): Promise<{ exports: KernelExports; variant: KernelVariant }> {
  if (typeof WebAssembly !== 'object') {
    throw new Error('wasm backend: this runtime has no WebAssembly. Use a current browser, Node >= 20 or Deno, or another backend.');
  }
  if (!supportsSimd()) {
    throw new Error(
      'wasm backend: this engine does not support WebAssembly SIMD, which the kernels need ' +
        '(Chrome/Edge >= 91, Firefox >= 89, Safari >= 16.4, Node >= 16.4, Deno). Update the browser or runtime, or use another backend.',
    );
  }
  if (variant === 'relaxed' && !supportsRelaxedSimd()) {
    throw new Error(
      "wasm backend: this engine does not support relaxed SIMD (Node 20 needs --experimental-wasm-relaxed-simd); leave `variant` unset or pass 'simd'.",
    );
  }
  let chosen: KernelVariant = variant ?? (supportsRelaxedSimd() ? 'relaxed' : 'simd');
  let bytes = await variantBytes(chosen);
  // The probe speaks for the instructions it tries; should the real binary need more, use the plain build.
  if (chosen === 'relaxed' && variant === undefined && !WebAssembly.validate(bytes)) {
    chosen = 'simd';
    bytes = await variantBytes(chosen);
  }
  let instance: WebAssembly.Instance;
  try {
    ({ instance } = await WebAssembly.instantiate(bytes, {}));
  } catch (e) {
    throw new Error(
      `wasm backend: could not compile the ${chosen} kernels (${message(e)}). If the page sets a ` +
        "Content-Security-Policy, allow WebAssembly with script-src 'wasm-unsafe-eval'.",
      { cause: e },
    );
  }
  return { exports: instance.exports as unknown as KernelExports, variant: chosen };
}
