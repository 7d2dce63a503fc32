import type { Backend, BufferId } from './backend.ts';

/**
 * One backend allocation, shared by every tensor that views it (a tensor and its reshapes,
 * slices and transposes). Reference-counted: the buffer is freed when the last tensor viewing
 * it is disposed or collected.
 */
export class Storage {
  /** Tensors (live views) holding this storage. */
  private refs = 1;
  /** Set when the backend instance was removed while this storage was live (see {@link orphanStorages}). */
  orphaned = false;
  /**
   * Bumped by every in-place write, so autograd can tell that a tensor it saved for backward
   * was modified afterwards (PyTorch's version counter, shared by all views of a buffer).
   */
  version = 0;

  constructor(
    readonly backend: Backend,
    readonly buffer: BufferId,
    readonly bytes: number,
  ) {
    stats.buffers++;
    stats.bytes += bytes;
    liveStorages(backend).set(buffer, this);
    const b = perBackend(backend.name);
    b.buffers++;
    b.bytes += bytes;
  }

  /** Allocates a new storage of `bytes` bytes on `backend`. */
  static alloc(backend: Backend, bytes: number): Storage {
    return new Storage(backend, backend.alloc(bytes), bytes);
  }

  get released(): boolean {
    return this.refs <= 0;
  }

  retain(): void {
    this.refs++;
  }

  /** @internal See {@link orphanStorages}: no reference is left to release. */
  orphan(): void {
    this.orphaned = true;
    this.refs = 0;
  }

  /** Drops one reference; frees the buffer when it was the last. */
  release(): void {
    if (this.refs <= 0) return;
    if (--this.refs === 0) {
      stats.buffers--;
      stats.bytes -= this.bytes;
      const b = perBackend(this.backend.name);
      b.buffers--;
      b.bytes -= this.bytes;
      const live = byBackend.get(this.backend);
      if (live?.get(this.buffer) === this) live.delete(this.buffer);
      this.backend.free(this.buffer);
    }
  }
}

/**
 * The live storage of each buffer id, per backend instance: how `torch.compile` tells, before it
 * replays a plan, that a tensor the plan reads (a parameter, an optimizer's state) still holds the
 * buffer it held when the plan was traced (a freed id may be handed out again by the backend).
 */
const byBackend = new WeakMap<Backend, Map<BufferId, Storage>>();

function liveStorages(backend: Backend): Map<BufferId, Storage> {
  let m = byBackend.get(backend);
  if (!m) byBackend.set(backend, (m = new Map()));
  return m;
}

/**
 * @internal Called by `removeBackendInstance` before the instance is destroyed: every storage
 * still live on it leaves the counters (its buffer went with the backend, so `memory()` stops
 * counting it) and is marked orphaned, so that a tensor still viewing it throws a clear error
 * when used and its later dispose or collection frees nothing on the destroyed backend.
 */
export function orphanStorages(backend: Backend): void {
  const live = byBackend.get(backend);
  if (!live) return;
  const b = perBackend(backend.name);
  for (const storage of live.values()) {
    stats.buffers--;
    stats.bytes -= storage.bytes;
    b.buffers--;
    b.bytes -= storage.bytes;
    storage.orphan();
  }
  byBackend.delete(backend);
}

/** @internal The live storage holding `buffer` on `backend`, or undefined (freed, or not core's). */
export function storageOf(backend: Backend, buffer: BufferId): Storage | undefined {
  return byBackend.get(backend)?.get(buffer);
}

interface Counters {
  buffers: number;
  bytes: number;
}

/** Live allocation counters, updated by Storage. */
export const stats: Counters & { tensors: number } = { tensors: 0, buffers: 0, bytes: 0 };
const backends = new Map<string, Counters>();

function perBackend(name: string): Counters {
  let c = backends.get(name);
  if (!c) backends.set(name, (c = { buffers: 0, bytes: 0 }));
  return c;
}

/** Per-backend counters (read-only snapshot). */
export function backendCounters(): Map<string, Counters> {
  return backends;
}
