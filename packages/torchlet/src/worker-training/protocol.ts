/**
 * The messages between `trainInWorker` (the main thread) and `serveTraining` (the worker), and
 * the two runtimes' worker APIs behind one shape: Web Workers (browsers, Deno) deliver
 * `MessageEvent`s to listeners, Node's worker_threads deliver the data to `on('message')`.
 */

/** One progress report of a run in a worker (what `ctx.progress()` sends). */
export interface TrainingProgress {
  /** Training steps completed so far (a resumed run continues from its checkpoint's). */
  step: number;
  /** The epoch, if the loop counts them. */
  epoch?: number;
  /** The latest loss, as a number (`await loss.item()`). */
  loss?: number;
  /** Any other numbers to report: accuracy, learning rate, examples/s. */
  metrics?: Record<string, number>;
}

/** An error as it crosses threads (Error objects lose their class on the way). */
export interface SerializedError {
  name: string;
  message: string;
  stack?: string;
}

/** Every message carries this tag, so a worker's other traffic is left alone. */
export const TAG = 'torchlet.train';

export type ToWorker =
  | { tag: typeof TAG; kind: 'start'; config: unknown; checkpoint: ArrayBuffer | null }
  | { tag: typeof TAG; kind: 'checkpoint'; id: number };

export type FromWorker =
  | { tag: typeof TAG; kind: 'ready' }
  | { tag: typeof TAG; kind: 'progress'; progress: TrainingProgress }
  | { tag: typeof TAG; kind: 'checkpoint'; id: number; step: number; bytes: ArrayBuffer }
  | { tag: typeof TAG; kind: 'checkpoint-error'; id: number; error: SerializedError }
  | { tag: typeof TAG; kind: 'done'; result: unknown }
  | { tag: typeof TAG; kind: 'error'; error: SerializedError };

export function isMessage<M extends { tag: string }>(data: unknown): data is M {
  return typeof data === 'object' && data !== null && (data as { tag?: unknown }).tag === TAG;
}

export function serializeError(e: unknown): SerializedError {
  if (e instanceof Error) return { name: e.name, message: e.message, ...(e.stack ? { stack: e.stack } : {}) };
  return { name: 'Error', message: String(e) };
}

/** A message port of either runtime: post, and listen for data. */
export interface Port {
  post(message: unknown, transfer?: ArrayBuffer[]): void;
  listen(onData: (data: unknown) => void): void;
}

/** `node:worker_threads`, imported only where it exists (a bundler leaves the specifier alone). */
export async function nodeWorkerThreads(): Promise<typeof import('node:worker_threads')> {
  const specifier = 'node:worker_threads';
  return (await import(/* @vite-ignore */ specifier)) as typeof import('node:worker_threads');
}

/** Whether this runtime has Web Workers (browsers, Deno); Node has only worker_threads. */
export function hasWebWorkers(): boolean {
  return typeof (globalThis as { Worker?: unknown }).Worker === 'function';
}

/** A copy of `bytes` in an ArrayBuffer of its own, to transfer without detaching the caller's. */
export function ownBuffer(bytes: Uint8Array): ArrayBuffer {
  if (bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer) return bytes.buffer;
  return bytes.slice().buffer as ArrayBuffer;
}
