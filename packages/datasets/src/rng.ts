/**
 * A small seeded generator for shuffling, splitting and augmentation, on the host. It draws from
 * core's Philox 4x32-10 (the same generator as the tensor RNG) keyed by the seed, with its own
 * counter, so it never disturbs `manualSeed`'s stream and gives the same numbers on every runtime.
 */
import { philox4x32 } from '@torchlet/core';

/**
 * A seeded host-side generator (Philox 4x32-10 keyed by `seed`, one independent sequence per `stream`)
 * for shuffles, splits and augmentation. Plain numbers, no tensors: nothing to dispose. It has its own
 * counter and never advances `manualSeed`'s stream.
 *
 * @example
 * ```ts
 * import { Rng } from '@torchlet/datasets';
 * const rng = new Rng(42);
 * console.log(rng.next(), rng.int(10), Array.from(rng.permutation(5)));   // the same on every runtime
 * ```
 */
export class Rng {
  private readonly key: [number, number];
  private counter = 0;
  private buf: number[] = [];

  /** `seed`: a non-negative safe integer; `stream` picks an independent sequence (e.g. the epoch). */
  constructor(seed: number, stream = 0) {
    if (!Number.isSafeInteger(seed) || seed < 0) throw new RangeError(`seed must be a non-negative safe integer, got ${seed}`);
    if (!Number.isSafeInteger(stream) || stream < 0) throw new RangeError(`stream must be a non-negative safe integer, got ${stream}`);
    this.key = [seed % 4294967296, Math.floor(seed / 4294967296)];
    this.stream = stream;
  }

  private readonly stream: number;

  /** A uniform uint32. */
  nextUint32(): number {
    if (this.buf.length === 0) {
      const c = this.counter++;
      const w = philox4x32([c % 4294967296, Math.floor(c / 4294967296), this.stream % 4294967296, Math.floor(this.stream / 4294967296)], this.key);
      this.buf = [w[3], w[2], w[1], w[0]];
    }
    return this.buf.pop()!;
  }

  /** A uniform float in [0, 1) with 32 random bits. */
  next(): number {
    return this.nextUint32() / 4294967296;
  }

  /** A uniform integer in [0, n), without modulo bias (rejection sampling). */
  int(n: number): number {
    if (!Number.isInteger(n) || n <= 0 || n > 4294967296) throw new RangeError(`Rng.int: n must be an integer in [1, 2^32], got ${n}`);
    const limit = 4294967296 - (4294967296 % n);
    for (;;) {
      const u = this.nextUint32();
      if (u < limit) return u % n;
    }
  }

  /** A random permutation of 0..n-1 (Fisher-Yates). */
  permutation(n: number): Int32Array {
    const p = new Int32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    for (let i = n - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = p[i]!;
      p[i] = p[j]!;
      p[j] = t;
    }
    return p;
  }
}

/** A seed from Math.random, for loaders and transforms created without one. */
export function randomSeed(): number {
  return Math.floor(Math.random() * 2 ** 32);
}
