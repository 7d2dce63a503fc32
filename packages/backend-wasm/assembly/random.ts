// Philox 4x32-10 (Salmon, Moraes, Dror, Shaw: "Parallel random numbers: as easy as 1, 2, 3",
// SC11), reproducing core's philox.ts bit for bit; see RandomParams in core's backend.ts.
import { INFO } from './iter';

const M0: u64 = 0xd2511f53;
const M1: u64 = 0xcd9e8d57;
const W0: u32 = 0x9e3779b9;
const W1: u32 = 0xbb67ae85;

// The block's four output words.
let w0: u32 = 0, w1: u32 = 0, w2: u32 = 0, w3: u32 = 0;

@inline function block(c0: u32, c1: u32, c2: u32, c3: u32, k0: u32, k1: u32): void {
  for (let round = 0; round < 10; round++) {
    const p0 = M0 * <u64>c0;
    const p1 = M1 * <u64>c2;
    const n0 = <u32>(p1 >> 32) ^ c1 ^ k0;
    const n2 = <u32>(p0 >> 32) ^ c3 ^ k1;
    c1 = <u32>p1;
    c3 = <u32>p0;
    c0 = n0;
    c2 = n2;
    k0 += W0;
    k1 += W1;
  }
  w0 = c0; w1 = c1; w2 = c2; w3 = c3;
}

/** One block for a full 128-bit counter; the words go to INFO (for known-answer tests). */
export function philoxBlock(c0: u32, c1: u32, c2: u32, c3: u32, k0: u32, k1: u32): void {
  block(c0, c1, c2, c3, k0, k1);
  store<u32>(INFO, w0);
  store<u32>(INFO, w1, 4);
  store<u32>(INFO, w2, 8);
  store<u32>(INFO, w3, 12);
}

const TWO_POW_M24: f64 = 1.0 / 16777216.0;
const TWO_PI: f64 = 2 * Math.PI;

@inline function boxMuller(a: u32, b: u32, out: usize, i: i32, n: i32): void {
  const u1 = <f64>((a >>> 8) + 1) * TWO_POW_M24;
  const u2 = <f64>(b >>> 8) * TWO_POW_M24;
  const r = Math.sqrt(-2 * Math.log(u1));
  if (i < n) store<f32>(out + (<usize>i << 2), <f32>(r * Math.cos(TWO_PI * u2)));
  if (i + 1 < n) store<f32>(out + (<usize>(i + 1) << 2), <f32>(r * Math.sin(TWO_PI * u2)));
}

/** kind 0 uniform [0, 1), 1 normal; the first block's 64-bit counter comes as two words. */
export function random(kind: i32, out: usize, n: i32, seedLo: u32, seedHi: u32, counterLo: u32, counterHi: u32): void {
  const counter = (<u64>counterHi << 32) | <u64>counterLo;
  for (let base = 0; base < n; base += 4) {
    const c = counter + <u64>(base >> 2);
    block(<u32>c, <u32>(c >> 32), 0, 0, seedLo, seedHi);
    if (kind == 0) {
      const p = out + (<usize>base << 2);
      // (w >>> 8) < 2^24 converts exactly, and the scaling by 2^-24 is exact.
      store<f32>(p, <f32>(w0 >>> 8) * <f32>TWO_POW_M24);
      if (base + 1 < n) store<f32>(p, <f32>(w1 >>> 8) * <f32>TWO_POW_M24, 4);
      if (base + 2 < n) store<f32>(p, <f32>(w2 >>> 8) * <f32>TWO_POW_M24, 8);
      if (base + 3 < n) store<f32>(p, <f32>(w3 >>> 8) * <f32>TWO_POW_M24, 12);
    } else {
      boxMuller(w0, w1, out, base, n);
      boxMuller(w2, w3, out, base + 2, n);
    }
  }
}
