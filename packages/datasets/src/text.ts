/** Word-level text processing for IMDB-style data: tokenize, Vocabulary, padding. */
import { MAX_BYTES } from './errors.ts';

/**
 * Lowercases, turns HTML line breaks (`<br />`, as in aclImdb reviews) into spaces, and splits on
 * anything that is not a letter or an apostrophe; tokens made only of apostrophes are dropped.
 * Letters are Unicode letters (`\p{L}`), so accented words stay whole.
 *
 * @example
 * ```ts
 * import { tokenize } from '@torchlet/datasets';
 * console.log(tokenize("It's GREAT!"));   // lower case, punctuation dropped: ["it's", 'great']
 * ```
 */
export function tokenize(text: string): string[] {
  const words = text.toLowerCase().replace(/<br\s*\/?>/g, ' ').split(/[^\p{L}']+/u);
  const out: string[] = [];
  for (const w of words) {
    const t = w.replace(/^'+|'+$/g, '');
    if (t.length > 0) out.push(t);
  }
  return out;
}

/** Options of {@link Vocabulary.build}. */
export interface VocabularyOptions {
  /** Largest vocabulary, specials included. Default: no limit. */
  maxSize?: number;
  /** Keep words seen at least this often. Default 1. */
  minFreq?: number;
  /** Tokens placed first, in order. Default ['<pad>', '<unk>'] (so pad is 0, unk is 1). */
  specials?: readonly string[];
  /** The tokenizer for string inputs. Default {@link tokenize}. */
  tokenizer?: (text: string) => string[];
}

/**
 * The longest sequence `padSequence`, `Vocabulary.encode` and `loadIMDB`'s `maxLen` accept:
 * 2^26 tokens, far past any text, and below the ~2^27 elements where a V8 array aborts the
 * process (heap out of memory) instead of throwing.
 */
export const MAX_SEQUENCE_LENGTH = 2 ** 26;

/** How {@link Vocabulary.encode} fits a sequence to a length. */
export interface PadOptions {
  /** The target length: longer sequences are truncated, shorter ones padded. */
  length: number;
  /** Which end to cut when too long. Default 'end' (keep the beginning). */
  truncate?: 'start' | 'end';
  /** Which end to pad when too short. Default 'end'. */
  pad?: 'start' | 'end';
  /** The padding id. Default the vocabulary's pad id (0), or 0. */
  padId?: number;
}

/**
 * Truncates or pads `ids` to `options.length`.
 *
 * @example
 * ```ts
 * import { padSequence } from '@torchlet/datasets';
 * console.log(padSequence([5, 6, 7], { length: 5, padId: 0 }));   // [5, 6, 7, 0, 0]
 * console.log(padSequence([5, 6, 7], { length: 2, truncate: 'start' }));   // [6, 7]
 * ```
 */
export function padSequence(ids: readonly number[], options: PadOptions): number[] {
  const { length, truncate = 'end', pad = 'end', padId = 0 } = options;
  if (!Number.isInteger(length) || length < 0) throw new RangeError(`padSequence: length must be a non-negative integer, got ${length}`);
  if (length > MAX_SEQUENCE_LENGTH) throw new RangeError(`padSequence: length ${length} is more than the limit of ${MAX_SEQUENCE_LENGTH} tokens (MAX_SEQUENCE_LENGTH)`);
  if (ids.length >= length) return truncate === 'end' ? ids.slice(0, length) : ids.slice(ids.length - length);
  const fill = new Array<number>(length - ids.length).fill(padId);
  return pad === 'end' ? [...ids, ...fill] : [...fill, ...ids];
}

/** A vocabulary as plain data (`Vocabulary.toJSON`), to store next to a model. */
export interface VocabularyJSON {
  /** The tokens by id. */
  itos: string[];
  /** The special tokens (`<pad>`, `<unk>`, ...) among them; optional when reading. */
  specials?: string[];
}

/**
 * A word <-> id table. Ids are the specials first (in order), then words by descending frequency,
 * ties broken alphabetically (so a build is deterministic).
 *
 * @example
 * ```ts
 * import { Vocabulary } from '@torchlet/datasets';
 * const vocab = Vocabulary.build(['the cat sat', 'the dog sat'], { specials: ['<pad>', '<unk>'] });
 * console.log(vocab.encode('the cat ran', { length: 5 }));   // ids, padded with <pad>; 'ran' is <unk>
 * ```
 */
export class Vocabulary {
  /** The tokens by id (PyTorch/torchtext's `itos`): `itos[id]` is the token of `id`. */
  readonly itos: readonly string[];
  private readonly stoi: Map<string, number>;
  /**
   * The special tokens (by default whichever of '<pad>' and '<unk>' the table holds), skipped by
   * `decode` unless asked.
   */
  readonly specials: readonly string[];
  private readonly tokenizer: (text: string) => string[];

  constructor(tokens: readonly string[], options: { specials?: readonly string[]; tokenizer?: (text: string) => string[] } = {}) {
    this.itos = [...tokens];
    this.stoi = new Map();
    this.itos.forEach((t, i) => {
      if (this.stoi.has(t)) throw new RangeError(`Vocabulary: token ${JSON.stringify(t)} appears twice (ids ${this.stoi.get(t)} and ${i})`);
      this.stoi.set(t, i);
    });
    this.specials = options.specials ?? ['<pad>', '<unk>'].filter((s) => this.stoi.has(s));
    this.tokenizer = options.tokenizer ?? tokenize;
  }

  /** Counts words in `texts` (strings, tokenized with `tokenizer`, or token arrays) and builds the table. */
  static build(texts: Iterable<string | readonly string[]>, options: VocabularyOptions = {}): Vocabulary {
    const { maxSize = Infinity, minFreq = 1, specials = ['<pad>', '<unk>'], tokenizer = tokenize } = options;
    if (!(maxSize >= specials.length)) throw new RangeError(`Vocabulary.build: maxSize (${maxSize}) must leave room for the ${specials.length} specials`);
    const counts = new Map<string, number>();
    for (const text of texts) {
      for (const t of typeof text === 'string' ? tokenizer(text) : text) counts.set(t, (counts.get(t) ?? 0) + 1);
    }
    const special = new Set(specials);
    const words = [...counts].filter(([w, c]) => c >= minFreq && !special.has(w));
    words.sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    const keep = words.slice(0, Math.max(0, maxSize - specials.length)).map(([w]) => w);
    return new Vocabulary([...specials, ...keep], { specials, tokenizer });
  }

  /** The number of tokens, specials included: ids are `0..size - 1`. */
  get size(): number {
    return this.itos.length;
  }

  /** The id of '<pad>', or undefined when there is none. */
  get padId(): number | undefined {
    return this.stoi.get('<pad>');
  }

  /** The id of '<unk>', or undefined when there is none. */
  get unkId(): number | undefined {
    return this.stoi.get('<unk>');
  }

  /** Whether `token` has an id of its own (is not mapped to '<unk>'). */
  has(token: string): boolean {
    return this.stoi.has(token);
  }

  /** The id of `token`; unknown tokens map to '<unk>' (an error when there is no '<unk>'). */
  id(token: string): number {
    const i = this.stoi.get(token);
    if (i !== undefined) return i;
    const u = this.unkId;
    if (u === undefined) throw new RangeError(`Vocabulary: unknown token ${JSON.stringify(token)} and no '<unk>' special`);
    return u;
  }

  /** The token of `id`. */
  token(id: number): string {
    const t = this.itos[id];
    if (t === undefined) throw new RangeError(`Vocabulary: id ${id} is out of range 0 to ${this.itos.length - 1}`);
    return t;
  }

  /** Ids of a text (tokenized) or a token list, fitted to a length when `pad` is given. */
  encode(text: string | readonly string[], pad?: PadOptions): number[] {
    const tokens = typeof text === 'string' ? this.tokenizer(text) : text;
    const ids = tokens.map((t) => this.id(t));
    return pad ? padSequence(ids, { padId: this.padId ?? 0, ...pad }) : ids;
  }

  /**
   * Encodes many texts to one row-major Int32Array [texts.length, length], ready for
   * `fromArray(ids, [n, length], { dtype: 'int32' })`.
   */
  encodeBatch(texts: readonly (string | readonly string[])[], pad: PadOptions): Int32Array {
    if (texts.length * pad.length * 4 > MAX_BYTES) {
      throw new RangeError(`Vocabulary.encodeBatch: ${texts.length} texts of length ${pad.length} need ${texts.length * pad.length * 4} bytes of ids, more than the ${MAX_BYTES}-byte limit`);
    }
    const out = new Int32Array(texts.length * pad.length);
    texts.forEach((t, i) => out.set(this.encode(t, pad), i * pad.length));
    return out;
  }

  /** Tokens of `ids` joined by spaces; padding is skipped unless `keepPad`. */
  decode(ids: Iterable<number>, options: { keepPad?: boolean } = {}): string {
    const pad = this.padId;
    const out: string[] = [];
    for (const i of ids) if (options.keepPad || i !== pad) out.push(this.token(i));
    return out.join(' ');
  }

  /** The table as JSON-able data (the token list), to save with a model. */
  toJSON(): VocabularyJSON {
    return { itos: [...this.itos], specials: [...this.specials] };
  }

  /**
   * The table saved by `toJSON`, with the same ids. Uses the default tokenizer; the constructor throws
   * a RangeError on a repeated token.
   */
  static fromJSON(data: VocabularyJSON): Vocabulary {
    return new Vocabulary(data.itos, data.specials ? { specials: data.specials } : {});
  }
}
