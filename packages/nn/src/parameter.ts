import { Tensor, keep } from '@torchlet/core';

/**
 * A tensor that is a module's learnable parameter (PyTorch's `nn.Parameter`): a leaf that
 * requires grad by default, found by `Module.parameters()`.
 *
 * Memory: the parameter shares `data`'s buffer (no copy) and takes a reference of its own;
 * `data` stays the caller's to dispose. Parameters belong to no `tidy()` scope — a module built
 * inside `tidy()` keeps them — and are freed by `module.dispose()` or `parameter.dispose()`.
 *
 * @example
 * ```ts
 * class Scale extends nn.Module {
 *   // a learnable tensor: found by parameters() and stored in the state dict as 'gain'
 *   gain = new nn.Parameter(torch.ones([4]));
 *   forward(x: torch.Tensor): torch.Tensor { return x.mul(this.gain); }
 * }
 * console.log(new Scale().namedParameters().map(([name]) => name));   // ['gain']
 * ```
 */
export class Parameter extends Tensor {
  constructor(data: Tensor, requiresGrad = true) {
    if (!(data instanceof Tensor)) throw new TypeError(`Parameter: expected a Tensor, got ${data === null ? 'null' : typeof data}`);
    data.view_(); // throws on a disposed tensor
    data.storage.retain();
    super(data.storage, data.shape, data.strides, data.offset, data.dtype);
    keep(this);
    if (requiresGrad) this.requiresGrad_(true);
  }
}

/**
 * True for parameters.
 *
 * @example
 * ```ts
 * const fc = new nn.Linear(2, 2);
 * console.log(nn.isParameter(fc.weight), nn.isParameter(torch.zeros([2])));   // true false
 * ```
 */
export function isParameter(x: unknown): x is Parameter {
  return x instanceof Parameter;
}
