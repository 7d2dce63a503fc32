/**
 * 1,000 training steps of a small MLP on the WebGPU backend (Dawn on SwiftShader, as in
 * backend.test.ts) hold GPU memory flat: core's `memory()` (tensors, buffers, bytes, the
 * backend's reservedBytes), the backend's own buffer pool (live + pooled buffers) and tfjs's
 * engine (tensors and GPU bytes of the matmuls it runs for us) read the same after the 1,000th
 * step as after the 10th.
 *
 * The default run takes 10 + 100 steps (about 5 s on SwiftShader, two cores: CI's whole run must
 * stay under 10 minutes); `TORCHLET_LONG_LOOPS=1` runs the 1,000 (about 45 s; `pnpm --filter
 * @torchlet/backend-webgpu run test:memory` runs it alone).
 */
import * as tf from '@tensorflow/tfjs-core';
import * as torch from '@torchlet/core';
import { removeBackendInstance } from '@torchlet/core';
import '@torchlet/autograd';
import { CrossEntropyLoss, Linear, ReLU, Sequential } from '@torchlet/nn';
import { SGD } from '@torchlet/optim';
import { afterAll, beforeAll, expect, it } from 'vitest';
import '../src/index.ts'; // registers 'webgpu'
import type { WebGpuBackend } from '../src/index.ts';

let backend: WebGpuBackend;

beforeAll(async () => {
  backend = (await torch.setBackend('webgpu')) as WebGpuBackend;
});

afterAll(() => removeBackendInstance('webgpu'));

function snapshot() {
  const m = torch.memory();
  const t = tf.memory() as tf.MemoryInfo & { numBytesInGPU?: number };
  return {
    tensors: m.tensors,
    buffers: m.buffers,
    bytes: m.bytes,
    backend: m.backends['webgpu'],
    pool: backend.bufferStats(),
    tfjsTensors: t.numTensors,
    tfjsBytesInGPU: t.numBytesInGPU,
  };
}

const STEPS = process.env.TORCHLET_LONG_LOOPS === '1' ? 1000 : 110;

it(`${STEPS} training steps of a small MLP keep GPU buffers and bytes flat`, async () => {
  torch.manualSeed(0);
  const model = new Sequential(new Linear(16, 32), new ReLU(), new Linear(32, 4));
  const criterion = new CrossEntropyLoss();
  const optimizer = new SGD(model.parameters(), { lr: 0.05, momentum: 0.9 });
  const x = torch.randn([8, 16]);
  const y = torch.tensor([0, 1, 2, 3, 0, 1, 2, 3], { dtype: 'int32' });
  const step = () => torch.tidy(() => {
    optimizer.zeroGrad();
    const loss = criterion.forward(model.forward(x), y);
    loss.backward();
    optimizer.step();
    return loss.detach();
  });
  const run = async (n: number) => {
    let last = NaN;
    for (let i = 0; i < n; i++) {
      const loss = step();
      // Read every 50th loss (as a training loop printing progress would); the rest are never read.
      if (i % 50 === 49 || i === n - 1) last = Number(await loss.item());
      loss.dispose();
    }
    return last;
  };

  const first = await run(10);
  const before = snapshot();
  const last = await run(STEPS - 10);
  const after = snapshot();
  expect(after).toEqual(before);
  expect(before.pool.live).toBeGreaterThan(0);
  expect(last).toBeLessThan(first); // it did train
}, 900_000);
