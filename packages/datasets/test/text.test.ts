import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataLoader, Vocabulary, disposeBatch, loadIMDB, padSequence, readIMDBDir, tokenize } from '../src/index.ts';
import { useWasm } from './setup.ts';

beforeAll(useWasm);

describe('tokenize and Vocabulary', () => {
  it('lowercases, strips <br />, splits on non-letters keeping apostrophes', () => {
    expect(tokenize("This movie<br /><br />wasn't GOOD... 10/10! Café 'quoted'")).toEqual(
      ['this', 'movie', "wasn't", 'good', 'café', 'quoted'],
    );
    expect(tokenize('')).toEqual([]);
  });

  it('builds by frequency (ties alphabetical), with specials, maxSize and minFreq', () => {
    const texts = ['b a a c', 'a b d', 'c e'];
    const v = Vocabulary.build(texts);
    expect(v.itos).toEqual(['<pad>', '<unk>', 'a', 'b', 'c', 'd', 'e']);
    expect(v.padId).toBe(0);
    expect(v.unkId).toBe(1);
    expect(Vocabulary.build(texts, { maxSize: 4 }).itos).toEqual(['<pad>', '<unk>', 'a', 'b']);
    expect(Vocabulary.build(texts, { minFreq: 2 }).itos).toEqual(['<pad>', '<unk>', 'a', 'b', 'c']);
    expect(Vocabulary.build([['x', 'y', 'x']], { specials: ['<unk>'] }).itos).toEqual(['<unk>', 'x', 'y']);
    expect(() => Vocabulary.build(texts, { maxSize: 1 })).toThrow(/room for the 2 specials/);
  });

  it('encodes, pads, truncates and decodes', () => {
    const v = Vocabulary.build(['the cat sat', 'the dog']);
    const ids = v.encode('The zebra sat');
    expect(ids).toEqual([v.id('the'), 1, v.id('sat')]);
    expect(v.decode(ids)).toBe('the <unk> sat');
    expect(v.encode('the cat', { length: 4 })).toEqual([v.id('the'), v.id('cat'), 0, 0]);
    expect(v.encode('the cat sat', { length: 2, truncate: 'start' })).toEqual([v.id('cat'), v.id('sat')]);
    expect(padSequence([5, 6], { length: 4, pad: 'start', padId: 9 })).toEqual([9, 9, 5, 6]);
    expect(v.decode([v.id('cat'), 0, 0])).toBe('cat');
    expect(Array.from(v.encodeBatch(['cat', 'dog the'], { length: 3 }))).toEqual([v.id('cat'), 0, 0, v.id('dog'), v.id('the'), 0]);
    expect(Vocabulary.fromJSON(JSON.parse(JSON.stringify(v))).itos).toEqual(v.itos);
    expect(() => v.token(99)).toThrow(/out of range/);
  });
});

describe('IMDB', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'torchlet-imdb-'));
    const reviews: Record<string, string[]> = {
      'train/pos': ['A great, great film.<br />Loved it', 'Great acting'],
      'train/neg': ['Awful. Just awful', "I didn't like it"],
      'test/pos': ['great fun'],
      'test/neg': ['awful mess'],
    };
    for (const [sub, texts] of Object.entries(reviews)) {
      await mkdir(join(dir, 'aclImdb', sub), { recursive: true });
      await Promise.all(texts.map((t, i) => writeFile(join(dir, 'aclImdb', sub, `${i}_${i + 7}.txt`), t)));
    }
    await mkdir(join(dir, 'aclImdb', 'train', 'unsup'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads the aclImdb layout (neg = 0, pos = 1)', async () => {
    const items = await readIMDBDir(dir);
    expect(items.train.map((i) => i.label)).toEqual([0, 0, 1, 1]);
    expect(items.test).toEqual([{ text: 'awful mess', label: 0 }, { text: 'great fun', label: 1 }]);
    await expect(readIMDBDir(join(dir, 'missing'))).rejects.toThrow(/does not exist/);
  });

  it('gives padded id tensors and labels, from a folder or from items', async () => {
    const a = await loadIMDB({ dir }, { maxLen: 5 });
    const [x, y] = a.train.tensors;
    expect(x!.shape).toEqual([4, 5]);
    expect(x!.dtype).toBe('int32');
    expect(Array.from(y!.dataSync())).toEqual([0, 0, 1, 1]);
    expect(a.vocab.itos.slice(0, 3)).toEqual(['<pad>', '<unk>', 'great']);
    expect(a.vocab.decode(x!.dataSync().subarray(0, 5))).toBe('awful just awful');
    const b = await loadIMDB({ items: { train: [{ text: 'good good bad', label: 1 }], test: [{ text: 'bad ugly', label: 0 }] } }, { maxLen: 3 });
    expect(Array.from(b.test.tensors[0]!.dataSync())).toEqual([b.vocab.id('bad'), 1, 0]);
    for await (const batch of new DataLoader(a.train, { batchSize: 2, shuffle: true, seed: 0 })) {
      expect(batch[0]!.shape).toEqual([2, 5]);
      disposeBatch(batch);
    }
    [...a.train.tensors, ...a.test.tensors, ...b.train.tensors, ...b.test.tensors].forEach((t) => t.dispose());
  });

  it('throws for a maxLen whose ids would not fit, instead of aborting (issue 13)', async () => {
    const items = { train: [{ text: 'good good bad', label: 1 }], test: [{ text: 'bad ugly', label: 0 }] };
    await expect(loadIMDB({ items }, { maxLen: 2 ** 29 })).rejects.toThrow(/loadIMDB: maxLen 536870912 is more than the limit of 67108864 tokens/);
    const many = { train: Array.from({ length: 64 }, () => items.train[0]!), test: items.test };
    await expect(loadIMDB({ items: many }, { maxLen: 2 ** 25 })).rejects.toThrow(/textDataset: maxLen 33554432 for 64 reviews needs 8589934592 bytes of token ids, more than the 2147483648-byte limit/);
    await expect(loadIMDB({ items }, { maxLen: 0 })).rejects.toThrow(/maxLen must be a positive integer, got 0/);
    await expect(loadIMDB({ items }, { maxLen: 2.5 })).rejects.toThrow(/maxLen must be a positive integer, got 2.5/);
    expect(() => padSequence([1, 2], { length: 2 ** 29 })).toThrow(/padSequence: length 536870912 is more than the limit of 67108864 tokens/);
    const vocab = Vocabulary.build(['a b']);
    expect(() => vocab.encodeBatch(Array(4096).fill('a'), { length: 2 ** 19 })).toThrow(/encodeBatch: 4096 texts of length 524288 need 8589934592 bytes/);
  });

  it('reads a folder of more files than MAX_OPEN_FILES with at most that many open at once', async () => {
    const { mapLimited, MAX_OPEN_FILES } = await import('../src/node-fs.ts');
    expect(MAX_OPEN_FILES).toBe(64);
    let open = 0, peak = 0;
    const got = await mapLimited(Array.from({ length: 1000 }, (_, i) => i), MAX_OPEN_FILES, async (i) => {
      peak = Math.max(peak, ++open);
      await new Promise((r) => setTimeout(r, i % 3));
      open--;
      return i * 2;
    });
    expect(peak).toBe(MAX_OPEN_FILES);
    expect(got).toEqual(Array.from({ length: 1000 }, (_, i) => i * 2));
    await expect(mapLimited([1, 2, 3], 2, async (i) => { if (i === 2) throw new Error('boom'); return i; })).rejects.toThrow('boom');
  });

});
