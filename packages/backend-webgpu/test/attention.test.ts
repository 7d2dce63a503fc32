/**
 * The WebGPU backend's fused attention (attention.ts, through core's fusedAttention) against the
 * composite math on the same backend, forward and gradients in q, k and v: sequence lengths
 * across the 64-key chunk, head sizes with Dv != D, additive -Infinity masks of several shapes,
 * causal, permuted (strided) inputs, and a row whose keys are all masked (NaN, as softmax gives).
 * Sizes stay small: SwiftShader is a CPU emulator.
 */
import * as torch from '@torchlet/core';
import { removeBackendInstance, type Tensor } from '@torchlet/core';
import '@torchlet/autograd';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import '../src/index.ts'; // registers 'webgpu'

beforeAll(async () => {
  await torch.setBackend('webgpu');
  torch.manualSeed(7);
});
afterAll(() => removeBackendInstance('webgpu'));

async function maxDiff(a: Tensor, b: Tensor): Promise<number> {
  expect(a.shape).toEqual(b.shape);
  const [x, y] = await Promise.all([a.data(), b.data()]);
  let m = 0;
  for (let i = 0; i < x.length; i++) {
    const d = Math.abs(x[i]! - y[i]!);
    if (!(d <= m)) m = Number.isNaN(d) ? Infinity : d;
  }
  return m;
}

/** The composite reference: softmax(q k^T * scale + mask) v from core ops. */
function reference(q: Tensor, k: Tensor, v: Tensor, mask: Tensor | null, causal: boolean, scale: number): Tensor {
  let s = q.matmul(k.transpose(-2, -1)).mul(scale);
  if (mask) s = s.add(mask);
  if (causal) {
    const L = q.shape[q.ndim - 2]!, S = k.shape[k.ndim - 2]!;
    s = torch.where(torch.ones([L, S], { dtype: 'bool' }).triu(1), -Infinity, s);
  }
  return torch.softmax(s, -1).matmul(v);
}

interface Case {
  B: number; H: number; L: number; S: number; D: number; Dv?: number;
  mask?: 'LS' | 'keyPadding' | 'full'; causal?: boolean; permuted?: boolean;
}

/** Both paths on one case: outputs and the gradients of sum(out * w) agree within `tol`. */
async function compare(c: Case, tol = 2e-5): Promise<void> {
  const { B, H, L, S, D } = c;
  const Dv = c.Dv ?? D;
  const scale = 1 / Math.sqrt(D);
  const make = (seq: number, d: number): Tensor => (c.permuted ? torch.randn([B, seq, H, d]).permute([0, 2, 1, 3]) : torch.randn([B, H, seq, d]));
  const q0 = make(L, D), k0 = make(S, D), v0 = make(S, Dv);
  let mask: Tensor | null = null;
  if (c.mask === 'LS') mask = torch.where(torch.rand([L, S]).lt(0.3), -Infinity, torch.randn([L, S]));
  if (c.mask === 'keyPadding') mask = torch.where(torch.rand([B, 1, 1, S]).lt(0.4), -Infinity, 0);
  if (c.mask === 'full') mask = torch.randn([B, H, L, S]);
  // Keep key 0 visible in every row.
  if (mask) mask = torch.cat([torch.zeros([...mask.shape.slice(0, -1), 1]), mask.narrow(-1, 1, S - 1)], -1);
  const w = torch.randn([B, H, L, Dv]);
  const run = (fused: boolean): Tensor[] => {
    const [q, k, v] = [q0, k0, v0].map((t) => t.detach().requiresGrad_());
    expect(torch.canFuseAttention(q!, k!, v!, mask)).toBe(true);
    const out = fused ? torch.fusedAttention(q!, k!, v!, { mask, isCausal: c.causal ?? false, scale }) : reference(q!, k!, v!, mask, c.causal ?? false, scale);
    if (fused) expect(out.gradFn?.name).toBe('AttentionBackward');
    out.mul(w).sum().backward();
    return [out, q!.grad!, k!.grad!, v!.grad!];
  };
  const got = run(true), want = run(false);
  for (const [i, name] of ['out', 'dq', 'dk', 'dv'].entries()) {
    expect(await maxDiff(got[i]!, want[i]!), `${name} ${JSON.stringify(c)}`).toBeLessThan(tol);
  }
}

describe('fused attention (webgpu) vs composite', () => {
  it('matches across the 64-key chunk, with Dv != D', async () => {
    await compare({ B: 2, H: 3, L: 5, S: 7, D: 8 });
    await compare({ B: 1, H: 2, L: 67, S: 70, D: 16 });
    await compare({ B: 1, H: 2, L: 9, S: 3, D: 6, Dv: 5 });
    // Short rows (16-thread workgroups) with more columns than threads.
    await compare({ B: 1, H: 2, L: 5, S: 6, D: 40, Dv: 36 });
  });

  it('matches with additive -Infinity masks of several shapes, and causal', async () => {
    await compare({ B: 2, H: 2, L: 9, S: 70, D: 8, mask: 'LS' });
    await compare({ B: 3, H: 2, L: 13, S: 17, D: 8, mask: 'keyPadding' });
    await compare({ B: 1, H: 2, L: 19, S: 23, D: 16, mask: 'full' });
    await compare({ B: 1, H: 2, L: 70, S: 70, D: 8, causal: true });
  });

  it('takes strided (permuted) q, k, v', async () => {
    await compare({ B: 2, H: 3, L: 17, S: 29, D: 16, permuted: true, mask: 'keyPadding' });
  });

  it('packs its read-only operands into one scratch buffer on a device with few storage bindings', async () => {
    // Backward binds q, k, v, mask, gradOut, out, lse and a gradient: 9 with the meta. At 5 the
    // read-only ones are copied into one buffer first (copyBufferToBuffer, not a dispatch).
    const backend = torch.getBackend() as unknown as { storageBindings: number };
    const limit = backend.storageBindings;
    backend.storageBindings = 5;
    try {
      await compare({ B: 2, H: 2, L: 6, S: 9, D: 8, mask: 'keyPadding', permuted: true });
    } finally {
      backend.storageBindings = limit;
    }
  });

  it('gives NaN for a row whose keys are all masked, as softmax does', async () => {
    const q = torch.randn([1, 1, 2, 4]), k = torch.randn([1, 1, 3, 4]), v = torch.randn([1, 1, 3, 4]);
    const mask = torch.tensor([[0, 0, -Infinity], [-Infinity, -Infinity, -Infinity]]).reshape([1, 1, 2, 3]);
    const out = await torch.fusedAttention(q, k, v, { mask }).data();
    expect(Array.from(out.subarray(0, 4)).every(Number.isFinite)).toBe(true);
    expect(Array.from(out.subarray(4)).every(Number.isNaN)).toBe(true);
  });
});
