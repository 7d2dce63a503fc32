/**
 * Positional encodings: the fixed sinusoids of "Attention Is All You Need" (section 3.5, as in
 * PyTorch's "Language Modeling with nn.Transformer" tutorial) and the learned table of GPT-2.
 */
import * as T from '@torchlet/core';
import type { Tensor } from '@torchlet/core';
import { Dropout, Module, Parameter, init } from '@torchlet/nn';

/** Options of `SinusoidalPositionalEncoding`. */
export interface PositionalEncodingOptions {
  /** Dropout applied to `x + pe` (default 0; the tutorial uses 0.1). */
  dropout?: number;
  /** Inputs are `(N, T, E)` (default true) rather than `(T, N, E)`; unbatched `(T, E)` works either way. */
  batchFirst?: boolean;
}

/** Options of the positional modules' `forward`. */
export interface PositionalForwardOptions {
  /** The absolute position of `x`'s first step (default 0): generation with a key/value cache feeds one step at a time. */
  offset?: number;
}

function checkDims(op: string, dModel: number, maxLen: number): void {
  if (!Number.isInteger(dModel) || dModel <= 0) throw new RangeError(`${op}: dModel must be a positive integer, got ${String(dModel)}`);
  if (!Number.isInteger(maxLen) || maxLen <= 0) throw new RangeError(`${op}: maxLen must be a positive integer, got ${String(maxLen)}`);
}

/** `x + table[offset : offset + T]`, the table `(maxLen, E)` broadcast over the batch. */
function addPositions(op: string, x: Tensor, table: Tensor, batchFirst: boolean, offset: number): Tensor {
  const [maxLen, E] = table.shape as [number, number];
  if (x.shape[x.ndim - 1] !== E) throw new RangeError(`${op}: expected inputs with ${E} features in the last dim, got shape [${x.shape.join(', ')}]`);
  const timeDim = x.ndim === 3 && !batchFirst ? 0 : x.ndim - 2;
  const len = x.shape[timeDim]!;
  if (!Number.isInteger(offset) || offset < 0 || offset + len > maxLen) {
    throw new RangeError(`${op}: positions ${offset}..${offset + len - 1} exceed maxLen=${maxLen}`);
  }
  return T.tidy(() => {
    const pe = table.narrow(0, offset, len); // (T, E)
    return x.add(x.ndim === 3 && !batchFirst ? pe.unsqueeze(1) : pe);
  });
}

/**
 * `PE(pos, 2i) = sin(pos / 10000^(2i/dModel))`, `PE(pos, 2i+1) = cos(...)`, added to the input.
 * The table `pe (maxLen, dModel)` is a buffer, as in the PyTorch tutorial's
 * `register_buffer('pe', pe)`, but non-persistent (`persistent=False`): it is not in the state
 * dict, since it is recomputed from the configuration, and it has no gradient.
 *
 * @example
 * ```ts
 * const pe = new torch.transformer.SinusoidalPositionalEncoding(64, 512, { batchFirst: true });
 * const x = torch.randn([2, 10, 64]);
 * console.log(pe.forward(x).shape);   // [2, 10, 64]: x plus the encoding of positions 0..9
 * ```
 */
export class SinusoidalPositionalEncoding extends Module {
  /** The model width E: the table's columns and the inputs' last dim. */
  readonly dModel: number;
  /** The longest sequence (offset included) the table covers; longer inputs throw a RangeError. */
  readonly maxLen: number;
  /** Whether 3-d inputs are `(N, T, E)` rather than `(T, N, E)`. */
  readonly batchFirst: boolean;
  /** Dropout on `x + pe`. */
  dropout: Dropout;
  /** `(maxLen, dModel)`. */
  pe: Tensor | null = null;

  constructor(dModel: number, maxLen = 5000, options: PositionalEncodingOptions = {}) {
    super();
    checkDims('SinusoidalPositionalEncoding', dModel, maxLen);
    this.dModel = dModel;
    this.maxLen = maxLen;
    this.batchFirst = options.batchFirst ?? true;
    this.dropout = new Dropout(options.dropout ?? 0);
    // Computed in float64 on the host, then stored as float32 (the tutorial computes in float32;
    // the difference is below float32's rounding of the result).
    const data = new Float32Array(maxLen * dModel);
    for (let pos = 0; pos < maxLen; pos++) {
      for (let i = 0; i < dModel; i += 2) {
        const angle = pos * Math.exp((-i * Math.log(10000)) / dModel); // pos / 10000^(2k/d), i = 2k
        data[pos * dModel + i] = Math.sin(angle);
        if (i + 1 < dModel) data[pos * dModel + i + 1] = Math.cos(angle);
      }
    }
    this.registerBuffer('pe', T.fromArray(data, [maxLen, dModel]), false);
  }

  /** `x (N, T, E)` (or `(T, N, E)` without batchFirst, or `(T, E)`) -> `dropout(x + pe[offset : offset + T])`, same shape. */
  forward(x: Tensor, options: PositionalForwardOptions = {}): Tensor {
    return T.tidy(() => this.dropout.forward(addPositions('SinusoidalPositionalEncoding', x, this.pe!, this.batchFirst, options.offset ?? 0)));
  }

  override extraRepr(): string {
    return `d_model=${this.dModel}, max_len=${this.maxLen}`;
  }
}

/**
 * GPT-2's learned positions (`wpe`): a `(maxLen, dModel)` parameter `weight`, initialised
 * N(0, 0.02) as GPT-2, added to the input. `forward(x)` adds the rows of positions
 * `offset..offset+T-1`; `embed(positions)` looks rows up like `nn.Embedding`.
 *
 * @example
 * ```ts
 * const pos = new torch.transformer.LearnedPositionalEmbedding(128, 64, { batchFirst: true });
 * console.log(pos.forward(torch.randn([2, 10, 64])).shape);   // [2, 10, 64]
 * ```
 */
export class LearnedPositionalEmbedding extends Module {
  /** The number of positions, the rows of `weight`; longer inputs throw a RangeError. */
  readonly maxLen: number;
  /** The model width E: the columns of `weight` and the inputs' last dim. */
  readonly dModel: number;
  /** Whether 3-d inputs are `(N, T, E)` rather than `(T, N, E)`. */
  readonly batchFirst: boolean;
  /** The learned table `(maxLen, dModel)`, initialised N(0, 0.02) (state-dict key `weight`). */
  weight: Parameter;

  constructor(maxLen: number, dModel: number, options: { batchFirst?: boolean } = {}) {
    super();
    checkDims('LearnedPositionalEmbedding', dModel, maxLen);
    this.maxLen = maxLen;
    this.dModel = dModel;
    this.batchFirst = options.batchFirst ?? true;
    const w = T.zeros([maxLen, dModel]);
    this.weight = new Parameter(w);
    w.dispose();
    init.normal_(this.weight, 0, 0.02);
  }

  /** `x (N, T, E)` (or `(T, N, E)` without batchFirst, or `(T, E)`) -> `x + weight[offset : offset + T]`. */
  forward(x: Tensor, options: PositionalForwardOptions = {}): Tensor {
    return addPositions('LearnedPositionalEmbedding', x, this.weight, this.batchFirst, options.offset ?? 0);
  }

  /** The rows for int32 `positions` of any shape: `[...positions.shape, dModel]`. */
  embed(positions: Tensor): Tensor {
    return T.embedding(positions, this.weight);
  }

  override extraRepr(): string {
    return `${this.maxLen}, ${this.dModel}`;
  }
}
