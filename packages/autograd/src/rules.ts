/**
 * One gradient rule per primitive, in one table typed so that a primitive without a rule does
 * not compile. Composite ops (softmax, GELU, layer norm, losses) have no rules of their own:
 * their gradients come from the primitives they are built of.
 *
 * A rule receives the cotangent `g` of the primitive's output and returns one gradient per
 * input (null where an input takes none). A gradient may have the output's broadcast shape;
 * the engine sums it down to the input's shape, so rules never repeat broadcasting logic.
 * Rules compute with ordinary tensor ops, so with `createGraph` they are differentiated too.
 */
import * as T from '@torchlet/core';
import type { DType, Primitive, PrimitiveAttrs, Tensor, UnaryOp } from '@torchlet/core';

/** What a rule sees: the attributes, the inputs and output it asked to save, and input metadata. */
export interface RuleContext<P extends Primitive> {
  /** The primitive's attributes, as recorded in the forward call (axes, shapes, scalars). */
  readonly attrs: PrimitiveAttrs[P];
  /** Saved inputs by position (undefined for those not saved). */
  readonly inputs: ReadonlyArray<Tensor | undefined>;
  /** The saved output, if the rule saves it. */
  readonly out: Tensor | undefined;
  /** Shapes of all inputs by position, kept whether or not the input itself was saved. */
  readonly inShapes: ReadonlyArray<readonly number[]>;
  /** Dtypes of all inputs by position. */
  readonly inDtypes: readonly DType[];
  /** Shape of the forward output (and of the cotangent `g`). */
  readonly outShape: readonly number[];
  /**
   * Which inputs take a gradient (PyTorch's `ctx.needs_input_grad`); a rule may return null for
   * the others instead of computing what the engine would drop.
   */
  readonly needsInputGrad: readonly boolean[];
}

/**
 * The gradient rule of one primitive: what to save in forward and how to map the output's cotangent to
 * the inputs' gradients.
 */
export interface Rule<P extends Primitive> {
  /** Inputs (by position) to keep for backward; only what the rule reads. */
  readonly saveInputs?: readonly number[];
  /** Whether to keep the output. */
  readonly saveOut?: boolean;
  /**
   * Returns one gradient per input, in input order, null for inputs that take none; a gradient may
   * keep the output's broadcast shape (the engine sums it down) and may be `g` itself. Runs inside a
   * tidy with ordinary tensor ops (recorded under `createGraph`); the engine owns `g` and the saved
   * tensors and disposes them, so the rule must not.
   */
  readonly backward: (g: Tensor, ctx: RuleContext<P>) => ReadonlyArray<Tensor | null>;
}

/** Marks a primitive whose output never carries a gradient (bool/int outputs). */
export const NOT_DIFFERENTIABLE = 'not differentiable' as const;

type Rules = { readonly [P in Primitive]: Rule<P> | typeof NOT_DIFFERENTIABLE };

const x0 = <P extends Primitive>(c: RuleContext<P>): Tensor => c.inputs[0]!;
const x1 = <P extends Primitive>(c: RuleContext<P>): Tensor => c.inputs[1]!;
const out = <P extends Primitive>(c: RuleContext<P>): Tensor => c.out!;

/** A rule for a unary op whose derivative needs only the input. */
const fromInput = <P extends UnaryOp>(d: (g: Tensor, x: Tensor) => Tensor): Rule<P> => ({ saveInputs: [0], backward: (g, c) => [d(g, x0(c))] });
/** A rule for a unary op whose derivative is best written with the output. */
const fromOutput = <P extends UnaryOp>(d: (g: Tensor, y: Tensor) => Tensor): Rule<P> => ({ saveOut: true, backward: (g, c) => [d(g, out(c))] });
/** Piecewise-constant functions: zero gradient everywhere (PyTorch returns zeros too). */
const zeroGrad = <P extends UnaryOp>(): Rule<P> => ({ backward: (g) => [T.zerosLike(g)] });

/** Inverse of a permutation. */
function inverse(dims: readonly number[]): number[] {
  const inv = new Array<number>(dims.length);
  dims.forEach((d, i) => (inv[d] = i));
  return inv;
}

/** The last two dims swapped (a view). */
const mT = (t: Tensor): Tensor => t.transpose(-1, -2);

/**
 * The gradient of `b` in `a @ b`: `mT(a) @ g`, with two shortcuts PyTorch's `mm_mat2_backward`
 * also takes. A 2-D `b` under a batched `a` (a Linear on `[B, T, C]`) folds the batch into the
 * contraction, `[K, B*M] @ [B*M, N]`, instead of `B` products summed afterwards (a `[B, K, N]`
 * temporary and a reduction over `B`). And a `b` that is a transposed view (`W.t()` in Linear)
 * gets its gradient in the same layout, `mT(mT(g) @ a)`, so `W.grad` comes out contiguous (fused
 * optimizer steps need that) rather than as a transposed copy. Same sums, other order.
 */
function matmulGradB(g: Tensor, a: Tensor, b: Tensor): Tensor {
  if (b.ndim !== 2 || a.ndim < 2 || a.ndim !== g.ndim) return mT(a).matmul(g);
  const a2 = a.ndim === 2 ? a : a.reshape([-1, a.shape[a.ndim - 1]!]); // [B*M, K]
  const g2 = g.ndim === 2 ? g : g.reshape([-1, g.shape[g.ndim - 1]!]); // [B*M, N]
  return mT(b).isContiguous() ? mT(mT(g2).matmul(a2)) : mT(a2).matmul(g2);
}

/** The indices `start, start + step, ...` (n of them) as a tensor shaped to index `dim` of `like`. */
function stridedIndex(like: readonly number[], dim: number, n: number, start: number, step: number, backend: T.Backend): Tensor {
  const idx = T.arange(start, start + n * step, step, { dtype: 'int32', backend });
  const shape = like.map((_, i) => (i === dim ? n : 1));
  return idx.reshape(shape).expand(like.map((s, i) => (i === dim ? n : s)));
}

/** Scatters `g` (the gradient of a strided selection along `dim`) back into zeros of `shape`. */
function scatterBack(g: Tensor, shape: readonly number[], dim: number, start: number, step: number): Tensor {
  const n = g.shape[dim]!;
  if (step === 1) {
    if (!T.isGradEnabled()) {
      // Not differentiated again (no createGraph): zeros, then g copied into its window — two
      // kernel calls, where a cat of zero blocks makes one per block and one copy per part.
      const out = T.zeros(shape, { backend: g.backend });
      const window = out.narrow(dim, start, n);
      try {
        window.copy_(g);
      } finally {
        window.dispose();
      }
      return out;
    }
    // A contiguous window: pad with zero blocks (one copy, and cat is differentiable).
    const before = start, after = shape[dim]! - start - n;
    const parts: Tensor[] = [];
    const block = (len: number): Tensor => T.zeros(g.shape.map((s, i) => (i === dim ? len : s)), { backend: g.backend });
    if (before > 0) parts.push(block(before));
    parts.push(g);
    if (after > 0) parts.push(block(after));
    return parts.length === 1 ? g : T.cat(parts, dim);
  }
  return T.scatterAdd(null, dim, stridedIndex(g.shape, dim, n, start, step, g.backend), g, shape);
}

/**
 * maximum/minimum: the gradient goes to the winning operand, half to each on a tie.
 * `wins(a, b)` is where `a` strictly wins.
 */
function pairwiseExtremeRule<P extends 'maximum' | 'minimum'>(wins: (a: Tensor, b: Tensor) => Tensor): Rule<P> {
  return {
    saveInputs: [0, 1],
    backward: (g, c) => {
      const a = x0(c), b = x1(c);
      const half = g.mul(0.5);
      const tie = a.eq(b);
      return [T.where(tie, half, T.where(wins(a, b), g, 0)), T.where(tie, half, T.where(wins(b, a), g, 0))];
    },
  };
}

/**
 * max/min reductions: over several elements equal to the extreme, the gradient is shared evenly
 * (PyTorch's amax/amin rule; max/min with a dim route through gather instead).
 */
function extremeRule<P extends 'max' | 'min'>(): Rule<P> {
  return {
    saveInputs: [0],
    saveOut: true,
    backward: (g, c) => {
      const mask = x0(c).eq(out(c));
      const count = T.sum(mask, { dim: c.attrs.axes, keepdim: true });
      return [T.where(mask, g.div(count), 0)];
    },
  };
}

/** `g`, broadcast back over the reduced `axes` of a keepdim-form reduction. */
const expandTo = (g: Tensor, shape: readonly number[]): Tensor => g.expand(shape);

/**
 * The gradient rule of every primitive, or `NOT_DIFFERENTIABLE` for those whose output carries none.
 * Typed over `Primitive`, so a new primitive without an entry does not compile.
 */
export const RULES: Rules = {
  // ---- unary ----
  neg: { backward: (g) => [g.neg()] },
  abs: fromInput((g, x) => g.mul(x.sign())),
  sign: zeroGrad(),
  floor: zeroGrad(),
  ceil: zeroGrad(),
  round: zeroGrad(),
  // relu'(0) = 0, as PyTorch.
  relu: fromOutput((g, y) => T.where(y.gt(0), g, 0)),
  exp: fromOutput((g, y) => g.mul(y)),
  log: fromInput((g, x) => g.div(x)),
  sqrt: fromOutput((g, y) => g.div(y.mul(2))),
  rsqrt: fromOutput((g, y) => g.mul(y.mul(y).mul(y)).mul(-0.5)),
  sin: fromInput((g, x) => g.mul(x.cos())),
  cos: fromInput((g, x) => g.mul(x.sin()).neg()),
  tanh: fromOutput((g, y) => g.mul(T.sub(1, y.mul(y)))),
  sigmoid: fromOutput((g, y) => g.mul(y).mul(T.sub(1, y))),
  erf: fromInput((g, x) => g.mul(x.mul(x).neg().exp()).mul(2 / Math.sqrt(Math.PI))),
  log1p: fromInput((g, x) => g.div(x.add(1))),
  expm1: fromOutput((g, y) => g.mul(y.add(1))),
  reciprocal: fromOutput((g, y) => g.mul(y.mul(y)).neg()),
  logicalNot: NOT_DIFFERENTIABLE,
  trunc: zeroGrad(),
  tan: fromOutput((g, y) => g.mul(y.mul(y).add(1))),
  asin: fromInput((g, x) => g.div(T.sub(1, x.mul(x)).sqrt())),
  acos: fromInput((g, x) => g.div(T.sub(1, x.mul(x)).sqrt()).neg()),
  atan: fromInput((g, x) => g.div(x.mul(x).add(1))),
  sinh: fromInput((g, x) => g.mul(x.cosh())),
  cosh: fromInput((g, x) => g.mul(x.sinh())),
  asinh: fromInput((g, x) => g.div(x.mul(x).add(1).sqrt())),
  // PyTorch writes (x - 1)(x + 1), not x^2 - 1, for accuracy near 1.
  acosh: fromInput((g, x) => g.div(x.sub(1).mul(x.add(1)).sqrt())),
  atanh: fromInput((g, x) => g.div(T.sub(1, x.mul(x)))),
  log2: fromInput((g, x) => g.div(x.mul(Math.LN2))),
  log10: fromInput((g, x) => g.div(x.mul(Math.LN10))),
  exp2: fromOutput((g, y) => g.mul(y).mul(Math.LN2)),

  // ---- binary (the engine sums broadcast gradients down to each input's shape) ----
  add: { backward: (g) => [g, g] },
  sub: { backward: (g) => [g, g.neg()] },
  mul: { saveInputs: [0, 1], backward: (g, c) => [g.mul(x1(c)), g.mul(x0(c))] },
  div: {
    saveInputs: [0, 1],
    backward: (g, c) => {
      const a = x0(c), b = x1(c);
      return [g.div(b), g.mul(a).div(b.mul(b)).neg()];
    },
  },
  // Ties split the gradient evenly, as PyTorch's maximum/minimum.
  maximum: pairwiseExtremeRule((a, b) => a.gt(b)),
  minimum: pairwiseExtremeRule((a, b) => a.lt(b)),
  remainder: { saveInputs: [0, 1], backward: (g, c) => [g, g.mul(x0(c).div(x1(c)).floor()).neg()] },
  // PyTorch's pow_backward: the base gradient is 0 where the exponent is 0, and the exponent
  // gradient is 0 where the base is 0 and the exponent non-negative.
  pow: {
    saveInputs: [0, 1],
    saveOut: true,
    backward: (g, c) => {
      const a = x0(c), b = x1(c), y = out(c);
      const ga = T.where(b.eq(0), 0, g.mul(b).mul(a.pow(b.sub(1))));
      const gb = T.where(a.eq(0).logicalAnd(b.ge(0)), 0, g.mul(y).mul(a.log()));
      return [ga, gb];
    },
  },
  atan2: {
    saveInputs: [0, 1],
    backward: (g, c) => {
      const a = x0(c), b = x1(c);
      const r = g.div(a.mul(a).add(b.mul(b)));
      return [r.mul(b), r.mul(a).neg()];
    },
  },
  hypot: { saveInputs: [0, 1], saveOut: true, backward: (g, c) => [g.mul(x0(c)).div(out(c)), g.mul(x1(c)).div(out(c))] },
  // PyTorch's fmod_backward: d/db = -trunc(a / b).
  fmod: { saveInputs: [0, 1], backward: (g, c) => [g, g.mul(x0(c).div(x1(c)).trunc()).neg()] },
  // Piecewise constant: PyTorch's div with a rounding mode returns zero gradients for both inputs.
  floorDivide: { backward: (g) => [T.zerosLike(g), T.zerosLike(g)] },
  truncDivide: { backward: (g) => [T.zerosLike(g), T.zerosLike(g)] },
  eq: NOT_DIFFERENTIABLE,
  ne: NOT_DIFFERENTIABLE,
  lt: NOT_DIFFERENTIABLE,
  le: NOT_DIFFERENTIABLE,
  gt: NOT_DIFFERENTIABLE,
  ge: NOT_DIFFERENTIABLE,
  logicalAnd: NOT_DIFFERENTIABLE,
  logicalOr: NOT_DIFFERENTIABLE,
  logicalXor: NOT_DIFFERENTIABLE,

  where: {
    saveInputs: [0],
    backward: (g, c) => {
      const cond = x0(c);
      return [null, T.where(cond, g, 0), T.where(cond, 0, g)];
    },
  },

  // ---- reductions (outputs in keepdim form) ----
  sum: { backward: (g, c) => [expandTo(g, c.inShapes[0]!)] },
  // The product of the other elements: out / x where no element of the slice is zero; with one
  // zero, the product of the non-zero elements at the zero and 0 elsewhere; with more, 0.
  prod: {
    saveInputs: [0],
    saveOut: true,
    backward: (g, c) => {
      const x = x0(c), y = out(c);
      const { axes } = c.attrs;
      const isZero = x.eq(0);
      const zeros = T.sum(isZero, { dim: axes, keepdim: true });
      const prodNonZero = T.prod(T.where(isZero, 1, x), { dim: axes, keepdim: true });
      const others = T.where(
        isZero,
        T.where(zeros.eq(1), prodNonZero, 0),
        T.where(zeros.eq(0), y.div(T.where(isZero, 1, x)), 0),
      );
      return [g.mul(others)];
    },
  },
  max: extremeRule(),
  min: extremeRule(),
  argmax: NOT_DIFFERENTIABLE,
  argmin: NOT_DIFFERENTIABLE,

  // ---- linear algebra ----
  // A Linear's input is often data (no gradient): skipping its product saves a third of backward.
  matmul: {
    saveInputs: [0, 1],
    backward: (g, c) => [c.needsInputGrad[0] ? g.matmul(mT(x1(c))) : null, c.needsInputGrad[1] ? matmulGradB(g, x0(c), x1(c)) : null],
  },

  // ---- copies and views ----
  cast: { backward: (g, c) => [g.to(c.inDtypes[0]!)] },
  reshape: { backward: (g, c) => [g.reshape(c.inShapes[0]!)] },
  permute: { backward: (g, c) => [g.permute(inverse(c.attrs.dims))] },
  expand: { backward: (g) => [g] },
  slice: { backward: (g, c) => [scatterBack(g, c.inShapes[0]!, c.attrs.dim, c.attrs.start, c.attrs.step)] },
  flip: { backward: (g, c) => [g.flip(c.attrs.dims)] },
  // Each window element k of window w came from position w*step + k along dim: move the window
  // dim next to dim, merge the two, and scatter-add back (overlapping windows accumulate).
  unfold: {
    backward: (g, c) => {
      const { dim, size, step } = c.attrs;
      const shape = c.inShapes[0]!;
      const nw = g.shape[dim]!;
      const perm = [...Array(g.ndim).keys()];
      perm.splice(g.ndim - 1, 1);
      perm.splice(dim + 1, 0, g.ndim - 1);
      const merged = g.permute(perm).reshape(shape.map((s, i) => (i === dim ? nw * size : s)));
      const w = T.arange(0, nw, 1, { dtype: 'int32', backend: g.backend }).mul(step).reshape([nw, 1]);
      const k = T.arange(0, size, 1, { dtype: 'int32', backend: g.backend }).reshape([1, size]);
      const pos = w.add(k).reshape(shape.map((_, i) => (i === dim ? nw * size : 1)));
      return [T.scatterAdd(null, dim, pos.expand(merged.shape), merged, shape)];
    },
  },
  gather: {
    saveInputs: [1],
    backward: (g, c) => [T.scatterAdd(null, c.attrs.dim, x1(c), g, c.inShapes[0]!), null],
  },
  scatterAdd: {
    saveInputs: [0],
    backward: (g, c) => [null, T.gather(g, c.attrs.dim, x0(c))],
  },
  // The backend's fused attention: its backward kernel recomputes the probabilities from the
  // saved logsumexp (input 3); composite ops instead when the backward itself is recorded.
  attention: {
    saveInputs: [0, 1, 2, 3, 4],
    saveOut: true,
    backward: (g, c) => {
      const [q, k, v, lse, mask] = c.inputs;
      const [dq, dk, dv] = T.attentionBackward(g, q!, k!, v!, lse!, out(c), mask ?? null, c.attrs);
      return c.inShapes.length > 4 ? [dq, dk, dv, null, null] : [dq, dk, dv, null];
    },
  },
  // The same over q, k, v stacked in one input: one gradient, laid out like it (input 1 is the
  // logsumexp, input 2 the mask).
  attentionQkv: {
    saveInputs: [0, 1, 2],
    saveOut: true,
    backward: (g, c) => {
      const [qkv, lse, mask] = c.inputs;
      const dqkv = T.attentionQkvBackward(g, qkv!, lse!, out(c), mask ?? null, c.attrs);
      return c.inShapes.length > 2 ? [dqkv, null, null] : [dqkv, null];
    },
  },
  cat: {
    backward: (g, c) => {
      let at = 0;
      return c.inShapes.map((s) => {
        const n = s[c.attrs.dim]!;
        const piece = g.narrow(c.attrs.dim, at, n);
        at += n;
        return piece;
      });
    },
  },
};
