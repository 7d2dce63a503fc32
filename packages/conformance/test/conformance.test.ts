/**
 * The conformance suite in Node: every case of the suite's families is its own test, run on
 * the wasm backend. No skip list: a case that throws fails with its message.
 */
import '@torchlet/backend-wasm';
import { describe, expect, it } from 'vitest';
import type { Case } from '../src/cases.ts';
import { runCase } from '../src/run-case.ts';
import { stripExpected } from '../src/strip.ts';
import { defineConformanceSuite } from './define-suite.ts';

const BACKEND = 'wasm';
const families = await defineConformanceSuite(BACKEND);

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
