/**
 * The wasm backend's fused attention (core's fusedAttention, recorded as the `attention`
 * primitive) against the composite math, forward and gradients in q, k and v: odd sequence
 * lengths (not multiples of the 64-key block), several head sizes, additive masks with -Infinity,
 * causal, strided (permuted) inputs, and a long sequence whose memory stays below one L x S matrix.
 */
import '@torchlet/backend-wasm';
import '@torchlet/autograd';
import * as torch from '@torchlet/core';
import type { Tensor } from '@torchlet/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { MultiheadAttention, scaledDotProductAttention } from '../src/index.ts';

beforeAll(async () => {
  await torch.setBackend('wasm');
  torch.manualSeed(7);
});

function maxDiff(a: Tensor, b: Tensor): number {
  expect(a.shape).toEqual(b.shape);
  const x = a.dataSync(), y = b.dataSync();
  let m = 0;
  for (let i = 0; i < x.length; i++) {
    const d = Math.abs(x[i]! - y[i]!);
    if (!(d <= m)) m = Number.isNaN(d) ? Infinity : d;
  }
  return m;
}

/** The composite reference: softmax(q k^T * scale + mask) v from core ops. */
function reference(q: Tensor, k: Tensor, v: Tensor, mask: Tensor | null, causal: boolean, scale: number): Tensor {
  return torch.tidy(() => {
    let s = q.matmul(k.transpose(-2, -1)).mul(scale);
    if (mask) s = s.add(mask);
    if (causal) {
      const L = q.shape[q.ndim - 2]!, S = k.shape[k.ndim - 2]!;
      s = torch.where(torch.ones([L, S], { dtype: 'bool' }).triu(1), -Infinity, s);
    }
    return torch.softmax(s, -1).matmul(v);
  });
}

interface Case {
  B: number; H: number; L: number; S: number; D: number; Dv?: number;
  mask?: 'none' | 'LS' | 'keyPadding' | 'full'; causal?: boolean; permuted?: boolean;
}

/** Runs one case through both paths and compares outputs and the gradients of sum(out * w). */
function compare(c: Case, tol = 2e-5): void {
  const { B, H, L, S, D } = c;
  const Dv = c.Dv ?? D;
  const scale = 1 / Math.sqrt(D);
  torch.tidy(() => {
    // Permuted inputs: [B, L, H, D] storage viewed as [B, H, L, D] (what MultiheadAttention passes).
    const make = (seq: number, d: number): Tensor =>
      c.permuted ? torch.randn([B, seq, H, d]).permute([0, 2, 1, 3]) : torch.randn([B, H, seq, d]);
    const q0 = make(L, D), k0 = make(S, D), v0 = make(S, Dv);
    let mask: Tensor | null = null;
    if (c.mask === 'LS') mask = torch.where(torch.rand([L, S]).lt(0.3), -Infinity, torch.randn([L, S]));
    if (c.mask === 'keyPadding') mask = torch.where(torch.rand([B, 1, 1, S]).lt(0.4), -Infinity, 0);
    if (c.mask === 'full') mask = torch.randn([B, H, L, S]);
    // Keep at least one key per row visible: key 0 is never masked.
    if (mask) mask = torch.cat([torch.zeros([...mask.shape.slice(0, -1), 1]), mask.narrow(-1, 1, S - 1)], -1);
    const w = torch.randn([B, H, L, Dv]);
    const run = (fused: boolean): Tensor[] => {
      const [q, k, v] = [q0, k0, v0].map((t) => t.detach().requiresGrad_());
      expect(torch.canFuseAttention(q!, k!, v!, mask)).toBe(true);
      const out = fused
        ? torch.fusedAttention(q!, k!, v!, { mask, isCausal: c.causal ?? false, scale })
        : reference(q!, k!, v!, mask, c.causal ?? false, scale);
      if (fused) expect(out.gradFn?.name).toBe('AttentionBackward');
      out.mul(w).sum().backward();
      return [out, q!.grad!, k!.grad!, v!.grad!];
    };
    const got = run(true), want = run(false);
    if (c.permuted) {
      // Laid out as their operands: heads merge back ([B, L, H, D]) without a copy.
      got.forEach((t, i) => expect(t.permute([0, 2, 1, 3]).isContiguous(), `${['out', 'dq', 'dk', 'dv'][i]} merged heads contiguous`).toBe(true));
    }
    ['out', 'dq', 'dk', 'dv'].forEach((name, i) => {
      expect(maxDiff(got[i]!, want[i]!), `${name} ${JSON.stringify(c)}`).toBeLessThan(tol);
    });
  });
}

describe('fused attention (wasm) vs composite', () => {
  it('matches on odd sizes and head sizes 8, 16, 64', () => {
    compare({ B: 2, H: 3, L: 5, S: 7, D: 8 });
    compare({ B: 1, H: 2, L: 67, S: 130, D: 16 });
    compare({ B: 2, H: 1, L: 33, S: 65, D: 64 });
    compare({ B: 1, H: 2, L: 9, S: 3, D: 6, Dv: 5 }); // scalar tails of every vector loop
  });

  it('matches with additive -Infinity masks of several shapes, and causal', () => {
    compare({ B: 2, H: 2, L: 70, S: 70, D: 16, mask: 'LS' });
    compare({ B: 3, H: 2, L: 13, S: 77, D: 8, mask: 'keyPadding' });
    compare({ B: 1, H: 2, L: 19, S: 23, D: 16, mask: 'full' });
    compare({ B: 2, H: 2, L: 100, S: 100, D: 16, causal: true });
    compare({ B: 1, H: 1, L: 7, S: 131, D: 8, causal: true });
  });

  it('gives NaN rows where a score is NaN and underflows far-below-max scores to 0, as the composite', () => {
    torch.tidy(() => {
      const [B, H, L, S, D] = [1, 2, 9, 70, 8];
      const qv = torch.randn([B, H, L, D]).mul(30).dataSync(); // scores far apart: exp(s - max) < 2^-126
      qv[3 * D + 1] = NaN; // head 0, query row 3
      const q = torch.tensor(Array.from(qv), { dtype: 'float32' }).reshape([B, H, L, D]);
      const k = torch.randn([B, H, S, D]).mul(3), v = torch.randn([B, H, S, D]);
      const fused = torch.fusedAttention(q, k, v).dataSync(), want = reference(q, k, v, null, false, 1 / Math.sqrt(D)).dataSync();
      for (let i = 0; i < want.length; i++) {
        const row = Math.floor(i / D);
        expect(Number.isNaN(fused[i]!), `element ${i}`).toBe(row === 3);
        expect(Number.isNaN(want[i]!), `reference element ${i}`).toBe(row === 3);
        if (row !== 3) expect(Math.abs(fused[i]! - want[i]!), `element ${i}`).toBeLessThan(1e-4 * Math.max(1, Math.abs(want[i]!)));
      }
    });
  });

  it('takes strided (permuted) q, k, v without copies, and lays out out, dq, dk, dv as them', () => {
    compare({ B: 2, H: 4, L: 64, S: 64, D: 32, permuted: true });
    compare({ B: 2, H: 3, L: 17, S: 29, D: 16, permuted: true, mask: 'keyPadding' });
    compare({ B: 1, H: 2, L: 70, S: 9, D: 6, Dv: 5, permuted: true, causal: true }); // scalar tails, two query blocks
  });

  it('rejects outputs whose elements overlap, naming the op', () => {
    const be = torch.getBackend();
    const [B, H, L, D] = [1, 2, 4, 8];
    const view = (t: Tensor) => t.view_();
    const q = torch.randn([B, H, L, D]), lse = torch.empty([B, H, L]);
    const out = torch.empty([B, H, L, D]);
    const overlapping = { ...view(out), strides: [0, 8, 8, 1] }; // heads share rows
    expect(() => be.fused!.attention!(view(q), view(q), view(q), null, overlapping, view(lse), { scale: 1, causal: false })).toThrow(/attention needs outputs whose elements do not overlap/);
    expect(() => be.fused!.attention!(view(q), view(q), view(q), null, view(out), view(torch.empty([B, H, L + 1])), { scale: 1, causal: false })).toThrow(/attention shapes do not agree/);
    const long = torch.randn([B, H, 65, D]), probs = torch.empty([B, H, 65, 65]);
    expect(() => be.fused!.attention!(view(long), view(long), view(long), null, view(torch.empty([B, H, 65, D])), view(torch.empty([B, H, 65])), { scale: 1, causal: false }, view(probs))).toThrow(/attention saves probabilities for up to 64 keys, got 65/);
    expect(() => be.fused!.attention!(view(q), view(q), view(q), null, view(out), view(lse), { scale: 1, causal: false }, view(torch.empty([B, H, L, L + 1])))).toThrow(/attention needs probs as contiguous float32 \[1, 2, 4, 4\]/);
  });

  it('keeps memory below one L x S matrix on a long sequence (L = S = 1024)', () => {
    const B = 1, H = 2, L = 1024, S = 1024, D = 64;
    const backend = torch.getBackend();
    const q = torch.randn([B, H, L, D]).requiresGrad_(), k = torch.randn([B, H, S, D]).requiresGrad_(), v = torch.randn([B, H, S, D]).requiresGrad_();
    const origAlloc = backend.alloc.bind(backend), origFree = backend.free.bind(backend);
    const sizes = new Map<number, number>();
    let live = 0, peak = 0, largest = 0;
    backend.alloc = (bytes: number) => {
      const id = origAlloc(bytes);
      sizes.set(id, bytes);
      live += bytes;
      peak = Math.max(peak, live);
      largest = Math.max(largest, bytes);
      return id;
    };
    backend.free = (id: number) => {
      live -= sizes.get(id) ?? 0;
      sizes.delete(id);
      origFree(id);
    };
    let out: Tensor;
    try {
      out = torch.fusedAttention(q, k, v, { isCausal: true });
      out.sum().backward();
    } finally {
      backend.alloc = origAlloc;
      backend.free = origFree;
    }
    // One head's score matrix alone would be L * S * 4 = 4 MiB; all of q, k, v, out and the three
    // gradients together are 7 * 512 KiB.
    expect(largest).toBeLessThan(L * S * 4);
    expect(peak).toBeLessThan(8 * B * H * L * D * 4);
    const want = reference(q.detach(), k.detach(), v.detach(), null, true, 1 / 8);
    expect(maxDiff(out, want)).toBeLessThan(2e-5);
    for (const t of [out, want, q, k, v]) t.dispose();
  });

  it('with createGraph, differentiates its own gradient (composite backward)', () => {
    torch.tidy(() => {
      const q = torch.randn([1, 2, 5, 8]).requiresGrad_(), k = torch.randn([1, 2, 6, 8]).requiresGrad_(), v = torch.randn([1, 2, 6, 8]);
      const g1 = (fused: boolean): Tensor[] => {
        const out = fused ? torch.fusedAttention(q, k, v) : reference(q, k, v, null, false, 1 / Math.sqrt(8));
        out.pow(2).sum().backward(undefined, { createGraph: true });
        const gq = q.grad!;
        q.grad = null;
        k.grad = null;
        gq.pow(2).sum().backward();
        const r = [gq.detach(), q.grad!, k.grad!];
        q.grad = null;
        k.grad = null;
        return r;
      };
      const got = g1(true), want = g1(false);
      for (let i = 0; i < 3; i++) expect(maxDiff(got[i]!, want[i]!)).toBeLessThan(1e-4);
    });
  });
});

describe('fusedAttentionQkv: q, k, v stacked in one input', () => {
  it('gives the bits of fusedAttention on the three views, and one gradient laid out like its input', () => {
    torch.tidy(() => {
      const mask = torch.where(torch.rand([13, 13]).lt(0.3), -Infinity, torch.randn([13, 13])).narrow(-1, 1, 12);
      const kpm = torch.cat([torch.zeros([13, 1]), mask], -1); // key 0 always visible
      for (const m of [null, kpm]) {
        const x0 = torch.randn([2, 13, 3, 3, 8]);
        const w = torch.randn([2, 3, 13, 8]);
        const run = (stacked: boolean): Tensor[] => {
          const x = x0.detach().requiresGrad_();
          const qkv = x.permute([2, 0, 3, 1, 4]);
          const out = stacked
            ? torch.fusedAttentionQkv(qkv, { mask: m })
            : torch.fusedAttention(qkv.select(0, 0), qkv.select(0, 1), qkv.select(0, 2), { mask: m });
          if (stacked) expect(out.gradFn?.name).toBe('AttentionQkvBackward');
          out.mul(w).sum().backward();
          return [out, x.grad!];
        };
        const got = run(true), want = run(false);
        expect(maxDiff(got[0]!, want[0]!), 'out').toBe(0);
        expect(maxDiff(got[1]!, want[1]!), 'grad').toBe(0);
        expect(got[1]!.isContiguous(), 'gradient in the input layout').toBe(true);
      }
    });
  });

  it('falls back to the three views where the kernel does not apply, and with createGraph', () => {
    torch.tidy(() => {
      const x = torch.randn([1, 5, 3, 2, 4]).requiresGrad_();
      const qkv = x.permute([2, 0, 3, 1, 4]);
      const maskWithGrad = torch.zeros([5, 5]).requiresGrad_();
      const out = torch.fusedAttentionQkv(qkv, { mask: maskWithGrad });
      expect(out.gradFn?.name).not.toBe('AttentionQkvBackward');
      const ref = reference(qkv.select(0, 0), qkv.select(0, 1), qkv.select(0, 2), maskWithGrad, false, 0.5);
      expect(maxDiff(out, ref)).toBeLessThan(2e-5);
      // createGraph: the composite backward, stacked, differentiable again.
      x.grad = null;
      const g1 = (stacked: boolean): Tensor[] => {
        const s = x.permute([2, 0, 3, 1, 4]);
        const o = stacked ? torch.fusedAttentionQkv(s) : reference(s.select(0, 0), s.select(0, 1), s.select(0, 2), null, false, 0.5);
        o.pow(2).sum().backward(undefined, { createGraph: true });
        const gx = x.grad!;
        x.grad = null;
        gx.pow(2).sum().backward();
        const r = [gx.detach(), x.grad!];
        x.grad = null;
        return r;
      };
      const got = g1(true), want = g1(false);
      for (let i = 0; i < 2; i++) expect(maxDiff(got[i]!, want[i]!)).toBeLessThan(1e-4);
    });
  });

  it('rejects a qkv that is not (3, ..., L, E), naming the op', () => {
    expect(() => torch.fusedAttentionQkv(torch.zeros([2, 4, 8]))).toThrow(/fusedAttentionQkv: expected qkv of shape \(3, \.\.\., L, E\)/);
    expect(() => torch.fusedAttentionQkv(torch.zeros([3, 4, 8], { dtype: 'int32' }))).toThrow(/fusedAttentionQkv/);
  });
});

describe('scaledDotProductAttention and MultiheadAttention on the fused path', () => {
  it('scaledDotProductAttention records the fused primitive with bool masks and causal', () => {
    torch.tidy(() => {
      const q = torch.randn([2, 4, 10, 8]).requiresGrad_(), k = torch.randn([2, 4, 12, 8]), v = torch.randn([2, 4, 12, 8]);
      const boolMask = torch.rand([10, 12]).lt(0.3).logicalAnd(torch.arange(0, 12).gt(0));
      const out = scaledDotProductAttention(q, k, v, { attnMask: boolMask });
      expect(out.gradFn?.name).toBe('AttentionBackward');
      expect(maxDiff(out, reference(q, k, v, torch.where(boolMask, -Infinity, 0), false, 1 / Math.sqrt(8)))).toBeLessThan(2e-5);
      expect(scaledDotProductAttention(q, k, v, { dropoutP: 0.5 }).gradFn?.name).not.toBe('AttentionBackward');
    });
  });

  it('MultiheadAttention without weights matches its composite output and gradients', () => {
    torch.tidy(() => {
      const mha = new MultiheadAttention(32, 4, { batchFirst: true });
      const x = torch.randn([3, 11, 32]);
      const kpm = torch.tensor([[false, false, false, false, false, false, false, false, false, false, true], [false, ...Array(10).fill(true)], Array(11).fill(false)], { dtype: 'bool' });
      const grads = (needWeights: boolean): Tensor[] => {
        for (const p of mha.parameters()) p.grad = null;
        const [y] = mha.forward(x, x, x, { keyPaddingMask: kpm, needWeights });
        y.pow(2).sum().backward();
        return [y, ...mha.parameters().map((p) => p.grad!)];
      };
      const fused = grads(false), composite = grads(true);
      fused.forEach((t, i) => expect(maxDiff(t, composite[i]!)).toBeLessThan(1e-4));
    });
  });
});
