/**
 * The case format of ../shared/conformance (see its README), as types, and loading of a
 * family's cases in any runtime.
 *
 * Cases are loaded with dynamic JSON imports (`with { type: 'json' }`), which Node (under
 * vitest), Deno and Vite builds for the browser all understand, so no runtime needs file-system
 * access or a fetch of its own. Each import is a separate chunk in the browser build, loaded
 * only when its family runs.
 */

/** dtypes that appear in case files. `float64` only holds lr-scheduler values. */
export type CaseDType = 'float32' | 'int32' | 'bool' | 'float64';

/** A JSON scalar as it appears in `data` or `kwargs`: a number, or "Infinity" / "-Infinity" / "NaN". */
export type JsonNumber = number | 'Infinity' | '-Infinity' | 'NaN';

/** A tensor as written in a case file: flat row-major `data`, `name` only on inputs. */
export interface TensorJson {
  readonly name?: string;
  readonly dtype: CaseDType;
  readonly shape: readonly number[];
  readonly data: readonly JsonNumber[];
}

/** `|actual - expected| <= atol + rtol * |expected|` for every float element of a case. */
export interface Tolerance {
  readonly rtol: number;
  readonly atol: number;
}

/** Expected gradients; see the README's "Gradients". */
export interface GradsJson {
  /** Cotangent for each output; `null` for outputs that are not differentiable. Read by runCase. */
  readonly upstream: readonly (TensorJson | null)[];
  /** Expected gradient per input name. Never read by runCase. */
  readonly inputs: Readonly<Record<string, TensorJson>>;
  /** Expected gradient per state key (modules only). Never read by runCase. */
  readonly params?: Readonly<Record<string, TensorJson>>;
}

/** One optimizer step: the gradients to set (read by runCase) and the parameters after it (expected). */
export interface StepJson {
  readonly grads: readonly TensorJson[];
  readonly params: readonly TensorJson[];
}

/** A `{fn, kwargs}` pair: a layer of `Sequential`, an op of `chain`, a scheduler's optimizer. */
export interface FnJson {
  readonly fn: string;
  readonly kwargs: Readonly<Record<string, unknown>>;
}

/** One case. Family-specific fields are optional. */
export interface Case {
  readonly id: string;
  readonly fn: string;
  /** Non-tensor arguments (camelCase); special floats are strings, see {@link JsonNumber}. */
  readonly kwargs: Readonly<Record<string, unknown>>;
  readonly inputs: readonly TensorJson[];
  /** Expected results, `null` where PyTorch returns None. Never read by runCase. */
  readonly outputs: readonly (TensorJson | null)[];
  readonly grads?: GradsJson;
  readonly tol: Tolerance;
  readonly ref?: string;
  readonly note?: string;
  // modules
  readonly training?: boolean;
  readonly state?: Readonly<Record<string, TensorJson>>;
  readonly forwardKwargs?: Readonly<Record<string, unknown>>;
  // optimizers
  readonly steps?: readonly StepJson[];
  // lr schedulers
  readonly optimizer?: FnJson;
  readonly numSteps?: number;
  readonly initial?: Readonly<Record<string, number>>;
}

/** A whole case file. */
export interface CaseFile {
  readonly generator: string;
  readonly torchVersion: string;
  readonly variant: string;
  readonly seed: number;
  readonly formatVersion: number;
  readonly family: string;
  readonly cases: readonly Case[];
}

/**
 * The families of ../shared/conformance (`modules` spans two files), and `ops_new`: the cases
 * scripts/gen_newops_cases.py writes with PyTorch for ops the shared files do not cover.
 */
export type Family =
  | 'ops_elementwise' | 'ops_reduce' | 'ops_shape' | 'ops_linalg' | 'ops_nn' | 'ops_extra'
  | 'losses' | 'modules' | 'optim' | 'ops_new';

export const FAMILIES: readonly Family[] = [
  'ops_elementwise', 'ops_reduce', 'ops_shape', 'ops_linalg', 'ops_nn', 'ops_extra', 'losses', 'modules', 'optim', 'ops_new',
];

/** Families generated in this repository (not copied from ../shared, so not in cases/manifest.json). */
export const LOCAL_FAMILIES: readonly Family[] = ['ops_new'];

/** The families the suites run today; a family joins when core can run it. */
export const SUITE_FAMILIES: readonly Family[] = FAMILIES;

type Loader = () => Promise<{ default: unknown }>;

// Literal specifiers, one per file, so that bundlers (Vite) can see and split them.
const FILES: Record<Family, readonly Loader[]> = {
  ops_elementwise: [() => import('../cases/ops_elementwise.json', { with: { type: 'json' } })],
  ops_reduce: [() => import('../cases/ops_reduce.json', { with: { type: 'json' } })],
  ops_shape: [() => import('../cases/ops_shape.json', { with: { type: 'json' } })],
  ops_linalg: [() => import('../cases/ops_linalg.json', { with: { type: 'json' } })],
  ops_nn: [() => import('../cases/ops_nn.json', { with: { type: 'json' } })],
  // From ../shared/conformance-next (its own manifest there), adopted with issue 12's ops.
  ops_extra: [() => import('../cases/ops_extra.json', { with: { type: 'json' } })],
  losses: [() => import('../cases/losses.json', { with: { type: 'json' } })],
  modules: [
    () => import('../cases/modules.json', { with: { type: 'json' } }),
    () => import('../cases/modules_mlp784.json', { with: { type: 'json' } }),
  ],
  optim: [() => import('../cases/optim.json', { with: { type: 'json' } })],
  ops_new: [() => import('../cases/ops_new.json', { with: { type: 'json' } })],
};

/**
 * All cases of a family, in file order. Each call returns the shared module objects: callers
 * must not mutate them (clone with `structuredClone` first).
 */
export async function loadFamily(family: Family): Promise<readonly Case[]> {
  const loaders = FILES[family];
  if (!loaders) throw new Error(`conformance: unknown family '${family}'. Known: ${FAMILIES.join(', ')}.`);
  const files = await Promise.all(loaders.map(async (load) => (await load()).default as CaseFile));
  for (const f of files) {
    if (f.formatVersion !== 1) {
      throw new Error(`conformance: ${family} has formatVersion ${f.formatVersion}; this harness reads version 1.`);
    }
  }
  return files.flatMap((f) => f.cases);
}
