/// <reference types="@webgpu/types" />
import type { BufferId } from '@torchlet/core';

/** The buffer pool's figures. */
export interface PoolStats {
  /** GPU buffers handed out and not yet released. */
  live: number;
  /** Released buffers kept for reuse. */
  pooled: number;
  /** Bytes of all GPU buffers the pool holds (live and pooled). */
  reservedBytes: number;
}

/**
 * GPU buffers by size class. `free` keeps a buffer for reuse by a later `alloc` of the same
 * class instead of destroying it, so a training loop that allocates the same shapes every step
 * creates no new GPU buffers after its first step. Classes are powers of two split into quarters
 * (at most 25% slack), with a 256-byte minimum. Reuse needs no fence: every use of a buffer,
 * before and after its reuse, is ordered on the one GPUQueue.
 *
 * Pooled bytes are capped (`maxPooledBytes`); beyond it freed buffers are destroyed.
 *
 * @example
 * ```ts
 * // not run: needs a WebGPU device; the backend keeps one pool (see memory())
 * import * as torch from 'torchlet';
 * import '@torchlet/backend-webgpu';
 * await torch.setBackend('webgpu');
 * console.log(torch.memory());   // the pool's reserved and live bytes appear in the backend's entry
 * ```
 */
export class BufferPool {
  private readonly live = new Map<BufferId, { buffer: GPUBuffer; bytes: number; cls: number }>();
  private readonly free_ = new Map<number, GPUBuffer[]>();
  /** Buffers the device failed to allocate (out of memory, reported late): using one throws its error. */
  private readonly failed = new Map<BufferId, Error>();
  private next = 1;
  private pooledBytes = 0;
  private liveBytes = 0;

  /**
   * @param maxBufferBytes the largest buffer the device takes (its maxBufferSize and
   *   maxStorageBufferBindingSize, whichever is smaller): no size class goes past it
   */
  constructor(
    private readonly device: GPUDevice,
    private readonly usage: number,
    private readonly maxPooledBytes = 512 * 2 ** 20,
    private readonly maxBufferBytes = Infinity,
  ) {}

  /**
   * The size class of a request: the allocation's real size in bytes, at most `max` (a device's
   * limit need not be a power of two: 2,000,000,000 bytes round up to 2^31, past a
   * 2,147,483,644-byte limit, and the device refused the buffer with a validation error).
   */
  static sizeClass(bytes: number, max = Infinity): number {
    if (bytes <= 256) return Math.max(bytes, Math.min(256, max));
    const top = 2 ** Math.floor(Math.log2(bytes));
    const q = top / 4;
    return Math.max(bytes, Math.min(Math.ceil(bytes / q) * q, Math.floor(max / 4) * 4));
  }

  /**
   * Allocates; `onOom` receives the out-of-memory error the device reports asynchronously, with
   * the id it concerns, and returns the error that using that buffer from then on throws.
   */
  alloc(bytes: number, onOom: (err: GPUError, id: BufferId, sizeClass: number) => Error): BufferId {
    const cls = BufferPool.sizeClass(bytes, this.maxBufferBytes);
    const id = this.next++;
    let buffer = this.free_.get(cls)?.pop();
    if (buffer) {
      this.pooledBytes -= cls;
    } else {
      this.device.pushErrorScope('out-of-memory');
      buffer = this.device.createBuffer({ size: cls, usage: this.usage });
      void this.device.popErrorScope().then((err) => {
        if (err && this.live.has(id)) this.failed.set(id, onOom(err, id, cls));
      }, () => {});
    }
    this.live.set(id, { buffer, bytes, cls });
    this.liveBytes += cls;
    return id;
  }

  /**
   * Returns a live buffer to the pool of its size class, or destroys it when the pool is at
   * `maxPooledBytes`. Throws on an unknown id (a double free).
   */
  free(id: BufferId): void {
    const e = this.live.get(id);
    if (!e) throw new Error(`webgpu backend: free of unknown buffer ${id}`);
    this.live.delete(id);
    this.liveBytes -= e.cls;
    // A buffer the device could not allocate is invalid: never pooled (nor destroyed, in case
    // the report was wrong and work recorded earlier still uses it; the collector takes it).
    if (this.failed.delete(id)) return;
    if (this.pooledBytes + e.cls > this.maxPooledBytes) {
      e.buffer.destroy();
      return;
    }
    let list = this.free_.get(e.cls);
    if (!list) this.free_.set(e.cls, (list = []));
    list.push(e.buffer);
    this.pooledBytes += e.cls;
  }

  /**
   * The GPU buffer behind a live id (its size is the class, at least the requested bytes). Throws on an
   * unknown or freed id.
   */
  get(id: BufferId): GPUBuffer {
    const e = this.live.get(id);
    if (!e) throw new Error(`webgpu backend: unknown buffer ${id}`);
    const failed = this.failed.get(id);
    if (failed) throw failed;
    return e.buffer;
  }

  /** The size the buffer was allocated with (not its class). */
  size(id: BufferId): number {
    const e = this.live.get(id);
    if (!e) throw new Error(`webgpu backend: unknown buffer ${id}`);
    return e.bytes;
  }

  /** Bytes held on the device: live buffers plus pooled free ones, each counted at its size class. */
  reservedBytes(): number {
    return this.liveBytes + this.pooledBytes;
  }

  /**
   * Counts for tests and diagnostics: `live` buffers handed out and not freed, `pooled` free buffers
   * kept for reuse, and `reservedBytes` as above.
   */
  stats(): PoolStats {
    let pooled = 0;
    for (const l of this.free_.values()) pooled += l.length;
    return { live: this.live.size, pooled, reservedBytes: this.reservedBytes() };
  }

  /** Destroys every buffer, live and pooled, and forgets all ids. The pool must not be used afterwards. */
  destroy(): void {
    for (const e of this.live.values()) e.buffer.destroy();
    for (const l of this.free_.values()) for (const b of l) b.destroy();
    this.live.clear();
    this.free_.clear();
    this.failed.clear();
  }
}
