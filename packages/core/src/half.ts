/**
 * Host conversions between float32 and the 2-byte float formats, bit for bit as PyTorch's
 * c10::Half (the FP16 library) and c10::BFloat16 do them: round to nearest even, overflow to
 * infinity, subnormals exact; a NaN becomes the quiet NaN 0x7e00 (with its sign) in float16 and
 * 0xffff in bfloat16 (what PyTorch's `.half()` and `.bfloat16()` write; its scalar constructor
 * writes 0x7fc0 for a bfloat16 NaN, a difference only a bit comparison sees). The wasm copy kernel (backend-wasm/assembly/copy.ts) and the WebGPU
 * loaders use the same arithmetic; tests compare all three with PyTorch.
 *
 * The functions work on float32 bit patterns (Uint32Array views), never on JavaScript numbers,
 * so NaN payloads and -0 survive.
 */

/** float32 bits -> IEEE binary16 bits. */
export function f32BitsToHalf(x: number): number {
  const sign = (x >>> 16) & 0x8000;
  const a = x & 0x7fffffff;
  if (a > 0x7f800000) return sign | 0x7e00;
  if (a >= 0x47800000) return sign | 0x7c00; // >= 65536 or infinity
  if (a < 0x38800000) {
    // subnormal (or zero): a * 2^24 rounded half to even; the product is exact in float64
    const v = BITS.f32(a) * 16777216;
    let r = Math.round(v);
    if (r - v === 0.5 && r % 2 === 1) r -= 1;
    return sign | r;
  }
  const r = a - 0x38000000;
  return sign | ((r + 0xfff + ((r >>> 13) & 1)) >>> 13);
}

/** IEEE binary16 bits -> float32 bits (exact; a NaN comes out quiet with its payload). */
export function halfToF32Bits(h: number): number {
  const sign = (h & 0x8000) << 16;
  const exp = (h >>> 10) & 0x1f;
  const man = h & 0x3ff;
  if (exp === 0x1f) return (sign | 0x7f800000 | (man << 13) | (man !== 0 ? 0x400000 : 0)) >>> 0;
  if (exp !== 0) return (sign | ((exp + 112) << 23) | (man << 13)) >>> 0;
  return (BITS.bits(man * 2 ** -24) | sign) >>> 0; // zero or subnormal: exact in float32
}

/** float32 bits -> bfloat16 bits (the top half, rounded to nearest even). */
export function f32BitsToBf16(x: number): number {
  if ((x & 0x7fffffff) > 0x7f800000) return 0xffff;
  return ((x >>> 0) + 0x7fff + ((x >>> 16) & 1)) >>> 16;
}

/** bfloat16 bits -> float32 bits (exact: the bits are the top half). */
export function bf16ToF32Bits(h: number): number {
  return (h << 16) >>> 0;
}

/**
 * float32 values -> float16 or bfloat16 bit patterns.
 *
 * @example
 * ```ts
 * const bits = torch.encodeHalf('float16', new Float32Array([1, 0.1]));   // round to nearest even, as PyTorch
 * console.log(Array.from(bits, (b) => b.toString(16)));   // ['3c00', '2e66']
 * ```
 */
export function encodeHalf(dtype: 'float16' | 'bfloat16', values: Float32Array): Uint16Array {
  const w = new Uint32Array(values.buffer, values.byteOffset, values.length);
  const out = new Uint16Array(values.length);
  const f = dtype === 'float16' ? f32BitsToHalf : f32BitsToBf16;
  for (let i = 0; i < w.length; i++) out[i] = f(w[i]!);
  return out;
}

/**
 * float16 or bfloat16 bit patterns -> float32 values (exact).
 *
 * @example
 * ```ts
 * console.log(Array.from(torch.decodeHalf('bfloat16', new Uint16Array([0x3f80, 0x4000]))));   // [1, 2]
 * ```
 */
export function decodeHalf(dtype: 'float16' | 'bfloat16', bits: Uint16Array): Float32Array {
  const w = new Uint32Array(bits.length);
  const f = dtype === 'float16' ? halfToF32Bits : bf16ToF32Bits;
  for (let i = 0; i < bits.length; i++) w[i] = f(bits[i]!);
  return new Float32Array(w.buffer);
}

/** One-element scratch for moving between a float32's value and its bits. */
const BITS = (() => {
  const f = new Float32Array(1);
  const u = new Uint32Array(f.buffer);
  return {
    f32(bits: number): number {
      u[0] = bits;
      return f[0]!;
    },
    bits(value: number): number {
      f[0] = value;
      return u[0]!;
    },
  };
})();
