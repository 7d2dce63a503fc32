/** Closeness tests: isclose (element-wise), allclose and equal (one boolean). */
import { argBool, argNumber, parseArgs } from '../args.ts';
import { tidy } from '../memory.ts';
import { sameShape } from '../shape.ts';
import type { Tensor } from '../tensor.ts';
import { abs, eq, le, logicalAnd, logicalOr, mul, ne, sub, add } from './elementwise.ts';
import { all } from './reduce.ts';
import { castTo, expectTensor, readViewSync } from './util.ts';

/** Options of {@link isclose} and {@link allclose}. */
export interface CloseOptions {
  /** Relative tolerance, scaled by `|other|` (default 1e-5). */
  rtol?: number;
  /** Absolute tolerance (default 1e-8). */
  atol?: number;
  /** Two NaNs count as close (default false). */
  equalNan?: boolean;
}

/** `isclose`/`allclose`'s arguments after the tensors: PyTorch's `(rtol, atol, equal_nan)` or an options object. */
export type CloseArgs = [rtol?: number | CloseOptions, atol?: number | CloseOptions, equalNan?: boolean | CloseOptions];

function closeArgs(op: string, args: readonly unknown[]): Required<CloseOptions> {
  const a = parseArgs(op, args, ['rtol', 'atol', 'equalNan']);
  return {
    rtol: a.rtol === undefined ? 1e-5 : argNumber(op, 'rtol', a.rtol, 0),
    atol: a.atol === undefined ? 1e-8 : argNumber(op, 'atol', a.atol, 0),
    equalNan: a.equalNan === undefined ? false : argBool(op, 'equalNan', a.equalNan),
  };
}

function iscloseImpl(op: string, input: Tensor, other: Tensor, o: Required<CloseOptions>): Tensor {
  expectTensor(op, input);
  expectTensor(op, other, 'other');
  if (input.dtype !== other.dtype) throw new TypeError(`${op}: input (${input.dtype}) and other (${other.dtype}) must have the same dtype`);
  return tidy(() => {
    // Equal values (infinities included) are close; otherwise a finite |a - b| <= atol + rtol * |b|.
    const same = eq(input, other);
    if (input.dtype !== 'float32') return same;
    // An infinite difference is never close, even against an infinite tolerance (inf vs -inf).
    const diff = abs(sub(input, other));
    let close = logicalOr(same, logicalAnd(ne(diff, Infinity), le(diff, add(mul(abs(other), o.rtol), o.atol))));
    if (o.equalNan) close = logicalOr(close, logicalAnd(ne(input, input), ne(other, other)));
    return close;
  });
}

/**
 * Element-wise `|input - other| <= atol + rtol * |other|` (or equal; NaNs with `equalNan`), a bool
 * tensor: PyTorch's `torch.isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False)`.
 * Not symmetric: `rtol` scales `|other|`.
 *
 * @example
 * const a = torch.tensor([1, 2]), b = torch.tensor([1, 2.0000001]);
 * torch.isclose(a, b, { atol: 1e-6 });
 */
export function isclose(input: Tensor, other: Tensor, ...args: CloseArgs): Tensor {
  return iscloseImpl('isclose', input, other, closeArgs('isclose', args));
}

function readBool(op: string, t: Tensor): boolean {
  if (!t.backend.readSync) {
    throw new Error(`${op}: the '${t.backend.name}' backend cannot read a result synchronously; use \`await torch.${op}Async(...)\` instead`);
  }
  return readViewSync(t)[0] !== 0;
}

function allcloseTensor(input: Tensor, other: Tensor, args: readonly unknown[]): Tensor {
  const o = closeArgs('allclose', args);
  return tidy(() => all(iscloseImpl('allclose', input, other, o)));
}

/**
 * Whether every element is {@link isclose | close}: PyTorch's `torch.allclose`, a boolean. Needs a
 * synchronous read (wasm); on WebGPU use {@link allcloseAsync}.
 *
 * @example
 * const a = torch.tensor([1, 2]), b = torch.tensor([1, 2.0000001]);
 * torch.allclose(a, b);  torch.allclose(a, b, 1e-4, 1e-6);  await torch.allcloseAsync(a, b);
 */
export function allclose(input: Tensor, other: Tensor, ...args: CloseArgs): boolean {
  const r = allcloseTensor(input, other, args);
  try {
    return readBool('allclose', r);
  } finally {
    r.dispose();
  }
}

/**
 * {@link allclose} on any backend, read asynchronously.
 *
 * @example
 * ```ts
 * const a = torch.tensor([1, 2]), b = torch.tensor([1, 2.000001]);
 * console.log(await torch.allcloseAsync(a, b));   // true; works on backends that cannot read synchronously (WebGPU)
 * ```
 */
export async function allcloseAsync(input: Tensor, other: Tensor, ...args: CloseArgs): Promise<boolean> {
  const r = allcloseTensor(input, other, args);
  try {
    return (await r.data())[0] !== 0;
  } finally {
    r.dispose();
  }
}

function equalTensor(input: Tensor, other: Tensor): Tensor | null {
  expectTensor('equal', input);
  expectTensor('equal', other, 'other');
  if (!sameShape(input.shape, other.shape)) return null;
  return tidy(() => {
    const dtype = input.dtype === other.dtype ? input.dtype : 'float32';
    return all(eq(castTo(input, dtype, false), castTo(other, dtype, false)));
  });
}

/**
 * True when both have the same shape and equal elements (NaN is never equal): PyTorch's
 * `torch.equal`. Needs a synchronous read (wasm); on WebGPU use {@link equalAsync}.
 *
 * @example
 * torch.equal(torch.tensor([1, 2]), torch.tensor([1, 2]));  // true
 */
export function equal(input: Tensor, other: Tensor): boolean {
  const r = equalTensor(input, other);
  if (!r) return false;
  try {
    return readBool('equal', r);
  } finally {
    r.dispose();
  }
}

/**
 * {@link equal} on any backend, read asynchronously.
 *
 * @example
 * ```ts
 * console.log(await torch.equalAsync(torch.tensor([1, 2]), torch.tensor([1, 2])));   // true: same shape and values
 * ```
 */
export async function equalAsync(input: Tensor, other: Tensor): Promise<boolean> {
  const r = equalTensor(input, other);
  if (!r) return false;
  try {
    return (await r.data())[0] !== 0;
  } finally {
    r.dispose();
  }
}

