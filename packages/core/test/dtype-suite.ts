/**
 * The dtype tests, run on every backend (backend-wasm/test/dtypes.test.ts, backend-webgpu/test/
 * dtypes.test.ts): float16/bfloat16 storage converted bit for bit as PyTorch 1.13.1 does
 * (fixtures/half_cases.json, written by fixtures/make_half_cases.py), compute in float32 with one
 * rounding per primitive, PyTorch's promotion, int64 names stored as int32 with an overflow
 * error, and clear errors for unknown dtypes, float64 and float index tensors.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as torch from '../src/index.ts';
import type { Tensor } from '../src/index.ts';

interface HalfCases {
  f32_bits: number[];
  f16_bits: number[];
  bf16_bits: number[];
  f16_spread_fnv: number;
  bf16_spread_fnv: number;
  f16_decode_fnv: number;
  bf16_decode_fnv: number;
  ops: { a: number[]; b: number[]; f16: Record<string, number[]>; bf16: Record<string, number[]> };
}
const CASES = JSON.parse(readFileSync(new URL('./fixtures/half_cases.json', import.meta.url), 'utf8')) as HalfCases;

/** FNV-1a over 32-bit words, little-endian bytes (make_half_cases.py's `fnv`). */
function fnv(words: ArrayLike<number>): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < words.length; i++) {
    const w = words[i]! >>> 0;
    for (let k = 0; k < 4; k++) {
      h ^= (w >>> (8 * k)) & 0xff;
      h = Math.imul(h, 0x01000193) >>> 0;
    }
  }
  return h;
}

const f32FromBits = (bits: ArrayLike<number>): Float32Array => new Float32Array(Uint32Array.from(bits).buffer);
const HALVES = [['float16', 'f16'], ['bfloat16', 'bf16']] as const;
/** One unit in the last place of each format, relative: 2^-10 (float16), 2^-7 (bfloat16). */
const ULP = { float16: 2 ** -10, bfloat16: 2 ** -7 } as const;

async function storage(t: Tensor): Promise<number[]> {
  return Array.from(await torch.readStorage(t));
}

export function defineDtypeSuite(): void {
  describe('float16 / bfloat16 conversions, bit for bit with PyTorch', () => {
    for (const [dtype, key] of HALVES) {
      it(`${dtype}: to() of specials, ties, overflow and subnormal boundaries`, async () => {
        const x = torch.fromArray(f32FromBits(CASES.f32_bits));
        const h = x.to(dtype);
        expect(h.dtype).toBe(dtype);
        expect(await storage(h)).toEqual(CASES[`${key}_bits`]);
        // the host conversion (tensor() with a dtype) agrees with the kernel
        expect(Array.from(torch.encodeHalf(dtype, f32FromBits(CASES.f32_bits)))).toEqual(CASES[`${key}_bits`]);
        x.dispose();
        h.dispose();
      });

      it(`${dtype}: to() of 2^16 float32 patterns spread over the range`, async () => {
        const spread = Uint32Array.from({ length: 65536 }, (_, i) => (i * 65521 + 12345) >>> 0);
        const x = torch.fromArray(new Float32Array(spread.buffer));
        const h = x.to(dtype);
        expect(fnv(await torch.readStorage(h))).toBe(CASES[`${key}_spread_fnv`]);
        x.dispose();
        h.dispose();
      });

      it(`${dtype}: float() of all 65536 patterns`, async () => {
        const h = torch.fromArray(Uint16Array.from({ length: 65536 }, (_, i) => i), [65536], { dtype });
        const f = h.float();
        expect(fnv(new Uint32Array((await torch.readStorage(f)).buffer))).toBe(CASES[`${key}_decode_fnv`]);
        // data() decodes on the host the same way
        expect(fnv(new Uint32Array((await h.data()).buffer))).toBe(CASES[`${key}_decode_fnv`]);
        h.dispose();
        f.dispose();
      });
    }

    it('strided and offset views of half tensors copy, read and convert', async () => {
      const x = torch.arange(0, 24, 1, { dtype: 'float16' }).reshape([2, 3, 4]);
      const y = x.permute([2, 0, 1]).slice(0, 1, 4, 2); // odd element offsets, negative-free strides
      expect(await y.contiguous().tolist()).toEqual([[[1, 5, 9], [13, 17, 21]], [[3, 7, 11], [15, 19, 23]]]);
      expect(Array.from(await x.flip([2]).slice(2, 1, 2).data())).toEqual([2, 6, 10, 14, 18, 22]);
      const b = x.to('bfloat16');
      expect(Array.from(await torch.cat([b.slice(2, 3, 4), b.slice(2, 0, 1)], 2).data())).toEqual([3, 0, 7, 4, 11, 8, 15, 12, 19, 16, 23, 20]);
      for (const t of [x, y, b]) t.dispose();
    });
  });

  describe('computing on float16 / bfloat16', () => {
    for (const [dtype, key] of HALVES) {
      it(`${dtype}: ops run in float32 and round once (PyTorch's values within one ${dtype} ulp)`, async () => {
        const want = CASES.ops[key];
        const a = torch.fromArray(f32FromBits(CASES.ops.a), [3, 4]).to(dtype);
        const b = torch.fromArray(f32FromBits(CASES.ops.b), [4, 2]).to(dtype);
        const got: Record<string, Tensor> = {
          add: a.add(a.mul(0.5)),
          exp: a.exp(),
          sum1: a.sum({ dim: 1 }),
          matmul: a.matmul(b),
          softmax: torch.softmax(a, 1),
        };
        for (const [op, t] of Object.entries(got)) {
          expect(t.dtype, op).toBe(dtype);
          const ref = torch.decodeHalf(dtype, Uint16Array.from(want[op]!));
          const v = await t.data();
          for (let i = 0; i < ref.length; i++) {
            // primitives round once, like PyTorch; the composite softmax rounds after each step
            const tol = (op === 'softmax' ? 3 : 1) * ULP[dtype] * Math.abs(ref[i]!);
            expect(Math.abs(v[i]! - ref[i]!), `${dtype} ${op}[${i}]: ${v[i]} vs ${ref[i]}`).toBeLessThanOrEqual(tol);
          }
          t.dispose();
        }
        a.dispose();
        b.dispose();
      });
    }

    it('reductions, comparisons, where, gather and max keep PyTorch dtypes', async () => {
      const h = torch.tensor([[1.5, -2, 3], [0.25, 8, -1]], { dtype: 'float16' });
      expect(h.max().dtype).toBe('float16');
      expect(await h.max().item()).toBe(8);
      expect(await h.argmax({ dim: 1 }).tolist()).toEqual([2, 1]);
      expect(h.gt(1).dtype).toBe('bool');
      expect(await torch.where(h.gt(1), h, torch.zerosLike(h)).tolist()).toEqual([[1.5, 0, 3], [0, 8, 0]]);
      const idx = torch.tensor([[2, 0]], { dtype: 'int64' });
      const g = torch.gather(h, 1, idx);
      expect(g.dtype).toBe('float16');
      expect(await g.tolist()).toEqual([[3, 1.5]]);
      expect(await h.mean().item()).toBeCloseTo(1.625, 3);
      h.dispose();
    });

    it('gradients flow through half tensors and come back in their dtype', async () => {
      const x = torch.tensor([0.5, -1.25, 3], { dtype: 'bfloat16', requiresGrad: true });
      const w = torch.tensor([2, 2, 2], { requiresGrad: true }); // float32
      x.mul(x).mul(w).sum().backward();
      expect(x.grad!.dtype).toBe('bfloat16');
      expect(await x.grad!.tolist()).toEqual([2, -5, 12]);
      expect(w.grad!.dtype).toBe('float32');
      expect(await w.grad!.tolist()).toEqual([0.25, 1.5625, 9]);
    });
  });

  describe('type promotion (PyTorch)', () => {
    it('between tensors and with Python-style scalars', () => {
      const f16 = torch.zeros([2], { dtype: 'float16' }), bf16 = torch.zeros([2], { dtype: 'bfloat16' });
      const f32 = torch.zeros([2]), i32 = torch.zeros([2], { dtype: 'int64' }), b = torch.zeros([2], { dtype: 'bool' });
      const cases: Array<[Tensor | number | boolean, Tensor | number | boolean, torch.DType]> = [
        [f16, f32, 'float32'], [f16, bf16, 'float32'], [bf16, bf16, 'bfloat16'], [f16, i32, 'float16'],
        [b, bf16, 'bfloat16'], [f16, 2.5, 'float16'], [bf16, 3, 'bfloat16'], [i32, 2.5, 'float32'], [true, f16, 'float16'],
      ];
      for (const [x, y, want] of cases) {
        expect(torch.resultType(x, y)).toBe(want);
        const r = torch.add(x, y);
        expect(r.dtype).toBe(want);
        r.dispose();
      }
      expect(torch.promoteTypes('float16', 'bfloat16')).toBe('float32');
      expect(f16.exp().dtype).toBe('float16');
      expect(i32.exp().dtype).toBe('float32');
    });
  });

  describe('creation in half dtypes', () => {
    it('tensor, zeros, ones, full, arange, linspace, eye, rand, randn', async () => {
      expect(await torch.tensor([1, 0.1, 70000], { dtype: 'half' }).data()).toEqual(Float32Array.of(1, 0.0999755859375, Infinity));
      expect(await torch.full([2], -3.5, { dtype: 'bfloat16' }).tolist()).toEqual([-3.5, -3.5]);
      expect(await torch.ones([2], { dtype: torch.float16 }).tolist()).toEqual([1, 1]);
      expect(await torch.arange(0, 3, 1, { dtype: 'bfloat16' }).tolist()).toEqual([0, 1, 2]);
      expect(await torch.eye(2, 2, { dtype: 'float16' }).tolist()).toEqual([[1, 0], [0, 1]]);
      expect(await torch.linspace(0, 1, 3, { dtype: 'float16' }).tolist()).toEqual([0, 0.5, 1]);
      torch.manualSeed(3);
      const r32 = torch.randn([5]);
      torch.manualSeed(3);
      const r16 = torch.randn([5], { dtype: 'bfloat16' });
      expect(r16.dtype).toBe('bfloat16');
      const want = r32.to('bfloat16');
      expect(await storage(r16)).toEqual(await storage(want));
      expect(torch.zeros([3], { dtype: 'float16' }).numel()).toBe(3);
    });
  });

  describe('int64 names and errors', () => {
    it("'int64', torch.long and .long() give int32 storage; index tensors work as in PyTorch", async () => {
      const idx = torch.tensor([2, 0], { dtype: torch.long });
      expect(idx.dtype).toBe('int32');
      expect(torch.tensor([1], { dtype: 'int64' }).dtype).toBe('int32');
      expect(torch.tensor([1.7]).long().dtype).toBe('int32');
      const x = torch.tensor([[1, 2], [3, 4], [5, 6]]);
      expect(await torch.indexSelect(x, 0, idx).tolist()).toEqual([[5, 6], [1, 2]]);
      expect(await torch.embedding(torch.tensor([1, 1, 0], { dtype: 'long' }), x).tolist()).toEqual([[3, 4], [3, 4], [1, 2]]);
    });

    it('values outside int32 throw instead of wrapping', () => {
      expect(() => torch.tensor([2 ** 32 + 5], { dtype: 'int64' })).toThrow(/tensor: value 4294967301 cannot be converted to type int32 without overflow .*torchlet stores int64 as int32/);
      expect(() => torch.tensor([1, -(2 ** 31) - 1], { dtype: 'int32' })).toThrow(/tensor: value -2147483649 cannot be converted to type int32 without overflow/);
      expect(torch.tensor([2 ** 31 - 1, -(2 ** 31)], { dtype: 'int64' }).dtype).toBe('int32');
    });

    it('float index tensors are refused with the op named', () => {
      const x = torch.tensor([[1, 2], [3, 4]]);
      expect(() => torch.indexSelect(x, 0, torch.tensor([1, 0]))).toThrow(/indexSelect: expected index of an integer dtype .*got float32.*\{ dtype: 'int64' \}/);
      expect(() => torch.gather(x, 0, torch.tensor([[1, 0]], { dtype: 'float16' }))).toThrow(/gather: expected index of an integer dtype .*got float16/);
      expect(() => torch.embedding(torch.tensor([1]), x)).toThrow(/embedding: expected input \(the indices\) of an integer dtype/);
    });

    it('unknown dtypes and float64 throw, naming the function', () => {
      const x = torch.tensor([1, 2]);
      expect(() => x.to('float8' as never)).toThrow(/to: unknown dtype 'float8'; expected 'float32', 'float16', 'bfloat16', 'int32' \(also 'int64'\/'long', stored as int32\) or 'bool'/);
      expect(() => x.to('float64' as never)).toThrow(/to: float64 is not supported: torchlet computes in 32 bits/);
      expect(() => torch.zeros([2], { dtype: 'double' as never })).toThrow(/full: float64 is not supported/);
      expect(() => torch.tensor([1], { dtype: 7 as never })).toThrow(/tensor: unknown dtype number 7/);
      expect(() => x.to(undefined as never)).toThrow(/to: unknown dtype undefined/);
      expect(torch.toDType('half', 'test')).toBe('float16');
      // torch.float64 / torch.uint8 are defined, so they throw instead of meaning "default dtype"
      expect(() => torch.zeros([2], { dtype: torch.float64 as never })).toThrow(/float64 is not supported/);
      expect(() => torch.zeros([2], { dtype: torch.double as never })).toThrow(/float64 is not supported/);
      expect(() => torch.tensor([1], { dtype: torch.uint8 as never })).toThrow(/tensor: uint8 is not supported: .*use 'int32'/);
      expect(() => x.to(torch.int16 as never)).toThrow(/to: int16 is not supported/);
    });
  });
}
