/** A recorded primitive: the graph node behind a tensor's `gradFn`. */
import { untrackedView, type DType, type GradFn, type Primitive, type PrimitiveAttrs, type Tensor } from '@torchlet/core';
import { NOT_DIFFERENTIABLE, RULES, type Rule } from './rules.ts';

/** Where the gradient of one input goes: into another node, into a leaf's `.grad`, or nowhere. */
export interface Edge {
  /** The node that produced the input (non-leaf inputs). */
  readonly node: Node | null;
  /** The input itself when it is a leaf that requires grad (its `.grad` accumulates). */
  readonly leaf: Tensor | null;
  readonly shape: readonly number[];
  readonly dtype: DType;
}

/** A saved tensor and the buffer version it had when saved. */
interface Saved {
  readonly tensor: Tensor;
  readonly version: number;
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

export class Node implements GradFn {
  /** PyTorch-style name for debugging: `MulBackward`, `MatmulBackward`. */
  readonly name: string;
  readonly edges: readonly (Edge | null)[];
  readonly outShape: readonly number[];
  /** Every input's shape and dtype (also those that take no gradient: `cat` splits by them). */
  readonly inShapes: ReadonlyArray<readonly number[]>;
  readonly inDtypes: readonly DType[];
  /**
   * The output tensor, for retainGrad(). A strong reference, not a WeakRef: V8 keeps every
   * WeakRef's target alive until the current job ends, so a loop that never yields kept every
   * graph of every step (the JS heap grew by kilobytes per step even inside tidy()).
   */
  output: Tensor | null;
  #saved: Array<Saved | undefined> | null;
  #savedOut: Saved | undefined;
  #released = false;
  /** Tensors whose gradFn this is, plus later nodes with an edge to it (see GradFn). */
  #refs = 0;

  constructor(
    readonly prim: Primitive,
    readonly attrs: PrimitiveAttrs[Primitive],
    readonly rule: Rule<Primitive>,
    inputs: readonly Tensor[],
    out: Tensor,
    name = `${capitalize(prim)}Backward`,
  ) {
    this.name = name;
    this.outShape = out.shape;
    this.inShapes = inputs.map((t) => t.shape);
    this.inDtypes = inputs.map((t) => t.dtype);
    this.edges = inputs.map((t) => {
      if (!t.requiresGrad) return null;
      const node = (t.gradFn as Node | null) ?? null;
      node?.retain();
      return { node, leaf: node ? null : t, shape: t.shape, dtype: t.dtype };
    });
    this.#saved = inputs.map((t, i) => (rule.saveInputs?.includes(i) ? save(t) : undefined));
    // The output is saved as this node's own result (out.gradFn is set only after construction).
    this.#savedOut = rule.saveOut ? save(out, this) : undefined;
    this.output = out;
  }

  retain(): void {
    this.#refs++;
  }

  drop(): void {
    if (--this.#refs !== 0) return;
    // Nothing can reach this node any more: free what it saved and let go of its inputs' nodes.
    // Iterative, so dropping the loss of a long unrolled graph cannot overflow the stack.
    const stack: Node[] = [this];
    while (stack.length) {
      const n = stack.pop()!;
      n.release();
      n.output = null;
      for (const e of n.edges) if (e?.node && --e.node.#refs === 0) stack.push(e.node);
    }
  }

  get released(): boolean {
    return this.#released;
  }

  /** The saved tensors, checked against in-place modification since they were saved. */
  savedTensors(): { inputs: Array<Tensor | undefined>; out: Tensor | undefined } {
    if (this.#released || !this.#saved) {
      throw new Error(
        `Trying to backward through the graph a second time (or directly access saved tensors after they have already been freed), at ${this.name}. ` +
          'Saved intermediate values of the graph are freed when you call backward(). Specify retainGraph: true if you need to backward through the graph a second time.',
      );
    }
    const check = (s: Saved | undefined): Tensor | undefined => {
      if (!s) return undefined;
      if (s.tensor.storage.version !== s.version) {
        throw new Error(
          `one of the variables needed for gradient computation has been modified by an inplace operation: a tensor of shape [${s.tensor.shape.join(', ')}] ` +
            `saved by ${this.name} is at version ${s.tensor.storage.version}; expected version ${s.version} instead.`,
        );
      }
      return s.tensor;
    };
    return { inputs: this.#saved.map(check), out: check(this.#savedOut) };
  }

  /** Frees the saved tensors; the node cannot run backward again. */
  release(): void {
    if (this.#released) return;
    this.#released = true;
    for (const s of this.#saved ?? []) s?.tensor.dispose();
    this.#savedOut?.tensor.dispose();
    this.#saved = null;
    this.#savedOut = undefined;
  }
}

/**
 * Keeps a tensor for backward: a view no tidy() scope owns, carrying the original's place in the
 * graph, so the rules can differentiate through it again under `createGraph`.
 */
function save(t: Tensor, producer?: Node): Saved {
  const v = untrackedView(t);
  // Uncounted: the saving node owns the view, and already holds an edge to the input's node.
  if (producer) v.setGradFn_(producer, false);
  else if (t.gradFn) v.setGradFn_(t.gradFn, false);
  else if (t.requiresGrad) v.setGradFn_(leafIdentity(t), false);
  return { tensor: v, version: t.storage.version };
}

/** A node that passes its gradient straight to `leaf`: how a saved copy of a leaf stays connected. */
function leafIdentity(leaf: Tensor): Node {
  return new Node('reshape', { shape: leaf.shape }, RULES.reshape as Rule<Primitive>, [leaf], leaf);
}

/** The rule for a primitive, or null when its output never has a gradient. */
export function ruleOf(prim: Primitive): Rule<Primitive> | null {
  const r = RULES[prim];
  return r === NOT_DIFFERENTIABLE ? null : (r as Rule<Primitive>);
}
