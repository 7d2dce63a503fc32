/**
 * The mappings of ops_extra's element-wise math functions (trigonometric and hyperbolic family,
 * other bases, rounding division, fmod/remainder, composites): PyTorch's name in the case file ->
 * the torchlet call a user would write.
 */
import * as torch from '@torchlet/core';
import type { Tensor } from '@torchlet/core';
import { decodeNumber } from './decode.ts';
import type { Args, Kwargs, OpFn } from './run-case.ts';

const num = (v: unknown): number => decodeNumber(v as number);
/** `other`: the tensor input, else the Python number in kwargs. */
const other = (a: Args, kw: Kwargs, name = 'other'): Tensor | number => a[name] ?? num(kw[name]);
const unary = (f: (x: Tensor) => Tensor): OpFn => (a) => f(a.input!);
const binary = (f: (x: Tensor, y: Tensor | number) => Tensor): OpFn => (a, kw) => f(a.input!, other(a, kw));
const bound = (a: Args, kw: Kwargs, name: string): Tensor | number | undefined =>
  a[name] ?? (kw[name] === undefined || kw[name] === null ? undefined : num(kw[name]));

export const MATH_OPS: Record<string, OpFn> = {
  tan: unary(torch.tan), asin: unary(torch.asin), acos: unary(torch.acos), atan: unary(torch.atan),
  sinh: unary(torch.sinh), cosh: unary(torch.cosh), asinh: unary(torch.asinh), acosh: unary(torch.acosh),
  atanh: unary(torch.atanh), log2: unary(torch.log2), log10: unary(torch.log10), exp2: unary(torch.exp2),
  trunc: unary(torch.trunc), frac: unary(torch.frac),
  isnan: unary(torch.isnan), isinf: unary(torch.isinf), isfinite: unary(torch.isfinite), signbit: unary(torch.signbit),
  nanToNum: (a, kw) => torch.nanToNum(a.input!, { nan: kw.nan === undefined ? undefined : num(kw.nan), posinf: kw.posinf === undefined ? undefined : num(kw.posinf), neginf: kw.neginf === undefined ? undefined : num(kw.neginf) }),
  atan2: binary(torch.atan2), hypot: binary(torch.hypot), fmod: binary(torch.fmod), remainder: binary(torch.remainder),
  floorDivide: binary(torch.floorDivide), logaddexp: binary(torch.logaddexp),
  div: (a, kw) => torch.div(a.input!, other(a, kw), { roundingMode: kw.roundingMode as 'floor' | 'trunc' | null | undefined }),
  lerp: (a, kw) => torch.lerp(a.input!, a.end!, a.weight ?? num(kw.weight)),
  clamp: (a, kw) => torch.clamp(a.input!, { min: bound(a, kw, 'min'), max: bound(a, kw, 'max') }),
};
