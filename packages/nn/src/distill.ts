/**
 * Knowledge distillation (Hinton, Vinyals and Dean, "Distilling the Knowledge in a Neural
 * Network", 2015): a student learns from a frozen teacher's softened outputs.
 */
import * as T from '@torchlet/core';
import type { Tensor } from '@torchlet/core';
import { crossEntropy, klDiv } from './functional/loss.ts';
import type { Module } from './module.ts';

/** A model that maps a batch of inputs to logits. */
export interface Classifier {
  /** `(N, ...)` inputs to `(N, C)` logits. */
  forward(x: Tensor): Tensor;
}

/** The part of an optimizer `distill` uses (any `@torchlet/optim` optimizer fits). */
export interface StepOptimizer {
  /** Drops the parameters' gradients before a step's backward pass. */
  zeroGrad(): void;
  /** Updates the parameters from their gradients. */
  step(): void;
}

/** Options of {@link distillationLoss}. */
export interface DistillationOptions {
  /** Softmax temperature T (> 0); default 4. */
  temperature?: number;
  /** Weight of the soft (teacher) term in [0, 1]; default 0.9. */
  alpha?: number;
}

/**
 * `alpha * T^2 * KL(softmax(teacher / T) || softmax(student / T)) + (1 - alpha) * CE(student, target)`,
 * the KL term averaged over the batch (`batchmean`); T^2 keeps its gradient's scale independent
 * of T. The teacher's logits get no gradient (they are detached).
 *
 * @example
 * ```ts
 * const student = torch.randn([4, 10], { requiresGrad: true });
 * const teacher = torch.randn([4, 10]);
 * const target = torch.tensor([1, 2, 3, 4], { dtype: 'int32' });
 * const loss = nn.distillationLoss(student, teacher, target, { temperature: 4, alpha: 0.5 });
 * loss.backward();
 * ```
 */
export function distillationLoss(studentLogits: Tensor, teacherLogits: Tensor, target: Tensor, options: DistillationOptions = {}): Tensor {
  const temperature = options.temperature ?? 4, alpha = options.alpha ?? 0.9;
  if (!(temperature > 0)) throw new RangeError(`distillationLoss: temperature must be > 0, got ${temperature}`);
  if (!(alpha >= 0 && alpha <= 1)) throw new RangeError(`distillationLoss: alpha must be in [0, 1], got ${alpha}`);
  return T.tidy(() => {
    const logP = T.logSoftmax(studentLogits.div(temperature), 1);
    const logQ = T.logSoftmax(teacherLogits.detach().div(temperature), 1);
    const soft = klDiv(logP, logQ, { reduction: 'batchmean', logTarget: true });
    const hard = crossEntropy(studentLogits, target);
    return soft.mul(alpha * temperature * temperature).add(hard.mul(1 - alpha));
  });
}

/** Options of {@link distill}. */
export interface DistillOptions extends DistillationOptions {
  /** The model being trained (put in training mode); `optimizer` must hold its parameters. */
  student: Module & Classifier;
  /** The frozen model (put in evaluation mode, run under `noGrad`); not updated, not disposed. */
  teacher: Module & Classifier;
  /** Batches `[input, target]`; the caller's transform goes in `prepare`. The batches are disposed. */
  loader: AsyncIterable<[Tensor, Tensor]> | Iterable<[Tensor, Tensor]>;
  /** Any optimizer over the student's parameters (e.g. `new optim.Adam(student.parameters())`). */
  optimizer: StepOptimizer;
  /** Passes over `loader` (it must be re-iterable for more than one). Default 1. */
  epochs?: number;
  /** Applied to each input before both models (e.g. normalisation). */
  prepare?: (x: Tensor) => Tensor;
  /** Called after each epoch with its mean loss. */
  onEpoch?: (epoch: number, meanLoss: number) => void | Promise<void>;
}

/**
 * Trains `student` from a frozen `teacher` (evaluation mode, forward under noGrad) with
 * {@link distillationLoss}. Returns the mean loss of each epoch.
 *
 * @example
 * ```ts
 * const teacher = new nn.Sequential(new nn.Linear(8, 32), new nn.ReLU(), new nn.Linear(32, 3));
 * const student = new nn.Sequential(new nn.Linear(8, 3));
 * const batches: Array<[torch.Tensor, torch.Tensor]> = [[torch.randn([16, 8]), torch.randint(0, 3, [16])]];
 * const losses = await nn.distill({
 *   student, teacher, loader: batches, optimizer: new optim.Adam(student.parameters(), { lr: 1e-2 }),
 *   temperature: 2, epochs: 1,
 * });
 * console.log(losses.length);   // 1: the mean loss of each epoch
 * ```
 */
export async function distill(o: DistillOptions): Promise<number[]> {
  const prepare = o.prepare ?? ((x: Tensor) => x);
  o.teacher.eval();
  o.student.train();
  const losses: number[] = [];
  for (let epoch = 1; epoch <= (o.epochs ?? 1); epoch++) {
    let sum = 0, n = 0;
    for await (const [x, y] of o.loader) {
      const loss = T.tidy(() => {
        const input = prepare(x);
        const teacherLogits = T.noGrad(() => o.teacher.forward(input));
        o.optimizer.zeroGrad();
        const l = distillationLoss(o.student.forward(input), teacherLogits, y, o);
        l.backward();
        o.optimizer.step();
        return l.detach();
      });
      sum += Number(await loss.item());
      n++;
      for (const t of [x, y, loss]) t.dispose();
    }
    losses.push(sum / Math.max(n, 1));
    await o.onEpoch?.(epoch, losses.at(-1)!);
  }
  return losses;
}
