/**
 * Constructor-argument checks and PyTorch-style printing shared by the layers: errors name the
 * layer, the argument and the value; `py*` format values the way Python's `repr` does, so
 * `toString()` reads like PyTorch's `print(model)`.
 */

/** `v` as an integer >= `min`, or a RangeError naming `layer` and `name`. */
export function checkInt(layer: string, name: string, v: unknown, min: number): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) {
    const what = min === 0 ? 'a non-negative integer' : min === 1 ? 'a positive integer' : `an integer >= ${min}`;
    throw new RangeError(`${layer}: ${name} must be ${what}, got ${show(v)}`);
  }
  return v;
}

/** An int or a list of `n` ints (each >= `min`) as a list of `n` ints. */
export function checkTuple(layer: string, name: string, v: unknown, n: number, min: number): number[] {
  const list = typeof v === 'number' ? new Array<number>(n).fill(v) : Array.isArray(v) ? [...(v as unknown[])] : null;
  if (list === null || list.length !== n) {
    throw new RangeError(`${layer}: ${name} must be an integer or a list of ${n} integers, got ${show(v)}`);
  }
  return list.map((x) => checkInt(layer, name, x, min));
}

/** A float in [lo, hi] (or just finite when no bounds). */
export function checkNumber(layer: string, name: string, v: unknown, lo = -Infinity, hi = Infinity): number {
  if (typeof v !== 'number' || Number.isNaN(v) || v < lo || v > hi || (!Number.isFinite(v) && lo === -Infinity && hi === Infinity)) {
    const range = lo === -Infinity && hi === Infinity ? 'a finite number' : hi === Infinity ? `a number >= ${lo}` : `a number between ${lo} and ${hi}`;
    throw new RangeError(`${layer}: ${name} must be ${range}, got ${show(v)}`);
  }
  return v;
}

export function checkBool(layer: string, name: string, v: unknown): boolean {
  if (typeof v !== 'boolean') throw new TypeError(`${layer}: ${name} must be a boolean, got ${show(v)}`);
  return v;
}

/** A value for an error message. */
export function show(v: unknown): string {
  if (typeof v === 'string') return `'${v}'`;
  if (Array.isArray(v)) return `[${v.map(show).join(', ')}]`;
  if (v === null || v === undefined || typeof v === 'number' || typeof v === 'boolean') return String(v);
  return typeof v;
}

/** Python's `repr` of a float: `1e-05`, `0.1`, `1.0`. */
export function pyFloat(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const exp = Math.floor(Math.log10(Math.abs(x)));
  // Python switches to scientific notation below 1e-4 and from 1e16.
  if (exp < -4 || exp >= 16) {
    const [mant, e] = x.toExponential().split('e') as [string, string];
    const sign = e.startsWith('-') ? '-' : '+';
    const digits = e.replace(/^[+-]/, '');
    return `${mant}e${sign}${digits.padStart(2, '0')}`;
  }
  const s = String(x);
  return s.includes('.') ? s : `${s}.0`;
}

/** Python's `repr` of a tuple of ints: `(3,)`, `(3, 3)`. */
export function pyTuple(v: readonly number[]): string {
  return v.length === 1 ? `(${v[0]},)` : `(${v.join(', ')})`;
}

/** Python's `repr` of an int or an int list as the user gave it (`2`, `(2, 3)`). */
export function pyIntOrTuple(v: number | readonly number[]): string {
  return typeof v === 'number' ? String(v) : pyTuple(v);
}

export function pyBool(b: boolean): string {
  return b ? 'True' : 'False';
}
