/**
 * The worker-training checks, shared by Node (test/worker-training.test.ts), Deno
 * (deno/worker_training_test.ts) and Chromium (browser/worker-training.ts): progress events,
 * cancel, a checkpoint taken mid-run and resumed (same final weights as an uninterrupted run,
 * bit for bit), an error in the training function and a crash of the worker, each surfacing as a
 * rejected promise that names the cause. `start` makes a run of train.worker.mjs in a new worker,
 * `startMissing` one of a module that does not exist.
 * Resolves to the problems found (none: all passed).
 */
import type { TrainingProgress, TrainingRun, TrainInWorkerOptions } from 'torchlet';

/** Starts train.worker.mjs with these options in a new worker. */
export type StartRun = (options: TrainInWorkerOptions<WorkerConfig>) => TrainingRun<WorkerResult>;

/** The worker's config (see train.worker.mjs). */
export interface WorkerConfig {
  steps: number;
  seed?: number;
  throwAt?: number;
  crashAt?: number;
}

/** What the worker returns. */
export interface WorkerResult {
  weights: number[];
  start: number;
}

const STEPS = 8;

async function collect(run: TrainingRun<WorkerResult>): Promise<TrainingProgress[]> {
  const seen: TrainingProgress[] = [];
  for await (const p of run) seen.push(p);
  return seen;
}

async function rejection(p: Promise<unknown>): Promise<Error | undefined> {
  try {
    await p;
    return undefined;
  } catch (e) {
    return e as Error;
  }
}

export async function runWorkerTrainingChecks(
  start: StartRun,
  startMissing: () => TrainingRun<unknown>,
  log: (line: string) => void = () => {},
): Promise<string[]> {
  const problems: string[] = [];
  const check = (ok: boolean, what: string) => {
    if (!ok) problems.push(what);
  };

  // 1. Uninterrupted: every step reported in order, the weights returned.
  const whole = start({ config: { steps: STEPS } });
  const steps = (await collect(whole)).map((p) => p.step);
  const reference = await whole.result;
  check(steps.join() === Array.from({ length: STEPS }, (_, i) => i + 1).join(), `progress steps ${steps.join()}, expected 1..${STEPS}`);
  check(reference.weights.length === 4 * 8 + 8 + 8 * 2 + 2 && reference.weights.every(Number.isFinite), 'the result holds the 58 finite weights');
  log(`uninterrupted: ${steps.length} progress reports, ${reference.weights.length} weights`);

  // 2. A checkpoint asked for at once is taken at the first report; the run is then cancelled.
  const first = start({ config: { steps: STEPS } });
  const saved = await first.checkpoint();
  await first.cancel();
  const cancelled = await rejection(first.result);
  check(saved.step >= 1 && saved.step < STEPS, `checkpoint step ${saved.step}, expected between 1 and ${STEPS - 1}`);
  check(saved.bytes instanceof Uint8Array && saved.bytes.length > 0, 'the checkpoint has bytes');
  // The run may have finished before cancel() (a fast machine): then there is nothing to cancel.
  check(cancelled === undefined || cancelled.name === 'TrainingCancelledError', `a cancelled run's result rejects with TrainingCancelledError, got ${cancelled?.name}: ${cancelled?.message}`);

  // 3. Resumed from it: continues at its step and ends with the uninterrupted run's weights.
  const resumed = start({ config: { steps: STEPS }, resumeFrom: saved });
  const resumedSteps = (await collect(resumed)).map((p) => p.step);
  const after = await resumed.result;
  check(after.start === saved.step && resumedSteps[0] === saved.step + 1, `the resumed run starts after step ${saved.step}, started at ${after.start} (first report ${resumedSteps[0]})`);
  const same = after.weights.length === reference.weights.length && after.weights.every((w, i) => w === reference.weights[i]);
  check(same, `resumed weights equal the uninterrupted run's (first: ${after.weights[0]} vs ${reference.weights[0]})`);
  log(`checkpoint at step ${saved.step} (${saved.bytes.length} bytes), resumed to step ${STEPS}: weights ${same ? 'identical' : 'DIFFERENT'}`);

  // 4. Cancel a long run after its third report: the iteration ends, result rejects, the worker stops.
  const long = start({ config: { steps: 1_000_000 } });
  let reports = 0;
  for await (const p of long) {
    reports = p.step;
    if (p.step === 3) await long.cancel();
  }
  const stop = await rejection(long.result);
  check(reports === 3 && stop?.name === 'TrainingCancelledError', `cancel after 3 reports: iteration ended at ${reports}, result ${stop?.name}`);

  // 5. An error in the training function rejects result and the iteration, naming it.
  const failing = start({ config: { steps: STEPS, throwAt: 2 } });
  const iterError = await rejection(collect(failing));
  const err = await rejection(failing.result);
  check(err?.name === 'TrainingWorkerError' && /RangeError: boom at step 2/.test(err.message), `a throwing run rejects naming its error, got ${err?.name}: ${err?.message}`);
  check(iterError === err, 'the iteration throws the same error');
  const late = await rejection(failing.checkpoint());
  check(late !== undefined && /finished/.test(late.message), `checkpoint() after the end rejects, got ${late?.message}`);

  // 6. A crash (an exception outside the training function) rejects instead of hanging.
  const crashing = start({ config: { steps: STEPS, crashAt: 2 } });
  const pendingCheckpoint = rejection(crashing.checkpoint());
  const crash = await rejection(crashing.result);
  check(crash?.name === 'TrainingWorkerError' && /crash at step 2|exited/.test(crash.message), `a crashing worker rejects naming the crash, got ${crash?.name}: ${crash?.message}`);
  log(`error: ${err?.message}; crash: ${crash?.message}`);
  // Asked for at once, it is answered at step 1 or rejected by the crash: settled either way.
  const orphan = await pendingCheckpoint;
  check(orphan === undefined || orphan.name === 'TrainingWorkerError', `a checkpoint pending at a crash settles, got ${orphan?.name}: ${orphan?.message}`);

  // 7. A worker module that does not load rejects, naming the load error.
  const missing = await rejection(startMissing().result);
  check(missing?.name === 'TrainingWorkerError', `a missing worker module rejects with TrainingWorkerError, got ${missing?.name}: ${missing?.message}`);
  log(`missing module: ${missing?.message}`);

  // 8. Bad input to the caller fails at once, clearly.
  try {
    start({ config: { steps: 1 }, resumeFrom: new Uint8Array([1, 2, 3]) });
    problems.push('a resumeFrom that is not a checkpoint was accepted');
  } catch (e) {
    check(/safetensors|checkpoint/i.test((e as Error).message), `bad resumeFrom names the problem, got ${(e as Error).message}`);
  }
  return problems;
}
