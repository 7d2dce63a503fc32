/**
 * The seam between core and `@torchlet/autograd`. Core records every differentiable primitive
 * it runs through {@link record}; without autograd installed, or in no-grad mode, or when no input
 * requires a gradient, recording is a no-op. Autograd installs itself with
 * {@link setAutogradHook} when imported, so inference-only users never load it.
 */
import type { BinaryOp, UnaryOp } from './backend.ts';
import type { DType } from './dtype.ts';
import type { Tensor } from './tensor.ts';

/** A reduction's attributes. */
export interface AxesAttrs {
  /** The reduced axes, sorted and distinct; the output keeps them as size 1. */
  readonly axes: readonly number[];
}

/** A copy's attributes. */
export interface CastAttrs {
  /** The output dtype (the input's for a plain copy). */
  readonly dtype: DType;
}

/** Attributes of reshape and expand. */
export interface ShapeAttrs {
  /** The output shape. */
  readonly shape: readonly number[];
}

/** permute's attributes. */
export interface PermuteAttrs {
  /** Output dim `i` is input dim `dims[i]`. */
  readonly dims: readonly number[];
}

/** flip's attributes. */
export interface FlipAttrs {
  /** The reversed dims (non-negative). */
  readonly dims: readonly number[];
}

/** slice's attributes (a view of every `step`-th element of `dim` from `start`). */
export interface SliceAttrs {
  /** The sliced dim (non-negative). */
  readonly dim: number;
  /** The first index taken. */
  readonly start: number;
  /** The distance between taken indices (positive). */
  readonly step: number;
}

/** unfold's attributes (windows of `size` elements, `step` apart, along `dim`). */
export interface UnfoldAttrs {
  /** The unfolded dim (non-negative). */
  readonly dim: number;
  /** The window length: the new last dim. */
  readonly size: number;
  /** The distance between window starts. */
  readonly step: number;
}

/** Attributes of ops along one dim (gather, cat). */
export interface DimAttrs {
  /** The dim (non-negative). */
  readonly dim: number;
}

/** scatterAdd's attributes: the destination is a zero tensor of `shape`. */
export interface ScatterAddAttrs extends DimAttrs, ShapeAttrs {}

/** Fused attention's attributes. */
export interface AttentionAttrs {
  /** The factor on `q k^T` (1 / sqrt(head dim) by default). */
  readonly scale: number;
  /** Query i sees keys j <= i only. */
  readonly causal: boolean;
  /**
   * The forward saved the probabilities (`Backend.attentionProbsKeys`): `(..., L, S)` contiguous
   * in the logsumexp's storage, right after its rows.
   */
  readonly probs?: boolean;
}

/**
 * Attributes of each primitive, keyed by its one name (shared by core, autograd and backends).
 * Primitives without attributes map to `{}`.
 */
export interface PrimitiveAttrs extends Record<UnaryOp | BinaryOp, Record<string, never>> {
  /** `cond ? a : b`; inputs: the bool condition, a, b. */
  where: Record<string, never>;
  /** Reductions keep the reduced axes as size 1 (keepdim form). */
  sum: AxesAttrs;
  /** Product over `axes` (keepdim form). */
  prod: AxesAttrs;
  /** Maximum over `axes` (keepdim form); autograd shares the gradient among tied elements. */
  max: AxesAttrs;
  /** Minimum over `axes` (keepdim form); autograd shares the gradient among tied elements. */
  min: AxesAttrs;
  /** int32 index of the maximum along the one axis in `axes` (keepdim form); no gradient. */
  argmax: AxesAttrs;
  /** int32 index of the minimum along the one axis in `axes` (keepdim form); no gradient. */
  argmin: AxesAttrs;
  /** Batched float32 matrix product of two inputs with equal batch shapes (see `Backend.matmul`). */
  matmul: Record<string, never>;
  /** A copy, converting dtype when `dtype` differs from the input's (contiguous(), clone(), to()). */
  cast: CastAttrs;
  // Views: same buffer, new layout.
  /** A view of the same elements with a new `shape` (also squeeze, unsqueeze and aliases). */
  reshape: ShapeAttrs;
  /** A view whose dim `i` is the input's dim `dims[i]`. */
  permute: PermuteAttrs;
  /** A broadcast view to `shape` (stride 0 on the expanded dims). */
  expand: ShapeAttrs;
  /** A view of every `step`-th element of `dim` from `start`; the length is the output's. */
  slice: SliceAttrs;
  /** A view reversed along `dims`. */
  flip: FlipAttrs;
  /** A view of the windows of `size` elements, `step` apart, along `dim`, as a new last dim. */
  unfold: UnfoldAttrs;
  /** Inputs: x, index. */
  gather: DimAttrs;
  /** Inputs: index, src; the destination is a zero tensor of `shape`. */
  scatterAdd: ScatterAddAttrs;
  /** Inputs: the tensors joined, in order. */
  cat: DimAttrs;
  /**
   * A backend's fused attention (ops/attention.ts). Inputs: q, k, v, the logsumexp rows the
   * forward computed (no gradient), and the additive mask when there is one (no gradient).
   */
  attention: AttentionAttrs;
  /**
   * A backend's fused attention of q, k, v stacked on dim 0 of one input (ops/attention.ts's
   * fusedAttentionQkv). Inputs: qkv, the logsumexp rows (no gradient), and the additive mask when
   * there is one (no gradient).
   */
  attentionQkv: AttentionAttrs;
}

/** Every primitive's name. */
export type Primitive = keyof PrimitiveAttrs;

/** What autograd implements. */
export interface AutogradHook {
  /**
   * Called after primitive `prim` computed `out` from `inputs` (non-tensor operands are not
   * listed). Autograd attaches a graph node to `out` when an input requires a gradient.
   */
  record<P extends Primitive>(prim: P, attrs: PrimitiveAttrs[P], inputs: readonly Tensor[], out: Tensor): void;
  /** `t.backward(gradient)`; see Tensor.backward. */
  backward(t: Tensor, gradient: Tensor | undefined, options: BackwardOptions): void;
  /** An alias of `t` recorded as a node named `name` whose backward maps the gradient with `fn`; see {@link tapGradient}. */
  tap(t: Tensor, name: string, fn: GradientTap): Tensor;
}

/**
 * What {@link tapGradient} runs in backward: receives the gradient reaching the alias (valid
 * during the call) and returns the gradient to pass on, `g` itself, or null to pass none.
 */
export type GradientTap = (g: Tensor) => Tensor | null;

/** Options of `Tensor.backward()` (PyTorch's `retain_graph` and `create_graph`). */
export interface BackwardOptions {
  /** Keep the graph's saved tensors so backward can run through it again. */
  retainGraph?: boolean;
  /** Record the backward pass itself, for higher-order gradients. */
  createGraph?: boolean;
}

let hook: AutogradHook | null = null;
let gradEnabled = true;

/**
 * Installs autograd (called by `@torchlet/autograd` when imported).
 *
 * @example
 * ```ts
 * // Installed by @torchlet/autograd when it is imported (the umbrella does): you rarely call it.
 * import * as torch from 'torchlet';
 * import '@torchlet/autograd';
 * const x = torch.ones([2], { requiresGrad: true });
 * x.mul(3).sum().backward();   // works because the hook is set
 * console.log(await x.grad!.tolist());   // [3, 3]
 * ```
 */
export function setAutogradHook(h: AutogradHook | null): void {
  hook = h;
}

/** @internal The installed hook, or null. */
export function getAutogradHook(): AutogradHook | null {
  return hook;
}

/**
 * True unless inside {@link noGrad} (or `setGradEnabled(false)`).
 *
 * @example
 * ```ts
 * console.log(torch.isGradEnabled());                          // true
 * console.log(torch.noGrad(() => torch.isGradEnabled()));     // false
 * ```
 */
export function isGradEnabled(): boolean {
  return gradEnabled;
}

/**
 * Turns gradient recording on or off until changed again (PyTorch's `torch.set_grad_enabled`).
 * {@link noGrad} and {@link enableGrad} restore the previous mode when `fn` returns or throws; prefer
 * them.
 *
 * @example
 * ```ts
 * torch.setGradEnabled(false);   // torch.set_grad_enabled(False), e.g. for a whole evaluation script
 * const y = torch.ones([2], { requiresGrad: true }).mul(2);
 * console.log(y.requiresGrad);   // false
 * torch.setGradEnabled(true);
 * ```
 */
export function setGradEnabled(enabled: boolean): void {
  gradEnabled = enabled;
}

function withGrad<T>(enabled: boolean, fn: () => T): T {
  const prev = gradEnabled;
  gradEnabled = enabled;
  let result: T;
  try {
    result = fn();
  } catch (e) {
    gradEnabled = prev;
    throw e;
  }
  if (result !== null && typeof result === 'object' && typeof (result as { then?: unknown }).then === 'function') {
    // An async fn keeps the mode until it settles (the same caveat as an async tidy).
    return (result as unknown as Promise<unknown>).finally(() => {
      gradEnabled = prev;
    }) as T;
  }
  gradEnabled = prev;
  return result;
}

/**
 * Runs `fn` without recording gradients (PyTorch's `torch.no_grad()`).
 *
 * @example
 * ```ts
 * const w = torch.randn([3], { requiresGrad: true });
 * const y = torch.noGrad(() => w.mul(2));   // with torch.no_grad(): nothing recorded
 * console.log(y.requiresGrad);   // false
 * ```
 */
export function noGrad<T>(fn: () => T): T {
  return withGrad(false, fn);
}

/**
 * Runs `fn` with gradient recording on, even inside {@link noGrad}.
 *
 * @example
 * ```ts
 * const x = torch.ones([2], { requiresGrad: true });
 * torch.noGrad(() => {
 *   const y = torch.enableGrad(() => x.mul(2));   // records again inside noGrad
 *   console.log(y.requiresGrad);   // true
 * });
 * ```
 */
export function enableGrad<T>(fn: () => T): T {
  return withGrad(true, fn);
}

/**
 * @internal Records a primitive for autograd and returns `out`. Cheap when nothing requires a
 * gradient: one flag check and a scan of the inputs.
 */
export function record<P extends Primitive>(prim: P, attrs: PrimitiveAttrs[P], inputs: readonly Tensor[], out: Tensor): Tensor {
  if (hook !== null && gradEnabled) {
    for (const t of inputs) {
      if (t.requiresGrad) {
        hook.record(prim, attrs, inputs, out);
        break;
      }
    }
  }
  return out;
}

/**
 * Returns a new tensor with `t`'s values (a view) whose gradient passes through `fn` in
 * backward: `fn` sees the gradient that reached the alias and returns what flows on to `t`
 * (`g` itself, a replacement of the same shape, or null for none). When nothing is recorded (no
 * autograd, inside noGrad, `t` does not require a gradient) it returns `t` itself and `fn` never
 * runs. The graph node is named `name` (PyTorch's `grad_fn` name). Module's full backward hooks
 * are built on it.
 *
 * @example
 * ```ts
 * const x = torch.ones([2], { requiresGrad: true });
 * const y = torch.tapGradient(x, 'ScaleBackward', (g) => g.mul(10));   // doubles as a gradient probe
 * y.mul(3).sum().backward();
 * console.log(await x.grad!.tolist());   // [30, 30]
 * ```
 */
export function tapGradient(t: Tensor, name: string, fn: GradientTap): Tensor {
  if (typeof fn !== 'function') throw new TypeError(`tapGradient: fn must be a function, got ${typeof fn}`);
  if (hook === null || !gradEnabled || !t.requiresGrad) return t;
  return hook.tap(t, name, fn);
}
