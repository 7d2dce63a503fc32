/**
 * The main thread's side: `trainInWorker(url)` starts a worker whose module calls
 * `serveTraining`, and returns a handle to follow its progress, take checkpoints, cancel it and
 * await its result. The handle owns the worker: it is terminated when the run ends, however it
 * ends, so an error or a crash in the worker never leaves the caller waiting.
 */
import { checkpointStep, type TrainingCheckpoint } from './checkpoint.ts';
import {
  TAG, hasWebWorkers, isMessage, nodeWorkerThreads,
  type FromWorker, type SerializedError, type ToWorker, type TrainingProgress,
} from './protocol.ts';

/** Options of {@link trainInWorker}. */
export interface TrainInWorkerOptions<Config = unknown> {
  /** Passed to the training function as `ctx.config` (structured-cloned: plain data). */
  config?: Config;
  /** A checkpoint from `run.checkpoint()` (or its bytes, read back from disk, OPFS or IndexedDB) to continue from. */
  resumeFrom?: TrainingCheckpoint | Uint8Array;
  /** Called with each progress report, as well as (not instead of) iterating the run. A throw ends the run with that error. */
  onProgress?: (progress: TrainingProgress) => void;
  /** How long the worker may take to load and call `serveTraining` before the run fails; default 60,000 ms. */
  startTimeoutMs?: number;
}

/**
 * A training run in a worker. Iterate it (`for await (const p of run)`) for its progress reports:
 * the iteration ends when the run finishes or is cancelled and throws when it fails. Reports wait
 * for a reader (the latest 10,000 are kept).
 */
export interface TrainingRun<Result = unknown> extends AsyncIterable<TrainingProgress> {
  /**
   * The training function's return value. Rejects with a {@link TrainingWorkerError} naming the
   * cause when the function throws, the worker fails to load or exits, and with a
   * {@link TrainingCancelledError} after `cancel()`. (Never an unhandled rejection.)
   */
  readonly result: Promise<Result>;
  /** The latest progress report, or undefined before the first. */
  readonly latest: TrainingProgress | undefined;
  /**
   * A checkpoint of the model, optimizer (whatever the worker passed to `ctx.resume`) and random
   * generator, taken at the worker's next progress report (between steps), or at the end.
   */
  checkpoint(): Promise<TrainingCheckpoint>;
  /** Stops the run now: the worker is terminated; `result` rejects with a {@link TrainingCancelledError}. */
  cancel(): Promise<void>;
}

/**
 * `result` of a cancelled run rejects with this.
 *
 * @example
 * ```ts
 * // not run: needs the worker module of serveTraining's example (train.worker.ts)
 * const run = torch.trainInWorker(new URL('./train.worker.ts', import.meta.url), { config: { steps: 1000 } });
 * setTimeout(() => void run.cancel(), 5_000);
 * try {
 *   await run.result;
 * } catch (e) {
 *   if (!(e instanceof torch.TrainingCancelledError)) throw e;   // cancelled: not a failure
 * }
 * ```
 */
export class TrainingCancelledError extends Error {
  /** `'TrainingCancelledError'`, for `err.name` checks. */
  override name = 'TrainingCancelledError';
}

/**
 * A run that failed in its worker (the training function threw, the module did not load, the
 * worker died): the message names the cause; `cause` is the worker's error, with its name,
 * message and stack.
 *
 * @example
 * ```ts
 * // not run: needs the worker module of serveTraining's example (train.worker.ts)
 * const run = torch.trainInWorker(new URL('./train.worker.ts', import.meta.url), { config: { steps: 100 } });
 * try {
 *   await run.result;
 * } catch (e) {
 *   if (e instanceof torch.TrainingWorkerError) console.error(e.message, (e.cause as Error).stack);
 *   else throw e;
 * }
 * ```
 */
export class TrainingWorkerError extends Error {
  /** `'TrainingWorkerError'`, for `err.name` checks. */
  override name = 'TrainingWorkerError';
}

/** A worker of either runtime, as trainInWorker drives it. */
interface Driver {
  post(message: ToWorker, transfer?: ArrayBuffer[]): void;
  terminate(): Promise<void>;
}

/** The events trainInWorker needs from a worker. */
interface DriverEvents {
  data(data: unknown): void;
  /** The worker failed outside the training function (a load error, an uncaught exception, an exit). */
  fail(message: string, cause?: unknown): void;
}

/** What trainInWorker uses of a Web Worker (browsers, Deno): `new Worker(url, { type: 'module' })`. */
export interface WebWorkerLike {
  /** Sends a message, transferring the listed buffers. */
  postMessage(message: unknown, transfer: ArrayBuffer[]): void;
  /** Listens for 'message', 'error' and 'messageerror'. */
  addEventListener(type: string, listener: (event: Event) => void): void;
  /** Stops the worker. */
  terminate(): void;
}

/** What trainInWorker uses of a Node `worker_threads` Worker. */
export interface NodeWorkerLike {
  /** Sends a message, transferring the listed buffers. */
  postMessage(message: unknown, transfer?: readonly ArrayBuffer[]): void;
  /** Listens for 'message', 'error', 'messageerror' and 'exit'. */
  on(event: string, listener: (arg: unknown) => void): unknown;
  /** Stops the worker. */
  terminate(): Promise<number>;
}

const isNodeWorker = (w: object): w is NodeWorkerLike => typeof (w as NodeWorkerLike).on === 'function' && typeof (w as NodeWorkerLike).terminate === 'function';
const isWebWorker = (w: object): w is WebWorkerLike => typeof (w as WebWorkerLike).addEventListener === 'function' && typeof (w as WebWorkerLike).postMessage === 'function';

function drive(worker: WebWorkerLike | NodeWorkerLike, on: DriverEvents): Driver {
  if (isNodeWorker(worker)) {
    worker.on('message', (d) => on.data(d));
    worker.on('error', (e) => on.fail(`the training worker failed to load or threw outside the training function: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`, e));
    worker.on('messageerror', (e) => on.fail('a message from the training worker could not be read', e));
    worker.on('exit', (code) => on.fail(`the training worker exited (code ${String(code)}) before the run finished`));
    return { post: (m, t) => worker.postMessage(m, t ?? []), terminate: async () => void (await worker.terminate()) };
  }
  worker.addEventListener('message', (e) => on.data((e as MessageEvent).data));
  worker.addEventListener('error', (e) => {
    e.preventDefault?.();
    const ev = e as ErrorEvent;
    const where = ev.filename ? ` (${ev.filename}:${ev.lineno})` : '';
    on.fail(`the training worker failed to load or threw outside the training function: ${ev.message || 'no message (a module that failed to load, or a network error)'}${where}`, ev.error);
  });
  worker.addEventListener('messageerror', () => on.fail('a message from the training worker could not be read'));
  return { post: (m, t) => worker.postMessage(m, t ?? []), terminate: async () => worker.terminate() };
}

/**
 * Starts a worker for `url` and hands it to `begin` in the same synchronous turn as its creation: a
 * module Web Worker where the runtime has them (browsers, Deno), else a worker_threads Worker (Node,
 * after importing node:worker_threads). Deno can deliver a worker's load error within a microtask of
 * `new Worker`, and an error event nobody has heard is fatal there, so no `await` may sit between
 * creating the worker and listening to it.
 */
function startWorker(url: string | URL, begin: (w: WebWorkerLike | NodeWorkerLike) => void, failed: (e: unknown) => void): void {
  if (hasWebWorkers()) {
    const W = (globalThis as unknown as { Worker: new (u: string | URL, o: { type: 'module' }) => WebWorkerLike }).Worker;
    try {
      begin(new W(url, { type: 'module' }));
    } catch (e) {
      failed(e);
    }
    return;
  }
  nodeWorkerThreads().then(({ Worker }) => begin(new Worker(typeof url === 'string' && url.startsWith('file:') ? new URL(url) : url) as unknown as NodeWorkerLike)).catch(failed);
}

function toError(e: SerializedError): Error {
  const err = new Error(e.message);
  err.name = e.name;
  if (e.stack) err.stack = e.stack;
  return err;
}

/** How many unread progress reports a run keeps. */
const KEEP = 10_000;

/**
 * Runs a training loop in a worker, off the main thread: `worker` is the URL of a module that
 * calls {@link serveTraining} (or a `Worker` made from one, as bundlers want:
 * `new Worker(new URL('./train.worker.ts', import.meta.url), { type: 'module' })`). A module Web
 * Worker in browsers and Deno, a worker_threads Worker in Node. Returns at once with a
 * {@link TrainingRun}: iterate it for progress, `checkpoint()` for the model and optimizer state
 * (a safetensors file), `cancel()` to stop, `result` for the function's return value. Pass a
 * checkpoint back as `resumeFrom` to continue a run: with the same seed, a resumed run ends
 * with the same weights as one that was never interrupted.
 *
 * @example
 * ```ts
 * // not run: needs the worker module of serveTraining's example (train.worker.ts)
 * const run = torch.trainInWorker<{ finalLoss: number }>(new URL('./train.worker.ts', import.meta.url), { config: { steps: 100 } });
 * for await (const p of run) {
 *   console.log(`step ${p.step} loss ${p.loss?.toFixed(4)}`);
 *   if (p.step === 50) {
 *     const saved = await run.checkpoint();   // { step, bytes }: a safetensors file
 *     await run.cancel();                     // later: trainInWorker(url, { config, resumeFrom: saved })
 *   }
 * }
 * ```
 */
export function trainInWorker<Result = unknown, Config = unknown>(
  worker: string | URL | WebWorkerLike | NodeWorkerLike,
  options: TrainInWorkerOptions<Config> = {},
): TrainingRun<Result> {
  const known = ['config', 'resumeFrom', 'onProgress', 'startTimeoutMs'];
  if (options === null || typeof options !== 'object') throw new TypeError('trainInWorker: options must be an object such as { config, resumeFrom }');
  for (const k of Object.keys(options)) if (!known.includes(k)) throw new TypeError(`trainInWorker: unknown option '${k}' (known: ${known.join(', ')})`);
  const isUrl = typeof worker === 'string' || worker instanceof URL;
  if (!isUrl && (worker === null || typeof worker !== 'object' || !(isNodeWorker(worker) || isWebWorker(worker)))) {
    throw new TypeError(`trainInWorker: expected a worker module's URL or a Worker, got ${worker === null ? 'null' : typeof worker}`);
  }
  const { config, resumeFrom, onProgress } = options;
  if (onProgress !== undefined && typeof onProgress !== 'function') throw new TypeError('trainInWorker: onProgress must be a function');
  const startTimeoutMs = options.startTimeoutMs ?? 60_000;
  if (typeof startTimeoutMs !== 'number' || !(startTimeoutMs > 0)) throw new TypeError(`trainInWorker: startTimeoutMs must be a positive number, got ${String(startTimeoutMs)}`);
  let resumeBytes: Uint8Array | null = null;
  if (resumeFrom !== undefined) {
    resumeBytes = resumeFrom instanceof Uint8Array ? resumeFrom : (resumeFrom as TrainingCheckpoint | null)?.bytes ?? null;
    if (!(resumeBytes instanceof Uint8Array)) throw new TypeError('trainInWorker: resumeFrom must be a checkpoint from run.checkpoint() or its bytes (a Uint8Array)');
    checkpointStep(resumeBytes); // a bad file fails here, in the caller's stack
  }

  let settleResult!: { resolve: (r: Result) => void; reject: (e: Error) => void };
  const result = new Promise<Result>((resolve, reject) => (settleResult = { resolve, reject }));
  result.catch(() => undefined); // the caller may never look: no unhandled rejection

  let finished = false;
  let driver: Driver | undefined;
  let ready = false;
  const outbox: Array<[ToWorker, ArrayBuffer[]]> = [];
  let latest: TrainingProgress | undefined;
  const queue: TrainingProgress[] = [];
  let failure: Error | undefined;
  const readers: Array<() => void> = [];
  const checkpoints = new Map<number, { resolve: (c: TrainingCheckpoint) => void; reject: (e: Error) => void }>();
  let nextId = 1;
  let stopping: Promise<void> = Promise.resolve();
  let startTimer: ReturnType<typeof setTimeout> | undefined;

  const wake = () => readers.splice(0).forEach((r) => r());
  const send = (m: ToWorker, transfer: ArrayBuffer[] = []) => {
    if (driver && ready) driver.post(m, transfer);
    else outbox.push([m, transfer]);
  };

  /** Ends the run once: the worker terminated, `result` settled, waiting calls answered. */
  const finish = (outcome: { value: Result } | { error: Error }) => {
    if (finished) return;
    finished = true;
    clearTimeout(startTimer);
    if (driver) stopping = driver.terminate().catch(() => undefined);
    if ('error' in outcome) {
      if (!(outcome.error instanceof TrainingCancelledError)) failure = outcome.error;
      settleResult.reject(outcome.error);
    } else {
      settleResult.resolve(outcome.value);
    }
    const why = 'error' in outcome ? outcome.error : new Error('the run finished before the checkpoint was taken');
    for (const c of checkpoints.values()) c.reject(why);
    checkpoints.clear();
    wake();
  };
  const fail = (message: string, cause?: unknown) => finish({ error: new TrainingWorkerError(message, cause === undefined ? undefined : { cause }) });

  startTimer = setTimeout(
    () => fail(`the training worker did not call serveTraining() within ${startTimeoutMs} ms (does ${isUrl ? String(worker) : 'its module'} call torch.serveTraining at its top level?)`),
    startTimeoutMs,
  );

  const onData = (data: unknown) => {
    if (finished || !isMessage<FromWorker>(data)) return;
    switch (data.kind) {
      case 'ready': {
        ready = true;
        clearTimeout(startTimer);
        const bytes = resumeBytes ? resumeBytes.slice().buffer : null;
        driver!.post({ tag: TAG, kind: 'start', config, checkpoint: bytes }, bytes ? [bytes] : []);
        for (const [m, t] of outbox.splice(0)) driver!.post(m, t);
        break;
      }
      case 'progress':
        latest = data.progress;
        queue.push(data.progress);
        if (queue.length > KEEP) queue.shift();
        wake();
        if (onProgress) {
          try {
            onProgress(data.progress);
          } catch (e) {
            finish({ error: e instanceof Error ? e : new Error(String(e)) });
          }
        }
        break;
      case 'checkpoint':
        checkpoints.get(data.id)?.resolve({ step: data.step, bytes: new Uint8Array(data.bytes) });
        checkpoints.delete(data.id);
        break;
      case 'checkpoint-error':
        checkpoints.get(data.id)?.reject(new TrainingWorkerError(`the checkpoint failed in the worker: ${data.error.name}: ${data.error.message}`, { cause: toError(data.error) }));
        checkpoints.delete(data.id);
        break;
      case 'done':
        finish({ value: data.result as Result });
        break;
      case 'error':
        finish({ error: new TrainingWorkerError(`training in the worker failed: ${data.error.name}: ${data.error.message}`, { cause: toError(data.error) }) });
        break;
    }
  };

  const begin = (w: WebWorkerLike | NodeWorkerLike) => {
    if (finished) return void (isNodeWorker(w) ? w.terminate().catch(() => undefined) : w.terminate());
    driver = drive(w, { data: onData, fail: (message, cause) => fail(message, cause) });
  };
  if (isUrl) startWorker(worker, begin, (e) => fail(`the training worker could not be started: ${e instanceof Error ? e.message : String(e)}`, e));
  else begin(worker);

  return {
    result,
    get latest() {
      return latest;
    },
    checkpoint() {
      if (finished) return Promise.reject(new Error('checkpoint: the run has finished (take checkpoints while it runs)'));
      const id = nextId++;
      const p = new Promise<TrainingCheckpoint>((resolve, reject) => checkpoints.set(id, { resolve, reject }));
      send({ tag: TAG, kind: 'checkpoint', id });
      return p;
    },
    async cancel() {
      if (!finished) queue.length = 0; // the iteration ends here, not after the reports already sent
      finish({ error: new TrainingCancelledError('the training run was cancelled') });
      await stopping;
    },
    [Symbol.asyncIterator](): AsyncIterator<TrainingProgress> {
      return {
        next: async () => {
          for (;;) {
            if (queue.length > 0) return { value: queue.shift()!, done: false };
            if (finished) {
              if (failure) throw failure;
              return { value: undefined, done: true };
            }
            await new Promise<void>((r) => readers.push(r));
          }
        },
      };
    },
  };
}
