import type { Case, CaseDType, JsonNumber, TensorJson, Tolerance } from './cases.ts';
import { decodeNumber, numel } from './decode.ts';
import type { CaseResult, ResultTensor } from './run-case.ts';

/** The verdict on one case: `failures` says what differed, one line each, naming the case. */
export interface Comparison {
  readonly ok: boolean;
  readonly failures: string[];
}

/** How many mismatching elements a failure message lists. */
const SHOW = 5;

/**
 * Compares what {@link runCase} returned with the case's expected values, by the README's rule:
 * shapes and dtypes equal; `int32`, `bool` exact; floats pass when
 * `|actual - expected| <= atol + rtol * |expected|` with `expected = Math.fround(value)` for
 * float32 (float64 scheduler values are not rounded); an expected NaN needs NaN, an expected
 * ±Infinity the same infinity; a `null` output needs `null`.
 *
 * Everything the case expects is compared: outputs, gradients (`grads.inputs`, `grads.params`),
 * optimizer steps and scheduler `initial` values. A result that lacks one the case has fails:
 * a gradient that was never computed is never a pass. Extra entries in the result are ignored.
 */
export function compareResult(c: Case, result: CaseResult): Comparison {
  const failures: string[] = [];
  const fail = (msg: string) => failures.push(`${c.id}: ${msg}`);
  const tol = c.tol;

  if (!result || !Array.isArray(result.outputs)) {
    fail('result has no outputs array');
    return { ok: false, failures };
  }
  if (result.outputs.length !== c.outputs.length) {
    fail(`${result.outputs.length} outputs, expected ${c.outputs.length}`);
  }
  const n = Math.min(result.outputs.length, c.outputs.length);
  for (let i = 0; i < n; i++) {
    const expected = c.outputs[i] ?? null;
    const actual = result.outputs[i] ?? null;
    const where = `outputs[${i}]`;
    if (expected === null || actual === null) {
      if (expected !== actual) fail(`${where} is ${actual === null ? 'null' : 'a tensor'}, expected ${expected === null ? 'null' : 'a tensor'}`);
      continue;
    }
    compareTensor(where, actual, expected, tol, true, fail);
  }

  if (c.grads && !result.grads) fail('the case has gradients but the result has none');
  if (result.grads && c.grads) {
    compareNamed('grads.inputs', result.grads.inputs, c.grads.inputs, tol, fail);
    if (c.grads.params) compareNamed('grads.params', result.grads.params, c.grads.params, tol, fail);
  }

  if (c.steps && !result.steps) fail('the case has optimizer steps but the result has none');
  if (c.initial && !result.initial) fail('the case has initial scheduler values but the result has none');
  if (result.steps && c.steps) {
    if (result.steps.length !== c.steps.length) fail(`${result.steps.length} steps, expected ${c.steps.length}`);
    const m = Math.min(result.steps.length, c.steps.length);
    for (let s = 0; s < m; s++) {
      const got = result.steps[s]!.params;
      const want = c.steps[s]!.params;
      if (got.length !== want.length) fail(`steps[${s}]: ${got.length} params, expected ${want.length}`);
      for (let p = 0; p < Math.min(got.length, want.length); p++) {
        compareTensor(`steps[${s}].params[${p}]`, got[p]!, want[p]!, tol, false, fail);
      }
    }
  }

  if (result.initial && c.initial) {
    for (const [key, value] of Object.entries(c.initial)) {
      const got = result.initial[key];
      if (got === undefined) fail(`initial.${key} missing`);
      else if (!closeEnough(got, value, 'float64', tol)) fail(`initial.${key} = ${got}, expected ${value}`);
    }
  }

  return { ok: failures.length === 0, failures };
}

function compareNamed(
  where: string,
  got: Readonly<Record<string, ResultTensor>> | undefined,
  want: Readonly<Record<string, TensorJson>>,
  tol: Tolerance,
  fail: (msg: string) => void,
): void {
  for (const [name, expected] of Object.entries(want)) {
    const actual = got?.[name];
    if (!actual) fail(`${where}.${name} missing`);
    else compareTensor(`${where}.${name}`, actual, expected, tol, false, fail);
  }
}

/**
 * Compares one tensor. `dtypeRequired`: outputs must state their dtype; gradients and step
 * parameters may omit it (they are float32), but if they state one it must match.
 */
function compareTensor(
  where: string,
  actual: ResultTensor,
  expected: TensorJson,
  tol: Tolerance,
  dtypeRequired: boolean,
  fail: (msg: string) => void,
): void {
  if (actual.dtype !== undefined || dtypeRequired) {
    if (actual.dtype !== expected.dtype) {
      fail(`${where}: dtype ${String(actual.dtype)}, expected ${expected.dtype}`);
      return;
    }
  }
  if (!sameShape(actual.shape, expected.shape)) {
    fail(`${where}: shape [${[...actual.shape].join(', ')}], expected [${expected.shape.join(', ')}]`);
    return;
  }
  const size = numel(expected.shape);
  if (actual.data.length !== size) {
    fail(`${where}: ${actual.data.length} elements for shape [${expected.shape.join(', ')}], expected ${size}`);
    return;
  }
  const bad: string[] = [];
  let count = 0;
  for (let i = 0; i < size; i++) {
    const a = Number(actual.data[i]);
    const e = expected.data[i]!;
    if (closeEnough(a, e, expected.dtype, tol)) continue;
    count++;
    if (bad.length < SHOW) bad.push(`${indexString(i, expected.shape)} got ${fmt(a, expected.dtype)} expected ${fmt(expectedValue(e, expected.dtype), expected.dtype)}`);
  }
  if (count > 0) {
    const rule = expected.dtype === 'int32' || expected.dtype === 'bool' ? 'exact' : `rtol=${tol.rtol}, atol=${tol.atol}`;
    fail(`${where} (${expected.dtype} [${expected.shape.join(', ')}], ${rule}): ${count} of ${size} elements differ: ${bad.join('; ')}${count > SHOW ? '; ...' : ''}`);
  }
}

function expectedValue(e: JsonNumber, dtype: CaseDType): number {
  const v = decodeNumber(e);
  return dtype === 'float32' ? Math.fround(v) : v;
}

/** The README's rule for one element. */
export function closeEnough(actual: number, expected: JsonNumber, dtype: CaseDType, tol: Tolerance): boolean {
  const e = expectedValue(expected, dtype);
  if (dtype === 'int32' || dtype === 'bool') return actual === e;
  if (Number.isNaN(e)) return Number.isNaN(actual);
  if (!Number.isFinite(e)) return actual === e;
  // NaN or an infinite actual fails here: the comparison is false.
  return Math.abs(actual - e) <= tol.atol + tol.rtol * Math.abs(e);
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  if (!a || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The flat index `i` as a multi-index of `shape`, e.g. `[1, 3]`. */
function indexString(i: number, shape: readonly number[]): string {
  const idx: number[] = [];
  for (let d = shape.length - 1; d >= 0; d--) {
    idx.push(i % shape[d]!);
    i = Math.floor(i / shape[d]!);
  }
  return `[${idx.reverse().join(', ')}]`;
}

/** `x` as its shortest decimal, at float32 precision for float32 (as the case files write it). */
function fmt(x: number, dtype: CaseDType): string {
  if (Object.is(x, -0)) return '-0';
  if (dtype !== 'float32' || !Number.isFinite(x) || Math.fround(x) !== x) return String(x);
  for (let p = 1; p < 9; p++) {
    const s = x.toPrecision(p);
    if (Math.fround(Number(s)) === x) return String(Number(s));
  }
  return String(Number(x.toPrecision(9)));
}
