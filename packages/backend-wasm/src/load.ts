import { enableRelaxedSimd } from './relaxed-flag.ts';

/** The functions and memory the compiled kernels export (assembly/index.ts). */
export interface KernelExports extends PartKernels {
  /**
   * The module's linear memory; every pointer below is a byte offset into it. It grows on any
   * call that allocates (`alloc`, and the kernels that take scratch blocks), which detaches earlier
   * views of its buffer: re-create typed arrays after such calls.
   */
  readonly memory: WebAssembly.Memory;
  /**
   * Allocates `bytes` bytes, 16-byte aligned; returns the pointer, or 0 when memory cannot grow. The
   * caller frees it.
   */
  alloc(bytes: number): number;
  /** Frees a block returned by `alloc`, merging it with free neighbours. */
  free(ptr: number): void;
  /** Total heap bytes, allocated or free (for memory tests). */
  heapBytes(): number;
  /**
   * The address of the scratch area through which the glue passes shapes, strides (in bytes) and kernel
   * results (assembly/iter.ts).
   */
  scratch(): number;
  /**
   * `out = op(x)` on float32, op codes as core's `UNARY_OPS`; shape and strides of `x` and `out` are in
   * the scratch area.
   */
  unaryF32(op: number, x: number, out: number, rank: number): void;
  /** `out = op(x)` on int32 for neg, abs, sign, relu, floor, ceil, round; layout as `unaryF32`. */
  unaryI32(op: number, x: number, out: number, rank: number): void;
  /** `out = !x` on bool (one byte, 0 or 1); layout as `unaryF32`. */
  logicalNot(x: number, out: number, rank: number): void;
  /**
   * `out = op(a, b)` on float32 inputs: arithmetic gives float32, comparisons bool. Broadcast by the
   * strides in the scratch area (stride 0).
   */
  binaryF32(op: number, a: number, b: number, out: number, rank: number): void;
  /** `out = op(a, b)` on int32 inputs: arithmetic except div (int32 out) and comparisons (bool out). */
  binaryI32(op: number, a: number, b: number, out: number, rank: number): void;
  /** `out = op(a, b)` on bool inputs: comparisons and logical ops, bool out. */
  binaryBool(op: number, a: number, b: number, out: number, rank: number): void;
  /**
   * `out = cond ? a : b` elementwise; `size` is the element size of a, b and out in bytes (4, or 1 for
   * bool), cond is bool.
   */
  where(size: number, cond: number, a: number, b: number, out: number, rank: number): void;
  /**
   * Reduces `x` over the dims given as the second shape in the scratch area: op 0..5 = sum, prod, max,
   * min, argmax, argmin (exactly one reduced dim for the arg ones); dtype 0 float32, 1 int32. `rank`
   * counts the kept dims, `reducedRank` the reduced ones.
   */
  reduce(op: number, dtype: number, x: number, out: number, rank: number, reducedRank: number): void;
  /**
   * One float32 product `C[m, n] = A[m, k] B[k, n]`: A and B with arbitrary byte strides (`sam`, `sak`,
   * `sbk`, `sbn`), C contiguous row-major. The glue loops over batches. With `epi` (a `table`
   * index, 0 for none), the generated module there runs `run(words, from, to)` on each block of C
   * as soon as it is final (a fused matmul's epilogue). Returns 0, or 1 when the packing buffers
   * cannot be allocated.
   */
  matmul(a: number, b: number, c: number, m: number, n: number, k: number, sam: number, sak: number, sbk: number, sbn: number, epi: number, words: number): number;
  /** Bytes of packing scratch `matmulPart` needs for an m x n x k product. */
  matmulScratchBytes(m: number, n: number, k: number): number;
  /**
   * Strided copy from `src` to `dst` with dtype conversion (dtype codes 0 float32, 1 int32, 2 bool), by
   * Backend.copy's cast rules.
   */
  copy(from: number, to: number, src: number, dst: number, rank: number): void;
  /** Sets the `n` contiguous elements at `dst` to `value`; dtype 0 float32, 1 int32, 2 bool. */
  fill(dtype: number, dst: number, n: number, value: number): void;
  /**
   * `out[pos] = x[pos with dim replaced by index[pos]]` (`size`: element bytes, 4 or 1). Returns 0, or
   * 1 for an out-of-range index, whose value and position are left in the scratch area's INFO words.
   */
  gather(size: number, index: number, out: number, x: number, rank: number, dimStride: number, dimLen: number): number;
  /**
   * `dst[pos with dim replaced by index[pos]] += src[pos]` (dtype 0 float32, 1 int32). Every index is
   * checked before anything is written; returns 0, or 1 as `gather` does.
   */
  scatterAdd(dtype: number, index: number, src: number, dst: number, rank: number, dimStride: number, dimLen: number): number;
  /**
   * Fills `n` float32 at `out` from Philox4x32-10: kind 0 uniform on [0, 1), 1 standard normal
   * (Box-Muller). The 64-bit seed and the first block's 64-bit counter come as 32-bit halves.
   */
  random(kind: number, out: number, n: number, seedLo: number, seedHi: number, counterLo: number, counterHi: number): void;
  /**
   * One Philox4x32-10 block for a full 128-bit counter and 64-bit key; the four output words go to the
   * scratch area's INFO (for known-answer tests).
   */
  philoxBlock(c0: number, c1: number, c2: number, c3: number, k0: number, k1: number): void;
  /**
   * One fused Adam/AdamW step over `n` contiguous float32 elements, updating `param`, `m`, `v` (and
   * `vmax` with AMSGrad) in place. `flags` ORs 1 decoupled decay (AdamW), 2 AMSGrad, 4 maximize;
   * `decay` = 1 - lr * wd (AdamW), `stepSize` = lr / (1 - beta1^step), `bc2sqrt` = sqrt(1 -
   * beta2^step).
   */
  adamStep(param: number, grad: number, m: number, v: number, vmax: number, n: number, beta1: number, oneMinusBeta1: number, beta2: number, oneMinusBeta2: number, eps: number, wd: number, decay: number, flags: number, stepSize: number, bc2sqrt: number): void;
  /**
   * One fused SGD step over `n` contiguous float32 elements, updating `param` (and the momentum `buf`
   * when momentum != 0) in place. `flags` ORs 4 maximize, 8 Nesterov, 16 first step (the buffer starts
   * as the gradient); `wd` is L2 weight decay.
   */
  sgdStep(param: number, grad: number, buf: number, n: number, lr: number, momentum: number, oneMinusDampening: number, wd: number, flags: number): void;
  /**
   * Fused scaled dot-product attention `out = softmax(q k^T * scale + mask) v` (flash-attention style:
   * the L x S scores are never stored). Dims and strides come in the scratch area (q [B, H, L, D], k
   * [B, H, S, D], v [B, H, S, Dv]); `mask` 0 for none; writes contiguous `out` [B, H, L, Dv] and the
   * row logsumexp `lse` [B, H, L] for the backward. `causal` 1: query i sees keys j <= i. Returns 0, or
   * 1 when out of memory.
   */
  attention(q: number, k: number, v: number, mask: number, out: number, lse: number, scale: number, causal: number): number;
  /**
   * FlashAttention-2's backward of `attention`, recomputing the probabilities from `out` and `lse`:
   * writes contiguous `dq`, `dk`, `dv` in full (gradOut [B, H, L, Dv] strides in the scratch area).
   * Returns 0, or 1 when out of memory.
   */
  attentionBackward(q: number, k: number, v: number, mask: number, out: number, lse: number, gradOut: number, dq: number, dk: number, dv: number, scale: number, causal: number): number;
  /** Bytes of scratch one part of `attentionPart`/`attentionBackwardPart` needs for head sizes `d` (q, k) and `dv` (v). */
  attentionScratchBytes(d: number, dv: number): number;
  /**
   * `out[m, n] = x[m, k] (w * wScale)^T + bias` with int8 weight rows `w` [n, kp] (k padded to `kp`),
   * per-row float32 scales `wScale` [n] and `bias` [n] (pointer 0 for none); all contiguous. Returns 0,
   * or 1 when the scratch block cannot be allocated.
   */
  int8Linear(x: number, w: number, wScale: number, bias: number, out: number, m: number, n: number, k: number, kp: number): number;
  /** Elements per block of the fused element-wise interpreter (its registers' lanes). */
  programBlock(): number;
}

/** The kernels that pool threads run one part of (see threads.ts), also exported by the main module. */
export interface PartKernels {
  /**
   * The module's function table: a fused matmul's epilogue (a module generated per program,
   * src/jit.ts) is added to it, and `matmul` / `matmulPart` call it by index (assembly/matmul.ts).
   */
  readonly table: WebAssembly.Table;
  /**
   * `matmul` without allocation: C[m, n] = A[m, k] B[k, n], C's rows `ldc` bytes apart, with the
   * caller's packing `scratch` of `matmulScratchBytes(m, n, k)` bytes; `epi`, `words` and `base`
   * as `matmul`'s epilogue, `base` the element of the whole product at this part's C[0, 0] (0s: none).
   */
  matmulPart(
    a: number, b: number, c: number, m: number, n: number, k: number, sam: number, sak: number, sbk: number, sbn: number, ldc: number, scratch: number,
    epi: number, words: number, base: number,
  ): void;
  /** `attention` over the (batch, head) pairs [bh0, bh1) with operand words at `params` and `attentionScratchBytes(D, Dv)` bytes of scratch. */
  attentionPart(params: number, q: number, k: number, v: number, mask: number, out: number, lse: number, scale: number, causal: number, bh0: number, bh1: number, sBuf: number): void;
  /** `attentionBackward` over the (batch, head) pairs [bh0, bh1), as `attentionPart`. */
  attentionBackwardPart(params: number, q: number, k: number, v: number, mask: number, out: number, lse: number, gout: number, dq: number, dk: number, dv: number, scale: number, causal: number, bh0: number, bh1: number, sBuf: number): void;
  /**
   * Runs the fused element-wise program whose words are at `prog` (src/program.ts writes them)
   * over elements [from, to), with `area` as its registers (`areaBytes`); parts over disjoint
   * ranges may run at once, each with its own area.
   */
  elementwise(prog: number, area: number, from: number, to: number): void;
  /** One element of float32 unary op `op` as the eager kernel computes it (what generated modules import). */
  unaryElementF32(op: number, x: number): number;
  /** One element of float32 binary op `op` as the eager kernel computes it (what generated modules import). */
  binaryElementF32(op: number, a: number, b: number): number;
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

/**
 * Whether this engine runs WebAssembly fixed-width SIMD (every current browser, Node >= 16.4, Deno).
 *
 * @example
 * ```ts
 * import { supportsSimd } from '@torchlet/backend-wasm';
 * console.log(supportsSimd());   // true on Node 20, Deno 2 and current browsers
 * ```
 */
export function supportsSimd(): boolean {
  return typeof WebAssembly === 'object' && WebAssembly.validate(SIMD_PROBE);
}

/**
 * Whether this engine runs relaxed SIMD now (Deno, Chromium >= 114, Node >= 22; Node 20 once V8's
 * `--experimental-wasm-relaxed-simd` is set, which {@link loadKernels} does at run time by default).
 *
 * @example
 * ```ts
 * import { supportsRelaxedSimd } from '@torchlet/backend-wasm';
 * console.log(supportsRelaxedSimd());   // whether the faster relaxed-SIMD build can run here
 * ```
 */
export function supportsRelaxedSimd(): boolean {
  return supportsSimd() && WebAssembly.validate(RELAXED_PROBE);
}

const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** A variant's embedded binaries: the main module and, for threaded builds, the pool threads' module. */
interface VariantModule {
  wasm: string;
  worker?: string;
  initialPages?: number;
  maximumPages?: number;
}

/**
 * The generated module of one variant. Each lives base64-encoded in its own generated module,
 * imported only when asked for: bundlers emit it as a chunk of its own, so an app downloads one
 * binary.
 */
async function variantModule(variant: KernelVariant, threaded: boolean): Promise<VariantModule> {
  try {
    // Literal specifiers (not one template) so that every bundler sees every chunk.
    if (threaded) {
      const m = variant === 'relaxed'
        ? await import('./kernels-relaxed-threads.generated.ts')
        : await import('./kernels-simd-threads.generated.ts');
      return { wasm: m.wasm, worker: m.worker, initialPages: m.initialPages, maximumPages: m.maximumPages };
    }
    const m = variant === 'relaxed'
      ? await import('./kernels-relaxed.generated.ts')
      : await import('./kernels-simd.generated.ts');
    return { wasm: m.wasm };
  } catch (e) {
    const name = `${variant}${threaded ? '-threads' : ''}`;
    throw new Error(
      `wasm backend: could not load the ${name} kernels module (${message(e)}). ` +
        'It is a separate chunk of @torchlet/backend-wasm, imported on first use: if you bundle the ' +
        'app, deploy every file your bundler emits next to the entry (a chunk left out or served ' +
        'from another path fails here); if you run the package from a checkout, run `pnpm run build` first.',
      { cause: e },
    );
  }
}

/**
 * Whether this runtime can share a WebAssembly memory between threads (browsers: only cross-origin isolated pages).
 *
 * @example
 * ```ts
 * import { supportsThreads } from '@torchlet/backend-wasm';
 * console.log(supportsThreads());   // SharedArrayBuffer and Atomics.wait available (a page must be cross-origin isolated)
 * ```
 */
export function supportsThreads(): boolean {
  if (typeof SharedArrayBuffer !== 'function' || typeof Atomics !== 'object') return false;
  const isolated = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated;
  return isolated !== false;
}

/** An instantiated kernel module and which build it is. */
export interface LoadedKernels {
  /** The module's exports: its memory and every kernel. */
  exports: KernelExports;
  /** The build that was chosen (relaxed SIMD where the engine validates it). */
  variant: KernelVariant;
  /**
   * With `shared`: the module pool threads instantiate on `exports.memory` (a shared memory).
   * Undefined otherwise.
   */
  workerModule?: WebAssembly.Module;
}

/** Options of {@link loadKernels}. */
export interface LoadKernelsOptions {
  /**
   * Force a build; by default relaxed SIMD where the engine supports it (in Node 20 after turning
   * on V8's relaxed-SIMD flag at run time), else plain SIMD.
   */
  variant?: KernelVariant;
  /**
   * Load the threaded build on a new shared memory, with the module pool threads run (see
   * {@link supportsThreads}); throws, saying what is missing, where memory cannot be shared.
   */
  shared?: boolean;
}

/**
 * Instantiates the kernels. The wasm bytes are embedded in the package (base64, one module per
 * variant, imported on demand), so this needs no file access, no network permission and no
 * bundler configuration in Node, Deno or browsers. `variant` (or `options.variant`) forces one;
 * by default the relaxed-SIMD build is used where the engine supports it (see
 * {@link supportsRelaxedSimd}), the plain SIMD build otherwise. Node 20 has relaxed SIMD behind
 * V8's `--experimental-wasm-relaxed-simd`: unless `variant` is `'simd'`, this sets that flag at run
 * time (`v8.setFlagsFromString`, process-wide) before compiling, and falls back to plain SIMD
 * should the engine still refuse it. `options.shared` loads the
 * threaded build on a new shared memory. Errors say what the engine lacks and what to do.
 *
 * @example
 * ```ts
 * import { loadKernels } from '@torchlet/backend-wasm';
 * const { variant, exports } = await loadKernels();   // the kernels' WebAssembly module, the best variant the engine validates
 * console.log(variant, exports.memory.buffer.byteLength > 0);
 * ```
 */
export async function loadKernels(options: KernelVariant | LoadKernelsOptions = {}): Promise<LoadedKernels> {
  const { variant, shared = false } = typeof options === 'string' ? { variant: options } : options;
  if (typeof WebAssembly !== 'object') {
    throw new Error('wasm backend: this runtime has no WebAssembly. Use a current browser, Node >= 20 or Deno, or another backend.');
  }
  if (!supportsSimd()) {
    throw new Error(
      'wasm backend: this engine does not support WebAssembly SIMD, which the kernels need ' +
        '(Chrome/Edge >= 91, Firefox >= 89, Safari >= 16.4, Node >= 16.4, Deno). Update the browser or runtime, or use another backend.',
    );
  }
  const relaxedOk = variant === 'simd' ? false : await enableRelaxedSimd(supportsRelaxedSimd);
  if (variant === 'relaxed' && !relaxedOk) {
    throw new Error(
      "wasm backend: this engine does not support relaxed SIMD (Node 20 has it behind V8's --experimental-wasm-relaxed-simd, which the loader tried to set and the engine refused); leave `variant` unset or pass 'simd'.",
    );
  }
  if (shared && !supportsThreads()) {
    throw new Error(
      'wasm backend: threads need a shared WebAssembly memory, which this page cannot create: browsers allow ' +
        'SharedArrayBuffer only on cross-origin isolated pages (serve it with the headers ' +
        'Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp), or pass `threads: 1` (or leave it unset: `auto` runs on one thread there).',
    );
  }
  let chosen: KernelVariant = variant ?? (relaxedOk ? 'relaxed' : 'simd');
  let mod = await variantModule(chosen, shared);
  let bytes = decode(mod.wasm);
  // The probe speaks for the instructions it tries; should the real binary need more, use the plain build.
  if (chosen === 'relaxed' && variant === undefined && !WebAssembly.validate(bytes)) {
    chosen = 'simd';
    mod = await variantModule(chosen, shared);
    bytes = decode(mod.wasm);
  }
  try {
    if (!shared) {
      const { instance } = await WebAssembly.instantiate(bytes, {});
      return { exports: instance.exports as unknown as KernelExports, variant: chosen };
    }
    const memory = sharedMemory(mod.initialPages!, mod.maximumPages!);
    const [{ instance }, workerModule] = await Promise.all([
      WebAssembly.instantiate(bytes, { env: { memory } }),
      WebAssembly.compile(decode(mod.worker!)),
    ]);
    return { exports: instance.exports as unknown as KernelExports, variant: chosen, workerModule };
  } catch (e) {
    throw new Error(
      `wasm backend: could not compile the ${chosen} kernels (${message(e)}). If the page sets a ` +
        "Content-Security-Policy, allow WebAssembly with script-src 'wasm-unsafe-eval'.",
      { cause: e },
    );
  }
}

/**
 * A shared memory for the threaded build: up to 4 GiB where the engine reserves that much,
 * else 1 GiB (a shared memory's maximum is reserved up front and cannot change).
 */
function sharedMemory(initial: number, maximum: number): WebAssembly.Memory {
  try {
    return new WebAssembly.Memory({ initial, maximum, shared: true });
  } catch {
    return new WebAssembly.Memory({ initial, maximum: Math.min(maximum, 16384), shared: true });
  }
}
