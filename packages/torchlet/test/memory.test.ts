// Memory stays flat: what tidy() creates, it frees, and the WASM allocator reuses freed blocks
// so linear memory does not grow.
import { beforeAll, expect, it } from 'vitest';
import * as torch from '../src/index.ts';

beforeAll(async () => {
  await torch.setBackend('wasm');
});

function reserved(): number {
  return torch.memory().backends.wasm?.reservedBytes ?? 0;
}

it('100,000 small ops inside tidy leave memory() and the WASM memory size flat', () => {
  const w = torch.randn([8, 8]);
  const x = torch.randn([4, 8]);
  // Warm up so the allocator has seen every size once.
  torch.tidy(() => x.matmul(w).relu().add(1).sum());
  const before = torch.memory();
  const wasmBefore = reserved();
  let ops = 0;
  for (let i = 0; i < 10_000; i++) {
    torch.tidy(() => {
      const h = x.matmul(w); // 1
      const a = h.relu().mul(0.5).add(h.sigmoid()); // 4
      const s = a.sum({ dim: 1 }).sub(a.mean()).exp(); // 4
      return s.max(); // 1
    }).dispose();
    ops += 10;
  }
  expect(ops).toBe(100_000);
  const after = torch.memory();
  expect(after.tensors).toBe(before.tensors);
  expect(after.buffers).toBe(before.buffers);
  expect(after.bytes).toBe(before.bytes);
  expect(reserved()).toBe(wasmBefore);
});

it('views, keep() and nested tidy release exactly once', () => {
  const before = torch.memory();
  const kept = torch.tidy(() => {
    const a = torch.ones([16]);
    const inner = torch.tidy(() => a.reshape([4, 4]).t().contiguous());
    return torch.keep(inner.flip(0));
  });
  expect(torch.memory().tensors).toBe(before.tensors + 1);
  kept.dispose();
  kept.dispose(); // idempotent
  const after = torch.memory();
  expect(after.tensors).toBe(before.tensors);
  expect(after.bytes).toBe(before.bytes);
});

it('async tidy disposes after the promise settles', async () => {
  const before = torch.memory().tensors;
  const r = await torch.tidy(async () => {
    const a = torch.ones([3]).mul(2);
    await Promise.resolve();
    return a.add(1);
  });
  expect(torch.memory().tensors).toBe(before + 1);
  expect(Array.from(await r.data())).toEqual([3, 3, 3]);
  r.dispose();
  expect(torch.memory().tensors).toBe(before);
});
