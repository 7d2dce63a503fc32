/**
 * Philox 4x32-10 (Salmon, Moraes, Dror, Shaw: "Parallel random numbers: as easy as 1, 2, 3", SC11).
 * This is the reference every backend's `random` kernel must reproduce; see `RandomParams`.
 */

const M0 = 0xd2511f53;
const M1 = 0xcd9e8d57;
const W0 = 0x9e3779b9;
const W1 = 0xbb67ae85;

/** High 32 bits of the 64-bit product of two uint32, exact in float64 arithmetic. */
function mulhi(a: number, b: number): number {
  const ah = a >>> 16;
  const al = a & 0xffff;
  const t = al * b; // < 2^48, exact
  const u = ah * b; // < 2^48, exact
  const uh = Math.floor(u / 65536);
  const ul = u - uh * 65536;
  return (uh + Math.floor((ul * 65536 + t) / 4294967296)) >>> 0;
}

/**
 * One Philox 4x32-10 block: four uint32 words for `counter` (four words) under `key` (two words).
 *
 * @example
 * ```ts
 * // Philox 4x32-10 (Salmon et al. 2011), the generator behind every random op.
 * console.log(torch.philox4x32([0, 0, 0, 0], [0, 0]));   // four uint32 words
 * ```
 */
export function philox4x32(counter: readonly number[], key: readonly [number, number]): [number, number, number, number] {
  let c0 = counter[0]! >>> 0, c1 = counter[1]! >>> 0, c2 = counter[2]! >>> 0, c3 = counter[3]! >>> 0;
  let k0 = key[0] >>> 0, k1 = key[1] >>> 0;
  for (let round = 0; round < 10; round++) {
    const hi0 = mulhi(M0, c0), lo0 = Math.imul(M0, c0) >>> 0;
    const hi1 = mulhi(M1, c2), lo1 = Math.imul(M1, c2) >>> 0;
    c0 = (hi1 ^ c1 ^ k0) >>> 0;
    c1 = lo1;
    c2 = (hi0 ^ c3 ^ k1) >>> 0;
    c3 = lo0;
    k0 = (k0 + W0) >>> 0;
    k1 = (k1 + W1) >>> 0;
  }
  return [c0, c1, c2, c3];
}

const TWO_POW_M24 = 1 / 16777216;

/**
 * Fills `out` exactly as the `random` primitive must (the contract's reference implementation).
 * `counter` is the first block's 64-bit counter, below 2^53.
 *
 * @example
 * ```ts
 * // The reference fill every backend's random kernel must match bit for bit.
 * const out = new Float32Array(4);
 * torch.philoxFill(out, 'uniform', 0, 0, 0);
 * console.log(Array.from(out));   // four numbers in [0, 1)
 * ```
 */
export function philoxFill(
  out: Float32Array,
  kind: 'uniform' | 'normal',
  seedLo: number,
  seedHi: number,
  counter: number,
): void {
  const key: [number, number] = [seedLo >>> 0, seedHi >>> 0];
  const n = out.length;
  for (let block = 0; block * 4 < n; block++) {
    const c = counter + block;
    const w = philox4x32([c % 4294967296, Math.floor(c / 4294967296), 0, 0], key);
    const base = block * 4;
    if (kind === 'uniform') {
      for (let j = 0; j < 4 && base + j < n; j++) out[base + j] = (w[j]! >>> 8) * TWO_POW_M24;
    } else {
      for (let pair = 0; pair < 2; pair++) {
        const u1 = ((w[2 * pair]! >>> 8) + 1) * TWO_POW_M24;
        const u2 = (w[2 * pair + 1]! >>> 8) * TWO_POW_M24;
        const r = Math.sqrt(-2 * Math.log(u1));
        const i = base + 2 * pair;
        if (i < n) out[i] = r * Math.cos(2 * Math.PI * u2);
        if (i + 1 < n) out[i + 1] = r * Math.sin(2 * Math.PI * u2);
      }
    }
  }
}
