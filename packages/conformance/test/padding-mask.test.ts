/**
 * Transformer layers with key-padding masks against PyTorch 1.13 (test/fixtures/padding_mask_cases.json,
 * written by scripts/gen_padding_mask_cases.py): pre- and post-norm, bool and float masks, with and
 * without causal masks, batch- and sequence-first, odd sizes (d 12 and 40, sequences of 5-9).
 * Outputs, input gradients and every parameter gradient are checked. Issue 13 found held-out
 * cases like these giving NaN parameter gradients on WebGPU only; webgpu/padding-mask.test.ts
 * runs the same file there.
 */
import '@torchlet/autograd';
import '@torchlet/backend-wasm';
import { setBackend } from '@torchlet/core';
import { readFileSync } from 'node:fs';
import { beforeAll, expect, it } from 'vitest';
import type { CaseFile } from '../src/cases.ts';
import { checkCase } from '../src/suite.ts';

const file = JSON.parse(readFileSync(new URL('./fixtures/padding_mask_cases.json', import.meta.url), 'utf8')) as CaseFile;

beforeAll(async () => {
  await setBackend('wasm');
});

it('the fixture holds the nine cases the generator writes', () => {
  expect(file.cases.map((c) => c.fn).sort()).toEqual([
    ...Array(3).fill('TransformerDecoderLayer'), ...Array(2).fill('TransformerEncoder'), ...Array(4).fill('TransformerEncoderLayer'),
  ]);
  // Every case checks the gradients of its inputs and of every parameter.
  for (const c of file.cases) expect(Object.keys(c.grads?.params ?? {}).sort()).toEqual(Object.keys(c.state ?? {}).sort());
});

it.each(file.cases.map((c) => [c.id, c] as const))('%s on wasm', async (_id, c) => {
  const r = await checkCase(c, 'wasm');
  if (!r.ok) throw new Error(r.failures.join('\n'));
});
