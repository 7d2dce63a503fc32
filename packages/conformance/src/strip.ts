import type { Case } from './cases.ts';

/**
 * A deep copy of `c` without its expected values (`outputs`, `grads.inputs`, `grads.params`,
 * `steps[].params`, `initial`), keeping the arguments runCase needs (`grads.upstream`,
 * `steps[].grads`). runCase must give the same result on it.
 */
export function stripExpected(c: Case): Case {
  const copy = structuredClone(c) as unknown as Record<string, unknown> & { grads?: Record<string, unknown>; steps?: Record<string, unknown>[] };
  delete copy.outputs;
  delete copy.initial;
  if (copy.grads) {
    delete copy.grads.inputs;
    delete copy.grads.params;
  }
  for (const s of copy.steps ?? []) delete s.params;
  return copy as unknown as Case;
}
