// Scalar float32 functions computed in float64 (AssemblyScript's Math is a port of musl), then
// rounded once: accurate to well under 1 ulp of float32 for the transcendental ops.

/**
 * erf(x) for float32 inputs, in float64. For |x| < 4 it uses the series
 *   erf(x) = 2/sqrt(pi) * exp(-x^2) * sum_n 2^n x^(2n+1) / (1*3*...*(2n+1))
 * (Abramowitz & Stegun 7.1.6) whose terms are all positive, so it has no cancellation; for
 * |x| >= 4, erf(x) rounds to +-1 in float32.
 */
export function erf64(x: f64): f64 {
  const ax = Math.abs(x);
  if (ax >= 4.0) return x > 0 ? 1.0 : -1.0;
  if (ax != ax) return x;
  const x2 = ax * ax;
  let term = ax;
  let sum = ax;
  for (let n = 1; n < 200; n++) {
    term *= (2.0 * x2) / <f64>(2 * n + 1);
    sum += term;
    if (term < sum * 1e-17) break;
  }
  const r = 1.1283791670955126 * Math.exp(-x2) * sum;
  return x < 0 ? -r : r;
}

/** Round-half-to-even (PyTorch's `round`); wasm's `nearest` is exactly that. */
@inline export function roundEven(x: f32): f32 {
  return nearest<f32>(x);
}

/** float -> int32 as PyTorch casts: truncate toward zero, NaN -> 0, saturate at the int32 range. */
@inline export function truncSat(x: f32): i32 {
  if (x != x) return 0;
  if (x >= 2147483648.0) return i32.MAX_VALUE;
  if (x <= -2147483648.0) return i32.MIN_VALUE;
  return <i32>x;
}
