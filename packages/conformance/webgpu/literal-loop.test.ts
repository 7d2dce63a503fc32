/**
 * The literal training loops (no tidy, no dispose, no await between steps) on WebGPU in Node
 * (Dawn on SwiftShader without a GPU): the seed's MNIST loop and the Transformer loop hold live
 * tensors, GPU buffers, live GPU bytes, the pool's GPU bytes and the JS heap flat. 10 + 15 steps by
 * default (seconds on a software GPU); `TORCHLET_LONG_LOOPS=1` runs 1,000 (literalLoopPlan).
 */
import '@torchlet/autograd';
import '@torchlet/backend-webgpu';
import { removeBackendInstance, setBackend } from '@torchlet/core';
import { existsSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeLiteralLoop, literalLoopPlan, literalLoopProblems, runLiteralLoop } from '../src/literal-loop.ts';

const SWIFTSHADER = '/usr/lib/chromium/vk_swiftshader_icd.json';
if (process.env.VK_ICD_FILENAMES === undefined && existsSync(SWIFTSHADER)) process.env.VK_ICD_FILENAMES = SWIFTSHADER;

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const heap = { gc, used: () => process.memoryUsage().heapUsed };

const LONG = process.env.TORCHLET_LONG_LOOPS === '1';
const plan = literalLoopPlan('webgpu', LONG);

beforeAll(async () => {
  await setBackend('webgpu');
});
afterAll(() => removeBackendInstance('webgpu'));

for (const model of plan.models) {
  it(`a literal ${model} training loop holds memory flat on WebGPU (${plan.steps} steps after warm-up)`, { timeout: LONG ? 3_600_000 : 120_000 }, async () => {
    const r = await runLiteralLoop(model, { ...plan, heap });
    console.log(describeLiteralLoop(r));
    expect(literalLoopProblems(r, plan.heapSlack)).toEqual([]);
  });
}
