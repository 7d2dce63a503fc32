/**
 * A character-level tokenizer (nanoGPT's shakespeare_char): the vocabulary is the sorted set of
 * the characters (Unicode code points) of a text; a token id is a character's index in it.
 *
 * @example
 * ```ts
 * const tok = torch.transformer.CharTokenizer.fromText('hello world');
 * const ids = tok.encode('hello');
 * console.log(ids, tok.decode(ids));   // [3, 2, 4, 4, 5] 'hello' (ids of the sorted characters)
 * ```
 */
export class CharTokenizer {
  /** The characters, by id. */
  readonly chars: readonly string[];
  readonly #ids: Map<string, number>;

  /** A tokenizer over exactly `chars` (unique code points; ids in the given order). */
  constructor(chars: Iterable<string>) {
    this.chars = [...chars];
    this.#ids = new Map(this.chars.map((c, i) => [c, i]));
    if (this.#ids.size !== this.chars.length) throw new RangeError('CharTokenizer: the characters must be unique');
    for (const c of this.chars) if ([...c].length !== 1) throw new RangeError(`CharTokenizer: ${JSON.stringify(c)} is not one character`);
  }

  /** The vocabulary of `text`: its distinct code points sorted by code point (Python's `sorted(set(text))`). */
  static fromText(text: string): CharTokenizer {
    return new CharTokenizer([...new Set(text)].sort((a, b) => a.codePointAt(0)! - b.codePointAt(0)!));
  }

  /** The number of characters, so ids are `0..vocabSize - 1`. */
  get vocabSize(): number {
    return this.chars.length;
  }

  /** The id of each character of `text`; a character outside the vocabulary throws. */
  encode(text: string): number[] {
    const out: number[] = [];
    for (const c of text) {
      const id = this.#ids.get(c);
      if (id === undefined) throw new RangeError(`CharTokenizer: ${JSON.stringify(c)} is not in the vocabulary`);
      out.push(id);
    }
    return out;
  }

  /** The text of `ids`, one character each; an id outside the vocabulary throws a RangeError. */
  decode(ids: Iterable<number>): string {
    let s = '';
    for (const id of ids) {
      const c = this.chars[id];
      if (c === undefined) throw new RangeError(`CharTokenizer: no token ${id} (the vocabulary has ${this.chars.length})`);
      s += c;
    }
    return s;
  }
}
