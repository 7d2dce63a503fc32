/**
 * Dynamic int8 quantisation on both backends (wasm: the SIMD int8 kernel; core's reference
 * backend: the composite). Outputs must stay within the quantisation error bound computed from
 * the scales, not a loose tolerance.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as torch from '@torchlet/core';
import '@torchlet/backend-wasm';
import { createReferenceBackend } from '../../core/test/reference-backend.ts';
import { Conv2d, Linear, ReLU, Sequential, loadSafetensors } from '../src/index.ts';
import { Float16Linear, QuantizedLinear, floatToHalf, halfToFloat, loadQuantized, modelBytes, quantizeDynamic, saveQuantized } from '../src/quantization/index.ts';

torch.registerBackend('reference', () => createReferenceBackend());
let previous: string | null = null;
afterAll(async () => {
  if (previous) await torch.setBackend(previous);
});

/**
 * |y_q - y| per output, from the scales: with x = xq*sx + ex (|ex| <= sx/2) and
 * w = wq*sw + ew (|ew| <= sw/2), x*w - xq*sx*wq*sw = ex*w + x*ew - ex*ew, so
 * |err| <= sum_k |x_k| sw/2 + |w_k| sx/2 + sx*sw/4, plus float32 rounding of the two results.
 */
function bound(x: Float32Array, w: Float32Array, sw: Float32Array, M: number, N: number, K: number, sx: number): Float64Array {
  const out = new Float64Array(M * N);
  for (let m = 0; m < M; m++) for (let n = 0; n < N; n++) {
    let b = 0, mag = 0;
    for (let k = 0; k < K; k++) {
      const xv = Math.abs(x[m * K + k]!), wv = Math.abs(w[n * K + k]!);
      b += xv * sw[n]! / 2 + wv * sx / 2 + sx * sw[n]! / 4;
      mag += xv * wv;
    }
    out[m * N + n] = b + 2 * K * 2 ** -23 * (mag + b) + 1e-6;
  }
  return out;
}

for (const backend of ['wasm', 'reference']) {
  describe(`quantizeDynamic int8 (${backend})`, () => {
    beforeAll(async () => {
      previous ??= torch.getBackendName();
      await torch.setBackend(backend);
      torch.manualSeed(1);
    });

    for (const [M, K, N] of [[5, 37, 11], [64, 784, 128], [3, 16, 2], [8, 1100, 3]] as const) {
      it(`Linear(${K}, ${N}) on a batch of ${M} is within the scale-derived bound`, async () => {
        const lin = new Linear(K, N);
        const x = torch.randn([M, K]).mul(2);
        const yf = torch.noGrad(() => lin.forward(x));
        const q = (await quantizeDynamic(lin)) as QuantizedLinear;
        expect(q).toBeInstanceOf(QuantizedLinear);
        const yq = q.forward(x);
        const xs = (await x.data()) as Float32Array;
        let amax = 0;
        for (const v of xs) amax = Math.max(amax, Math.abs(v));
        const sx = Math.fround(amax / 127);
        const w = q.dequantizedWeight(); // only |w| enters, up to sw/2 it equals the float weight
        const b = bound(xs, w, q.scales, M, N, K, sx);
        const a = await yf.data(), c = await yq.data();
        let worst = 0;
        for (let i = 0; i < a.length; i++) {
          // |w| here is the dequantised weight: add its own half-step to stay a true bound.
          const slack = b[i]! + (K * q.scales[i % N]! / 2) * sx / 2;
          worst = Math.max(worst, Math.abs(a[i]! - c[i]!) / slack);
        }
        expect(worst).toBeLessThanOrEqual(1);
        expect(worst).toBeGreaterThan(0); // it really is quantised
        for (const t of [x, yf, yq]) t.dispose();
        q.dispose();
      });
    }

    it('keeps leading dimensions, handles zero input and bias=false', async () => {
      const q = (await quantizeDynamic(new Linear(20, 4, { bias: false }))) as QuantizedLinear;
      const y = q.forward(torch.zeros([2, 3, 20]));
      expect(y.shape).toEqual([2, 3, 4]);
      expect([...(await y.data())]).toEqual(new Array(24).fill(0));
      y.dispose();
      q.dispose();
    });

    it('quantises the Linears of a Sequential in place, saves I8 + F32 scales, and loads back', async () => {
      const net = new Sequential(new Linear(30, 16), new ReLU(), new Linear(16, 5));
      const x = torch.randn([4, 30]);
      const floatBytes = modelBytes(net);
      await quantizeDynamic(net);
      expect(net.at(0)).toBeInstanceOf(QuantizedLinear);
      expect(Object.keys(net.stateDict())).toEqual(['0.weight_scale', '0.bias', '2.weight_scale', '2.bias']);
      const y = net.forward(x);
      const bytes = await saveQuantized(net);
      expect(modelBytes(net)).toBe(30 * 16 + 16 * 4 * 2 + 16 * 5 + 5 * 4 * 2);
      expect(modelBytes(net)).toBeLessThan(floatBytes * 0.5);
      const other = new Sequential(new Linear(30, 16), new ReLU(), new Linear(16, 5));
      await quantizeDynamic(other);
      loadQuantized(other, bytes);
      expect([...(await other.forward(x).data())]).toEqual([...(await y.data())]);
      // A float model rejects it clearly.
      expect(() => loadSafetensors(bytes)).toThrow(/I8: this is an int8-quantised checkpoint.*quantizeDynamic/);
      expect(() => loadQuantized(new Sequential(new Linear(30, 16), new ReLU(), new Linear(16, 5)), bytes)).toThrow(/call quantizeDynamic\(model\) first/);
      net.dispose();
      other.dispose();
    });

    it('float16 storage: half the bytes, float32 compute, F16 on disk', async () => {
      const lin = new Linear(10, 3);
      const w = (await lin.weight.data()) as Float32Array;
      const h = (await quantizeDynamic(lin, { dtype: 'float16' })) as Float16Linear;
      expect(h.storageBytes()).toBe(2 * 30 + 4 * 3);
      for (let i = 0; i < 30; i++) expect(Math.abs(halfToFloat(h.weightHalf[i]!) - w[i]!)).toBeLessThanOrEqual(Math.abs(w[i]!) * 2 ** -11);
      const net = new Sequential(h);
      const bytes = await saveQuantized(net);
      expect(loadSafetensors(bytes)['0.weight']!.shape).toEqual([3, 10]); // F16 loads as float32
      net.dispose();
    });

    it('unsupported module types are a clear error', async () => {
      await expect(quantizeDynamic(new Sequential(new Linear(2, 2)), { modules: [Conv2d] })).rejects.toThrow(/Conv2d is not supported for dynamic quantisation \(supported: Linear\)/);
      await expect(quantizeDynamic(new Sequential(new Linear(2, 2)), { dtype: 'int4' as never })).rejects.toThrow(/dtype must be/);
    });
  });
}

describe('float16 conversion', () => {
  it('rounds half to even and handles the edges', () => {
    expect(floatToHalf(1)).toBe(0x3c00);
    expect(floatToHalf(65504)).toBe(0x7bff);
    expect(floatToHalf(65520)).toBe(0x7c00);
    expect(floatToHalf(2 ** -24)).toBe(1);
    expect(floatToHalf(-0)).toBe(0x8000);
    expect(halfToFloat(floatToHalf(1 + 2 ** -11))).toBe(1); // tie to even
    expect(halfToFloat(floatToHalf(1 + 3 * 2 ** -11))).toBe(1 + 2 ** -9);
    expect(Number.isNaN(halfToFloat(floatToHalf(NaN)))).toBe(true);
  });
});
