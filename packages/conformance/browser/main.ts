/**
 * The conformance suite in a browser page, on the wasm backend (or `?backend=webgpu`, or
 * `?backend=wasm-threads`: the wasm backend with two threads, every product and attention pass
 * the pool can split sent to it). When it finishes, the summary is
 * `window.__conformance` (or the error that stopped it is `window.__conformanceError`);
 * run-chromium.mjs waits for either. After the suite, the literal training loops (no tidy,
 * dispose or await between steps) run and count as the family `literal-loop`, as literalLoopPlan
 * says (every model on wasm, the MNIST and Transformer loops on WebGPU). The JS heap is checked
 * too when the page can collect garbage and read the heap exactly (run-chromium.mjs starts
 * Chromium with --js-flags=--expose-gc and --enable-precise-memory-info). `?long=1`
 * (run-chromium.mjs under TORCHLET_LONG_LOOPS=1) runs only the loops, for 10,000 steps on wasm
 * and 1,000 on WebGPU. Last, on `wasm` and `webgpu` (not `wasm-threads`, and not with `long`), the
 * torch.compile checks (src/compiled.ts: every modules case compiled, the MLP and Transformer
 * training loops against eager, a re-trace, a value read) count as the family `compiled`, bit for
 * bit against eager on wasm.
 */
import { registerBackend } from '@torchlet/core';
import { createWasmBackend } from '@torchlet/backend-wasm';
import '@torchlet/backend-webgpu';
import { SUITE_FAMILIES } from '../src/cases.ts';
import { runSuite, type SuiteSummary } from '../src/suite.ts';
import '@torchlet/autograd';
import { describeLiteralLoop, literalLoopPlan, literalLoopProblems, runLiteralLoop, type HeapProbe } from '../src/literal-loop.ts';
import { runCompiledChecks } from '../src/compiled.ts';

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
const params = new URLSearchParams(location.search);
const backend = params.get('backend') ?? 'wasm';
const long = params.get('long') === '1';

/** Chromium's `performance.memory` (non-standard; exact only with --enable-precise-memory-info). */
interface ChromiumMemory {
  usedJSHeapSize: number;
}

/** The page's heap probe when Chromium exposes `gc()` and `performance.memory`, else undefined. */
function heapProbe(): HeapProbe | undefined {
  const gc = (globalThis as { gc?: () => void }).gc;
  const memory = (performance as Performance & { memory?: ChromiumMemory }).memory;
  if (!gc || !memory) return undefined;
  return { gc, used: () => memory.usedJSHeapSize };
}

/** Adds the literal-loop runs to the summary as one more family. */
async function literalLoops(summary: SuiteSummary): Promise<SuiteSummary> {
  const plan = literalLoopPlan(backend, long);
  const models = plan.models;
  const heap = heapProbe();
  if (!heap) log('literal-loop: no gc() or performance.memory on this page; the JS heap is not checked');
  const failures: string[] = [];
  for (const model of models) {
    const r = await runLiteralLoop(model, { ...plan, heap });
    log(describeLiteralLoop(r));
    for (const p of literalLoopProblems(r, plan.heapSlack)) failures.push(`literal-loop ${model}: ${p}`);
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

/** Adds the torch.compile checks to the summary as the family `compiled` (wasm and webgpu only). */
async function compiledFamily(summary: SuiteSummary): Promise<SuiteSummary> {
  if (long || (backend !== 'wasm' && backend !== 'webgpu')) return summary;
  const r = await runCompiledChecks({ exact: backend === 'wasm' }, log);
  return {
    ...summary,
    perFamily: { ...summary.perFamily, compiled: { passed: r.passed, failed: r.failed, passedWithGrads: 0 } },
    passed: summary.passed + r.passed,
    failed: summary.failed + r.failed,
    failures: [...summary.failures, ...r.failures],
  };
}

runSuite({ backend, families: long ? [] : SUITE_FAMILIES, log }).then(literalLoops).then(compiledFamily).then(
  (summary) => {
    window.__conformance = summary;
  },
  (err: unknown) => {
    window.__conformanceError = err instanceof Error ? `${err.name}: ${err.message}\n${err.stack ?? ''}` : String(err);
    log(`error: ${window.__conformanceError}`);
  },
);
