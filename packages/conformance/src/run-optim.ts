/**
 * Optimizer, lr-scheduler and gradient-clipping cases (family `optim`): optimizer trajectories
 * step by step, scheduler values, clipped gradients. Never reads expected values.
 */
import type { Case } from './cases.ts';
import type { CaseResult } from './run-case.ts';

/** True for the cases this file runs. */
export function isOptimCase(c: Case): boolean {
  return c.steps !== undefined || c.optimizer !== undefined || c.fn === 'clipGradNorm' || c.fn === 'clipGradValue';
}

export async function runOptimCase(c: Case): Promise<CaseResult> {
  throw new Error(`runCase: optim is not implemented yet (${c.fn})`);
}
