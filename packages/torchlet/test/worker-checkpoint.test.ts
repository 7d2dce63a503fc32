// The checkpoint format of trainInWorker (one safetensors file: the state dicts' tensors, the rest
// as JSON metadata) round-trips a model, an optimizer and the random generator exactly, and bad
// input on either side of the worker boundary fails at once with an error that names it. The
// runs in real workers are packages/conformance's worker-training checks (Node, Deno, Chromium).
import { beforeAll, describe, expect, it } from 'vitest';
import * as torch from '../src/index.ts';
import { checkpointStep, encodeCheckpoint, restoreCheckpoint } from '../src/worker-training/checkpoint.ts';

const { nn, optim, F } = torch;

beforeAll(async () => {
  await torch.setBackend('wasm');
});

function setup(seed: number) {
  torch.manualSeed(seed);
  const model = new nn.Sequential(new nn.Linear(3, 5), new nn.Tanh(), new nn.Linear(5, 2));
  const optimizer = new optim.Adam(model.parameters(), { lr: 0.1, betas: [0.8, 0.95] });
  return { model, optimizer };
}

async function step(model: torch.nn.Sequential, optimizer: torch.optim.Adam): Promise<void> {
  const x = torch.randn([4, 3]);
  const loss = F.crossEntropy(model.forward(x), torch.tensor([0, 1, 1, 0], { dtype: 'int32' }));
  optimizer.zeroGrad();
  loss.backward();
  optimizer.step();
  await loss.item();
}

async function weights(model: torch.nn.Module): Promise<number[]> {
  const out: number[] = [];
  for (const p of model.parameters()) out.push(...(await p.data()));
  return out;
}

describe('training checkpoints', () => {
  it('restore the model, the optimizer and the random generator: the same next steps, bit for bit', async () => {
    const a = setup(7);
    await step(a.model, a.optimizer);
    await step(a.model, a.optimizer);
    const bytes = await encodeCheckpoint(2, a);
    expect(checkpointStep(bytes)).toBe(2);
    await step(a.model, a.optimizer);
    await step(a.model, a.optimizer);

    const b = setup(99); // other weights, other generator position: all replaced by the checkpoint
    expect(restoreCheckpoint(bytes, b)).toBe(2);
    expect(b.optimizer.paramGroups[0]!.betas).toEqual([0.8, 0.95]);
    await step(b.model, b.optimizer);
    await step(b.model, b.optimizer);
    expect(await weights(b.model)).toEqual(await weights(a.model));
  });

  it('refuse what they cannot hold, naming the path', async () => {
    const model = new nn.Linear(2, 2);
    const odd = { stateDict: () => ({ when: new Date(0) }), loadStateDict: () => undefined };
    await expect(encodeCheckpoint(0, { model, odd })).rejects.toThrow(/odd\/when is Date/);
    await expect(encodeCheckpoint(0, { model: {} as never })).rejects.toThrow(/'model' has no stateDict\(\) and loadStateDict\(\)/);
    await expect(encodeCheckpoint(0, {})).rejects.toThrow(/such as \{ model, optimizer \}/);
  });

  it('refuse a file that is not a checkpoint, or one of other objects, changing nothing', async () => {
    const model = new nn.Linear(2, 2);
    const before = await weights(model);
    const plain = await nn.saveSafetensors(model.stateDict());
    expect(() => restoreCheckpoint(plain, { model })).toThrow(/not a torchlet training checkpoint/);
    const bytes = await encodeCheckpoint(3, { model, optimizer: new optim.SGD(model.parameters(), { lr: 0.1 }) });
    expect(() => restoreCheckpoint(bytes, { model })).toThrow(/holds 'model', 'optimizer', resume\(\) was given 'model'/);
    expect(() => restoreCheckpoint(new Uint8Array([1, 2, 3]), { model })).toThrow(/safetensors/i);
    expect(await weights(model)).toEqual(before);
  });
});

describe('trainInWorker checks its arguments before starting anything', () => {
  it('names the bad option', () => {
    const url = new URL('./no-such.worker.mjs', import.meta.url);
    expect(() => torch.trainInWorker(url, { confg: {} } as never)).toThrow(/unknown option 'confg'/);
    expect(() => torch.trainInWorker(42 as never)).toThrow(/expected a worker module's URL or a Worker, got number/);
    expect(() => torch.trainInWorker(url, { resumeFrom: 'ckpt' as never })).toThrow(/resumeFrom must be a checkpoint/);
    expect(() => torch.trainInWorker(url, { startTimeoutMs: -1 })).toThrow(/startTimeoutMs must be a positive number/);
    expect(() => torch.trainInWorker(url, { onProgress: 1 as never })).toThrow(/onProgress must be a function/);
  });

  it('serveTraining wants a function', () => {
    expect(() => torch.serveTraining(null as never)).toThrow(/expected the training function, got null/);
  });
});
