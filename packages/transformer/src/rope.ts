/**
 * Rotary position embeddings (Su et al. 2021, "RoFormer"): queries and keys are rotated in 2-D
 * planes by an angle proportional to their position, so attention scores depend on relative
 * positions. Two pairings of the head's features into planes are in use and checkpoints are
 * tied to theirs:
 * - `'half'`: feature i with feature i + hs/2 (Hugging Face's `rotate_half`, GPT-NeoX);
 * - `'interleaved'`: features 2i and 2i+1 (Meta's original Llama code and llama2.c).
 * A checkpoint converted between the two permutes the rows of its q/k projections; loading one
 * with the other pairing gives wrong (not failing) outputs, so the loaders set it.
 */
import * as T from '@torchlet/core';
import type { Tensor } from '@torchlet/core';
import { Module } from '@torchlet/nn';

/** How a rotary embedding pairs a head's features (see the module comment). */
export type RopeStyle = 'half' | 'interleaved';

/**
 * The cos/sin tables of one head width and base, for positions `[0, maxPositions)`, and the
 * rotation itself. The tables are computed in float64 on the host and kept as float32
 * non-persistent buffers (as Hugging Face's `inv_freq`: not in the state dict), freed by
 * `dispose()` with the module that holds this one.
 *
 * The rotation is `x * cos + swap(x) * sin'`, where `swap` exchanges the two features of each
 * pair (a flipped view, no copy) and `sin'` holds `-sin` for a pair's first feature and `sin` for
 * its second: three element-wise ops per call, not the six and a concatenation of
 * `cat([x1 cos - x2 sin, x2 cos + x1 sin])`, with the same results bit for bit
 * (`a - b sin` is `a + b (-sin)` exactly). Decoding calls it twice per layer per token.
 *
 * @example
 * ```ts
 * import * as torch from 'torchlet';
 * import { RotaryEmbedding } from '@torchlet/transformer';
 * const rope = new RotaryEmbedding(16, 128, { theta: 10000, style: 'half' });
 * const q = torch.randn([1, 4, 10, 16]); // (B, heads, T, head size)
 * const qr = rope.forward(q, 0);       // positions 0..9
 * rope.dispose();
 * ```
 */
export class RotaryEmbedding extends Module {
  /** The head width hs (even). */
  readonly headSize: number;
  /** The base of the angles' geometric progression (Llama: 10000; Llama 3: 500000). */
  readonly theta: number;
  /** The feature pairing. */
  readonly style: RopeStyle;
  /** The positions the tables cover. */
  readonly maxPositions: number;
  /** `(maxPositions, headSize / 2)` cosines; a non-persistent buffer. */
  cosCached!: Tensor;
  /** `(maxPositions, headSize / 2)` sines; a non-persistent buffer. */
  sinCached!: Tensor;
  /** The cosines laid out as the pairs: `(maxPositions, 2, headSize / 2)` ('half') or `(maxPositions, headSize / 2, 2)`; a non-persistent buffer. */
  cosPairs!: Tensor;
  /** The signed sines `-sin, sin` laid out as `cosPairs`; a non-persistent buffer. */
  sinPairs!: Tensor;

  constructor(headSize: number, maxPositions: number, options: { theta?: number; style?: RopeStyle } = {}) {
    super();
    if (!Number.isInteger(headSize) || headSize <= 0 || headSize % 2 !== 0) throw new RangeError(`RotaryEmbedding: headSize must be a positive even integer, got ${String(headSize)}`);
    if (!Number.isInteger(maxPositions) || maxPositions <= 0) throw new RangeError(`RotaryEmbedding: maxPositions must be a positive integer, got ${String(maxPositions)}`);
    const { theta = 10000, style = 'half' } = options;
    if (!(theta > 0) || !Number.isFinite(theta)) throw new RangeError(`RotaryEmbedding: theta must be a positive number, got ${String(theta)}`);
    if (style !== 'half' && style !== 'interleaved') throw new RangeError(`RotaryEmbedding: style must be 'half' or 'interleaved', got ${String(style)}`);
    this.headSize = headSize;
    this.theta = theta;
    this.style = style;
    this.maxPositions = maxPositions;
    const h = headSize / 2;
    const cos = new Float32Array(maxPositions * h), sin = new Float32Array(maxPositions * h);
    for (let j = 0; j < h; j++) {
      const inv = 1 / theta ** ((2 * j) / headSize);
      for (let p = 0; p < maxPositions; p++) {
        cos[p * h + j] = Math.cos(p * inv);
        sin[p * h + j] = Math.sin(p * inv);
      }
    }
    this.registerBuffer('cosCached', T.keep(T.tensor(cos).view(maxPositions, h)), false);
    this.registerBuffer('sinCached', T.keep(T.tensor(sin).view(maxPositions, h)), false);
    // Pair (j, j + h) ('half': the halves of the head) or (2j, 2j + 1) ('interleaved').
    const cosP = new Float32Array(maxPositions * headSize), sinP = new Float32Array(maxPositions * headSize);
    for (let p = 0; p < maxPositions; p++) {
      for (let j = 0; j < h; j++) {
        const [first, second] = style === 'half' ? [p * headSize + j, p * headSize + h + j] : [p * headSize + 2 * j, p * headSize + 2 * j + 1];
        cosP[first] = cosP[second] = cos[p * h + j]!;
        sinP[first] = -sin[p * h + j]!;
        sinP[second] = sin[p * h + j]!;
      }
    }
    const pairs = style === 'half' ? [maxPositions, 2, h] : [maxPositions, h, 2];
    this.registerBuffer('cosPairs', T.keep(T.tensor(cosP).view(pairs)), false);
    this.registerBuffer('sinPairs', T.keep(T.tensor(sinP).view(pairs)), false);
  }

  /**
   * `x (..., T, headSize)` rotated for positions `offset .. offset + T - 1`, or for the positions
   * in an int32 tensor `(T,)` (Hugging Face's `cache_position`: a compiled decode step keeps its
   * position in a tensor, as a JavaScript number would be frozen into the plan); a new tensor (the
   * caller owns it), differentiable in `x`. Throws a RangeError past `maxPositions` (for a
   * tensor of positions, the backend's gather does).
   */
  forward(x: Tensor, offset: number | Tensor = 0): Tensor {
    const hs = this.headSize, h = hs / 2;
    const Tn = x.shape[x.ndim - 2]!;
    if (x.shape[x.ndim - 1] !== hs) throw new RangeError(`RotaryEmbedding: expected the last dim to be the head size ${hs}, got shape [${x.shape.join(', ')}]`);
    if (offset instanceof T.Tensor) {
      if (offset.dtype !== 'int32' || offset.ndim !== 1 || offset.shape[0] !== Tn) throw new TypeError(`RotaryEmbedding: positions must be an int32 tensor of shape [${Tn}], got ${offset.dtype} [${offset.shape.join(', ')}]`);
    } else if (!Number.isInteger(offset) || offset < 0) throw new RangeError(`RotaryEmbedding: offset must be a non-negative integer or an int32 tensor of positions, got ${String(offset)}`);
    else if (offset + Tn > this.maxPositions) throw new RangeError(`RotaryEmbedding: positions up to ${offset + Tn - 1} requested, the tables cover ${this.maxPositions}`);
    return T.tidy(() => {
      // (T, 2, hs/2) or (T, hs/2, 2)
      const [cos, sin] = offset instanceof T.Tensor
        ? [this.cosPairs.indexSelect(0, offset), this.sinPairs.indexSelect(0, offset)]
        : [this.cosPairs.narrow(0, offset, Tn), this.sinPairs.narrow(0, offset, Tn)];
      const [pairs, swapDim] = this.style === 'half' ? [[2, h], -2] : [[h, 2], -1];
      const xp = x.reshape([...x.shape.slice(0, -1), ...pairs]);
      return xp.mul(cos).add(xp.flip(swapDim).mul(sin)).reshape(x.shape);
    });
  }
}
