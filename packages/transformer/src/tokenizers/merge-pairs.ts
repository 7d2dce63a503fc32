/**
 * The merge loop of byte-pair encoding, shared by SentencePiece's BPE and Hugging Face's: the
 * adjacent pair with the best priority (lowest number) merges first, the leftmost on ties, until
 * no adjacent pair has a priority. A heap of candidate pairs with a linked list of symbols keeps
 * it O(n log n), so a long word without spaces cannot stall it.
 */

/**
 * Merges `symbols` (not modified) and returns the result. `priority(left, right)` is the pair's
 * rank (lower merges first) or undefined when the pair does not merge; `onMerge` sees each merge.
 */
export function mergePairs(symbols: readonly string[], priority: (left: string, right: string) => number | undefined, onMerge?: (left: string, right: string) => void): string[] {
  const sym = [...symbols];
  const n = sym.length;
  if (n < 2) return sym;
  const next = Array.from({ length: n }, (_, i) => (i + 1 < n ? i + 1 : -1));
  const prev = Array.from({ length: n }, (_, i) => i - 1);
  // Candidate pairs: [priority, left index, right index, left text, right text].
  type Pair = [number, number, number, string, string];
  const heap: Pair[] = [];
  const before = (a: Pair, b: Pair): boolean => a[0] < b[0] || (a[0] === b[0] && a[1] < b[1]);
  const push = (l: number, r: number): void => {
    if (l < 0 || r < 0) return;
    const p = priority(sym[l]!, sym[r]!);
    if (p === undefined) return;
    heap.push([p, l, r, sym[l]!, sym[r]!]);
    for (let i = heap.length - 1; i > 0; ) {
      const parent = (i - 1) >> 1;
      if (!before(heap[i]!, heap[parent]!)) break;
      [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
      i = parent;
    }
  };
  const pop = (): Pair => {
    const top = heap[0]!;
    const last = heap.pop()!;
    if (heap.length > 0) {
      heap[0] = last;
      for (let i = 0; ; ) {
        const a = 2 * i + 1, b = a + 1;
        let m = i;
        if (a < heap.length && before(heap[a]!, heap[m]!)) m = a;
        if (b < heap.length && before(heap[b]!, heap[m]!)) m = b;
        if (m === i) break;
        [heap[i], heap[m]] = [heap[m]!, heap[i]!];
        i = m;
      }
    }
    return top;
  };
  for (let i = 0; i + 1 < n; i++) push(i, i + 1);
  while (heap.length > 0) {
    const [, l, r, lt, rt] = pop();
    if (sym[l] !== lt || sym[r] !== rt || next[l] !== r) continue; // stale: a side merged since
    onMerge?.(lt, rt);
    sym[l] = lt + rt;
    sym[r] = '';
    next[l] = next[r]!;
    if (next[r]! >= 0) prev[next[r]!] = l;
    push(prev[l]!, l);
    push(l, next[l]!);
  }
  const out: string[] = [];
  for (let i = 0; i >= 0; i = next[i]!) out.push(sym[i]!);
  return out;
}
