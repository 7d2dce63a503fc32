/**
 * SentencePiece (Kudo & Richardson 2018) `.model` files — Llama 2's and Mistral's tokenizers
 * among them — read and applied as Google's implementation does: the protobuf is parsed (pieces
 * with scores and types, the trainer's model type and special ids, the normaliser's options);
 * text is normalised (identity rule: optional removal of extra spaces, a dummy-prefix space,
 * spaces escaped as U+2581 `▁`), then segmented by BPE (the highest-scoring adjacent pair whose
 * concatenation is a piece merges first, leftmost on ties) or unigram (Viterbi over the piece
 * scores); characters no piece covers become their UTF-8 bytes (`<0xXX>` pieces) with byte
 * fallback, or the unknown id. Decoding inverts it.
 *
 * Only the identity normalisation rule is implemented: a model with a precompiled character map
 * (`nmt_nfkc`, ...) is refused with an error naming it, rather than encoded differently.
 */
import { mergePairs } from './merge-pairs.ts';
import { fieldFloat, fieldText, readFields, type ProtoField } from './protobuf.ts';

/** SentencePiece's piece types (`ModelProto.SentencePiece.Type`). */
const NORMAL = 1, UNKNOWN = 2, CONTROL = 3, USER_DEFINED = 4, UNUSED = 5, BYTE = 6;
/** sentencepiece's penalty below the lowest piece score for an unknown character in unigram. */
const UNK_PENALTY = 10;

interface Piece {
  text: string;
  score: number;
  type: number;
}

/** The model's options read from the file. */
export interface SentencePieceSpec {
  /** `'bpe'` or `'unigram'` (the trainer's `model_type`). */
  modelType: 'bpe' | 'unigram';
  /** Characters without a piece become `<0xXX>` byte pieces rather than the unknown id. */
  byteFallback: boolean;
  /** Prepend a space before escaping (so the first word looks like the others). */
  addDummyPrefix: boolean;
  /** Strip leading/trailing spaces and collapse runs of spaces first. */
  removeExtraWhitespaces: boolean;
  /** The unknown piece's id. */
  unkId: number;
  /** The begin-of-sequence id (-1: none). */
  bosId: number;
  /** The end-of-sequence id (-1: none). */
  eosId: number;
  /** The padding id (-1: none). */
  padId: number;
}

const WS = '\u2581';
// One encoder/decoder for every call: byte fallback runs per unknown character.
const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder();

/**
 * A SentencePiece tokenizer from a `.model` file's bytes.
 *
 * @example
 * ```ts
 * // not run: needs a SentencePiece .model file
 * import { readFileSync } from 'node:fs';
 * import { SentencePieceTokenizer } from '@torchlet/transformer';
 * const sp = SentencePieceTokenizer.fromModel(new Uint8Array(readFileSync('tokenizer.model')));
 * const ids = sp.encode('Hello world'); // Llama 2: [15043, 3186]
 * sp.decode(ids);                      // 'Hello world'
 * ```
 */
export class SentencePieceTokenizer {
  /** Options read from the model file. */
  readonly spec: Readonly<SentencePieceSpec>;
  readonly #pieces: Piece[];
  readonly #ids = new Map<string, number>();
  readonly #bytes: Int32Array; // byte value -> id of its <0xXX> piece (-1: none)
  readonly #userDefined: string[]; // longest first
  readonly #maxPieceChars: number;
  readonly #minScore: number;
  readonly #maxScore: number;
  readonly #cache = new Map<string, number[]>();

  private constructor(pieces: Piece[], spec: SentencePieceSpec) {
    this.#pieces = pieces;
    this.spec = spec;
    this.#bytes = new Int32Array(256).fill(-1);
    let maxChars = 1, min = Infinity, max = -Infinity;
    pieces.forEach((p, id) => {
      if (!this.#ids.has(p.text)) this.#ids.set(p.text, id);
      if (p.type === BYTE) {
        const m = /^<0x([0-9A-F]{2})>$/.exec(p.text);
        if (!m) throw new RangeError(`SentencePiece model: byte piece ${id} is ${JSON.stringify(p.text)}, not <0xXX>`);
        this.#bytes[parseInt(m[1]!, 16)] = id;
      }
      if (p.type === NORMAL || p.type === USER_DEFINED || p.type === UNUSED) maxChars = Math.max(maxChars, [...p.text].length);
      if (p.type === NORMAL) {
        min = Math.min(min, p.score);
        max = Math.max(max, p.score);
      }
    });
    this.#maxPieceChars = maxChars;
    this.#minScore = Number.isFinite(min) ? min : 0;
    this.#maxScore = Number.isFinite(max) ? max : 0;
    this.#userDefined = pieces.filter((p) => p.type === USER_DEFINED).map((p) => p.text).sort((a, b) => b.length - a.length);
    for (const [what, id] of [['unk', spec.unkId], ['bos', spec.bosId], ['eos', spec.eosId], ['pad', spec.padId]] as const) {
      if (id >= pieces.length) throw new RangeError(`SentencePiece model: ${what}_id ${id} is outside the vocabulary of ${pieces.length}`);
    }
    if (spec.unkId < 0 || pieces[spec.unkId]!.type !== UNKNOWN) throw new RangeError(`SentencePiece model: unk_id ${spec.unkId} is not the unknown piece`);
    if (spec.byteFallback && this.#bytes.some((id) => id < 0)) throw new RangeError('SentencePiece model: byte_fallback is set but not all 256 <0xXX> pieces exist');
  }

  /**
   * Parses a `.model` file (a `ModelProto`). Throws a RangeError for a malformed file, and for
   * what this implementation does not do (a non-identity normalisation rule, whitespace as a
   * suffix, WORD/CHAR models), naming it.
   */
  static fromModel(bytes: Uint8Array): SentencePieceTokenizer {
    if (!(bytes instanceof Uint8Array)) throw new TypeError('SentencePieceTokenizer.fromModel: expected the .model file as a Uint8Array');
    const fields = readFields(bytes, 'SentencePiece model');
    const pieces: Piece[] = [];
    const spec: SentencePieceSpec = { modelType: 'unigram', byteFallback: false, addDummyPrefix: true, removeExtraWhitespaces: true, unkId: 0, bosId: 1, eosId: 2, padId: -1 };
    const bool = (f: ProtoField): boolean => f.value !== 0;
    for (const f of fields) {
      if (f.field === 1 && f.bytes) {
        const p: Piece = { text: '', score: 0, type: NORMAL };
        for (const g of readFields(f.bytes, `SentencePiece model: piece ${pieces.length}`)) {
          if (g.field === 1) p.text = fieldText(g, `SentencePiece model: piece ${pieces.length}`);
          else if (g.field === 2 && g.wireType === 5) p.score = fieldFloat(g);
          else if (g.field === 3 && g.wireType === 0) p.type = g.value;
        }
        if (p.type < NORMAL || p.type > BYTE) throw new RangeError(`SentencePiece model: piece ${pieces.length} has unknown type ${p.type}`);
        pieces.push(p);
      } else if (f.field === 2 && f.bytes) {
        for (const g of readFields(f.bytes, 'SentencePiece model: trainer_spec')) {
          if (g.wireType !== 0) continue;
          if (g.field === 3) {
            if (g.value !== 1 && g.value !== 2) throw new RangeError(`SentencePiece model: model_type ${g.value === 3 ? 'WORD' : g.value === 4 ? 'CHAR' : g.value} is not supported (BPE and unigram are)`);
            spec.modelType = g.value === 2 ? 'bpe' : 'unigram';
          } else if (g.field === 24 && bool(g)) throw new RangeError('SentencePiece model: treat_whitespace_as_suffix is not supported');
          else if (g.field === 35) spec.byteFallback = bool(g);
          else if (g.field === 40) spec.unkId = g.int32;
          else if (g.field === 41) spec.bosId = g.int32;
          else if (g.field === 42) spec.eosId = g.int32;
          else if (g.field === 43) spec.padId = g.int32;
        }
      } else if (f.field === 3 && f.bytes) {
        let name = '';
        for (const g of readFields(f.bytes, 'SentencePiece model: normalizer_spec')) {
          if (g.field === 1) name = fieldText(g, 'SentencePiece model: normalizer name');
          else if (g.field === 2 && g.bytes && g.bytes.length > 0) throw new RangeError(`SentencePiece model: the normaliser ${JSON.stringify(name || '(unnamed)')} uses a precompiled character map, which is not supported (only the identity rule is)`);
          else if (g.field === 3) spec.addDummyPrefix = bool(g);
          else if (g.field === 4) spec.removeExtraWhitespaces = bool(g);
          else if (g.field === 5 && !bool(g)) throw new RangeError('SentencePiece model: escape_whitespaces false is not supported');
        }
      }
    }
    if (pieces.length === 0) throw new RangeError('SentencePiece model: no pieces (is this a .model file?)');
    return new SentencePieceTokenizer(pieces, spec);
  }

  /** The number of pieces (ids are `0 .. vocabSize - 1`). */
  get vocabSize(): number {
    return this.#pieces.length;
  }

  /** The piece of `id` (`'▁Hello'`, `'<0x0A>'`, `'<s>'`). Throws a RangeError for an id outside the vocabulary. */
  idToPiece(id: number): string {
    const p = this.#pieces[id];
    if (!p) throw new RangeError(`SentencePieceTokenizer: id ${id} is outside the vocabulary of ${this.#pieces.length}`);
    return p.text;
  }

  /** The score of `id`'s piece (log probability for unigram, merge priority for BPE). */
  pieceScore(id: number): number {
    this.idToPiece(id);
    return this.#pieces[id]!.score;
  }

  /** The id of `piece`, or the unknown id when there is none. */
  pieceToId(piece: string): number {
    return this.#ids.get(piece) ?? this.spec.unkId;
  }

  /**
   * The ids of `text` (no BOS/EOS: add `spec.bosId` yourself, as Llama's tokenizer does with
   * `add_bos_token`). Equal to Google's `SentencePieceProcessor.encode(text)`.
   */
  encode(text: string): number[] {
    if (typeof text !== 'string') throw new TypeError(`SentencePieceTokenizer.encode: expected a string, got ${text === null ? 'null' : typeof text}`);
    const normalized = this.#normalize(text);
    if (normalized === '') return [];
    const out: number[] = [];
    if (this.spec.modelType === 'bpe') {
      // No piece has a '▁' after another character, so words (a run of '▁' then other
      // characters) segment independently: encode each once and reuse it.
      for (const word of normalized.match(/\u2581*[^\u2581]*/gu) ?? []) {
        if (word === '') continue;
        let ids = this.#cache.get(word);
        if (!ids) {
          ids = this.#toIds(this.#bpe(word));
          if (this.#cache.size < 100_000) this.#cache.set(word, ids);
        }
        for (const id of ids) out.push(id);
      }
    } else for (const id of this.#toIds(this.#unigram(normalized))) out.push(id);
    return this.#mergeUnknowns(out);
  }

  /** Text from ids: byte pieces joined into UTF-8 (invalid bytes as U+FFFD), control pieces dropped, the unknown piece as ' ⁇ ', `▁` as a space, the dummy prefix removed. */
  decode(ids: readonly number[]): string {
    if (!Array.isArray(ids)) throw new TypeError('SentencePieceTokenizer.decode: expected an array of ids');
    let text = '';
    let pending: number[] = [];
    const flush = (): void => {
      if (pending.length) text += utf8Decoder.decode(new Uint8Array(pending));
      pending = [];
    };
    for (const id of ids) {
      const p = this.#pieces[id];
      if (!Number.isInteger(id) || !p) throw new RangeError(`SentencePieceTokenizer.decode: id ${String(id)} is outside the vocabulary of ${this.#pieces.length}`);
      if (p.type === BYTE) {
        pending.push(parseInt(p.text.slice(3, 5), 16));
        continue;
      }
      flush();
      if (p.type === CONTROL) continue;
      text += p.type === UNKNOWN ? ' \u2047 ' : p.text;
    }
    flush();
    text = text.replaceAll(WS, ' ');
    return this.spec.addDummyPrefix && text.startsWith(' ') ? text.slice(1) : text;
  }

  /** The identity rule: extra spaces removed (when the model says so), a dummy prefix, spaces escaped. */
  #normalize(text: string): string {
    let t = text;
    if (this.spec.removeExtraWhitespaces) t = t.replace(/^ +| +$/g, '').replace(/ {2,}/g, ' ');
    if (t === '') return '';
    if (this.spec.addDummyPrefix) t = ` ${t}`;
    return t.replaceAll(' ', WS);
  }

  /** Splits into characters, user-defined pieces kept whole. */
  #chars(text: string): string[] {
    if (this.#userDefined.length === 0) return Array.from(text);
    const out: string[] = [];
    for (let i = 0; i < text.length; ) {
      const u = this.#userDefined.find((s) => text.startsWith(s, i));
      const c = u ?? String.fromCodePoint(text.codePointAt(i)!);
      out.push(c);
      i += c.length;
    }
    return out;
  }

  #mergeable(s: string): Piece | null {
    const id = this.#ids.get(s);
    if (id === undefined) return null;
    const p = this.#pieces[id]!;
    return p.type === NORMAL || p.type === USER_DEFINED || p.type === UNUSED ? p : null;
  }

  /** BPE over one word: the best-scoring mergeable adjacent pair first (leftmost on ties). */
  #bpe(word: string): string[] {
    const revMerge = new Map<string, [string, string]>();
    const merged = mergePairs(this.#chars(word), (l, r) => {
      const p = this.#mergeable(l + r);
      return p ? -p.score : undefined;
    }, (l, r) => {
      if (this.#pieces[this.#ids.get(l + r)!]!.type === UNUSED) revMerge.set(l + r, [l, r]);
    });
    return merged.flatMap((s) => this.#resegment(s, revMerge));
  }

  /** An unused piece splits back into the two symbols it was merged from (sentencepiece's resegment). */
  #resegment(s: string, revMerge: Map<string, [string, string]>): string[] {
    const id = this.#ids.get(s);
    const split = id !== undefined && this.#pieces[id]!.type === UNUSED ? revMerge.get(s) : undefined;
    return split ? [...this.#resegment(split[0], revMerge), ...this.#resegment(split[1], revMerge)] : [s];
  }

  /**
   * Unigram: the segmentation with the highest total piece score (Viterbi; the earlier start,
   * then the shorter piece, wins ties). The arithmetic is sentencepiece's: path scores are
   * stored as float32, a candidate (stored score + piece score) is compared in float64 before
   * it is stored (an unknown character's candidate in float32). On a long text the sums grow
   * large enough that any other rounding orders some near-equal paths differently.
   */
  #unigram(text: string): string[] {
    const chars = this.#chars(text);
    const n = chars.length;
    const best = new Float32Array(n + 1);
    const from = new Int32Array(n + 1).fill(-1);
    const unkScore = Math.fround(this.#minScore - UNK_PENALTY);
    for (let i = 0; i < n; i++) {
      const here = best[i]!;
      let piece = '', single = false;
      for (let len = 1; len <= this.#maxPieceChars && i + len <= n; len++) {
        piece += chars[i + len - 1]!;
        const id = this.#ids.get(piece);
        if (id === undefined) continue;
        const p = this.#pieces[id]!;
        if (p.type !== NORMAL && p.type !== USER_DEFINED) continue;
        if (len === 1) single = true;
        const candidate = (p.type === USER_DEFINED ? len * this.#maxScore - 0.1 : p.score) + here;
        if (from[i + len] === -1 || candidate > best[i + len]!) {
          best[i + len] = candidate;
          from[i + len] = i;
        }
      }
      if (!single) {
        const candidate = Math.fround(unkScore + here);
        if (from[i + 1] === -1 || candidate > best[i + 1]!) {
          best[i + 1] = candidate;
          from[i + 1] = i;
        }
      }
    }
    const out: string[] = [];
    for (let j = n; j > 0; j = from[j]!) out.push(chars.slice(from[j]!, j).join(''));
    return out.reverse();
  }

  /** Symbols to ids: a piece's id, else its UTF-8 bytes' pieces (byte fallback) or the unknown id. */
  #toIds(symbols: readonly string[]): number[] {
    const out: number[] = [];
    for (const s of symbols) {
      const id = this.#ids.get(s);
      const p = id === undefined ? undefined : this.#pieces[id]!;
      if (p && (p.type === NORMAL || p.type === USER_DEFINED)) out.push(id!);
      else if (this.spec.byteFallback) for (const b of utf8Encoder.encode(s)) out.push(this.#bytes[b]!);
      else out.push(this.spec.unkId);
    }
    return out;
  }

  /** sentencepiece merges a run of unknown ids into one when there is no byte fallback. */
  #mergeUnknowns(ids: number[]): number[] {
    if (this.spec.byteFallback) return ids;
    const unk = this.spec.unkId;
    return ids.filter((id, i) => id !== unk || ids[i - 1] !== unk);
  }
}
