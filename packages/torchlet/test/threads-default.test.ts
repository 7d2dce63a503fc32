// The wasm backend uses every core by default ('auto': Node and Deno, cross-origin isolated
// pages). The pool only changes which thread computes which rows or (batch, head) pairs, never
// the order of any sum, so training with the default is bit for bit training with `threads: 1`.
import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import { createWasmBackend, type WasmBackend } from '@torchlet/backend-wasm';
import * as torch from '../src/index.ts';

const { optim, F } = torch;

torch.registerBackend('wasm-default', () => createWasmBackend());
torch.registerBackend('wasm-one-thread', () => createWasmBackend({ threads: 1 }));

/** Losses and final parameters of three Adam steps of an encoder layer on backend `name`. */
async function train(name: string): Promise<{ threads: number; variant: string; losses: number[]; params: Float32Array[] }> {
  const backend = (await torch.setBackend(name)) as WasmBackend;
  torch.manualSeed(0);
  // Big enough that its products (in_proj: 128 x 64 x 192) and attention passes (16 (batch,
  // head) pairs) pass the pool's default parallelThreshold.
  const layer = new torch.TransformerEncoderLayer(64, 4, { dimFeedforward: 128, dropout: 0, batchFirst: true });
  const opt = new optim.Adam(layer.parameters(), { lr: 1e-3 });
  const x = torch.randn([4, 32, 64]), target = torch.randn([4, 32, 64]);
  const losses: number[] = [];
  for (let i = 0; i < 3; i++) {
    opt.zeroGrad();
    const loss = F.mseLoss(layer.forward(x), target);
    loss.backward();
    opt.step();
    losses.push(loss.dataSync()[0]!);
  }
  const params = layer.parameters().map((p) => p.dataSync() as Float32Array);
  backend.destroy();
  return { threads: backend.threads, variant: backend.variant, losses, params };
}

describe('wasm threads by default', () => {
  it("defaults to 'auto' (this machine's cores, at most 8) and trains bit for bit as threads: 1", async () => {
    const a = await train('wasm-default'), b = await train('wasm-one-thread');
    expect(a.threads).toBe(Math.max(1, Math.min(8, availableParallelism())));
    expect(b.threads).toBe(1);
    expect(a.variant).toBe(b.variant);
    expect(a.losses).toEqual(b.losses);
    expect(a.params.length).toBe(b.params.length);
    a.params.forEach((p, i) => expect(p, `parameter ${i}`).toEqual(b.params[i]));
  });
});
