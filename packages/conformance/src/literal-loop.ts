/**
 * Literal training loops: the seed's MNIST loop (784-128-64-10 MLP, CrossEntropyLoss, SGD with
 * momentum, batches from a DataLoader), and MLP, CNN, LSTM and Transformer steps, written line by
 * line as in PyTorch — no tidy, no dispose, no await between steps — run on any backend and runtime, with
 * memory sampled after warm-up and after N more steps. Step scopes (core's step-scope.ts) and
 * reference-counted graph nodes are what keep them flat; the Node, Deno, Chromium and WebGPU
 * tests assert that every counter reads the same (JS heap: within a stated slack).
 */
import * as T from '@torchlet/core';
import * as nn from '@torchlet/nn';
import { F, type Module } from '@torchlet/nn';
import { DataLoader, TensorDataset } from '@torchlet/datasets';
import { Adam, SGD } from '@torchlet/optim';
import { TransformerEncoderLayer } from '@torchlet/transformer';

/** The loops: the seed's MNIST loop (from a DataLoader) and four models stepping on one batch. */
export const LITERAL_MODELS = ['mnist', 'mlp', 'cnn', 'lstm', 'transformer'] as const;
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

/**
 * A model and its loop: `run(n)` takes `n` literal training steps and returns the last loss
 * (never read inside the loop).
 */
interface Task {
  run(n: number): Promise<T.Tensor>;
}

/** A task that steps on one fixed batch with Adam: zeroGrad, forward, backward, step. */
function fixedBatch(net: Module, forward: () => T.Tensor): Task {
  const optimizer = new Adam(net.parameters(), { lr: 0.01 });
  return {
    async run(n) {
      let loss!: T.Tensor;
      for (let i = 0; i < n; i++) {
        optimizer.zeroGrad();
        loss = forward();
        loss.backward();
        optimizer.step();
      }
      return loss;
    },
  };
}

/**
 * The seed's MNIST loop (examples/mnist-mlp without its tidy/dispose): 784-128-64-10 with ReLU,
 * nn.CrossEntropyLoss, SGD(lr 0.01, momentum 0.9), normalised batches of 8 from a shuffling
 * DataLoader over 512 MNIST-shaped digits: random pixels in [0, 1] plus a bright stripe of 8
 * pixels per class at the label's columns, so the loss falls within a few dozen steps (the real
 * digits are 41 MB, too much for every runtime's test).
 * `for await` over the loader yields only to microtasks, as PyTorch's `for x, y in loader` would
 * not yield at all: no finalizer can run between steps.
 */
function mnistTask(): Task {
  // tidy: the setup's temporaries are freed now, not by a finalizer between the two samples.
  const [images, labels] = T.tidy(() => {
    const y = T.randint(0, 10, [512]);
    return [T.rand([512, 784]).add(T.cat([T.oneHot(y, 10).float().repeat([1, 8]), T.zeros([512, 704])], 1)), y];
  });
  const loader = new DataLoader(new TensorDataset(images, labels), { batchSize: 8, shuffle: true, seed: 0 });
  const model = new nn.Sequential(new nn.Linear(784, 128), new nn.ReLU(), new nn.Linear(128, 64), new nn.ReLU(), new nn.Linear(64, 10));
  const criterion = new nn.CrossEntropyLoss();
  const optimizer = new SGD(model.parameters(), { lr: 0.01, momentum: 0.9 });
  const normalize = (x: T.Tensor): T.Tensor => x.sub(0.1307).div(0.3081);
  return {
    async run(n) {
      let loss!: T.Tensor;
      let step = 0;
      while (step < n) {
        for await (const [x, y] of loader) {
          optimizer.zeroGrad();
          loss = criterion.forward(model.forward(normalize(x!)), y!);
          loss.backward();
          optimizer.step();
          if (++step === n) break;
        }
      }
      return loss;
    },
  };
}

function task(model: LiteralModel): Task {
  T.manualSeed(0);
  switch (model) {
    case 'mnist':
      return mnistTask();
    case 'mlp': {
      const net = new nn.Sequential(new nn.Linear(20, 32), new nn.ReLU(), new nn.Linear(32, 10));
      const x = T.randn([16, 20]);
      const y = T.randint(0, 10, [16]);
      return fixedBatch(net, () => F.crossEntropy(net.forward(x) as T.Tensor, y));
    }
    case 'cnn': {
      const net = new nn.Sequential(new nn.Conv2d(1, 4, 3), new nn.ReLU(), new nn.MaxPool2d(2), new nn.Flatten(), new nn.Linear(4 * 3 * 3, 10));
      const x = T.randn([8, 1, 8, 8]);
      const y = T.randint(0, 10, [8]);
      return fixedBatch(net, () => F.crossEntropy(net.forward(x) as T.Tensor, y));
    }
    case 'lstm': {
      const lstm = new nn.LSTM(8, 16, { batchFirst: true });
      const head = new nn.Linear(16, 4);
      const net = new nn.ModuleList([lstm, head]);
      const x = T.randn([4, 6, 8]);
      const y = T.randint(0, 4, [4]);
      return fixedBatch(net, () => {
        const [out] = lstm.forward(x); // (N, T, H)
        return F.crossEntropy(head.forward(out.select(1, -1)), y);
      });
    }
    case 'transformer': {
      const layer = new TransformerEncoderLayer(16, 2, { dimFeedforward: 32, dropout: 0, batchFirst: true });
      const head = new nn.Linear(16, 16);
      const net = new nn.ModuleList([layer, head]);
      const x = T.randn([2, 5, 16]);
      const y = T.randn([2, 5, 16]);
      return fixedBatch(net, () => F.mseLoss(head.forward(layer.forward(x)), y));
    }
  }
}

async function sample(backend: string, heap: HeapProbe | undefined): Promise<MemorySample> {
  // Let queued GPU work finish so pooled buffers are back in the pool before counting.
  const probe = T.zeros([1]);
  await probe.data();
  probe.dispose();
  // Collect and give finalizers turns until the count settles: garbage from earlier runs or the
  // setup (tensors nobody kept) may otherwise be freed between the two samples and read as
  // memory going down.
  for (let i = 0, last = -1; i < 10 && T.memory().tensors !== last; i++) {
    last = T.memory().tensors;
    heap?.gc();
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
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
  const { run } = task(model);
  const firstLoss = Number(await (await run(1)).item());
  if (options.warmup > 1) await run(options.warmup - 1);
  const before = await sample(backend, options.heap);
  const t0 = performance.now();
  const last = await run(options.steps);
  const msPerStep = (performance.now() - t0) / Math.max(1, options.steps);
  const lastLoss = Number(await last.item());
  const after = await sample(backend, options.heap);
  return { model, backend, warmup: options.warmup, steps: options.steps, before, after, firstLoss, lastLoss, msPerStep };
}

/**
 * One line for a test's output: every counter before -> after. `reserved` is the wasm linear
 * memory on wasm and the GPU bytes the buffer pool holds (live and pooled) on WebGPU.
 */
export function describeLiteralLoop(r: LiteralLoopResult): string {
  const mib = (b: number): string => `${(b / 2 ** 20).toFixed(2)} MiB`;
  const heap = r.before.heap === null ? 'n/a' : `${mib(r.before.heap)} -> ${mib(r.after.heap!)}`;
  const reserved = r.backend.startsWith('webgpu') ? 'GPU bytes (pool)' : 'wasm memory';
  return (
    `${r.model} on ${r.backend}, ${r.warmup} + ${r.steps} literal steps (${r.msPerStep.toFixed(1)} ms/step): ` +
    `live tensors ${r.before.tensors} -> ${r.after.tensors}, buffers ${r.before.buffers} -> ${r.after.buffers}, ` +
    `live bytes ${r.before.bytes} -> ${r.after.bytes}, ${reserved} ${mib(r.before.reserved)} -> ${mib(r.after.reserved)}, ` +
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

/** How many steps a runtime's literal-loop test takes on a backend, and how much JS heap may move. */
export interface LiteralLoopPlan {
  models: readonly LiteralModel[];
  warmup: number;
  steps: number;
  /** Bytes the JS heap may differ by between the two samples. */
  heapSlack: number;
}

/**
 * The one plan every runtime (Node, Deno, Chromium) follows. Quick by default (seconds: CI's
 * whole run must stay under 10 minutes on two cores); `long` (TORCHLET_LONG_LOOPS=1) is issue
 * 13's run: 10,000 steps after warm-up on wasm, 1,000 on WebGPU (a software GPU here). WebGPU runs
 * the MNIST and Transformer loops only. Heap noise (compiled code, feedback vectors, the GPU
 * binding's wrappers) is a few hundred KiB and does not grow with the steps; the leaks this
 * catches were 7-180 KB per step.
 *
 * @example
 * ```ts
 * const plan = literalLoopPlan('wasm', false);
 * for (const model of plan.models) await runLiteralLoop(model, plan);
 * ```
 */
export function literalLoopPlan(backend: string, long: boolean): LiteralLoopPlan {
  if (backend.startsWith('webgpu')) {
    return { models: ['mnist', 'transformer'], warmup: long ? 50 : 10, steps: long ? 1_000 : 15, heapSlack: long ? 4 << 20 : 1 << 20 };
  }
  return { models: LITERAL_MODELS, warmup: long ? 200 : 10, steps: long ? 10_000 : 30, heapSlack: long ? 4 << 20 : 1 << 20 };
}
