/**
 * Module's full backward hooks (PyTorch's `register_full_backward_hook`), one forward call at a
 * time, as PyTorch's `torch.utils.hooks.BackwardHook` does it: the tensor arguments that require
 * a gradient and the tensor outputs pass through gradient taps (core's `tapGradient`); the
 * outputs' taps note `grad_output`, and the inputs' tap, reached once every gradient inside the
 * module has been computed, calls the hooks with `(module, gradInput, gradOutput)` and passes on
 * the `gradInput` a hook returns instead.
 */
import { Tensor, cat, keep, tapGradient, zeros } from '@torchlet/core';
import type { Module } from './module.ts';

/**
 * A full backward hook: `gradInput` has one entry per forward argument (the gradient for a
 * tensor argument, null for other arguments and for all of them when no tensor argument
 * requires a gradient; zeros for a tensor argument that does not require one while another
 * does), `gradOutput` one per output (a tuple's top-level entries; null where the output is not
 * a tensor, needs no gradient or got none). Returning an array of the same length replaces
 * `gradInput`; the tensors are valid during the call (`keep(g.clone())` to hold one).
 */
export type FullBackwardHook = (module: Module, gradInput: Array<Tensor | null>, gradOutput: Array<Tensor | null>) => unknown;

const NAME = 'BackwardHookFunctionBackward';

/**
 * Taps `ts` so that `fn` sees all their gradients at once (one graph node: PyTorch's hook gets
 * every gradient together). Several tensors are flattened and joined, tapped, and split back.
 */
function tapTogether(ts: readonly Tensor[], fn: (grads: Array<Tensor | null>) => Array<Tensor | null>): Tensor[] {
  if (ts.length === 1) return [tapGradient(ts[0]!, NAME, (g) => fn([g])[0] ?? null)];
  const dtype = ts.every((t) => t.dtype === ts[0]!.dtype) ? ts[0]!.dtype : 'float32';
  const sizes = ts.map((t) => t.numel());
  const starts = sizes.map((_, i) => sizes.slice(0, i).reduce((a, b) => a + b, 0));
  const flat = ts.map((t) => t.reshape(-1).to(dtype));
  const packed = cat(flat, 0);
  const tapped = tapGradient(packed, NAME, (g) => {
    const res = fn(ts.map((t, i) => g.slice(0, starts[i], starts[i]! + sizes[i]!).reshape(t.shape)));
    return cat(res.map((r, i) => (r ?? zeros(ts[i]!.shape, { dtype: ts[i]!.dtype })).reshape(-1).to(dtype)), 0);
  });
  const out = ts.map((t, i) => tapped.slice(0, starts[i], starts[i]! + sizes[i]!).reshape(t.shape).to(t.dtype));
  for (const f of flat) f.dispose();
  packed.dispose();
  if (tapped !== packed) tapped.dispose();
  return out;
}

/** A `gradInput` entry a hook returned: a Tensor of the argument's shape, or null. */
function checkGrad(module: Module, i: number, g: unknown, like: Tensor): Tensor | null {
  if (g === null || g === undefined) return null;
  if (!(g instanceof Tensor)) throw new TypeError(`${module.constructor.name}: a full backward hook returned ${typeof g} as grad_input[${i}]; expected a Tensor or null`);
  if (g.ndim !== like.ndim || g.shape.some((s, d) => s !== like.shape[d])) {
    throw new RangeError(`${module.constructor.name}: a full backward hook returned grad_input[${i}] of shape [${g.shape.join(', ')}]; the argument's shape is [${like.shape.join(', ')}]`);
  }
  return g;
}

/** The hooks' state for one forward call. */
export class BackwardHookCall {
  #args: unknown[] = [];
  /** Positions of the tensor arguments that require a gradient; null when none does. */
  #inputIdx: number[] | null = null;
  #gradOutputs: Array<Tensor | null> | null = null;

  constructor(
    readonly module: Module,
    readonly hooks: readonly FullBackwardHook[],
  ) {}

  /** The forward arguments, those that require a gradient replaced by their taps. */
  setupInput(args: unknown[]): unknown[] {
    this.#args = args;
    const req = args.flatMap((a, i) => (a instanceof Tensor && a.requiresGrad ? [i] : []));
    if (!req.length) return args;
    this.#inputIdx = req;
    const tapped = tapTogether(req.map((i) => args[i] as Tensor), (grads) => this.#onInputGrads(grads));
    const out = [...args];
    req.forEach((i, k) => (out[i] = tapped[k]));
    return out;
  }

  /** The forward's result, its top-level tensors that require a gradient replaced by their taps. */
  setupOutput(result: unknown): unknown {
    const outs = Array.isArray(result) ? result : [result];
    const req = outs.flatMap((o, i) => (o instanceof Tensor && o.requiresGrad ? [i] : []));
    if (!req.length) return result;
    const n = outs.length;
    let tapped: Tensor[];
    if (this.#inputIdx) {
      // One tap per output: each notes its gradient (none arrives for an unused output, which
      // stays null as in PyTorch); the inputs' tap runs after all of them.
      tapped = req.map((i) =>
        tapGradient(outs[i] as Tensor, NAME, (g) => {
          if (!this.#gradOutputs) this.#gradOutputs = Array.from({ length: n }, () => null);
          this.#gradOutputs[i]?.dispose();
          this.#gradOutputs[i] = keep(g.clone());
          return g;
        }),
      );
    } else {
      // No argument takes a gradient: the hooks run here, with every gradInput entry null.
      tapped = tapTogether(
        req.map((i) => outs[i] as Tensor),
        (grads) => {
          const gradOutput: Array<Tensor | null> = Array.from({ length: n }, () => null);
          req.forEach((i, k) => (gradOutput[i] = grads[k] ?? null));
          for (const hook of this.hooks) {
            const r = hook(this.module, this.#args.map(() => null), gradOutput);
            if (r !== undefined && r !== null && !(Array.isArray(r) && r.every((g) => g === null || g === undefined))) {
              throw new Error('Backward hook for Modules where no input requires gradient should always return None or None for all gradients.');
            }
          }
          return grads;
        },
      );
    }
    const replaced = [...outs];
    req.forEach((i, k) => (replaced[i] = tapped[k]));
    return Array.isArray(result) ? replaced : replaced[0];
  }

  #onInputGrads(grads: Array<Tensor | null>): Array<Tensor | null> {
    const gradOutputs = this.#gradOutputs;
    // No gradient came through the outputs (double backward into the inputs): PyTorch skips the hooks.
    if (!gradOutputs) return grads;
    const idx = this.#inputIdx!;
    let res: unknown[] = this.#args.map((a) => (a instanceof Tensor ? zeros(a.shape, { dtype: a.dtype }) : null));
    idx.forEach((i, k) => (res[i] = grads[k] ?? null));
    try {
      for (const hook of this.hooks) {
        const r = hook(this.module, res as Array<Tensor | null>, gradOutputs);
        if (r === undefined || r === null) continue;
        if (!Array.isArray(r) || r.length !== res.length) {
          throw new Error(`Backward hook returned an invalid number of grad_input, got ${Array.isArray(r) ? r.length : 1}, but expected ${res.length}`);
        }
        res = r;
      }
      return idx.map((i) => checkGrad(this.module, i, res[i], this.#args[i] as Tensor));
    } finally {
      for (const g of gradOutputs) g?.dispose();
      this.#gradOutputs = null;
    }
  }
}
