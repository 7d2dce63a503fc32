/**
 * @torchlet/datasets: datasets and data loading for torchlet (PyTorch's torch.utils.data and
 * torchvision/torchtext datasets). Runs in Node, Deno and browsers: the `{ dir }` loaders import
 * node:fs dynamically, only when used. The 10,000 embedded MNIST digits are a separate entry,
 * `@torchlet/datasets/mnist-embedded`, so this one stays small.
 */
export { Dataset, TensorDataset, Subset, randomSplit, type RandomSplitOptions, type TensorTuple, type Splits } from './dataset.ts';
export { DataLoader, disposeBatch, forEachTensor, type DataLoaderOptions } from './dataloader.ts';
export { defaultCollate, type Collated } from './collate.ts';
export { Rng } from './rng.ts';
export { DatasetFormatError, MAX_BYTES } from './errors.ts';
export { gunzip, isGzip, maybeGunzip, type BytesLike, type GunzipOptions } from './bytes.ts';
export { parseIDX, encodeIDX, type IDXArray, type IDXDType, type ParseIDXOptions } from './idx.ts';
export {
  readIDX, loadMNIST, loadFashionMNIST, parseMNIST, decodeMNIST, mnistDataset, MNIST_FILES, FASHION_MNIST_CLASSES,
  type ImageDataset, type MNISTOptions, type MNISTBytes, type MNISTSource, type MNISTArrays,
  type MNISTDirSource, type MNISTUrlSource, type MNISTBytesSource,
} from './mnist.ts';
export {
  parseCIFAR10, parseCIFAR100, concatCIFAR, cifarDataset, loadCIFAR10, loadCIFAR100, CIFAR10_CLASSES,
  type CIFARArrays, type CIFAR100Arrays, type CIFAROptions, type CIFAR10Bytes,
} from './cifar.ts';
export { tokenize, Vocabulary, padSequence, MAX_SEQUENCE_LENGTH, type VocabularyOptions, type VocabularyJSON, type PadOptions } from './text.ts';
export { loadIMDB, readIMDBDir, textDataset, type TextItem, type IMDBItems, type IMDBOptions, type IMDBSplits, type TextDataset } from './imdb.ts';
export {
  compose, normalize, toTensor, randomCrop, randomHorizontalFlip,
  type Transform, type ToTensorOptions, type RandomOptions,
} from './transforms.ts';
