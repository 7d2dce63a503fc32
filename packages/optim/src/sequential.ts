import { bisectRight, LRScheduler, type AnyOptimizer, type SchedulerStateDict } from './lr-scheduler.ts';

/** Options of `SequentialLR`. */
export interface SequentialLROptions {
  /** The schedulers to run one after another, all on `optimizer`. */
  schedulers: readonly LRScheduler[];
  /** The epochs at which the next scheduler takes over (one fewer than the schedulers). */
  milestones: readonly number[];
}

/**
 * Runs schedulers one after another, switching at the milestone epochs (PyTorch's
 * `SequentialLR`); each starts its own schedule from epoch 0 when it takes over.
 *
 * @example
 * ```ts
 * const opt = new optim.SGD(new nn.Linear(2, 1).parameters(), { lr: 0.1 });
 * const warmup = new optim.LinearLR(opt, { startFactor: 0.1, totalIters: 5 });
 * const decay = new optim.CosineAnnealingLR(opt, { tMax: 95 });
 * const sched = new optim.SequentialLR(opt, { schedulers: [warmup, decay], milestones: [5] });
 * ```
 */
export class SequentialLR extends LRScheduler {
  /** The chained schedulers, in order; SequentialLR steps the one whose span holds the current epoch. */
  readonly schedulers: readonly LRScheduler[];
  /** The epochs at which each next scheduler takes over. */
  readonly milestones: readonly number[];

  constructor(optimizer: AnyOptimizer, options: SequentialLROptions) {
    super(optimizer);
    const { schedulers, milestones } = options ?? ({} as SequentialLROptions);
    if (!Array.isArray(schedulers) || schedulers.length === 0) throw new TypeError('SequentialLR needs a non-empty list of schedulers');
    schedulers.forEach((s, i) => {
      if (s.optimizer !== optimizer) {
        throw new RangeError(`Sequential Schedulers expects all schedulers to belong to the same optimizer, but got schedulers at index ${i} to be different than the optimizer passed in.`);
      }
    });
    if (!Array.isArray(milestones) || milestones.length !== schedulers.length - 1) {
      throw new RangeError(
        `Sequential Schedulers expects number of schedulers provided to be one more than the number of milestone points, but got number of schedulers ${schedulers.length} and the number of milestones to be equal to ${Array.isArray(milestones) ? milestones.length : 'none'}`,
      );
    }
    this.schedulers = [...schedulers];
    this.milestones = [...milestones];
    this.lastEpoch = 0;
    // Undo the first step each scheduler took when it was constructed, then restart the first.
    for (const g of optimizer.paramGroups) g.lr = g.initialLr!;
    for (const s of this.schedulers) s.lastEpoch -= 1;
    this.schedulers[0]!.initialStep();
    this.baseLrs = [...this.schedulers[0]!.baseLrs];
    this.lastLr = this.schedulers[0]!.getLastLr();
  }

  protected computeLr(): number[] {
    return this.optimizer.paramGroups.map((g) => g.lr);
  }

  override step(): void {
    this.lastEpoch++;
    const idx = bisectRight(this.milestones, this.lastEpoch);
    const s = this.schedulers[idx]!;
    if (idx > 0 && this.milestones[idx - 1] === this.lastEpoch) s.step(0);
    else s.step();
    this.lastLr = s.getLastLr();
  }

  override stateDict(): SchedulerStateDict {
    return { ...super.stateDict(), _milestones: [...this.milestones], _schedulers: this.schedulers.map((s) => s.stateDict()) };
  }

  override loadStateDict(sd: SchedulerStateDict): void {
    super.loadStateDict(sd);
    const subs = sd._schedulers;
    if (Array.isArray(subs)) subs.forEach((s, i) => this.schedulers[i]?.loadStateDict(s as SchedulerStateDict));
  }
}
