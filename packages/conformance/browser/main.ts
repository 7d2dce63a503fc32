/**
 * The conformance suite in a browser page, on the wasm backend (or `?backend=webgpu`, or
 * `?backend=wasm-threads`: the wasm backend with two threads, every product and attention pass
 * the pool can split sent to it). When it finishes, the summary is
 * `window.__conformance` (or the error that stopped it is `window.__conformanceError`);
 * run-chromium.mjs waits for either. After the suite, the literal training loops (no tidy,
 * dispose or await between steps) run and count as the family `literal-loop`: every model on
 * wasm, the MLP on WebGPU (SwiftShader is slow); the page cannot collect garbage on demand, so
 * live tensors, buffers and bytes are checked, not the JS heap.
 */
import { registerBackend } from '@torchlet/core';
import { createWasmBackend } from '@torchlet/backend-wasm';
import '@torchlet/backend-webgpu';
import { SUITE_FAMILIES } from '../src/cases.ts';
import { runSuite, type SuiteSummary } from '../src/suite.ts';
import '@torchlet/autograd';
import { LITERAL_MODELS, describeLiteralLoop, literalLoopProblems, runLiteralLoop } from '../src/literal-loop.ts';

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

registerBackend('wasm-threads', () => createWasmBackend({ threads: 2, parallelThreshold: 0 }));
const backend = new URLSearchParams(location.search).get('backend') ?? 'wasm';
/** Adds the literal-loop runs to the summary as one more family. */
async function literalLoops(summary: SuiteSummary): Promise<SuiteSummary> {
  const models = backend === 'webgpu' ? (['mlp'] as const) : LITERAL_MODELS;
  const failures: string[] = [];
  for (const model of models) {
    const r = await runLiteralLoop(model, { warmup: 5, steps: 20 });
    log(describeLiteralLoop(r));
    for (const p of literalLoopProblems(r)) failures.push(`literal-loop ${model}: ${p}`);
  }
  const failed = new Set(failures.map((f) => f.split(':')[0])).size;
  return {
    ...summary,
    perFamily: { ...summary.perFamily, 'literal-loop': { passed: models.length - failed, failed, passedWithGrads: 0 } },
    passed: summary.passed + models.length - failed,
    failed: summary.failed + failed,
    failures: [...summary.failures, ...failures],
  };
}

runSuite({ backend, families: SUITE_FAMILIES, log }).then(literalLoops).then(
  (summary) => {
    window.__conformance = summary;
  },
  (err: unknown) => {
    window.__conformanceError = err instanceof Error ? `${err.name}: ${err.message}\n${err.stack ?? ''}` : String(err);
    log(`error: ${window.__conformanceError}`);
  },
);
