/**
 * The key-padding-mask Transformer cases of test/padding-mask.test.ts (scripts/gen_padding_mask_cases.py,
 * PyTorch 1.13) on WebGPU in Node (Dawn on SwiftShader without a GPU). Issue 13 found NaN parameter
 * gradients here only: tfjs's matmul reads B past K unguarded, and padded keys put -inf where
 * those reads land (the backend now zero-pads K to a whole tile).
 */
import '@torchlet/autograd';
import '@torchlet/backend-webgpu';
import { removeBackendInstance, setBackend } from '@torchlet/core';
import { existsSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { CaseFile } from '../src/cases.ts';
import { checkCase } from '../src/suite.ts';

const SWIFTSHADER = '/usr/lib/chromium/vk_swiftshader_icd.json';
if (process.env.VK_ICD_FILENAMES === undefined && existsSync(SWIFTSHADER)) process.env.VK_ICD_FILENAMES = SWIFTSHADER;

const file = JSON.parse(readFileSync(new URL('../test/fixtures/padding_mask_cases.json', import.meta.url), 'utf8')) as CaseFile;

beforeAll(async () => {
  await setBackend('webgpu');
});
afterAll(() => removeBackendInstance('webgpu'));

it('the fixture holds the nine cases the generator writes (test/padding-mask.test.ts checks their gradients are complete)', () => {
  expect(file.cases.map((c) => c.fn).sort()).toEqual([
    ...Array(3).fill('TransformerDecoderLayer'), ...Array(2).fill('TransformerEncoder'), ...Array(4).fill('TransformerEncoderLayer'),
  ]);
});

it.each(file.cases.map((c) => [c.id, c] as const))('%s on WebGPU', async (_id, c) => {
  const r = await checkCase(c, 'webgpu');
  if (!r.ok) throw new Error(r.failures.join('\n'));
});
