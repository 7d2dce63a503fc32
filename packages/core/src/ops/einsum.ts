/**
 * einsum: the equation is parsed into labels per operand (`...` becomes one label per broadcast
 * dim), repeated labels within an operand take a diagonal, labels no one else needs are summed
 * early, and operands are contracted left to right, each pair as one batched matmul
 * (`[batch, M, K] @ [batch, K, N]`). Differentiable through those ops.
 */
import { tidy } from '../memory.ts';
import { shapeStr } from '../shape.ts';
import type { Tensor } from '../tensor.ts';
import { diagonal } from './arrange.ts';
import { matmul } from './linalg.ts';
import { sum } from './reduce.ts';
import { expectTensor } from './util.ts';

interface Term {
  readonly letters: string[];
  /** Position of `...` among the letters, or -1. */
  readonly ellipsisAt: number;
}

function parseTerm(eq: string, term: string): Term {
  const letters: string[] = [];
  let ellipsisAt = -1;
  for (let i = 0; i < term.length; i++) {
    const c = term[i]!;
    if (c === '.') {
      if (term.slice(i, i + 3) !== '...' || ellipsisAt >= 0) throw new SyntaxError(`einsum(): invalid subscript '${term}' in '${eq}': only one '...' per operand`);
      ellipsisAt = letters.length;
      i += 2;
    } else if (/[a-zA-Z]/.test(c)) letters.push(c);
    else throw new SyntaxError(`einsum(): invalid subscript given in equation '${eq}': '${c}' (subscripts are letters a-z, A-Z, and '...')`);
  }
  return { letters, ellipsisAt };
}

/** The labels of an operand with `ndim` dims: letters, and `…k` for the k-th of `E` ellipsis dims. */
function labelsOf(eq: string, t: Term, ndim: number, E: number, which: number): string[] {
  const e = ndim - t.letters.length;
  if (t.ellipsisAt < 0 ? e !== 0 : e < 0) {
    throw new RangeError(`einsum(): the number of subscripts in the equation (${t.letters.length}) does not match the number of dimensions (${ndim}) for operand ${which}${t.ellipsisAt < 0 ? ' and no ellipsis was given' : ''}`);
  }
  if (t.ellipsisAt < 0) return [...t.letters];
  const ell = Array.from({ length: e }, (_, k) => `…${E - e + k}`);
  return [...t.letters.slice(0, t.ellipsisAt), ...ell, ...t.letters.slice(t.ellipsisAt)];
}

/** Takes diagonals until no label repeats; sums the labels in `sumNow`. */
function simplify(x: Tensor, labels: string[], sumNow: (l: string) => boolean): [Tensor, string[]] {
  let t = x;
  let ls = [...labels];
  for (;;) {
    const i = ls.findIndex((l, k) => ls.indexOf(l) !== k);
    if (i < 0) break;
    const first = ls.indexOf(ls[i]!);
    if (t.shape[first] !== t.shape[i]) {
      throw new RangeError(`einsum(): subscript ${ls[i]} is repeated for operand but the sizes don't match, ${t.shape[first]} != ${t.shape[i]}`);
    }
    t = diagonal(t, 0, first, i); // the diagonal becomes the last dim
    const l = ls[i]!;
    ls = [...ls.filter((_, k) => k !== first && k !== i), l];
  }
  const drop = ls.map((l, k) => (sumNow(l) ? k : -1)).filter((k) => k >= 0);
  if (drop.length > 0) {
    t = sum(t, drop);
    ls = ls.filter((_, k) => !drop.includes(k));
  }
  return [t, ls];
}

const prodOf = (xs: readonly number[]): number => xs.reduce((a, b) => a * b, 1);

/** Contracts `a` and `b`, keeping the labels in `keep`, as one batched matmul. */
function contract(a: Tensor, la: string[], b: Tensor, lb: string[], keep: ReadonlySet<string>): [Tensor, string[]] {
  const inB = new Set(lb), inA = new Set(la);
  const batch = la.filter((l) => inB.has(l) && keep.has(l));
  const con = la.filter((l) => inB.has(l) && !keep.has(l));
  const aOnly = la.filter((l) => !inB.has(l));
  const bOnly = lb.filter((l) => !inA.has(l));
  const size = (t: Tensor, ls: string[], l: string): number => t.shape[ls.indexOf(l)]!;
  // Contracted dims may broadcast (size 1 against n under `...`): expand both to the larger.
  const conSizes = con.map((l) => Math.max(size(a, la, l), size(b, lb, l)));
  const pa = a.permute([...batch, ...aOnly, ...con].map((l) => la.indexOf(l)));
  const pb = b.permute([...batch, ...con, ...bOnly].map((l) => lb.indexOf(l)));
  const ea = pa.expand([...pa.shape.slice(0, batch.length + aOnly.length), ...conSizes]);
  const eb = pb.expand([...pb.shape.slice(0, batch.length), ...conSizes, ...pb.shape.slice(batch.length + con.length)]);
  const aBatch = ea.shape.slice(0, batch.length), bBatch = eb.shape.slice(0, batch.length);
  const aOnlySizes = aOnly.map((l) => size(a, la, l)), bOnlySizes = bOnly.map((l) => size(b, lb, l));
  const K = prodOf(conSizes);
  const m = ea.reshape([...aBatch, prodOf(aOnlySizes), K]);
  const n = eb.reshape([...bBatch, K, prodOf(bOnlySizes)]);
  const r = matmul(m, n); // [batch (broadcast), M, N]
  const outBatch = r.shape.slice(0, batch.length);
  return [r.reshape([...outBatch, ...aOnlySizes, ...bOnlySizes]), [...batch, ...aOnly, ...bOnly]];
}

/**
 * Einstein summation, PyTorch's `torch.einsum(equation, *operands)`: explicit (`'ij,jk->ik'`)
 * and implicit (`'ij,jk'`: the labels used once, sorted) forms, `...` for broadcast dims,
 * repeated labels for diagonals (`'ii->i'`, `'ii'` the trace). Operands are given as arguments or
 * one array. float32. Differentiable.
 *
 * @example
 * const a = torch.randn([2, 3]), b = torch.randn([3, 4]);
 * const q = torch.randn([1, 2, 5, 8]), k = torch.randn([1, 2, 5, 8]);
 * const x = torch.randn([4, 2, 3]);
 * torch.einsum('ij,jk->ik', a, b);                  // a @ b
 * torch.einsum('bhqd,bhkd->bhqk', q, k);            // attention scores
 * torch.einsum('...ij->...ji', [x]);                // batched transpose
 */
export function einsum(equation: string, ...operands: Array<Tensor | readonly Tensor[]>): Tensor {
  if (typeof equation !== 'string') throw new TypeError(`einsum(): the equation must be a string, got ${typeof equation}`);
  const ops: Tensor[] = operands.length === 1 && Array.isArray(operands[0]) ? [...(operands[0] as Tensor[])] : (operands as Tensor[]);
  ops.forEach((t, i) => expectTensor('einsum', t, `operand ${i}`));
  const eq = equation.replace(/\s+/g, '');
  const arrow = eq.indexOf('->');
  const lhs = arrow >= 0 ? eq.slice(0, arrow) : eq;
  const terms = lhs.split(',').map((t) => parseTerm(eq, t));
  if (terms.length !== ops.length) {
    throw new RangeError(`einsum(): ${terms.length} operand${terms.length === 1 ? '' : 's'} in the equation '${equation}' but ${ops.length} given`);
  }
  const E = Math.max(0, ...terms.map((t, i) => (t.ellipsisAt >= 0 ? ops[i]!.ndim - t.letters.length : 0)));
  const labels = terms.map((t, i) => labelsOf(equation, t, ops[i]!.ndim, E, i));
  const anyEllipsis = terms.some((t) => t.ellipsisAt >= 0);
  const ellLabels = Array.from({ length: E }, (_, k) => `…${k}`);
  let out: string[];
  if (arrow >= 0) {
    const rt = parseTerm(eq, eq.slice(arrow + 2));
    if (rt.ellipsisAt >= 0 && !anyEllipsis && E > 0) throw new SyntaxError(`einsum(): '...' in the output of '${equation}' but in no operand`);
    out = rt.ellipsisAt < 0 ? [...rt.letters] : [...rt.letters.slice(0, rt.ellipsisAt), ...ellLabels, ...rt.letters.slice(rt.ellipsisAt)];
    const seen = new Set<string>();
    for (const l of rt.letters) {
      if (seen.has(l)) throw new SyntaxError(`einsum(): output subscript ${l} appears more than once in the output of '${equation}'`);
      seen.add(l);
      if (!labels.some((ls) => ls.includes(l))) throw new SyntaxError(`einsum(): output subscript ${l} does not appear in the equation for any input operand ('${equation}')`);
    }
  } else {
    const counts = new Map<string, number>();
    for (const t of terms) for (const l of t.letters) counts.set(l, (counts.get(l) ?? 0) + 1);
    out = [...(anyEllipsis ? ellLabels : []), ...[...counts].filter(([, c]) => c === 1).map(([l]) => l).sort()];
  }
  // Every label's size must agree across operands (1 broadcasts only under `...`).
  const sizes = new Map<string, number>();
  labels.forEach((ls, i) => ls.forEach((l, k) => {
    const s = ops[i]!.shape[k]!;
    const prev = sizes.get(l);
    if (prev === undefined || prev === 1) sizes.set(l, s);
    else if (s !== prev && !(s === 1 && l.startsWith('…'))) {
      throw new RangeError(`einsum(): operands do not broadcast with remapped shapes: subscript ${l.startsWith('…') ? '...' : l} has size ${s} for operand ${i} which does not broadcast with previously seen size ${prev} (shapes ${ops.map((t) => shapeStr(t.shape)).join(', ')})`);
    }
  }));
  const outSet = new Set(out);
  return tidy(() => {
    const neededLater = (i: number): Set<string> => new Set([...out, ...labels.slice(i + 1).flat()]);
    let [acc, la] = simplify(ops[0]!, labels[0]!, (l) => !neededLater(0).has(l));
    for (let i = 1; i < ops.length; i++) {
      const keep = neededLater(i);
      const [b, lb] = simplify(ops[i]!, labels[i]!, (l) => !keep.has(l) && !la.includes(l));
      [acc, la] = contract(acc, la, b, lb, keep);
      const drop = la.map((l, k) => (keep.has(l) ? -1 : k)).filter((k) => k >= 0);
      if (drop.length > 0) {
        acc = sum(acc, drop);
        la = la.filter((_, k) => !drop.includes(k));
      }
    }
    const missing = la.filter((l) => !outSet.has(l));
    if (missing.length > 0) {
      acc = sum(acc, missing.map((l) => la.indexOf(l)));
      la = la.filter((l) => outSet.has(l));
    }
    // Output labels no operand kept (an ellipsis dim only some operands had) broadcast as size 1.
    const result = acc.permute(out.filter((l) => la.includes(l)).map((l) => la.indexOf(l)));
    return out.every((l) => la.includes(l)) ? (result === acc ? acc.clone() : result) : result.reshape(out.map((l) => (la.includes(l) ? sizes.get(l)! : 1)));
  });
}
