/**
 * trainInWorker / serveTraining in a browser (module Web Workers, the worker bundled by Vite
 * from `new Worker(new URL(...), { type: 'module' })`): the shared worker-training checks
 * (worker-training/checks.ts), reported as the conformance page reports (`window.__conformance`,
 * one family `worker-training`) for run-chromium.mjs --page worker-training.html.
 */
import { trainInWorker } from 'torchlet';
import type { SuiteSummary } from '../src/suite.ts';
import { runWorkerTrainingChecks } from '../worker-training/checks.ts';

declare global {
  interface Window {
    __conformance?: SuiteSummary;
    __conformanceError?: string;
  }
}

const pre = document.getElementById('log')!;
const log = (line: string) => {
  pre.textContent += `${line}\n`;
  console.log(line);
};
const worker = () => new Worker(new URL('../worker-training/train.worker.mjs', import.meta.url), { type: 'module' });

runWorkerTrainingChecks(
  (options) => trainInWorker(worker(), options),
  () => trainInWorker(new URL('./no-such-worker.js', location.href)),
  log,
).then(
  (failures) => {
    const failed = failures.length > 0 ? 1 : 0;
    window.__conformance = {
      backend: 'wasm',
      perFamily: { 'worker-training': { passed: 1 - failed, failed, passedWithGrads: 0 } },
      passed: 1 - failed,
      failed,
      failures,
    };
  },
  (err: unknown) => {
    window.__conformanceError = err instanceof Error ? `${err.name}: ${err.message}\n${err.stack ?? ''}` : String(err);
    log(`error: ${window.__conformanceError}`);
  },
);
