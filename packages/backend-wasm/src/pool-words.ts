// What the backend's calling side shares with the thread pool without loading it: the job kinds,
// the argument area's size and the runtime test. The pool itself (threads.ts) is a chunk of its
// own, imported only when a backend starts pool threads, so that one-thread apps do not carry it.

/** Job kinds (control word KIND); 0 tells the threads to exit. */
export const JOB = { stop: 0, matmul: 1, attention: 2, attentionBackward: 3, elementwise: 4, generated: 5 } as const;

/** Float64 words of job arguments (see threads.ts runPart for each job's layout). */
export const ARG_WORDS = 192;

/** Whether this is Node. */
export const isNode = (): boolean =>
  !('Deno' in globalThis) && typeof process === 'object' && typeof process.versions?.node === 'string';
