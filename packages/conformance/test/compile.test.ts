/**
 * Every `modules` case through torch.compile on wasm: forward and gradients computed by a replayed
 * plan (the third call: warm-up, trace, replay), judged with the case's own tolerances.
 */
import { setBackend } from '@torchlet/core';
import '@torchlet/backend-wasm';
import '@torchlet/autograd';
import { beforeAll, describe, it } from 'vitest';
import { loadFamily } from '../src/cases.ts';
import { compareResult } from '../src/compare.ts';
import { runModuleCase } from '../src/run-module.ts';

const cases = await loadFamily('modules');

beforeAll(async () => {
  await setBackend('wasm');
});

describe('modules, compiled', () => {
  it.each(cases.map((c) => [c.id, c] as const))('%s', async (_id, c) => {
    const r = compareResult(c, await runModuleCase(c, { compiled: true }));
    if (!r.ok) throw new Error(r.failures.join('\n'));
  });
});
