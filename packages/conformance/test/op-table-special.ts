/**
 * Every element-wise primitive of core's op table on NaN, ±Infinity, ±0 and other edge values,
 * against PyTorch 1.13's values (test/fixtures/op_table_special.json, written by
 * scripts/gen_op_table.py from the table's names), through the public functions, on one backend.
 * A table op missing from the fixture fails: re-run the generator.
 */
import { readFileSync } from 'node:fs';
import * as torch from '@torchlet/core';
import { BINARY_OPS, UNARY_OPS, kernelDtypes, opKind, setBackend, type BinaryOp, type Tensor, type UnaryOp } from '@torchlet/core';
import { beforeAll, describe, expect, it } from 'vitest';
import type { JsonNumber } from '../src/cases.ts';
import { decodeNumber } from '../src/decode.ts';

type Num = JsonNumber;
interface Fixture {
  readonly unary: Record<string, { x: Num[]; y: Num[] }>;
  readonly binary: Record<string, { a: Num[]; b: Num[]; y: Num[]; bool: boolean }>;
  readonly int32: Record<string, { a: number[]; b: number[]; y: number[] }>;
}
const fixture = JSON.parse(readFileSync(new URL('./fixtures/op_table_special.json', import.meta.url), 'utf8')) as Fixture;
const nums = (v: readonly Num[]): number[] => v.map((e) => decodeNumber(e));

/** The public function a user calls for each primitive (`truncDivide` is `div`'s rounding mode). */
function callUnary(op: UnaryOp, x: Tensor): Tensor {
  return (torch as unknown as Record<UnaryOp, (x: Tensor) => Tensor>)[op](x);
}
function callBinary(op: BinaryOp, a: Tensor, b: Tensor): Tensor {
  if (op === 'truncDivide') return torch.div(a, b, { roundingMode: 'trunc' });
  return (torch as unknown as Record<BinaryOp, (a: Tensor, b: Tensor) => Tensor>)[op](a, b);
}

/** NaN where PyTorch has NaN, the same infinity, else within `rtol`/`atol`. */
function mismatches(got: ArrayLike<number>, want: readonly number[], rtol: number, atol: number, label: (i: number) => string): string[] {
  const bad: string[] = [];
  for (let i = 0; i < want.length; i++) {
    const g = Number(got[i]), w = want[i]!;
    const ok = Number.isNaN(w) ? Number.isNaN(g) : !Number.isFinite(w) ? g === w : Math.abs(g - w) <= atol + rtol * Math.abs(w);
    if (!ok) bad.push(`${label(i)}: got ${g}, PyTorch ${w}`);
  }
  return bad;
}

/** Defines the suite on `backend` with explicit tolerances for its finite results. */
export function defineOpTableSpecialSuite(backend: string, tol: { rtol: number; atol: number }): void {
  describe(`op table on special values (${backend}) against PyTorch`, () => {
    beforeAll(async () => {
      await setBackend(backend);
    });
    for (const op of UNARY_OPS) {
      if (op === 'logicalNot') continue; // bool only
      it(`unary ${op}`, async () => {
        const c = fixture.unary[op];
        expect(c, `${op} is missing from op_table_special.json: run scripts/gen_op_table.py`).toBeDefined();
        const x = nums(c!.x);
        const y = callUnary(op, torch.tensor(x));
        const got = await y.data();
        expect(mismatches(got, nums(c!.y), tol.rtol, tol.atol, (i) => `${op}(${x[i]})`)).toEqual([]);
      });
    }
    for (const op of BINARY_OPS) {
      if (op.startsWith('logical')) continue; // bool only
      it(`binary ${op}`, async () => {
        const c = fixture.binary[op];
        expect(c, `${op} is missing from op_table_special.json: run scripts/gen_op_table.py`).toBeDefined();
        const a = nums(c!.a), b = nums(c!.b);
        const y = callBinary(op, torch.tensor(a), torch.tensor(b));
        const got = Array.from(await y.data(), Number);
        expect(y.dtype).toBe(c!.bool ? 'bool' : 'float32');
        expect(mismatches(got, nums(c!.y), tol.rtol, tol.atol, (i) => `${op}(${a[i]}, ${b[i]})`)).toEqual([]);
      });
    }
    for (const op of BINARY_OPS) {
      if (!kernelDtypes(opKind('binary', op)).includes('int32') || opKind('binary', op) === 'compare' || op === 'pow') continue;
      it(`int32 ${op}, with wrap-around at the extremes`, async () => {
        const c = fixture.int32[op];
        expect(c, `${op} is missing from op_table_special.json: run scripts/gen_op_table.py`).toBeDefined();
        const y = callBinary(op, torch.tensor(c!.a, { dtype: 'int32' }), torch.tensor(c!.b, { dtype: 'int32' }));
        expect(y.dtype).toBe('int32');
        expect(Array.from(await y.data())).toEqual(c!.y);
      });
    }
    it('int32 division, fmod and remainder by 0 give 0 (PyTorch raises ZeroDivisionError); MIN / -1 wraps', async () => {
      const a = torch.tensor([7, -7, 0, -2147483648], { dtype: 'int32' });
      const zero = torch.zeros([4], { dtype: 'int32' });
      for (const op of ['fmod', 'remainder', 'floorDivide', 'truncDivide'] as const) {
        expect(Array.from(await callBinary(op, a, zero).data()), op).toEqual([0, 0, 0, 0]);
      }
      const m1 = torch.full([4], -1, { dtype: 'int32' });
      expect(Array.from(await callBinary('floorDivide', a, m1).data())).toEqual([-7, 7, 0, -2147483648]);
      expect(Array.from(await callBinary('truncDivide', a, m1).data())).toEqual([-7, 7, 0, -2147483648]);
      expect(Array.from(await callBinary('fmod', a, m1).data())).toEqual([0, 0, 0, 0]);
    });
  });
}
