/** Embedding (PyTorch's `nn.Embedding`): a lookup table of `numEmbeddings` rows of size `embeddingDim`. */
import * as T from '@torchlet/core';
import { Tensor } from '@torchlet/core';
import { Module } from '../module.ts';
import { Parameter } from '../parameter.ts';
import { normal_ } from '../init.ts';
import { newParameter } from './linear.ts';
import { checkInt, show } from './args.ts';

/** Options of `Embedding` (PyTorch's keyword arguments, camelCase). Unsupported ones throw a RangeError. */
export interface EmbeddingOptions {
  /** A row initialised to zeros that receives no gradient (negative counts from the end). */
  paddingIdx?: number | null;
  /** Not supported: passing a value throws. */
  maxNorm?: null;
  /** Not supported: passing true throws. */
  scaleGradByFreq?: boolean;
  /** Not supported: passing true throws. */
  sparse?: boolean;
  /** Use this `(numEmbeddings, embeddingDim)` tensor as the weight (shared, not copied) instead of N(0, 1). */
  weight?: Tensor | null;
}

/** Options of `Embedding.fromPretrained`. */
export interface FromPretrainedOptions {
  /** Keep the weight fixed: it does not require grad (default true). */
  freeze?: boolean;
  /** A row that receives no gradient (negative counts from the end); unlike the constructor's, it is not zeroed. Default null. */
  paddingIdx?: number | null;
}

function paddingIndex(n: number, p: number | null | undefined): number | null {
  if (p === undefined || p === null) return null;
  if (!Number.isInteger(p) || p >= n || p < -n) throw new RangeError(`Embedding: paddingIdx must be within numEmbeddings (${n}), got ${show(p)}`);
  return p < 0 ? p + n : p;
}

/**
 * `weight` of shape `(numEmbeddings, embeddingDim)`, initialised N(0, 1) with the padding row
 * zeroed (PyTorch's default). `forward(indices)` takes int32 indices of any shape and returns
 * `[...indices.shape, embeddingDim]`.
 *
 * @example
 * ```ts
 * const emb = new nn.Embedding(1000, 64, { paddingIdx: 0 });
 * const ids = torch.tensor([[1, 2, 0]], { dtype: 'int32' });
 * console.log(emb.forward(ids).shape);   // [1, 3, 64]
 * ```
 */
export class Embedding extends Module {
  /** Rows of the table (the vocabulary size), PyTorch's `num_embeddings`. */
  readonly numEmbeddings: number;
  /** Size of each row, PyTorch's `embedding_dim`. */
  readonly embeddingDim: number;
  /** The padding row (non-negative), or null. */
  readonly paddingIdx: number | null;
  /** The table, `(numEmbeddings, embeddingDim)`, N(0, 1) with the padding row zeroed; state-dict key `weight`. */
  weight: Parameter;

  /**
   * PyTorch's `Embedding(num_embeddings, embedding_dim, padding_idx, max_norm, ...)`: `paddingIdx`
   * and `maxNorm` positionally, every option by name.
   */
  constructor(numEmbeddings: number, embeddingDim: number, ...args: T.PosArgs<EmbeddingOptions, ['paddingIdx', 'maxNorm']>) {
    super();
    const options = T.parseArgs('Embedding', args, ['paddingIdx', 'maxNorm'], ['scaleGradByFreq', 'sparse', 'weight']) as EmbeddingOptions;
    this.numEmbeddings = checkInt('Embedding', 'numEmbeddings', numEmbeddings, 0);
    this.embeddingDim = checkInt('Embedding', 'embeddingDim', embeddingDim, 0);
    if (options.maxNorm !== undefined && options.maxNorm !== null) throw new RangeError('Embedding: maxNorm is not supported');
    if (options.scaleGradByFreq) throw new RangeError('Embedding: scaleGradByFreq is not supported');
    if (options.sparse) throw new RangeError('Embedding: sparse gradients are not supported');
    this.paddingIdx = paddingIndex(numEmbeddings, options.paddingIdx);
    const w = options.weight ?? null;
    if (w !== null) {
      if (!(w instanceof Tensor)) throw new TypeError(`Embedding: weight must be a Tensor, got ${show(w)}`);
      if (w.ndim !== 2 || w.shape[0] !== numEmbeddings || w.shape[1] !== embeddingDim) {
        throw new RangeError(`Embedding: Shape of weight does not match numEmbeddings and embeddingDim: weight of size [${w.shape.join(', ')}], expected [${numEmbeddings}, ${embeddingDim}]`);
      }
      this.weight = w instanceof Parameter ? w : new Parameter(w);
    } else {
      this.weight = newParameter([numEmbeddings, embeddingDim]);
      this.resetParameters();
    }
  }

  /**
   * PyTorch's `Embedding.from_pretrained`: the module uses `embeddings` (2-D float32) as its
   * weight without copying; the caller keeps its own reference to dispose.
   */
  static fromPretrained(embeddings: Tensor, options: FromPretrainedOptions = {}): Embedding {
    if (!(embeddings instanceof Tensor)) throw new TypeError(`Embedding.fromPretrained: expected a Tensor, got ${show(embeddings)}`);
    if (embeddings.ndim !== 2) throw new RangeError(`Embedding.fromPretrained: Embeddings parameter is expected to be 2-dimensional, got size [${embeddings.shape.join(', ')}]`);
    if (embeddings.dtype !== 'float32') throw new TypeError(`Embedding.fromPretrained: expected float32 embeddings, got ${embeddings.dtype}`);
    const weight = new Parameter(embeddings, !(options.freeze ?? true));
    try {
      return new Embedding(embeddings.shape[0]!, embeddings.shape[1]!, { weight, paddingIdx: options.paddingIdx ?? null });
    } catch (err) {
      weight.dispose();
      throw err;
    }
  }

  /** Re-draws `weight` in place from N(0, 1) (the seeded generator) and zeroes the padding row. */
  resetParameters(): void {
    normal_(this.weight);
    const p = this.paddingIdx;
    if (p !== null) T.noGrad(() => T.tidy(() => void this.weight.select(0, p).fill_(0)));
  }

  /** `input: (*) int32 indices in [0, numEmbeddings) -> (*, embeddingDim)`. Throws a TypeError for non-int32 indices. */
  forward(input: Tensor): Tensor {
    return T.embedding(input, this.weight, { paddingIdx: this.paddingIdx });
  }

  override extraRepr(): string {
    return `${this.numEmbeddings}, ${this.embeddingDim}${this.paddingIdx !== null ? `, padding_idx=${this.paddingIdx}` : ''}`;
  }
}
