/// <reference lib="deno.ns" />
/**
 * The literal training loops (no tidy, no dispose, no await between steps) on WebGPU in Deno
 * (its built-in wgpu; lavapipe without a GPU): the seed's MNIST loop and the Transformer loop hold
 * live tensors, GPU buffers and bytes and the JS heap flat. Run with --v8-flags=--expose-gc (the
 * heap is read after a collection) and --allow-env; TORCHLET_LONG_LOOPS=1 runs 1,000 steps.
 */
import '@torchlet/backend-webgpu';
import '@torchlet/autograd';
import { removeBackendInstance, setBackend } from '@torchlet/core';
import { describeLiteralLoop, literalLoopPlan, literalLoopProblems, runLiteralLoop } from '../../src/literal-loop.ts';

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with --v8-flags=--expose-gc: the JS heap is read after a collection');
const heap = { gc, used: () => Deno.memoryUsage().heapUsed };
const plan = literalLoopPlan('webgpu', Deno.env.get('TORCHLET_LONG_LOOPS') === '1');

for (const model of plan.models) {
  Deno.test(`literal ${model} training loop holds memory flat on WebGPU`, async () => {
    await setBackend('webgpu');
    try {
      const r = await runLiteralLoop(model, { ...plan, heap });
      console.log(describeLiteralLoop(r));
      const problems = literalLoopProblems(r, plan.heapSlack);
      if (problems.length) throw new Error(`${model}: ${problems.join('; ')}`);
    } finally {
      removeBackendInstance('webgpu');
    }
  });
}
