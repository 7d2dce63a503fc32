/**
 * Recurrent layers: RNN (tanh or relu), LSTM and GRU, with PyTorch's constructor options,
 * parameter names (`weight_ih_l0`, `bias_hh_l1_reverse`, ...), gate layouts and init.
 *
 * Each layer and direction computes the input projection of every time step in one matmul
 * (`x W_ih^T + b_ih` over `(T, N, I)`), then runs the recurrence step by step. Each step runs in
 * its own `tidy` scope that returns only the new state, so the per-step temporaries are freed as
 * the sequence goes while the autograd graph (which holds its own references to what backward
 * needs) stays intact.
 */
import * as T from '@torchlet/core';
import type { Tensor } from '@torchlet/core';
import { Module } from '../module.ts';
import type { Parameter } from '../parameter.ts';
import { uniform_ } from '../init.ts';
import { newParameter } from './linear.ts';

type Mode = 'RNN_TANH' | 'RNN_RELU' | 'LSTM' | 'GRU';

/** Options shared by `RNN`, `LSTM` and `GRU` (PyTorch's keyword arguments, camelCase). Invalid values throw a RangeError from the constructor. */
export interface RNNBaseOptions {
  /** Stacked recurrent layers (default 1). */
  numLayers?: number;
  /** Use `b_ih` and `b_hh` (default true). */
  bias?: boolean;
  /** Input and output are `(N, T, *)` instead of `(T, N, *)` (default false). The states stay `(L*D, N, H)`. */
  batchFirst?: boolean;
  /** Dropout on the outputs of every layer but the last, in training (default 0). */
  dropout?: number;
  /** Run a second direction over the reversed sequence and concatenate (default false). */
  bidirectional?: boolean;
}

/** Options of `RNN`: the shared ones plus `nonlinearity`. */
export interface RNNOptions extends RNNBaseOptions {
  /** `'tanh'` (default) or `'relu'`. */
  nonlinearity?: 'tanh' | 'relu';
}

/** Options of `LSTM` (`proj_size` is not supported). */
export type LSTMOptions = RNNBaseOptions;

/** PyTorch's positional order of LSTM's and GRU's options after `hidden_size`. */
const RNN_ARGS = ['numLayers', 'bias', 'batchFirst', 'dropout', 'bidirectional'] as const;
/** Options of `GRU`. */
export type GRUOptions = RNNBaseOptions;

const GATES: Record<Mode, number> = { RNN_TANH: 1, RNN_RELU: 1, LSTM: 4, GRU: 3 };
const shapeStr = (s: readonly number[]): string => `[${s.join(', ')}]`;

/** One layer-direction's weights. */
interface Cell {
  wIh: Parameter;
  wHh: Parameter;
  bIh: Parameter | null;
  bHh: Parameter | null;
}

/**
 * The shared machinery of RNN, LSTM and GRU (PyTorch's `RNNBase`): parameters registered as
 * `weight_ih_l{k}[_reverse]`, `weight_hh_l{k}[_reverse]`, `bias_ih_l{k}[_reverse]`,
 * `bias_hh_l{k}[_reverse]`, in PyTorch's order, each initialised U(-1/sqrt(H), 1/sqrt(H)).
 *
 * @example
 * ```ts
 * // The shared base of RNN, LSTM and GRU: flatParameters(), the PyTorch weight names, batchFirst.
 * const rnn: nn.RNNBase = new nn.GRU(10, 20, { numLayers: 2 });
 * console.log(rnn.namedParameters().map(([n]) => n).slice(0, 2));   // ['weight_ih_l0', 'weight_hh_l0']
 * ```
 */
export abstract class RNNBase extends Module {
  /** PyTorch's `mode`: `'RNN_TANH'`, `'RNN_RELU'`, `'LSTM'` or `'GRU'`; sets the gate count (1, 1, 4, 3). */
  readonly mode: Mode;
  /** Features of each input step, PyTorch's `input_size`. */
  readonly inputSize: number;
  /** Features of the hidden state H, PyTorch's `hidden_size`. */
  readonly hiddenSize: number;
  /** Stacked layers L, PyTorch's `num_layers`. Default 1. */
  readonly numLayers: number;
  /** Whether the `bias_ih_l{k}` and `bias_hh_l{k}` parameters exist. Default true. */
  readonly bias: boolean;
  /** Input and output are `(N, T, *)` instead of `(T, N, *)`; the states stay `(L*D, N, H)`. Default false. */
  readonly batchFirst: boolean;
  /** Dropout probability on the outputs of every layer but the last, in training mode only. Default 0. */
  readonly dropout: number;
  /** Whether a second direction runs over the reversed sequence (parameters suffixed `_reverse`). Default false. */
  readonly bidirectional: boolean;
  // cells[layer * numDirections + direction]
  readonly #cells: Cell[] = [];

  protected constructor(mode: Mode, inputSize: number, hiddenSize: number, options: RNNBaseOptions = {}) {
    super();
    const name = mode.startsWith('RNN') ? 'RNN' : mode;
    const numLayers = options.numLayers ?? 1;
    const dropout = options.dropout ?? 0;
    for (const [v, n, min] of [[inputSize, 'inputSize', 0], [hiddenSize, 'hiddenSize', 1], [numLayers, 'numLayers', 1]] as const) {
      if (!Number.isInteger(v) || v < min) throw new RangeError(`${name}: ${n} must be an integer >= ${min}, got ${String(v)}`);
    }
    if (typeof dropout !== 'number' || !(dropout >= 0 && dropout <= 1)) {
      throw new RangeError(`${name}: dropout should be a number in range [0, 1] representing the probability of an element being zeroed, got ${String(dropout)}`);
    }
    this.mode = mode;
    this.inputSize = inputSize;
    this.hiddenSize = hiddenSize;
    this.numLayers = numLayers;
    this.bias = options.bias ?? true;
    this.batchFirst = options.batchFirst ?? false;
    this.dropout = dropout;
    this.bidirectional = options.bidirectional ?? false;
    const gate = GATES[mode] * hiddenSize;
    const D = this.numDirections;
    for (let layer = 0; layer < numLayers; layer++) {
      const layerInput = layer === 0 ? inputSize : hiddenSize * D;
      for (let dir = 0; dir < D; dir++) {
        const sfx = `_l${layer}${dir === 1 ? '_reverse' : ''}`;
        const cell: Cell = {
          wIh: newParameter([gate, layerInput]),
          wHh: newParameter([gate, hiddenSize]),
          bIh: this.bias ? newParameter([gate]) : null,
          bHh: this.bias ? newParameter([gate]) : null,
        };
        this.registerParameter(`weight_ih${sfx}`, cell.wIh);
        this.registerParameter(`weight_hh${sfx}`, cell.wHh);
        if (cell.bIh && cell.bHh) {
          this.registerParameter(`bias_ih${sfx}`, cell.bIh);
          this.registerParameter(`bias_hh${sfx}`, cell.bHh);
        }
        this.#cells.push(cell);
      }
    }
    this.resetParameters();
  }

  /** D: 2 when `bidirectional`, else 1. */
  get numDirections(): number {
    return this.bidirectional ? 2 : 1;
  }

  /** PyTorch's init: every weight and bias U(-1/sqrt(hiddenSize), 1/sqrt(hiddenSize)). */
  resetParameters(): void {
    const k = 1 / Math.sqrt(this.hiddenSize);
    for (const p of this.parameters()) uniform_(p, -k, k);
  }

  /** The class name as PyTorch's error messages print it. */
  protected get label(): string {
    return this.mode.startsWith('RNN') ? 'RNN' : this.mode;
  }

  /** Checks the input and a state, and returns `[batched, batchSize]`. */
  protected checkInput(input: Tensor): [boolean, number] {
    if (!(input instanceof T.Tensor)) throw new TypeError(`${this.label}: expected input to be a Tensor`);
    if (input.ndim !== 2 && input.ndim !== 3) {
      throw new RangeError(`${this.label}: Expected input to be 2D (unbatched) or 3D (batched), got ${input.ndim}D input of shape ${shapeStr(input.shape)}`);
    }
    if (input.dtype !== 'float32') throw new TypeError(`${this.label}: expected input of dtype float32, got ${input.dtype}`);
    if (input.shape[input.ndim - 1] !== this.inputSize) {
      throw new RangeError(`${this.label}: input.size(-1) must be equal to inputSize. Expected ${this.inputSize}, got ${input.shape[input.ndim - 1]} (input shape ${shapeStr(input.shape)})`);
    }
    const batched = input.ndim === 3;
    return [batched, batched ? input.shape[this.batchFirst ? 0 : 1]! : 1];
  }

  /** Throws (TypeError or RangeError, naming `what`) unless `state` is `(L*D, N, H)`, or `(L*D, H)` for unbatched input. */
  protected checkState(state: Tensor, what: string, batched: boolean, batch: number): void {
    if (!(state instanceof T.Tensor)) throw new TypeError(`${this.label}: expected ${what} to be a Tensor`);
    const L = this.numLayers * this.numDirections;
    const expected = batched ? [L, batch, this.hiddenSize] : [L, this.hiddenSize];
    if (state.ndim !== expected.length || state.shape.some((s, i) => s !== expected[i])) {
      throw new RangeError(
        `${this.label}: Expected ${what} of shape ${shapeStr(expected)} (numLayers*numDirections, ${batched ? 'batch, ' : ''}hiddenSize) for ${batched ? 'a batched' : 'an unbatched'} input, got ${shapeStr(state.shape)}`,
      );
    }
    if (state.dtype !== 'float32') throw new TypeError(`${this.label}: expected ${what} of dtype float32, got ${state.dtype}`);
  }

  /**
   * Runs every layer and direction. `h0`/`c0` are `(L*D, N, H)` (batched) or null (zeros).
   * Returns `[output (T, N, D*H) or batch-first, h_n, c_n (LSTM) | null]`, unbatched when the
   * input was 2-D.
   */
  protected run(input: Tensor, h0: Tensor | null, c0: Tensor | null): [Tensor, Tensor, Tensor | null] {
    const [batched, N] = this.checkInput(input);
    if (h0) this.checkState(h0, 'h0', batched, N);
    if (c0) this.checkState(c0, 'c0', batched, N);
    const H = this.hiddenSize, D = this.numDirections, L = this.numLayers;
    const lstm = this.mode === 'LSTM';
    return T.tidy(() => {
      // Work sequence-first and batched: x (T, N, I), states (L*D, N, H).
      let x = batched ? (this.batchFirst ? input.transpose(0, 1) : input) : input.unsqueeze(1);
      const hInit = h0 ? (batched ? h0 : h0.unsqueeze(1)) : null;
      const cInit = c0 ? (batched ? c0 : c0.unsqueeze(1)) : null;
      const zeros = hInit && (!lstm || cInit) ? null : T.zeros([N, H], { backend: input.backend });
      const hN: Tensor[] = [];
      const cN: Tensor[] = [];
      for (let layer = 0; layer < L; layer++) {
        const outs: Tensor[] = [];
        for (let dir = 0; dir < D; dir++) {
          const idx = layer * D + dir;
          const h = hInit ? hInit.select(0, idx) : zeros!;
          const c = lstm ? (cInit ? cInit.select(0, idx) : zeros!) : null;
          const [out, hLast, cLast] = this.#direction(x, this.#cells[idx]!, dir === 1, h, c);
          outs.push(out);
          hN.push(hLast);
          if (cLast) cN.push(cLast);
        }
        x = D === 1 ? outs[0]! : T.cat(outs, 2);
        if (this.dropout > 0 && this.training && layer < L - 1) x = T.dropout(x, { p: this.dropout, training: true });
      }
      let output = x;
      let hOut = T.stack(hN, 0);
      let cOut = lstm ? T.stack(cN, 0) : null;
      if (!batched) {
        output = output.squeeze(1);
        hOut = hOut.squeeze(1);
        cOut = cOut ? cOut.squeeze(1) : null;
      } else if (this.batchFirst) output = output.transpose(0, 1);
      return [output, hOut, cOut] as [Tensor, Tensor, Tensor | null];
    });
  }

  /** One direction of one layer over x (T, N, In): returns `[outputs (T, N, H), h_T, c_T]`. */
  #direction(x: Tensor, cell: Cell, reverse: boolean, h0: Tensor, c0: Tensor | null): [Tensor, Tensor, Tensor | null] {
    const steps = x.shape[0]!;
    // The input projections of all time steps in one matmul: (T, N, G*H).
    const xp = T.linear(x, cell.wIh, cell.bIh);
    const outs: Tensor[] = new Array<Tensor>(steps);
    let h = h0;
    let c = c0;
    for (let s = 0; s < steps; s++) {
      const t = reverse ? steps - 1 - s : s;
      const next: Tensor[] = T.tidy(() => this.#step(xp.select(0, t), h, c, cell));
      h = next[0]!;
      c = next[1] ?? null;
      outs[t] = h;
    }
    return [T.stack(outs, 0), h, c];
  }

  /** One time step, given the input projection `xt` (N, G*H): the new `[h]` or `[h, c]`. */
  #step(xt: Tensor, h: Tensor, c: Tensor | null, cell: Cell): Tensor[] {
    const hp = T.linear(h, cell.wHh, cell.bHh); // (N, G*H)
    switch (this.mode) {
      case 'RNN_TANH':
        return [xt.add(hp).tanh()];
      case 'RNN_RELU':
        return [xt.add(hp).relu()];
      case 'LSTM': {
        // Gate rows (i, f, g, o).
        const [i, f, g, o] = T.chunk(xt.add(hp), 4, 1) as [Tensor, Tensor, Tensor, Tensor];
        const c2 = f.sigmoid().mul(c!).add(i.sigmoid().mul(g.tanh()));
        return [o.sigmoid().mul(c2.tanh()), c2];
      }
      case 'GRU': {
        // Gate rows (r, z, n); the hidden bias of n stays inside r * (W_hn h + b_hn).
        const [xr, xz, xn] = T.chunk(xt, 3, 1) as [Tensor, Tensor, Tensor];
        const [hr, hz, hn] = T.chunk(hp, 3, 1) as [Tensor, Tensor, Tensor];
        const r = xr.add(hr).sigmoid();
        const z = xz.add(hz).sigmoid();
        const n = xn.add(r.mul(hn)).tanh();
        // h' = (1 - z) * n + z * h = n + z * (h - n)
        return [n.add(z.mul(h.sub(n)))];
      }
    }
  }

  override extraRepr(): string {
    const parts = [`${this.inputSize}, ${this.hiddenSize}`];
    if (this.numLayers !== 1) parts.push(`num_layers=${this.numLayers}`);
    if (!this.bias) parts.push('bias=False');
    if (this.batchFirst) parts.push('batch_first=True');
    if (this.dropout) parts.push(`dropout=${this.dropout}`);
    if (this.bidirectional) parts.push('bidirectional=True');
    return parts.join(', ');
  }
}

/**
 * Elman RNN: `h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh)` (or relu).
 *
 * `forward(input, h0?)` with `input` `(T, N, inputSize)` (`(N, T, inputSize)` with `batchFirst`,
 * or unbatched `(T, inputSize)`) and `h0` `(numLayers*numDirections, N, hiddenSize)` (zeros when
 * omitted) returns `[output, hN]`: `output` `(T, N, numDirections*hiddenSize)` and `hN` like `h0`.
 *
 * @example
 * ```ts
 * const rnn = new nn.RNN(10, 20, { numLayers: 2, nonlinearity: 'tanh' });
 * const input = torch.randn([5, 3, 10]);   // (T, N, inputSize)
 * const [output, hN] = rnn.forward(input);
 * console.log(output.shape, hN.shape);     // [5, 3, 20] [2, 3, 20]
 * ```
 */
export class RNN extends RNNBase {
  /** The activation of the recurrence. Default `'tanh'`, as in PyTorch. */
  readonly nonlinearity: 'tanh' | 'relu';

  /** PyTorch's `RNN(input_size, hidden_size, num_layers, nonlinearity, bias, batch_first, dropout, bidirectional)`, positionally and/or as options. */
  constructor(inputSize: number, hiddenSize: number, ...args: T.PosArgs<RNNOptions, ['numLayers', 'nonlinearity', 'bias', 'batchFirst', 'dropout', 'bidirectional']>) {
    const options = T.parseArgs('RNN', args, ['numLayers', 'nonlinearity', 'bias', 'batchFirst', 'dropout', 'bidirectional']) as RNNOptions;
    const nonlinearity = options.nonlinearity ?? 'tanh';
    if (nonlinearity !== 'tanh' && nonlinearity !== 'relu') throw new RangeError(`RNN: Unknown nonlinearity '${String(nonlinearity)}'. Select from 'tanh' or 'relu'.`);
    super(nonlinearity === 'tanh' ? 'RNN_TANH' : 'RNN_RELU', inputSize, hiddenSize, options);
    this.nonlinearity = nonlinearity;
  }

  /**
   * `input: (T, N, inputSize)` (`(N, T, inputSize)` with `batchFirst`, or unbatched `(T, inputSize)`),
   * `h0: (L*D, N, hiddenSize)` or omitted (zeros) `-> [output (T, N, D*hiddenSize), hN (L*D, N, hiddenSize)]`.
   * Throws a RangeError or TypeError for a wrong shape or dtype.
   */
  forward(input: Tensor, h0?: Tensor | null): [Tensor, Tensor] {
    const [out, h] = this.run(input, h0 ?? null, null);
    return [out, h];
  }

  override extraRepr(): string {
    return super.extraRepr() + (this.nonlinearity === 'relu' ? ", nonlinearity='relu'" : '');
  }
}

/**
 * Long short-term memory, gate rows `(i, f, g, o)` as in PyTorch:
 * `c' = sigmoid(f) * c + sigmoid(i) * tanh(g)`, `h' = sigmoid(o) * tanh(c')`.
 *
 * PyTorch's `lstm(input, (h0, c0))` is `lstm.forward(input, [h0, c0])` or, equally,
 * `lstm.forward(input, h0, c0)`; give both states or neither (zeros). Returns
 * `[output, hN, cN]` (PyTorch's `output, (h_n, c_n)` flattened).
 *
 * @example
 * ```ts
 * const lstm = new nn.LSTM(28, 64, { batchFirst: true });
 * const x = torch.randn([8, 28, 28]);      // (N, T, inputSize)
 * const [out, hN, cN] = lstm.forward(x);  // PyTorch: out, (h_n, c_n) = lstm(x)
 * console.log(out.shape, hN.shape, cN.shape);   // [8, 28, 64] [1, 8, 64] [1, 8, 64]
 * ```
 */
export class LSTM extends RNNBase {
  /** PyTorch's `LSTM(input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional)`, positionally and/or as options. */
  constructor(inputSize: number, hiddenSize: number, ...args: T.PosArgs<LSTMOptions, typeof RNN_ARGS>) {
    const options = T.parseArgs('LSTM', args, RNN_ARGS) as LSTMOptions;
    super('LSTM', inputSize, hiddenSize, options);
  }

  /**
   * `input: (T, N, inputSize)` (`(N, T, inputSize)` with `batchFirst`, or unbatched `(T, inputSize)`), `h0`, `c0`:
   * `(L*D, N, hiddenSize)`, both or neither (zeros) `-> [output (T, N, D*hiddenSize), hN, cN]`, `hN` and `cN` like `h0`.
   * Throws a RangeError or TypeError for a wrong shape or dtype, or for only one of the states.
   */
  forward(input: Tensor, hx?: Tensor | readonly [Tensor, Tensor] | null, c0?: Tensor | null): [Tensor, Tensor, Tensor] {
    let h: Tensor | null = null;
    let c: Tensor | null = c0 ?? null;
    if (Array.isArray(hx)) {
      if (hx.length !== 2) throw new RangeError(`LSTM: expected hx to be a pair [h0, c0], got ${hx.length} tensors`);
      if (c) throw new TypeError('LSTM: pass the states either as hx = [h0, c0] or as (h0, c0), not both');
      [h, c] = hx as [Tensor, Tensor];
    } else h = (hx as Tensor | null | undefined) ?? null;
    if ((h === null) !== (c === null)) throw new TypeError(`LSTM: give both h0 and c0 or neither (got only ${h ? 'h0' : 'c0'})`);
    const [out, hN, cN] = this.run(input, h, c);
    return [out, hN, cN!];
  }
}

/**
 * Gated recurrent unit, gate rows `(r, z, n)` as in PyTorch:
 * `n = tanh(W_in x + b_in + r * (W_hn h + b_hn))`, `h' = (1 - z) * n + z * h`.
 * `forward(input, h0?)` returns `[output, hN]` like {@link RNN}.
 *
 * @example
 * ```ts
 * const gru = new nn.GRU(10, 20);
 * const [out, hN] = gru.forward(torch.randn([5, 3, 10]));
 * console.log(out.shape, hN.shape);   // [5, 3, 20] [1, 3, 20]
 * ```
 */
export class GRU extends RNNBase {
  /** PyTorch's `GRU(input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional)`, positionally and/or as options. */
  constructor(inputSize: number, hiddenSize: number, ...args: T.PosArgs<GRUOptions, typeof RNN_ARGS>) {
    const options = T.parseArgs('GRU', args, RNN_ARGS) as GRUOptions;
    super('GRU', inputSize, hiddenSize, options);
  }

  /**
   * `input: (T, N, inputSize)` (`(N, T, inputSize)` with `batchFirst`, or unbatched `(T, inputSize)`),
   * `h0: (L*D, N, hiddenSize)` or omitted (zeros) `-> [output (T, N, D*hiddenSize), hN (L*D, N, hiddenSize)]`.
   * Throws a RangeError or TypeError for a wrong shape or dtype.
   */
  forward(input: Tensor, h0?: Tensor | null): [Tensor, Tensor] {
    const [out, h] = this.run(input, h0 ?? null, null);
    return [out, h];
  }
}
