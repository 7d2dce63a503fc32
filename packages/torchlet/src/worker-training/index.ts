/**
 * Training in a worker (worker_threads in Node, Web Workers in Deno and browsers): the worker's
 * module calls `serveTraining(train)`, the main thread `trainInWorker(url)`. The umbrella's own
 * API, and its API reference entry point (the re-exports of the @torchlet/* packages have their
 * pages there).
 * @module
 */
export {
  trainInWorker, TrainingCancelledError, TrainingWorkerError,
  type TrainInWorkerOptions, type TrainingRun, type WebWorkerLike, type NodeWorkerLike,
} from './train-in-worker.ts';
export { serveTraining, type TrainingContext, type TrainFunction } from './serve.ts';
export type { TrainingProgress } from './protocol.ts';
export type { TrainingCheckpoint, Stateful } from './checkpoint.ts';
