/**
 * The matmul pass, after the element-wise and reduction ones (fuse.ts, fuse-reduce.ts): a float32
 * `matmul` whose result only the fused program just after it reads (a Linear's bias add and
 * activation: `x W^T`, `+ b`, `relu`) becomes one fused matmul entry with that program as its
 * epilogue (fused-matmul.ts), so a kernel can apply the program to each block of the product
 * while the block is in cache, and the product is never stored on its own. Runs only for a backend
 * with a `fused.matmulEpilogue` kernel (elsewhere the fused form would run as the same calls).
 *
 * Only provably equal computations are fused: the program reads the product once, through the
 * view the matmul wrote (or a contiguous view of the same elements in another shape, the program
 * then run in the product's shape), nothing else reads the product, and no output of the program
 * is a buffer the product reads (the kernel writes outputs while later blocks are still being
 * computed). Between the two lie only allocations, frees and `.grad` hand-outs; the fused entry
 * takes the program's place.
 */
import { checkMatmulEpilogue } from '../fused-matmul.ts';
import { isFloatMatmul, keyOf } from './fuse.ts';
import { asShape, inputFirst, reshapeOf } from './fuse-reduce.ts';
import { entryBuffers } from './plan.ts';
import type { Entry, Trace, VView } from './trace.ts';

/** Fuses matmuls with the programs after them (see the file comment). */
export function fuseMatmuls(entries: readonly Entry[], trace: Trace, owned: ReadonlySet<number>): readonly Entry[] {
  const lastUse = new Map<number, number>();
  entries.forEach((e, i) => {
    for (const b of entryBuffers(e)) lastUse.set(b, i);
  });
  const compute = entries.flatMap((e, i) => (e.kind === 'alloc' || e.kind === 'free' || e.kind === 'grad' ? [] : [i]));
  const drop = new Set<number>();
  const replace = new Map<number, Entry>();

  compute.forEach((i, k) => {
    const e = entries[i]!;
    if (!isFloatMatmul(e) || e.kind !== 'call' || k + 1 >= compute.length) return;
    const [a, b, out] = e.args.map((x) => (x as { v: VView }).v) as [VView, VView, VView];
    const n = compute[k + 1]!;
    const ne = entries[n]!;
    if (ne.kind !== 'program') return;
    // The product must be a plan intermediate that the program is the last to read.
    if (trace.vbufs[out.vbuf]!.origin !== 'plan' || owned.has(out.vbuf) || lastUse.get(out.vbuf) !== n) return;
    const reads = ne.inputs.flatMap((v, r) => (v.vbuf === out.vbuf ? [r] : []));
    if (reads.length !== 1) return;
    const r = reads[0]!;
    let ins: readonly VView[] | null = ne.inputs, outs: readonly VView[] | null = ne.outputs;
    if (keyOf(ins[r]!) !== keyOf(out)) {
      // Read in another shape (a reshape between the product and the program): run the program
      // in the product's shape, where every operand allows it.
      if (!reshapeOf(ins[r]!, out)) return;
      ins = asShape(ne.inputs, out.shape);
      outs = asShape(ne.outputs, out.shape);
      if (!ins || !outs || keyOf(ins[r]!) !== keyOf(out)) return;
    }
    const same = (s: readonly number[]): boolean => s.length === out.shape.length && s.every((d, x) => d === out.shape[x]);
    if (!outs.every((o) => same(o.shape) && o.vbuf !== out.vbuf && o.vbuf !== a.vbuf && o.vbuf !== b.vbuf)) return;
    const program = checkMatmulEpilogue(inputFirst(ne.program, r));
    drop.add(i);
    replace.set(n, { kind: 'matmul', program, a, b, epilogueInputs: ins.filter((_, x) => x !== r), outputs: outs, ops: 1 + ne.ops });
  });

  const result: Entry[] = [];
  entries.forEach((e, i) => {
    if (!drop.has(i)) result.push(replace.get(i) ?? e);
  });
  return result;
}
