/** Internal helpers every op uses: allocation, views over shared storage, casts, scalars. */
import type { Backend, View } from '../backend.ts';
import { allocTyped, dtypeSize, isHalf, type DType, type TypedArray } from '../dtype.ts';
import { decodeHalf, encodeHalf } from '../half.ts';
import { getBackend } from '../registry.ts';
import { contiguousStrides, isContiguous, numel, shapeStr, type Shape } from '../shape.ts';
import { Storage } from '../storage.ts';
import { Tensor } from '../tensor.ts';
import { record } from '../grad-hook.ts';
import { keep } from '../memory.ts';

/** A new contiguous tensor with unspecified contents. */
export function empty(shape: Shape, dtype: DType, backend: Backend = getBackend()): Tensor {
  let storage: Storage;
  try {
    storage = Storage.alloc(backend, numel(shape) * dtypeSize(dtype));
  } catch (e) {
    // The backend knows bytes; the user knows the tensor: name both.
    if (!(e instanceof RangeError)) throw e;
    throw new RangeError(`cannot allocate a ${dtype} tensor of shape ${shapeStr(shape)}: ${e.message}`, { cause: e });
  }
  return new Tensor(storage, shape, contiguousStrides(shape), 0, dtype);
}

/**
 * Records that `ts` were written in place by code outside core's ops (a backend's fused kernel
 * called directly, as optimizers do), so autograd's version check sees the change.
 *
 * @example
 * ```ts
 * // For code that writes a tensor's storage directly (a backend, a custom op): bumps its version so
 * // autograd refuses a backward that saved the old values.
 * const x = torch.zeros([2]);
 * torch.markModifiedInPlace(x);
 * ```
 */
export function markModifiedInPlace(...ts: ReadonlyArray<Tensor | null | undefined>): void {
  for (const t of ts) if (t) t.storage.version++;
}

/**
 * @internal A new reference to `t`'s elements that no tidy() scope owns and that carries no
 * autograd history: how autograd keeps the tensors it saved for backward alive.
 */
export function untrackedView(t: Tensor): Tensor {
  return keep(viewOf(t, t.shape, t.strides, t.offset));
}

/** A new reference to the same elements that autograd sees as the identity of `t`. */
export function alias(t: Tensor): Tensor {
  return record('reshape', { shape: t.shape }, [t], viewOf(t, t.shape, t.strides, t.offset));
}

/**
 * Runs `kernel` to fill the fresh tensor `out` and returns `out`; if the kernel throws (a bad
 * index, an unsupported dtype), `out` is disposed first so a failed op leaks nothing.
 */
export function fillWith(out: Tensor, kernel: (outView: View) => void): Tensor {
  try {
    kernel(out.view_());
  } catch (e) {
    out.dispose();
    throw e;
  }
  return out;
}

/** A new tensor viewing `base`'s buffer with another layout (no copy). */
export function viewOf(base: Tensor, shape: Shape, strides: readonly number[], offset: number): Tensor {
  base.view_(); // throws if disposed
  base.storage.retain();
  return new Tensor(base.storage, shape, strides, offset, base.dtype);
}

/**
 * Checks that all tensors live on one backend instance and returns it. Two instances of one
 * backend (two wasm modules, as with `createBackend('wasm', ...)` beside the default) have
 * separate memories, so a view of one read by the other would read unrelated bytes: an error.
 */
export function sameBackend(op: string, ...ts: Tensor[]): Backend {
  const b = ts[0]!.backend;
  for (const t of ts) {
    t.view_();
    if (t.backend !== b) {
      const which = t.backend.name === b.name ? `two different '${b.name}' backend instances` : `'${b.name}' and '${t.backend.name}'`;
      throw new Error(
        `${op}: expected all tensors on one backend, got ${which}. Move one tensor to the other's backend first (for example \`fromArray(await t.data(), t.shape, { backend })\`).`,
      );
    }
  }
  return b;
}

/** A 0-d tensor holding `value` on `backend`. */
export function scalarTensor(value: number | boolean, dtype: DType, backend: Backend): Tensor {
  let host = allocTyped(dtype, 1);
  const v = typeof value === 'boolean' ? (value ? 1 : 0) : value;
  if (isHalf(dtype)) host = encodeHalf(dtype, new Float32Array([v]));
  else host[0] = v;
  return fillWith(empty([], dtype, backend), (v) => backend.write(v.buffer, host));
}

/** Checks a fill value against a dtype: ints and bools take finite values only. */
export function checkFillValue(value: unknown, dtype: DType, op: string): number {
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value !== 'number') {
    throw new TypeError(`${op}: expected a number or boolean fill value, got ${typeof value} (${String(value)})`);
  }
  if ((dtype === 'int32' || dtype === 'bool') && !Number.isFinite(value)) {
    throw new RangeError(`${op}: cannot fill a ${dtype} tensor with the non-finite value ${value}`);
  }
  if (dtype === 'int32' && (!Number.isInteger(value) || value < -2147483648 || value > 2147483647)) {
    throw new RangeError(`${op}: ${value} is not an int32 value`);
  }
  return value;
}

/** A contiguous copy of `t` converted to `dtype`. */
export function copyAs(t: Tensor, dtype: DType): Tensor {
  return record('cast', { dtype }, [t], fillWith(empty(t.shape, dtype, t.backend), (o) => t.backend.copy(t.view_(), o)));
}

/**
 * `t` converted to `dtype`. When it already has the dtype: a new reference to the same buffer
 * if `newRef`, else `t` itself (callers then must not dispose it).
 */
export function castTo(t: Tensor, dtype: DType, newRef: boolean): Tensor {
  if (t.dtype === dtype) return newRef ? alias(t) : t;
  return copyAs(t, dtype);
}

/**
 * `t` itself if contiguous with offset 0... else a contiguous copy; always a new reference.
 *
 * @example
 * ```ts
 * const x = torch.zeros([3, 4]).t();
 * console.log(x.isContiguous(), torch.contiguous(x).isContiguous());   // false true
 * ```
 */
export function contiguous(t: Tensor): Tensor {
  if (isContiguous(t.shape, t.strides)) {
    return record('reshape', { shape: t.shape }, [t], viewOf(t, t.shape, contiguousStrides(t.shape), t.offset));
  }
  return copyAs(t, t.dtype);
}

/** Disposes the temporaries in `ts` that are not among `keep`. */
export function disposeTemps(ts: ReadonlyArray<Tensor | null | undefined>, keep: readonly Tensor[]): void {
  for (const t of ts) if (t && !keep.includes(t)) t.dispose();
}

/** The elements as numbers: float16/bfloat16 are decoded to a Float32Array (exactly). */
export async function readView(t: Tensor): Promise<TypedArray> {
  return decodeStored(t.dtype, await t.backend.read(t.view_()));
}

/**
 * The elements as the storage holds them, in a new contiguous host array: a Uint16Array of bit
 * patterns for float16/bfloat16 (what a file format writes), else the same as `t.data()`.
 *
 * @example
 * const bits = await torch.readStorage(torch.tensor([1, -2], { dtype: 'float16' }));  // Uint16Array [0x3c00, 0xc000]
 */
export async function readStorage(t: Tensor): Promise<TypedArray> {
  return t.backend.read(t.view_());
}

function decodeStored(dtype: DType, host: TypedArray): TypedArray {
  return isHalf(dtype) ? decodeHalf(dtype, host as Uint16Array) : host;
}

export function readViewSync(t: Tensor): TypedArray {
  const b = t.backend;
  if (!b.readSync) {
    throw new Error(
      `dataSync(): the '${b.name}' backend cannot read synchronously; use \`await tensor.data()\` instead.`,
    );
  }
  return decodeStored(t.dtype, b.readSync(t.view_()));
}

/** Checks a dtype for an op, with a message naming the op and what it accepts. */
export function expectDType(op: string, t: Tensor, allowed: readonly DType[], what = 'input'): void {
  if (!allowed.includes(t.dtype)) {
    throw new TypeError(`${op}: expected ${what} of dtype ${allowed.join(' or ')}, got ${t.dtype} (shape ${shapeStr(t.shape)})`);
  }
}

/**
 * Checks an index argument: integer (int32, which is also what `'int64'` creates). A float index
 * throws, as in PyTorch (no silent truncation), and says how to make an integer one.
 */
export function expectIndexTensor(op: string, t: Tensor, what = 'index'): void {
  if (t.dtype !== 'int32') {
    throw new TypeError(
      `${op}: expected ${what} of an integer dtype (int32, or 'int64'/torch.long, stored as int32), got ${t.dtype} (shape ${shapeStr(t.shape)}); ` +
        `create index tensors with { dtype: 'int64' } or convert with .long(): float indices are refused, as in PyTorch`,
    );
  }
}

/** Checks that `x` is a tensor (not disposed), naming the argument. */
export function expectTensor(op: string, x: unknown, what = 'input'): Tensor {
  if (!(x instanceof Tensor)) throw new TypeError(`${op}: expected ${what} to be a Tensor, got ${describe(x)}`);
  x.view_();
  return x;
}

export function describe(x: unknown): string {
  if (x === null) return 'null';
  if (Array.isArray(x)) return 'an array';
  return typeof x;
}
