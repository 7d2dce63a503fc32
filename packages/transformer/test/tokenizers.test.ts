/** Tokenizers: characters, and byte-level BPE trained here or loaded from GPT-2 style files. */
import { describe, expect, it } from 'vitest';
import { BPETokenizer, CharTokenizer, bytesToUnicode, preTokenize } from '../src/index.ts';

describe('CharTokenizer', () => {
  it('sorted code points as the vocabulary; encode/decode round-trip', () => {
    const tok = CharTokenizer.fromText('hello, wörld 😀!');
    expect(tok.chars).toEqual([' ', '!', ',', 'd', 'e', 'h', 'l', 'o', 'r', 'w', 'ö', '😀']);
    expect(tok.encode('hello')).toEqual([5, 4, 6, 6, 7]);
    expect(tok.decode(tok.encode('wörld 😀'))).toBe('wörld 😀');
    expect(() => tok.encode('x')).toThrow(/not in the vocabulary/);
  });
});

describe('bytesToUnicode', () => {
  it('is GPT-2\'s table', () => {
    const { encoder, order } = bytesToUnicode();
    expect(encoder[32]).toBe('Ġ');
    expect(encoder[10]).toBe('Ċ');
    expect(encoder[65]).toBe('A');
    expect(order[0]).toBe(33); // '!' is id 0 in GPT-2's vocab.json
    expect(new Set(encoder).size).toBe(256);
  });
});

describe('preTokenize', () => {
  it('splits as GPT-2\'s regex', () => {
    expect(preTokenize("Hello world, it's 2024!  ok\n")).toEqual(['Hello', ' world', ',', ' it', "'s", ' 2024', '!', ' ', ' ok', '\n']);
  });
});

/** A tiny GPT-2 style vocabulary: the 256 byte tokens, a few merges, and <|endoftext|>. */
function tinyGPT2Files(): { vocabJson: string; mergesTxt: string } {
  const { encoder, order } = bytesToUnicode();
  const vocab: Record<string, number> = {};
  order.forEach((b, i) => (vocab[encoder[b]!] = i));
  const merges = [['Ġ', 't'], ['h', 'e'], ['Ġt', 'he'], ['Ġ', 'c'], ['a', 't'], ['Ġc', 'at']];
  for (const [a, b] of merges) vocab[a! + b!] = Object.keys(vocab).length;
  vocab['<|endoftext|>'] = Object.keys(vocab).length;
  return { vocabJson: JSON.stringify(vocab), mergesTxt: `#version: 0.2\n${merges.map((m) => m.join(' ')).join('\n')}\n` };
}

describe('BPETokenizer from vocab.json + merges.txt', () => {
  it('applies the merges in rank order and decodes back', () => {
    const { vocabJson, mergesTxt } = tinyGPT2Files();
    const tok = BPETokenizer.fromGPT2Files(vocabJson, mergesTxt);
    expect(tok.vocabSize).toBe(256 + 6 + 1);
    const ids = tok.encode('the cat');
    expect(ids.map((i) => tok.idToToken(i))).toEqual(['t', 'he', 'Ġcat']);
    expect(tok.encode(' the')).toEqual([tok.vocab.get('Ġthe')]);
    expect(tok.encode('<|endoftext|>the')).toEqual([262, tok.vocab.get('t'), tok.vocab.get('he')]);
    expect(tok.decode(tok.encode('<|endoftext|>the'))).toBe('<|endoftext|>the');
    for (const s of ['the cat sat on the mat.\n\n  Tabs\tand ünïcödé, 😀 emoji 123', '', ' ']) expect(tok.decode(tok.encode(s))).toBe(s);
  });

  it('writes its files back identically', () => {
    const { vocabJson, mergesTxt } = tinyGPT2Files();
    const tok = BPETokenizer.fromGPT2Files(vocabJson, mergesTxt);
    expect(tok.toVocabJSON()).toBe(vocabJson);
    expect(tok.toMergesTxt()).toBe(mergesTxt);
  });
});

describe('BPETokenizer refuses what would misbehave later (issue 13)', () => {
  it("an empty special token, ids past int32, and a cache bounded by characters", () => {
    const { vocabJson, mergesTxt } = tinyGPT2Files();
    const vocab = JSON.parse(vocabJson) as Record<string, number>;
    expect(() => BPETokenizer.fromGPT2Files({ ...vocab, '': 263 }, mergesTxt, { specialTokens: [''] })).toThrow(/BPETokenizer: a special token must be a non-empty string, got ""/);
    expect(() => BPETokenizer.train('abc', 300, { specialTokens: [''] })).toThrow(/BPETokenizer.train: a special token must be a non-empty string/);
    expect(() => BPETokenizer.fromGPT2Files({ ...vocab, big: 2 ** 53 }, mergesTxt)).toThrow(/the id of "big" must be an integer from 0 to 2147483647, got 9007199254740992/);
    expect(() => BPETokenizer.fromGPT2Files({ ...vocab, big: 2 ** 31 }, mergesTxt)).toThrow(/got 2147483648/);
    const tok = BPETokenizer.fromGPT2Files(vocabJson, mergesTxt);
    tok.encode('the cat');
    const small = tok.cachedChars;
    expect(small).toBeGreaterThan(0);
    // One 100,000-character "word" is encoded but not kept.
    expect(tok.encode('x'.repeat(100_000)).length).toBeGreaterThan(0);
    expect(tok.cachedChars).toBe(small);
  });
});

describe('BPETokenizer.train', () => {
  const text = 'the cat sat on the mat. the cat ate the rat. ' .repeat(20) + 'ünïcödé 😀\n';

  it('learns merges by pair frequency, deterministically, and round-trips', () => {
    const a = BPETokenizer.train(text, 300, { specialTokens: ['<|endoftext|>'] });
    const b = BPETokenizer.train(text, 300, { specialTokens: ['<|endoftext|>'] });
    expect(a.merges).toEqual(b.merges);
    expect(a.vocabSize).toBeLessThanOrEqual(300);
    // The most frequent pair is 'a t' (cat, sat, mat, cat, ate, rat: 6 a sentence).
    expect(a.merges[0]).toEqual(['a', 't']);
    const ids = a.encode(text);
    expect(ids.length).toBeLessThan(new TextEncoder().encode(text).length / 2);
    expect(a.decode(ids)).toBe(text);
    expect(a.decode(a.encode('unseen wörds<|endoftext|>the'))).toBe('unseen wörds<|endoftext|>the');
    expect(a.encode('<|endoftext|>')).toEqual([a.vocab.get('<|endoftext|>')]);
    // A trained tokenizer saves as GPT-2 files and loads back to the same encoding.
    const c = BPETokenizer.fromGPT2Files(a.toVocabJSON(), a.toMergesTxt());
    expect(c.encode(text)).toEqual(ids);
  });

  it('breaks ties by code-unit order of the pair', () => {
    // 'ab' and 'cd' are each seen 3 times: 'a b' merges first.
    const tok = BPETokenizer.train('cd ab cd ab cd ab', 258);
    expect(tok.merges.slice(0, 2)).toEqual([['a', 'b'], ['c', 'd']]);
  });
});
