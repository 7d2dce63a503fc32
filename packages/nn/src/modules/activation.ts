/** Activation modules: thin wrappers over the functional ops, with PyTorch's constructor options. */
import * as T from '@torchlet/core';
import type { Tensor } from '@torchlet/core';
import { Module } from '../module.ts';

/**
 * `max(0, x)` elementwise (PyTorch's `nn.ReLU`): `input: (*) -> (*)`, a new tensor.
 *
 * @example
 * ```ts
 * const act = new nn.ReLU();
 * console.log(await act.forward(torch.tensor([-1, 0, 2])).tolist());   // [0, 0, 2]
 * ```
 */
export class ReLU extends Module {
  forward(x: Tensor): Tensor {
    return T.relu(x);
  }
}

/**
 * GELU, `x * Phi(x)` (PyTorch's `nn.GELU`): `input: (*) -> (*)`.
 *
 * @example
 * ```ts
 * const exact = new nn.GELU();
 * const approx = new nn.GELU('tanh');   // nn.GELU(approximate='tanh')
 * console.log(await exact.forward(torch.tensor([1])).tolist());   // [0.8413]
 * ```
 */
export class GELU extends Module {
  /** @param approximate `'none'` (exact, with erf) or `'tanh'` (the tanh approximation). Default `'none'`, as in PyTorch. */
  constructor(readonly approximate: 'none' | 'tanh' = 'none') {
    super();
  }
  forward(x: Tensor): Tensor {
    return T.gelu(x, { approximate: this.approximate });
  }
  override extraRepr(): string {
    return `approximate='${this.approximate}'`;
  }
}

/**
 * SiLU (swish), `x * sigmoid(x)` (PyTorch's `nn.SiLU`): `input: (*) -> (*)`.
 *
 * @example
 * ```ts
 * const act = new nn.SiLU();
 * console.log(await act.forward(torch.tensor([0, 1])).tolist());   // [0, 0.7311]
 * ```
 */
export class SiLU extends Module {
  forward(x: Tensor): Tensor {
    return T.silu(x);
  }
}

/**
 * `tanh(x)` elementwise (PyTorch's `nn.Tanh`): `input: (*) -> (*)`.
 *
 * @example
 * ```ts
 * console.log(await new nn.Tanh().forward(torch.tensor([0, 1])).tolist());   // [0, 0.7616]
 * ```
 */
export class Tanh extends Module {
  forward(x: Tensor): Tensor {
    return T.tanh(x);
  }
}

/**
 * `1 / (1 + exp(-x))` elementwise (PyTorch's `nn.Sigmoid`): `input: (*) -> (*)`.
 *
 * @example
 * ```ts
 * console.log(await new nn.Sigmoid().forward(torch.tensor([0])).tolist());   // [0.5]
 * ```
 */
export class Sigmoid extends Module {
  forward(x: Tensor): Tensor {
    return T.sigmoid(x);
  }
}

/**
 * `x` where `x >= 0`, else `negativeSlope * x` (PyTorch's `nn.LeakyReLU`): `input: (*) -> (*)`.
 *
 * @example
 * ```ts
 * const act = new nn.LeakyReLU(0.2);
 * console.log(await act.forward(torch.tensor([-1, 1])).tolist());   // [-0.2, 1]
 * ```
 */
export class LeakyReLU extends Module {
  /** @param negativeSlope The slope for negative inputs, PyTorch's `negative_slope`. Default 0.01, as in PyTorch. */
  constructor(readonly negativeSlope = 0.01) {
    super();
  }
  forward(x: Tensor): Tensor {
    return T.leakyRelu(x, this.negativeSlope);
  }
  override extraRepr(): string {
    return `negative_slope=${this.negativeSlope}`;
  }
}

/**
 * `x` where `x > 0`, else `alpha * (exp(x) - 1)` (PyTorch's `nn.ELU`): `input: (*) -> (*)`.
 *
 * @example
 * ```ts
 * const act = new nn.ELU(1.0);
 * console.log(await act.forward(torch.tensor([-1, 1])).tolist());   // [-0.6321, 1]
 * ```
 */
export class ELU extends Module {
  /** @param alpha The value the output approaches for large negative inputs. Default 1, as in PyTorch. */
  constructor(readonly alpha = 1) {
    super();
  }
  forward(x: Tensor): Tensor {
    return T.elu(x, this.alpha);
  }
}

/**
 * `log(1 + exp(beta x)) / beta`, linear where `beta x > threshold` (PyTorch's `nn.Softplus`): `input: (*) -> (*)`.
 *
 * @example
 * ```ts
 * const act = new nn.Softplus(1, 20);   // beta, threshold
 * console.log(await act.forward(torch.tensor([0])).tolist());   // [0.6931]
 * ```
 */
export class Softplus extends Module {
  /**
   * @param beta The sharpness. Default 1, as in PyTorch.
   * @param threshold Above this `beta x` the output is `x` itself (for stability). Default 20, as in PyTorch.
   */
  constructor(readonly beta = 1, readonly threshold = 20) {
    super();
  }
  forward(x: Tensor): Tensor {
    return T.softplus(x, { beta: this.beta, threshold: this.threshold });
  }
}

/**
 * Softmax along `dim` (PyTorch's `nn.Softmax`, whose `dim` is required here): `input: (*) -> (*)`, each slice along `dim` summing to 1.
 *
 * @example
 * ```ts
 * const sm = new nn.Softmax(1);   // nn.Softmax(dim=1)
 * const p = sm.forward(torch.randn([2, 5]));
 * console.log(await p.sum({ dim: 1 }).tolist());   // [1, 1]
 * ```
 */
export class Softmax extends Module {
  /** @param dim The dim normalised over (negative counts from the end). */
  constructor(readonly dim: number) {
    super();
  }
  forward(x: Tensor): Tensor {
    return T.softmax(x, this.dim);
  }
}

/**
 * `log(softmax(x))` along `dim`, computed stably (PyTorch's `nn.LogSoftmax`): `input: (*) -> (*)`. Pair it with `NLLLoss`, or use `CrossEntropyLoss` on logits.
 *
 * @example
 * ```ts
 * const lsm = new nn.LogSoftmax(-1);
 * const logp = lsm.forward(torch.randn([2, 5]));   // pairs with nn.NLLLoss
 * ```
 */
export class LogSoftmax extends Module {
  /** @param dim The dim normalised over (negative counts from the end). */
  constructor(readonly dim: number) {
    super();
  }
  forward(x: Tensor): Tensor {
    return T.logSoftmax(x, this.dim);
  }
}

/**
 * Returns its input unchanged, the same tensor (PyTorch's `nn.Identity`): a placeholder layer.
 *
 * @example
 * ```ts
 * const maybeNorm = false ? new nn.LayerNorm(8) : new nn.Identity();
 * const x = torch.randn([2, 8]);
 * console.log(maybeNorm.forward(x).shape);   // [2, 8], the input unchanged
 * ```
 */
export class Identity extends Module {
  forward(x: Tensor): Tensor {
    return x;
  }
}

/**
 * Flattens dims `startDim..endDim` into one (PyTorch's `nn.Flatten`): `(N, C, H, W) -> (N, C*H*W)` with the defaults.
 *
 * @example
 * ```ts
 * const flat = new nn.Flatten();   // start_dim=1, end_dim=-1
 * console.log(flat.forward(torch.zeros([32, 1, 28, 28])).shape);   // [32, 784]
 * ```
 */
export class Flatten extends Module {
  /**
   * @param startDim First dim flattened, PyTorch's `start_dim`. Default 1 (keeps the batch dim), as in PyTorch.
   * @param endDim Last dim flattened, PyTorch's `end_dim`. Default -1, as in PyTorch.
   */
  constructor(readonly startDim = 1, readonly endDim = -1) {
    super();
  }
  forward(x: Tensor): Tensor {
    return x.flatten(this.startDim, this.endDim);
  }
}
