// Step scopes: a loop written as in PyTorch (no tidy, no dispose, no await between steps) holds
// memory flat, because optimizer.step() and each DataLoader batch free what was created two
// steps earlier and not kept; a freed tensor throws an error that names the scope and the fix.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import * as torch from '../src/index.ts';

const { nn, optim, F, datasets } = torch;

beforeAll(async () => {
  await torch.setBackend('wasm');
});
afterEach(() => torch.setStepScopes(true));

function literalStep(net: torch.nn.Module & { forward(x: torch.Tensor): torch.Tensor }, opt: torch.optim.SGD, x: torch.Tensor, y: torch.Tensor): torch.Tensor {
  opt.zeroGrad();
  const loss = F.crossEntropy(net.forward(x), y);
  loss.backward();
  opt.step();
  return loss;
}

describe('step scopes', () => {
  it('hold a literal training loop flat and keep parameters, gradients and optimizer state', async () => {
    torch.manualSeed(0);
    const net = new nn.Sequential(new nn.Linear(6, 16), new nn.ReLU(), new nn.Linear(16, 3));
    const opt = new optim.Adam(net.parameters(), { lr: 0.01 });
    const x = torch.randn([8, 6]);
    const y = torch.tensor([0, 1, 2, 0, 1, 2, 0, 1], { dtype: 'int32' });
    const first = await literalStep(net, opt as unknown as torch.optim.SGD, x, y).item();
    for (let i = 0; i < 3; i++) literalStep(net, opt as unknown as torch.optim.SGD, x, y);
    const before = torch.memory();
    let loss = x;
    for (let i = 0; i < 100; i++) loss = literalStep(net, opt as unknown as torch.optim.SGD, x, y);
    const after = torch.memory();
    expect(after.tensors).toBe(before.tensors);
    expect(after.bytes).toBe(before.bytes);
    expect(after.backends.wasm!.reservedBytes).toBe(before.backends.wasm!.reservedBytes);
    expect(after.steps.boundaries - before.steps.boundaries).toBe(100);
    expect(after.steps.freed).toBeGreaterThan(before.steps.freed);
    // The last step's loss is alive (freed two steps later), and training worked.
    expect(Number(await loss.item())).toBeLessThan(Number(first));
  });

  it('free a tensor two steps of the same optimizer later, with an error naming the scope and torch.keep', () => {
    const w = torch.zeros([2]).requiresGrad_();
    const opt = new optim.SGD([w], { lr: 0.1 });
    const step = (): torch.Tensor => {
      const loss = w.sub(1).pow(2).sum();
      loss.backward();
      opt.step();
      return loss;
    };
    step(); // the first boundary: what came before is setup, never freed
    const a = step(); // created in the scope that boundary #1 opened
    expect(a.dataSync()[0]).toBeGreaterThan(0); // alive after its own step, until the next one ends
    const kept = torch.keep(step());
    expect(a.isDisposed).toBe(true);
    expect(() => a.add(1)).toThrow(/freed by the step scope that SGD\.step\(\) #1 opened.*torch\.keep\(t\).*setStepScopes\(false\)/);
    for (let i = 0; i < 3; i++) step();
    expect(kept.isDisposed).toBe(false);
    expect(w.isDisposed).toBe(false);
    expect(w.grad!.isDisposed).toBe(false);
    kept.dispose();
  });

  it('spare tensors stored on module fields, and are off after setStepScopes(false)', () => {
    class Cache extends nn.Module {
      last: torch.Tensor | null = null;
      forward(x: torch.Tensor): torch.Tensor {
        this.last = x.mul(2);
        return this.last;
      }
    }
    const m = new Cache();
    const w = torch.ones([2]).requiresGrad_();
    const opt = new optim.SGD([w], { lr: 0.1 });
    opt.step();
    m.forward(torch.ones([2]));
    const stored = m.last!;
    for (let i = 0; i < 3; i++) opt.step();
    expect(stored.isDisposed).toBe(false);
    expect(Array.from(stored.dataSync())).toEqual([2, 2]);
    stored.dispose();

    torch.setStepScopes(false);
    const t = torch.ones([3]);
    for (let i = 0; i < 3; i++) opt.step();
    expect(t.isDisposed).toBe(false);
    expect(torch.memory().steps.enabled).toBe(false);
    t.dispose();
  });

  it('free DataLoader batches the consumer never disposes, and what came from them', async () => {
    const xs = torch.randn([64, 4]);
    const ys = torch.randint(0, 2, [64]);
    const loader = new datasets.DataLoader(new datasets.TensorDataset(xs, ys), { batchSize: 8 });
    const counts: number[] = [];
    for (let epoch = 0; epoch < 3; epoch++) {
      for await (const [x] of loader) {
        x!.relu().sum(); // not disposed
        counts.push(torch.memory().tensors);
      }
    }
    // Flat after warm-up: the tensors of batch b are freed at batch b + 2.
    expect(new Set(counts.slice(4)).size).toBe(1);
    expect(xs.isDisposed).toBe(false);
  });
});
