import { clamp, div, isTensor, noGrad, stack, tensor, tidy, type Tensor } from '@torchlet/core';

function gradsOf(params: Tensor | Iterable<Tensor>): Tensor[] {
  const list = isTensor(params) ? [params] : [...params];
  return list.map((p) => p.grad).filter((g): g is Tensor => g !== null);
}

/** `||x||_p` over all elements as a 0-d tensor, for `p > 0` or Infinity. */
function norm(x: Tensor, p: number): Tensor {
  if (p === Infinity) return x.abs().max();
  if (p === 2) return x.mul(x).sum().sqrt();
  if (p === 1) return x.abs().sum();
  return x.abs().pow(p).sum().pow(1 / p);
}

/**
 * Scales the gradients of `params` in place so that their total norm (the `normType`-norm of
 * the per-gradient norms, as if all gradients were one vector) is at most `maxNorm`, and
 * returns that total norm measured before clipping, as a 0-d tensor (PyTorch's
 * `torch.nn.utils.clip_grad_norm_`). As in PyTorch 1.13, every gradient is multiplied by
 * `min(1, maxNorm / (totalNorm + 1e-6))`, also when it is already small enough, so the result
 * needs no readback. Parameters without a gradient are skipped; with none, the norm is 0.
 */
export function clipGradNorm(params: Tensor | Iterable<Tensor>, maxNorm: number, normType = 2): Tensor {
  if (!(normType > 0)) throw new RangeError(`clipGradNorm: normType must be positive or Infinity, got ${normType}`);
  const grads = gradsOf(params);
  if (grads.length === 0) return tensor(0);
  return noGrad(() =>
    tidy(() => {
      const norms = grads.map((g) => norm(g, normType));
      const total = norms.length === 1 ? norms[0]! : normType === Infinity ? stack(norms).max() : norm(stack(norms), normType);
      const coef = clamp(div(maxNorm, total.add(1e-6)), null, 1);
      for (const g of grads) g.mul_(coef);
      return total;
    }),
  );
}

/**
 * Clamps every gradient of `params` to `[-clipValue, clipValue]` in place (PyTorch's
 * `torch.nn.utils.clip_grad_value_`).
 */
export function clipGradValue(params: Tensor | Iterable<Tensor>, clipValue: number): void {
  const grads = gradsOf(params);
  noGrad(() => {
    for (const g of grads) g.clamp_(-clipValue, clipValue);
  });
}
