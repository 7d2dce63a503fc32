/**
 * The worker's side of `trainInWorker`: `serveTraining(train)` runs the training function when
 * the main thread starts it, sends its progress, answers checkpoint requests between steps and
 * sends its result or its error.
 */
import { checkStateful, encodeCheckpoint, restoreCheckpoint, type Stateful } from './checkpoint.ts';
import {
  TAG, hasWebWorkers, isMessage, nodeWorkerThreads, ownBuffer, serializeError,
  type FromWorker, type Port, type ToWorker, type TrainingProgress,
} from './protocol.ts';

/** What the training function gets: its configuration and the calls that talk to the main thread. */
export interface TrainingContext<Config = unknown> {
  /** The `config` given to `trainInWorker` (a structured clone). */
  readonly config: Config;
  /** Whether `trainInWorker` was given a checkpoint to resume from. */
  readonly resuming: boolean;
  /**
   * Names what checkpoints hold (`{ model, optimizer }`, an lr scheduler too if there is one) and,
   * when the run resumes, loads the checkpoint into them and restores the random generator;
   * returns the step to continue from (0 for a fresh run). Call it once, after building the model
   * and optimizer and before the first step.
   */
  resume(objects: Record<string, Stateful>): Promise<number>;
  /**
   * Reports progress to the main thread (call it after each step, or every few). This is also
   * where checkpoint requests are answered: the state saved is the state at this call, so call it
   * between steps, with `step` the number of steps completed.
   */
  progress(progress: TrainingProgress): Promise<void>;
}

/** A training loop for {@link serveTraining}: returns the run's result (structured-cloneable). */
export type TrainFunction<Config = unknown, Result = unknown> = (ctx: TrainingContext<Config>) => Promise<Result> | Result;

/** This worker's port to the main thread: `self` in Web Workers, `parentPort` in worker_threads. */
async function parentPort(): Promise<Port> {
  const scope = globalThis as unknown as {
    WorkerGlobalScope?: abstract new () => unknown;
    postMessage?: (m: unknown, transfer?: ArrayBuffer[]) => void;
    addEventListener?: (type: 'message', fn: (e: { data: unknown }) => void) => void;
  };
  if (hasWebWorkers() && scope.WorkerGlobalScope !== undefined && globalThis instanceof scope.WorkerGlobalScope) {
    return {
      post: (m, transfer) => scope.postMessage!(m, transfer ?? []),
      listen: (fn) => scope.addEventListener!('message', (e) => fn(e.data)),
    };
  }
  let port: import('node:worker_threads').MessagePort | null = null;
  try {
    port = (await nodeWorkerThreads()).parentPort;
  } catch {
    // not Node, Deno or Bun: no worker_threads
  }
  if (!port) throw new Error('serveTraining: this is not a worker; load this module with trainInWorker(url) from the main thread');
  const p = port;
  return { post: (m, transfer) => p.postMessage(m, transfer ?? []), listen: (fn) => p.on('message', fn) };
}

/**
 * Lets the thread take its next task (a message from the main thread): awaiting a resolved
 * promise does not, and a training loop may never wait on anything else.
 */
function nextTask(): Promise<void> {
  const immediate = (globalThis as { setImmediate?: (fn: () => void) => void }).setImmediate;
  if (typeof immediate === 'function') return new Promise((resolve) => immediate(resolve));
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      channel.port1.close();
      resolve();
    };
    channel.port2.postMessage(null);
  });
}

function checkProgress(p: unknown): TrainingProgress {
  if (p === null || typeof p !== 'object') throw new TypeError(`progress: expected an object such as { step, loss }, got ${p === null ? 'null' : typeof p}`);
  const { step, epoch, loss, metrics, ...rest } = p as Record<string, unknown>;
  const unknown = Object.keys(rest);
  if (unknown.length) throw new TypeError(`progress: unknown field(s) ${unknown.join(', ')} (known: step, epoch, loss, metrics; put other numbers in metrics)`);
  if (!Number.isSafeInteger(step) || (step as number) < 0) throw new TypeError(`progress: step must be a non-negative integer (the steps completed), got ${String(step)}`);
  if (epoch !== undefined && (!Number.isSafeInteger(epoch) || (epoch as number) < 0)) throw new TypeError(`progress: epoch must be a non-negative integer, got ${String(epoch)}`);
  if (loss !== undefined && typeof loss !== 'number') throw new TypeError(`progress: loss must be a number (await loss.item()), got ${typeof loss}`);
  if (metrics !== undefined) {
    if (metrics === null || typeof metrics !== 'object') throw new TypeError('progress: metrics must be an object of numbers');
    for (const [k, v] of Object.entries(metrics)) if (typeof v !== 'number') throw new TypeError(`progress: metrics.${k} must be a number, got ${typeof v}`);
  }
  return {
    step: step as number,
    ...(epoch !== undefined ? { epoch: epoch as number } : {}),
    ...(loss !== undefined ? { loss } : {}),
    ...(metrics !== undefined ? { metrics: { ...(metrics as Record<string, number>) } } : {}),
  };
}

/**
 * Serves one training run in this worker (a Web Worker in browsers and Deno, a worker_threads
 * Worker in Node), started from the main thread by {@link trainInWorker}. `train` builds its
 * model and optimizer, calls `ctx.resume({ model, optimizer })` (which loads the checkpoint the
 * run was given, if any, and returns the step to continue from), and reports each step with
 * `ctx.progress({ step, loss })`, where checkpoint requests are answered. Its return value is the
 * run's `result`; an error it throws rejects `result` on the main thread, naming the cause.
 * Call it once, at the top level of the worker module.
 *
 * @example
 * ```ts
 * // not run: a worker module (train.worker.ts), started by trainInWorker from the main thread
 * import * as torch from 'torchlet';
 * const { nn, optim, F } = torch;
 *
 * torch.serveTraining(async (ctx: torch.TrainingContext<{ steps: number }>) => {
 *   await torch.setBackend('wasm');
 *   torch.manualSeed(0);
 *   const model = new nn.Sequential(new nn.Linear(4, 8), new nn.ReLU(), new nn.Linear(8, 2));
 *   const optimizer = new optim.Adam(model.parameters(), { lr: 1e-2 });
 *   const start = await ctx.resume({ model, optimizer });   // 0, or the checkpoint's step
 *   let last = NaN;
 *   for (let step = start; step < ctx.config.steps; step++) {
 *     const x = torch.randn([16, 4]);
 *     const loss = F.crossEntropy(model.forward(x), x.sum({ dim: 1 }).gt(0).int());
 *     optimizer.zeroGrad();
 *     loss.backward();
 *     optimizer.step();
 *     last = await loss.item();
 *     await ctx.progress({ step: step + 1, loss: last });   // checkpoint requests are answered here
 *   }
 *   return { finalLoss: last };   // the main thread's run.result
 * });
 * ```
 */
export function serveTraining<Config = unknown, Result = unknown>(train: TrainFunction<Config, Result>): void {
  if (typeof train !== 'function') throw new TypeError(`serveTraining: expected the training function, got ${train === null ? 'null' : typeof train}`);
  void parentPort().then((port) => {
    let started = false;
    const pending: number[] = [];
    let objects: Record<string, Stateful> | undefined;
    let lastStep = 0;
    let checkpoint: Uint8Array | null = null;
    let resumed = false;

    const answerCheckpoints = async (): Promise<void> => {
      while (pending.length > 0) {
        const id = pending.shift()!;
        try {
          if (!objects) throw new Error('the training function has not called ctx.resume({ model, optimizer }), so there is nothing to checkpoint');
          const bytes = await encodeCheckpoint(lastStep, objects);
          const buffer = ownBuffer(bytes);
          port.post({ tag: TAG, kind: 'checkpoint', id, step: lastStep, bytes: buffer } satisfies FromWorker, [buffer]);
        } catch (e) {
          port.post({ tag: TAG, kind: 'checkpoint-error', id, error: serializeError(e) } satisfies FromWorker);
        }
      }
    };

    const run = async (config: unknown): Promise<void> => {
      const ctx: TrainingContext<unknown> = {
        config,
        resuming: checkpoint !== null,
        async resume(given) {
          if (objects) throw new Error('ctx.resume() was already called: call it once, before the first step');
          const step = checkpoint ? restoreCheckpoint(checkpoint, given) : (checkStateful(given, 'resume'), 0);
          objects = given;
          resumed = true;
          lastStep = step;
          checkpoint = null;
          return step;
        },
        async progress(p) {
          const progress = checkProgress(p);
          if (checkpoint !== null && !resumed) {
            throw new Error('trainInWorker was given a checkpoint to resume from, but the training function reported progress without calling ctx.resume({ model, optimizer }) first');
          }
          lastStep = progress.step;
          port.post({ tag: TAG, kind: 'progress', progress } satisfies FromWorker);
          await nextTask();
          await answerCheckpoints();
        },
      };
      try {
        const result = await train(ctx as TrainingContext<Config>);
        await answerCheckpoints();
        try {
          port.post({ tag: TAG, kind: 'done', result } satisfies FromWorker);
        } catch (e) {
          throw new TypeError(`the training function's result could not be sent to the main thread (it must be structured-cloneable: numbers, strings, arrays, plain objects, typed arrays): ${serializeError(e).message}`);
        }
      } catch (e) {
        await answerCheckpoints().catch(() => undefined);
        port.post({ tag: TAG, kind: 'error', error: serializeError(e) } satisfies FromWorker);
      }
    };

    port.listen((data) => {
      if (!isMessage<ToWorker>(data)) return;
      if (data.kind === 'checkpoint') {
        pending.push(data.id);
      } else if (data.kind === 'start' && !started) {
        started = true;
        checkpoint = data.checkpoint ? new Uint8Array(data.checkpoint) : null;
        void run(data.config);
      }
    });
    port.post({ tag: TAG, kind: 'ready' } satisfies FromWorker);
  }, (e: unknown) => {
    // No port: there is no one to tell but this thread's console.
    console.error(e);
    throw e;
  });
}
