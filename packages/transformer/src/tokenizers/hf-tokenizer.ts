/**
 * Hugging Face `tokenizer.json` files with a BPE model — GPT-2's and Llama 3's byte-level BPE,
 * Llama 2's and Mistral's BPE with byte fallback — applied as the `tokenizers` library applies
 * them: added tokens split out first, then normaliser, pre-tokeniser, BPE (lowest merge rank
 * first, leftmost on ties), byte fallback or the unknown token, the post-processor's template
 * (BOS), and on the way back the decoder chain.
 *
 * The components implemented are the ones those models use (listed in {@link HFTokenizer});
 * a file naming another throws an error that names it, rather than encoding differently.
 */
import { bytesToUnicode, GPT2_PATTERN } from './bpe.ts';
import { mergePairs } from './merge-pairs.ts';

type Json = Record<string, unknown>;

// One encoder/decoder each for every call: byte fallback and byte-level decoding run per token.
const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder();
const utf8Strict = new TextDecoder('utf-8', { fatal: true });

/** A Metaspace component's prepend scheme (`prepend_scheme`, or the older `add_prefix_space`). */
const metaspaceScheme = (o: Json): string => (o.prepend_scheme as string | undefined) ?? (o.add_prefix_space === false ? 'never' : 'always');
type Step = (words: string[]) => string[];

const fail = (msg: string): never => {
  throw new Error(`tokenizer.json: ${msg}`);
};
const obj = (v: unknown, what: string): Json => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : fail(`${what} must be an object`));
const str = (v: unknown, what: string): string => (typeof v === 'string' ? v : fail(`${what} must be a string`));

/**
 * A `{ String: s }` or `{ Regex: r }` pattern as a global RegExp. Oniguruma's inline
 * case-insensitive groups `(?i:...)` (Llama 3's pattern) become explicit `[aA]` classes, since
 * Node 20's RegExp has no modifiers.
 */
function pattern(p: unknown, what: string): RegExp {
  const o = obj(p, what);
  if (typeof o.String === 'string') return new RegExp(o.String.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'gu');
  if (typeof o.Regex !== 'string') return fail(`${what} must be { String } or { Regex }`);
  const src = o.Regex.replace(/\(\?i:([^()]*)\)/g, (_, body: string) => `(?:${body.replace(/[a-zA-Z]/g, (c) => `[${c.toLowerCase()}${c.toUpperCase()}]`)})`);
  try {
    return new RegExp(src, 'gu');
  } catch (e) {
    return fail(`${what}: the regex ${JSON.stringify(o.Regex)} is not supported here (${e instanceof Error ? e.message : String(e)})`);
  }
}

/** Splits `s` by `re` with the tokenizers library's `SplitDelimiterBehavior`. */
function split(s: string, re: RegExp, behavior: string, invert = false): string[] {
  const pieces: Array<[string, boolean]> = []; // [text, isMatch]
  let at = 0;
  for (const m of s.matchAll(re)) {
    if (m[0] === '') continue;
    if (m.index! > at) pieces.push([s.slice(at, m.index), false]);
    pieces.push([m[0], true]);
    at = m.index! + m[0].length;
  }
  if (at < s.length) pieces.push([s.slice(at), false]);
  if (invert) for (const p of pieces) p[1] = !p[1];
  const out: string[] = [];
  let carry = ''; // MergedWithNext: delimiters waiting for the next piece
  pieces.forEach(([text, isDelim], i) => {
    if (behavior === 'Removed') {
      if (!isDelim) out.push(text);
    } else if (behavior === 'Isolated') out.push(text);
    else if (behavior === 'MergedWithPrevious' && isDelim && out.length > 0) out[out.length - 1] += text;
    else if (behavior === 'MergedWithNext') {
      if (isDelim) carry += text;
      else {
        out.push(carry + text);
        carry = '';
      }
    } else if (behavior === 'Contiguous' && isDelim && i > 0 && pieces[i - 1]![1]) out[out.length - 1] += text;
    else if (behavior === 'MergedWithPrevious' || behavior === 'Contiguous') out.push(text);
    else fail(`split behavior ${behavior} is not supported`);
  });
  if (carry) out.push(carry);
  return out;
}

function normalizer(spec: unknown): (s: string) => string {
  if (spec === null || spec === undefined) return (s) => s;
  const o = obj(spec, 'normalizer');
  switch (o.type) {
    case 'Sequence': {
      const steps = (o.normalizers as unknown[]).map(normalizer);
      return (s) => steps.reduce((t, f) => f(t), s);
    }
    case 'Prepend': {
      const p = str(o.prepend, 'Prepend.prepend');
      return (s) => (s === '' ? s : p + s);
    }
    case 'Replace': {
      const re = pattern(o.pattern, 'Replace.pattern'), content = str(o.content, 'Replace.content');
      return (s) => s.replace(re, () => content);
    }
    case 'NFC': case 'NFD': case 'NFKC': case 'NFKD':
      return (s) => s.normalize(o.type as string);
    case 'Lowercase':
      return (s) => s.toLowerCase();
    case 'Strip':
      return (s) => {
        let t = s;
        if (o.strip_left !== false) t = t.trimStart();
        if (o.strip_right !== false) t = t.trimEnd();
        return t;
      };
    default:
      return fail(`normalizer type ${JSON.stringify(o.type)} is not supported (Sequence, Prepend, Replace, NFC, NFD, NFKC, NFKD, Lowercase, Strip are)`);
  }
}

function preTokenizer(spec: unknown): Step {
  if (spec === null || spec === undefined) return (w) => w;
  const o = obj(spec, 'pre_tokenizer');
  switch (o.type) {
    case 'Sequence': {
      const steps = (o.pretokenizers as unknown[]).map(preTokenizer);
      return (w) => steps.reduce((ws, f) => f(ws), w);
    }
    case 'ByteLevel': {
      const table = bytesToUnicode().encoder;
      const addPrefix = o.add_prefix_space === true, useRegex = o.use_regex !== false;
      return (words) => words.flatMap((w, i) => {
        const t = addPrefix && i === 0 && !w.startsWith(' ') ? ` ${w}` : w;
        return (useRegex ? t.match(GPT2_PATTERN) ?? [] : [t]).map((part) => Array.from(utf8Encoder.encode(part), (b) => table[b]!).join(''));
      });
    }
    case 'Split': {
      const re = pattern(o.pattern, 'Split.pattern'), behavior = str(o.behavior, 'Split.behavior');
      return (words) => words.flatMap((w) => split(w, re, behavior, o.invert === true));
    }
    case 'Metaspace': {
      const rep = str(o.replacement ?? '\u2581', 'Metaspace.replacement');
      const scheme = metaspaceScheme(o);
      return (words) => words.flatMap((w, i) => {
        let t = w.replaceAll(' ', rep);
        if ((scheme === 'always' || (scheme === 'first' && i === 0)) && !t.startsWith(rep)) t = rep + t;
        return o.split === false ? [t] : split(t, new RegExp(rep, 'gu'), 'MergedWithNext');
      });
    }
    case 'Whitespace':
      return (words) => words.flatMap((w) => w.match(/\w+|[^\w\s]+/gu) ?? []);
    case 'WhitespaceSplit':
      return (words) => words.flatMap((w) => w.split(/\s+/u).filter((x) => x !== ''));
    case 'Digits':
      return (words) => words.flatMap((w) => split(w, o.individual_digits ? /\p{Nd}/gu : /\p{Nd}+/gu, 'Isolated'));
    default:
      return fail(`pre_tokenizer type ${JSON.stringify(o.type)} is not supported (Sequence, ByteLevel, Split, Metaspace, Whitespace, WhitespaceSplit, Digits are)`);
  }
}

function decoder(spec: unknown): Step {
  if (spec === null || spec === undefined) return (t) => t;
  const o = obj(spec, 'decoder');
  switch (o.type) {
    case 'Sequence': {
      const steps = (o.decoders as unknown[]).map(decoder);
      return (t) => steps.reduce((ts, f) => f(ts), t);
    }
    case 'ByteLevel': {
      const { decoder: back } = bytesToUnicode();
      return (tokens) => [utf8Decoder.decode(new Uint8Array(Array.from(tokens.join(''), (c) => back.get(c) ?? 0x3f)))];
    }
    case 'Replace': {
      const re = pattern(o.pattern, 'Replace.pattern'), content = str(o.content, 'Replace.content');
      return (tokens) => tokens.map((t) => t.replace(re, () => content));
    }
    case 'ByteFallback':
      return (tokens) => {
        const out: string[] = [];
        let bytes: number[] = [];
        const flush = (): void => {
          if (bytes.length === 0) return;
          try {
            out.push(utf8Strict.decode(new Uint8Array(bytes)));
          } catch {
            for (let i = 0; i < bytes.length; i++) out.push('\uFFFD'); // as tokenizers: one per byte
          }
          bytes = [];
        };
        for (const t of tokens) {
          const m = /^<0x([0-9A-Fa-f]{2})>$/.exec(t);
          if (m) bytes.push(parseInt(m[1]!, 16));
          else {
            flush();
            out.push(t);
          }
        }
        flush();
        return out;
      };
    case 'Fuse':
      return (tokens) => [tokens.join('')];
    case 'Strip': {
      const c = str(o.content, 'Strip.content'), start = Number(o.start ?? 0), stop = Number(o.stop ?? 0);
      return (tokens) => tokens.map((t) => {
        let a = 0, b = t.length;
        while (a < start && t[a] === c) a++;
        for (let k = 0; k < stop && b > a && t[b - 1] === c; k++) b--;
        return t.slice(a, b);
      });
    }
    case 'Metaspace': {
      const rep = str(o.replacement ?? '\u2581', 'Metaspace.replacement');
      const scheme = metaspaceScheme(o);
      return (tokens) => tokens.map((t, i) => {
        const s = t.replaceAll(rep, ' ');
        return i === 0 && scheme !== 'never' && s.startsWith(' ') ? s.slice(1) : s;
      });
    }
    default:
      return fail(`decoder type ${JSON.stringify(o.type)} is not supported (Sequence, ByteLevel, Replace, ByteFallback, Fuse, Strip, Metaspace are)`);
  }
}

/** One entry of `added_tokens`. */
interface AddedToken {
  id: number;
  content: string;
  special: boolean;
}

/**
 * A tokenizer from a Hugging Face `tokenizer.json` with a BPE model. Supported: normalizers
 * Sequence, Prepend, Replace, NFC/NFD/NFKC/NFKD, Lowercase, Strip; pre-tokenizers Sequence,
 * ByteLevel, Split, Metaspace, Whitespace, WhitespaceSplit, Digits; the BPE model's
 * `byte_fallback`, `fuse_unk`, `ignore_merges`, `unk_token`; post-processors TemplateProcessing
 * (single sequences) and ByteLevel; decoders Sequence, ByteLevel, Replace, ByteFallback, Fuse,
 * Strip, Metaspace. Added tokens are matched in the raw text, longest first.
 *
 * @example
 * ```ts
 * // not run: needs a tokenizer.json
 * import { readFileSync } from 'node:fs';
 * import { HFTokenizer } from '@torchlet/transformer';
 * const tok = HFTokenizer.fromJSON(readFileSync('tokenizer.json', 'utf8'));
 * const ids = tok.encode('Hello world');           // with the template's BOS, if it has one
 * tok.decode(ids, { skipSpecialTokens: true });   // 'Hello world'
 * ```
 */
export class HFTokenizer {
  readonly #vocab = new Map<string, number>();
  readonly #tokens: string[] = [];
  readonly #ranks = new Map<string, number>();
  readonly #added: AddedToken[];
  readonly #addedRe: RegExp | null;
  readonly #special = new Set<number>();
  readonly #normalize: (s: string) => string;
  readonly #preTokenize: Step;
  readonly #decode: Step;
  readonly #byteFallback: boolean;
  readonly #fuseUnk: boolean;
  readonly #ignoreMerges: boolean;
  readonly #unkId: number | null;
  readonly #prefix: number[] = [];
  readonly #suffix: number[] = [];
  readonly #cache = new Map<string, number[]>();
  // True when no token has a '▁' after another character: then no merge spans the start of a
  // '▁' run, and a long word (Llama 2 has no pre-tokenizer: the whole text is one) can be
  // merged run by run with the same result, fast and cached.
  readonly #splitAtMetaspace: boolean;

  private constructor(json: Json) {
    const model = obj(json.model, 'model');
    if (model.type !== undefined && model.type !== 'BPE') fail(`model type ${JSON.stringify(model.type)} is not supported (BPE is; for SentencePiece .model files use SentencePieceTokenizer)`);
    if (model.continuing_subword_prefix || model.end_of_word_suffix) fail('BPE continuing_subword_prefix / end_of_word_suffix are not supported');
    for (const [t, id] of Object.entries(obj(model.vocab, 'model.vocab'))) {
      if (!Number.isInteger(id) || (id as number) < 0) fail(`model.vocab[${JSON.stringify(t)}] must be a non-negative integer id`);
      this.#vocab.set(t, id as number);
      this.#tokens[id as number] = t;
    }
    const merges = model.merges;
    if (!Array.isArray(merges)) fail('model.merges must be an array');
    (merges as unknown[]).forEach((m, rank) => {
      const [a, b] = typeof m === 'string' ? (m.split(' ') as [string, string]) : Array.isArray(m) ? (m as [string, string]) : fail(`model.merges[${rank}] must be "a b" or [a, b]`);
      if (typeof a !== 'string' || typeof b !== 'string') fail(`model.merges[${rank}] must be two tokens`);
      const key = `${a}\u0000${b}`;
      if (!this.#ranks.has(key)) this.#ranks.set(key, rank);
    });
    this.#splitAtMetaspace = [...this.#vocab.keys()].every((t) => !/[^\u2581]\u2581/u.test(t));
    this.#byteFallback = model.byte_fallback === true;
    this.#fuseUnk = model.fuse_unk === true;
    this.#ignoreMerges = model.ignore_merges === true;
    this.#unkId = typeof model.unk_token === 'string' ? (this.#vocab.get(model.unk_token) ?? fail(`unk_token ${JSON.stringify(model.unk_token)} is not in the vocabulary`)) : null;
    this.#added = ((json.added_tokens as unknown[] | undefined) ?? []).map((a, i) => {
      const o = obj(a, `added_tokens[${i}]`);
      const t = { id: Number(o.id), content: str(o.content, `added_tokens[${i}].content`), special: o.special === true };
      if (!Number.isInteger(t.id) || t.id < 0) fail(`added_tokens[${i}].id must be a non-negative integer`);
      this.#tokens[t.id] = t.content;
      this.#vocab.set(t.content, t.id);
      if (t.special) this.#special.add(t.id);
      return t;
    });
    const esc = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    this.#addedRe = this.#added.length ? new RegExp([...this.#added].sort((a, b) => b.content.length - a.content.length).map((a) => esc(a.content)).join('|'), 'gu') : null;
    this.#normalize = normalizer(json.normalizer);
    this.#preTokenize = preTokenizer(json.pre_tokenizer);
    this.#decode = decoder(json.decoder);
    this.#postProcessor(json.post_processor);
  }

  /** Parses `tokenizer.json` (its text or the parsed object). Throws, naming the component, for what is not supported. */
  static fromJSON(json: string | Readonly<Record<string, unknown>>): HFTokenizer {
    let parsed: unknown = json;
    if (typeof json === 'string') {
      try {
        parsed = JSON.parse(json);
      } catch (e) {
        fail(`not valid JSON (${e instanceof Error ? e.message : String(e)})`);
      }
    }
    return new HFTokenizer(obj(parsed, 'the file'));
  }

  #postProcessor(spec: unknown): void {
    if (spec === null || spec === undefined) return;
    const o = obj(spec, 'post_processor');
    if (o.type === 'ByteLevel') return; // offsets only
    if (o.type === 'Sequence') {
      for (const p of o.processors as unknown[]) this.#postProcessor(p);
      return;
    }
    if (o.type !== 'TemplateProcessing') fail(`post_processor type ${JSON.stringify(o.type)} is not supported (TemplateProcessing, ByteLevel, Sequence are)`);
    let seen = false;
    for (const piece of o.single as Json[]) {
      if ('Sequence' in piece) seen = true;
      else if ('SpecialToken' in piece) {
        const name = str(obj(piece.SpecialToken, 'SpecialToken').id, 'SpecialToken.id');
        const ids = (obj(o.special_tokens, 'special_tokens')[name] as { ids?: number[] } | undefined)?.ids ?? [this.#vocab.get(name) ?? fail(`template token ${name} is unknown`)];
        (seen ? this.#suffix : this.#prefix).push(...ids);
      }
    }
  }

  /** The number of ids (the vocabulary and the added tokens). */
  get vocabSize(): number {
    return this.#tokens.length;
  }

  /** The id of a token (`'Ġthe'`, `'<s>'`), or undefined. */
  tokenToId(token: string): number | undefined {
    return this.#vocab.get(token);
  }

  /** The token of an id. Throws a RangeError for an id outside the vocabulary. */
  idToToken(id: number): string {
    const t = this.#tokens[id];
    if (t === undefined) throw new RangeError(`HFTokenizer: id ${id} is not in the vocabulary`);
    return t;
  }

  /** The ids of `text`; with `addSpecialTokens` (default true) the post-processor's template adds its tokens (e.g. BOS). */
  encode(text: string, options: { addSpecialTokens?: boolean } = {}): number[] {
    if (typeof text !== 'string') throw new TypeError(`HFTokenizer.encode: expected a string, got ${text === null ? 'null' : typeof text}`);
    const out: number[] = [];
    let at = 0;
    const plain = (s: string): void => {
      if (s === '') return;
      for (const word of this.#preTokenize([this.#normalize(s)])) {
        const runs = this.#splitAtMetaspace && word.length > 256 ? word.match(/\u2581*[^\u2581]*/gu)! : [word];
        for (const run of runs) for (const id of this.#word(run)) out.push(id);
      }
    };
    if (this.#addedRe) {
      for (const m of text.matchAll(this.#addedRe)) {
        plain(text.slice(at, m.index));
        out.push(this.#vocab.get(m[0])!);
        at = m.index! + m[0].length;
      }
    }
    plain(text.slice(at));
    const fused = this.#fuseUnk && this.#unkId !== null ? out.filter((id, i) => id !== this.#unkId || out[i - 1] !== this.#unkId) : out;
    return options.addSpecialTokens === false ? fused : [...this.#prefix, ...fused, ...this.#suffix];
  }

  /** BPE over one pre-tokenised word, cached. */
  #word(word: string): number[] {
    if (word === '') return [];
    const cached = this.#cache.get(word);
    if (cached) return cached;
    let ids: number[];
    if (this.#ignoreMerges && this.#vocab.has(word)) ids = [this.#vocab.get(word)!];
    else {
      const symbols = mergePairs(Array.from(word), (l, r) => this.#ranks.get(`${l}\u0000${r}`));
      ids = [];
      for (const s of symbols) {
        const id = this.#vocab.get(s);
        if (id !== undefined) ids.push(id);
        else if (this.#byteFallback) {
          for (const b of utf8Encoder.encode(s)) {
            const byteTok = `<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`;
            ids.push(this.#vocab.get(byteTok) ?? this.#unkId ?? fail(`byte_fallback: no token ${byteTok} and no unk_token`));
          }
        } else if (this.#unkId !== null) ids.push(this.#unkId);
        else throw new RangeError(`HFTokenizer: ${JSON.stringify(s)} has no token, and the model has neither byte_fallback nor unk_token`);
      }
    }
    if (word.length <= 256 && this.#cache.size < 100_000) this.#cache.set(word, ids);
    return ids;
  }

  /** Text from ids through the decoder chain; `skipSpecialTokens` drops special added tokens (BOS, EOS, ...). */
  decode(ids: readonly number[], options: { skipSpecialTokens?: boolean } = {}): string {
    if (!Array.isArray(ids)) throw new TypeError('HFTokenizer.decode: expected an array of ids');
    const tokens = ids.filter((id) => !(options.skipSpecialTokens && this.#special.has(id))).map((id) => this.idToToken(id));
    return this.#decode(tokens).join('');
  }
}
