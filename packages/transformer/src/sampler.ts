/**
 * The token sampler of generation (generate.ts, GPT.generate): greedy argmax, or a seeded draw
 * with temperature, top-k and top-p, from Philox as core's RNG (the same tokens on every backend).
 */
import * as T from '@torchlet/core';

/**
 * Picks the next token from one row of logits: argmax at temperature 0, else a draw from
 * `softmax(logits / temperature)` restricted to the top k and/or the nucleus of mass topP.
 * Uniform numbers come from Philox 4x32-10 keyed by the seed (one counter per draw).
 *
 * @example
 * ```ts
 * const sampler = new torch.transformer.Sampler(0);   // seeded
 * const logits = new Float32Array([1, 3, 0.5, 2]);
 * console.log(sampler.pick(logits, 1.0, 2, null));   // 1 or 3: top-k sampling with k = 2
 * ```
 */
export class Sampler {
  readonly #key: [number, number];
  #counter = 0;

  constructor(seed: number) {
    this.#key = [seed >>> 0, Math.floor(seed / 2 ** 32) >>> 0];
  }

  /** A uniform number in [0, 1). */
  uniform(): number {
    const [a] = T.philox4x32([this.#counter++, 0, 0, 0], this.#key);
    return a / 2 ** 32;
  }

  /**
   * The next token id from one row of `vocabSize` logits. `temperature` 0 returns the argmax and draws
   * nothing; otherwise one uniform number is drawn (advancing the counter). `topK` and `topP` null (or
   * topK <= 0, topP >= 1) leave the candidates uncut.
   */
  pick(logits: Float32Array, temperature: number, topK: number | null, topP: number | null): number {
    const V = logits.length;
    if (temperature === 0) {
      let best = 0;
      for (let i = 1; i < V; i++) if (logits[i]! > logits[best]!) best = i;
      return best;
    }
    // Candidates by decreasing logit (ties: lower id first), cut to topK.
    let order = Array.from({ length: V }, (_, i) => i).sort((a, b) => logits[b]! - logits[a]! || a - b);
    if (topK !== null && topK > 0) order = order.slice(0, Math.min(topK, V));
    const max = logits[order[0]!]!;
    let probs = order.map((i) => Math.exp((logits[i]! - max) / temperature));
    let total = probs.reduce((s, p) => s + p, 0);
    if (topP !== null && topP < 1) {
      // The smallest prefix whose mass reaches topP (always at least one token).
      let mass = 0, n = 0;
      while (n < probs.length && (n === 0 || mass < topP * total)) mass += probs[n++]!;
      order = order.slice(0, n);
      probs = probs.slice(0, n);
      total = mass;
    }
    let u = this.uniform() * total;
    for (let j = 0; j < order.length; j++) {
      u -= probs[j]!;
      if (u < 0) return order[j]!;
    }
    return order[order.length - 1]!;
  }
}
