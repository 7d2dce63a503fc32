/**
 * Literal training loops: MLP, CNN, LSTM and Transformer steps written line by line as in
 * PyTorch — no tidy, no dispose, no await between steps — run on any backend and runtime, with
 * memory sampled after warm-up and after N more steps. Step scopes (core's step-scope.ts) and
 * reference-counted graph nodes are what keep them flat; the Node, Deno, Chromium and WebGPU
 * tests assert that every counter reads the same (JS heap: within a stated slack).
 */
import * as T from '@torchlet/core';
import * as nn from '@torchlet/nn';
import { F, type Module } from '@torchlet/nn';
import { Adam } from '@torchlet/optim';
import { TransformerEncoderLayer } from '@torchlet/transformer';

/** The four loops. */
export const LITERAL_MODELS = ['mlp', 'cnn', 'lstm', 'transformer'] as const;
export type LiteralModel = (typeof LITERAL_MODELS)[number];

/** One sample of everything that must stay flat. */
export interface MemorySample {
  /** Live tensors (`torch.memory().tensors`). */
  tensors: number;
  /** Live backend buffers. */
  buffers: number;
  /** Bytes in live buffers. */
  bytes: number;
  /** Bytes the backend reserves from the system (wasm linear memory, pooled GPU buffers); 0 when it does not say. */
  reserved: number;
  /** JS heap bytes in use after a collection, when the runtime can tell (else null). */
  heap: number | null;
}

/** What a run measured. */
export interface LiteralLoopResult {
  model: LiteralModel;
  backend: string;
  warmup: number;
  steps: number;
  /** After `warmup` steps. */
  before: MemorySample;
  /** After `warmup + steps` steps. */
  after: MemorySample;
  firstLoss: number;
  lastLoss: number;
  /** Milliseconds per step over the measured steps. */
  msPerStep: number;
}

/** How the runtime reads its JS heap: a collector to call first, and a reading. */
export interface HeapProbe {
  gc(): void;
  used(): number;
}

/** A model, its input and target, and the loss of one forward pass. */
interface Task {
  net: Module;
  loss(): T.Tensor;
}

function task(model: LiteralModel): Task {
  T.manualSeed(0);
  switch (model) {
    case 'mlp': {
      const net = new nn.Sequential(new nn.Linear(20, 32), new nn.ReLU(), new nn.Linear(32, 10));
      const x = T.randn([16, 20]);
      const y = T.randint(0, 10, [16]);
      return { net, loss: () => F.crossEntropy(net.forward(x) as T.Tensor, y) };
    }
    case 'cnn': {
      const net = new nn.Sequential(new nn.Conv2d(1, 4, 3), new nn.ReLU(), new nn.MaxPool2d(2), new nn.Flatten(), new nn.Linear(4 * 3 * 3, 10));
      const x = T.randn([8, 1, 8, 8]);
      const y = T.randint(0, 10, [8]);
      return { net, loss: () => F.crossEntropy(net.forward(x) as T.Tensor, y) };
    }
    case 'lstm': {
      const lstm = new nn.LSTM(8, 16, { batchFirst: true });
      const head = new nn.Linear(16, 4);
      const net = new nn.ModuleList([lstm, head]);
      const x = T.randn([4, 6, 8]);
      const y = T.randint(0, 4, [4]);
      return {
        net,
        loss: () => {
          const [out] = lstm.forward(x); // (N, T, H)
          return F.crossEntropy(head.forward(out.select(1, -1)), y);
        },
      };
    }
    case 'transformer': {
      const layer = new TransformerEncoderLayer(16, 2, { dimFeedforward: 32, dropout: 0, batchFirst: true });
      const head = new nn.Linear(16, 16);
      const net = new nn.ModuleList([layer, head]);
      const x = T.randn([2, 5, 16]);
      const y = T.randn([2, 5, 16]);
      return { net, loss: () => F.mseLoss(head.forward(layer.forward(x)), y) };
    }
  }
}

async function sample(backend: string, heap: HeapProbe | undefined): Promise<MemorySample> {
  // Let queued GPU work finish so pooled buffers are back in the pool before counting.
  await T.zeros([1]).data();
  heap?.gc();
  const m = T.memory();
  return {
    tensors: m.tensors,
    buffers: m.buffers,
    bytes: m.bytes,
    reserved: m.backends[backend]?.reservedBytes ?? 0,
    heap: heap ? heap.used() : null,
  };
}

/**
 * Runs `warmup + steps` literal training steps of `model` on the current backend and samples
 * memory after the warm-up and at the end. Between the samples the loop never yields.
 *
 * @example
 * ```ts
 * const r = await runLiteralLoop('mlp', { warmup: 5, steps: 50 });
 * expect(r.after.tensors).toBe(r.before.tensors);
 * ```
 */
export async function runLiteralLoop(model: LiteralModel, options: { warmup: number; steps: number; heap?: HeapProbe }): Promise<LiteralLoopResult> {
  const backend = T.getBackend().name;
  const { net, loss: forward } = task(model);
  const optimizer = new Adam(net.parameters(), { lr: 0.01 });

  // The loop as a PyTorch user writes it.
  const step = (): T.Tensor => {
    optimizer.zeroGrad();
    const loss = forward();
    loss.backward();
    optimizer.step();
    return loss;
  };

  const first = step();
  const firstLoss = Number(await first.item());
  for (let i = 1; i < options.warmup; i++) step();
  const before = await sample(backend, options.heap);
  const t0 = performance.now();
  let last = first;
  for (let i = 0; i < options.steps; i++) last = step();
  const msPerStep = (performance.now() - t0) / Math.max(1, options.steps);
  const lastLoss = Number(await last.item());
  const after = await sample(backend, options.heap);
  return { model, backend, warmup: options.warmup, steps: options.steps, before, after, firstLoss, lastLoss, msPerStep };
}

/** One line for a test's output: every counter before -> after. */
export function describeLiteralLoop(r: LiteralLoopResult): string {
  const kb = (b: number): string => `${(b / 1024).toFixed(0)} KiB`;
  const heap = r.before.heap === null ? 'n/a' : `${kb(r.before.heap)} -> ${kb(r.after.heap!)}`;
  return (
    `${r.model} on ${r.backend}, ${r.warmup} + ${r.steps} literal steps (${r.msPerStep.toFixed(1)} ms/step): ` +
    `tensors ${r.before.tensors} -> ${r.after.tensors}, buffers ${r.before.buffers} -> ${r.after.buffers}, ` +
    `bytes ${r.before.bytes} -> ${r.after.bytes}, reserved ${kb(r.before.reserved)} -> ${kb(r.after.reserved)}, ` +
    `JS heap ${heap}, loss ${r.firstLoss.toFixed(4)} -> ${r.lastLoss.toFixed(4)}`
  );
}

/**
 * The problems with a run, empty when memory held flat: tensors, buffers, bytes and reserved
 * bytes must read the same; the JS heap may differ by `heapSlack` bytes (collector noise,
 * compiled code), and the loss must have gone down.
 */
export function literalLoopProblems(r: LiteralLoopResult, heapSlack = 1 << 20): string[] {
  const out: string[] = [];
  for (const k of ['tensors', 'buffers', 'bytes', 'reserved'] as const) {
    if (r.after[k] !== r.before[k]) out.push(`${k} grew from ${r.before[k]} to ${r.after[k]}`);
  }
  if (r.before.heap !== null && r.after.heap! - r.before.heap > heapSlack) {
    out.push(`JS heap grew by ${r.after.heap! - r.before.heap} bytes (slack ${heapSlack})`);
  }
  if (!(r.lastLoss < r.firstLoss)) out.push(`loss did not go down (${r.firstLoss} -> ${r.lastLoss})`);
  return out;
}
