import type { Optimizer, OptimizerOptions } from './optimizer.ts';

/** Any optimizer: schedulers only read and write the groups' `lr` (and momentum). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyOptimizer = Optimizer<OptimizerOptions & Record<string, any>>;

/** A scheduler's state in PyTorch's layout (`last_epoch`, `base_lrs`, ...). */
export type SchedulerStateDict = Record<string, unknown>;

/**
 * The base of every lr scheduler (PyTorch 1.13's `_LRScheduler`).
 *
 * Order of calls, as in PyTorch: construct the scheduler after the optimizer (construction
 * sets each group's `initialLr` if missing and applies the schedule's value for epoch 0), then
 * call `optimizer.step()` and `scheduler.step()` once per epoch (or per batch for OneCycleLR).
 * Schedules are computed in float64 with PyTorch's own recursive ("chainable") formulas, so
 * the learning rates match PyTorch's to the last bits and schedulers can be chained.
 *
 * @example
 * ```ts
 * // The base of every scheduler: step() after each epoch (or batch), getLastLr(), stateDict().
 * const opt = new optim.SGD(new nn.Linear(2, 1).parameters(), { lr: 0.1 });
 * const sched: optim.LRScheduler = new optim.ExponentialLR(opt, { gamma: 0.5 });
 * sched.step();
 * console.log(sched.getLastLr());   // [0.05]
 * ```
 */
export abstract class LRScheduler {
  /**
   * The optimizer whose param groups' `lr` this scheduler writes. Not owned: the scheduler holds no
   * tensors and needs no dispose.
   */
  readonly optimizer: AnyOptimizer;
  /** The learning rates the schedule starts from: each group's `initialLr`. */
  baseLrs: number[] = [];
  /** The number of `step()` calls since construction; 0 right after construction. */
  lastEpoch = -1;
  /** @internal PyTorch's `_step_count`: CosineAnnealingLR's first step after a resume depends on it. */
  stepCount = 0;
  /** Each group's `lr` after the last `step()`; read it with `getLastLr()`. */
  protected lastLr: number[] = [];

  constructor(optimizer: AnyOptimizer) {
    if (!optimizer || !Array.isArray(optimizer.paramGroups)) throw new TypeError('an lr scheduler needs an Optimizer');
    this.optimizer = optimizer;
  }

  /**
   * Sets each group's `initialLr` if missing, reads the base learning rates, and takes the
   * first step (to epoch 0). Each subclass calls it last in its constructor, once its own
   * fields are set (PyTorch calls `super().__init__` last for the same reason).
   */
  protected start(): void {
    for (const g of this.optimizer.paramGroups) if (g.initialLr === undefined) g.initialLr = g.lr;
    this.baseLrs = this.optimizer.paramGroups.map((g) => g.initialLr!);
    this.initialStep();
  }

  /** @internal PyTorch's `_initial_step` (SequentialLR calls it on its first scheduler). */
  initialStep(): void {
    this.stepCount = 0;
    this.step();
  }

  /** The learning rates of the next epoch from the current group values (the chainable form). */
  protected abstract computeLr(): number[];

  /** The learning rates at `lastEpoch` from the base rates alone, where a closed form exists. */
  protected closedFormLr?(): number[];

  /**
   * Advances the schedule by one epoch and writes the new learning rate into every param group.
   * `epoch` jumps to that epoch instead (deprecated in PyTorch; SequentialLR uses it), using
   * the closed form where the scheduler has one.
   */
  step(epoch?: number): void {
    this.stepCount++;
    let values: number[];
    if (epoch === undefined) {
      this.lastEpoch++;
      values = this.computeLr();
    } else {
      this.lastEpoch = epoch;
      values = this.closedFormLr ? this.closedFormLr() : this.computeLr();
    }
    this.optimizer.paramGroups.forEach((g, i) => {
      g.lr = values[i]!;
    });
    this.lastLr = this.optimizer.paramGroups.map((g) => g.lr);
  }

  /** The learning rate of each group after the last `step()` (PyTorch's `get_last_lr()`). */
  getLastLr(): number[] {
    return [...this.lastLr];
  }

  /**
   * The schedule's position in PyTorch's key names (`last_epoch`, `base_lrs`, `_step_count`,
   * `_last_lr`), a plain JSON-able object. The hyperparameters come from the constructor.
   */
  stateDict(): SchedulerStateDict {
    return { base_lrs: [...this.baseLrs], last_epoch: this.lastEpoch, _step_count: this.stepCount, _last_lr: [...this.lastLr] };
  }

  /** Restores a position saved by {@link stateDict}; keys it does not know are ignored. */
  loadStateDict(sd: SchedulerStateDict): void {
    if (Array.isArray(sd.base_lrs)) this.baseLrs = (sd.base_lrs as number[]).map(Number);
    if (typeof sd.last_epoch === 'number') this.lastEpoch = sd.last_epoch;
    if (typeof sd._step_count === 'number') this.stepCount = sd._step_count;
    if (Array.isArray(sd._last_lr)) this.lastLr = (sd._last_lr as number[]).map(Number);
  }
}

/** Python's `%` (the result has the sign of the divisor). */
export function pyMod(a: number, m: number): number {
  return ((a % m) + m) % m;
}

/** Python's `bisect.bisect_right` on a sorted array. */
export function bisectRight(sorted: readonly number[], x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (x < sorted[mid]!) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** One value per param group: a list must have one entry per group, a number is repeated. */
export function perGroup<T>(optimizer: AnyOptimizer, name: string, value: T | readonly T[]): T[] {
  const n = optimizer.paramGroups.length;
  if (Array.isArray(value)) {
    if (value.length !== n) throw new RangeError(`expected ${n} values for ${name}, got ${value.length}`);
    return [...(value as T[])];
  }
  return new Array<T>(n).fill(value as T);
}
