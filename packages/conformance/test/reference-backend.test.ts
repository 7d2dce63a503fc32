// Core's composition of ops, checked apart from any kernel: the same cases on core's plain-JS
// test backend (packages/core/test/reference-backend.ts). A failure here and not on wasm points
// at a kernel; a failure on both points at core.
import { expect, it } from 'vitest';
import { registerBackend } from '@torchlet/core';
import { createReferenceBackend } from '../../core/test/reference-backend.ts';
import { runSuite, SUITE_FAMILIES } from '../src/index.ts';

it('every suite case passes on the plain-JS reference backend', async () => {
  registerBackend('reference', () => createReferenceBackend());
  const summary = await runSuite({ backend: 'reference', families: SUITE_FAMILIES, log: (l) => console.log(`[reference] ${l}`) });
  expect(summary.failures).toEqual([]);
  expect(summary.passed).toBeGreaterThan(300);
});
