/**
 * `nn.init`: in-place initialisers with PyTorch's formulas (torch/nn/init.py), drawing from
 * torchlet's seeded Philox generator. Each fills the tensor's elements in place (under noGrad)
 * and returns it.
 */
import * as T from '@torchlet/core';
import type { Tensor } from '@torchlet/core';

/** The nonlinearities `calculateGain` knows (PyTorch's names, snake_case as there). */
export type Nonlinearity = 'linear' | 'conv1d' | 'conv2d' | 'sigmoid' | 'tanh' | 'relu' | 'leaky_relu' | 'selu';

/**
 * PyTorch's `calculate_gain`.
 *
 * @example
 * ```ts
 * console.log(nn.init.calculateGain('relu'));             // 1.4142 (sqrt(2))
 * console.log(nn.init.calculateGain('leaky_relu', 0.2));  // sqrt(2 / (1 + 0.2^2))
 * ```
 */
export function calculateGain(nonlinearity: Nonlinearity, param?: number): number {
  switch (nonlinearity) {
    case 'linear':
    case 'conv1d':
    case 'conv2d':
    case 'sigmoid':
      return 1;
    case 'tanh':
      return 5 / 3;
    case 'relu':
      return Math.SQRT2;
    case 'leaky_relu': {
      const slope = param ?? 0.01;
      return Math.sqrt(2 / (1 + slope * slope));
    }
    case 'selu':
      return 3 / 4;
    default:
      throw new RangeError(`calculateGain: unsupported nonlinearity '${String(nonlinearity)}'`);
  }
}

/**
 * `[fanIn, fanOut]` of a weight: dim 1 and dim 0 times the receptive field (PyTorch's rule).
 *
 * @example
 * ```ts
 * const w = torch.zeros([64, 32, 3, 3]);   // a conv weight (out, in, kh, kw)
 * console.log(nn.init.calculateFanInAndFanOut(w));   // [288, 576]
 * ```
 */
export function calculateFanInAndFanOut(t: Tensor): [number, number] {
  if (t.ndim < 2) throw new RangeError(`Fan in and fan out can not be computed for tensor with fewer than 2 dimensions (shape [${t.shape.join(', ')}])`);
  const receptive = t.shape.slice(2).reduce((a, b) => a * b, 1);
  return [t.shape[1]! * receptive, t.shape[0]! * receptive];
}

// Open skipInit calls: while positive, the initialisers leave tensors as they are.
let skipping = 0;

function fill(t: Tensor, make: () => Tensor): Tensor {
  if (skipping > 0) return t;
  T.noGrad(() => T.tidy(() => t.copy_(make())));
  return t;
}

/**
 * A module constructed without initialising its parameters (PyTorch's
 * `torch.nn.utils.skip_init`): `new moduleClass(...args)` with every `nn.init` function a no-op
 * meanwhile, so the parameters keep the zeros they are allocated with. For a model whose weights
 * are loaded next: drawing 110M random numbers costs seconds and, with the temporaries, memory
 * the load does not need. The random generator is not advanced.
 *
 * @example
 * ```ts
 * const fc = nn.utils.skipInit(nn.Linear, 4, 2);   // weight and bias are zeros, not drawn
 * fc.loadStateDict({ weight: torch.ones([2, 4]), bias: torch.zeros([2]) });
 * ```
 */
export function skipInit<M, A extends unknown[]>(moduleClass: new (...args: A) => M, ...args: A): M {
  if (typeof moduleClass !== 'function') throw new TypeError(`skipInit: expected a module class, got ${moduleClass === null ? 'null' : typeof moduleClass}`);
  skipping++;
  try {
    return new moduleClass(...args);
  } finally {
    skipping--;
  }
}

/**
 * U(a, b).
 *
 * @example
 * ```ts
 * const w = torch.zeros([3, 4]);
 * nn.init.uniform_(w, -0.1, 0.1);   // in place, from the seeded generator
 * ```
 */
export function uniform_(t: Tensor, a = 0, b = 1): Tensor {
  // In place: one temporary the size of t, not three (a 32000-word embedding is 100 MB).
  return fill(t, () => T.rand(t.shape, { backend: t.backend }).mul_(b - a).add_(a));
}

/**
 * N(mean, std^2).
 *
 * @example
 * ```ts
 * const w = torch.zeros([3, 4]);
 * nn.init.normal_(w, 0, 0.02);   // GPT-2's initialisation
 * ```
 */
export function normal_(t: Tensor, mean = 0, std = 1): Tensor {
  return fill(t, () => T.randn(t.shape, { backend: t.backend }).mul_(std).add_(mean));
}

/**
 * Fills `t` with `value` in place (under noGrad); returns `t`.
 *
 * @example
 * ```ts
 * const b = torch.zeros([8]);
 * nn.init.constant_(b, 0.1);
 * console.log(await b.tolist());   // [0.1, 0.1, ...]
 * ```
 */
export function constant_(t: Tensor, value: number): Tensor {
  if (skipping > 0) return t;
  T.noGrad(() => t.fill_(value));
  return t;
}

/**
 * Fills `t` with 0 in place; returns `t`.
 *
 * @example
 * ```ts
 * const fc = new nn.Linear(4, 2);
 * nn.init.zeros_(fc.bias!);
 * ```
 */
export const zeros_ = (t: Tensor): Tensor => constant_(t, 0);
/**
 * Fills `t` with 1 in place; returns `t`.
 *
 * @example
 * ```ts
 * const ln = new nn.LayerNorm(8);
 * nn.init.ones_(ln.weight!);
 * ```
 */
export const ones_ = (t: Tensor): Tensor => constant_(t, 1);

/**
 * Glorot uniform: U(-a, a) with `a = gain * sqrt(6 / (fanIn + fanOut))` (PyTorch's `xavier_uniform_`). Throws a RangeError for fewer than 2 dims.
 *
 * @example
 * ```ts
 * const fc = new nn.Linear(128, 64);
 * nn.init.xavierUniform_(fc.weight, nn.init.calculateGain('tanh'));
 * ```
 */
export function xavierUniform_(t: Tensor, gain = 1): Tensor {
  const [fanIn, fanOut] = calculateFanInAndFanOut(t);
  const a = gain * Math.sqrt(6 / (fanIn + fanOut));
  return uniform_(t, -a, a);
}

/**
 * Glorot normal: N(0, std^2) with `std = gain * sqrt(2 / (fanIn + fanOut))` (PyTorch's `xavier_normal_`). Throws a RangeError for fewer than 2 dims.
 *
 * @example
 * ```ts
 * const fc = new nn.Linear(128, 64);
 * nn.init.xavierNormal_(fc.weight);
 * ```
 */
export function xavierNormal_(t: Tensor, gain = 1): Tensor {
  const [fanIn, fanOut] = calculateFanInAndFanOut(t);
  return normal_(t, 0, gain * Math.sqrt(2 / (fanIn + fanOut)));
}

/** Options of `kaimingUniform_` and `kaimingNormal_` (PyTorch's `a`, `mode`, `nonlinearity`). */
export interface KaimingOptions {
  /** The negative slope of the rectifier after this layer (leaky_relu); PyTorch's `a`. */
  a?: number;
  /** Which fan sets the scale: `'fanIn'` preserves the forward pass's variance, `'fanOut'` the backward's. Default `'fanIn'` (PyTorch's `'fan_in'`). */
  mode?: 'fanIn' | 'fanOut';
  /** The nonlinearity whose `calculateGain` is used. Default `'leaky_relu'`, as in PyTorch. */
  nonlinearity?: Nonlinearity;
}

function kaimingStd(t: Tensor, o: KaimingOptions): number {
  const [fanIn, fanOut] = calculateFanInAndFanOut(t);
  const fan = (o.mode ?? 'fanIn') === 'fanIn' ? fanIn : fanOut;
  return calculateGain(o.nonlinearity ?? 'leaky_relu', o.a ?? 0) / Math.sqrt(fan);
}

/**
 * He uniform: U(-b, b) with `b = sqrt(3) * gain / sqrt(fan)` (PyTorch's `kaiming_uniform_`; `Linear` and `Conv` use it with `a: sqrt(5)`). Throws a RangeError for fewer than 2 dims.
 *
 * @example
 * ```ts
 * const conv = new nn.Conv2d(3, 16, 3);
 * nn.init.kaimingUniform_(conv.weight, { mode: 'fanIn', nonlinearity: 'relu' });
 * ```
 */
export function kaimingUniform_(t: Tensor, options: KaimingOptions = {}): Tensor {
  const bound = Math.sqrt(3) * kaimingStd(t, options);
  return uniform_(t, -bound, bound);
}

/**
 * He normal: N(0, std^2) with `std = gain / sqrt(fan)` (PyTorch's `kaiming_normal_`). Throws a RangeError for fewer than 2 dims.
 *
 * @example
 * ```ts
 * const fc = new nn.Linear(256, 256);
 * nn.init.kaimingNormal_(fc.weight, { mode: 'fanOut', nonlinearity: 'relu' });
 * ```
 */
export function kaimingNormal_(t: Tensor, options: KaimingOptions = {}): Tensor {
  return normal_(t, 0, kaimingStd(t, options));
}

/**
 * A (semi-)orthogonal matrix: QR of a normal matrix (modified Gram-Schmidt on the host; this is
 * a one-time initialisation), rows or columns orthonormal, scaled by `gain`.
 *
 * @example
 * ```ts
 * const lstm = new nn.LSTM(16, 32);
 * const [name, whh] = lstm.namedParameters()[1]!;   // 'weight_hh_l0'
 * nn.init.orthogonal_(whh);
 * ```
 */
export function orthogonal_(t: Tensor, gain = 1): Tensor {
  if (t.ndim < 2) throw new RangeError(`orthogonal_: only tensors with 2 or more dimensions are supported (shape [${t.shape.join(', ')}])`);
  const rows = t.shape[0]!, cols = t.numel() / rows;
  const transpose = rows < cols;
  const n = transpose ? cols : rows, m = transpose ? rows : cols; // n >= m: orthonormal columns
  const g = T.randn([n, m]);
  const a = Float64Array.from(g.dataSync());
  g.dispose();
  for (let j = 0; j < m; j++) {
    for (let k = 0; k < j; k++) {
      let dot = 0;
      for (let i = 0; i < n; i++) dot += a[i * m + j]! * a[i * m + k]!;
      for (let i = 0; i < n; i++) a[i * m + j]! -= dot * a[i * m + k]!;
    }
    let norm = 0;
    for (let i = 0; i < n; i++) norm += a[i * m + j]! ** 2;
    norm = Math.sqrt(norm) || 1;
    for (let i = 0; i < n; i++) a[i * m + j]! /= norm;
  }
  const q = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) q[r * cols + c] = gain * (transpose ? a[c * m + r]! : a[r * m + c]!);
  return fill(t, () => T.fromArray(q, t.shape, { backend: t.backend }));
}
