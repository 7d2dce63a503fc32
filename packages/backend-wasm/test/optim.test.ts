// The fused optimizer kernels against PyTorch 1.13's update formulas written out in float32
// (Math.fround after every operation, in PyTorch's order), over several steps and options.
import { describe, expect, it } from 'vitest';
import type { View } from '@torchlet/core';
import { backend, rng } from './helpers.ts';

const f = Math.fround;
const N = 37; // a vector body and a scalar tail

async function buffers(values: Float32Array[]): Promise<{ views: View[]; read: (i: number) => Float32Array }> {
  const b = await backend();
  const views = values.map((v) => {
    const buffer = b.alloc(v.byteLength);
    b.write(buffer, v);
    return { buffer, dtype: 'float32' as const, shape: [v.length], strides: [1], offset: 0 };
  });
  return { views, read: (i) => b.readSync(views[i]!) as Float32Array };
}

function randomVec(seed: number, scale = 1): Float32Array {
  const r = rng(seed);
  return Float32Array.from({ length: N }, () => (r() * 2 - 1) * scale);
}

function close(got: Float32Array, want: Float32Array, what: string): void {
  for (let i = 0; i < want.length; i++) {
    expect(Math.abs(got[i]! - want[i]!), `${what} [${i}]: ${got[i]} vs ${want[i]}`).toBeLessThanOrEqual(2e-7 * Math.max(1, Math.abs(want[i]!)));
  }
}

describe('adamStep', () => {
  for (const o of [
    { weightDecay: 0, decoupledWeightDecay: false, amsgrad: false, maximize: false },
    { weightDecay: 0.1, decoupledWeightDecay: false, amsgrad: true, maximize: false },
    { weightDecay: 0.01, decoupledWeightDecay: true, amsgrad: false, maximize: true },
  ]) {
    it(JSON.stringify(o), async () => {
      const b = await backend();
      const p0 = randomVec(1), m0 = randomVec(7, 0.1), v0 = randomVec(8, 0.01).map(Math.abs), vm0 = Float32Array.from(v0);
      const { views, read } = await buffers([p0, randomVec(2), m0, v0, vm0]);
      const p = Float32Array.from(p0), m = Float32Array.from(m0), v = Float32Array.from(v0), vm = Float32Array.from(vm0);
      const h = { lr: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-8, ...o };
      for (let step = 1; step <= 4; step++) {
        const g = randomVec(10 + step, 2);
        b.write(views[1]!.buffer, g);
        b.fused.adamStep(views[0]!, views[1]!, views[2]!, views[3]!, o.amsgrad ? views[4]! : null, { ...h, step });
        // PyTorch's single-tensor Adam, op by op in float32.
        const bc1 = 1 - h.beta1 ** step, bc2sqrt = Math.sqrt(1 - h.beta2 ** step), stepSize = f(h.lr / bc1);
        for (let i = 0; i < N; i++) {
          let gi = o.maximize ? -g[i]! : g[i]!;
          if (o.decoupledWeightDecay) p[i] = f(p[i]! * f(1 - h.lr * h.weightDecay));
          else if (h.weightDecay) gi = f(gi + f(f(h.weightDecay) * p[i]!));
          m[i] = f(f(m[i]! * f(h.beta1)) + f(gi * f(1 - h.beta1)));
          v[i] = f(f(v[i]! * f(h.beta2)) + f(f(gi * gi) * f(1 - h.beta2)));
          let second = v[i]!;
          if (o.amsgrad) second = vm[i] = Math.max(vm[i]!, v[i]!);
          const denom = f(f(f(Math.sqrt(second)) / f(bc2sqrt)) + f(h.eps));
          p[i] = f(p[i]! + f(-stepSize * f(m[i]! / denom)));
        }
        close(read(0), p, `param after step ${step}`);
        close(read(2), m, `exp_avg after step ${step}`);
        close(read(3), v, `exp_avg_sq after step ${step}`);
      }
    });
  }
});

describe('sgdStep', () => {
  for (const o of [
    { momentum: 0, dampening: 0, weightDecay: 0, nesterov: false, maximize: false },
    { momentum: 0.9, dampening: 0.1, weightDecay: 0.01, nesterov: false, maximize: true },
    { momentum: 0.9, dampening: 0, weightDecay: 0, nesterov: true, maximize: false },
  ]) {
    it(JSON.stringify(o), async () => {
      const b = await backend();
      const p0 = randomVec(3);
      const { views, read } = await buffers([p0, randomVec(4), new Float32Array(N)]);
      const p = Float32Array.from(p0), buf = new Float32Array(N);
      for (let step = 1; step <= 4; step++) {
        const g = randomVec(20 + step, 2);
        b.write(views[1]!.buffer, g);
        b.fused.sgdStep(views[0]!, views[1]!, o.momentum ? views[2]! : null, { lr: 0.1, ...o, firstStep: step === 1 });
        for (let i = 0; i < N; i++) {
          let d = o.maximize ? -g[i]! : g[i]!;
          if (o.weightDecay) d = f(d + f(f(o.weightDecay) * p[i]!));
          if (o.momentum) {
            buf[i] = step === 1 ? d : f(f(buf[i]! * f(o.momentum)) + f(d * f(1 - o.dampening)));
            d = o.nesterov ? f(d + f(buf[i]! * f(o.momentum))) : buf[i]!;
          }
          p[i] = f(p[i]! + f(f(-0.1) * d));
        }
        close(read(0), p, `param after step ${step}`);
      }
    });
  }
  it('rejects strided or mismatched operands', async () => {
    const b = await backend();
    const { views } = await buffers([randomVec(5), randomVec(6)]);
    const strided = { ...views[1]!, shape: [18], strides: [2] };
    expect(() => b.fused.sgdStep(views[0]!, strided, null, { lr: 1, momentum: 0, dampening: 0, weightDecay: 0, nesterov: false, maximize: false, firstStep: true })).toThrow(/sgdStep needs contiguous float32 operands of 37 elements/);
  });
});
