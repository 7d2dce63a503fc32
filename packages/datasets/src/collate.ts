/** The default collate function: a list of samples -> one batch, like PyTorch's default_collate. */
import { fromArray, isTensor, stack, type Tensor } from '@torchlet/core';

/**
 * What the default collate makes of a sample type: tensors and numbers become tensors; arrays
 * (tuples) and plain objects are collated element by element.
 */
export type Collated<T> = T extends Tensor
  ? Tensor
  : T extends number | boolean
    ? Tensor
    : T extends readonly unknown[]
      ? { -readonly [K in keyof T]: Collated<T[K]> }
      : T extends object
        ? { [K in keyof T]: Collated<T[K]> }
        : T;

/**
 * Stacks samples into a batch: tensors are stacked along a new first dim (and the sample tensors
 * disposed: the samples belong to the collate call, the batch to its caller); numbers become a
 * 1-D tensor, int32 when all are integers and float32 otherwise; booleans a bool tensor; arrays
 * and plain objects are collated position by position / key by key; strings stay a string[].
 *
 * @example
 * ```ts
 * import * as torch from 'torchlet';
 * import { defaultCollate } from '@torchlet/datasets';
 * const batch = defaultCollate([[torch.tensor([1, 2]), 0], [torch.tensor([3, 4]), 1]]);
 * console.log(batch[0].shape, await batch[1].tolist());   // [2, 2] [0, 1]
 * ```
 */
export function defaultCollate<T>(samples: readonly T[]): Collated<T> {
  if (samples.length === 0) throw new RangeError('defaultCollate: the batch is empty');
  const first = samples[0] as unknown;
  if (isTensor(first)) {
    const ts = samples as unknown as Tensor[];
    try {
      return stack(ts, 0) as Collated<T>;
    } finally {
      for (const t of ts) t.dispose();
    }
  }
  if (typeof first === 'number') {
    const nums = samples as unknown as number[];
    const ints = nums.every((v) => Number.isInteger(v) && v >= -2147483648 && v <= 2147483647);
    return fromArray(ints ? Int32Array.from(nums) : Float32Array.from(nums), [nums.length]) as Collated<T>;
  }
  if (typeof first === 'boolean') {
    return fromArray(Uint8Array.from(samples as unknown as boolean[], (b) => (b ? 1 : 0)), [samples.length], { dtype: 'bool' }) as Collated<T>;
  }
  if (typeof first === 'string') return [...samples] as unknown as Collated<T>;
  if (Array.isArray(first)) {
    const len = first.length;
    samples.forEach((s, i) => {
      if (!Array.isArray(s) || s.length !== len) throw new RangeError(`defaultCollate: sample ${i} has ${Array.isArray(s) ? s.length : 'no'} elements, sample 0 has ${len}`);
    });
    return first.map((_, k) => defaultCollate(samples.map((s) => (s as unknown[])[k]))) as Collated<T>;
  }
  if (first !== null && typeof first === 'object' && Object.getPrototypeOf(first) === Object.prototype) {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(first)) out[key] = defaultCollate(samples.map((s) => (s as Record<string, unknown>)[key]));
    return out as Collated<T>;
  }
  throw new TypeError(`defaultCollate: cannot batch samples of type ${first === null ? 'null' : typeof first}; pass a collate function`);
}
