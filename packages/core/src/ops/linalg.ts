/** Matrix products with PyTorch's rank rules, over the batched matmul primitive. */
import { shapeStr } from '../shape.ts';
import type { Tensor } from '../tensor.ts';
import { add } from './elementwise.ts';
import { matmulP } from './primitives.ts';
import { expectDType, expectTensor } from './util.ts';
import { reshape, t as transpose2d, unsqueeze } from './view.ts';

function mismatch(a: readonly number[], b: readonly number[]): RangeError {
  return new RangeError(`mat1 and mat2 shapes cannot be multiplied (${a.join('x')} and ${b.join('x')})`);
}

function checkOperands(op: string, a: Tensor, b: Tensor): void {
  expectTensor(op, a, 'input');
  expectTensor(op, b, 'other');
  expectDType(op, a, ['float32', 'float16', 'bfloat16'], 'input');
  expectDType(op, b, ['float32', 'float16', 'bfloat16'], 'other');
  if (a.dtype !== b.dtype) {
    throw new TypeError(`${op}: expected both operands to have the same dtype, got ${a.dtype} and ${b.dtype}; convert one with .to('${a.dtype}')`);
  }
}

/**
 * PyTorch's matmul: 1-D x 1-D is a dot product (0-d); 2-D x 2-D a matrix product; a 1-D
 * operand is treated as a row (left) or column (right) vector and that dim removed; higher ranks
 * are batches of matrices whose batch dims broadcast.
 *
 * @example
 * ```ts
 * const a = torch.randn([10, 3, 4]), b = torch.randn([4, 5]);
 * console.log(torch.matmul(a, b).shape, a.matmul(b).shape);   // [10, 3, 5]: batched and broadcast, as a @ b
 * ```
 */
export function matmul(a: Tensor, b: Tensor): Tensor {
  checkOperands('matmul', a, b);
  if (a.ndim === 0 || b.ndim === 0) {
    throw new RangeError(`both arguments to matmul need to be at least 1D, but they are ${a.ndim}D and ${b.ndim}D`);
  }
  const ka = a.shape[a.ndim - 1]!;
  const kb = b.ndim === 1 ? b.shape[0]! : b.shape[b.ndim - 2]!;
  if (ka !== kb) {
    if (a.ndim === 1 && b.ndim === 1) {
      throw new RangeError(`inconsistent tensor size, expected tensor [${ka}] and src [${kb}] to have the same number of elements, but got ${ka} and ${kb} elements respectively`);
    }
    throw mismatch(a.ndim === 1 ? [1, ka] : a.ndim === 2 ? a.shape : [a.shape.slice(0, -1).reduce((x, y) => x * y, 1), ka], b.ndim === 1 ? [kb, 1] : b.shape.slice(-2));
  }
  const a2 = a.ndim === 1 ? unsqueeze(a, 0) : a;
  const b2 = b.ndim === 1 ? unsqueeze(b, 1) : b;
  try {
    const r = matmulP(a2, b2);
    if (a.ndim > 1 && b.ndim > 1) return r;
    // Remove the dims that stood in for the vector operands.
    const shape = [...r.shape];
    if (b.ndim === 1) shape.pop();
    if (a.ndim === 1) shape.splice(shape.length - (b.ndim === 1 ? 1 : 2), 1);
    try {
      return reshape(r, shape);
    } finally {
      r.dispose();
    }
  } finally {
    if (a2 !== a) a2.dispose();
    if (b2 !== b) b2.dispose();
  }
}

/**
 * Matrix product of two 2-D tensors.
 *
 * @example
 * ```ts
 * const a = torch.tensor([[1, 2], [3, 4]]);
 * console.log(await torch.mm(a, a).tolist());   // [[7, 10], [15, 22]]
 * ```
 */
export function mm(a: Tensor, b: Tensor): Tensor {
  checkOperands('mm', a, b);
  if (a.ndim !== 2) throw new RangeError(`mm: self must be a matrix, got shape ${shapeStr(a.shape)}`);
  if (b.ndim !== 2) throw new RangeError(`mm: mat2 must be a matrix, got shape ${shapeStr(b.shape)}`);
  if (a.shape[1] !== b.shape[0]) throw mismatch(a.shape, b.shape);
  return matmulP(a, b);
}

/**
 * Batched matrix product of two 3-D tensors with equal batch size.
 *
 * @example
 * ```ts
 * console.log(torch.bmm(torch.randn([8, 3, 4]), torch.randn([8, 4, 5])).shape);   // [8, 3, 5]
 * ```
 */
export function bmm(a: Tensor, b: Tensor): Tensor {
  checkOperands('bmm', a, b);
  if (a.ndim !== 3) throw new RangeError(`bmm: batch1 must be a 3D tensor, got shape ${shapeStr(a.shape)}`);
  if (b.ndim !== 3) throw new RangeError(`bmm: batch2 must be a 3D tensor, got shape ${shapeStr(b.shape)}`);
  if (a.shape[0] !== b.shape[0] || a.shape[2] !== b.shape[1]) {
    throw new RangeError(`Expected size for first two dimensions of batch2 tensor to be: [${a.shape[0]}, ${a.shape[2]}] but got: [${b.shape[0]}, ${b.shape[1]}] (shapes ${shapeStr(a.shape)} and ${shapeStr(b.shape)})`);
  }
  return matmulP(a, b);
}

/**
 * `input @ weight^T + bias`, with `weight` of shape `[out, in]` as in nn.Linear.
 *
 * @example
 * ```ts
 * const x = torch.randn([32, 784]);
 * const w = torch.randn([128, 784]), b = torch.zeros([128]);
 * console.log(torch.linear(x, w, b).shape);   // F.linear: x @ w.T + b -> [32, 128]
 * ```
 */
export function linear(input: Tensor, weight: Tensor, bias?: Tensor | null): Tensor {
  checkOperands('linear', input, weight);
  if (weight.ndim !== 2 && weight.ndim !== 1) throw new RangeError(`linear: weight must be 1-D or 2-D, got shape ${shapeStr(weight.shape)}`);
  const inF = weight.shape[weight.ndim - 1]!;
  if (input.shape[input.ndim - 1] !== inF) {
    const rows = input.shape.slice(0, -1).reduce((x, y) => x * y, 1);
    throw mismatch([rows, input.shape[input.ndim - 1] ?? 1], weight.ndim === 2 ? [inF, weight.shape[0]!] : [inF]);
  }
  const wt = transpose2d(weight);
  try {
    const y = matmul(input, wt);
    if (bias === undefined || bias === null) return y;
    try {
      return add(y, bias);
    } finally {
      y.dispose();
    }
  } finally {
    wt.dispose();
  }
}
