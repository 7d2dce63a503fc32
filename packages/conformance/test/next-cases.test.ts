/**
 * Runs a case file that is not (yet) part of the suite, one test per case, on one backend:
 *
 *   CONFORMANCE_NEXT=../shared/conformance-next/ops_extra.json [CONFORMANCE_BACKEND=webgpu|reference] \
 *     pnpm exec vitest run packages/conformance/test/next-cases.test.ts
 *
 * (`CONFORMANCE_FILTER=sort` keeps the cases whose id contains the text.) A tool for adopting a
 * new case file: without CONFORMANCE_NEXT it defines no tests, since every adopted family
 * (src/cases.ts) already runs in conformance.test.ts and the other runtimes' suites.
 */
import '@torchlet/backend-wasm';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { registerBackend, setBackend } from '@torchlet/core';
import { beforeAll, describe, it } from 'vitest';
import type { CaseFile } from '../src/cases.ts';
import { checkCase } from '../src/suite.ts';

const root = resolve(import.meta.dirname, '../../..');
const next = process.env.CONFORMANCE_NEXT;
const backend = process.env.CONFORMANCE_BACKEND ?? 'wasm';
if (backend === 'webgpu') {
  const SWIFTSHADER = '/usr/lib/chromium/vk_swiftshader_icd.json';
  process.env.VK_ICD_FILENAMES ??= SWIFTSHADER;
  await import('@torchlet/backend-webgpu');
}
if (backend === 'reference') {
  const { createReferenceBackend } = await import('../../core/test/reference-backend.ts');
  registerBackend('reference', () => createReferenceBackend());
}
const filter = process.env.CONFORMANCE_FILTER ?? '';
const file = next ? resolve(root, next) : '';
const cases = next ? (JSON.parse(readFileSync(file, 'utf8')) as CaseFile).cases.filter((c) => c.id.includes(filter)) : [];

describe.runIf(next)(`${file} on ${backend}`, () => {
  beforeAll(async () => {
    await setBackend(backend);
  });
  it.each(cases.map((c) => [c.id, c] as const))('%s', async (_id, c) => {
    const r = await checkCase(c, backend);
    if (!r.ok) throw new Error(r.failures.join('\n'));
  }, 120_000);
});
