/**
 * The IMDB movie-review sentiment data (Maas et al. 2011, https://ai.stanford.edu/~amaas/data/sentiment/)
 * in its aclImdb folder layout: train/pos, train/neg, test/pos, test/neg, one review per .txt file.
 * Labels: 1 positive, 0 negative.
 */
import { fromArray, type Tensor } from '@torchlet/core';
import { TensorDataset, type Splits } from './dataset.ts';
import { joinPath, listDir, mapLimited, MAX_OPEN_FILES, readFileText } from './node-fs.ts';
import { MAX_BYTES } from './errors.ts';
import { MAX_SEQUENCE_LENGTH, Vocabulary, type PadOptions, type VocabularyOptions } from './text.ts';

/** One review. */
export interface TextItem {
  /** The review's raw text (HTML line breaks included; `tokenize` removes them). */
  text: string;
  /** 1 positive, 0 negative. */
  label: number;
}

/** The reviews of both splits. */
export interface IMDBItems {
  /** The training reviews (25,000 in the full set). */
  train: TextItem[];
  /** The test reviews (25,000 in the full set). */
  test: TextItem[];
}

/**
 * Reads the reviews from an aclImdb folder (Node and Deno; `dir` is the folder holding train/ and
 * test/, or its parent). Files are read in name order: neg then pos, so shuffle before training
 * (the DataLoader's `shuffle` does). `limit` caps the reviews per split and class (for quick runs).
 *
 * @example
 * ```ts
 * // not run: needs the extracted aclImdb directory
 * import { readIMDBDir } from '@torchlet/datasets';
 * const { train, test } = await readIMDBDir('data/aclImdb', { limit: 1000 });
 * console.log(train[0]!.text.slice(0, 40), train[0]!.label);
 * ```
 */
export async function readIMDBDir(dir: string, options: { limit?: number } = {}): Promise<IMDBItems> {
  let root = dir;
  const top = await listDir(dir);
  if (top === null) throw new Error(`readIMDBDir: directory ${dir} does not exist`);
  if (!top.includes('train') && top.includes('aclImdb')) root = joinPath(dir, 'aclImdb');
  const split = async (name: 'train' | 'test'): Promise<TextItem[]> => {
    const items: TextItem[] = [];
    for (const [cls, label] of [['neg', 0], ['pos', 1]] as const) {
      const folder = joinPath(joinPath(root, name), cls);
      const files = await listDir(folder);
      if (files === null) throw new Error(`readIMDBDir: ${folder} does not exist (expected the aclImdb layout train/pos, train/neg, test/pos, test/neg)`);
      const txt = files.filter((f) => f.endsWith('.txt')).slice(0, options.limit ?? Infinity);
      const texts = await mapLimited(txt, MAX_OPEN_FILES, (f) => readFileText(joinPath(folder, f)));
      for (const text of texts) items.push({ text, label });
    }
    return items;
  };
  return { train: await split('train'), test: await split('test') };
}

/** Options of {@link loadIMDB}. */
export interface IMDBOptions {
  /** Tokens per review after padding/truncation. Default 256. */
  maxLen?: number;
  /** Vocabulary options (built on the training texts). Default maxSize 20000, minFreq 1. */
  vocab?: VocabularyOptions;
  /** A ready vocabulary instead of building one. */
  vocabulary?: Vocabulary;
  /** Padding details (which end to pad and cut). */
  pad?: Omit<PadOptions, 'length'>;
  /** With `{ dir }`: cap on reviews per split and class. */
  limit?: number;
}

/** An encoded text split: token ids [N, maxLen] int32 and labels [N] int32. */
export type TextDataset = TensorDataset<[Tensor, Tensor]>;

/**
 * Encodes items with a vocabulary into a dataset of fixed-length id rows and labels.
 *
 * @example
 * ```ts
 * import { Vocabulary, textDataset } from '@torchlet/datasets';
 * const items = [{ text: 'good movie', label: 1 }, { text: 'bad movie', label: 0 }];
 * const vocab = Vocabulary.build(items.map((i) => i.text), { specials: ['<pad>', '<unk>'] });
 * const ds = textDataset(items, vocab, { length: 4 });
 * const [ids, label] = ds.get(0);
 * console.log(ids.shape, ids.dtype);   // [4] 'int32'
 * ```
 */
export function textDataset(items: readonly TextItem[], vocab: Vocabulary, pad: PadOptions): TextDataset {
  checkMaxLen(pad.length, items.length, 'textDataset');
  const ids = vocab.encodeBatch(items.map((i) => i.text), pad);
  const labels = Int32Array.from(items, (it, k) => {
    if (!Number.isInteger(it.label)) throw new RangeError(`textDataset: item ${k} has label ${it.label}; labels must be integers`);
    return it.label;
  });
  return new TensorDataset<[Tensor, Tensor]>(
    fromArray(ids, [items.length, pad.length], { dtype: 'int32' }),
    fromArray(labels, [items.length], { dtype: 'int32' }),
  );
}

/**
 * `length` tokens per row for `rows` rows must be a positive integer whose int32 ids fit the
 * parsers' {@link MAX_BYTES} bound (issue 13: maxLen 2^29 aborted the process allocating them).
 */
function checkMaxLen(length: unknown, rows: number, op: string): void {
  if (typeof length !== 'number' || !Number.isInteger(length) || length < 1) {
    throw new RangeError(`${op}: maxLen must be a positive integer, got ${String(length)}`);
  }
  if (length > MAX_SEQUENCE_LENGTH) {
    throw new RangeError(`${op}: maxLen ${length} is more than the limit of ${MAX_SEQUENCE_LENGTH} tokens (MAX_SEQUENCE_LENGTH)`);
  }
  if (rows * length * 4 > MAX_BYTES) {
    throw new RangeError(`${op}: maxLen ${length} for ${rows} reviews needs ${rows * length * 4} bytes of token ids, more than the ${MAX_BYTES}-byte limit; use a smaller maxLen`);
  }
}

/** IMDB's splits as token-id datasets, with the vocabulary that encoded them. */
export interface IMDBSplits extends Splits<TextDataset> {
  /** Built from the training texts only. */
  vocab: Vocabulary;
}

/**
 * IMDB as datasets of token ids: from an aclImdb folder (`{ dir }`, Node and Deno) or from
 * in-memory reviews (`{ items: { train, test } }`). The vocabulary is built on the training texts
 * and returned with the datasets, for decoding and for encoding new text.
 *
 * @example
 * ```ts
 * import { loadIMDB } from '@torchlet/datasets';
 * const items = { train: [{ text: 'a great film', label: 1 }, { text: 'dull', label: 0 }], test: [{ text: 'great', label: 1 }] };
 * const { train, test, vocab } = await loadIMDB({ items }, { maxLen: 8 });   // or { dir: 'aclImdb' }
 * console.log(train.length, vocab.size);
 * ```
 */
export async function loadIMDB(
  source: { dir: string } | { items: IMDBItems },
  options: IMDBOptions = {},
): Promise<IMDBSplits> {
  if (options.maxLen !== undefined) checkMaxLen(options.maxLen, 1, 'loadIMDB');
  const items = 'dir' in source ? await readIMDBDir(source.dir, options.limit === undefined ? {} : { limit: options.limit }) : source.items;
  const vocab = options.vocabulary ?? Vocabulary.build(items.train.map((i) => i.text), { maxSize: 20000, ...options.vocab });
  const pad: PadOptions = { ...options.pad, length: options.maxLen ?? 256 };
  return { train: textDataset(items.train, vocab, pad), test: textDataset(items.test, vocab, pad), vocab };
}
