/// <reference types="@webgpu/types" />
import {
  checkMatmulViews,
  checkFusedViews,
  checkInt8LinearViews,
  unsupportedError,
  coalesce,
  contiguousStrides,
  dtypeSize,
  isHalf,
  isContiguous,
  listInstances,
  numel,
  removeBackendInstance,
  runProgramComposite,
  runReductionComposite,
  type ElementwiseProgram,
  type ProgramCall,
  type ProgramDType,
  type ReductionProgram,
  type AdamStepParams,
  type AttentionParams,
  type Backend,
  type BackendMemory,
  type BinaryOp,
  type BufferId,
  type DType,
  type FusedKernels,
  type RandomParams,
  type ReduceOp,
  type SgdStepParams,
  type TypedArray,
  type UnaryOp,
  type View,
} from '@torchlet/core';
import { acquireDevice, type WebGpuBackendOptions } from './device.ts';
import { ADAM_SOURCE, RANDOM_SOURCE, SGD_SOURCE, binaryExpr, castExpr, reduceSerialSource, reduceSource, unaryExpr } from './kernels.ts';
import { countDeviceCalls, zeroCounters, type WebGpuCounters } from './counters.ts';
import { BufferPool, type PoolStats } from './pool.ts';
import { ABSMAX_CHUNK, GEMM_TILE, INT8_ABSMAX_SOURCE, INT8_QUANTIZE_SOURCE, int8GemmSource } from './quant.ts';
import { TfjsBridge } from './tfjs.ts';
import { ATTENTION_OPERANDS, attentionBlock, attentionMeta, attentionSource, type AttentionDims, type AttentionKernel, type AttentionOperand } from './attention.ts';
import { reductionSource, reductionSourceKey, serialFold, type ReductionLayout } from './reduction.ts';
import { matmulMeta, matmulSlots, matmulSource } from './matmul.ts';
import { BindingSlots, checkProgramViews, programBatchSource, programLayout, programLayouts, programSource, programSourceKey } from './program.ts';
import { elementwiseMeta, elementwiseSource } from './wgsl.ts';

// Spec values of GPUBufferUsage / GPUMapMode, so nothing depends on the globals being installed.
const MAP_READ = 0x0001, COPY_SRC = 0x0004, COPY_DST = 0x0008, STORAGE = 0x0080;
const MAP_MODE_READ = 0x0001;
const SHADER_STAGE_COMPUTE = 0x4;
const WG = 64;
/**
 * The K tiles of tfjs's matmul programs (tfjs 4.22): 16 or 32 in the packed and small-output
 * programs (tileInner = workgroupSize[0] * elementsPerThread[0]), 128 in the vector-matrix one
 * (M = 1: 32 threads * 4).
 */
const MATMUL_TILE_INNER = 32, MATMUL_TILE_INNER_VECTOR = 128;
/** Dispatches recorded before the encoder is submitted on its own (keeps command buffers small). */
const MAX_BATCH = 512;
/**
 * Bytes of the per-encoder arena: each dispatch's meta (on a 256-byte boundary) and the data of
 * writes recorded while work is pending (on a 4-byte boundary), uploaded by one writeBuffer per submit.
 */
const ARENA_BYTES = 1 << 18;
/** Bytes of MAP_READ staging buffers kept for reuse by later reads (beyond it they are destroyed). */
const READBACK_POOL_BYTES = 64 * 2 ** 20;
/** Bind groups kept for reuse; past this many the cache starts over. */
const BIND_GROUP_CACHE = 4096;
/** Calls of one program in one dispatch at most (fused.elementwiseBatch; the generated shader grows with them). */
const MAX_PROGRAM_BATCH = 16;
/** Reductions of at most this many elements per output run one thread per output (reduceSerialSource). */
const SERIAL_REDUCE_MAX = 64;

const COMPARE = new Set<BinaryOp>(['eq', 'ne', 'lt', 'le', 'gt', 'ge']);
const LOGICAL = new Set<BinaryOp>(['logicalAnd', 'logicalOr', 'logicalXor']);

/** The largest storage buffer `device` takes: the smaller of its maxBufferSize and maxStorageBufferBindingSize. */
function maxBufferBytes(device: GPUDevice): number {
  return Math.min(device.limits.maxBufferSize, device.limits.maxStorageBufferBindingSize);
}

/** The contract's error for an op this backend cannot run with these dtypes. */
function unsupported(op: string, dtypes: Record<string, DType>): Error {
  return unsupportedError('webgpu', op, dtypes);
}

/** A compiled kernel: its pipeline, its one bind group layout, and a number for bind-group keys. */
interface Pipeline {
  readonly pipeline: GPUComputePipeline;
  readonly layout: GPUBindGroupLayout;
  readonly id: number;
}

/** A strided operand: a view of a pooled buffer, or a raw GPUBuffer (staging, temporaries). */
interface Operand {
  readonly buffer: GPUBuffer | BufferId;
  readonly dtype: DType;
  readonly offset: number;
  readonly strides: readonly number[];
}

interface Binding {
  buffer: GPUBuffer;
  writable?: boolean;
}

/** Where an index-range check of a gather/scatterAdd dispatch reports (read back with the next `read`). */
interface IndexCheck {
  op: string;
  dim: number;
  size: number;
}

/** Which program each op runs, for docs/backend-coverage.md (scripts/coverage-table.mjs). */
export const OP_PROGRAMS: Record<string, string> = {
  matmul: 'tfjs MatMul (BatchMatMulPackedProgram / MatMulSplitK / MatMulSmallOutputSize, chosen by tfjs) on packed operands at offset 0 with K a whole tile, one GPU copy out; else WGSL: strided tiled matmul (32x32 blocks), any strides and offsets',
  unary: 'WGSL: strided element-wise',
  binary: 'WGSL: strided element-wise',
  where: 'WGSL: strided element-wise',
  copy: 'WGSL: strided element-wise with cast',
  fill: 'WGSL: element-wise',
  reduce: 'WGSL: one thread per output folding in order (up to 64 elements per output, or 1,024 with 1,024+ outputs), else one workgroup per output with a tree in workgroup memory',
  gather: 'WGSL: strided, index-range check reported on read',
  scatterAdd: 'WGSL: strided, atomics (CAS loop for float32), index-range check reported on read',
  random: 'WGSL: Philox 4x32-10',
  adamStep: 'WGSL: fused',
  sgdStep: 'WGSL: fused',
  attention: 'WGSL: one workgroup per query row, keys in chunks of 64 with an online softmax (no L x S buffer)',
  attentionBackward: 'WGSL: two kernels, one workgroup per query row (dQ) and per key row (dK, dV), probabilities recomputed from the logsumexp',
  reduction: 'WGSL: one shader per fused reduction (torch.compile): the prologue program per reduced element, the fold of reduce (same order and mode), the epilogue program per result',
  elementwiseBatch: 'WGSL: calls of one fused program on independent operands in one dispatch, as many as the storage bindings allow (16 at most)',
  elementwise: 'WGSL: one shader per fused program (torch.compile), generated from the op table; strided inputs, in place allowed',
  int8Linear: 'WGSL: fused, three passes (absolute maximum of x, quantise x to packed int8, tiled int8 GEMM with int32 sums and dequantisation; dot4I8Packed where the adapter has it)',
};

/**
 * The WebGPU backend.
 *
 * Queue: compute calls record dispatches into one command encoder (one compute pass while
 * consecutive dispatches allow it), tfjs's matmuls included (tfjs records into the same
 * encoder); the encoder is submitted on `read` or after {@link MAX_BATCH} dispatches, so a
 * training step is one submit. Each dispatch's parameters go to one arena buffer, uploaded by one
 * `writeBuffer` per submit. `write` is ordered with them: it goes through `queue.writeBuffer`
 * when nothing is pending, else through the arena (or a staging buffer when large) copied inside
 * the encoder. Buffers come from a pool (tensors, scratch) and readback staging buffers are
 * reused, so a warm training step creates no GPU buffer; {@link WebGpuBackend.counters} counts
 * dispatches, submits and creations.
 *
 * Errors a GPU reports late — out-of-memory on allocation (an error scope around
 * `createBuffer`), validation errors, an out-of-range index in gather/scatterAdd (a kernel cannot
 * throw) — reject the next `read` (and make later calls throw). A lost device makes every call
 * throw and drops this instance from core's registry, so `setBackend('webgpu')` creates a fresh one.
 *
 * There is no `readSync`: a GPU readback is asynchronous (`mapAsync`); core's `dataSync()`
 * then tells the user to `await tensor.data()`.
 *
 * @example
 * ```ts
 * // not run: needs a WebGPU adapter
 * import * as torch from 'torchlet';
 * import '@torchlet/backend-webgpu';   // registers 'webgpu'
 * await torch.setBackend('webgpu');
 * const y = torch.randn([512, 512]).matmul(torch.randn([512, 512]));
 * console.log(await y.sum().item());   // reading waits for the GPU
 * ```
 */
export class WebGpuBackend implements Backend {
  /** The backend's name in core's registry, as passed to `setBackend('webgpu')`. */
  readonly name = 'webgpu';
  /**
   * The GPUDevice every buffer and pipeline is created on; all work is ordered on its one queue. Owned
   * by the backend: `destroy()` destroys it.
   */
  readonly device: GPUDevice;
  private readonly tfjs: TfjsBridge;
  private readonly pool: BufferPool;
  /** Pipelines by WGSL source, then by the bindings' writability (which fixes the layout). */
  private readonly pipelines = new Map<string, Map<string, Pipeline>>();
  /** Bind groups by pipeline, meta size and bound buffers (see `bindGroup`). */
  private readonly bindGroups = new Map<string, GPUBindGroup>();
  /** A number per GPUBuffer, for bind-group keys (weak: destroyed buffers are forgotten). */
  private readonly bufferIds = new WeakMap<GPUBuffer, number>();
  private nextBufferId = 1;
  private pipelineCount = 0;
  private readonly sources = new Map<string, string>();

  private encoder: GPUCommandEncoder | null = null;
  private pass: GPUComputePassEncoder | null = null;
  private dispatches = 0;
  /** Buffers to destroy once the current encoder is submitted (write staging). */
  private transient: GPUBuffer[] = [];
  private readonly arena: GPUBuffer;
  private readonly arenaHost = new Uint32Array(ARENA_BYTES / 4);
  private arenaUsed = 0;
  /** Arena bytes already written to the GPU for the pending encoder (before a tfjs op, which may submit it). */
  private arenaUploaded = 0;
  private readonly counts: WebGpuCounters = zeroCounters();
  /** Free MAP_READ staging buffers by size class, and their bytes. */
  private readonly readbacks = new Map<number, GPUBuffer[]>();
  private readbackBytes = 0;

  private readonly errBuf: GPUBuffer;
  private indexChecks: IndexCheck[] = [];
  /** The first asynchronous error (OOM, validation, index range); thrown by the next call. */
  private pendingError: Error | null = null;
  private lost: GPUDeviceLostInfo | null = null;
  private destroyed = false;
  private readonly dummy: GPUBuffer;
  /** Storage buffers one dispatch may bind (the device's limit; lowered by tests of the fallbacks). */
  private storageBindings: number;
  /** The int8Linear GEMM's WGSL: `dot4I8Packed` when the adapter has `packed_4x8_integer_dot_product`. */
  private readonly int8Gemm: string;

  /**
   * `wgslFeatures`: the WGSL language features of the `GPU` the device came from
   * (`navigator.gpu.wgslLanguageFeatures`); kernels use optional ones only when listed.
   */
  constructor(device: GPUDevice, tfjs: TfjsBridge, wgslFeatures: ReadonlySet<string> = new Set()) {
    this.device = device;
    this.tfjs = tfjs;
    countDeviceCalls(device, this.counts);
    tfjs.onDispatch = () => void this.counts.dispatches++;
    this.storageBindings = device.limits.maxStorageBuffersPerShaderStage;
    this.int8Gemm = int8GemmSource(wgslFeatures.has('packed_4x8_integer_dot_product'));
    this.pool = new BufferPool(device, STORAGE | COPY_SRC | COPY_DST, undefined, maxBufferBytes(device));
    this.arena = device.createBuffer({ size: ARENA_BYTES, usage: STORAGE | COPY_SRC | COPY_DST });
    this.errBuf = device.createBuffer({ size: 16, usage: STORAGE | COPY_SRC | COPY_DST });
    this.dummy = device.createBuffer({ size: 16, usage: STORAGE | COPY_SRC | COPY_DST });
    device.queue.writeBuffer(this.errBuf, 0, new Int32Array(4));
    void device.lost.then((info) => {
      if (this.destroyed) return;
      this.lost = info;
      if (listInstances().get('webgpu') === this) removeBackendInstance('webgpu');
    });
    device.addEventListener?.('uncapturederror', (ev) => {
      const e = (ev as GPUUncapturedErrorEvent).error;
      this.pendingError ??= new Error(`webgpu backend: GPU error: ${e.message}`);
    });
  }

  // ---- memory --------------------------------------------------------------------------------

  alloc(bytes: number): BufferId {
    this.check();
    if (!Number.isInteger(bytes) || bytes < 0) throw new RangeError(`webgpu backend: cannot allocate ${bytes} bytes`);
    const max = maxBufferBytes(this.device);
    if (bytes > max) {
      throw new RangeError(
        `webgpu backend: out of memory: ${bytes} bytes exceed this device's largest buffer (${max} bytes: ` +
          `maxBufferSize ${this.device.limits.maxBufferSize}, maxStorageBufferBindingSize ${this.device.limits.maxStorageBufferBindingSize})`,
      );
    }
    // The device reports an allocation it could not make later, asynchronously: that error is
    // thrown by the next call (whatever it is) and by every use of the buffer, which the device
    // never allocated — never a read of an invalid buffer.
    return this.pool.alloc(bytes, (err, _id, cls) => {
      const held = this.pool.reservedBytes();
      // An Error, not a RangeError: core names the shape of the tensor it was allocating when a
      // RangeError comes out of alloc(), and the next alloc is some other tensor's.
      const e = new Error(
        `webgpu backend: out of memory: the GPU could not allocate a buffer of ${bytes} bytes (${bytes / 4} float32 elements; ${cls} bytes with the pool's rounding; ` +
          `${held} bytes already held, live and pooled; device says: ${err.message}). torch.memory() shows which tensors are live: ` +
          'dispose() those you no longer need, or use smaller batches.',
      );
      this.pendingError ??= e;
      return e;
    });
  }

  free(buffer: BufferId): void {
    if (this.destroyed) return;
    this.pool.free(buffer);
  }

  write(buffer: BufferId, src: TypedArray, byteOffset = 0): void {
    this.check();
    const size = this.pool.size(buffer);
    if (byteOffset < 0 || byteOffset + src.byteLength > size) {
      throw new RangeError(`webgpu backend: write of ${src.byteLength} bytes at ${byteOffset} overruns a ${size}-byte buffer`);
    }
    if (src.byteLength === 0) return;
    const target = this.pool.get(buffer);
    const bytes = new Uint8Array(src.buffer, src.byteOffset, src.byteLength);
    // Whole words go straight in (padding the last word is harmless when the write reaches the end).
    if (byteOffset % 4 === 0 && (bytes.byteLength % 4 === 0 || byteOffset + bytes.byteLength >= size)) {
      const padded = bytes.byteLength % 4 === 0 ? bytes : padTo4(bytes);
      // While work is pending the data must land after it: small writes ride in the arena (no
      // buffer created per write: a training step writes scalar constants), large ones in a staging buffer.
      if (this.encoder && padded.byteLength <= ARENA_BYTES / 4 && roundUp(this.arenaUsed, 4) + padded.byteLength > ARENA_BYTES) this.flush();
      if (!this.encoder) {
        this.device.queue.writeBuffer(target, byteOffset, padded as Uint8Array<ArrayBuffer>);
      } else if (padded.byteLength <= ARENA_BYTES / 4) {
        const at = this.arenaUsed;
        new Uint8Array(this.arenaHost.buffer, at, padded.byteLength).set(padded);
        this.arenaUsed += padded.byteLength;
        this.endPass();
        this.encoder.copyBufferToBuffer(this.arena, at, target, byteOffset, padded.byteLength);
      } else {
        const staging = this.stage(padded);
        this.endPass();
        this.encoder.copyBufferToBuffer(staging, 0, target, byteOffset, padded.byteLength);
      }
      return;
    }
    // An unaligned write (bool data at an odd byte): stage it and copy bytes with the copy kernel.
    const tmp = this.device.createBuffer({ size: roundUp4(bytes.byteLength), usage: STORAGE | COPY_DST, mappedAtCreation: true });
    new Uint8Array(tmp.getMappedRange()).set(bytes);
    tmp.unmap();
    this.transient.push(tmp);
    const n = bytes.byteLength;
    this.elementwise([{ buffer: tmp, dtype: 'bool', offset: 0, strides: [1] }], { buffer: target, dtype: 'bool', offset: byteOffset, strides: [1] }, [n], 'st_out(oo, ld_in0(o0));');
  }

  async read(view: View): Promise<TypedArray> {
    this.check();
    const n = numel(view.shape);
    const size = dtypeSize(view.dtype);
    const bytes = n * size;
    let src = this.pool.get(view.buffer);
    let start = view.offset * size;
    let tmp: BufferId | null = null;
    if (n > 0 && (!isContiguous(view.shape, view.strides) || start % 4 !== 0)) {
      tmp = this.alloc(roundUp4(bytes));
      this.runCopy(view, { buffer: tmp, dtype: view.dtype, offset: 0, strides: contiguousStrides(view.shape), shape: view.shape });
      src = this.pool.get(tmp);
      start = 0;
    }
    const checks = this.indexChecks;
    this.indexChecks = [];
    const enc = this.ensureEncoder();
    this.endPass();
    const staging = this.takeReadback(roundUp4(bytes) + 16);
    if (n > 0) enc.copyBufferToBuffer(src, start, staging, 0, roundUp4(bytes));
    if (checks.length > 0) {
      enc.copyBufferToBuffer(this.errBuf, 0, staging, roundUp4(bytes), 16);
      // Cleared in the encoder, after the copy. (queue.writeBuffer ran at once, before this
      // encoder: when the op's work had been submitted earlier, by a matmul or a full batch,
      // its report was wiped before the copy and the out-of-range index went unreported.)
      enc.clearBuffer(this.errBuf, 0, 16);
    }
    // Pooled scratch goes back at once: its next user is ordered after this copy.
    if (tmp !== null) this.free(tmp);
    this.flush();
    try {
      await staging.mapAsync(MAP_MODE_READ);
    } catch (err) {
      staging.destroy();
      this.check();
      throw new Error(`webgpu backend: reading back failed (${err instanceof Error ? err.message : String(err)})`);
    }
    const data = staging.getMappedRange(0, roundUp4(bytes) + 16).slice(0);
    staging.unmap();
    this.giveReadback(staging);
    if (checks.length > 0) {
      const e = new Int32Array(data, roundUp4(bytes), 4);
      if (e[0]! > 0) {
        const c = checks[e[0]! - 1]!;
        throw new RangeError(`webgpu backend: ${c.op} index ${e[1]} is out of bounds for dimension ${c.dim} with size ${c.size} (found by an earlier ${c.op}; the GPU cannot throw when it runs)`);
      }
    }
    this.check();
    const buf = data.slice(0, bytes);
    return view.dtype === 'float32' ? new Float32Array(buf) : view.dtype === 'int32' ? new Int32Array(buf) : isHalf(view.dtype) ? new Uint16Array(buf) : new Uint8Array(buf);
  }

  memory(): BackendMemory {
    return { reservedBytes: this.pool.reservedBytes() };
  }

  /**
   * Counts of GPU work since the backend was created or {@link WebGpuBackend.resetCounters}:
   * dispatches (tfjs's matmuls included), command-buffer submissions, GPU buffer creations,
   * bind groups and pipelines created. A snapshot; the counts hold on any adapter.
   *
   * @example
   * ```ts
   * // not run: needs a WebGPU adapter
   * import * as torch from 'torchlet';
   * import type { WebGpuBackend } from '@torchlet/backend-webgpu';
   * const gpu = (await torch.setBackend('webgpu')) as WebGpuBackend;
   * gpu.resetCounters();
   * await torch.randn([64, 64]).relu().sum().item();
   * console.log(gpu.counters());   // { dispatches: 3, submits: 1, bufferCreations: ..., ... }
   * ```
   */
  counters(): WebGpuCounters {
    return { ...this.counts };
  }

  /** Sets every count of {@link WebGpuBackend.counters} back to 0 (e.g. after warm-up steps). */
  resetCounters(): void {
    Object.assign(this.counts, zeroCounters());
  }

  /** Live GPU buffers and pooled free ones (for tests of flat memory). */
  bufferStats(): PoolStats {
    return this.pool.stats();
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.encoder = null;
    this.pass = null;
    this.pool.destroy();
    for (const l of this.readbacks.values()) for (const b of l) b.destroy();
    this.readbacks.clear();
    this.device.destroy();
  }

  // ---- element-wise ----------------------------------------------------------------------------

  unary(op: UnaryOp, x: View, out: View): void {
    this.check();
    const e = x.dtype === out.dtype ? unaryExpr(op, x.dtype) : undefined;
    if (!e) throw unsupported(`unary ${op}`, { x: x.dtype, out: out.dtype });
    this.map(out, [x], `unary_${op}`, `let x = ld_in0(o0); st_out(oo, ${e});`);
  }

  binary(op: BinaryOp, a: View, b: View, out: View): void {
    this.check();
    const expected = COMPARE.has(op) || LOGICAL.has(op) ? 'bool' : a.dtype;
    const e = a.dtype === b.dtype && out.dtype === expected ? binaryExpr(op, a.dtype) : undefined;
    if (!e) throw unsupported(`binary ${op}`, { a: a.dtype, b: b.dtype, out: out.dtype });
    this.map(out, [a, b], `binary_${op}`, `let a = ld_in0(o0); let b = ld_in1(o1); st_out(oo, ${e});`);
  }

  where(cond: View, a: View, b: View, out: View): void {
    this.check();
    if (cond.dtype !== 'bool' || a.dtype !== out.dtype || b.dtype !== out.dtype || isHalf(out.dtype)) {
      throw unsupported('where', { cond: cond.dtype, a: a.dtype, b: b.dtype, out: out.dtype });
    }
    this.map(out, [cond, a, b], 'where', 'st_out(oo, select(ld_in2(o2), ld_in1(o1), ld_in0(o0) != 0u));');
  }

  copy(src: View, dst: View): void {
    this.check();
    this.runCopy(src, dst);
  }

  fill(dst: View, value: number): void {
    this.check();
    if (isHalf(dst.dtype)) throw unsupported('fill', { dst: dst.dtype });
    const bits = dst.dtype === 'float32' ? new Int32Array(new Float32Array([value]).buffer)[0]! : dst.dtype === 'int32' ? value | 0 : value ? 1 : 0;
    const v = dst.dtype === 'float32' ? 'bitcast<f32>(prm[1])' : dst.dtype === 'int32' ? 'prm[1]' : 'u32(prm[1])';
    this.map(dst, [], 'fill', `st_out(oo, ${v});`, [bits]);
  }

  // ---- reductions ----------------------------------------------------------------------------

  reduce(op: ReduceOp, x: View, axes: readonly number[], out: View): void {
    this.check();
    const arg = op === 'argmax' || op === 'argmin';
    if ((x.dtype !== 'float32' && x.dtype !== 'int32') || out.dtype !== (arg ? 'int32' : x.dtype)) {
      throw unsupported(`reduce ${op}`, { x: x.dtype, out: out.dtype });
    }
    if (arg && axes.length !== 1) throw new Error(`webgpu backend: reduce ${op} takes exactly one axis, got [${axes.join(', ')}]`);
    const nOut = numel(out.shape);
    if (nOut === 0) return;
    const reduced = new Set(axes);
    const oShape: number[] = [], oX: number[] = [], oOut: number[] = [], iShape: number[] = [], iX: number[] = [];
    for (let d = 0; d < x.shape.length; d++) {
      if (reduced.has(d)) {
        iShape.push(x.shape[d]!);
        iX.push(x.strides[d]!);
      } else {
        oShape.push(x.shape[d]!);
        oX.push(x.strides[d]!);
        oOut.push(out.strides[d]!);
      }
    }
    const nInner = numel(iShape);
    if (nInner === 0) {
      this.fill(out, op === 'prod' ? 1 : 0);
      return;
    }
    const outer = coalesce(oShape, [oX, oOut]);
    // arg* count positions in the original order, so their inner dims are not merged or dropped.
    const inner = arg ? { shape: iShape, strides: [iX] } : coalesce(iShape, [iX]);
    const ro = outer.shape.length, ri = inner.shape.length;
    const meta = new Int32Array(6 + 3 * ro + 2 * ri);
    meta.set([nOut, nInner, ro, ri, x.offset, out.offset]);
    meta.set(outer.shape, 6);
    meta.set(outer.strides[0]!, 6 + ro);
    meta.set(outer.strides[1]!, 6 + 2 * ro);
    meta.set(inner.shape, 6 + 3 * ro);
    meta.set(inner.strides[0]!, 6 + 3 * ro + ri);
    // A workgroup per output pays only when its 64 threads each get several elements; else one
    // thread per output (see reduceSerialSource).
    const serial = serialFold(nInner, nOut, SERIAL_REDUCE_MAX);
    this.dispatch(
      this.source(`reduce|${op}|${x.dtype}|${serial}`, () => (serial ? reduceSerialSource : reduceSource)(op, x.dtype)),
      [{ buffer: this.pool.get(out.buffer), writable: true }, { buffer: this.pool.get(x.buffer) }],
      meta,
      nOut,
      serial ? Math.ceil(nOut / WG) : nOut,
    );
  }

  // ---- matmul (tfjs) -------------------------------------------------------------------------

  matmul(a: View, b: View, out: View): void {
    this.check();
    const { rank: r, M, N, K } = checkMatmulViews('webgpu', a, b, out);
    const n = numel(out.shape);
    if (n === 0) return;
    if (K === 0) {
      this.fill(out, 0);
      return;
    }
    const batch = numel(out.shape.slice(0, r - 2));
    // tfjs's matmul programs guard their reads of A past K but not of B (mm_readB in
    // matmul_packed_webgpu.js, tfjs 4.22): in the last partial K tile they multiply A's zeros by
    // B's rows past K, which in a batched B are the next batch's rows, and 0 * inf is NaN; an
    // unbatched B's rows past K are whatever the pooled buffer's last user left (the pool hands out
    // buffers up to 25% larger than asked). So tfjs runs only where K is a whole tile and both
    // operands are packed buffers at offset 0 (its zero-copy form); everything else — a K that is
    // not a whole tile, a strided operand, one at an offset, as every intermediate of a compiled
    // step is — is one dispatch of our strided kernel (matmul.ts), where a copy or a zero-padding
    // of each operand would otherwise come first.
    const tile = M === 1 ? MATMUL_TILE_INNER_VECTOR : MATMUL_TILE_INNER;
    const A = K % tile === 0 ? this.tfjsOperand(a, batch) : null;
    const B = A ? this.tfjsOperand(b, batch) : null;
    if (!A || !B || !isContiguous(out.shape, out.strides)) {
      this.stridedMatmul(a, b, out, M, N, K);
      return;
    }
    const dst = this.pool.get(out.buffer);
    // tfjs records into our encoder (no submit); it may submit it on its own, so the arena
    // holding the parameters of what is recorded so far is uploaded first.
    const enc = this.ensureEncoder();
    this.endPass();
    this.uploadArena();
    const next = this.tfjs.matmul(A, B, enc, (res, e) => e.copyBufferToBuffer(res, 0, dst, out.offset * 4, n * 4));
    if (next !== enc) this.submitted();
    this.encoder = next;
  }

  /** C = A @ B by our strided kernel (matmul.ts): any strides and offsets, one dispatch. */
  private stridedMatmul(a: View, b: View, out: View, M: number, N: number, K: number): void {
    const slots = matmulSlots(a, b, out);
    const { meta, workgroups } = matmulMeta(a, b, out, M, N, K);
    const bufs = [out.buffer, a.buffer, b.buffer].filter((id, i, all) => all.indexOf(id) === i);
    const bindings: Binding[] = bufs.map((id, i) => ({ buffer: this.pool.get(id), writable: i === 0 }));
    this.dispatch(this.source(`matmul|${slots.a}|${slots.b}|${slots.count}`, () => matmulSource(slots)), bindings, meta, 0, workgroups);
  }

  /**
   * A matmul operand as tfjs takes it without a copy — a packed `[batch, rows, cols]` buffer
   * starting at byte 0, possibly transposed, or one matrix broadcast over the whole batch — or
   * null when `v` is not laid out so.
   */
  private tfjsOperand(v: View, batch: number): { buffer: GPUBuffer; shape: [number, number, number]; transpose: boolean } | null {
    const r = v.shape.length;
    const R = v.shape[r - 2]!, C = v.shape[r - 1]!;
    const sr = v.strides[r - 2]!, sc = v.strides[r - 1]!;
    const bShape = v.shape.slice(0, r - 2), bStrides = v.strides.slice(0, r - 2);
    const broadcast = bStrides.every((s, i) => s === 0 || bShape[i] === 1);
    const packedBatch = isContiguous(bShape, bStrides.map((s) => s / (R * C)));
    const batchOk = broadcast || (packedBatch && bStrides.every((s, i) => bShape[i] === 1 || s % (R * C) === 0));
    if (v.offset !== 0 || !batchOk) return null;
    const nb = broadcast ? 1 : batch;
    if ((sc === 1 || C === 1) && (sr === C || R === 1)) return { buffer: this.pool.get(v.buffer), shape: [nb, R, C], transpose: false };
    if ((sr === 1 || R === 1) && (sc === R || C === 1)) return { buffer: this.pool.get(v.buffer), shape: [nb, C, R], transpose: true };
    return null;
  }

  // ---- indexing ------------------------------------------------------------------------------

  gather(x: View, dim: number, index: View, out: View): void {
    this.check();
    if (index.dtype !== 'int32' || out.dtype !== x.dtype || isHalf(x.dtype)) throw unsupported('gather', { x: x.dtype, index: index.dtype, out: out.dtype });
    const l = this.indexLayout('gather', x, dim, index);
    if (!l) return;
    const slot = this.indexCheck('gather', dim, l.dimLen);
    const zero = out.dtype === 'float32' ? '0.0' : out.dtype === 'int32' ? '0' : '0u';
    this.elementwise(
      [index, l.data], out, l.shape,
      `let i = ld_in0(o0);
  if (i < 0 || i >= prm[2]) { report_(i); st_out(oo, ${zero}); } else { st_out(oo, ld_in1(o1 + i * prm[1])); }`,
      [l.dimStride, l.dimLen, slot],
      { extra: ERR_DECL(4) },
    );
  }

  scatterAdd(dst: View, dim: number, index: View, src: View): void {
    this.check();
    if (index.dtype !== 'int32' || (dst.dtype !== 'float32' && dst.dtype !== 'int32') || src.dtype !== dst.dtype) {
      throw unsupported('scatterAdd', { dst: dst.dtype, index: index.dtype, src: src.dtype });
    }
    const l = this.indexLayout('scatterAdd', dst, dim, index);
    if (!l) return;
    const slot = this.indexCheck('scatterAdd', dim, l.dimLen);
    const add = dst.dtype === 'int32'
      ? 'atomicAdd(&out[u32(t)], bitcast<u32>(v));'
      : `loop {
      let old = atomicLoad(&out[u32(t)]);
      if (atomicCompareExchangeWeak(&out[u32(t)], old, bitcast<u32>(bitcast<f32>(old) + v)).exchanged) { break; }
    }`;
    this.elementwise(
      [index, src], l.data, l.shape,
      `let i = ld_in0(o0);
  if (i < 0 || i >= prm[2]) { report_(i); } else {
    let t = oo + i * prm[1];
    let v = ld_in1(o1);
    ${add}
  }`,
      [l.dimStride, l.dimLen, slot],
      { extra: ERR_DECL(4), outAtomic: true },
    );
  }

  random(dst: View, p: RandomParams): void {
    this.check();
    if (dst.dtype !== 'float32') throw unsupported(`random ${p.kind}`, { dst: dst.dtype });
    const n = numel(dst.shape);
    if (n === 0) return;
    const meta = new Uint32Array([n, dst.offset, p.kind === 'uniform' ? 0 : 1, p.seedLo >>> 0, p.seedHi >>> 0, p.counter % 4294967296, Math.floor(p.counter / 4294967296)]);
    this.dispatch(RANDOM_SOURCE, [{ buffer: this.pool.get(dst.buffer), writable: true }], meta, Math.ceil(n / 4));
  }

  // ---- fused optimizer steps -----------------------------------------------------------------

  readonly fused: Partial<FusedKernels> = {
    adamStep: (param, grad, expAvg, expAvgSq, maxExpAvgSq, p: AdamStepParams) => {
      const views = maxExpAvgSq ? [param, grad, expAvg, expAvgSq, maxExpAvgSq] : [param, grad, expAvg, expAvgSq];
      this.check();
      const n = checkFusedViews('webgpu', 'adamStep', views);
      if (n === 0) return;
      const flags = (p.decoupledWeightDecay ? 1 : 0) | (p.amsgrad ? 2 : 0) | (p.maximize ? 4 : 0);
      const f = [p.beta1, 1 - p.beta1, p.beta2, 1 - p.beta2, p.eps, p.weightDecay, p.decoupledWeightDecay ? 1 - p.lr * p.weightDecay : 1, p.lr / (1 - p.beta1 ** p.step), Math.sqrt(1 - p.beta2 ** p.step)];
      const meta = new Uint32Array(16);
      meta[0] = n;
      meta[1] = flags;
      new Float32Array(meta.buffer, 8, 9).set(f);
      meta.set([param.offset, grad.offset, expAvg.offset, expAvgSq.offset, maxExpAvgSq?.offset ?? 0], 11);
      const b = (v: View | null, writable = true): Binding => ({ buffer: v ? this.pool.get(v.buffer) : this.dummy, writable });
      this.dispatch(ADAM_SOURCE, [b(param), b(grad, false), b(expAvg), b(expAvgSq), b(maxExpAvgSq)], meta, n);
    },
    sgdStep: (param, grad, momentumBuffer, p: SgdStepParams) => {
      if (p.momentum !== 0 && !momentumBuffer) throw new Error('webgpu backend: sgdStep with momentum needs a momentum buffer');
      this.check();
      const n = checkFusedViews('webgpu', 'sgdStep', momentumBuffer ? [param, grad, momentumBuffer] : [param, grad]);
      if (n === 0) return;
      const flags = (p.maximize ? 4 : 0) | (p.nesterov ? 8 : 0) | (p.firstStep ? 16 : 0);
      const meta = new Uint32Array(9);
      meta[0] = n;
      meta[1] = flags;
      new Float32Array(meta.buffer, 8, 4).set([p.lr, p.momentum, 1 - p.dampening, p.weightDecay]);
      meta.set([param.offset, grad.offset, momentumBuffer?.offset ?? 0], 6);
      const b = (v: View | null, writable = true): Binding => ({ buffer: v ? this.pool.get(v.buffer) : this.dummy, writable });
      this.dispatch(SGD_SOURCE, [b(param), b(grad, false), b(momentumBuffer)], meta, n);
    },
    elementwise: (program, inputs, outputs) => this.program(program, inputs, outputs),
    elementwiseBatch: (program, calls) => this.programBatch(program, calls),
    reduction: (program, inputs, extraOutputs, epilogueInputs, outputs) => this.reduction(program, inputs, extraOutputs, epilogueInputs, outputs),
    // attention.ts: one workgroup per query row (forward, dQ) or key row (dK, dV).
    attention: (q, k, v, mask, out, lse, p: AttentionParams) => {
      const dims = this.attentionDims('attention', q, k, v, mask, out, null, [out, lse]);
      if (!dims) return;
      this.attentionKernel('forward', dims, { q, k, v, ...(mask ? { mask } : {}), out, lse }, p, dims.B * dims.H * dims.L);
    },
    attentionBackward: (q, k, v, mask, out, lse, gradOut, gradQ, gradK, gradV, p: AttentionParams) => {
      const dims = this.attentionDims('attentionBackward', q, k, v, mask, out, gradOut, [out, lse, gradQ, gradK, gradV]);
      if (!dims) return;
      const views = { q, k, v, ...(mask ? { mask } : {}), out, lse, gout: gradOut, dq: gradQ, dk: gradK, dv: gradV };
      if (dims.L > 0) this.attentionKernel('backwardQ', dims, views, p, dims.B * dims.H * dims.L);
      if (dims.S > 0) this.attentionKernel('backwardKV', dims, views, p, dims.B * dims.H * dims.S);
    },
    // quant.ts: max|x|, then x quantised to packed int8, then a tiled int8 GEMM that dequantises.
    int8Linear: (x, weight, weightScale, bias, out) => {
      this.check();
      const { M, N, K, kp } = checkInt8LinearViews('webgpu', x, weight, weightScale, bias, out);
      const kw = kp / 4;
      if (M === 0 || N === 0) return;
      // Scratch from the pool, returned right after recording: later users are ordered after these passes.
      const stats = this.alloc(16), xq = this.alloc(M * kp);
      this.write(stats, new Int32Array(4));
      const g = (id: BufferId, writable = false): Binding => ({ buffer: this.pool.get(id), writable });
      if (M * K > 0) {
        this.dispatch(INT8_ABSMAX_SOURCE, [g(stats, true), g(x.buffer)], new Uint32Array([M * K, x.offset]), 0, Math.ceil((M * K) / ABSMAX_CHUNK));
      }
      this.dispatch(INT8_QUANTIZE_SOURCE, [g(xq, true), g(stats), g(x.buffer)], new Uint32Array([M, K, kw, x.offset]), M * kw);
      const tilesN = Math.ceil(N / GEMM_TILE);
      const meta = new Uint32Array([M, N, kw, weight.offset, weightScale.offset, bias ? bias.offset : 0xffffffff, out.offset, tilesN]);
      const biasBinding: Binding = bias ? g(bias.buffer) : { buffer: this.dummy };
      this.dispatch(this.int8Gemm, [g(out.buffer, true), g(xq), g(weight.buffer), g(weightScale.buffer), biasBinding, g(stats)], meta, 0, Math.ceil(M / GEMM_TILE) * tilesN);
      this.free(stats);
      this.free(xq);
    },
  };

  /**
   * A fused element-wise program as one generated shader (program.ts), cached by program and
   * binding layout. A program whose distinct buffers exceed the device's storage-buffer bindings
   * runs op by op (core's runProgramComposite) instead.
   */
  /**
   * A fused reduction (core's `fused.reduction`) as one generated shader (reduction.ts), cached
   * by program, binding layout and fold mode; operands checked at run time. Runs as core's
   * composite where its distinct buffers exceed the device's storage bindings.
   */
  private reduction(p: ReductionProgram, inputs: readonly View[], extras: readonly View[], epiIns: readonly View[], outputs: readonly View[]): void {
    this.check();
    const what = 'webgpu backend: fused reduction';
    if (!p || !p.prologue || !Array.isArray(p.axes) || typeof p.key !== 'string') throw new TypeError(`${what}: the program is not a checked ReductionProgram (build it with checkReduction)`);
    if (![inputs, extras, epiIns, outputs].every(Array.isArray)) throw new TypeError(`${what}: inputs, extraOutputs, epilogueInputs and outputs must be arrays of views`);
    const pro = p.prologue, epi = p.epilogue;
    if (inputs.length !== pro.inputs.length || extras.length !== pro.outputs.length - 1) {
      throw new TypeError(`${what}: the prologue takes ${pro.inputs.length} inputs and stores ${pro.outputs.length - 1} extra outputs, got ${inputs.length} and ${extras.length}`);
    }
    if (epi ? epiIns.length !== epi.inputs.length - 1 || outputs.length !== epi.outputs.length : epiIns.length !== 0 || outputs.length !== 1) {
      throw new TypeError(`${what}: the epilogue takes ${epi ? epi.inputs.length - 1 : 0} inputs and stores ${epi ? epi.outputs.length : 1} outputs, got ${epiIns.length} and ${outputs.length}`);
    }
    const X = inputs[0]?.shape ?? extras[0]?.shape;
    if (!X) throw new TypeError(`${what}: the prologue needs at least one input`);
    if (p.axes.some((a) => a >= X.length)) throw new RangeError(`${what}: axes [${p.axes.join(', ')}] out of range for an input of rank ${X.length}`);
    const R = X.map((d, i) => (p.axes.includes(i) ? 1 : d));
    const same = (a: readonly number[], b: readonly number[]): boolean => a.length === b.length && a.every((n, i) => n === b[i]);
    const checkAll = (vs: readonly View[], dtypes: readonly ProgramDType[], shape: readonly number[], contiguous: boolean, name: string): void => {
      vs.forEach((v, k) => {
        if (v.dtype !== dtypes[k]) throw new TypeError(`${what}: ${name} ${k} is ${v.dtype}, the program says ${dtypes[k]}`);
        if (!same(v.shape, shape)) throw new TypeError(`${what}: ${name} ${k} has shape [${v.shape.join(', ')}], expected [${shape.join(', ')}]`);
        if (contiguous && !isContiguous(v.shape, v.strides)) throw new TypeError(`${what}: ${name} ${k} is not contiguous (strides [${v.strides.join(', ')}])`);
      });
    };
    checkAll(inputs, pro.inputs, X, false, 'input');
    checkAll(extras, pro.outputs.slice(1).map((r) => pro.dtypes[r]!), X, true, 'extra output');
    checkAll(epiIns, epi ? epi.inputs.slice(1) : [], R, false, 'epilogue input');
    checkAll(outputs, epi ? epi.outputs.map((r) => epi.dtypes[r]!) : ['float32'], R, true, 'output');
    const nOut = numel(R);
    if (nOut === 0) return;
    // One slot per distinct buffer; written (and bool-written: atomic) where an output lives.
    const slots = new BindingSlots();
    const { buffers, writable, atomic } = slots;
    const slot = (v: View, w: boolean, bool: boolean): number => slots.slot(v.buffer, w, bool);
    const extraSlots = extras.map((v) => slot(v, true, v.dtype === 'bool'));
    const outputSlots = outputs.map((v) => slot(v, true, v.dtype === 'bool'));
    const l: ReductionLayout = {
      inputs: inputs.map((v) => slot(v, false, false)), extras: extraSlots, epilogueInputs: epiIns.map((v) => slot(v, false, false)), outputs: outputSlots, writable, atomic,
    };
    if (buffers.length + 1 > this.storageBindings) {
      runReductionComposite(this, p, inputs, extras, epiIns, outputs);
      return;
    }
    const P = [...inputs, ...extras], E = [...epiIns, ...outputs];
    const outerDims = X.map((_, d) => d).filter((d) => !p.axes.includes(d));
    const innerDims = [...p.axes];
    const outer = coalesce(outerDims.map((d) => X[d]!), [...P, ...E].map((v) => outerDims.map((d) => v.strides[d]!)));
    const inner = coalesce(innerDims.map((d) => X[d]!), P.map((v) => innerDims.map((d) => v.strides[d]!)));
    const ro = outer.shape.length, ri = inner.shape.length;
    const nInner = numel(innerDims.map((d) => X[d]!));
    const meta: number[] = [nOut, nInner, ro, ri, ...outer.shape, ...inner.shape];
    P.forEach((v, k) => meta.push(v.offset, ...outer.strides[k]!, ...inner.strides[k]!));
    E.forEach((v, k) => meta.push(v.offset, ...outer.strides[P.length + k]!));
    const serial = serialFold(nInner, nOut, SERIAL_REDUCE_MAX);
    const source = this.source(reductionSourceKey(p, l, serial), () => reductionSource(p, l, serial));
    const bindings: Binding[] = buffers.map((id, sl) => ({ buffer: this.pool.get(id), writable: writable[sl]! }));
    this.dispatch(source, bindings, new Int32Array(meta), nOut, serial ? Math.ceil(nOut / WG) : nOut);
  }

  /**
   * Calls of one program on independent operands (core's `fused.elementwiseBatch`), as few
   * dispatches as the device's storage bindings allow: consecutive calls share one generated
   * shader while their distinct buffers fit (up to {@link MAX_PROGRAM_BATCH} calls).
   */
  private programBatch(program: ElementwiseProgram, calls: readonly ProgramCall[]): void {
    this.check();
    if (!Array.isArray(calls)) throw new TypeError('webgpu backend: fused elementwiseBatch takes an array of { inputs, outputs } calls');
    const live = calls.filter((c, i) => {
      if (!c || !Array.isArray(c.inputs) || !Array.isArray(c.outputs)) throw new TypeError(`webgpu backend: fused elementwiseBatch: call ${i} is not { inputs, outputs }`);
      return numel(checkProgramViews(program, c.inputs, c.outputs)) > 0;
    });
    let group: ProgramCall[] = [];
    let buffers = new Set<BufferId>();
    const emit = (): void => {
      if (group.length === 1) this.program(program, group[0]!.inputs, group[0]!.outputs);
      else if (group.length > 1) this.programGroup(program, group);
      group = [];
      buffers = new Set();
    };
    for (const c of live) {
      const own = [...c.outputs, ...c.inputs].map((v) => v.buffer);
      const union = new Set([...buffers, ...own]);
      if (group.length > 0 && (union.size + 1 > this.storageBindings || group.length >= MAX_PROGRAM_BATCH)) {
        emit();
        for (const b of own) buffers.add(b);
      } else buffers = union;
      group.push(c);
    }
    emit();
  }

  /** One dispatch of several calls of `program` (program.ts's programBatchSource). */
  private programGroup(program: ElementwiseProgram, calls: readonly ProgramCall[]): void {
    const { layouts, buffers, writable, atomic } = programLayouts(program, calls);
    const G = calls.length;
    const metas = calls.map((c) => {
      const operands = [...c.outputs, ...c.inputs];
      const shape = c.outputs[0]!.shape;
      const l = coalesce(shape, operands.map((v) => v.strides));
      return { n: numel(shape), meta: elementwiseMeta(l.shape, operands.map((v, k) => ({ offset: v.offset, strides: l.strides[k]! }))) };
    });
    const head = 3 + 2 * G;
    const meta = new Int32Array(head + metas.reduce((a, m) => a + m.meta.length, 0));
    let start = 0, base = head;
    meta[1] = G;
    metas.forEach((m, i) => {
      meta[2 + i] = start;
      meta[3 + G + i] = base;
      meta.set(m.meta, base);
      start += m.n;
      base += m.meta.length;
    });
    meta[0] = start;
    meta[2 + G] = start;
    const key = `fusedbatch|${program.key}|${layouts.map((l) => `${l.inputSlots.join(',')}>${l.outputSlots.join(',')}`).join(';')}|${writable.map(Number).join('')}|${atomic.map(Number).join('')}`;
    const source = this.source(key, () => programBatchSource(program, layouts, writable, atomic));
    this.dispatch(source, buffers.map((id, s) => ({ buffer: this.pool.get(id), writable: writable[s]! })), meta, start);
  }

  private program(program: ElementwiseProgram, inputs: readonly View[], outputs: readonly View[]): void {
    this.check();
    const shape = checkProgramViews(program, inputs, outputs);
    if (numel(shape) === 0) return;
    const l = programLayout(program, inputs, outputs);
    if (l.buffers.length + 1 > this.storageBindings) {
      runProgramComposite(this, program, inputs, outputs);
      return;
    }
    const operands = [...outputs, ...inputs];
    const c = coalesce(shape, operands.map((v) => v.strides));
    const meta = elementwiseMeta(c.shape, operands.map((v, k) => ({ offset: v.offset, strides: c.strides[k]! })));
    const source = this.source(programSourceKey(program, l), () => programSource(program, l));
    const bindings: Binding[] = l.buffers.map((id, s) => ({ buffer: this.pool.get(id), writable: l.writable[s]! }));
    this.dispatch(source, bindings, meta, numel(c.shape));
  }

  /**
   * Checks an attention call's operands (float32, 4-D, agreeing shapes, a unit last stride on
   * q, k, v and gradOut, contiguous outputs); its dims, or null when there is nothing to compute.
   */
  private attentionDims(op: string, q: View, k: View, v: View, mask: View | null, out: View, gradOut: View | null, contiguous: readonly View[]): AttentionDims | null {
    this.check();
    const [B, H, L, D] = q.shape as [number, number, number, number];
    const S = k.shape[2]!, Dv = v.shape[3]!;
    const all = [q, k, v, out, ...contiguous, ...(mask ? [mask] : []), ...(gradOut ? [gradOut] : [])];
    for (const x of all) if (x.dtype !== 'float32') throw unsupported(op, { operand: x.dtype });
    const shapesOk = q.shape.length === 4 && k.shape.length === 4 && v.shape.length === 4 && out.shape.length === 4 &&
      k.shape[0] === B && k.shape[1] === H && k.shape[3] === D && v.shape[0] === B && v.shape[1] === H && v.shape[2] === S &&
      out.shape[0] === B && out.shape[1] === H && out.shape[2] === L && out.shape[3] === Dv &&
      (!mask || (mask.shape.length === 4 && mask.shape[2] === L && mask.shape[3] === S)) &&
      (!gradOut || gradOut.shape.every((n, i) => n === out.shape[i]));
    if (!shapesOk) throw new Error(`webgpu backend: ${op} shapes do not agree: q [${q.shape}], k [${k.shape}], v [${v.shape}], out [${out.shape}]${mask ? `, mask [${mask.shape}]` : ''}`);
    for (const x of [q, k, v, ...(gradOut ? [gradOut] : [])]) {
      if (x.shape[3]! > 1 && x.strides[3] !== 1) throw new Error(`webgpu backend: ${op} needs a unit stride on the last dim, got strides [${x.strides.join(', ')}]`);
    }
    for (const x of contiguous) {
      if (!isContiguous(x.shape, x.strides)) throw new Error(`webgpu backend: ${op} needs contiguous outputs, got shape [${x.shape.join(', ')}] with strides [${x.strides.join(', ')}]`);
    }
    return B * H * Math.max(L, S) === 0 ? null : { B, H, L, S, D, Dv };
  }

  /**
   * One attention kernel (attention.ts) over `groups` workgroups. Operands bind one slot per
   * distinct buffer, the written ones `read_write`; when that exceeds the device's storage
   * bindings, the read-only operands are first copied (copyBufferToBuffer, not a dispatch) into
   * one pooled scratch buffer and read from there.
   */
  private attentionKernel(kernel: AttentionKernel, dims: AttentionDims, views: Partial<Record<AttentionOperand, View>>, p: AttentionParams, groups: number): void {
    const { reads, writes } = ATTENTION_OPERANDS[kernel];
    const used = [...writes, ...reads].filter((o) => views[o] !== undefined);
    const rebased: Partial<Record<AttentionOperand, View>> = { ...views };
    const buffers: Array<GPUBuffer> = [];
    const writable: boolean[] = [];
    const slots: Partial<Record<AttentionOperand, number>> = {};
    const slotOf = (buffer: GPUBuffer, w: boolean): number => {
      let s = buffers.indexOf(buffer);
      if (s < 0) {
        s = buffers.push(buffer) - 1;
        writable.push(w);
      }
      return s;
    };
    for (const o of used) slots[o] = slotOf(this.pool.get(views[o]!.buffer), writes.includes(o));
    const temps: BufferId[] = [];
    if (buffers.length + 1 > this.storageBindings) {
      // Pack every read-only buffer's range that the operands touch into one scratch buffer.
      const ro = used.filter((o) => !writable[slots[o]!]);
      const ranges = new Map<BufferId, { lo: number; hi: number; at: number }>();
      for (const o of ro) {
        const v = views[o]!;
        const hi = v.offset + v.shape.reduce((acc, n, d) => acc + (n - 1) * v.strides[d]!, 0) + 1;
        const r = ranges.get(v.buffer);
        ranges.set(v.buffer, r ? { lo: Math.min(r.lo, v.offset), hi: Math.max(r.hi, hi), at: 0 } : { lo: v.offset, hi, at: 0 });
      }
      let total = 0;
      for (const r of ranges.values()) {
        r.at = total;
        total += r.hi - r.lo;
      }
      const scratch = this.alloc(total * 4);
      temps.push(scratch);
      const enc = this.ensureEncoder();
      this.endPass();
      for (const [id, r] of ranges) enc.copyBufferToBuffer(this.pool.get(id), r.lo * 4, this.pool.get(scratch), r.at * 4, (r.hi - r.lo) * 4);
      buffers.length = 0;
      writable.length = 0;
      for (const o of used) {
        const v = views[o]!;
        const r = ro.includes(o) ? ranges.get(v.buffer)! : null;
        if (r) rebased[o] = { ...v, buffer: scratch, offset: r.at + v.offset - r.lo };
        slots[o] = slotOf(this.pool.get(rebased[o]!.buffer), writes.includes(o));
      }
    }
    const meta = attentionMeta(dims, rebased, p.scale, p.causal);
    const bs = attentionBlock(kernel === 'backwardKV' ? dims.L : dims.S);
    const key = `attention|${kernel}|${used.map((o) => `${o}${slots[o]}`).join(',')}|${writable.map(Number).join('')}|${bs}`;
    const source = this.source(key, () => attentionSource(kernel, slots, writable, bs));
    this.dispatch(source, buffers.map((buffer, s) => ({ buffer, writable: writable[s]! })), meta, 0, groups);
    for (const t of temps) this.free(t);
  }

  // ---- helpers -------------------------------------------------------------------------------

  private check(): void {
    if (this.lost) {
      throw new Error(
        `webgpu backend: the GPU device was lost (${this.lost.reason}: ${this.lost.message}); tensors on it are gone. ` +
          "Call `await setBackend('webgpu')` to create a fresh device.",
      );
    }
    if (this.destroyed) throw new Error('webgpu backend: used after destroy()');
    if (this.pendingError) {
      const e = this.pendingError;
      this.pendingError = null;
      throw e;
    }
  }

  /** An element-wise kernel whose operands are views of pooled buffers. */
  private map(out: View, ins: View[], _key: string, body: string, scalars: number[] = []): void {
    this.elementwise(ins, out, out.shape, body, scalars);
  }

  private runCopy(src: View, dst: Operand & { shape: readonly number[] }): void {
    this.elementwise([src], dst, dst.shape, `let x = ld_in0(o0); st_out(oo, ${castExpr(src.dtype, dst.dtype)});`);
  }

  private gpuBuffer(b: GPUBuffer | BufferId): GPUBuffer {
    return typeof b === 'number' ? this.pool.get(b) : b;
  }

  /**
   * Records one element-wise dispatch over `shape`: output `out`, inputs `ins` (views of pooled
   * buffers, or raw buffers via `rawIns`). Dimensions are merged first (coalesce), so a
   * contiguous operation of any rank runs with rank 1.
   */
  private elementwise(
    ins: readonly Operand[],
    out: Operand,
    shape: readonly number[],
    body: string,
    scalars: number[] = [],
    opts: { extra?: string; outAtomic?: boolean } = {},
  ): void {
    if (numel(shape) === 0) return;
    const inputs = ins;
    const l = coalesce(shape, [out.strides, ...inputs.map((v) => v.strides)]);
    const meta = elementwiseMeta(l.shape, [out, ...inputs].map((v, k) => ({ offset: v.offset, strides: l.strides[k]! })), scalars);
    const key = `ew|${out.dtype}|${inputs.map((v) => v.dtype).join(',')}|${opts.outAtomic ?? false}|${opts.extra ?? ''}|${body}`;
    const source = this.source(key, () => elementwiseSource({ dtype: out.dtype }, inputs.map((v) => ({ dtype: v.dtype })), body, opts));
    const bindings: Binding[] = [{ buffer: this.gpuBuffer(out.buffer), writable: true }, ...inputs.map((v) => ({ buffer: this.gpuBuffer(v.buffer) }))];
    if (opts.extra) bindings.push({ buffer: this.errBuf, writable: true });
    this.dispatch(source, bindings, meta, numel(l.shape));
  }

  private indexLayout(op: string, data: View, dim: number, index: View): { shape: number[]; data: View; dimStride: number; dimLen: number } | null {
    const r = index.shape.length;
    if (dim < 0 || dim >= Math.max(r, 1) || data.shape.length !== r) {
      throw new Error(`webgpu backend: ${op} dim ${dim} or ranks do not agree (data rank ${data.shape.length}, index rank ${r})`);
    }
    if (numel(index.shape) === 0) return null;
    if (r === 0) return { shape: [], data, dimStride: 0, dimLen: 1 };
    const strides = data.strides.map((s, d) => (d === dim ? 0 : s));
    return { shape: [...index.shape], data: { ...data, strides }, dimStride: data.strides[dim]!, dimLen: data.shape[dim]! };
  }

  private indexCheck(op: string, dim: number, size: number): number {
    this.indexChecks.push({ op, dim, size });
    return this.indexChecks.length;
  }

  private ensureEncoder(): GPUCommandEncoder {
    this.encoder ??= this.device.createCommandEncoder();
    return this.encoder;
  }

  private endPass(): void {
    this.pass?.end();
    this.pass = null;
  }

  /**
   * The WGSL of kernel `key`, generated once: keys are short, while sources carry the MATH
   * helpers (several KB), which would otherwise be rebuilt and hashed on every dispatch.
   */
  private source(key: string, make: () => string): string {
    let s = this.sources.get(key);
    if (s === undefined) {
      s = make();
      this.sources.set(key, s);
    }
    return s;
  }

  /**
   * The pipeline of `source` with an explicit layout: binding 0 (the meta window of the arena)
   * with a dynamic offset, so one bind group serves every dispatch over the same buffers; then
   * one storage binding per entry of `writable` (read-only where false, as the WGSL declares).
   */
  private pipeline(source: string, writable: readonly boolean[]): Pipeline {
    let bySource = this.pipelines.get(source);
    if (!bySource) this.pipelines.set(source, (bySource = new Map()));
    const kinds = writable.map(Number).join('');
    let p = bySource.get(kinds);
    if (!p) {
      const layout = this.device.createBindGroupLayout({
        entries: [
          { binding: 0, visibility: SHADER_STAGE_COMPUTE, buffer: { type: 'read-only-storage', hasDynamicOffset: true } },
          ...writable.map((w, i) => ({ binding: i + 1, visibility: SHADER_STAGE_COMPUTE, buffer: { type: w ? 'storage' as const : 'read-only-storage' as const } })),
        ],
      });
      const module = this.device.createShaderModule({ code: source });
      const pipeline = this.device.createComputePipeline({
        layout: this.device.createPipelineLayout({ bindGroupLayouts: [layout] }),
        compute: { module, entryPoint: 'main' },
      });
      p = { pipeline, layout, id: this.pipelineCount++ };
      bySource.set(kinds, p);
    }
    return p;
  }

  /**
   * The bind group of pipeline `p` over `buffers` with a meta window of `metaBytes`, made once:
   * a training step binds the same pooled buffers step after step (the pool hands them back in
   * the same order), so a warm step creates none. The cache is dropped whole when it grows past
   * BIND_GROUP_CACHE entries (buffers destroyed since then are never looked up again).
   */
  private bindGroup(p: Pipeline, metaBytes: number, buffers: readonly GPUBuffer[]): GPUBindGroup {
    let key = `${p.id}|${metaBytes}`;
    for (const b of buffers) {
      let id = this.bufferIds.get(b);
      if (id === undefined) this.bufferIds.set(b, (id = this.nextBufferId++));
      key += `|${id}`;
    }
    let g = this.bindGroups.get(key);
    if (!g) {
      if (this.bindGroups.size >= BIND_GROUP_CACHE) this.bindGroups.clear();
      g = this.device.createBindGroup({
        layout: p.layout,
        entries: [
          { binding: 0, resource: { buffer: this.arena, offset: 0, size: metaBytes } },
          ...buffers.map((buffer, i) => ({ binding: i + 1, resource: { buffer } })),
        ],
      });
      this.bindGroups.set(key, g);
    }
    return g;
  }

  /**
   * Records one dispatch of `threads / 64` workgroups (a reduction passes its own count), or of
   * `workgroups` when given, as a 2-D grid when over the per-dimension limit. Binding 0 is
   * `meta`, a window of the arena; the others follow in order. A read-only binding of a buffer
   * that is also written in this dispatch reads a copy instead (WebGPU forbids the aliasing; core
   * calls unary/binary in place).
   */
  private dispatch(source: string, bindings: Binding[], meta: Int32Array | Uint32Array, threads: number, workgroups?: number): void {
    const groups = workgroups ?? Math.ceil(threads / WG);
    if (groups === 0) return;
    const metaBytes = roundUp(meta.byteLength, 256);
    if (roundUp(this.arenaUsed, 256) + metaBytes > ARENA_BYTES || this.dispatches >= MAX_BATCH) this.flush();
    const enc = this.ensureEncoder();
    const writable = new Set(bindings.filter((b) => b.writable).map((b) => b.buffer));
    const copies: BufferId[] = [];
    const resolved = bindings.map((b) => {
      if (b.writable || !writable.has(b.buffer)) return b.buffer;
      // Scratch from the pool, returned right after this dispatch is recorded (later users are ordered after it).
      const id = this.alloc(b.buffer.size);
      copies.push(id);
      const copy = this.pool.get(id);
      this.endPass();
      enc.copyBufferToBuffer(b.buffer, 0, copy, 0, b.buffer.size);
      return copy;
    });
    const metaOffset = roundUp(this.arenaUsed, 256);
    this.arenaHost.set(new Uint32Array(meta.buffer, meta.byteOffset, meta.length), metaOffset / 4);
    this.arenaUsed = metaOffset + metaBytes;
    const p = this.pipeline(source, bindings.map((b) => b.writable ?? false));
    const bindGroup = this.bindGroup(p, metaBytes, resolved);
    this.pass ??= enc.beginComputePass();
    this.pass.setPipeline(p.pipeline);
    this.pass.setBindGroup(0, bindGroup, [metaOffset]);
    const x = Math.min(groups, 65535);
    this.pass.dispatchWorkgroups(x, Math.ceil(groups / x));
    this.dispatches++;
    this.counts.dispatches++;
    for (const id of copies) this.free(id);
  }

  /**
   * Submits the recorded work (the arena first: writeBuffer runs before the submit), through
   * tfjs when it recorded into the encoder (it recycles its buffers then).
   */
  private flush(): void {
    if (!this.encoder) return;
    this.endPass();
    this.uploadArena();
    this.tfjs.submit(this.encoder, this.device.queue);
    this.encoder = null;
    this.submitted();
  }

  /** Writes the arena's bytes recorded since the last upload (parameters and small writes of the pending encoder). */
  private uploadArena(): void {
    if (this.arenaUsed > this.arenaUploaded) {
      this.device.queue.writeBuffer(this.arena, this.arenaUploaded, this.arenaHost, this.arenaUploaded / 4, (this.arenaUsed - this.arenaUploaded) / 4);
      this.arenaUploaded = this.arenaUsed;
    }
  }

  /** After the pending encoder was submitted: the arena and the batch start over, staging goes. */
  private submitted(): void {
    this.pass = null;
    this.dispatches = 0;
    this.arenaUsed = 0;
    this.arenaUploaded = 0;
    for (const b of this.transient) b.destroy();
    this.transient = [];
  }

  /** A MAP_READ staging buffer of at least `bytes`, reused from an earlier read when one is free. */
  private takeReadback(bytes: number): GPUBuffer {
    const cls = BufferPool.sizeClass(bytes);
    const b = this.readbacks.get(cls)?.pop();
    if (b) {
      this.readbackBytes -= cls;
      return b;
    }
    return this.device.createBuffer({ size: cls, usage: MAP_READ | COPY_DST });
  }

  /** Keeps an unmapped staging buffer for the next read of its size class (up to READBACK_POOL_BYTES). */
  private giveReadback(b: GPUBuffer): void {
    if (this.destroyed || this.readbackBytes + b.size > READBACK_POOL_BYTES) {
      b.destroy();
      return;
    }
    let list = this.readbacks.get(b.size);
    if (!list) this.readbacks.set(b.size, (list = []));
    list.push(b);
    this.readbackBytes += b.size;
  }

  /** A mapped-at-creation copy of `bytes`, destroyed after the next submit. */
  private stage(bytes: Uint8Array): GPUBuffer {
    const b = this.device.createBuffer({ size: bytes.byteLength, usage: COPY_SRC, mappedAtCreation: true });
    new Uint8Array(b.getMappedRange()).set(bytes);
    b.unmap();
    this.transient.push(b);
    return b;
  }
}

/** The error-report binding of gather/scatterAdd: [slot, bad index, count]; the first report wins. */
const ERR_DECL = (binding: number): string => `@group(0) @binding(${binding}) var<storage, read_write> err: array<atomic<i32>>;
fn report_(i: i32) {
  if (atomicAdd(&err[2], 1) == 0) { atomicStore(&err[0], prm[3]); atomicStore(&err[1], i); }
}`;

function roundUp(n: number, m: number): number {
  return Math.ceil(n / m) * m;
}
function roundUp4(n: number): number {
  return Math.max(4, roundUp(n, 4));
}
function padTo4(bytes: Uint8Array): Uint8Array {
  const p = new Uint8Array(roundUp4(bytes.byteLength));
  p.set(bytes);
  return p;
}

/**
 * Requests a device (see {@link acquireDevice}), shares it with tfjs and returns a ready backend.
 *
 * @example
 * ```ts
 * // not run: needs a WebGPU adapter
 * import * as torch from 'torchlet';
 * import { createWebGpuBackend } from '@torchlet/backend-webgpu';
 * const gpu = await createWebGpuBackend({ adapterOptions: { powerPreference: 'high-performance' } });
 * const x = torch.ones([4], { backend: gpu });
 * ```
 */
export async function createWebGpuBackend(options: WebGpuBackendOptions = {}): Promise<WebGpuBackend> {
  const { device, adapterInfo, wgslFeatures } = await acquireDevice(options);
  const tfjs = await TfjsBridge.create(device, adapterInfo);
  return new WebGpuBackend(device, tfjs, wgslFeatures);
}
