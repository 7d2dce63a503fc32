/**
 * Literal PyTorch training loops (no tidy, no dispose, no await between steps) hold wasm memory,
 * live tensors and the JS heap flat in Node. Quick by default (tiny models, a few dozen steps,
 * seconds); `TORCHLET_LONG_LOOPS=1` runs 10,000 steps of each.
 */
import '@torchlet/autograd';
import '@torchlet/backend-wasm';
import { setBackend } from '@torchlet/core';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { beforeAll, expect, it } from 'vitest';
import { LITERAL_MODELS, describeLiteralLoop, literalLoopProblems, runLiteralLoop } from '../src/literal-loop.ts';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const heap = { gc, used: () => process.memoryUsage().heapUsed };

const LONG = process.env.TORCHLET_LONG_LOOPS === '1';
const STEPS = LONG ? 10_000 : 30;
const WARMUP = LONG ? 200 : 10;
// Heap noise (compiled code, feedback vectors) is a few hundred KiB and does not grow with the
// steps; the leaks this catches were 7-180 KB per step.
const HEAP_SLACK = LONG ? 4 << 20 : 1 << 20;

beforeAll(async () => {
  await setBackend('wasm');
});

for (const model of LITERAL_MODELS) {
  it(`a literal ${model} training loop holds memory flat on wasm (${STEPS} steps after warm-up)`, { timeout: LONG ? 3_600_000 : 60_000 }, async () => {
    const r = await runLiteralLoop(model, { warmup: WARMUP, steps: STEPS, heap });
    console.log(describeLiteralLoop(r));
    expect(literalLoopProblems(r, HEAP_SLACK)).toEqual([]);
  });
}
