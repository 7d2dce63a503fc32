import type { Case } from './cases.ts';

/**
 * A result tensor. `data` may be a typed array, a number array, or booleans for bool tensors;
 * `dtype` is required for outputs and optional for gradients (which are float32).
 */
export interface ResultTensor {
  readonly dtype?: string;
  readonly shape: readonly number[];
  readonly data: ArrayLike<number | boolean>;
}

/**
 * What {@link runCase} returns, in the case file's own layout: `outputs` in PyTorch's order
 * (`null` where PyTorch returns None), and, for cases that have `grads`, the gradients it
 * computed for the inputs named in the case (and for every parameter of a module), and for
 * optimizer cases the parameters after each step (and for schedulers the `initial` values).
 */
export interface CaseResult {
  readonly outputs: readonly (ResultTensor | null)[];
  readonly grads?: {
    readonly inputs: Readonly<Record<string, ResultTensor>>;
    readonly params?: Readonly<Record<string, ResultTensor>>;
  };
  readonly steps?: readonly { readonly params: readonly ResultTensor[] }[];
  /** lr schedulers: the param-group values right after construction. */
  readonly initial?: Readonly<Record<string, number>>;
}

/**
 * Runs one conformance case on the backend called `backendName` and returns what torchlet
 * computed, in the case file's layout (see {@link CaseResult}).
 *
 * It reads only the case's arguments: `fn`, `kwargs`, `inputs`, `grads.upstream`, `state`,
 * `training`, `forwardKwargs`, `steps[].grads`, `optimizer`, `numSteps`. It never reads the
 * expected values (`outputs`, `grads.inputs`, `grads.params`, `steps[].params`, `initial`)
 * — the conformance tests run it on copies with those deleted to check.
 */
export async function runCase(caseJson: Case, backendName: string): Promise<CaseResult> {
  void caseJson;
  void backendName;
  throw new Error('runCase: not implemented yet');
}
