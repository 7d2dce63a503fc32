/**
 * The simple lr schedules of PyTorch 1.13's torch/optim/lr_scheduler.py: each `computeLr` is
 * PyTorch's chainable `get_lr` (it scales the group's current lr), each `closedFormLr` its
 * `_get_closed_form_lr`.
 */
import { bisectRight, LRScheduler, pyMod, type AnyOptimizer } from './lr-scheduler.ts';

function checkPositiveInt(name: string, v: number): void {
  if (!Number.isInteger(v) || v <= 0) throw new RangeError(`${name} must be a positive integer, got ${v}`);
}

/** Options of `LambdaLR`. */
export interface LambdaLROptions {
  /** `lr = initialLr * lrLambda(epoch)`: one function for every group, or one per group. */
  lrLambda: ((epoch: number) => number) | ReadonlyArray<(epoch: number) => number>;
}

/**
 * Sets each group's lr to its initial lr times a function of the epoch (PyTorch's `LambdaLR`).
 *
 * @example
 * ```ts
 * const opt = new optim.SGD(new nn.Linear(2, 1).parameters(), { lr: 0.1 });
 * const sched = new optim.LambdaLR(opt, { lrLambda: (epoch) => 0.95 ** epoch });
 * ```
 */
export class LambdaLR extends LRScheduler {
  /** One multiplier function per param group, in group order. */
  readonly lrLambdas: Array<(epoch: number) => number>;

  constructor(optimizer: AnyOptimizer, options: LambdaLROptions) {
    super(optimizer);
    const f = options?.lrLambda;
    if (Array.isArray(f)) {
      if (f.length !== optimizer.paramGroups.length) throw new RangeError(`Expected ${optimizer.paramGroups.length} lr_lambdas, but got ${f.length}`);
      this.lrLambdas = [...(f as Array<(epoch: number) => number>)];
    } else if (typeof f === 'function') {
      this.lrLambdas = optimizer.paramGroups.map(() => f as (epoch: number) => number);
    } else {
      throw new TypeError('LambdaLR needs lrLambda: a function of the epoch, or one per param group');
    }
    this.start();
  }

  protected computeLr(): number[] {
    return this.baseLrs.map((base, i) => base * this.lrLambdas[i]!(this.lastEpoch));
  }
}

/** Options of `StepLR`. */
export interface StepLROptions {
  /** Epochs between decays. */
  stepSize: number;
  /** Multiplicative decay; default 0.1. */
  gamma?: number;
}

/**
 * Multiplies the lr by `gamma` every `stepSize` epochs (PyTorch's `StepLR`).
 *
 * @example
 * ```ts
 * const opt = new optim.SGD(new nn.Linear(2, 1).parameters(), { lr: 0.1 });
 * const sched = new optim.StepLR(opt, { stepSize: 10, gamma: 0.1 });
 * for (let epoch = 0; epoch < 20; epoch++) {
 *   // ... train one epoch: opt.step() ...
 *   sched.step();
 * }
 * console.log(sched.getLastLr());   // [0.001]
 * ```
 */
export class StepLR extends LRScheduler {
  /** Epochs between decays (a positive integer). */
  readonly stepSize: number;
  /** The multiplicative decay applied every `stepSize` epochs. */
  readonly gamma: number;

  constructor(optimizer: AnyOptimizer, options: StepLROptions) {
    super(optimizer);
    checkPositiveInt('stepSize', options?.stepSize);
    this.stepSize = options.stepSize;
    this.gamma = options.gamma ?? 0.1;
    this.start();
  }

  protected computeLr(): number[] {
    const groups = this.optimizer.paramGroups;
    if (this.lastEpoch === 0 || this.lastEpoch % this.stepSize !== 0) return groups.map((g) => g.lr);
    return groups.map((g) => g.lr * this.gamma);
  }

  protected override closedFormLr(): number[] {
    return this.baseLrs.map((base) => base * this.gamma ** Math.floor(this.lastEpoch / this.stepSize));
  }
}

/** Options of `MultiStepLR`. */
export interface MultiStepLROptions {
  /** Epochs at which the lr is multiplied by `gamma` (a repeated epoch multiplies again). */
  milestones: readonly number[];
  /** Multiplicative decay; default 0.1. */
  gamma?: number;
}

/**
 * Multiplies the lr by `gamma` at each milestone epoch (PyTorch's `MultiStepLR`).
 *
 * @example
 * ```ts
 * const opt = new optim.SGD(new nn.Linear(2, 1).parameters(), { lr: 0.1 });
 * const sched = new optim.MultiStepLR(opt, { milestones: [30, 80], gamma: 0.1 });
 * ```
 */
export class MultiStepLR extends LRScheduler {
  /** The milestones, sorted (repeats kept). */
  readonly milestones: number[];
  /** The multiplicative decay applied at each milestone. */
  readonly gamma: number;

  constructor(optimizer: AnyOptimizer, options: MultiStepLROptions) {
    super(optimizer);
    if (!Array.isArray(options?.milestones)) throw new TypeError('MultiStepLR needs milestones: a list of epochs');
    this.milestones = [...options.milestones].sort((a, b) => a - b);
    this.gamma = options.gamma ?? 0.1;
    this.start();
  }

  protected computeLr(): number[] {
    const count = this.milestones.filter((m) => m === this.lastEpoch).length;
    const groups = this.optimizer.paramGroups;
    if (count === 0) return groups.map((g) => g.lr);
    return groups.map((g) => g.lr * this.gamma ** count);
  }

  protected override closedFormLr(): number[] {
    return this.baseLrs.map((base) => base * this.gamma ** bisectRight(this.milestones, this.lastEpoch));
  }
}

/** Options of `ExponentialLR`. */
export interface ExponentialLROptions {
  /** Multiplicative decay per epoch. */
  gamma: number;
}

/**
 * Multiplies the lr by `gamma` every epoch (PyTorch's `ExponentialLR`).
 *
 * @example
 * ```ts
 * const opt = new optim.Adam(new nn.Linear(2, 1).parameters());
 * const sched = new optim.ExponentialLR(opt, { gamma: 0.9 });
 * ```
 */
export class ExponentialLR extends LRScheduler {
  /** The multiplicative decay applied every epoch. */
  readonly gamma: number;

  constructor(optimizer: AnyOptimizer, options: ExponentialLROptions) {
    super(optimizer);
    if (typeof options?.gamma !== 'number') throw new TypeError('ExponentialLR needs gamma');
    this.gamma = options.gamma;
    this.start();
  }

  protected computeLr(): number[] {
    const groups = this.optimizer.paramGroups;
    if (this.lastEpoch === 0) return groups.map((g) => g.lr);
    return groups.map((g) => g.lr * this.gamma);
  }

  protected override closedFormLr(): number[] {
    return this.baseLrs.map((base) => base * this.gamma ** this.lastEpoch);
  }
}

/** Options of `CosineAnnealingLR`. */
export interface CosineAnnealingLROptions {
  /** Half the period, in epochs (PyTorch's `T_max`). */
  tMax: number;
  /** The minimum lr; default 0. */
  etaMin?: number;
}

/**
 * Cosine annealing from the initial lr down to `etaMin` over `tMax` epochs (PyTorch's
 * `CosineAnnealingLR`, without restarts). Past `tMax` the recursive formula PyTorch uses
 * climbs back up, a cosine of period `2 * tMax`; this matches it.
 *
 * @example
 * ```ts
 * const opt = new optim.SGD(new nn.Linear(2, 1).parameters(), { lr: 0.1 });
 * const sched = new optim.CosineAnnealingLR(opt, { tMax: 100, etaMin: 1e-4 });
 * ```
 */
export class CosineAnnealingLR extends LRScheduler {
  /** Half the period, in epochs (PyTorch's `T_max`). */
  readonly tMax: number;
  /** The minimum lr, reached at epoch `tMax`. */
  readonly etaMin: number;

  constructor(optimizer: AnyOptimizer, options: CosineAnnealingLROptions) {
    super(optimizer);
    if (!(options?.tMax > 0)) throw new RangeError(`CosineAnnealingLR needs a positive tMax, got ${options?.tMax}`);
    this.tMax = options.tMax;
    this.etaMin = options.etaMin ?? 0;
    this.start();
  }

  protected computeLr(): number[] {
    const { tMax, etaMin, lastEpoch: e } = this;
    const groups = this.optimizer.paramGroups;
    if (e === 0) return groups.map((g) => g.lr);
    if (this.stepCount === 1 && e > 0) {
      return this.baseLrs.map((base) => etaMin + ((base - etaMin) * (1 + Math.cos((e * Math.PI) / tMax))) / 2);
    }
    if (pyMod(e - 1 - tMax, 2 * tMax) === 0) {
      return groups.map((g, i) => g.lr + ((this.baseLrs[i]! - etaMin) * (1 - Math.cos(Math.PI / tMax))) / 2);
    }
    return groups.map(
      (g) => ((1 + Math.cos((Math.PI * e) / tMax)) / (1 + Math.cos((Math.PI * (e - 1)) / tMax))) * (g.lr - etaMin) + etaMin,
    );
  }

  protected override closedFormLr(): number[] {
    return this.baseLrs.map((base) => this.etaMin + ((base - this.etaMin) * (1 + Math.cos((Math.PI * this.lastEpoch) / this.tMax))) / 2);
  }
}

/** Options of `LinearLR`; all optional, with PyTorch's defaults. */
export interface LinearLROptions {
  /** The factor at epoch 0, in (0, 1]; default 1/3. */
  startFactor?: number;
  /** The factor from `totalIters` on, in [0, 1]; default 1. */
  endFactor?: number;
  /** Epochs of the ramp; default 5. */
  totalIters?: number;
}

/**
 * Scales the lr by a factor moving linearly from `startFactor` to `endFactor` (PyTorch's `LinearLR`).
 *
 * @example
 * ```ts
 * const opt = new optim.SGD(new nn.Linear(2, 1).parameters(), { lr: 0.1 });
 * const warmup = new optim.LinearLR(opt, { startFactor: 0.1, totalIters: 5 });   // warm-up to lr in 5 steps
 * ```
 */
export class LinearLR extends LRScheduler {
  /** The lr factor at epoch 0. */
  readonly startFactor: number;
  /** The lr factor from `totalIters` on. */
  readonly endFactor: number;
  /** Epochs over which the factor moves from `startFactor` to `endFactor`. */
  readonly totalIters: number;

  constructor(optimizer: AnyOptimizer, options: LinearLROptions = {}) {
    super(optimizer);
    this.startFactor = options.startFactor ?? 1 / 3;
    this.endFactor = options.endFactor ?? 1;
    this.totalIters = options.totalIters ?? 5;
    if (this.startFactor > 1 || this.startFactor <= 0) {
      throw new RangeError('Starting multiplicative factor expected to be greater than 0 and less or equal to 1.');
    }
    if (this.endFactor > 1 || this.endFactor < 0) throw new RangeError('Ending multiplicative factor expected to be between 0 and 1.');
    this.start();
  }

  protected computeLr(): number[] {
    const { startFactor: s, endFactor: f, totalIters: n, lastEpoch: e } = this;
    const groups = this.optimizer.paramGroups;
    if (e === 0) return groups.map((g) => g.lr * s);
    if (e > n) return groups.map((g) => g.lr);
    return groups.map((g) => g.lr * (1 + (f - s) / (n * s + (e - 1) * (f - s))));
  }

  protected override closedFormLr(): number[] {
    const { startFactor: s, endFactor: f, totalIters: n, lastEpoch: e } = this;
    return this.baseLrs.map((base) => base * (s + ((f - s) * Math.min(n, e)) / n));
  }
}
