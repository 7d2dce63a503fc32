/// <reference lib="deno.ns" />
/**
 * The conformance suite as Deno tests: one test per family on `backend` (registered by the caller's
 * import), printing `family: N passed, M failed` and failing when any case fails. Deno resolves
 * @torchlet/* through node_modules (deno.json: "nodeModulesDir": "manual"), i.e. the packages'
 * built dist/, and runs this package's TypeScript sources directly.
 */
import { SUITE_FAMILIES } from '../src/cases.ts';
import { runSuite } from '../src/suite.ts';

/** How many failure lines a failing family prints. */
const SHOW = 40;

export function defineConformanceTests(backend: string): void {
  for (const family of SUITE_FAMILIES) {
    Deno.test(`conformance ${family} on ${backend}`, async () => {
      const summary = await runSuite({ backend, families: [family] });
      const { passed, failed, passedWithGrads } = summary.perFamily[family]!;
      console.log(`${family}: ${passed} passed, ${failed} failed (${passedWithGrads} with gradients)`);
      if (failed > 0) {
        const shown = summary.failures.slice(0, SHOW).join('\n');
        const more = summary.failures.length > SHOW ? `\n... and ${summary.failures.length - SHOW} more` : '';
        throw new Error(`${family}: ${failed} of ${passed + failed} cases failed on ${backend}:\n${shown}${more}`);
      }
    });
  }
}
