/**
 * trainInWorker / serveTraining in Node (worker_threads): the shared worker-training checks
 * (worker-training/checks.ts). The worker module imports the built `torchlet` (dist/), as a
 * user's would; `pnpm test` builds first.
 */
import { expect, it } from 'vitest';
import { trainInWorker } from 'torchlet';
import { runWorkerTrainingChecks } from '../worker-training/checks.ts';

const url = new URL('../worker-training/train.worker.mjs', import.meta.url);

it('trains in a worker_threads Worker: progress, checkpoint, resume to the same weights, cancel, errors', async () => {
  const problems = await runWorkerTrainingChecks(
    (options) => trainInWorker(url, options),
    () => trainInWorker(new URL('../worker-training/missing.worker.mjs', import.meta.url)),
    (line) => console.log(line),
  );
  expect(problems).toEqual([]);
}, 120_000);
