/// <reference lib="deno.ns" />
/**
 * trainInWorker / serveTraining in Deno (module Web Workers): the shared worker-training checks
 * (worker-training/checks.ts), with `torchlet` resolved through node_modules (its built dist/).
 */
import { trainInWorker } from 'torchlet';
import { runWorkerTrainingChecks } from '../worker-training/checks.ts';

const url = new URL('../worker-training/train.worker.mjs', import.meta.url);

Deno.test('trains in a Web Worker: progress, checkpoint, resume to the same weights, cancel, errors', async () => {
  const problems = await runWorkerTrainingChecks(
    (options) => trainInWorker(url, options),
    () => trainInWorker(new URL('../worker-training/missing.worker.mjs', import.meta.url)),
    (line) => console.log(line),
  );
  if (problems.length) throw new Error(problems.join('\n'));
});
