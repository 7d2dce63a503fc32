/**
 * Gradient clipping, PyTorch's `torch.nn.utils.clip_grad_norm_` / `clip_grad_value_`: in place on
 * the `.grad` of each parameter. In core so that `nn.utils` (PyTorch's location) and `optim`
 * (where torchlet had it first) share one implementation.
 */
import { argBool, argNumber, parseArgs } from '../args.ts';
import { noGrad } from '../grad-hook.ts';
import { tidy } from '../memory.ts';
import { isTensor, type Tensor } from '../tensor.ts';
import { fromArray } from './creation.ts';
import { clamp, div } from './elementwise.ts';
import { stack } from './combine.ts';
import { vectorNorm } from './norm.ts';
import { readViewSync } from './util.ts';

function gradsOf(op: string, params: Tensor | Iterable<Tensor>): Tensor[] {
  if (!isTensor(params) && (params === null || typeof params !== 'object' || !(Symbol.iterator in params))) {
    throw new TypeError(`${op}: parameters must be a Tensor or an iterable of Tensors (model.parameters())`);
  }
  const list = isTensor(params) ? [params] : [...params];
  list.forEach((p, i) => {
    if (!isTensor(p)) throw new TypeError(`${op}: parameter ${i} is not a Tensor`);
  });
  return list.map((p) => p.grad).filter((g): g is Tensor => g !== null && g !== undefined);
}

/** Options of {@link clipGradNorm_}. */
export interface ClipGradNormOptions {
  /** The norm's order (default 2; `Infinity` for the max norm). */
  normType?: number;
  /** Throw when the total norm is NaN or infinite (reads it synchronously; default false). */
  errorIfNonfinite?: boolean;
}

/**
 * Scales the gradients of `parameters` in place so that their total `normType`-norm (as if all
 * gradients were one vector) is at most `maxNorm`; returns that norm measured before clipping as a
 * 0-d tensor. As in PyTorch 1.13 every gradient is multiplied by `min(1, maxNorm / (norm + 1e-6))`,
 * so no readback is needed. Parameters without a gradient are skipped; with none, the norm is 0.
 * PyTorch's `torch.nn.utils.clip_grad_norm_(parameters, max_norm, norm_type=2.0,
 * error_if_nonfinite=False)`, also `nn.utils.clip_grad_norm_` and `optim.clipGradNorm`.
 *
 * @example
 * const model = new nn.Linear(10, 1), optimizer = new optim.SGD(model.parameters(), { lr: 0.1 });
 * const loss = model.forward(torch.randn([8, 10])).sum();
 * loss.backward();
 * nn.utils.clipGradNorm_(model.parameters(), 1.0);
 * optimizer.step();
 */
export function clipGradNorm_(parameters: Tensor | Iterable<Tensor>, maxNorm: number, ...args: [normType?: number | ClipGradNormOptions, errorIfNonfinite?: boolean | ClipGradNormOptions, options?: ClipGradNormOptions]): Tensor {
  const op = 'clipGradNorm_';
  argNumber(op, 'maxNorm', maxNorm);
  const a = parseArgs(op, args, ['normType', 'errorIfNonfinite'], ['foreach']);
  const normType = a.normType === undefined ? 2 : argNumber(op, 'normType', a.normType);
  if (!(normType > 0)) throw new RangeError(`${op}: normType must be positive or Infinity, got ${normType}`);
  const errorIfNonfinite = a.errorIfNonfinite === undefined ? false : argBool(op, 'errorIfNonfinite', a.errorIfNonfinite);
  const grads = gradsOf(op, parameters);
  if (grads.length === 0) return fromArray(Float32Array.of(0), []);
  return noGrad(() =>
    tidy(() => {
      const norms = grads.map((g) => vectorNorm(g, normType));
      const total = norms.length === 1 ? norms[0]! : vectorNorm(stack(norms), normType);
      if (errorIfNonfinite && !Number.isFinite(readViewSync(total)[0]!)) {
        throw new RangeError(`${op}: the total norm of order ${normType} for gradients from \`parameters\` is non-finite, so it cannot be clipped. To disable this error and scale the gradients by the non-finite norm anyway, set errorIfNonfinite: false`);
      }
      const coef = clamp(div(maxNorm, total.add(1e-6)), null, 1);
      for (const g of grads) g.mul_(coef);
      return total;
    }),
  );
}

/**
 * Clamps every gradient of `parameters` to `[-clipValue, clipValue]` in place: PyTorch's
 * `torch.nn.utils.clip_grad_value_`, also `nn.utils.clip_grad_value_` and `optim.clipGradValue`.
 *
 * @example
 * const model = new nn.Linear(10, 1);
 * model.forward(torch.randn([8, 10])).sum().backward();
 * nn.utils.clipGradValue_(model.parameters(), 0.5);
 */
export function clipGradValue_(parameters: Tensor | Iterable<Tensor>, clipValue: number): void {
  const v = argNumber('clipGradValue_', 'clipValue', clipValue);
  const grads = gradsOf('clipGradValue_', parameters);
  noGrad(() => {
    for (const g of grads) g.clamp_(-v, v);
  });
}
