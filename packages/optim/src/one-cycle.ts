import { LRScheduler, perGroup, type AnyOptimizer, type SchedulerStateDict } from './lr-scheduler.ts';

/**
 * Options of `OneCycleLR`, PyTorch's keyword arguments in camelCase. Give `totalSteps`, or both
 * `epochs` and `stepsPerEpoch`.
 */
export interface OneCycleLROptions {
  /** The peak lr (one per group, or one for all). */
  maxLr: number | readonly number[];
  /** The length of the cycle in steps; or give `epochs` and `stepsPerEpoch`. */
  totalSteps?: number;
  /**
   * The number of epochs; with `stepsPerEpoch`, `totalSteps = epochs * stepsPerEpoch`. Ignored when
   * `totalSteps` is given.
   */
  epochs?: number;
  /** The number of batches (scheduler steps) per epoch; see `epochs`. */
  stepsPerEpoch?: number;
  /** The fraction of the cycle spent increasing the lr; default 0.3. */
  pctStart?: number;
  /** Default 'cos'. */
  annealStrategy?: 'cos' | 'linear';
  /**
   * Cycle the momentum inversely to the lr, between `baseMomentum` and `maxMomentum` (default
   * true): SGD's and RMSprop's `momentum`, Adam's and AdamW's `betas[0]`.
   */
  cycleMomentum?: boolean;
  /**
   * The lowest momentum, reached at the peak lr (one per group, or one for all). Default 0.85, as in
   * PyTorch.
   */
  baseMomentum?: number | readonly number[];
  /**
   * The highest momentum, at the start and end of the cycle (one per group, or one for all). Default
   * 0.95, as in PyTorch.
   */
  maxMomentum?: number | readonly number[];
  /** `initialLr = maxLr / divFactor`; default 25. */
  divFactor?: number;
  /** `minLr = initialLr / finalDivFactor`; default 1e4. */
  finalDivFactor?: number;
  /** Use a third phase that anneals to `minLr` after coming back down to `initialLr`; default false. */
  threePhase?: boolean;
}

interface Phase {
  endStep: number;
  startLr: 'initialLr' | 'maxLr';
  endLr: 'initialLr' | 'maxLr' | 'minLr';
  startMomentum: 'maxMomentum' | 'baseMomentum';
  endMomentum: 'maxMomentum' | 'baseMomentum';
}

/**
 * The 1cycle policy (PyTorch's `OneCycleLR`): the lr rises from `maxLr / divFactor` to `maxLr`
 * and anneals to `initialLr / finalDivFactor`, stepped once per batch, `totalSteps` times at
 * most. Sets each group's `initialLr`, `maxLr`, `minLr` (and `maxMomentum`, `baseMomentum`).
 *
 * @example
 * ```ts
 * const opt = new optim.SGD(new nn.Linear(2, 1).parameters(), { lr: 0.1, momentum: 0.9 });
 * const sched = new optim.OneCycleLR(opt, { maxLr: 0.1, totalSteps: 1000 });
 * // call sched.step() after every batch
 * ```
 */
export class OneCycleLR extends LRScheduler {
  /** The cycle's length in steps; stepping past it throws a RangeError, as in PyTorch. */
  readonly totalSteps: number;
  /** Whether the momentum (or beta1) is cycled inversely to the lr. */
  readonly cycleMomentum: boolean;
  /** How each phase interpolates between its start and end values: cosine or linear. */
  readonly annealStrategy: 'cos' | 'linear';
  /** Whether the momentum lives in `betas[0]` (Adam) rather than `momentum` (SGD). */
  readonly useBeta1: boolean;
  /**
   * The two (or, with `threePhase`, three) phases: the last step of each and which group fields its lr
   * and momentum run between.
   */
  readonly phases: readonly Phase[];

  constructor(optimizer: AnyOptimizer, options: OneCycleLROptions) {
    super(optimizer);
    const o = options ?? ({} as OneCycleLROptions);
    if (o.totalSteps === undefined && o.epochs === undefined && o.stepsPerEpoch === undefined) {
      throw new RangeError('You must define either totalSteps OR (epochs AND stepsPerEpoch)');
    }
    if (o.totalSteps !== undefined) {
      if (!Number.isInteger(o.totalSteps) || o.totalSteps <= 0) throw new RangeError(`Expected positive integer totalSteps, but got ${o.totalSteps}`);
      this.totalSteps = o.totalSteps;
    } else {
      if (!Number.isInteger(o.epochs) || o.epochs! <= 0) throw new RangeError(`Expected positive integer epochs, but got ${o.epochs}`);
      if (!Number.isInteger(o.stepsPerEpoch) || o.stepsPerEpoch! <= 0) {
        throw new RangeError(`Expected positive integer stepsPerEpoch, but got ${o.stepsPerEpoch}`);
      }
      this.totalSteps = o.epochs! * o.stepsPerEpoch!;
    }
    const pct = o.pctStart ?? 0.3;
    if (!(pct >= 0 && pct <= 1)) throw new RangeError(`Expected float between 0 and 1 pctStart, but got ${pct}`);
    const n = this.totalSteps;
    this.phases = o.threePhase
      ? [
          { endStep: pct * n - 1, startLr: 'initialLr', endLr: 'maxLr', startMomentum: 'maxMomentum', endMomentum: 'baseMomentum' },
          { endStep: 2 * pct * n - 2, startLr: 'maxLr', endLr: 'initialLr', startMomentum: 'baseMomentum', endMomentum: 'maxMomentum' },
          { endStep: n - 1, startLr: 'initialLr', endLr: 'minLr', startMomentum: 'maxMomentum', endMomentum: 'maxMomentum' },
        ]
      : [
          { endStep: pct * n - 1, startLr: 'initialLr', endLr: 'maxLr', startMomentum: 'maxMomentum', endMomentum: 'baseMomentum' },
          { endStep: n - 1, startLr: 'maxLr', endLr: 'minLr', startMomentum: 'baseMomentum', endMomentum: 'maxMomentum' },
        ];
    this.annealStrategy = o.annealStrategy ?? 'cos';
    if (this.annealStrategy !== 'cos' && this.annealStrategy !== 'linear') {
      throw new RangeError(`annealStrategy must be one of 'cos' or 'linear', instead got ${String(this.annealStrategy)}`);
    }
    const divFactor = o.divFactor ?? 25;
    const finalDivFactor = o.finalDivFactor ?? 1e4;
    const maxLrs = perGroup(optimizer, 'maxLr', o.maxLr);
    optimizer.paramGroups.forEach((g, i) => {
      g.initialLr = maxLrs[i]! / divFactor;
      g.maxLr = maxLrs[i]!;
      g.minLr = g.initialLr / finalDivFactor;
    });
    this.cycleMomentum = o.cycleMomentum ?? true;
    const defaults = optimizer.defaults as Record<string, unknown>;
    this.useBeta1 = 'betas' in defaults;
    if (this.cycleMomentum) {
      if (!('momentum' in defaults) && !this.useBeta1) throw new RangeError('optimizer must support momentum with `cycleMomentum` option enabled');
      const maxM = perGroup(optimizer, 'maxMomentum', o.maxMomentum ?? 0.95);
      const baseM = perGroup(optimizer, 'baseMomentum', o.baseMomentum ?? 0.85);
      optimizer.paramGroups.forEach((g, i) => {
        this.setMomentum(g, maxM[i]!);
        g.maxMomentum = maxM[i]!;
        g.baseMomentum = baseM[i]!;
      });
    }
    this.start();
  }

  private setMomentum(group: AnyOptimizer['paramGroups'][number], m: number): void {
    const g = group as unknown as { betas?: [number, number]; momentum?: number };
    if (this.useBeta1) g.betas = [m, g.betas![1]];
    else g.momentum = m;
  }

  private anneal(start: number, end: number, pct: number): number {
    if (this.annealStrategy === 'linear') return (end - start) * pct + start;
    const cosOut = Math.cos(Math.PI * pct) + 1;
    return end + ((start - end) / 2) * cosOut;
  }

  protected computeLr(): number[] {
    const stepNum = this.lastEpoch;
    if (stepNum > this.totalSteps) {
      throw new RangeError(`Tried to step ${stepNum + 1} times. The specified number of total steps is ${this.totalSteps}`);
    }
    return this.optimizer.paramGroups.map((group) => {
      const g = group as unknown as Record<string, number>;
      let startStep = 0;
      let lr = 0;
      for (let i = 0; i < this.phases.length; i++) {
        const phase = this.phases[i]!;
        if (stepNum <= phase.endStep || i === this.phases.length - 1) {
          const pct = (stepNum - startStep) / (phase.endStep - startStep);
          lr = this.anneal(g[phase.startLr]!, g[phase.endLr]!, pct);
          if (this.cycleMomentum) this.setMomentum(group, this.anneal(g[phase.startMomentum]!, g[phase.endMomentum]!, pct));
          break;
        }
        startStep = phase.endStep;
      }
      return lr;
    });
  }

  override stateDict(): SchedulerStateDict {
    return { ...super.stateDict(), total_steps: this.totalSteps };
  }
}
