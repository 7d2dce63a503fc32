// Fused optimizer updates: one pass over a parameter and its state per step, instead of the ten
// or so element-wise kernels the same update takes as separate tensor ops. The formulas follow
// PyTorch 1.13's single-tensor implementations (torch/optim/adam.py, sgd.py) in float32, in the
// same order of operations, so results match the unfused version to rounding.
//
// Scalars derived from the hyper-parameters (1 - beta1, lr / (1 - beta1^step), ...) arrive
// computed in float64 by the caller, as PyTorch computes them in Python before the kernel sees
// them as float32: computing them here in float32 would round differently.
//
// Every pointer is to `n` contiguous float32 elements. The vector body handles four elements at
// a time; the scalar tail finishes the last n % 4.

const DECOUPLED: i32 = 1; // AdamW: decay the parameter itself
const AMSGRAD: i32 = 2;
const MAXIMIZE: i32 = 4;
const NESTEROV: i32 = 8;
const FIRST_STEP: i32 = 16; // SGD: the momentum buffer starts as the first gradient

/**
 * Adam / AdamW. `decay` = 1 - lr * wd (AdamW only), `stepSize` = lr / (1 - beta1^step),
 * `bc2sqrt` = sqrt(1 - beta2^step). `vmax` is used only with AMSGRAD.
 */
export function adamStep(
  param: usize, grad: usize, m: usize, v: usize, vmax: usize, n: i32,
  beta1: f32, oneMinusBeta1: f32, beta2: f32, oneMinusBeta2: f32, eps: f32,
  wd: f32, decay: f32, flags: i32, stepSize: f32, bc2sqrt: f32,
): void {
  const decoupled = (flags & DECOUPLED) != 0;
  const amsgrad = (flags & AMSGRAD) != 0;
  const sign: f32 = (flags & MAXIMIZE) != 0 ? -1 : 1;
  const l2: f32 = decoupled ? 0 : wd;
  const vSign = f32x4.splat(sign), vDecay = f32x4.splat(decay), vL2 = f32x4.splat(l2);
  const vB1 = f32x4.splat(beta1), vB2 = f32x4.splat(beta2);
  const v1mB1 = f32x4.splat(oneMinusBeta1), v1mB2 = f32x4.splat(oneMinusBeta2);
  const vBc2 = f32x4.splat(bc2sqrt), vEps = f32x4.splat(eps), vStep = f32x4.splat(-stepSize);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    let p = v128.load(param + o);
    let g = f32x4.mul(v128.load(grad + o), vSign);
    if (decoupled) p = f32x4.mul(p, vDecay);
    else if (l2 != 0) g = f32x4.add(g, f32x4.mul(vL2, p));
    const mm = f32x4.add(f32x4.mul(v128.load(m + o), vB1), f32x4.mul(g, v1mB1));
    const vv = f32x4.add(f32x4.mul(v128.load(v + o), vB2), f32x4.mul(f32x4.mul(g, g), v1mB2));
    v128.store(m + o, mm);
    v128.store(v + o, vv);
    let second = vv;
    if (amsgrad) {
      second = f32x4.max(v128.load(vmax + o), vv);
      v128.store(vmax + o, second);
    }
    const denom = f32x4.add(f32x4.div(f32x4.sqrt(second), vBc2), vEps);
    v128.store(param + o, f32x4.add(p, f32x4.mul(vStep, f32x4.div(mm, denom))));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    let p = load<f32>(param + o);
    let g = load<f32>(grad + o) * sign;
    if (decoupled) p *= decay;
    else if (l2 != 0) g += l2 * p;
    const mm = load<f32>(m + o) * beta1 + g * oneMinusBeta1;
    const vv = load<f32>(v + o) * beta2 + g * g * oneMinusBeta2;
    store<f32>(m + o, mm);
    store<f32>(v + o, vv);
    let second = vv;
    if (amsgrad) {
      second = max(load<f32>(vmax + o), vv);
      store<f32>(vmax + o, second);
    }
    const denom = sqrt<f32>(second) / bc2sqrt + eps;
    store<f32>(param + o, p + -stepSize * (mm / denom));
  }
}

/** SGD with momentum, dampening, Nesterov and L2 weight decay. `buf` is used when momentum != 0. */
export function sgdStep(
  param: usize, grad: usize, buf: usize, n: i32,
  lr: f32, momentum: f32, oneMinusDampening: f32, wd: f32, flags: i32,
): void {
  const sign: f32 = (flags & MAXIMIZE) != 0 ? -1 : 1;
  const nesterov = (flags & NESTEROV) != 0;
  const first = (flags & FIRST_STEP) != 0;
  const useMomentum = momentum != 0;
  const vSign = f32x4.splat(sign), vWd = f32x4.splat(wd), vMom = f32x4.splat(momentum);
  const vDamp = f32x4.splat(oneMinusDampening), vLr = f32x4.splat(-lr);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const p = v128.load(param + o);
    let d = f32x4.mul(v128.load(grad + o), vSign);
    if (wd != 0) d = f32x4.add(d, f32x4.mul(vWd, p));
    if (useMomentum) {
      const b = first ? d : f32x4.add(f32x4.mul(v128.load(buf + o), vMom), f32x4.mul(d, vDamp));
      v128.store(buf + o, b);
      d = nesterov ? f32x4.add(d, f32x4.mul(b, vMom)) : b;
    }
    v128.store(param + o, f32x4.add(p, f32x4.mul(vLr, d)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const p = load<f32>(param + o);
    let d = load<f32>(grad + o) * sign;
    if (wd != 0) d += wd * p;
    if (useMomentum) {
      const b = first ? d : load<f32>(buf + o) * momentum + d * oneMinusDampening;
      store<f32>(buf + o, b);
      d = nesterov ? d + b * momentum : b;
    }
    store<f32>(param + o, p + -lr * d);
  }
}
