/**
 * The conformance suite in Node: every case of the suite's families is its own test, run on
 * the wasm backend. No skip list: a case that throws fails with its message.
 */
import '@torchlet/backend-wasm';
import { setBackend } from '@torchlet/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadFamily, SUITE_FAMILIES, type Case } from '../src/cases.ts';
import { runCase } from '../src/run-case.ts';
import { stripExpected } from '../src/strip.ts';
import { checkCase } from '../src/suite.ts';

const BACKEND = 'wasm';
const families = await Promise.all(SUITE_FAMILIES.map(async (f) => [f, await loadFamily(f)] as const));
const counts: Record<string, { passed: number; failed: number; withGrads: number }> = {};

beforeAll(async () => {
  await setBackend(BACKEND);
});

afterAll(() => {
  const lines = Object.entries(counts).map(([f, c]) => `  ${f}: ${c.passed} passed, ${c.failed} failed (${c.withGrads} with gradients)`);
  console.log(`conformance on ${BACKEND}:\n${lines.join('\n')}`);
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

/** A result or the error it threw, so that two runs can be compared either way. */
async function outcome(c: Case): Promise<unknown> {
  try {
    return { result: await runCase(c, BACKEND) };
  } catch (err) {
    return { threw: err instanceof Error ? err.message : String(err) };
  }
}

describe('runCase never reads expected values', () => {
  for (const [family, cases] of families) {
    it(`${family}: the same result with outputs and grads deleted`, async () => {
      for (const c of cases) {
        const stripped = await outcome(stripExpected(c));
        const full = await outcome(c);
        expect({ id: c.id, ...(stripped as object) }).toEqual({ id: c.id, ...(full as object) });
      }
    });
  }
});
