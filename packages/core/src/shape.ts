/** Shape and stride arithmetic shared by every op. Strides count elements. */

export type Shape = readonly number[];

/**
 * The number of elements of a shape (1 for a 0-d tensor).
 *
 * @example
 * ```ts
 * console.log(torch.numel([2, 3, 4]), torch.numel([]));   // 24 1
 * ```
 */
export function numel(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/**
 * Row-major strides of a contiguous tensor of `shape`.
 *
 * @example
 * ```ts
 * console.log(torch.contiguousStrides([2, 3, 4]));   // [12, 4, 1]
 * ```
 */
export function contiguousStrides(shape: Shape): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i]!;
  }
  return strides;
}

/**
 * True when `strides` are the row-major strides of `shape` (size-1 dims may have any stride).
 *
 * @example
 * ```ts
 * const x = torch.zeros([2, 3]);
 * console.log(torch.isContiguous(x.shape, x.strides), torch.isContiguous([2, 3], [1, 2]));   // true false
 * ```
 */
export function isContiguous(shape: Shape, strides: readonly number[]): boolean {
  let expected = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    const d = shape[i]!;
    if (d === 0) return true;
    if (d !== 1 && strides[i] !== expected) return false;
    expected *= d;
  }
  return true;
}

export function shapeStr(shape: Shape): string {
  return `[${shape.join(', ')}]`;
}

export function sameShape(a: Shape, b: Shape): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Normalises a possibly negative dim for a tensor of rank `ndim`, with PyTorch's message.
 * A 0-d tensor accepts dims -1 and 0 (PyTorch's "wrap scalar" rule).
 */
export function normalizeDim(dim: number, ndim: number, what = 'Dimension'): number {
  const n = Math.max(ndim, 1);
  if (!Number.isInteger(dim) || dim < -n || dim >= n) {
    throw new RangeError(`${what} out of range (expected to be in range of [${-n}, ${n - 1}], but got ${dim})`);
  }
  return dim < 0 ? dim + n : dim;
}

/** Normalises a list of dims and checks that none repeats. */
export function normalizeDims(dims: readonly number[], ndim: number): number[] {
  const out = dims.map((d) => normalizeDim(d, ndim));
  const seen = new Set<number>();
  for (const d of out) {
    if (seen.has(d)) throw new RangeError(`dim ${d} appears multiple times in the list of dims ${shapeStr(dims)}`);
    seen.add(d);
  }
  return out;
}

/** Checks a user-supplied shape: non-negative integers. */
export function checkShape(shape: Shape, what = 'shape'): void {
  if (!Array.isArray(shape)) throw new TypeError(`${what} must be an array of non-negative integers, got ${String(shape)}`);
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) {
      throw new RangeError(`${what} must contain non-negative integers, got ${shapeStr(shape)}`);
    }
  }
}

/**
 * PyTorch's broadcasting of two shapes, with its error message.
 *
 * @example
 * ```ts
 * console.log(torch.broadcastShapes([8, 1, 3], [4, 1]));   // [8, 4, 3]
 * ```
 */
export function broadcastShapes(a: Shape, b: Shape): number[] {
  const n = Math.max(a.length, b.length);
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const da = a[a.length - n + i] ?? 1;
    const db = b[b.length - n + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new RangeError(
        `The size of tensor a (${da}) must match the size of tensor b (${db}) at non-singleton dimension ${i} ` +
          `(shapes ${shapeStr(a)} and ${shapeStr(b)})`,
      );
    }
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/** Resolves a single -1 in a target shape against `total` elements, with PyTorch's messages. */
export function inferShape(shape: Shape, total: number, from: Shape): number[] {
  let infer = -1;
  let known = 1;
  for (let i = 0; i < shape.length; i++) {
    const d = shape[i]!;
    if (d === -1) {
      if (infer >= 0) throw new RangeError('only one dimension can be inferred');
      infer = i;
    } else if (!Number.isInteger(d) || d < 0) {
      throw new RangeError(`invalid shape dimension ${d} in ${shapeStr(shape)}`);
    } else known *= d;
  }
  const out = [...shape];
  if (infer >= 0) {
    if (known === 0 || total % known !== 0) {
      throw new RangeError(`shape '${shapeStr(shape)}' is invalid for input of size ${total} (input shape ${shapeStr(from)})`);
    }
    out[infer] = total / known;
  } else if (known !== total) {
    throw new RangeError(`shape '${shapeStr(shape)}' is invalid for input of size ${total} (input shape ${shapeStr(from)})`);
  }
  return out;
}

/**
 * Strides for viewing a strided tensor under a new shape without copying, or null when the
 * layout does not allow it (PyTorch's `computeStride`: each group of merged old dims must be
 * contiguous with respect to each other).
 */
export function viewStrides(oldShape: Shape, oldStrides: readonly number[], newShape: Shape): number[] | null {
  const total = numel(oldShape);
  const newStrides = new Array<number>(newShape.length).fill(0);
  if (total === 0) return contiguousStrides(newShape);
  if (oldShape.length === 0) return newShape.map(() => 1);
  let viewD = newShape.length - 1;
  let chunkBase = oldStrides[oldStrides.length - 1]!;
  let tensorNumel = 1;
  let viewNumel = 1;
  for (let tensorD = oldShape.length - 1; tensorD >= 0; tensorD--) {
    tensorNumel *= oldShape[tensorD]!;
    if (tensorD === 0 || (oldShape[tensorD - 1] !== 1 && oldStrides[tensorD - 1] !== tensorNumel * chunkBase)) {
      while (viewD >= 0 && (viewNumel < tensorNumel || newShape[viewD] === 1)) {
        newStrides[viewD] = viewNumel * chunkBase;
        viewNumel *= newShape[viewD]!;
        viewD--;
      }
      if (viewNumel !== tensorNumel) return null;
      if (tensorD > 0) {
        chunkBase = oldStrides[tensorD - 1]!;
        tensorNumel = 1;
        viewNumel = 1;
      }
    }
  }
  if (viewD !== -1) return null;
  return newStrides;
}

/** A shape and one stride array per operand, after {@link coalesce}. */
export interface Layout {
  /** The merged shape (rank >= 1). */
  shape: number[];
  /** One stride array per operand, in elements. */
  strides: number[][];
}

/**
 * For backends: the smallest-rank walk of several same-shaped views. Drops size-1 dimensions and
 * merges neighbours `d, d+1` wherever every operand has `strides[d] == strides[d+1] * shape[d+1]`,
 * so a contiguous tensor of any rank becomes one row (a kernel's fast path). The result has
 * rank >= 1 (a scalar becomes `[1]`). Assumes no dimension is 0 (callers return early on empty
 * tensors).
 *
 * @example
 * ```ts
 * // Merges dims that are contiguous in every operand (for kernels): [2, 3, 4] row-major is one run of 24.
 * console.log(torch.coalesce([2, 3, 4], [[12, 4, 1]]));   // { shape: [24], strides: [[1]] }
 * ```
 */
export function coalesce(shape: Shape, strides: readonly (readonly number[])[]): Layout {
  const k = strides.length;
  const outShape: number[] = [];
  const outStrides: number[][] = strides.map(() => []);
  for (let d = shape.length - 1; d >= 0; d--) {
    const n = shape[d]!;
    if (n === 1) continue;
    let merge = outShape.length > 0;
    if (merge) {
      const inner = outShape[0]!;
      for (let j = 0; j < k && merge; j++) merge = strides[j]![d] === outStrides[j]![0]! * inner;
    }
    if (merge) {
      outShape[0] = outShape[0]! * n;
    } else {
      outShape.unshift(n);
      for (let j = 0; j < k; j++) outStrides[j]!.unshift(strides[j]![d]!);
    }
  }
  if (outShape.length === 0) return { shape: [1], strides: strides.map(() => [0]) };
  return { shape: outShape, strides: outStrides };
}
