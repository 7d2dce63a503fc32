/**
 * Neural-network ops (PyTorch's `torch.nn.functional`): softmax, normalization, dropout,
 * embedding, convolution, pooling, padding, oneHot, cosine similarity.
 *
 * Every op here is a composition of core's public ops (element-wise, reductions, views,
 * cat, gather/indexSelect, matmul): no backend call and no readback (the one documented
 * exception is `oneHot` with `numClasses = -1`). So they run on every backend, WebGPU's
 * asynchronous one included, and autograd differentiates them through their primitives.
 * Constants (pooling divisors, averaging matrices) are plain numbers uploaded as tensors.
 * Temporaries are freed with `tidy`.
 */
import { tidy } from '../memory.ts';
import { isFloat } from '../dtype.ts';
import { noGrad } from '../grad-hook.ts';
import { broadcastShapes, normalizeDim, numel, shapeStr } from '../shape.ts';
import { Tensor } from '../tensor.ts';
import { add, div, eq, exp, log, lt, maximum, mul, rsqrt, sqrt, sub } from './elementwise.ts';
import { amax, max, mean, sum } from './reduce.ts';
import { cat } from './combine.ts';
import { indexSelect, where } from './indexing.ts';
import { matmul } from './linalg.ts';
import { arange, fromArray, full, rand } from './creation.ts';
import { describe, expectIndexTensor, expectTensor } from './util.ts';
import { dimArg, parseArgs, type DimOption, type PosArgs } from '../args.ts';

// ---------------------------------------------------------------------------------------------
// argument helpers

function expectFloat(op: string, t: Tensor, what = 'input'): void {
  expectTensor(op, t, what);
  if (!isFloat(t.dtype)) {
    throw new TypeError(`${op}: expected ${what} of a float dtype (float32, float16, bfloat16), got ${t.dtype} (shape ${shapeStr(t.shape)})`);
  }
}

function expectOptFloat(op: string, t: Tensor | null | undefined, what: string): Tensor | null {
  if (t === undefined || t === null) return null;
  expectFloat(op, t, what);
  return t;
}

/** An int or a list of `n` ints (PyTorch's `_pair`/`_single`), each checked with `check`. */
function intList(op: string, name: string, v: number | readonly number[], n: number, min: number): number[] {
  const list = typeof v === 'number' ? new Array<number>(n).fill(v) : Array.isArray(v) ? [...v] : null;
  if (list === null || list.length !== n) {
    throw new RangeError(`${op}: expected ${name} to be a single integer value or a list of ${n} values, but got ${name}=${Array.isArray(v) ? shapeStr(v) : describe(v)}`);
  }
  for (const x of list) {
    if (!Number.isInteger(x) || x < min) {
      throw new RangeError(`${op}: ${name} must be ${min === 0 ? 'non-negative' : 'positive'} integers, got ${name}=${shapeStr(list)}`);
    }
  }
  return list;
}

/** `x` as a new tensor object over the same elements (a recorded view, so gradients flow). */
function alias(x: Tensor): Tensor {
  return x.reshape([...x.shape]);
}

// ---------------------------------------------------------------------------------------------
// softmax

function softmaxArgs(op: string, x: Tensor, args: readonly unknown[]): number {
  expectFloat(op, x);
  return normalizeDim(dimArg(op, args), x.ndim);
}

/**
 * `x - max(x, dim)`, the max outside the graph: it only keeps exp() in range and cancels out
 * exactly. NOTE: computed under noGrad rather than with `.detach()`: a recorded amax whose
 * output is detached is a graph node that backward never reaches, so its saved tensors stayed
 * alive until garbage collection (2 tensors per softmax per training step).
 */
function shiftByMax(x: Tensor, d: number): Tensor {
  const m = noGrad(() => amax(x, { dim: d, keepdim: true }));
  return sub(x, m);
}

/**
 * `exp(x) / sum(exp(x), dim)`, computed stably (the max over `dim` is subtracted first); `dim` is
 * required, positionally or as `{ dim }`.
 *
 * @example
 * const logits = torch.tensor([[1, 2, 3]]);
 * console.log(await torch.softmax(logits, -1).tolist());   // [[0.0900, 0.2447, 0.6652]]
 * torch.softmax(logits, { dim: -1 });                    // the same
 */
export function softmax(x: Tensor, ...args: [dim: DimOption]): Tensor {
  const d = softmaxArgs('softmax', x, args);
  if (x.ndim === 0) return tidy(() => softmax(x.reshape([1]), 0).reshape([]));
  return tidy(() => {
    const e = exp(shiftByMax(x, d));
    return div(e, sum(e, { dim: d, keepdim: true }));
  });
}

/**
 * `log(softmax(x, dim))`, computed stably as `(x - m) - log(sum(exp(x - m)))`.
 *
 * @example
 * ```ts
 * const logits = torch.randn([4, 10]);
 * const logp = torch.logSoftmax(logits, 1);   // F.log_softmax(logits, dim=1)
 * console.log(await logp.exp().sum(1).tolist());   // [1, 1, 1, 1]
 * ```
 */
export function logSoftmax(x: Tensor, ...args: [dim: DimOption]): Tensor {
  const d = softmaxArgs('logSoftmax', x, args);
  if (x.ndim === 0) return tidy(() => logSoftmax(x.reshape([1]), 0).reshape([]));
  return tidy(() => {
    const s = shiftByMax(x, d);
    return sub(s, log(sum(exp(s), { dim: d, keepdim: true })));
  });
}

// ---------------------------------------------------------------------------------------------
// normalization

/** Options of {@link layerNorm}: the optional affine `weight` and `bias`, and `eps`. */
export interface LayerNormOptions {
  /** Elementwise scale of shape `normalizedShape`. */
  weight?: Tensor | null;
  /** Elementwise shift of shape `normalizedShape`. */
  bias?: Tensor | null;
  /** Added to the variance (default 1e-5). */
  eps?: number;
}

/**
 * Layer normalization over the last `normalizedShape.length` dims:
 * `(x - mean) / sqrt(var + eps) * weight + bias`, with the biased variance (as PyTorch).
 *
 * @example
 * ```ts
 * const x = torch.randn([2, 5, 16]);
 * const y = torch.layerNorm(x, 16, { weight: torch.ones([16]), bias: torch.zeros([16]), eps: 1e-5 });
 * console.log(y.shape);   // [2, 5, 16]
 * ```
 */
export function layerNorm(x: Tensor, normalizedShape: number | readonly number[], options?: LayerNormOptions): Tensor {
  expectFloat('layerNorm', x);
  const ns = typeof normalizedShape === 'number' ? [normalizedShape] : Array.isArray(normalizedShape) ? [...normalizedShape] : null;
  if (ns === null || ns.length === 0) {
    throw new RangeError(`layerNorm: normalizedShape must be an integer or a non-empty list of integers, got ${describe(normalizedShape)}`);
  }
  const k = ns.length;
  if (x.ndim < k || ns.some((s, i) => x.shape[x.ndim - k + i] !== s)) {
    throw new RangeError(`layerNorm: Given normalized_shape=${shapeStr(ns)}, expected input with shape [*, ${ns.join(', ')}], but got input of size ${shapeStr(x.shape)}`);
  }
  const weight = expectOptFloat('layerNorm', options?.weight, 'weight');
  const bias = expectOptFloat('layerNorm', options?.bias, 'bias');
  for (const [t, name] of [[weight, 'weight'], [bias, 'bias']] as const) {
    if (t && (t.ndim !== k || t.shape.some((s, i) => s !== ns[i]))) {
      throw new RangeError(`layerNorm: Expected ${name} to be of same shape as normalized_shape, but got ${name} of shape ${shapeStr(t.shape)} and normalized_shape = ${shapeStr(ns)}`);
    }
  }
  const eps = options?.eps ?? 1e-5;
  const dims = ns.map((_, i) => x.ndim - k + i);
  return tidy(() => {
    const d = sub(x, mean(x, { dim: dims, keepdim: true }));
    const v = mean(mul(d, d), { dim: dims, keepdim: true });
    let y = mul(d, rsqrt(add(v, eps)));
    if (weight) y = mul(y, weight);
    if (bias) y = add(y, bias);
    return y;
  });
}

/**
 * Options of {@link batchNorm} (PyTorch's `F.batch_norm` arguments): affine parameters, mode, `momentum`,
 * `eps`.
 */
export interface BatchNormOptions {
  /** Per-channel scale (C). */
  weight?: Tensor | null;
  /** Per-channel shift (C). */
  bias?: Tensor | null;
  /** Normalize with the batch statistics and update the running ones (default false, as PyTorch's F.batch_norm). */
  training?: boolean;
  /** Weight of the new batch statistics in the running averages (default 0.1). */
  momentum?: number;
  /** Added to the variance (default 1e-5). */
  eps?: number;
}

/**
 * Batch normalization over dim 1 (channels) of an `(N, C, ...)` input.
 *
 * In training it normalizes with the batch mean and the biased batch variance, and, when given,
 * updates `runningMean` and `runningVar` in place (`copy_`, outside the autograd graph) as
 * `(1 - momentum) * running + momentum * batch`, with the unbiased batch variance.
 * In evaluation (`training: false`) it normalizes with the running statistics.
 *
 * @example
 * ```ts
 * const x = torch.randn([8, 3]);
 * const runningMean = torch.zeros([3]), runningVar = torch.ones([3]);
 * const y = torch.batchNorm(x, runningMean, runningVar, { training: true, momentum: 0.1 });   // updates the running stats
 * console.log(y.shape);   // [8, 3]
 * ```
 */
export function batchNorm(
  x: Tensor,
  runningMean: Tensor | null | undefined,
  runningVar: Tensor | null | undefined,
  options?: BatchNormOptions,
): Tensor {
  expectFloat('batchNorm', x);
  if (x.ndim < 2) throw new RangeError(`batchNorm: expected an input with at least 2 dims (N, C, ...), got input of size ${shapeStr(x.shape)}`);
  const training = options?.training ?? false;
  const momentum = options?.momentum ?? 0.1;
  const eps = options?.eps ?? 1e-5;
  const c = x.shape[1]!;
  const rm = expectOptFloat('batchNorm', runningMean, 'runningMean');
  const rv = expectOptFloat('batchNorm', runningVar, 'runningVar');
  const weight = expectOptFloat('batchNorm', options?.weight, 'weight');
  const bias = expectOptFloat('batchNorm', options?.bias, 'bias');
  for (const [t, name] of [[rm, 'runningMean'], [rv, 'runningVar'], [weight, 'weight'], [bias, 'bias']] as const) {
    if (t && t.numel() !== c) {
      throw new RangeError(`batchNorm: ${name} should contain ${c} elements not ${t.numel()} (input of size ${shapeStr(x.shape)}, ${name} of size ${shapeStr(t.shape)})`);
    }
  }
  if (!training && (!rm || !rv)) {
    throw new TypeError('batchNorm: runningMean and runningVar must be given when training is false (evaluation uses the running statistics)');
  }
  const dims = x.shape.map((_, i) => i).filter((i) => i !== 1);
  const perChannel = x.numel() / Math.max(c, 1);
  if (training && perChannel <= 1) {
    throw new RangeError(`batchNorm: Expected more than 1 value per channel when training, got input size ${shapeStr(x.shape)}`);
  }
  const bshape = x.shape.map((s, i) => (i === 1 ? s : 1));
  return tidy(() => {
    let y: Tensor;
    if (training) {
      const mu = mean(x, { dim: dims, keepdim: true });
      const d = sub(x, mu);
      const v = mean(mul(d, d), { dim: dims, keepdim: true });
      y = mul(d, rsqrt(add(v, eps)));
      if (rm) rm.copy_(add(mul(rm, 1 - momentum), mul(mu.detach().reshape(rm.shape), momentum)));
      if (rv) {
        const unbiased = mul(v.detach().reshape(rv.shape), perChannel / (perChannel - 1));
        rv.copy_(add(mul(rv, 1 - momentum), mul(unbiased, momentum)));
      }
    } else {
      y = mul(sub(x, rm!.reshape(bshape)), rsqrt(add(rv!.reshape(bshape), eps)));
    }
    if (weight) y = mul(y, weight.reshape(bshape));
    if (bias) y = add(y, bias.reshape(bshape));
    return y;
  });
}

// ---------------------------------------------------------------------------------------------
// dropout, embedding

/** Options of {@link dropout}: the drop probability `p` and whether `training`. */
export interface DropoutOptions {
  /** Probability of an element being zeroed (default 0.5). */
  p?: number;
  /** Apply dropout (default true, as PyTorch's F.dropout); when false the input passes through. */
  training?: boolean;
}

/**
 * Zeroes each element with probability `p` (a mask from `rand`, so `manualSeed` makes it
 * reproducible) and scales the rest by `1 / (1 - p)`. Identity when not training or `p = 0`.
 *
 * @example
 * ```ts
 * const x = torch.ones([1000]);
 * const y = torch.dropout(x, { p: 0.5, training: true });   // zeros about half, scales the rest by 2
 * console.log(Math.round(Number(await y.mean().item())));   // 1 in expectation
 * ```
 */
export function dropout(x: Tensor, options?: DropoutOptions): Tensor {
  expectFloat('dropout', x);
  const p = options?.p ?? 0.5;
  const training = options?.training ?? true;
  if (typeof p !== 'number' || !(p >= 0 && p <= 1)) {
    throw new RangeError(`dropout: dropout probability has to be between 0 and 1, but got ${String(p)}`);
  }
  if (!training || p === 0) return alias(x);
  // PyTorch: p = 1 multiplies by zero (so NaN and infinity inputs give NaN, as there).
  if (p === 1) return mul(x, 0);
  return tidy(() => {
    const keepMask = lt(rand(x.shape, { backend: x.backend }), 1 - p).to('float32');
    return mul(x, mul(keepMask, 1 / (1 - p)));
  });
}

/** Options of {@link embedding} (PyTorch's `padding_idx`). */
export interface EmbeddingOptions {
  /** A row that receives no gradient (negative counts from the end); it is still read. */
  paddingIdx?: number | null;
}

/**
 * Rows of `weight` (numEmbeddings, embeddingDim) at the int32 indices `input` (any shape):
 * the result has shape `[...input.shape, embeddingDim]`.
 *
 * @example
 * ```ts
 * const weight = torch.randn([10, 4]);
 * const ids = torch.tensor([[1, 2], [9, 0]], { dtype: 'int32' });
 * console.log(torch.embedding(ids, weight).shape);   // [2, 2, 4]
 * ```
 */
export function embedding(input: Tensor, weight: Tensor, options?: EmbeddingOptions): Tensor {
  expectTensor('embedding', input);
  expectIndexTensor('embedding', input, 'input (the indices)');
  expectFloat('embedding', weight, 'weight');
  if (weight.ndim !== 2) throw new RangeError(`embedding: 'weight' must be 2-D (numEmbeddings, embeddingDim), got weight of size ${shapeStr(weight.shape)}`);
  const n = weight.shape[0]!;
  let pad = options?.paddingIdx ?? null;
  if (pad !== null) {
    if (!Number.isInteger(pad) || pad >= n || pad < -n) {
      throw new RangeError(`embedding: paddingIdx must be within numEmbeddings (${n}), got ${pad}`);
    }
    if (pad < 0) pad += n;
  }
  return tidy(() => {
    const rows = indexSelect(weight, 0, input.reshape([-1])).reshape([...input.shape, weight.shape[1]!]);
    if (pad === null) return rows;
    // The padding row is read but detached, so no gradient reaches it (PyTorch's rule).
    return where(eq(input, pad).unsqueeze(-1), rows.detach(), rows);
  });
}

// ---------------------------------------------------------------------------------------------
// padding, convolution

/** Options of {@link pad} (PyTorch's `F.pad(input, pad, mode='constant', value=None)`). */
export interface PadOptions {
  /** `'constant'` (the default and the only mode here; 'reflect', 'replicate' and 'circular' throw). */
  mode?: 'constant';
  /** The fill value (default 0). */
  value?: number | null;
}

const PAD_ARGS = ['mode', 'value'] as const;

/**
 * PyTorch's `F.pad` in constant mode: `pads` lists (before, after) pairs starting from the last
 * dim — `[left, right]`, `[left, right, top, bottom]`, ... Negative amounts crop. PyTorch's
 * order after `pads`: `mode`, `value` (`F.pad(x, [1, 1], 'constant', 2)`), or `{ value }`; a
 * number alone in `mode`'s place is taken as the value (torchlet's earlier form).
 *
 * @example
 * ```ts
 * const x = torch.ones([1, 2, 2]);
 * console.log(torch.pad(x, [1, 1, 0, 2]).shape);   // F.pad: last dim by (1, 1), the one before by (0, 2) -> [1, 4, 4]
 * console.log(await torch.pad(torch.ones([1]), [1, 0], 'constant', 5).tolist());   // [5, 1]
 * ```
 */
export function pad(x: Tensor, pads: readonly number[], ...args: PosArgs<PadOptions, typeof PAD_ARGS> | [value: number]): Tensor {
  const o = typeof args[0] === 'number' && args.length === 1 ? { value: args[0] } : (parseArgs('pad', args, PAD_ARGS) as PadOptions);
  const mode = o.mode ?? 'constant';
  if (mode !== 'constant') {
    throw new RangeError(`pad: mode ${typeof mode === 'string' ? `'${mode}'` : describe(mode)} is not supported; only 'constant' is ('reflect', 'replicate' and 'circular' are not implemented)`);
  }
  const value = o.value ?? 0;
  if (typeof value !== 'number') throw new TypeError(`pad: value must be a number, got ${describe(value)}`);
  return padConstant(x, pads, value);
}

function padConstant(x: Tensor, pads: readonly number[], value: number): Tensor {
  expectTensor('pad', x);
  if (!Array.isArray(pads) || pads.length % 2 !== 0 || pads.some((p) => !Number.isInteger(p))) {
    throw new RangeError(`pad: padding must be a list of integers of even length, got ${Array.isArray(pads) ? shapeStr(pads) : describe(pads)}`);
  }
  if (pads.length / 2 > x.ndim) {
    throw new RangeError(`pad: padding length too large: ${pads.length} values pad ${pads.length / 2} dims, but the input has ${x.ndim} (shape ${shapeStr(x.shape)})`);
  }
  for (let i = 0; i < pads.length / 2; i++) {
    const d = x.ndim - 1 - i;
    const size = x.shape[d]! + pads[2 * i]! + pads[2 * i + 1]!;
    if (size < 0) {
      throw new RangeError(`pad: the input size ${x.shape[d]} at dim ${d} plus padding ${pads[2 * i]} and ${pads[2 * i + 1]} is negative (input of size ${shapeStr(x.shape)})`);
    }
  }
  return tidy(() => {
    let y = x;
    for (let i = 0; i < pads.length / 2; i++) {
      const d = x.ndim - 1 - i;
      const before = pads[2 * i]!, after = pads[2 * i + 1]!;
      if (before < 0) y = y.slice(d, -before);
      if (after < 0) y = y.slice(d, 0, y.shape[d]! + after);
      const parts: Tensor[] = [];
      const block = (n: number): Tensor =>
        full(y.shape.map((s, k) => (k === d ? n : s)), value, { dtype: y.dtype, backend: y.backend });
      if (before > 0) parts.push(block(before));
      parts.push(y);
      if (after > 0) parts.push(block(after));
      if (parts.length > 1) y = cat(parts, d);
    }
    return y === x ? alias(x) : y;
  });
}

/** Options of {@link conv1d} and {@link conv2d} (PyTorch's `stride`, `padding`, `dilation`, `groups`). */
export interface ConvOptions {
  /** Step between windows: an int or one per spatial dim (default 1). */
  stride?: number | readonly number[];
  /** Zero padding on both sides: an int, one per spatial dim, `'valid'` (none) or `'same'` (output size = input size; stride 1 only). Default 0. */
  padding?: number | readonly number[] | 'same' | 'valid';
  /** Spacing between kernel elements (default 1). */
  dilation?: number | readonly number[];
  /** Split channels into this many independent groups (default 1). */
  groups?: number;
}

/**
 * N-d convolution (cross-correlation, as PyTorch) over `k` spatial dims via im2col: the
 * windows come from `unfold` (a view), dilation from a stepped slice of each window dim, and
 * one batched matmul covers every group.
 */
function convNd(op: string, k: number, input: Tensor, weight: Tensor, bias: Tensor | null | undefined, options?: ConvOptions): Tensor {
  expectFloat(op, input);
  expectFloat(op, weight, 'weight');
  const b = expectOptFloat(op, bias, 'bias');
  if (input.ndim !== k + 1 && input.ndim !== k + 2) {
    throw new RangeError(`${op}: Expected ${k + 1}D (unbatched) or ${k + 2}D (batched) input, but got input of size: ${shapeStr(input.shape)}`);
  }
  if (weight.ndim !== k + 2) {
    throw new RangeError(`${op}: Expected ${k + 2}-dimensional weight (out_channels, in_channels/groups, ${k === 1 ? 'kW' : 'kH, kW'}), but got weight of size ${shapeStr(weight.shape)}`);
  }
  const groups = options?.groups ?? 1;
  if (!Number.isInteger(groups) || groups < 1) throw new RangeError(`${op}: non-positive groups is not supported (groups=${groups})`);
  const unbatched = input.ndim === k + 1;
  const xShape = unbatched ? [1, ...input.shape] : [...input.shape];
  const c = xShape[1]!, o = weight.shape[0]!, cg = weight.shape[1]!;
  const ks = weight.shape.slice(2);
  if (c !== cg * groups) {
    throw new RangeError(`${op}: Given groups=${groups}, weight of size ${shapeStr(weight.shape)}, expected input${shapeStr(input.shape)} to have ${cg * groups} channels, but got ${c} channels instead`);
  }
  if (o % groups !== 0) {
    throw new RangeError(`${op}: Given groups=${groups}, expected weight to be divisible by ${groups} at dimension 0, but got weight of size ${shapeStr(weight.shape)} instead`);
  }
  if (b && (b.ndim !== 1 || b.shape[0] !== o)) {
    throw new RangeError(`${op}: Given weight of size ${shapeStr(weight.shape)}, expected bias to be 1-dimensional with ${o} elements, but got bias of size ${shapeStr(b.shape)} instead`);
  }
  const stride = intList(op, 'stride', options?.stride ?? 1, k, 1);
  const dilation = intList(op, 'dilation', options?.dilation ?? 1, k, 1);
  const padOpt = options?.padding ?? 0;
  const before: number[] = [], after: number[] = [];
  if (padOpt === 'same') {
    if (stride.some((s) => s !== 1)) throw new RangeError(`${op}: padding='same' is not supported for strided convolutions (stride=${shapeStr(stride)})`);
    // PyTorch puts the odd element of the total padding after (right/bottom).
    for (let i = 0; i < k; i++) {
      const total = dilation[i]! * (ks[i]! - 1);
      before.push(Math.floor(total / 2));
      after.push(total - Math.floor(total / 2));
    }
  } else if (padOpt === 'valid') {
    for (let i = 0; i < k; i++) before.push(0), after.push(0);
  } else if (typeof padOpt === 'string') {
    throw new RangeError(`${op}: Invalid padding string '${padOpt}', should be one of 'valid', 'same'`);
  } else {
    const p = intList(op, 'padding', padOpt, k, 0);
    before.push(...p);
    after.push(...p);
  }
  const eff = ks.map((s, i) => dilation[i]! * (s - 1) + 1);
  const padded = xShape.slice(2).map((s, i) => s + before[i]! + after[i]!);
  if (padded.some((s, i) => s < eff[i]!)) {
    throw new RangeError(`${op}: Calculated padded input size per channel: (${padded.join(' x ')}). Kernel size: (${eff.join(' x ')}). Kernel size can't be greater than actual input size`);
  }
  const n = xShape[0]!, og = o / groups;
  const kk = cg * numel(ks);
  return tidy(() => {
    let x = unbatched ? input.unsqueeze(0) : input;
    if (before.some((p) => p > 0) || after.some((p) => p > 0)) {
      const pads: number[] = [];
      for (let i = k - 1; i >= 0; i--) pads.push(before[i]!, after[i]!);
      x = padConstant(x, pads, 0);
    }
    // (N, C, *out, *kernel): every window as a view.
    let win = x;
    for (let i = 0; i < k; i++) win = win.unfold(2 + i, eff[i]!, stride[i]!);
    for (let i = 0; i < k; i++) if (dilation[i]! > 1) win = win.slice(2 + k + i, 0, null, dilation[i]!);
    const outSp = win.shape.slice(2, 2 + k);
    const l = numel(outSp);
    // im2col, one block per group: (N, G, Cg * prod(kernel), prod(out)), the one copy.
    const perm = [0, 1, 2, ...ks.map((_, i) => 3 + k + i), ...outSp.map((_, i) => 3 + i)];
    const cols = win.reshape([n, groups, cg, ...outSp, ...ks]).permute(perm).reshape([n, groups, kk, l]);
    // (G, Og, K) @ (N, G, K, L) -> (N, G, Og, L) = (N, O, *out).
    let y = matmul(weight.reshape([groups, og, kk]), cols).reshape([n, o, ...outSp]);
    if (b) y = add(y, b.reshape([1, o, ...outSp.map(() => 1)]));
    return unbatched ? y.reshape([o, ...outSp]) : y;
  });
}

/**
 * 1-D convolution of `(N, C, L)` (or unbatched `(C, L)`) input with `(O, C/groups, kW)` weight.
 *
 * @example
 * ```ts
 * const x = torch.randn([4, 16, 50]);
 * const w = torch.randn([32, 16, 3]);
 * console.log(torch.conv1d(x, w, null, { padding: 1 }).shape);   // [4, 32, 50]
 * ```
 */
export function conv1d(input: Tensor, weight: Tensor, bias?: Tensor | null, options?: ConvOptions): Tensor {
  return convNd('conv1d', 1, input, weight, bias, options);
}

/**
 * 2-D convolution of `(N, C, H, W)` (or unbatched `(C, H, W)`) input with `(O, C/groups, kH, kW)` weight.
 *
 * @example
 * ```ts
 * const x = torch.randn([1, 3, 32, 32]);
 * const w = torch.randn([8, 3, 3, 3]), b = torch.zeros([8]);
 * console.log(torch.conv2d(x, w, b, { stride: 2, padding: 1 }).shape);   // [1, 8, 16, 16]
 * ```
 */
export function conv2d(input: Tensor, weight: Tensor, bias?: Tensor | null, options?: ConvOptions): Tensor {
  return convNd('conv2d', 2, input, weight, bias, options);
}

// ---------------------------------------------------------------------------------------------
// pooling

/** Options of {@link maxPool2d} (PyTorch's `F.max_pool2d` arguments); only `kernelSize` is required. */
export interface MaxPool2dOptions {
  /** Window size: an int, or `[kH, kW]`. */
  kernelSize: number | readonly number[];
  /** Default: `kernelSize`. */
  stride?: number | readonly number[] | null;
  /** Implicit -inf padding on both sides, at most half the kernel (default 0). */
  padding?: number | readonly number[];
  /** Spacing between the elements of a window: an int or `[dH, dW]` (default 1). */
  dilation?: number | readonly number[];
  /** Round the output size up (the last window must still start inside the input or left padding). */
  ceilMode?: boolean;
  /** PyTorch's `return_indices`: not supported (true throws); false is accepted for positional calls. */
  returnIndices?: boolean;
}

/** PyTorch's positional order of `F.max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices)`. */
const MAX_POOL_ARGS = ['kernelSize', 'stride', 'padding', 'dilation', 'ceilMode', 'returnIndices'] as const;
/** PyTorch's positional order of `F.avg_pool2d(input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override)`. */
const AVG_POOL_ARGS = ['kernelSize', 'stride', 'padding', 'ceilMode', 'countIncludePad', 'divisorOverride'] as const;

/** Options of {@link avgPool2d} (PyTorch's `F.avg_pool2d` arguments); only `kernelSize` is required. */
export interface AvgPool2dOptions {
  /** Window size: an int, or `[kH, kW]`. */
  kernelSize: number | readonly number[];
  /** Default: `kernelSize`. */
  stride?: number | readonly number[] | null;
  /** Implicit zero padding on both sides, at most half the kernel (default 0). */
  padding?: number | readonly number[];
  /** Round the output size up (the last window must still start inside the input or left padding). */
  ceilMode?: boolean;
  /** Count the padding zeros in the divisor (default true). */
  countIncludePad?: boolean;
  /** Divide every window's sum by this instead. */
  divisorOverride?: number | null;
}

/** PyTorch's pooling_output_shape: with ceilMode the last window must start inside the input or the left padding. */
function poolOutSize(size: number, k: number, p: number, s: number, d: number, ceil: boolean): number {
  let out = Math.floor((size + 2 * p - d * (k - 1) - 1 + (ceil ? s - 1 : 0)) / s) + 1;
  if (ceil && (out - 1) * s >= size + p) out--;
  return out;
}

interface PoolGeometry {
  unbatched: boolean;
  k: number[];
  s: number[];
  p: number[];
  d: number[];
  /** Input spatial size and output spatial size. */
  inSp: number[];
  outSp: number[];
}

function poolGeometry(op: string, x: Tensor, o: { kernelSize: number | readonly number[]; stride?: number | readonly number[] | null; padding?: number | readonly number[]; dilation?: number | readonly number[]; ceilMode?: boolean }): PoolGeometry {
  expectFloat(op, x);
  if ((x.ndim !== 3 && x.ndim !== 4) || x.shape.slice(1).some((s) => s === 0)) {
    throw new RangeError(`${op}: Expected 3D or 4D (batch mode) tensor with non-zero sizes for non-batch dims, but got input of size ${shapeStr(x.shape)}`);
  }
  if (o === undefined || o.kernelSize === undefined) throw new TypeError(`${op}: kernelSize is required (positionally after the input, or { kernelSize })`);
  const k = intList(op, 'kernelSize', o.kernelSize, 2, 1);
  const strideOpt = o.stride;
  const s = strideOpt === undefined || strideOpt === null || (Array.isArray(strideOpt) && strideOpt.length === 0) ? k : intList(op, 'stride', strideOpt, 2, 1);
  const p = intList(op, 'padding', o.padding ?? 0, 2, 0);
  const d = intList(op, 'dilation', o.dilation ?? 1, 2, 1);
  if (p.some((v, i) => v > Math.floor(k[i]! / 2))) {
    throw new RangeError(`${op}: pad should be at most half of kernel size, but got padding=${shapeStr(p)} and kernelSize=${shapeStr(k)}`);
  }
  const inSp = x.shape.slice(-2);
  const outSp = inSp.map((n, i) => poolOutSize(n, k[i]!, p[i]!, s[i]!, d[i]!, o.ceilMode ?? false));
  if (outSp.some((n) => n < 1)) {
    throw new RangeError(`${op}: Given input size: (${x.shape.slice(-3).join('x')}). Calculated output size: (${[x.shape[x.ndim - 3], ...outSp].join('x')}). Output size is too small`);
  }
  return { unbatched: x.ndim === 3, k, s, p, d, inSp, outSp };
}

/** `(..., OH, OW, kH, kW)`: each output position's window over the input padded with `value`. */
function poolWindows(x: Tensor, g: PoolGeometry, value: number): Tensor {
  const eff = g.k.map((k, i) => g.d[i]! * (k - 1) + 1);
  // Pad before by `p`; pad after just enough for the last window (ceilMode may need more than p).
  const after = g.outSp.map((o, i) => Math.max(0, (o - 1) * g.s[i]! + eff[i]! - g.inSp[i]! - g.p[i]!));
  const xp = padConstant(x, [g.p[1]!, after[1]!, g.p[0]!, after[0]!], value);
  const h = xp.ndim - 2;
  let win = xp.unfold(h, eff[0]!, g.s[0]!).unfold(h + 1, eff[1]!, g.s[1]!);
  win = win.slice(h, 0, g.outSp[0]!).slice(h + 1, 0, g.outSp[1]!);
  if (g.d[0]! > 1) win = win.slice(-2, 0, null, g.d[0]!);
  if (g.d[1]! > 1) win = win.slice(-1, 0, null, g.d[1]!);
  return win;
}

/**
 * 2-D max pooling of `(N, C, H, W)` or `(C, H, W)` input; padding counts as -inf.
 *
 * @example
 * ```ts
 * const x = torch.randn([1, 8, 16, 16]);
 * console.log(torch.maxPool2d(x, { kernelSize: 2 }).shape);   // [1, 8, 8, 8]
 * console.log(torch.maxPool2d(x, 3, 2, 1).shape);              // F.max_pool2d(x, 3, 2, 1): [1, 8, 8, 8]
 * ```
 */
export function maxPool2d(x: Tensor, ...args: PosArgs<MaxPool2dOptions, typeof MAX_POOL_ARGS>): Tensor {
  const options = parseArgs('maxPool2d', args, MAX_POOL_ARGS) as unknown as MaxPool2dOptions;
  if (options.returnIndices !== undefined && options.returnIndices !== false) {
    throw new TypeError(`maxPool2d: returnIndices=${String(options.returnIndices)} is not supported (only the pooled values are returned)`);
  }
  const g = poolGeometry('maxPool2d', x, options);
  return tidy(() => {
    const win = poolWindows(x, g, -Infinity);
    return max(max(win, { dim: -1 }).values, { dim: -1 }).values;
  });
}

/** Per output index along one dim: the divisor PyTorch's avg_pool2d uses. */
function avgCounts(size: number, k: number, s: number, p: number, out: number, includePad: boolean): number[] {
  const counts: number[] = [];
  for (let i = 0; i < out; i++) {
    let start = i * s - p;
    let end = Math.min(start + k, size + p);
    const withPad = end - start;
    start = Math.max(start, 0);
    end = Math.min(end, size);
    counts.push(includePad ? withPad : end - start);
  }
  return counts;
}

/**
 * 2-D average pooling of `(N, C, H, W)` or `(C, H, W)` input, with PyTorch's divisor rules.
 *
 * @example
 * ```ts
 * const x = torch.ones([1, 1, 4, 4]);
 * console.log(await torch.avgPool2d(x, { kernelSize: 2 }).tolist());   // [[[[1, 1], [1, 1]]]]
 * console.log(torch.avgPool2d(x, 2, 1).shape);                         // F.avg_pool2d(x, 2, 1): [1, 1, 3, 3]
 * ```
 */
export function avgPool2d(x: Tensor, ...args: PosArgs<AvgPool2dOptions, typeof AVG_POOL_ARGS>): Tensor {
  const options = parseArgs('avgPool2d', args, AVG_POOL_ARGS) as unknown as AvgPool2dOptions;
  const g = poolGeometry('avgPool2d', x, { ...options, dilation: 1 });
  const override = options.divisorOverride ?? null;
  if (override !== null && (typeof override !== 'number' || override === 0 || !Number.isFinite(override))) {
    throw new RangeError(`avgPool2d: divisorOverride must be a nonzero number, got ${String(override)}`);
  }
  return tidy(() => {
    const sums = sum(poolWindows(x, g, 0), { dim: [-2, -1] });
    if (override !== null) return div(sums, override);
    const includePad = options.countIncludePad ?? true;
    const ch = avgCounts(g.inSp[0]!, g.k[0]!, g.s[0]!, g.p[0]!, g.outSp[0]!, includePad);
    const cw = avgCounts(g.inSp[1]!, g.k[1]!, g.s[1]!, g.p[1]!, g.outSp[1]!, includePad);
    const divisor = new Float32Array(ch.length * cw.length);
    ch.forEach((a, i) => cw.forEach((b, j) => (divisor[i * cw.length + j] = a * b)));
    return div(sums, fromArray(divisor, [ch.length, cw.length], { backend: x.backend }));
  });
}

/** `(out, in)`: row i averages input positions `[floor(i*in/out), ceil((i+1)*in/out))`. */
function adaptiveAveragingMatrix(size: number, out: number, x: Tensor): Tensor {
  const m = new Float32Array(out * size);
  for (let i = 0; i < out; i++) {
    const start = Math.floor((i * size) / out);
    const end = Math.ceil(((i + 1) * size) / out);
    for (let j = start; j < end; j++) m[i * size + j] = 1 / (end - start);
  }
  return fromArray(m, [out, size], { backend: x.backend });
}

/**
 * Adaptive 2-D average pooling to `outputSize` (an int, or `[h, w]` where `null` keeps that
 * input size). The variable windows are two constant averaging matrices: `A_h @ x @ A_w^T`.
 *
 * @example
 * ```ts
 * console.log(torch.adaptiveAvgPool2d(torch.randn([2, 64, 7, 9]), [1, 1]).shape);   // [2, 64, 1, 1]
 * ```
 */
export function adaptiveAvgPool2d(x: Tensor, outputSize: number | readonly (number | null)[]): Tensor {
  expectFloat('adaptiveAvgPool2d', x);
  if ((x.ndim !== 3 && x.ndim !== 4) || x.shape.slice(1).some((s) => s === 0)) {
    throw new RangeError(`adaptiveAvgPool2d: Expected 3D or 4D tensor with non-zero sizes for non-batch dims, but got input of size ${shapeStr(x.shape)}`);
  }
  const inSp = x.shape.slice(-2);
  const req = typeof outputSize === 'number' ? [outputSize, outputSize] : Array.isArray(outputSize) ? outputSize : null;
  if (req === null || req.length !== 2) {
    throw new RangeError(`adaptiveAvgPool2d: outputSize must be an integer or a list of 2 (integer or null), got ${describe(outputSize)}`);
  }
  const out = req.map((v, i) => (v === null ? inSp[i]! : v));
  if (out.some((v) => !Number.isInteger(v) || v < 1)) {
    throw new RangeError(`adaptiveAvgPool2d: outputSize must be positive integers, got ${shapeStr(out)}`);
  }
  return tidy(() => {
    const ah = adaptiveAveragingMatrix(inSp[0]!, out[0]!, x);
    const aw = adaptiveAveragingMatrix(inSp[1]!, out[1]!, x);
    return matmul(matmul(ah, x), aw.t());
  });
}

// ---------------------------------------------------------------------------------------------
// oneHot, cosine similarity

/**
 * `[...tensor.shape, numClasses]` int32 with a 1 at each index. Indices outside
 * `[0, numClasses)` give an all-zero row (checking them would need a readback).
 *
 * `numClasses = -1` (PyTorch's default) infers `max + 1`: that path reads the maximum back
 * synchronously (`dataSync`), so it throws on backends that cannot read synchronously
 * (WebGPU); pass `numClasses` there.
 *
 * @example
 * ```ts
 * const labels = torch.tensor([0, 2, 1], { dtype: 'int32' });
 * console.log(await torch.oneHot(labels, 3).tolist());   // [[1, 0, 0], [0, 0, 1], [0, 1, 0]]
 * ```
 */
export function oneHot(tensor: Tensor, numClasses = -1): Tensor {
  expectTensor('oneHot', tensor, 'tensor');
  if (tensor.dtype !== 'int32') {
    throw new TypeError(`oneHot: one_hot is only applicable to index tensors (int32), got ${tensor.dtype} (shape ${shapeStr(tensor.shape)})`);
  }
  if (!Number.isInteger(numClasses) || numClasses < -1) throw new RangeError(`oneHot: numClasses must be a non-negative integer or -1, got ${numClasses}`);
  let n = numClasses;
  if (n === -1) {
    if (tensor.numel() === 0) throw new RangeError('oneHot: Can not infer total number of classes from empty tensor; pass numClasses');
    // The one readback in this file, documented above.
    const [lo, hi] = tidy(() => [tensor.min().dataSync()[0]!, tensor.max().dataSync()[0]!]);
    if (lo < 0) throw new RangeError(`oneHot: Class values must be non-negative (got ${lo})`);
    n = hi + 1;
  }
  return tidy(() => eq(tensor.unsqueeze(-1), arange(0, n, 1, { dtype: 'int32', backend: tensor.backend })).to('int32'));
}

/** Options of {@link cosineSimilarity}. */
export interface CosineSimilarityOptions {
  /** The dim to compare along (default 1). */
  dim?: number;
  /** Lower bound on the norms' product (default 1e-8). */
  eps?: number;
}

/**
 * Cosine similarity along `dim` of `x1` and `x2` (which broadcast), PyTorch 1.13's formula:
 * `sum(x1 * x2) / sqrt(max(sum(x1^2) * sum(x2^2), eps^2))`.
 *
 * @example
 * ```ts
 * const a = torch.tensor([[1, 0], [1, 1]]), b = torch.tensor([[1, 0], [-1, -1]]);
 * console.log(await torch.cosineSimilarity(a, b, { dim: 1 }).tolist());   // [1, -1]
 * ```
 */
export function cosineSimilarity(x1: Tensor, x2: Tensor, options?: CosineSimilarityOptions): Tensor {
  expectFloat('cosineSimilarity', x1, 'x1');
  expectFloat('cosineSimilarity', x2, 'x2');
  let shape: number[];
  try {
    shape = broadcastShapes(x1.shape, x2.shape);
  } catch {
    throw new RangeError(`cosineSimilarity: x1 of size ${shapeStr(x1.shape)} and x2 of size ${shapeStr(x2.shape)} do not broadcast`);
  }
  const d = normalizeDim(options?.dim ?? 1, shape.length);
  const eps = options?.eps ?? 1e-8;
  return tidy(() => {
    const a = x1.expand(shape), b = x2.expand(shape);
    const w12 = sum(mul(a, b), { dim: d });
    const w1 = sum(mul(a, a), { dim: d });
    const w2 = sum(mul(b, b), { dim: d });
    return div(w12, sqrt(maximum(mul(w1, w2), eps * eps)));
  });
}
