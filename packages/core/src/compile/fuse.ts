import type { Entry, Trace } from './trace.ts';

/** The fusion pass (placeholder until it lands): the entries unchanged. */
export function fuseEntries(trace: Trace, _owned: ReadonlySet<number>): readonly Entry[] {
  return trace.entries;
}
