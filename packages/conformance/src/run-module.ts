/**
 * Module cases (families `modules`): build the nn module from `kwargs`, load `state` with
 * loadStateDict, run forward on `inputs` (with `forwardKwargs`), and return outputs plus input and
 * parameter gradients for `grads.upstream`. Never reads expected values.
 */
import type { Case } from './cases.ts';
import type { CaseResult } from './run-case.ts';

/** True for the cases this file runs: those with a module `state`. */
export function isModuleCase(c: Case): boolean {
  return c.state !== undefined;
}

export async function runModuleCase(c: Case): Promise<CaseResult> {
  throw new Error(`runCase: nn modules are not implemented yet (${c.fn})`);
}
