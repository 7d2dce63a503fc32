/**
 * Arguments as PyTorch takes them: positional in PyTorch's order, or one options object, or
 * both (`sum(1, { keepdim: true })`), normalised in one place and checked at run time so that a
 * plain-JavaScript caller gets the same protection as a `tsc --strict` one. An options key the
 * function does not know throws and names the closest known key (`weight_decay` → `weightDecay`).
 */
import type { DType } from './dtype.ts';

/** Options of reductions: `dim` (one or several; all when omitted) and `keepdim`. */
export interface ReduceOptions {
  /** The dim or dims to reduce (negative counts from the end); every dim when omitted or null. */
  dim?: number | readonly number[] | null;
  /** Keep each reduced dim as size 1 instead of removing it (default false). */
  keepdim?: boolean;
}

/** A reduction's dims, positionally (`sum(1)`, `sum([0, 1])`) or as {@link ReduceOptions}. */
export type DimArg = number | readonly number[] | null | undefined | ReduceOptions;

/**
 * True for a plain object literal (`{ dim: 1 }`), the only thing read as an options object.
 *
 * @example
 * ```ts
 * console.log(torch.isOptions({ dim: 1 }), torch.isOptions([1]), torch.isOptions(torch.zeros([1])));   // true false false
 * ```
 */
export function isOptions(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object') return false;
  const p = Object.getPrototypeOf(v) as unknown;
  return p === Object.prototype || p === null;
}

/** Levenshtein distance, for "did you mean" suggestions. */
function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
}

/**
 * The known name closest to `key`, compared case-blind and without underscores so that
 * PyTorch's snake_case (`weight_decay`, `batch_first`) finds its camelCase twin; null when none
 * is plausibly meant.
 *
 * @example
 * ```ts
 * console.log(torch.closest('batch_first', ['batchFirst', 'bias']));   // 'batchFirst'
 * console.log(torch.closest('zzz', ['lr']));                           // null
 * ```
 */
export function closest(key: string, known: readonly string[]): string | null {
  const norm = (s: string): string => s.toLowerCase().replace(/_/g, '');
  let best: string | null = null;
  let bestD = Infinity;
  for (const k of known) {
    const a = norm(key), b = norm(k);
    // A prefix (`min` for `minimum`) counts as one edit away.
    const d = a.startsWith(b) || b.startsWith(a) ? Math.min(1, distance(a, b)) : distance(a, b);
    if (d < bestD) [best, bestD] = [k, d];
  }
  return bestD <= Math.max(2, Math.floor(key.length / 3)) ? best : null;
}

/**
 * Throws a TypeError unless every key of `options` (with a defined value) is in `known`, naming the closest known key.
 *
 * @example
 * ```ts
 * // For library code: the run-time check behind every options object.
 * try {
 *   torch.checkOptions('SGD', { weight_decay: 0.1 }, ['lr', 'momentum', 'weightDecay']);
 * } catch (err) {
 *   console.log((err as Error).message);   // names 'weight_decay' and suggests weightDecay
 * }
 * ```
 */
export function checkOptions(op: string, options: object, known: readonly string[]): void {
  for (const [key, value] of Object.entries(options)) {
    // `{ weight: undefined }` is an option not given, as in parseArgs.
    if (value === undefined || known.includes(key)) continue;
    const near = closest(key, known);
    throw new TypeError(
      `${op}: unknown option '${key}'` +
        (near ? `; did you mean ${near}?` : '') +
        ` (known options: ${known.length ? known.join(', ') : 'none'})`,
    );
  }
}

/**
 * Normalises `args` given in PyTorch's order `names` (positionally, then optionally one options
 * object last, or only the options object) into one record. Throws a TypeError for too many
 * arguments, an unknown option (see {@link checkOptions}) or a value given twice. Keys in `extra`
 * are accepted by name only (PyTorch's keyword-only arguments). Values are not checked here:
 * use the `arg*` checks below on the result.
 *
 * @example
 * torch.parseArgs('sum', [1, { keepdim: true }], ['dim', 'keepdim']); // { dim: 1, keepdim: true }
 */
export function parseArgs(op: string, args: readonly unknown[], names: readonly string[], extra: readonly string[] = []): Record<string, unknown> {
  let n = args.length;
  while (n > 0 && args[n - 1] === undefined) n--;
  const last = n > 0 ? args[n - 1] : undefined;
  const opts = isOptions(last) ? last : null;
  if (opts) n--;
  if (n > names.length) {
    throw new TypeError(`${op}: takes at most ${names.length} positional argument${names.length === 1 ? '' : 's'} (${names.join(', ') || 'none'}), got ${n}`);
  }
  const out: Record<string, unknown> = {};
  for (let i = 0; i < n; i++) if (args[i] !== undefined) out[names[i]!] = args[i];
  if (opts) {
    checkOptions(op, opts, [...names, ...extra]);
    for (const [k, v] of Object.entries(opts)) {
      if (v === undefined) continue;
      if (k in out) throw new TypeError(`${op}: got ${k} both as a positional argument and as an option`);
      out[k] = v;
    }
  }
  return out;
}

/** A value for an error message: strings quoted, arrays listed, objects by kind. */
export function show(v: unknown): string {
  if (typeof v === 'string') return `'${v}'`;
  if (Array.isArray(v)) return v.length > 8 ? `an array of length ${v.length}` : `[${v.map(show).join(', ')}]`;
  if (v === null || v === undefined || typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (typeof v === 'object') return (v as object).constructor?.name === 'Tensor' ? 'a Tensor' : 'an object';
  return typeof v;
}

/**
 * `v` as an integer >= `min` (a RangeError naming `op` and `name` otherwise).
 *
 * @example
 * ```ts
 * console.log(torch.argInt('narrow', 'length', 3, 0));   // 3
 * // torch.argInt('narrow', 'length', 2.5) throws a TypeError naming narrow and length
 * ```
 */
export function argInt(op: string, name: string, v: unknown, min = -Infinity): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) {
    const what = min === -Infinity ? 'an integer' : min === 0 ? 'a non-negative integer' : min === 1 ? 'a positive integer' : `an integer >= ${min}`;
    throw new (typeof v === 'number' ? RangeError : TypeError)(`${op}: ${name} must be ${what}, got ${show(v)}`);
  }
  return v;
}

/**
 * `v` as a number in `[lo, hi]` (NaN refused).
 *
 * @example
 * ```ts
 * console.log(torch.argNumber('Dropout', 'p', 0.1, 0, 1));   // 0.1; 1.5 would throw a RangeError
 * ```
 */
export function argNumber(op: string, name: string, v: unknown, lo = -Infinity, hi = Infinity): number {
  if (typeof v !== 'number') throw new TypeError(`${op}: ${name} must be a number, got ${show(v)}`);
  if (!(v >= lo && v <= hi)) {
    const range = lo === -Infinity && hi === Infinity ? 'not NaN' : hi === Infinity ? `>= ${lo}` : lo === -Infinity ? `<= ${hi}` : `between ${lo} and ${hi}`;
    throw new RangeError(`${op}: ${name} must be ${range}, got ${show(v)}`);
  }
  return v;
}

/**
 * `v` as a boolean (PyTorch's flags; `1`/`0` are refused so that a misplaced dim is caught).
 *
 * @example
 * ```ts
 * console.log(torch.argBool('sum', 'keepdim', true));   // true; 'yes' would throw a TypeError
 * ```
 */
export function argBool(op: string, name: string, v: unknown): boolean {
  if (typeof v !== 'boolean') throw new TypeError(`${op}: ${name} must be true or false, got ${show(v)}`);
  return v;
}

/**
 * `v` as one of the strings in `allowed`.
 *
 * @example
 * ```ts
 * const reduction = torch.argEnum('mseLoss', 'reduction', 'sum', ['mean', 'sum', 'none'] as const);
 * console.log(reduction);   // 'sum'
 * ```
 */
export function argEnum<T extends string>(op: string, name: string, v: unknown, allowed: readonly T[]): T {
  if (!allowed.includes(v as T)) throw new TypeError(`${op}: ${name} must be one of ${allowed.map(show).join(', ')}, got ${show(v)}`);
  return v as T;
}

/**
 * `v` as one dim, a list of dims, or null/undefined (every dim); entries must be integers.
 *
 * @example
 * ```ts
 * console.log(torch.argDims('sum', [0, -1]), torch.argDims('sum', null));   // [0, -1] null
 * ```
 */
export function argDims(op: string, v: unknown): number | number[] | null {
  if (v === undefined || v === null) return null;
  if (typeof v === 'number') return argInt(op, 'dim', v);
  if (Array.isArray(v)) return v.map((d) => argInt(op, 'dim', d));
  throw new TypeError(`${op}: dim must be an integer or a list of integers, got ${show(v)}`);
}

/**
 * A reduction's arguments: `(dim?, keepdim?)` positionally (`sum(1)`, `sum(1, true)`,
 * `sum([0, 1])`), or `({ dim, keepdim })`, or both (`sum(1, { keepdim: true })`). `extra` names
 * further keyword options the reduction accepts (`unbiased`); their values come back unchecked.
 *
 * @example
 * ```ts
 * // Reads a reduction's arguments in any of PyTorch's forms (for functions written like torch.sum).
 * console.log(torch.reduceArgs('mysum', [1, true]));                  // { dim: 1, keepdim: true }
 * console.log(torch.reduceArgs('mysum', [{ dim: [0, 1] }]));          // { dim: [0, 1], keepdim: false }
 * ```
 */
export function reduceArgs(op: string, args: readonly unknown[], extra: readonly string[] = []): {
  /** The dims to reduce; null for all. */
  dim: number | number[] | null;
  /** Keep reduced dims as size 1. */
  keepdim: boolean;
} & Record<string, unknown> {
  const a = parseArgs(op, args, ['dim', 'keepdim', ...extra]);
  return { ...a, dim: argDims(op, a.dim), keepdim: a.keepdim === undefined ? false : argBool(op, 'keepdim', a.keepdim) };
}

/** A shape given as varargs (`zeros(2, 3)`), a list (`zeros([2, 3])`) or one number, then options. */
export type SizeArgs<O> = [shape: readonly number[] | number, options?: O] | number[] | [...number[], O];

/**
 * Splits PyTorch's `*size` forms: `(2, 3)`, `([2, 3])`, `(2)`, each optionally followed by an
 * options object. Entries are checked to be non-negative integers.
 *
 * @example
 * ```ts
 * console.log(torch.sizeArgs('myzeros', [2, 3]).shape);                     // [2, 3]
 * console.log(torch.sizeArgs('myzeros', [[2, 3], { dtype: 'int32' }]).options);   // { dtype: 'int32' }
 * ```
 */
export function sizeArgs<O extends object>(op: string, args: readonly unknown[]): {
  /** The sizes, as a list. */
  shape: number[];
  /** The trailing options object, if any. */
  options: O | undefined;
} {
  let n = args.length;
  while (n > 0 && args[n - 1] === undefined) n--;
  const options = n > 0 && isOptions(args[n - 1]) ? (args[--n] as O) : undefined;
  const raw: unknown[] = n === 1 && Array.isArray(args[0]) ? [...(args[0] as unknown[])] : args.slice(0, n);
  if (raw.length !== n && n > 1) throw new TypeError(`${op}: give the size as numbers or as one list, got ${show(args.slice(0, n))}`);
  if (raw.some((d) => Array.isArray(d))) throw new TypeError(`${op}: give the size as numbers or as one list, got ${show(args.slice(0, n))}`);
  if (!raw.every((d) => typeof d === 'number' && Number.isSafeInteger(d) && d >= 0)) {
    throw new RangeError(`${op}: shape must contain non-negative integers, got ${show(raw)}`);
  }
  return { shape: raw as number[], options };
}

// int64 is stored as int32 (see dtype.ts), so it holds int32's range.
const INT_RANGE: Partial<Record<string, [number, number]>> = { int32: [-2147483648, 2147483647], int64: [-2147483648, 2147483647] };

/**
 * Throws a RangeError when `v` (finite) does not fit the integer dtype, as PyTorch does
 * (`value cannot be converted to type int32 without overflow`); NaN and infinities never fit.
 * Float dtypes and bool take anything.
 *
 * @example
 * ```ts
 * torch.checkFits('tensor', 7, 'int32');   // fine
 * try { torch.checkFits('tensor', 2 ** 32 + 5, 'int32'); } catch (err) { console.log((err as Error).message); }   // overflow, as in PyTorch
 * ```
 */
export function checkFits(op: string, v: number, dtype: DType | string): void {
  const r = INT_RANGE[dtype];
  if (!r) return;
  if (!Number.isFinite(v)) throw new RangeError(`${op}: cannot store the non-finite value ${v} in an ${dtype} tensor`);
  // Floats truncate toward zero first (as in PyTorch), so only the truncated value must fit.
  if (Math.trunc(v) < r[0] || Math.trunc(v) > r[1]) {
    throw new RangeError(
      `${op}: value ${v} cannot be converted to type ${dtype} without overflow (range ${r[0]} to ${r[1]}; torchlet stores int64 as int32)`,
    );
  }
}

/** One dim given positionally or as `{ dim }` (PyTorch's `dim=` keyword). */
export type DimOption = number | DimOnly;
/** `{ dim }` (PyTorch's `dim=` keyword). */
export interface DimOnly {
  /** The dim (negative counts from the end). */
  dim?: number;
}

/**
 * One integer dim from `args` (PyTorch's `(dim)` or `{ dim }`); `def` when omitted, else a
 * TypeError saying it is required.
 *
 * @example
 * ```ts
 * console.log(torch.dimArg('softmax', [{ dim: -1 }]), torch.dimArg('cat', [], 0));   // -1 0
 * ```
 */
export function dimArg(op: string, args: readonly unknown[], def?: number): number {
  const d = parseArgs(op, args, ['dim']).dim ?? def;
  if (d === undefined) throw new TypeError(`${op}: missing the dim argument (a dim is required)`);
  return argInt(op, 'dim', d);
}

/**
 * The rest parameters of a PyTorch signature whose optional arguments are the options `O` in the
 * order `K`: any prefix of them positionally, optionally followed by an options object with the
 * rest (or only the options object). Read them back with `parseArgs(op, args, K)`.
 *
 * @example
 * constructor(dModel: number, nhead: number, ...args: PosArgs<LayerOptions, typeof LAYER_ARGS>)
 */
export type PosArgs<O, K extends readonly (keyof O)[]> = K extends readonly [infer H extends keyof O, ...infer R extends readonly (keyof O)[]]
  ? [options?: O] | [value?: O[H], ...PosArgs<O, R>]
  : [options?: O];
