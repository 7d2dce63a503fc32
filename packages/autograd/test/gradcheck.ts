/**
 * A finite-difference gradient checker with a float64 reference in plain TypeScript: for ops the
 * PyTorch case files do not cover. `ref` computes the same function as the torchlet expression
 * on float64 arrays; central differences of `sum(ref(x) * upstream)` give the expected gradient,
 * which the torchlet gradient (float32) must match.
 */
import { expect } from 'vitest';
import * as torch from '@torchlet/core';
import { gradOf } from '../src/index.ts';

export interface GradCase {
  name: string;
  inputs: Array<{ shape: number[]; data: number[] }>;
  /** The torchlet expression. */
  f: (...xs: torch.Tensor[]) => torch.Tensor;
  /** The same function in float64 over flat row-major arrays; returns the flat output. */
  ref: (...xs: Float64Array[]) => Float64Array;
  rtol?: number;
  atol?: number;
}

export function checkGradient(c: GradCase): void {
  torch.tidy(() => {
    const xs = c.inputs.map((i) => torch.fromArray(Float32Array.from(i.data), i.shape, { requiresGrad: true }));
    const y = c.f(...xs);
    const upstream = Float64Array.from({ length: y.numel() }, (_, k) => 1 + ((k * 7) % 5) / 4);
    const loss = y.mul(torch.fromArray(Float32Array.from(upstream), y.shape)).sum();
    const grads = gradOf(loss, xs, { allowUnused: true });
    // Reference: the float32 inputs, widened exactly, differentiated in float64.
    const base = c.inputs.map((i) => Float64Array.from(Float32Array.from(i.data)));
    const L = (args: Float64Array[]): number => c.ref(...args).reduce((s, v, k) => s + v * upstream[k]!, 0);
    const h = 1e-6;
    base.forEach((arr, which) => {
      const got = grads[which]!.dataSync();
      for (let k = 0; k < arr.length; k++) {
        const plus = base.map((a) => Float64Array.from(a)), minus = base.map((a) => Float64Array.from(a));
        plus[which]![k]! += h;
        minus[which]![k]! -= h;
        const want = (L(plus) - L(minus)) / (2 * h);
        const tol = (c.atol ?? 1e-4) + (c.rtol ?? 1e-4) * Math.abs(want);
        expect(Math.abs(got[k]! - want), `${c.name}: d/d input ${which} [${k}] = ${got[k]} (float64 finite difference ${want})`).toBeLessThanOrEqual(tol);
      }
    });
  });
}

/** Element-wise map of a float64 array. */
export const map1 = (f: (x: number) => number) => (x: Float64Array): Float64Array => x.map(f);
