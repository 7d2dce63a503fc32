import { setBackend } from '@torchlet/core';
import { loadFamily, type Case, type Family } from './cases.ts';
import { compareResult, type Comparison } from './compare.ts';
import { runCase } from './run-case.ts';

export interface SuiteOptions {
  /** A registered backend name; the caller imports the backend package so that it registers. */
  readonly backend: string;
  readonly families: readonly Family[];
  /** Progress lines (one per family); defaults to none. */
  readonly log?: (line: string) => void;
}

export interface FamilyCounts {
  passed: number;
  failed: number;
  /** Passed cases whose gradients were checked too (forward and backward). */
  passedWithGrads: number;
}

export interface SuiteSummary {
  readonly backend: string;
  readonly perFamily: Record<string, FamilyCounts>;
  readonly passed: number;
  readonly failed: number;
  /** One line per failure, each starting with the case id. */
  readonly failures: string[];
}

/**
 * Runs one case and judges it. A case that throws fails with its error message: there is no
 * skip list, so an op a backend lacks is a failure, not a skip.
 */
export async function checkCase(c: Case, backend: string): Promise<Comparison> {
  try {
    return compareResult(c, await runCase(c, backend));
  } catch (err) {
    const msg = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    return { ok: false, failures: [`${c.id}: threw ${msg}`] };
  }
}

/**
 * Runs every case of `families` on `backend`, the same way in Node, Deno and the browser.
 * Cases run one after another, in file order.
 */
export async function runSuite({ backend, families, log = () => {} }: SuiteOptions): Promise<SuiteSummary> {
  // Fail once, clearly, when the backend is missing, rather than once per case.
  await setBackend(backend);
  const perFamily: Record<string, FamilyCounts> = {};
  const failures: string[] = [];
  let passed = 0;
  let failed = 0;
  for (const family of families) {
    const counts: FamilyCounts = { passed: 0, failed: 0, passedWithGrads: 0 };
    const start = Date.now();
    for (const c of await loadFamily(family)) {
      const r = await checkCase(c, backend);
      if (r.ok) {
        counts.passed++;
        if (c.grads) counts.passedWithGrads++;
      } else {
        counts.failed++;
        failures.push(...r.failures);
      }
    }
    perFamily[family] = counts;
    passed += counts.passed;
    failed += counts.failed;
    log(`${family}: ${counts.passed} passed, ${counts.failed} failed (${counts.passedWithGrads} with gradients; ${Date.now() - start} ms)`);
  }
  log(`${backend}: ${passed} passed, ${failed} failed`);
  return { backend, perFamily, passed, failed, failures };
}
