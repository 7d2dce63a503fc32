import type { DType, TypedArray, View } from '@torchlet/core';
import { allocTyped, dtypeSize, encodeHalf } from '@torchlet/core';
import { createWasmBackend, type WasmBackend } from '../src/index.ts';

let shared: Promise<WasmBackend> | undefined;
/** One backend per test file (the plain SIMD build, which every engine runs). */
export function backend(): Promise<WasmBackend> {
  shared ??= createWasmBackend({ variant: 'simd' });
  return shared;
}

/** Deterministic pseudo-random numbers (mulberry32). */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function numel(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

export function contiguous(shape: readonly number[]): number[] {
  const s: number[] = [];
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i]!;
  }
  return s;
}

/** The ways an input view is laid out over its buffer. */
export const LAYOUTS = ['contiguous', 'offset', 'strided', 'transposed', 'broadcast', 'negative'] as const;
export type LayoutKind = (typeof LAYOUTS)[number];

/** Strides, offset and buffer length (elements) for a view of `shape` laid out as `kind`. */
export function layoutOf(shape: readonly number[], kind: LayoutKind): { strides: number[]; offset: number; length: number } {
  const r = shape.length;
  const n = numel(shape);
  switch (kind) {
    case 'contiguous':
      return { strides: contiguous(shape), offset: 0, length: n };
    case 'offset':
      return { strides: contiguous(shape), offset: 5, length: n + 5 };
    case 'strided':
      return { strides: contiguous(shape).map((s) => s * 2), offset: 1, length: 2 * n + 1 };
    case 'transposed': {
      const rev = contiguous([...shape].reverse()).reverse();
      return { strides: rev, offset: 0, length: n };
    }
    case 'broadcast': {
      if (r === 0) return { strides: [], offset: 0, length: 1 };
      const inner = contiguous(shape.slice(1));
      return { strides: [0, ...inner], offset: 0, length: Math.max(1, numel(shape.slice(1))) };
    }
    case 'negative': {
      const c = contiguous(shape);
      const offset = shape.reduce((acc, d, i) => acc + Math.max(0, d - 1) * c[i]!, 0);
      return { strides: c.map((s) => -s), offset, length: n };
    }
  }
}

/** Random host values for a dtype. */
export function randomValues(dtype: DType, n: number, rand: () => number, lo = -3, hi = 3): TypedArray {
  if (dtype === 'float16' || dtype === 'bfloat16') {
    // bit patterns of random values, with the specials a 2-byte float has
    const f = Float32Array.from({ length: n }, (_, i) => [NaN, Infinity, -Infinity, -0, 6e-8, 70000][i % 23] ?? (lo + (hi - lo) * rand()));
    return encodeHalf(dtype, f);
  }
  const a = allocTyped(dtype, n);
  for (let i = 0; i < n; i++) {
    if (dtype === 'float32') a[i] = lo + (hi - lo) * rand();
    else if (dtype === 'int32') a[i] = Math.floor(lo + (hi - lo + 1) * rand());
    else a[i] = rand() < 0.5 ? 1 : 0;
  }
  return a;
}

export interface HostView {
  view: View;
  /** The buffer's full contents on the host. */
  data: TypedArray;
  /** The view's elements in row-major order. */
  values: number[];
}

/** The view's elements in row-major order, read from host `data`. */
export function gatherValues(data: TypedArray, shape: readonly number[], strides: readonly number[], offset: number): number[] {
  const n = numel(shape);
  const out: number[] = new Array(n);
  const idx = new Array(shape.length).fill(0);
  for (let i = 0; i < n; i++) {
    let at = offset;
    for (let d = 0; d < shape.length; d++) at += idx[d] * strides[d]!;
    out[i] = data[at]!;
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++idx[d] < shape[d]!) break;
      idx[d] = 0;
    }
  }
  return out;
}

/** Allocates a buffer, fills it with `data` (or random values) and returns a view laid out as `kind`. */
export function upload(
  be: WasmBackend,
  dtype: DType,
  shape: readonly number[],
  kind: LayoutKind,
  rand: () => number,
  fillData?: (n: number) => TypedArray,
): HostView {
  const { strides, offset, length } = layoutOf(shape, kind);
  const data = fillData ? fillData(length) : randomValues(dtype, length, rand);
  const buffer = be.alloc(length * dtypeSize(dtype));
  be.write(buffer, data);
  return { view: { buffer, dtype, shape: [...shape], strides, offset }, data, values: gatherValues(data, shape, strides, offset) };
}

/** A contiguous output view (at a non-zero offset, to exercise offsets). */
export function output(be: WasmBackend, dtype: DType, shape: readonly number[]): View {
  const buffer = be.alloc((numel(shape) + 3) * dtypeSize(dtype));
  return { buffer, dtype, shape: [...shape], strides: contiguous(shape), offset: 3 };
}

export function readAll(be: WasmBackend, v: View): number[] {
  return Array.from(be.readSync(v));
}

/** Compares with NaN == NaN and a relative + absolute tolerance. */
export function expectClose(actual: readonly number[], expected: readonly number[], rtol = 0, atol = 0, what = ''): void {
  if (actual.length !== expected.length) throw new Error(`${what}: length ${actual.length} != ${expected.length}`);
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i]!, e = expected[i]!;
    if (Number.isNaN(e) ? Number.isNaN(a) : a === e || Math.abs(a - e) <= atol + rtol * Math.abs(e)) continue;
    throw new Error(`${what}: element ${i}: got ${a}, expected ${e} (rtol ${rtol}, atol ${atol})`);
  }
}

/** Shapes of ranks 0-5, with size-1 dims and an empty one. */
export const SHAPES: readonly (readonly number[])[] = [[], [7], [3, 5], [2, 3, 4], [2, 1, 3, 5], [2, 2, 1, 3, 2], [3, 0, 2]];
