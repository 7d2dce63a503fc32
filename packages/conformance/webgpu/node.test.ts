/**
 * The conformance suite in Node on the WebGPU backend: Dawn (npm `webgpu`) on SwiftShader's
 * software Vulkan driver when there is no GPU. Every case is its own test, as on wasm; no skip list.
 */
import '@torchlet/backend-webgpu';
import { existsSync } from 'node:fs';
import { setBackend } from '@torchlet/core';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { loadFamily, SUITE_FAMILIES } from '../src/cases.ts';
import { checkCase } from '../src/suite.ts';

const BACKEND = 'webgpu';
const SWIFTSHADER = '/usr/lib/chromium/vk_swiftshader_icd.json';
if (process.env.VK_ICD_FILENAMES === undefined && existsSync(SWIFTSHADER)) process.env.VK_ICD_FILENAMES = SWIFTSHADER;

const families = await Promise.all(SUITE_FAMILIES.map(async (f) => [f, await loadFamily(f)] as const));
const counts: Record<string, { passed: number; failed: number; withGrads: number }> = {};
const started = Date.now();

beforeAll(async () => {
  await setBackend(BACKEND);
});

afterAll(() => {
  const lines = Object.entries(counts).map(([f, c]) => `  ${f}: ${c.passed} passed, ${c.failed} failed (${c.withGrads} with gradients)`);
  console.log(`conformance on ${BACKEND} (node, ${Date.now() - started} ms):\n${lines.join('\n')}`);
});

for (const [family, cases] of families) {
  counts[family] = { passed: 0, failed: 0, withGrads: 0 };
  describe(family, () => {
    it.each(cases.map((c) => [c.id, c] as const))('%s', async (_id, c) => {
      const r = await checkCase(c, BACKEND);
      counts[family]![r.ok ? 'passed' : 'failed']++;
      if (r.ok && c.grads) counts[family]!.withGrads++;
      if (!r.ok) throw new Error(r.failures.join('\n'));
    });
  });
}
