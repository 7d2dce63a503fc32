/**
 * Literal PyTorch training loops (no tidy, no dispose, no await between steps) hold wasm memory,
 * live tensors and the JS heap flat in Node. Quick by default (tiny models, a few dozen steps,
 * seconds); `TORCHLET_LONG_LOOPS=1` runs 10,000 steps of each (literalLoopPlan). The WebGPU run
 * is webgpu/literal-loop.test.ts.
 */
import '@torchlet/autograd';
import '@torchlet/backend-wasm';
import { setBackend } from '@torchlet/core';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { beforeAll, expect, it } from 'vitest';
import { describeLiteralLoop, literalLoopPlan, literalLoopProblems, runLiteralLoop } from '../src/literal-loop.ts';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const heap = { gc, used: () => process.memoryUsage().heapUsed };

const LONG = process.env.TORCHLET_LONG_LOOPS === '1';
const plan = literalLoopPlan('wasm', LONG);

beforeAll(async () => {
  await setBackend('wasm');
});

for (const model of plan.models) {
  it(`a literal ${model} training loop holds memory flat on wasm (${plan.steps} steps after warm-up)`, { timeout: LONG ? 3_600_000 : 60_000 }, async () => {
    const r = await runLiteralLoop(model, { ...plan, heap });
    console.log(describeLiteralLoop(r));
    expect(literalLoopProblems(r, plan.heapSlack)).toEqual([]);
  });
}
