/** Selection by condition or index: where, maskedFill, gather, indexSelect, tril/triu. */
import { tidy } from '../memory.ts';
import { broadcastShapes, normalizeDim, sameShape, shapeStr } from '../shape.ts';
import { Tensor, type TensorLike } from '../tensor.ts';
import { gatherP, scatterAddP, whereP } from './primitives.ts';
import { castTo, checkFillValue, describe, disposeTemps, expectDType, expectIndexTensor, expectTensor, scalarTensor, viewOf } from './util.ts';
import { arange } from './creation.ts';
import { add, sub, le, ge, resultType, checkInPlace } from './elementwise.ts';
import { isGradEnabled } from '../grad-hook.ts';

/**
 * `condition ? input : other`, broadcasting all three; the result dtype promotes input and other.
 *
 * @example
 * ```ts
 * const x = torch.tensor([-1, 2, -3]);
 * console.log(await torch.where(x.gt(0), x, 0).tolist());   // [0, 2, 0]
 * ```
 */
export function where(condition: Tensor, input: TensorLike, other: TensorLike): Tensor {
  expectTensor('where', condition, 'condition');
  if (condition.dtype !== 'bool') {
    throw new TypeError(`where: expected condition of dtype bool, got ${condition.dtype}`);
  }
  for (const v of [input, other]) {
    if (!(v instanceof Tensor) && typeof v !== 'number' && typeof v !== 'boolean') {
      throw new TypeError(`where: expected a Tensor, number or boolean, got ${describe(v)}`);
    }
  }
  const dtype = resultType(input, other);
  const toT = (v: TensorLike): Tensor =>
    v instanceof Tensor ? castTo(v, dtype, false) : scalarTensor(checkFillValue(v, dtype, 'where'), dtype, condition.backend);
  const a = toT(input);
  const b = toT(other);
  try {
    return whereP(condition, a, b);
  } finally {
    disposeTemps([a, b], [input, other].filter((v): v is Tensor => v instanceof Tensor));
  }
}

/**
 * Elements of `input` where `mask` (bool, broadcast to input's shape) is true become `value`.
 *
 * @example
 * ```ts
 * const scores = torch.zeros([2, 2]);
 * const mask = torch.tensor([[false, true], [false, false]]);
 * console.log(await torch.maskedFill(scores, mask, -Infinity).tolist());   // [[0, -Infinity], [0, 0]]
 * ```
 */
export function maskedFill(input: Tensor, mask: Tensor, value: number | boolean | Tensor): Tensor {
  expectTensor('maskedFill', input);
  expectTensor('maskedFill', mask, 'mask');
  expectDType('maskedFill', mask, ['bool'], 'mask');
  const shape = broadcastShapes(input.shape, mask.shape);
  if (!sameShape(shape, input.shape)) {
    throw new RangeError(`maskedFill: the mask of shape ${shapeStr(mask.shape)} does not broadcast to the input's shape ${shapeStr(input.shape)}`);
  }
  if (value instanceof Tensor) {
    if (value.ndim !== 0) throw new RangeError(`maskedFill: only a 0-d value tensor is supported, got shape ${shapeStr(value.shape)}`);
    return tidy(() => where(mask, castTo(value, input.dtype, false), input));
  }
  const v = scalarTensor(checkFillValue(value, input.dtype, 'maskedFill'), input.dtype, input.backend);
  try {
    return whereP(mask, v, input);
  } finally {
    v.dispose();
  }
}

function checkIndex(op: string, index: Tensor): void {
  expectTensor(op, index, 'index');
  expectIndexTensor(op, index);
}

/**
 * PyTorch's gather: `out[i][j] = input[index[i][j]][j]` for dim 0, and so on.
 *
 * @example
 * ```ts
 * const x = torch.tensor([[1, 2], [3, 4]]);
 * const idx = torch.tensor([[0, 0], [1, 0]], { dtype: 'int32' });
 * console.log(await torch.gather(x, 1, idx).tolist());   // [[1, 1], [4, 3]]
 * ```
 */
export function gather(input: Tensor, dim: number, index: Tensor): Tensor {
  expectTensor('gather', input);
  checkIndex('gather', index);
  const d = normalizeDim(dim, input.ndim);
  if (index.ndim !== input.ndim && !(input.ndim === 0 && index.ndim <= 1)) {
    throw new RangeError(`gather: index tensor must have the same number of dimensions as input tensor (input ${shapeStr(input.shape)}, index ${shapeStr(index.shape)})`);
  }
  for (let i = 0; i < index.ndim; i++) {
    if (i !== d && index.shape[i]! > (input.shape[i] ?? 1)) {
      throw new RangeError(`gather: size of index ${shapeStr(index.shape)} must not exceed the input's ${shapeStr(input.shape)} at dimension ${i} (other than dim ${d})`);
    }
  }
  return gatherP(input, d, index);
}

/**
 * PyTorch's `scatter_add`: a copy of `input` where `src[..., j, ...]` is added at
 * `[..., index[..., j, ...], ...]` along `dim` (repeated indices accumulate). Pass `input: null`
 * for a zero tensor of `shape`, which skips the addition.
 *
 * @example
 * ```ts
 * const idx = torch.tensor([0, 1, 0], { dtype: 'int32' });
 * const out = torch.scatterAdd(torch.zeros([2]), 0, idx, torch.tensor([1, 2, 3]));
 * console.log(await out.tolist());   // [4, 2]
 * ```
 */
export function scatterAdd(input: Tensor | null, dim: number, index: Tensor, src: Tensor, shape?: readonly number[]): Tensor {
  checkIndex('scatterAdd', index);
  expectTensor('scatterAdd', src, 'src');
  const target = input ? input.shape : shape;
  if (!target) throw new TypeError('scatterAdd: give an input tensor or the shape of the zero tensor to add into');
  if (input) expectTensor('scatterAdd', input);
  const d = normalizeDim(dim, target.length);
  if (index.ndim !== src.ndim || index.shape.some((s, i) => s !== src.shape[i])) {
    throw new RangeError(`scatterAdd: index ${shapeStr(index.shape)} and src ${shapeStr(src.shape)} must have the same shape`);
  }
  if (index.ndim !== target.length) {
    throw new RangeError(`scatterAdd: index ${shapeStr(index.shape)} must have as many dims as the input ${shapeStr(target)}`);
  }
  for (let i = 0; i < index.ndim; i++) {
    if (i !== d && index.shape[i]! > target[i]!) {
      throw new RangeError(`scatterAdd: index ${shapeStr(index.shape)} must not exceed the input ${shapeStr(target)} at dimension ${i} (other than dim ${d})`);
    }
  }
  const srcF = castTo(src, input ? input.dtype : src.dtype, false);
  try {
    const scattered = scatterAddP(target, d, index, srcF);
    if (!input) return scattered;
    try {
      return add(input, scattered);
    } finally {
      scattered.dispose();
    }
  } finally {
    if (srcF !== src) srcF.dispose();
  }
}

/**
 * In place: `src[..., j, ...]` added into `input` at `[..., index[..., j, ...], ...]` along `dim`
 * (PyTorch's `Tensor.scatter_add_`; repeated indices accumulate); returns `input`. No copy of
 * `input` is made, so the cost is that of `src` alone: this is how a key/value cache writes one
 * new position at a position held in a tensor (a compiled decode step, whose shapes stay fixed).
 * Like every in-place op it refuses a tensor that requires grad while gradients are recorded
 * (use {@link scatterAdd}); `src` must have `input`'s dtype (float32 or int32).
 *
 * @example
 * ```ts
 * const x = torch.zeros([2, 4]);
 * const at = torch.tensor([[2], [0]], { dtype: 'int32' });
 * x.scatterAdd_(1, at, torch.tensor([[5], [7]]));
 * console.log(await x.tolist());   // [[0, 0, 5, 0], [7, 0, 0, 0]]
 * ```
 */
export function scatterAdd_<T extends Tensor>(input: T, dim: number, index: Tensor, src: Tensor): T {
  expectTensor('scatterAdd_', input);
  checkIndex('scatterAdd_', index);
  expectTensor('scatterAdd_', src, 'src');
  if (src.dtype !== input.dtype) throw new TypeError(`scatterAdd_: src must have the input's dtype ${input.dtype}, got ${src.dtype}`);
  if (src.backend !== input.backend || index.backend !== input.backend) throw new Error(`scatterAdd_: input, index and src must be on one backend, got '${input.backend.name}', '${index.backend.name}' and '${src.backend.name}'`);
  if (isGradEnabled() && src.requiresGrad) throw new Error('scatterAdd_: src requires grad; in-place writes are not recorded for autograd, use the out-of-place scatterAdd');
  const d = normalizeDim(dim, Math.max(input.ndim, 1));
  if (index.ndim !== src.ndim || index.shape.some((s, i) => s !== src.shape[i])) {
    throw new RangeError(`scatterAdd_: index ${shapeStr(index.shape)} and src ${shapeStr(src.shape)} must have the same shape`);
  }
  if (index.ndim !== input.ndim) throw new RangeError(`scatterAdd_: index ${shapeStr(index.shape)} must have as many dims as the input ${shapeStr(input.shape)}`);
  for (let i = 0; i < index.ndim; i++) {
    if (i !== d && index.shape[i]! > input.shape[i]!) {
      throw new RangeError(`scatterAdd_: index ${shapeStr(index.shape)} must not exceed the input ${shapeStr(input.shape)} at dimension ${i} (other than dim ${d})`);
    }
  }
  const dv = input.view_();
  checkInPlace(input);
  if (input.strides.some((s, i) => s === 0 && input.shape[i]! > 1)) {
    throw new Error(`scatterAdd_: in-place operation on an expanded tensor (shape ${shapeStr(input.shape)}) would write one element many times; call contiguous() first`);
  }
  if (index.numel() > 0) input.backend.scatterAdd(dv, d, index.view_(), src.view_());
  return input;
}

/**
 * The slices of `input` along `dim` at the positions in the 1-D int32 `index`.
 *
 * @example
 * ```ts
 * const x = torch.tensor([[1, 2], [3, 4], [5, 6]]);
 * console.log(await torch.indexSelect(x, 0, torch.tensor([2, 0], { dtype: 'int32' })).tolist());   // [[5, 6], [1, 2]]
 * ```
 */
export function indexSelect(input: Tensor, dim: number, index: Tensor): Tensor {
  expectTensor('indexSelect', input);
  checkIndex('indexSelect', index);
  if (index.ndim > 1) throw new RangeError(`indexSelect: index must be 1-D, got shape ${shapeStr(index.shape)}`);
  const d = normalizeDim(dim, input.ndim);
  const k = index.numel();
  const outShape = input.ndim === 0 ? [] : input.shape.map((s, i) => (i === d ? k : s));
  // The index seen as input-rank with stride 0 everywhere but `dim`: gather does the rest.
  const iv = index.view_();
  const strides = outShape.map((_, i) => (i === d ? (iv.strides[0] ?? 0) : 0));
  const expandedIndex = viewOf(index, outShape, strides, index.offset);
  try {
    return gatherP(input, d, expandedIndex);
  } finally {
    expandedIndex.dispose();
  }
}

/**
 * Keeps elements with `col - row <= diagonal` (lower triangle) of the last two dims.
 *
 * @example
 * ```ts
 * console.log(await torch.tril(torch.ones([3, 3])).tolist());   // [[1, 0, 0], [1, 1, 0], [1, 1, 1]]
 * ```
 */
export function tril(input: Tensor, diagonal = 0): Tensor {
  return triangle('tril', input, diagonal);
}

/**
 * Keeps elements with `col - row >= diagonal` (upper triangle) of the last two dims.
 *
 * @example
 * ```ts
 * console.log(await torch.triu(torch.ones([3, 3]), 1).tolist());   // [[0, 1, 1], [0, 0, 1], [0, 0, 0]]
 * ```
 */
export function triu(input: Tensor, diagonal = 0): Tensor {
  return triangle('triu', input, diagonal);
}

function triangle(op: 'tril' | 'triu', input: Tensor, diagonal: number): Tensor {
  expectTensor(op, input);
  if (input.ndim < 2) throw new RangeError(`${op}: input tensor must have at least 2 dimensions, got shape ${shapeStr(input.shape)}`);
  if (!Number.isInteger(diagonal)) throw new TypeError(`${op}: diagonal must be an integer, got ${diagonal}`);
  const rows = input.shape[input.ndim - 2]!, cols = input.shape[input.ndim - 1]!;
  return tidy(() => {
    const r = arange(0, rows, 1, { dtype: 'int32', backend: input.backend }).reshape([rows, 1]);
    const c = arange(0, cols, 1, { dtype: 'int32', backend: input.backend }).reshape([1, cols]);
    const diff = sub(c, r);
    const keep = op === 'tril' ? le(diff, diagonal) : ge(diff, diagonal);
    return where(keep, input, input.dtype === 'bool' ? false : 0);
  });
}
