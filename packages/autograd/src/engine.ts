/**
 * The backward pass: walks the graph from a root in reverse topological order, runs each node's
 * rule once with the sum of the gradients that reached it, and accumulates into leaves' `.grad`
 * (or, for grad()/valueAndGrad(), captures the gradients of chosen inputs instead).
 */
import * as T from '@torchlet/core';
import type { Tensor } from '@torchlet/core';
import type { Node } from './node.ts';

export interface EngineOptions {
  retainGraph?: boolean;
  createGraph?: boolean;
  /**
   * Capture the gradients of these tensors and return them, touching no `.grad` (like
   * `torch.autograd.grad`). Without it, gradients accumulate into the leaves' `.grad`.
   */
  inputs?: readonly Tensor[];
}

/**
 * Sums `g` over the dims that broadcasting added or expanded, down to `shape`.
 *
 * @example
 * ```ts
 * // Reduces a broadcast gradient back to the operand's shape (used by the gradient rules).
 * const g = torch.ones([4, 3]);
 * console.log(torch.autograd.sumTo(g, [1, 3]).shape);   // [1, 3], every entry 4
 * ```
 */
export function sumTo(g: Tensor, shape: readonly number[]): Tensor {
  if (g.ndim === shape.length && g.shape.every((s, i) => s === shape[i])) return g;
  const lead = g.ndim - shape.length;
  const axes: number[] = [];
  for (let i = 0; i < g.ndim; i++) {
    if (i < lead || (shape[i - lead] === 1 && g.shape[i] !== 1)) axes.push(i);
  }
  const s = axes.length ? T.sum(g, { dim: axes, keepdim: true }) : g;
  return s.reshape(shape);
}

/** Nodes reachable from `root`, each after every node that feeds gradient into it. */
function topoOrder(root: Node, stopAt: ReadonlySet<Node>): Node[] {
  const order: Node[] = [];
  const seen = new Set<Node>([root]);
  // Iterative post-order DFS (graphs of long training loops would overflow a recursive one).
  const stack: Array<{ node: Node; next: number }> = [{ node: root, next: 0 }];
  while (stack.length) {
    const top = stack[stack.length - 1]!;
    if (!stopAt.has(top.node) && top.next < top.node.edges.length) {
      const e = top.node.edges[top.next++];
      if (e?.node && !seen.has(e.node)) {
        seen.add(e.node);
        stack.push({ node: e.node, next: 0 });
      }
    } else {
      order.push(top.node);
      stack.pop();
    }
  }
  return order.reverse();
}

/** `acc + g`, taking ownership of both (either may be undefined). */
function accumulate(acc: Tensor | undefined, g: Tensor): Tensor {
  if (!acc) return g;
  const s = acc.add(g);
  acc.dispose();
  g.dispose();
  return s;
}

/** Adds `g` into `t.grad` (t owns the result; it survives any tidy scope). */
function accumulateGrad(t: Tensor, g: Tensor): void {
  if (t.isDisposed) {
    g.dispose();
    return;
  }
  const prev = t.grad;
  t.grad = T.keep(prev ? prev.add(g) : g);
  // torch.compile: a replay attaches the gradient its plan computes here.
  T.gradAssigned(t, prev !== null);
  if (prev) {
    prev.dispose();
    g.dispose();
  }
}

/**
 * Runs backward from `root` with cotangent `gradient` (owned by the caller). Returns the captured
 * gradients of `options.inputs` (null where none flowed), or an empty array.
 */
export function runBackward(root: Tensor, gradient: Tensor, options: EngineOptions): Array<Tensor | null> {
  const { retainGraph = false, createGraph = false, inputs } = options;
  // With `inputs`, gradients are captured at those tensors (at their node, or at the leaf).
  const capture = inputs ? new Map<Tensor, number>() : null;
  const captureNodes = new Map<Node, number>();
  inputs?.forEach((t, i) => (t.gradFn ? captureNodes.set(t.gradFn as Node, i) : capture!.set(t, i)));
  const captured: Array<Tensor | null> = inputs ? inputs.map(() => null) : [];
  const keepCaptured = (i: number, g: Tensor): void => {
    captured[i] = captured[i] ? accumulate(captured[i]!, g) : g;
  };

  const rootGrad = T.noGrad(() => gradient.reshape(root.shape));
  if (!root.gradFn) {
    // A leaf: the gradient is the cotangent itself.
    const i = capture?.get(root);
    if (capture) {
      if (i !== undefined) keepCaptured(i, rootGrad);
      else rootGrad.dispose();
    } else accumulateGrad(root, rootGrad);
    return captured.map((g) => (g ? T.keep(g) : null));
  }

  const rootNode = root.gradFn as Node;
  const order = topoOrder(rootNode, new Set(captureNodes.keys()));
  const grads = new Map<Node, Tensor>([[rootNode, rootGrad]]);
  const run = createGraph ? T.enableGrad : T.noGrad;

  try {
    run(() => {
      for (const node of order) {
        const g = grads.get(node);
        if (!g) {
          if (!retainGraph) node.release();
          continue;
        }
        grads.delete(node);
        const ci = captureNodes.get(node);
        if (ci !== undefined) {
          // A captured input: its gradient is what reached it; do not go further.
          keepCaptured(ci, g);
          continue;
        }
        const outTensor = node.output;
        if (!capture && outTensor?.retainsGrad) accumulateGrad(outTensor, T.noGrad(() => g.reshape(g.shape)));

        const saved = node.savedTensors();
        const inGrads = T.tidy(() => {
          const raw = node.rule.backward(g, {
            attrs: node.attrs as never,
            inputs: saved.inputs,
            out: saved.out,
            inShapes: node.inShapes,
            inDtypes: node.inDtypes,
            outShape: node.outShape,
            needsInputGrad: node.edges.map((e) => e !== null),
          });
          // Each edge gets a tensor of its own: a rule may return g itself, or one tensor twice.
          const owned = new Set<Tensor>([g]);
          return node.edges.map((e, i) => {
            const gi = raw[i];
            if (!e || !gi) return null;
            const r = sumTo(gi, e.shape);
            if (!owned.has(r)) {
              owned.add(r);
              return r;
            }
            return r.reshape(r.shape);
          });
        });
        g.dispose();
        if (!retainGraph) node.release();

        node.edges.forEach((e, i) => {
          const gi = inGrads[i];
          if (!gi) return;
          if (!e) {
            gi.dispose();
            return;
          }
          if (e.node) {
            grads.set(e.node, accumulate(grads.get(e.node), gi));
          } else if (e.leaf) {
            const li = capture?.get(e.leaf);
            if (capture) {
              if (li !== undefined) keepCaptured(li, gi);
              else gi.dispose();
            } else accumulateGrad(e.leaf, gi);
          }
        });
      }
    });
  } finally {
    for (const g of grads.values()) g.dispose();
  }
  return captured.map((g) => (g ? T.keep(g) : null));
}
