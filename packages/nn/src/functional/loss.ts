/**
 * Loss functions with PyTorch 1.13's semantics (`torch.nn.functional.*_loss`), composed from
 * core's public ops: no readback, so they run on every backend and autograd differentiates
 * them through their primitives.
 */
import {
  abs, add, clamp, div, eq, exp, gather, indexSelect, log, log1p, logSoftmax, maximum, mean,
  mul, ne, neg, sub, sum, tidy, where, Tensor, argBool, type PosArgs,
} from '@torchlet/core';
import { BCE_ARGS, BCE_LOGITS_ARGS, CROSS_ENTROPY_ARGS, KL_DIV_ARGS, MSE_ARGS, NLL_ARGS, SMOOTH_L1_ARGS, lossArgs } from './loss-args.ts';

/** How a loss reduces its per-element values: `'none'` keeps them. */
export type Reduction = 'none' | 'mean' | 'sum';

/** How a loss reduces its elementwise values (PyTorch's `reduction`): `'mean'` (the default), `'sum'`, or `'none'` (the losses unreduced). */
export interface ReductionOptions extends LegacyReductionOptions {
  /** Default `'mean'`. */
  reduction?: Reduction;
}

/**
 * PyTorch's deprecated `size_average` and `reduce`, which every loss still takes positionally
 * before `reduction`: when either is given (not null), `reduction` follows PyTorch's legacy
 * rule ('mean' when both are true, 'sum' when only `reduce` is, else 'none').
 */
export interface LegacyReductionOptions {
  /** Deprecated (PyTorch's `size_average`): average (true, the default) or sum. */
  sizeAverage?: boolean | null;
  /** Deprecated (PyTorch's `reduce`): reduce (true, the default) or keep every element's loss. */
  reduce?: boolean | null;
}

// ---------------------------------------------------------------------------------------------
// helpers

function shapeStr(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

function describe(x: unknown): string {
  if (x === null) return 'null';
  if (Array.isArray(x)) return 'an array';
  return typeof x;
}

function expectTensor(op: string, t: unknown, what: string): Tensor {
  if (!(t instanceof Tensor)) throw new TypeError(`${op}: expected ${what} to be a Tensor, got ${describe(t)}`);
  if (t.isDisposed) throw new Error(`${op}: ${what} (shape ${shapeStr(t.shape)}) was disposed`);
  return t;
}

function expectFloat(op: string, t: unknown, what: string): Tensor {
  const x = expectTensor(op, t, what);
  if (x.dtype !== 'float32') throw new TypeError(`${op}: expected ${what} of dtype float32, got ${x.dtype} (shape ${shapeStr(x.shape)})`);
  return x;
}

function optFloat(op: string, t: Tensor | null | undefined, what: string): Tensor | null {
  return t === undefined || t === null ? null : expectFloat(op, t, what);
}

function reductionArg(op: string, r: unknown, allowed: readonly string[] = ['none', 'mean', 'sum']): string {
  const v = r ?? 'mean';
  if (typeof v !== 'string' || !allowed.includes(v)) {
    throw new RangeError(`${op}: ${JSON.stringify(v)} is not a valid value for reduction (expected ${allowed.map((a) => `'${a}'`).join(', ')})`);
  }
  return v;
}

function reduce(loss: Tensor, reduction: string): Tensor {
  if (reduction === 'mean') return mean(loss);
  if (reduction === 'sum') return sum(loss);
  return loss;
}

/** Input and target of an element-wise loss: float32, broadcasting as PyTorch does. */
function pairArgs(op: string, input: unknown, target: unknown): [Tensor, Tensor] {
  const x = expectFloat(op, input, 'input'), t = expectFloat(op, target, 'target');
  for (let i = 1; i <= Math.max(x.ndim, t.ndim); i++) {
    const a = x.shape[x.ndim - i] ?? 1, b = t.shape[t.ndim - i] ?? 1;
    if (a !== b && a !== 1 && b !== 1) {
      throw new RangeError(`${op}: the size of input ${shapeStr(x.shape)} and target ${shapeStr(t.shape)} do not match and do not broadcast`);
    }
  }
  return [x, t];
}

function sameSize(op: string, x: Tensor, t: Tensor, message: string): void {
  if (x.ndim !== t.ndim || x.shape.some((s, i) => s !== t.shape[i])) throw new RangeError(`${op}: ${message}`);
}

// ---------------------------------------------------------------------------------------------
// regression losses

/**
 * Mean squared error `(input - target)^2`, reduced.
 *
 * @example
 * ```ts
 * const input = torch.tensor([0.5, 1.5, 2]);
 * const target = torch.tensor([1, 1, 2]);
 * console.log(await F.mseLoss(input, target).item());   // 0.1667 = (0.25 + 0.25 + 0) / 3
 * ```
 */
export function mseLoss(input: Tensor, target: Tensor, ...args: PosArgs<ReductionOptions, typeof MSE_ARGS>): Tensor {
  const options = lossArgs('mseLoss', args, MSE_ARGS) as ReductionOptions;
  const [x, t] = pairArgs('mseLoss', input, target);
  const r = reductionArg('mseLoss', options?.reduction);
  return tidy(() => {
    const d = sub(x, t);
    return reduce(mul(d, d), r);
  });
}

/**
 * Mean absolute error `|input - target|`, reduced.
 *
 * @example
 * ```ts
 * const loss = F.l1Loss(torch.tensor([0.5, 1.5]), torch.tensor([1, 1]), { reduction: 'sum' });
 * console.log(await loss.item());   // 1
 * ```
 */
export function l1Loss(input: Tensor, target: Tensor, ...args: PosArgs<ReductionOptions, typeof MSE_ARGS>): Tensor {
  const options = lossArgs('l1Loss', args, MSE_ARGS) as ReductionOptions;
  const [x, t] = pairArgs('l1Loss', input, target);
  const r = reductionArg('l1Loss', options?.reduction);
  return tidy(() => reduce(abs(sub(x, t)), r));
}

/** Options of `smoothL1Loss` (and `SmoothL1Loss`): `beta` and `reduction`. */
export interface SmoothL1LossOptions extends ReductionOptions {
  /** Where the loss switches from quadratic to linear (default 1; 0 gives the L1 loss). */
  beta?: number;
}

/**
 * `0.5 d^2 / beta` where `|d| < beta`, else `|d| - 0.5 beta`, with `d = input - target`.
 *
 * @example
 * ```ts
 * const loss = F.smoothL1Loss(torch.tensor([0, 3]), torch.tensor([0.5, 0]), { beta: 1 });
 * console.log(await loss.item());   // (0.125 + 2.5) / 2 = 1.3125
 * ```
 */
export function smoothL1Loss(input: Tensor, target: Tensor, ...args: PosArgs<SmoothL1LossOptions, typeof SMOOTH_L1_ARGS>): Tensor {
  const options = lossArgs('smoothL1Loss', args, SMOOTH_L1_ARGS) as SmoothL1LossOptions;
  const [x, t] = pairArgs('smoothL1Loss', input, target);
  const r = reductionArg('smoothL1Loss', options?.reduction);
  const beta = options?.beta ?? 1;
  if (typeof beta !== 'number' || !(beta >= 0)) throw new RangeError(`smoothL1Loss: smooth_l1_loss does not support negative values for beta (got ${String(beta)})`);
  return tidy(() => {
    const d = abs(sub(x, t));
    if (beta === 0) return reduce(d, r);
    const quadratic = div(mul(mul(d, d), 0.5), beta);
    return reduce(where(d.lt(beta), quadratic, sub(d, 0.5 * beta)), r);
  });
}

// ---------------------------------------------------------------------------------------------
// classification losses

/** Options of `nllLoss` (and `NLLLoss`): per-class `weight`, `ignoreIndex`, `reduction`. */
export interface NllLossOptions extends ReductionOptions {
  /** Per-class rescaling weight (C). */
  weight?: Tensor | null;
  /** A target value that is skipped and excluded from the mean (default -100). */
  ignoreIndex?: number;
}

/** Options of `crossEntropy` (and `CrossEntropyLoss`): those of `nllLoss` plus `labelSmoothing`. */
export interface CrossEntropyOptions extends NllLossOptions {
  /** Mix the target with the uniform distribution by this amount in [0, 1] (default 0). */
  labelSmoothing?: number;
}

/**
 * Checks class-index targets against `input` (C), (N, C) or (N, C, d1, ...): target is int32
 * of shape (), (N) or (N, d1, ...). Returns the class count.
 */
function checkIndexTarget(op: string, x: Tensor, t: Tensor): number {
  if (t.dtype !== 'int32') {
    throw new TypeError(`${op}: expected target of dtype int32 (class indices) ${op === 'crossEntropy' ? 'or a float32 target of the same shape as input (class probabilities) ' : ''}, got ${t.dtype} target of size ${shapeStr(t.shape)} for input of size ${shapeStr(x.shape)}`);
  }
  if (x.ndim === 0) throw new RangeError(`${op}: input must have at least 1 dim (C) or (N, C, ...), got a 0-d tensor`);
  if (x.ndim === 1) {
    if (t.ndim !== 0) throw new RangeError(`${op}: for unbatched input of size ${shapeStr(x.shape)} the target must be 0-d, got target of size ${shapeStr(t.shape)}`);
    return x.shape[0]!;
  }
  if (t.ndim === 0 || t.shape[0] !== x.shape[0]) {
    throw new RangeError(`${op}: Expected input batch_size (${x.shape[0]}) to match target batch_size (${t.ndim === 0 ? 'a 0-d target' : t.shape[0]}) (input of size ${shapeStr(x.shape)}, target of size ${shapeStr(t.shape)})`);
  }
  const want = [x.shape[0]!, ...x.shape.slice(2)];
  if (t.ndim !== want.length || t.shape.some((s, i) => s !== want[i])) {
    throw new RangeError(`${op}: Expected target size ${shapeStr(want)}, got ${shapeStr(t.shape)} (input of size ${shapeStr(x.shape)})`);
  }
  return x.shape[1]!;
}

function checkClassWeight(op: string, w: Tensor | null, c: number): void {
  if (w && (w.ndim !== 1 || w.shape[0] !== c)) {
    throw new RangeError(`${op}: weight tensor should be defined either for all ${c} classes or no classes but got weight tensor of shape: ${shapeStr(w.shape)}`);
  }
}

/**
 * The weighted negative log-likelihood per target and the per-target weights (0 where ignored),
 * both of target's shape. `x` is batched (N, C, ...), `t` (N, ...).
 */
function nllTerms(x: Tensor, t: Tensor, weight: Tensor | null, ignoreIndex: number): [Tensor, Tensor] {
  const keep = ne(t, ignoreIndex);
  // Ignored targets may hold any value (-100): read class 0 there and mask it out afterwards.
  const safe = where(keep, t, 0);
  const picked = gather(x, 1, safe.unsqueeze(1)).squeeze(1);
  const w = weight ? where(keep, indexSelect(weight, 0, safe.reshape([-1])).reshape(t.shape), 0) : keep.to('float32');
  return [where(keep, neg(mul(picked, w)), 0), w];
}

/**
 * The negative log-likelihood loss of log-probabilities `input` (C), (N, C) or (N, C, d1, ...)
 * for int32 class indices `target` (), (N) or (N, d1, ...). With a class `weight` the mean
 * divides by the summed weights of the (non-ignored) targets; if every target is ignored the
 * mean is NaN (0/0), as in PyTorch.
 *
 * @example
 * ```ts
 * const logProbs = F.logSoftmax(torch.randn([4, 10]), 1);
 * const target = torch.tensor([1, 0, 4, 9], { dtype: 'int32' });
 * console.log(await F.nllLoss(logProbs, target).item());
 * ```
 */
export function nllLoss(input: Tensor, target: Tensor, ...args: PosArgs<NllLossOptions, typeof NLL_ARGS>): Tensor {
  const options = lossArgs('nllLoss', args, NLL_ARGS) as NllLossOptions;
  const op = 'nllLoss';
  const x = expectFloat(op, input, 'input');
  const t = expectTensor(op, target, 'target');
  const c = checkIndexTarget(op, x, t);
  const weight = optFloat(op, options?.weight, 'weight');
  checkClassWeight(op, weight, c);
  const r = reductionArg(op, options?.reduction);
  return tidy(() => nllCore(x, t, weight, options?.ignoreIndex ?? -100, r));
}

function nllCore(x: Tensor, t: Tensor, weight: Tensor | null, ignoreIndex: number, r: string): Tensor {
  const unbatched = x.ndim === 1;
  const [loss, w] = nllTerms(unbatched ? x.unsqueeze(0) : x, unbatched ? t.unsqueeze(0) : t, weight, ignoreIndex);
  if (r === 'none') return unbatched ? loss.squeeze(0) : loss;
  if (r === 'sum') return sum(loss);
  return div(sum(loss), sum(w));
}

/**
 * Cross entropy between logits `input` (C), (N, C) or (N, C, d1, ...) and either int32 class
 * indices (shape (), (N) or (N, d1, ...)) or float32 class probabilities of input's shape.
 *
 * PyTorch 1.13's rules: with `labelSmoothing = e` and index targets the loss is
 * `(1 - e) * nll + e / C * smooth`, where `smooth = -sum_c w_c log p_c` per target (0 where
 * ignored) and the `mean` of `smooth` divides by the summed target weights (or the count of
 * non-ignored targets). Probability targets become `t (1 - e) + e / C`, have no `ignoreIndex`,
 * and their `mean` divides by `N * d1 * ...` even with a class `weight`.
 *
 * @example
 * ```ts
 * const logits = torch.randn([4, 10], { requiresGrad: true });
 * const target = torch.tensor([1, 0, 4, 9], { dtype: 'int32' });
 * const loss = F.crossEntropy(logits, target, { labelSmoothing: 0.1 });
 * loss.backward();
 * console.log(logits.grad!.shape);   // [4, 10]
 * ```
 */
export function crossEntropy(input: Tensor, target: Tensor, ...args: PosArgs<CrossEntropyOptions, typeof CROSS_ENTROPY_ARGS>): Tensor {
  const options = lossArgs('crossEntropy', args, CROSS_ENTROPY_ARGS) as CrossEntropyOptions;
  const op = 'crossEntropy';
  const x = expectFloat(op, input, 'input');
  const t = expectTensor(op, target, 'target');
  const weight = optFloat(op, options?.weight, 'weight');
  const r = reductionArg(op, options?.reduction);
  const ignoreIndex = options?.ignoreIndex ?? -100;
  const eps = options?.labelSmoothing ?? 0;
  if (typeof eps !== 'number' || !(eps >= 0 && eps <= 1)) throw new RangeError(`${op}: label_smoothing must be between 0.0 and 1.0. Got: ${String(eps)}`);
  if (x.ndim === 0) throw new RangeError(`${op}: input must have at least 1 dim (C) or (N, C, ...), got a 0-d tensor`);
  const classDim = x.ndim === 1 ? 0 : 1;
  const c = x.shape[classDim]!;
  checkClassWeight(op, weight, c);
  const wShape = x.shape.map((s, i) => (i === classDim ? s : 1));

  if (x.ndim === t.ndim && x.shape.every((s, i) => s === t.shape[i])) {
    // Class probabilities.
    if (t.dtype !== 'float32') {
      throw new TypeError(`${op}: Expected floating point type for target with class probabilities, got ${t.dtype} (target of size ${shapeStr(t.shape)} equals the input's size)`);
    }
    if (options?.ignoreIndex !== undefined && ignoreIndex >= 0) throw new RangeError(`${op}: ignore_index is not supported for floating point target`);
    return tidy(() => {
      const logp = logSoftmax(x, classDim);
      const tt = eps > 0 ? add(mul(t, 1 - eps), eps / c) : t;
      let terms = mul(logp, tt);
      if (weight) terms = mul(terms, weight.reshape(wShape));
      if (r === 'none') return neg(sum(terms, { dim: classDim }));
      const total = neg(sum(terms));
      return r === 'sum' ? total : div(total, x.numel() / c);
    });
  }

  checkIndexTarget(op, x, t);
  return tidy(() => {
    const logp = logSoftmax(x, classDim);
    const nll = nllCore(logp, t, weight, ignoreIndex, r);
    if (eps === 0) return nll;
    const keep = ne(t, ignoreIndex);
    const smoothTerms = weight ? mul(logp, weight.reshape(wShape)) : logp;
    const smooth = where(keep, neg(sum(smoothTerms, { dim: classDim })), 0);
    let ret: Tensor;
    if (r === 'none') ret = smooth;
    else if (r === 'sum') ret = sum(smooth);
    else {
      const denom = weight ? sum(where(keep, indexSelect(weight, 0, where(keep, t, 0).reshape([-1])).reshape(t.shape), 0)) : sum(keep.to('float32'));
      ret = div(sum(smooth), denom);
    }
    return add(mul(nll, 1 - eps), mul(ret, eps / c));
  });
}

/** Options of `binaryCrossEntropy` (and `BCELoss`): elementwise `weight`, `reduction`. */
export interface BinaryCrossEntropyOptions extends ReductionOptions {
  /** Rescaling weight, broadcast to input's shape. */
  weight?: Tensor | null;
}

/**
 * Binary cross entropy of probabilities `input` against `target` (same size):
 * `-w (t log(x) + (1 - t) log(1 - x))` with each log clamped at -100, so inputs of exactly 0
 * or 1 give finite losses (PyTorch's rule). Inputs outside [0, 1] give NaN rather than
 * PyTorch's error (checking would need a readback).
 *
 * @example
 * ```ts
 * const p = torch.tensor([0.9, 0.2, 0.6]);
 * const y = torch.tensor([1, 0, 1]);
 * console.log(await F.binaryCrossEntropy(p, y).item());   // 0.2798
 * ```
 */
export function binaryCrossEntropy(input: Tensor, target: Tensor, ...args: PosArgs<BinaryCrossEntropyOptions, typeof BCE_ARGS>): Tensor {
  const options = lossArgs('binaryCrossEntropy', args, BCE_ARGS) as BinaryCrossEntropyOptions;
  const op = 'binaryCrossEntropy';
  const x = expectFloat(op, input, 'input'), t = expectFloat(op, target, 'target');
  sameSize(op, x, t, `Using a target size (${shapeStr(t.shape)}) that is different to the input size (${shapeStr(x.shape)}) is deprecated. Please ensure they have the same size.`);
  const weight = optFloat(op, options?.weight, 'weight');
  const r = reductionArg(op, options?.reduction);
  return tidy(() => {
    const logX = maximum(log(x), -100);
    const log1mX = maximum(log1p(neg(x)), -100);
    // (t - 1) * log(1 - x) - t * log(x), as PyTorch writes it.
    let loss = sub(mul(sub(t, 1), log1mX), mul(t, logX));
    if (weight) loss = mul(loss, weight);
    return reduce(loss, r);
  });
}

/** Options of `binaryCrossEntropyWithLogits` (and `BCEWithLogitsLoss`): `weight`, `posWeight`, `reduction`. */
export interface BinaryCrossEntropyWithLogitsOptions extends BinaryCrossEntropyOptions {
  /** Weight of positive examples, broadcast over the last (class) dim. */
  posWeight?: Tensor | null;
}

/**
 * Binary cross entropy on logits, stable for large |input| (PyTorch's log-sum-exp form):
 * `(1 - t) x + (1 + (posWeight - 1) t) * log(1 + exp(-x))`, times `weight`.
 *
 * @example
 * ```ts
 * const logits = torch.tensor([2.2, -1.4, 0.4]);
 * const y = torch.tensor([1, 0, 1]);
 * const loss = F.binaryCrossEntropyWithLogits(logits, y, { posWeight: torch.tensor([2]) });
 * console.log(await loss.item());
 * ```
 */
export function binaryCrossEntropyWithLogits(input: Tensor, target: Tensor, ...args: PosArgs<BinaryCrossEntropyWithLogitsOptions, typeof BCE_LOGITS_ARGS>): Tensor {
  const options = lossArgs('binaryCrossEntropyWithLogits', args, BCE_LOGITS_ARGS) as BinaryCrossEntropyWithLogitsOptions;
  const op = 'binaryCrossEntropyWithLogits';
  const x = expectFloat(op, input, 'input'), t = expectFloat(op, target, 'target');
  sameSize(op, x, t, `Target size (${shapeStr(t.shape)}) must be the same as input size (${shapeStr(x.shape)})`);
  const weight = optFloat(op, options?.weight, 'weight');
  const posWeight = optFloat(op, options?.posWeight, 'posWeight');
  const r = reductionArg(op, options?.reduction);
  return tidy(() => {
    // log(1 + exp(-x)) = m + log(exp(-m) + exp(-x - m)) with m = max(-x, 0).
    const m = clamp(neg(x), 0);
    const softplusNegX = add(log(add(exp(neg(m)), exp(sub(neg(x), m)))), m);
    const logWeight = posWeight ? add(mul(sub(posWeight, 1), t), 1) : null;
    let loss = add(mul(sub(1, t), x), logWeight ? mul(logWeight, softplusNegX) : softplusNegX);
    if (weight) loss = mul(loss, weight);
    return reduce(loss, r);
  });
}

/** Options of `klDiv` (and `KLDivLoss`): `reduction` (with `'batchmean'`) and `logTarget`. */
export interface KlDivOptions extends LegacyReductionOptions {
  /** `'batchmean'` (sum / input.shape[0]) is the mathematically correct KL divergence; default `'mean'` (over all elements), as PyTorch. */
  reduction?: Reduction | 'batchmean';
  /** The target is given as log-probabilities (default false). */
  logTarget?: boolean;
}

/**
 * Kullback-Leibler divergence of log-probabilities `input` from `target`:
 * `target * (log(target) - input)` (0 where target is 0), or with `logTarget`,
 * `exp(target) * (target - input)`.
 *
 * @example
 * ```ts
 * const logQ = F.logSoftmax(torch.randn([2, 5]), 1);
 * const p = F.softmax(torch.randn([2, 5]), 1);
 * console.log(await F.klDiv(logQ, p, { reduction: 'batchmean' }).item());
 * ```
 */
export function klDiv(input: Tensor, target: Tensor, ...args: PosArgs<KlDivOptions, typeof KL_DIV_ARGS>): Tensor {
  const options = lossArgs('klDiv', args, KL_DIV_ARGS) as KlDivOptions;
  const [x, t] = pairArgs('klDiv', input, target);
  const r = reductionArg('klDiv', options?.reduction, ['none', 'batchmean', 'sum', 'mean']);
  const logTarget = argBool('klDiv', 'logTarget', options.logTarget ?? false);
  return tidy(() => {
    let loss: Tensor;
    if (logTarget) loss = mul(exp(t), sub(t, x));
    else {
      // xlogy(t, t): 0 at t = 0. log reads 1 there so no NaN reaches a gradient through where.
      const isZero = eq(t, 0);
      const xlogy = where(isZero, 0, mul(t, log(where(isZero, 1, t))));
      loss = sub(xlogy, mul(t, x));
    }
    if (r === 'batchmean') return div(sum(loss), x.ndim === 0 ? 1 : x.shape[0]!);
    return reduce(loss, r);
  });
}
