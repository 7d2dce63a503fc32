/**
 * SentencePiece tokenizers against Google's implementation (python3-sentencepiece, through
 * fixtures/tokenizers/make_tokenizer_fixtures.py): Llama 2's 32k BPE model with byte fallback
 * (from ../shared/models) and a unigram model trained on tinyshakespeare, each on all of
 * tinyshakespeare and on a multilingual/emoji sample — the same ids, id for id (compared by
 * count, the first 64 and a sha256 of all), and decode(encode(text)) === text.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SentencePieceTokenizer } from '../src/index.ts';

const FIX = new URL('./fixtures/tokenizers/', import.meta.url);
const SHARED = new URL('../../../../shared/', import.meta.url);
const refs = JSON.parse(readFileSync(new URL('sentencepiece-refs.json', FIX), 'utf8')) as Record<string, {
  texts: Record<string, { count: number; sha256: string; head: number[]; roundTrip: boolean }>;
  short: Record<string, number[]>;
}>;
const MODELS: Record<string, URL> = { llama2: new URL('models/llama2-tokenizer.model', SHARED), 'unigram-shakespeare': new URL('unigram-shakespeare.model', FIX) };
const TEXTS: Record<string, URL> = { tinyshakespeare: new URL('data/tinyshakespeare.txt', SHARED), multilingual: new URL('multilingual.txt', FIX) };
const sha256 = (ids: number[]): string => createHash('sha256').update(new Uint8Array(Int32Array.from(ids).buffer)).digest('hex');

for (const [name, url] of Object.entries(MODELS)) {
  describe.runIf(existsSync(url) && existsSync(TEXTS.tinyshakespeare!))(`SentencePiece: ${name}`, () => {
    const sp = SentencePieceTokenizer.fromModel(new Uint8Array(readFileSync(url)));

    it('encodes short strings as sentencepiece does', () => {
      for (const [text, ids] of Object.entries(refs[name]!.short)) expect(sp.encode(text), JSON.stringify(text)).toEqual(ids);
    });

    for (const [tname, ref] of Object.entries(refs[name]!.texts)) {
      it(`encodes all of ${tname} id for id, and decodes it back`, () => {
        const text = readFileSync(TEXTS[tname]!, 'utf8');
        const ids = sp.encode(text);
        expect(ids.slice(0, 64)).toEqual(ref.head);
        expect(ids.length).toBe(ref.count);
        expect(sha256(ids)).toBe(ref.sha256);
        expect(ref.roundTrip).toBe(true);
        expect(sp.decode(ids)).toBe(text);
      });
    }
  });
}

describe('SentencePiece model errors', () => {
  it('names a truncated or foreign file', () => {
    expect(() => SentencePieceTokenizer.fromModel(new Uint8Array([0x0a, 0x05, 0x0a]))).toThrow(/SentencePiece model: length 5 runs past the end/);
    expect(() => SentencePieceTokenizer.fromModel(new TextEncoder().encode('{"version": "1.0"}'))).toThrow(/SentencePiece model/);
    expect(() => SentencePieceTokenizer.fromModel(new Uint8Array(0))).toThrow(/no pieces/);
  });
});
