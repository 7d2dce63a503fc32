/**
 * PyTorch's indexing, `x[...]`, for reading (`at`) and writing (`indexPut`, `indexPut_`), with
 * gradients. An index is a list of entries, each one of:
 * - a string of comma-separated parts in Python's syntax: `'1'`, `'-1'`, `':'`, `'1:3'`, `'::2'`,
 *   `'...'`, `'None'` — so `x[:, 1:3]` is `x.at(':, 1:3')` and `x[..., -1]` is `x.at('..., -1')`;
 * - a number (an integer index), `null` (None, a new dim of size 1);
 * - an int32 tensor or a number array (an advanced index), a bool tensor (a mask over as many
 *   dims as it has).
 *
 * Basic entries become views (select, slice, unsqueeze). Advanced indices broadcast together; as
 * in PyTorch their result dims go where the first advanced index was when they are adjacent, and
 * first otherwise. They are gathered with one indexSelect on the flattened indexed dims, whose
 * gradient accumulates repeated indices. A bool mask needs its true positions read (nonzero):
 * synchronous on wasm; on WebGPU use {@link atAsync} / {@link indexPutAsync}.
 */
import { tidy } from '../memory.ts';
import { broadcastShapes, shapeStr } from '../shape.ts';
import { Tensor } from '../tensor.ts';
import { arange, fromArray, onesLike } from './creation.ts';
import { add, copyInto, ge, gt, lt, logicalOr, mul } from './elementwise.ts';
import { indexSelect, scatterAdd, where } from './indexing.ts';
import { nonzero, nonzeroAsync } from './select.ts';
import { castTo, expectTensor } from './util.ts';

/** One entry of an index (see the module comment). */
export type IndexEntry = string | number | null | Tensor | readonly number[];

type Parsed =
  | { kind: 'int'; v: number }
  | { kind: 'slice'; start: number | null; end: number | null; step: number }
  | { kind: 'ellipsis' }
  | { kind: 'none' }
  | { kind: 'tensor'; t: Tensor; dims: number };

const INT = /^[+-]?\d+$/;

function parsePart(op: string, part: string, whole: string): Parsed {
  const p = part.trim();
  if (p === '...') return { kind: 'ellipsis' };
  if (p === 'None' || p === 'null') return { kind: 'none' };
  if (INT.test(p)) return { kind: 'int', v: Number(p) };
  const bits = p.split(':');
  if (bits.length === 2 || bits.length === 3) {
    const num = (s: string | undefined, what: string): number | null => {
      const t = (s ?? '').trim();
      if (t === '') return null;
      if (!INT.test(t)) throw new SyntaxError(`${op}: the slice '${p}' in '${whole}' has a ${what} that is not an integer ('${t}')`);
      return Number(t);
    };
    const step = num(bits[2], 'step') ?? 1;
    if (step <= 0) throw new RangeError(`${op}: step must be greater than zero, got '${p}' in '${whole}' (PyTorch has no negative steps; use flip)`);
    return { kind: 'slice', start: num(bits[0], 'start'), end: num(bits[1], 'end'), step };
  }
  throw new SyntaxError(`${op}: cannot read '${p}' in the index '${whole}': expected an integer, a slice like '1:3' or '::2', '...' or 'None'`);
}

function parseEntries(op: string, entries: readonly IndexEntry[], backend: Tensor['backend']): Parsed[] {
  const out: Parsed[] = [];
  for (const e of entries) {
    if (typeof e === 'string') {
      for (const part of e.split(',')) {
        if (part.trim() === '' && e.trim() !== '') throw new SyntaxError(`${op}: empty entry in the index '${e}'`);
        if (part.trim() !== '') out.push(parsePart(op, part, e));
      }
    } else if (typeof e === 'number') {
      if (!Number.isInteger(e)) throw new TypeError(`${op}: only integers, slices, '...', None and integer or bool tensors are valid indices (got ${e})`);
      out.push({ kind: 'int', v: e });
    } else if (e === null) out.push({ kind: 'none' });
    else if (Array.isArray(e)) {
      if (!e.every((v) => Number.isInteger(v))) throw new TypeError(`${op}: an index list must hold integers (PyTorch refuses float indices), got [${e.join(', ')}]`);
      out.push({ kind: 'tensor', t: fromArray(Int32Array.from(e as number[]), [e.length], { backend }), dims: 1 });
    } else if (e instanceof Tensor) {
      expectTensor(op, e, 'an index tensor');
      if (e.dtype === 'bool') out.push({ kind: 'tensor', t: e, dims: Math.max(e.ndim, 1) });
      else if (e.dtype === 'int32') out.push({ kind: 'tensor', t: e, dims: 1 });
      else throw new TypeError(`${op}: tensors used as indices must be int32 (PyTorch: long) or bool, got ${e.dtype}; PyTorch refuses float indices too`);
    } else throw new TypeError(`${op}: cannot index with ${typeof e}`);
  }
  return out;
}

/** Bool masks replaced by their nonzero() int32 index tensors (one per mask dim). */
type Resolved = Exclude<Parsed, { kind: 'tensor' }> | { kind: 'adv'; t: Tensor };

function resolveMask(t: Tensor, host: Tensor[]): Resolved[] {
  return host.map((h) => ({ kind: 'adv', t: h }) as Resolved).slice(0, Math.max(t.ndim, 1));
}

function resolveSync(op: string, parsed: Parsed[]): Resolved[] {
  return parsed.flatMap((p): Resolved[] => {
    if (p.kind !== 'tensor') return [p];
    if (p.t.dtype !== 'bool') return [{ kind: 'adv', t: p.t }];
    const m = p.t.ndim === 0 ? p.t.reshape([1]) : p.t;
    return resolveMask(p.t, nonzero(m, { asTuple: true }));
  });
}

async function resolveAsync(parsed: Parsed[]): Promise<Resolved[]> {
  const out: Resolved[] = [];
  for (const p of parsed) {
    if (p.kind !== 'tensor') out.push(p);
    else if (p.t.dtype !== 'bool') out.push({ kind: 'adv', t: p.t });
    else out.push(...resolveMask(p.t, await nonzeroAsync(p.t.ndim === 0 ? p.t.reshape([1]) : p.t, { asTuple: true })));
  }
  return out;
}

/** Applies resolved entries to `x`. */
function apply(op: string, x: Tensor, entries: Resolved[]): Tensor {
  const consumes = (e: Resolved): number => (e.kind === 'int' || e.kind === 'slice' || e.kind === 'adv' ? 1 : 0);
  const used = entries.reduce((n, e) => n + consumes(e), 0);
  const ellipses = entries.filter((e) => e.kind === 'ellipsis').length;
  if (ellipses > 1) throw new SyntaxError(`${op}: an index can only have a single ellipsis ('...')`);
  if (used > x.ndim) throw new RangeError(`${op}: too many indices for tensor of dimension ${x.ndim} (shape ${shapeStr(x.shape)}, ${used} indexed)`);
  // Without an ellipsis, the remaining dims are taken whole, as if '...' ended the index.
  const full: Resolved[] = ellipses ? entries : [...entries, { kind: 'ellipsis' }];
  let y = x;
  let dim = 0;
  const adv: { pos: number; t: Tensor }[] = [];
  for (const e of full) {
    if (e.kind === 'ellipsis') dim += x.ndim - used;
    else if (e.kind === 'int') y = y.select(dim, e.v);
    else if (e.kind === 'slice') y = y.slice(dim++, e.start, e.end, e.step);
    else if (e.kind === 'none') y = y.unsqueeze(dim++);
    else adv.push({ pos: dim++, t: e.t });
  }
  if (adv.length === 0) return y === x ? x.view([...x.shape]) : y;
  const B = adv.reduce<number[]>((s, a) => broadcastShapes(s, a.t.shape), []);
  const positions = adv.map((a) => a.pos);
  const sizes = positions.map((p) => y.shape[p]!);
  const rest = y.shape.map((_, i) => i).filter((i) => !positions.includes(i));
  const flatY = y.permute([...positions, ...rest]).reshape([-1, ...rest.map((i) => y.shape[i]!)]);
  // Row-major flat index over the indexed dims; negative indices count from the end. An index
  // out of its own dim's range is sent past the end of the flattened dims, so indexSelect refuses
  // it rather than reading a neighbouring row.
  let flat: Tensor | null = null;
  let oob: Tensor | null = null;
  let stride = 1;
  for (let k = adv.length - 1; k >= 0; k--) {
    const t = adv[k]!.t, s = sizes[k]!;
    const bad = logicalOr(lt(t, -s), ge(t, s));
    oob = oob ? logicalOr(oob, bad) : bad;
    const term = mul(where(lt(t, 0), add(t, s), t), stride);
    flat = flat ? add(flat, term) : term;
    stride *= s;
  }
  const total = stride;
  const idx = where(oob!, total, flat!).expand(B).reshape([-1]);
  let r = indexSelect(flatY, 0, idx).reshape([...B, ...rest.map((i) => y.shape[i]!)]);
  const adjacent = positions.every((p, i) => i === 0 || p === positions[i - 1]! + 1);
  if (adjacent && positions[0]! > 0) {
    // The broadcast dims go where the first advanced index was.
    const nb = B.length, before = positions[0]!;
    const order = [...Array.from({ length: before }, (_, i) => nb + i), ...Array.from({ length: nb }, (_, i) => i), ...Array.from({ length: r.ndim - nb - before }, (_, i) => nb + before + i)];
    r = r.permute(order);
  }
  return r;
}

/**
 * `x[index]` as in PyTorch: basic indexing gives a view, advanced indexing (int or bool tensors,
 * number arrays) a copy; differentiable either way. See the module comment for the entries.
 * A bool mask is read synchronously (wasm); on WebGPU use {@link atAsync}.
 *
 * @example
 * const x = torch.arange(24).reshape([2, 3, 4]), idx = torch.tensor([1, 0], { dtype: 'int32' }), mask = x.gt(10);
 * x.at(':, 1:3');            // x[:, 1:3]
 * x.at('..., -1');           // x[..., -1]
 * x.at(idx);  x.at(':', idx) // x[idx], x[:, idx] with an int32 tensor idx
 * x.at(mask);                // x[mask]
 * x.at(0, null, '::2');      // x[0, None, ::2]
 */
export function at(x: Tensor, ...index: IndexEntry[]): Tensor {
  expectTensor('at', x);
  return tidy(() => apply('at', x, resolveSync('at', parseEntries('at', index, x.backend))));
}

/**
 * {@link at} on any backend: bool masks are read asynchronously.
 *
 * @example
 * ```ts
 * const x = torch.tensor([[1, -2], [-3, 4]]);
 * const pos = await torch.atAsync(x, x.gt(0));   // x[x > 0] on any backend (WebGPU must read the mask first)
 * console.log(await pos.tolist());   // [1, 4]
 * ```
 */
export async function atAsync(x: Tensor, ...index: IndexEntry[]): Promise<Tensor> {
  expectTensor('at', x);
  const parsed = parseEntries('at', index, x.backend);
  const resolved = await resolveAsync(parsed);
  return tidy(() => apply('at', x, resolved));
}

/** Options of {@link indexPut}. */
export interface IndexPutOptions {
  /** Add `values` into the selected elements (repeated indices add up) instead of writing them. */
  accumulate?: boolean;
}

function put(x: Tensor, resolved: Resolved[], values: Tensor | number | boolean, accumulate: boolean): Tensor {
  return tidy(() => {
    // The flat position of every selected element: index a tensor of positions the same way.
    const pos = apply('indexPut', arange(x.numel(), { backend: x.backend }).reshape([...x.shape]), resolved);
    const idx = pos.reshape([-1]);
    const v = values instanceof Tensor ? castTo(values, x.dtype, false) : null;
    const fits = (vs: readonly number[]): boolean =>
      vs.length <= pos.ndim && vs.every((s, i) => s === 1 || s === pos.shape[pos.ndim - vs.length + i]);
    if (v && !fits(v.shape)) {
      throw new RangeError(`indexPut: shape mismatch: value tensor of shape ${shapeStr(v.shape)} cannot be broadcast to indexing result of shape ${shapeStr(pos.shape)}`);
    }
    const src = v ? v.expand([...pos.shape]).reshape([-1]) : onesLike(idx, { dtype: x.dtype }).mul(values as number);
    const xf = x.reshape([-1]);
    if (accumulate) return scatterAdd(xf, 0, idx, src).reshape([...x.shape]);
    const written = gt(scatterAdd(null, 0, idx, onesLike(idx), [x.numel()]), 0);
    return where(written, scatterAdd(null, 0, idx, src, [x.numel()]), xf).reshape([...x.shape]);
  });
}

function putArgs(op: string, x: Tensor, indices: unknown, options: IndexPutOptions | boolean | undefined): { entries: IndexEntry[]; accumulate: boolean } {
  expectTensor(op, x);
  if (!Array.isArray(indices)) throw new TypeError(`${op}: indices must be a list of index entries (like ['1:3', idx]), got ${typeof indices}`);
  const accumulate = typeof options === 'boolean' ? options : options?.accumulate ?? false;
  if (typeof accumulate !== 'boolean') throw new TypeError(`${op}: accumulate must be true or false`);
  return { entries: indices as IndexEntry[], accumulate };
}

/**
 * A copy of `x` with `values` (broadcast to the selection) written at `x[indices]`, or added
 * there with `accumulate` (repeated indices add up): PyTorch's out-of-place `index_put` and the
 * functional form of `x[idx] = v` / `x[idx] += v`. Differentiable in `x` and `values`.
 *
 * @example
 * const x = torch.randn([2, 3]), mask = x.gt(0), idx = torch.tensor([1, 1], { dtype: 'int32' }), v = torch.ones([2, 3]);
 * torch.indexPut(x, [mask], 0);                              // x[mask] = 0
 * torch.indexPut(x, [idx], v, { accumulate: true });         // x.index_put_((idx,), v, accumulate=True)
 * torch.indexPut(x, [':, 1:3'], torch.zeros(2, 2));          // x[:, 1:3] = 0
 */
export function indexPut(x: Tensor, indices: readonly IndexEntry[], values: Tensor | number | boolean, options?: IndexPutOptions | boolean): Tensor {
  const { entries, accumulate } = putArgs('indexPut', x, indices, options);
  return put(x, resolveSync('indexPut', parseEntries('indexPut', entries, x.backend)), values, accumulate);
}

/**
 * {@link indexPut} on any backend: bool masks are read asynchronously.
 *
 * @example
 * ```ts
 * const x = torch.tensor([[1, -2], [-3, 4]]);
 * const y = await torch.indexPutAsync(x, [x.lt(0)], 0);   // y = x.clone(); y[y < 0] = 0, on any backend
 * console.log(await y.tolist());   // [[1, 0], [0, 4]]
 * ```
 */
export async function indexPutAsync(x: Tensor, indices: readonly IndexEntry[], values: Tensor | number | boolean, options?: IndexPutOptions | boolean): Promise<Tensor> {
  const { entries, accumulate } = putArgs('indexPut', x, indices, options);
  const resolved = await resolveAsync(parseEntries('indexPut', entries, x.backend));
  return put(x, resolved, values, accumulate);
}

/**
 * In place: `x[indices] = values` (or `+=` with `accumulate`), PyTorch's `x.index_put_` and
 * item assignment. Like every in-place op it refuses a tensor that requires grad (use
 * {@link indexPut}). Returns `x`.
 *
 * @example
 * const x = torch.zeros([3, 3]), idx = torch.tensor([0, 0], { dtype: 'int32' }), v = torch.ones([2, 3]);
 * x.indexPut_([':, 0'], 1);        // x[:, 0] = 1
 * x.indexPut_([idx], v, true);     // x[idx] += v, repeated indices accumulate
 */
export function indexPut_<T extends Tensor>(x: T, indices: readonly IndexEntry[], values: Tensor | number | boolean, options?: IndexPutOptions | boolean): T {
  const r = indexPut(x, indices, values, options);
  try {
    return copyInto(x, r);
  } finally {
    r.dispose();
  }
}
