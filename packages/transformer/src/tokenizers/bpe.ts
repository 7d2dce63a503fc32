/**
 * Byte-level byte-pair encoding, as GPT-2 (Radford et al. 2019, section 2.2; OpenAI's
 * `gpt-2/src/encoder.py`): text is split by a regex into words, each word's UTF-8 bytes are
 * spelled with printable stand-in characters (`bytesToUnicode`), and learned merges join
 * adjacent symbols in rank order. Every byte is in the base vocabulary, so any text encodes and
 * `decode(encode(text)) === text`.
 *
 * Loads GPT-2's own `vocab.json` + `merges.txt`, and trains new merges from a text.
 */

/**
 * GPT-2's pre-tokenisation pattern (`encoder.py`): English contractions, runs of letters, of
 * digits, of other symbols (each with one optional leading space), and whitespace.
 */
export const GPT2_PATTERN = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;

let byteTables: { encoder: string[]; decoder: Map<string, number>; order: number[] } | null = null;

/** GPT-2's reversible map between bytes and printable characters. */
export interface ByteUnicodeTable {
  /** The character standing for each byte value 0-255. */
  encoder: readonly string[];
  /** The byte each of those characters stands for. */
  decoder: ReadonlyMap<string, number>;
  /** The byte values in GPT-2's order (printable ones first), as its table lists them. */
  order: readonly number[];
}

/**
 * GPT-2's `bytes_to_unicode()`: each byte 0..255 as one printable character. Printable Latin-1
 * bytes stand for themselves; the others (controls, space, ...) map to U+0100 upwards in order
 * (space becomes `Ġ`, newline `Ċ`). `order` is the bytes in GPT-2's listing, the ids of the base
 * tokens in its `vocab.json`.
 *
 * @example
 * ```ts
 * const table = torch.transformer.bytesToUnicode();   // GPT-2's byte <-> printable character map
 * console.log(table.encoder[32]);   // 'Ġ': how GPT-2 vocabularies spell a space
 * ```
 */
export function bytesToUnicode(): ByteUnicodeTable {
  if (byteTables) return byteTables;
  const bs: number[] = [];
  for (let b = 33; b <= 126; b++) bs.push(b); // '!'..'~'
  for (let b = 161; b <= 172; b++) bs.push(b); // '¡'..'¬'
  for (let b = 174; b <= 255; b++) bs.push(b); // '®'..'ÿ'
  const cs = [...bs];
  let n = 0;
  for (let b = 0; b < 256; b++) {
    if (!bs.includes(b)) {
      bs.push(b);
      cs.push(256 + n++);
    }
  }
  const encoder = new Array<string>(256);
  bs.forEach((b, i) => (encoder[b] = String.fromCodePoint(cs[i]!)));
  byteTables = { encoder, decoder: new Map(encoder.map((c, b) => [c, b])), order: bs };
  return byteTables;
}

/** Options of the `BPETokenizer` constructor and `fromGPT2Files`. */
export interface BPETokenizerOptions {
  /** Tokens matched verbatim before pre-tokenisation (e.g. GPT-2's `<|endoftext|>`); they must be in the vocabulary. */
  specialTokens?: readonly string[];
}

/** Options of `BPETokenizer.train`; special tokens not in the trained vocabulary are appended to it. */
export interface BPETrainOptions extends BPETokenizerOptions {
  /** Merges need a pair seen at least this often (default 2). */
  minFrequency?: number;
}

const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');


/** The largest token id: ids are int32 tensor values. */
const MAX_TOKEN_ID = 2 ** 31 - 1;
/** The word cache's bounds: entries, characters per word, characters in all. */
const CACHE_ENTRIES = 100_000, CACHE_WORD_CHARS = 256, CACHE_CHARS = 4_000_000;

/** Special tokens must be non-empty strings (an empty one splits the text at every position). */
function checkSpecials(op: string, specials: readonly unknown[]): void {
  for (const s of specials) {
    if (typeof s !== 'string' || s.length === 0) throw new TypeError(`${op}: a special token must be a non-empty string, got ${JSON.stringify(s)}`);
  }
}

/**
 * A byte-level BPE tokenizer. `vocab` maps token strings (in the byte-to-unicode spelling) to
 * ids; `merges` lists the pairs in rank order (first merged first).
 *
 * @example
 * ```ts
 * const tok = torch.transformer.BPETokenizer.train('low lower lowest newer newest', 300);
 * const ids = tok.encode('lowest');
 * console.log(tok.decode(ids));   // 'lowest' (byte-level: any text round-trips)
 * ```
 */
export class BPETokenizer {
  /**
   * Token string (byte-to-unicode spelling) to id; holds all 256 byte tokens and the special tokens. A
   * copy of the one given.
   */
  readonly vocab: ReadonlyMap<string, number>;
  /** The learned merges as symbol pairs, in rank order (first merged first). */
  readonly merges: ReadonlyArray<readonly [string, string]>;
  /** Tokens matched verbatim in `encode` (longest first) and never split; each is in `vocab`. */
  readonly specialTokens: readonly string[];
  readonly #tokens: string[] = [];
  readonly #ranks = new Map<string, number>();
  readonly #cache = new Map<string, number[]>();
  #cacheChars = 0;
  readonly #special: RegExp | null;

  constructor(vocab: ReadonlyMap<string, number> | Readonly<Record<string, number>>, merges: ReadonlyArray<readonly [string, string]>, options: BPETokenizerOptions = {}) {
    this.vocab = vocab instanceof Map ? new Map(vocab) : new Map(Object.entries(vocab));
    for (const [tok, id] of this.vocab) {
      // Ids become int32 tensor values (embedding rows), so 2^31 and past cannot be a token.
      if (!Number.isInteger(id) || id < 0 || id > MAX_TOKEN_ID) throw new RangeError(`BPETokenizer: the id of ${JSON.stringify(tok)} must be an integer from 0 to ${MAX_TOKEN_ID}, got ${String(id)}`);
      if (this.#tokens[id] !== undefined) throw new RangeError(`BPETokenizer: id ${id} is given to both ${JSON.stringify(this.#tokens[id])} and ${JSON.stringify(tok)}`);
      this.#tokens[id] = tok;
    }
    const { encoder } = bytesToUnicode();
    for (const c of encoder) if (!this.vocab.has(c)) throw new RangeError(`BPETokenizer: the vocabulary lacks the byte token ${JSON.stringify(c)}; a byte-level vocabulary holds all 256`);
    this.merges = merges.map(([a, b]) => [a, b] as const);
    this.merges.forEach(([a, b], i) => {
      if (!this.#ranks.has(`${a} ${b}`)) this.#ranks.set(`${a} ${b}`, i);
    });
    this.specialTokens = [...(options.specialTokens ?? [])];
    checkSpecials('BPETokenizer', this.specialTokens);
    for (const s of this.specialTokens) if (!this.vocab.has(s)) throw new RangeError(`BPETokenizer: the special token ${JSON.stringify(s)} is not in the vocabulary`);
    this.#special = this.specialTokens.length
      ? new RegExp(`(${[...this.specialTokens].sort((a, b) => b.length - a.length).map(escapeRegExp).join('|')})`, 'u')
      : null;
  }

  /**
   * Reads GPT-2's files: `vocab.json` (text or parsed object, token -> id) and `merges.txt` (a
   * `#version` line, then one `a b` pair per line in rank order). `<|endoftext|>` is a special
   * token when the vocabulary has it.
   */
  static fromGPT2Files(vocabJson: string | Readonly<Record<string, number>>, mergesTxt: string, options: BPETokenizerOptions = {}): BPETokenizer {
    const vocab = typeof vocabJson === 'string' ? (JSON.parse(vocabJson) as Record<string, number>) : vocabJson;
    const merges: Array<[string, string]> = [];
    for (const line of mergesTxt.split('\n')) {
      if (line.startsWith('#version') || line.trim() === '') continue;
      const parts = line.replace(/\r$/, '').split(' ');
      if (parts.length !== 2) throw new SyntaxError(`BPETokenizer: a merges.txt line must be two symbols separated by one space, got ${JSON.stringify(line)}`);
      merges.push([parts[0]!, parts[1]!]);
    }
    const specialTokens = options.specialTokens ?? ('<|endoftext|>' in vocab ? ['<|endoftext|>'] : []);
    return new BPETokenizer(vocab, merges, { specialTokens });
  }

  /**
   * Learns a byte-level BPE of `vocabSize` tokens from `text`: the 256 byte tokens (ids in
   * GPT-2's order), then merges, then the special tokens. Each merge joins the adjacent pair
   * seen most often across the pre-tokenised words; ties go to the pair whose symbols come
   * first in code-unit order (`a` then `b`), so training is deterministic. Stops early when no
   * pair is seen `minFrequency` times.
   */
  static train(text: string, vocabSize: number, options: BPETrainOptions = {}): BPETokenizer {
    const specials = [...(options.specialTokens ?? [])];
    checkSpecials('BPETokenizer.train', specials);
    const minFrequency = options.minFrequency ?? 2;
    if (!Number.isInteger(vocabSize) || vocabSize < 256 + specials.length) {
      throw new RangeError(`BPETokenizer.train: vocabSize must be an integer of at least 256 + the special tokens (${256 + specials.length}), got ${String(vocabSize)}`);
    }
    const { encoder, order } = bytesToUnicode();
    const vocab = new Map<string, number>(order.map((b, i) => [encoder[b]!, i]));
    // Distinct words with their counts, each a list of symbols.
    const counts = new Map<string, number>();
    const pieces = specials.length ? text.split(new RegExp(specials.map(escapeRegExp).join('|'), 'u')) : [text];
    for (const piece of pieces) for (const w of preTokenize(piece)) counts.set(w, (counts.get(w) ?? 0) + 1);
    const words = [...counts].map(([w, n]) => ({ symbols: toByteSymbols(w), n }));
    const merges: Array<[string, string]> = [];
    while (vocab.size + specials.length < vocabSize) {
      const pairs = new Map<string, number>();
      for (const { symbols, n } of words) {
        for (let i = 0; i + 1 < symbols.length; i++) {
          const key = `${symbols[i]} ${symbols[i + 1]}`; // symbols never contain ' ' (space is 'Ġ')
          pairs.set(key, (pairs.get(key) ?? 0) + n);
        }
      }
      let best: [string, string] | null = null, bestCount = 0;
      for (const [key, c] of pairs) {
        const [a, b] = key.split(' ') as [string, string];
        if (c > bestCount || (c === bestCount && best && (a < best[0] || (a === best[0] && b < best[1])))) {
          best = [a, b];
          bestCount = c;
        }
      }
      if (!best || bestCount < minFrequency) break;
      const [a, b] = best, joined = a + b;
      merges.push([a, b]);
      if (!vocab.has(joined)) vocab.set(joined, vocab.size);
      for (const w of words) w.symbols = mergePair(w.symbols, a, b);
    }
    for (const s of specials) if (!vocab.has(s)) vocab.set(s, vocab.size);
    return new BPETokenizer(vocab, merges, { specialTokens: specials });
  }

  /** One past the largest token id (the size of an embedding table for these ids). */
  get vocabSize(): number {
    return this.#tokens.length;
  }

  /** The token ids of `text`. Special tokens in the text become their ids. */
  encode(text: string): number[] {
    const out: number[] = [];
    const pieces = this.#special ? text.split(this.#special) : [text];
    pieces.forEach((piece, i) => {
      if (this.#special && i % 2 === 1) {
        out.push(this.vocab.get(piece)!);
        return;
      }
      for (const word of preTokenize(piece)) out.push(...this.#encodeWord(word));
    });
    return out;
  }

  /** The text of `ids` (the UTF-8 of the joined byte tokens; invalid sequences become U+FFFD). */
  decode(ids: Iterable<number>): string {
    const { decoder } = bytesToUnicode();
    const bytes: number[] = [];
    let out = '';
    const flush = (): void => {
      out += new TextDecoder().decode(new Uint8Array(bytes));
      bytes.length = 0;
    };
    for (const id of ids) {
      const tok = this.#tokens[id];
      if (tok === undefined) throw new RangeError(`BPETokenizer: no token ${id}`);
      if (this.specialTokens.includes(tok)) {
        flush();
        out += tok;
        continue;
      }
      for (const c of tok) {
        const b = decoder.get(c);
        if (b === undefined) throw new RangeError(`BPETokenizer: token ${id} (${JSON.stringify(tok)}) holds ${JSON.stringify(c)}, which stands for no byte`);
        bytes.push(b);
      }
    }
    flush();
    return out;
  }

  /** @internal Characters of words held in the encoding cache (bounded; for tests). */
  get cachedChars(): number {
    return this.#cacheChars;
  }

  /** The token string (byte-to-unicode spelling) of an id. */
  idToToken(id: number): string | undefined {
    return this.#tokens[id];
  }

  /** `vocab.json`'s text (token -> id). */
  toVocabJSON(): string {
    return JSON.stringify(Object.fromEntries(this.vocab));
  }

  /** `merges.txt`'s text, with GPT-2's `#version: 0.2` header. */
  toMergesTxt(): string {
    return ['#version: 0.2', ...this.merges.map(([a, b]) => `${a} ${b}`)].join('\n') + '\n';
  }

  /** GPT-2's `bpe()`: merge the lowest-ranked adjacent pair until none has a rank, then look the symbols up. */
  #encodeWord(word: string): number[] {
    const hit = this.#cache.get(word);
    if (hit) return hit;
    let symbols = toByteSymbols(word);
    for (;;) {
      let bestRank = Infinity, best: [string, string] | null = null;
      for (let i = 0; i + 1 < symbols.length; i++) {
        const r = this.#ranks.get(`${symbols[i]} ${symbols[i + 1]}`);
        if (r !== undefined && r < bestRank) {
          bestRank = r;
          best = [symbols[i]!, symbols[i + 1]!];
        }
      }
      if (!best) break;
      symbols = mergePair(symbols, best[0], best[1]);
    }
    const ids = symbols.map((s) => {
      const id = this.vocab.get(s);
      if (id === undefined) throw new RangeError(`BPETokenizer: the merges produce ${JSON.stringify(s)}, which is not in the vocabulary`);
      return id;
    });
    // Bounded by entries and by characters: one long "word" (a megabyte without spaces) is not
    // kept, and the whole cache holds at most CACHE_CHARS characters of keys.
    if (this.#cache.size < CACHE_ENTRIES && word.length <= CACHE_WORD_CHARS && this.#cacheChars + word.length <= CACHE_CHARS) {
      this.#cache.set(word, ids);
      this.#cacheChars += word.length;
    }
    return ids;
  }
}

/**
 * The words of `text` by {@link GPT2_PATTERN}; joined they give `text` back.
 *
 * @example
 * ```ts
 * console.log(torch.transformer.preTokenize("Hello world, it's 2024"));
 * // ['Hello', ' world', ',', ' it', "'s", ' 2024'] (GPT-2's split before merging)
 * ```
 */
export function preTokenize(text: string): string[] {
  return text.match(GPT2_PATTERN) ?? [];
}

/** A word's UTF-8 bytes as byte-to-unicode symbols. */
function toByteSymbols(word: string): string[] {
  const { encoder } = bytesToUnicode();
  return Array.from(new TextEncoder().encode(word), (b) => encoder[b]!);
}

/** `symbols` with every non-overlapping adjacent `a b` (left to right) joined. */
function mergePair(symbols: string[], a: string, b: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < symbols.length; i++) {
    if (i + 1 < symbols.length && symbols[i] === a && symbols[i + 1] === b) {
      out.push(a + b);
      i++;
    } else out.push(symbols[i]!);
  }
  return out;
}
