/**
 * The conformance suite as vitest tests, shared by the wasm run (test/conformance.test.ts) and the
 * WebGPU run (webgpu/node.test.ts): every case of the suite's families is its own test on
 * `backend` (registered by the caller's import), and the counts per family are printed at the end.
 * No skip list: a case that throws fails with its message.
 */
import { setBackend } from '@torchlet/core';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { loadFamily, SUITE_FAMILIES, type Case, type Family } from '../src/cases.ts';
import { checkCase } from '../src/suite.ts';

/** Defines the tests; returns the loaded families for further tests on the same cases. */
export async function defineConformanceSuite(backend: string): Promise<ReadonlyArray<readonly [Family, readonly Case[]]>> {
  const families = await Promise.all(SUITE_FAMILIES.map(async (f) => [f, await loadFamily(f)] as const));
  const counts: Record<string, { passed: number; failed: number; withGrads: number }> = {};
  const started = Date.now();

  beforeAll(async () => {
    await setBackend(backend);
  });

  afterAll(() => {
    const lines = Object.entries(counts).map(([f, c]) => `  ${f}: ${c.passed} passed, ${c.failed} failed (${c.withGrads} with gradients)`);
    console.log(`conformance on ${backend} (node, ${Date.now() - started} ms):\n${lines.join('\n')}`);
  });

  for (const [family, cases] of families) {
    counts[family] = { passed: 0, failed: 0, withGrads: 0 };
    describe(family, () => {
      it.each(cases.map((c) => [c.id, c] as const))('%s', async (_id, c) => {
        const r = await checkCase(c, backend);
        counts[family]![r.ok ? 'passed' : 'failed']++;
        if (r.ok && c.grads) counts[family]!.withGrads++;
        if (!r.ok) throw new Error(r.failures.join('\n'));
      });
    });
  }
  return families;
}
