/// <reference lib="deno.ns" />
/**
 * Literal PyTorch training loops (no tidy, no dispose, no await between steps) hold wasm memory,
 * live tensors and the JS heap flat in Deno (`pnpm run test:deno`, which passes
 * --v8-flags=--expose-gc so the heap can be read after a collection). 30 steps of each after
 * warm-up by default; TORCHLET_LONG_LOOPS=1 (with --allow-env) runs 10,000.
 */
import '@torchlet/backend-wasm';
import '@torchlet/autograd';
import { setBackend } from '@torchlet/core';
import { describeLiteralLoop, literalLoopPlan, literalLoopProblems, runLiteralLoop } from '../src/literal-loop.ts';

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with --v8-flags=--expose-gc: the JS heap is read after a collection');
const heap = { gc, used: () => Deno.memoryUsage().heapUsed };
let long = false;
try {
  long = Deno.env.get('TORCHLET_LONG_LOOPS') === '1';
} catch {
  // no --allow-env: the quick run
}

const plan = literalLoopPlan('wasm', long);
for (const model of plan.models) {
  Deno.test(`literal ${model} training loop holds memory flat on wasm`, async () => {
    await setBackend('wasm');
    const r = await runLiteralLoop(model, { ...plan, heap });
    console.log(describeLiteralLoop(r));
    const problems = literalLoopProblems(r, plan.heapSlack);
    if (problems.length) throw new Error(`${model}: ${problems.join('; ')}`);
  });
}
