/**
 * Scaled dot-product attention through a backend's fused kernel (`FusedKernels.attention`), with
 * a composite default built from matmul and softmax for backends without one.
 *
 * The fused path records one primitive, `attention`, whose inputs are q, k, v, the per-row
 * logsumexp the kernel returned (so backward recomputes the probabilities instead of keeping
 * an L x S matrix) and the mask when there is one. Its gradient rule (in @torchlet/autograd)
 * calls {@link attentionBackward}.
 */
import type { AttentionParams, Backend, View } from '../backend.ts';
import { isGradEnabled, record, type AttentionAttrs } from '../grad-hook.ts';
import { tidy } from '../memory.ts';
import { broadcastShapes, contiguousStrides, numel, shapeStr } from '../shape.ts';
import type { Tensor } from '../tensor.ts';
import { ones } from './creation.ts';
import { mul, sub } from './elementwise.ts';
import { triu, where } from './indexing.ts';
import { matmul } from './linalg.ts';
import { softmax } from './nn.ts';
import { broadcastView } from './primitives.ts';
import { sum } from './reduce.ts';
import { stack } from './combine.ts';
import { contiguous, empty, expectDType, expectTensor, viewOf } from './util.ts';
import { select, transpose } from './view.ts';

/**
 * Options of {@link fusedAttention}: PyTorch's `attn_mask`, `is_causal` and `scale` of
 * `F.scaled_dot_product_attention`.
 */
export interface FusedAttentionOptions {
  /** A float32 mask added to the scaled scores, broadcastable to `(..., L, S)`; `-Infinity` masks. */
  mask?: Tensor | null;
  /** Query `i` attends keys `j <= i` only (not together with `mask`). */
  isCausal?: boolean;
  /** Multiplies `Q K^T` (default `1 / sqrt(E)`). */
  scale?: number | null;
}

/**
 * Whether `backend` has both halves of the fused attention kernel.
 *
 * @example
 * ```ts
 * console.log(torch.hasFusedAttention(torch.getBackend()));   // true for wasm and webgpu
 * ```
 */
export function hasFusedAttention(backend: Backend): boolean {
  return backend.fused?.attention !== undefined && backend.fused.attentionBackward !== undefined;
}

/**
 * Whether {@link fusedAttention} would run the backend's kernel for these operands: q, k, v
 * with 2 to 4 dims and equal leading (batch, head) dims, on a backend with the kernel, and a
 * mask that needs no gradient. Otherwise it computes the same thing with composite ops.
 *
 * @example
 * ```ts
 * const q = torch.randn([1, 2, 8, 16]);
 * console.log(torch.canFuseAttention(q, q, q));   // true on backends with a fused kernel for these shapes
 * ```
 */
export function canFuseAttention(q: Tensor, k: Tensor, v: Tensor, mask: Tensor | null = null): boolean {
  if (!hasFusedAttention(q.backend) || k.backend !== q.backend || v.backend !== q.backend) return false;
  if (q.ndim > 4 || q.ndim < 2 || k.ndim !== q.ndim || v.ndim !== q.ndim) return false;
  const lead = q.shape.slice(0, -2);
  if (!lead.every((d, i) => d === k.shape[i] && d === v.shape[i])) return false;
  if (mask && (mask.requiresGrad || mask.dtype !== 'float32' || mask.backend !== q.backend)) return false;
  return numel(q.shape) > 0 && numel(k.shape) > 0 && numel(v.shape) > 0;
}

/**
 * `softmax(q k^T * scale + mask) v` for `q (..., L, E)`, `k (..., S, E)`, `v (..., S, Ev)`;
 * returns `(..., L, Ev)`. Runs the backend's fused kernel when {@link canFuseAttention} says so
 * (no `L x S` buffer is allocated, forward or backward), else composite ops; both are
 * differentiable in q, k and v. Inputs whose last dim is strided are copied first.
 *
 * @example
 * ```ts
 * // The single-kernel attention behind scaledDotProductAttention (when canFuseAttention says so).
 * const q = torch.randn([1, 2, 8, 16]), k = torch.randn([1, 2, 8, 16]), v = torch.randn([1, 2, 8, 16]);
 * if (torch.canFuseAttention(q, k, v)) console.log(torch.fusedAttention(q, k, v, { isCausal: true }).shape);   // [1, 2, 8, 16]
 * ```
 */
export function fusedAttention(q: Tensor, k: Tensor, v: Tensor, options: FusedAttentionOptions = {}): Tensor {
  const op = 'fusedAttention';
  for (const [t, n] of [[q, 'query'], [k, 'key'], [v, 'value']] as const) {
    expectTensor(op, t, n);
    expectDType(op, t, ['float32'], n);
    if (t.ndim < 2) throw new RangeError(`${op}: expected ${n} to have at least 2 dims (..., seq, features), got shape ${shapeStr(t.shape)}`);
  }
  const E = q.shape[q.ndim - 1]!, S = k.shape[k.ndim - 2]!;
  if (k.shape[k.ndim - 1] !== E) throw new RangeError(`${op}: query and key must have the same last dim, got ${shapeStr(q.shape)} and ${shapeStr(k.shape)}`);
  if (v.shape[v.ndim - 2] !== S) throw new RangeError(`${op}: key and value must have the same sequence length, got ${shapeStr(k.shape)} and ${shapeStr(v.shape)}`);
  const mask = options.mask ?? null;
  const causal = options.isCausal ?? false;
  if (mask && causal) throw new TypeError(`${op}: give either mask or isCausal, not both`);
  if (mask) expectDType(op, mask, ['float32'], 'mask');
  const scale = options.scale ?? 1 / Math.sqrt(E);
  if (!canFuseAttention(q, k, v, mask)) return compositeAttention(q, k, v, mask, causal, scale);

  const [qc, kc, vc] = [q, k, v].map(unitLastStride) as [Tensor, Tensor, Tensor];
  try {
    const grad = q.requiresGrad || k.requiresGrad || v.requiresGrad;
    return launchAttention(op, qc, kc, vc, mask, causal, scale, grad, (lse) => ['attention', mask ? [qc, kc, vc, lse, mask] : [qc, kc, vc, lse]]);
  } finally {
    for (const [c, t] of [[qc, q], [kc, k], [vc, v]] as const) if (c !== t) c.dispose();
  }
}

/**
 * Runs the backend's fused attention on unit-last-stride q, k, v (after the caller's checks and
 * canFuseAttention) into a new output laid out like q, and records the primitive that `recorded`
 * names with the inputs it lists (given the kernel's logsumexp). Checks that the mask broadcasts
 * to the scores. The caller keeps ownership of q, k, v and the mask.
 */
function launchAttention(
  op: string, q: Tensor, k: Tensor, v: Tensor, mask: Tensor | null, causal: boolean, scale: number, grad: boolean,
  recorded: (lse: Tensor) => ['attention' | 'attentionQkv', Tensor[]],
): Tensor {
  const L = q.shape[q.ndim - 2]!, S = k.shape[k.ndim - 2]!;
  const lead = q.shape.slice(0, -2);
  const scores = [...lead, L, S];
  if (mask) {
    const ok = mask.ndim <= scores.length && broadcastShapes(scores, mask.shape).every((d, i) => d === scores[i]);
    if (!ok) throw new RangeError(`${op}: mask of shape ${shapeStr(mask.shape)} does not broadcast to the scores' shape ${shapeStr(scores)}`);
  }
  const out = emptyOrderedLike([...lead, L, v.shape[v.ndim - 1]!], q);
  const [lse, probs] = lseAndProbs(q.backend, lead, L, S, grad);
  const params: AttentionAttrs = probs ? { scale, causal, probs: true } : { scale, causal };
  try {
    q.backend.fused!.attention!(view4(q), view4(k), view4(v), maskView(mask, scores), view4(out), view4(lse, 3), params, probs && view4(probs));
    const [name, inputs] = recorded(lse);
    record(name, params, inputs, out);
  } catch (e) {
    out.dispose();
    throw e;
  } finally {
    lse.dispose(); // autograd keeps its own reference when it saved it (probs live in its storage)
    probs?.dispose();
  }
  return out;
}

/**
 * @internal Fused attention of q, k, v stacked on dim 0 of one tensor, `qkv (3, ..., L, E)` (views
 * of one in-projection, as MultiheadAttention's self-attention makes them): the same values as
 * `fusedAttention(qkv[0], qkv[1], qkv[2], options)`, but recorded as one primitive,
 * `attentionQkv`, whose gradient is one tensor laid out like qkv, which the backward kernel writes
 * directly. Per-view gradients would each be scattered into zeros of qkv's shape and summed.
 * Falls back to {@link fusedAttention} of the three views where the kernel does not apply.
 */
export function fusedAttentionQkv(qkv: Tensor, options: FusedAttentionOptions = {}): Tensor {
  const op = 'fusedAttentionQkv';
  expectTensor(op, qkv, 'qkv');
  expectDType(op, qkv, ['float32'], 'qkv');
  if (qkv.ndim < 3 || qkv.ndim > 5 || qkv.shape[0] !== 3) throw new RangeError(`${op}: expected qkv of shape (3, ..., L, E) with 3 to 5 dims, got ${shapeStr(qkv.shape)}`);
  const mask = options.mask ?? null;
  const causal = options.isCausal ?? false;
  if (mask && causal) throw new TypeError(`${op}: give either mask or isCausal, not both`);
  if (mask) expectDType(op, mask, ['float32'], 'mask');
  const pieces = (t: Tensor): [Tensor, Tensor, Tensor] => [0, 1, 2].map((i) => viewOf(t, t.shape.slice(1), t.strides.slice(1), t.offset + i * t.strides[0]!)) as [Tensor, Tensor, Tensor];
  const qkvc = unitLastStride(qkv);
  const [q, k, v] = pieces(qkvc);
  try {
    if (!canFuseAttention(q, k, v, mask)) {
      if (qkvc !== qkv) qkvc.dispose();
      return tidy(() => fusedAttention(select(qkv, 0, 0), select(qkv, 0, 1), select(qkv, 0, 2), options));
    }
    const scale = options.scale ?? 1 / Math.sqrt(q.shape[q.ndim - 1]!);
    try {
      return launchAttention(op, q, k, v, mask, causal, scale, qkv.requiresGrad, (lse) => ['attentionQkv', mask ? [qkvc, lse, mask] : [qkvc, lse]]);
    } finally {
      if (qkvc !== qkv) qkvc.dispose();
    }
  } finally {
    for (const t of [q, k, v]) t.dispose();
  }
}

/**
 * @internal The gradient of the `attentionQkv` primitive ({@link fusedAttentionQkv}) for the
 * cotangent `g`: one tensor shaped and laid out like `qkv`, its three pieces written by the
 * backend's fused backward; composite ops stacked when gradients are being recorded.
 */
export function attentionQkvBackward(g: Tensor, qkv: Tensor, lse: Tensor, out: Tensor, mask: Tensor | null, params: AttentionParams): Tensor {
  const pieces = (t: Tensor): [Tensor, Tensor, Tensor] => [0, 1, 2].map((i) => viewOf(t, t.shape.slice(1), t.strides.slice(1), t.offset + i * t.strides[0]!)) as [Tensor, Tensor, Tensor];
  if (!isGradEnabled() && qkv.backend.fused?.attentionBackward) {
    const dqkv = emptyOrderedLike(qkv.shape, qkv);
    const [q, k, v] = pieces(qkv), grads = pieces(dqkv);
    try {
      fusedBackwardInto(g, q, k, v, lse, out, mask, params, grads);
    } catch (e) {
      dqkv.dispose();
      throw e;
    } finally {
      for (const t of [q, k, v]) t.dispose();
    }
    for (const t of grads) t.dispose(); // views of dqkv, which holds the values
    return dqkv;
  }
  return tidy(() => stack(compositeBackward(g, select(qkv, 0, 0), select(qkv, 0, 1), select(qkv, 0, 2), out, mask, params), 0));
}

/**
 * @internal The gradients `[dq, dk, dv]` of the fused attention primitive for the cotangent `g`,
 * from its saved inputs and output. Uses the backend's fused backward, except when gradients
 * are being recorded (`createGraph`): then composite ops, so the result is differentiable too.
 */
export function attentionBackward(
  g: Tensor, q: Tensor, k: Tensor, v: Tensor, lse: Tensor, out: Tensor, mask: Tensor | null, params: AttentionParams,
): [Tensor, Tensor, Tensor] {
  if (!isGradEnabled() && q.backend.fused?.attentionBackward) {
    return fusedBackwardInto(g, q, k, v, lse, out, mask, params, [emptyOrderedLike(q.shape, q), emptyOrderedLike(k.shape, k), emptyOrderedLike(v.shape, v)]);
  }
  return compositeBackward(g, q, k, v, out, mask, params);
}

/** The backend's fused backward into `[dq, dk, dv]` (fresh tensors, disposed if it throws); returns them. */
function fusedBackwardInto(
  g: Tensor, q: Tensor, k: Tensor, v: Tensor, lse: Tensor, out: Tensor, mask: Tensor | null, params: AttentionParams, grads: [Tensor, Tensor, Tensor],
): [Tensor, Tensor, Tensor] {
  const backend = q.backend;
  const L = q.shape[q.ndim - 2]!, S = k.shape[k.ndim - 2]!;
  const gc = unitLastStride(g);
  const [dq, dk, dv] = grads;
  // The forward's probabilities, right after the logsumexp rows in their storage (lseAndProbs).
  const probs = (params as AttentionAttrs).probs ? viewOf(lse, [...lse.shape, S], contiguousStrides([...lse.shape, S]), lse.offset + numel(lse.shape)) : null;
  try {
    backend.fused!.attentionBackward!(
      view4(q), view4(k), view4(v), maskView(mask, [...q.shape.slice(0, -2), L, S]), view4(out), view4(lse, 3), view4(gc),
      view4(dq), view4(dk), view4(dv), { scale: params.scale, causal: params.causal }, probs && view4(probs),
    );
  } catch (e) {
    for (const t of [dq, dk, dv]) t.dispose();
    throw e;
  } finally {
    if (gc !== g) gc.dispose();
    probs?.dispose();
  }
  return [dq, dk, dv];
}

/** attentionBackward with composite ops (differentiable): for `createGraph`, or backends without the fused kernel. */
function compositeBackward(g: Tensor, q: Tensor, k: Tensor, v: Tensor, out: Tensor, mask: Tensor | null, params: AttentionParams): [Tensor, Tensor, Tensor] {
  // The same recurrences with tensors: P = softmax(S), delta = rowsum(dO * O),
  // dS = P (dO V^T - delta), dQ = scale dS K, dK = scale dS^T Q, dV = P^T dO. P is recomputed
  // with softmax rather than exp(S - lse): the saved lse carries no graph, and the result must be
  // differentiable in q and k through P.
  return tidy(() => {
    const p = softmax(scores(q, k, mask, params), -1);
    const dv = matmul(transpose(p, -2, -1), g);
    const delta = sum(mul(g, out), { dim: -1, keepdim: true });
    const ds = mul(p, sub(matmul(g, transpose(v, -2, -1)), delta));
    return [mul(matmul(ds, k), params.scale), mul(matmul(transpose(ds, -2, -1), q), params.scale), dv] as [Tensor, Tensor, Tensor];
  });
}

/** `q k^T * scale + mask` (or with the causal mask), `(..., L, S)`. */
function scores(q: Tensor, k: Tensor, mask: Tensor | null, p: AttentionParams): Tensor {
  return tidy(() => {
    const s = matmul(mul(q, p.scale), transpose(k, -2, -1));
    if (mask) return s.add(mask);
    if (!p.causal) return s;
    const L = q.shape[q.ndim - 2]!, S = k.shape[k.ndim - 2]!;
    return where(triu(ones([L, S], { dtype: 'bool', backend: q.backend }), 1), -Infinity, s);
  });
}

function compositeAttention(q: Tensor, k: Tensor, v: Tensor, mask: Tensor | null, causal: boolean, scale: number): Tensor {
  return tidy(() => matmul(softmax(scores(q, k, mask, { scale, causal }), -1), v));
}

/**
 * A new float32 tensor of `shape` (`like`'s rank) on `like`'s backend, laid out densely in the
 * order of `like`'s strides (largest outermost, the last dim innermost) where the backend's
 * attention kernels take such outputs, else contiguous. q split into heads from a [B, L, H * D]
 * projection (`[B, H, L, D]` with strides `[L H D, D, H D, 1]`) gives an output whose inverse
 * permute is contiguous, so merging the heads back is a view, not a copy.
 */
function emptyOrderedLike(shape: readonly number[], like: Tensor): Tensor {
  const backend = like.backend;
  const n = shape.length;
  if (!backend.attentionStridedOutputs || n < 3) return empty(shape, 'float32', backend);
  const order = Array.from({ length: n - 1 }, (_, d) => d).sort((a, b) => like.strides[b]! - like.strides[a]! || a - b);
  order.push(n - 1);
  const strides = new Array<number>(n);
  for (let i = n - 1, acc = 1; i >= 0; i--) {
    strides[order[i]!] = acc;
    acc *= shape[order[i]!]!;
  }
  const flat = empty([numel(shape)], 'float32', backend);
  try {
    return viewOf(flat, shape, strides, 0);
  } finally {
    flat.dispose();
  }
}

/**
 * The logsumexp rows `(...lead, L)` of an attention forward and, where gradients will be needed
 * and the backend saves probabilities for S keys (`Backend.attentionProbsKeys`), the
 * probabilities `(...lead, L, S)` right after them in the same storage, so that autograd's saved
 * logsumexp keeps them alive and the backward finds them (attrs `probs`).
 */
function lseAndProbs(backend: Backend, lead: readonly number[], L: number, S: number, needsGrad: boolean): [Tensor, Tensor | null] {
  const rows = numel(lead) * L;
  const save = needsGrad && isGradEnabled() && S <= (backend.attentionProbsKeys ?? 0);
  const store = empty([rows * (save ? 1 + S : 1)], 'float32', backend);
  try {
    const lse = viewOf(store, [...lead, L], contiguousStrides([...lead, L]), 0);
    return [lse, save ? viewOf(store, [...lead, L, S], contiguousStrides([...lead, L, S]), rows) : null];
  } finally {
    store.dispose();
  }
}

/** `t` if its last dim has stride 1 (or size 1), else a contiguous copy (a new reference). */
function unitLastStride(t: Tensor): Tensor {
  return t.shape[t.ndim - 1]! <= 1 || t.strides[t.ndim - 1] === 1 ? t : contiguous(t);
}

/** `t`'s view with leading size-1 dims added up to `rank` (4; 3 for the logsumexp rows). */
function view4(t: Tensor, rank = 4): View {
  return pad(t.view_(), rank);
}

function pad(v: View, rank = 4): View {
  const extra = rank - v.shape.length;
  if (extra <= 0) return v;
  return { ...v, shape: [...Array<number>(extra).fill(1), ...v.shape], strides: [...Array<number>(extra).fill(0), ...v.strides] };
}

function maskView(mask: Tensor | null, scores: readonly number[]): View | null {
  return mask ? pad(broadcastView(mask, scores)) : null;
}
