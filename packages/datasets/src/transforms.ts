/**
 * Image transforms for batches shaped [N, C, H, W] (torchvision.transforms, applied to a whole
 * batch at once). A transform takes a batch and returns a new tensor; it never disposes its
 * input, which stays the caller's. Random transforms are seeded and advance their own generator
 * per call, so a seeded pipeline repeats exactly.
 */
import { fromArray, pad, tidy, type Tensor } from '@torchlet/core';
import { Rng, randomSeed } from './rng.ts';

/** A batch transform: input batch in, new tensor out (the input is not disposed). */
export type Transform = (x: Tensor) => Tensor;

function expect4d(name: string, x: Tensor): [number, number, number, number] {
  if (x.ndim !== 4) throw new RangeError(`${name}: expected an image batch [N, C, H, W], got shape [${x.shape.join(', ')}]`);
  return x.shape as unknown as [number, number, number, number];
}

/**
 * Applies `transforms` in order. Intermediate results are disposed; the input is not (as for any
 * transform). `compose([])` returns a copy.
 *
 * @example
 * ```ts
 * import * as torch from 'torchlet';
 * import { compose, normalize, randomHorizontalFlip } from '@torchlet/datasets';
 * const transform = compose([randomHorizontalFlip(0.5, { seed: 0 }), normalize(0.1307, 0.3081)]);
 * console.log(transform(torch.rand([64, 1, 28, 28])).shape);   // [64, 1, 28, 28]: a batch [N, C, H, W]
 * ```
 */
export function compose(transforms: readonly Transform[]): Transform {
  return (x) => {
    if (transforms.length === 0) return x.clone();
    let y = x;
    for (const t of transforms) {
      const next = t(y);
      if (y !== x && next !== y) y.dispose();
      y = next;
    }
    return y;
  };
}

/**
 * `(x - mean[c]) / std[c]` per channel (dim 1), as torchvision's Normalize. `mean` and `std` are a
 * number (all channels) or one number per channel.
 *
 * @example
 * ```ts
 * import * as torch from 'torchlet';
 * import { normalize } from '@torchlet/datasets';
 * const norm = normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225]);   // ImageNet's per-channel statistics
 * console.log(norm(torch.rand([16, 3, 8, 8])).shape);   // [16, 3, 8, 8]
 * ```
 */
export function normalize(mean: number | readonly number[], std: number | readonly number[]): Transform {
  const m = typeof mean === 'number' ? [mean] : [...mean];
  const s = typeof std === 'number' ? [std] : [...std];
  if (s.some((v) => v === 0 || !Number.isFinite(v))) throw new RangeError(`normalize: std must be finite and non-zero, got [${s.join(', ')}]`);
  return (x) => {
    const [, c] = expect4d('normalize', x);
    for (const [name, v] of [['mean', m], ['std', s]] as const) {
      if (v.length !== 1 && v.length !== c) throw new RangeError(`normalize: ${name} has ${v.length} values for ${c} channels`);
    }
    return tidy(() => {
      const mt = fromArray(Float32Array.from(m), [1, m.length, 1, 1], { backend: x.backend });
      const st = fromArray(Float32Array.from(s), [1, s.length, 1, 1], { backend: x.backend });
      return x.sub(mt).div(st);
    });
  };
}

/** Options of {@link toTensor}. */
export interface ToTensorOptions {
  /**
   * Divide by this: default 255 for integer data (Uint8Array, Uint8ClampedArray, Int arrays and
   * plain number arrays, read as bytes), 1 for Float32Array/Float64Array (taken as already in [0, 1]).
   */
  scale?: number;
  /** The data is channels-last ([H, W, C] or [N, H, W, C], like ImageData): return channels-first. */
  channelsLast?: boolean;
}

/**
 * Bytes or numbers -> a float32 tensor in [0, 1] of `shape` (torchvision's ToTensor): bytes are
 * divided by 255; with `channelsLast` the result is permuted to [C, H, W] / [N, C, H, W].
 *
 * @example
 * ```ts
 * import { toTensor } from '@torchlet/datasets';
 * const pixels = new Uint8Array(28 * 28).fill(255);
 * const x = toTensor(pixels, [28, 28, 1], { channelsLast: true });   // HWC bytes -> CHW floats in [0, 1]
 * console.log(x.shape, await x.max().item());   // [1, 28, 28] 1
 * ```
 */
export function toTensor(data: ArrayLike<number>, shape: readonly number[], options: ToTensorOptions = {}): Tensor {
  const isFloat = data instanceof Float32Array || data instanceof Float64Array;
  const scale = options.scale ?? (isFloat ? 1 : 255);
  const n = shape.reduce((a, b) => a * b, 1);
  if (n !== data.length) throw new RangeError(`toTensor: ${data.length} values do not fill shape [${shape.join(', ')}] (${n})`);
  const f = new Float32Array(n);
  for (let i = 0; i < n; i++) f[i] = data[i]! / scale;
  const t = fromArray(f, shape, { dtype: 'float32' });
  if (!options.channelsLast) return t;
  if (shape.length !== 3 && shape.length !== 4) {
    t.dispose();
    throw new RangeError(`toTensor: channelsLast needs [H, W, C] or [N, H, W, C], got [${shape.join(', ')}]`);
  }
  try {
    return (shape.length === 3 ? t.permute([2, 0, 1]) : t.permute([0, 3, 1, 2])).contiguous();
  } finally {
    t.dispose();
  }
}

/** Options of the random transforms. */
export interface RandomOptions {
  /** Seed of the transform's own generator. Default: random. */
  seed?: number;
}

/**
 * Pads each image by `padding` zeros on every side, then crops a random `size` window (one window
 * per image), as torchvision's RandomCrop(size, padding). Built as one pad and one gather.
 *
 * @example
 * ```ts
 * import * as torch from 'torchlet';
 * import { randomCrop } from '@torchlet/datasets';
 * const crop = randomCrop(32, 4, { seed: 0 });   // pad by 4, then a random 32x32 window (CIFAR augmentation)
 * console.log(crop(torch.rand([8, 3, 32, 32])).shape);   // [8, 3, 32, 32]
 * ```
 */
export function randomCrop(size: number | readonly [number, number], padding = 0, options: RandomOptions = {}): Transform {
  const [h, w] = typeof size === 'number' ? [size, size] : size;
  if (!Number.isInteger(h) || !Number.isInteger(w) || h < 1 || w < 1) throw new RangeError(`randomCrop: size must be positive integers, got ${String(size)}`);
  if (!Number.isInteger(padding) || padding < 0) throw new RangeError(`randomCrop: padding must be a non-negative integer, got ${padding}`);
  const rng = new Rng(options.seed ?? randomSeed(), 0);
  return (x) => {
    const [n, c, H, W] = expect4d('randomCrop', x);
    const hp = H + 2 * padding, wp = W + 2 * padding;
    if (h > hp || w > wp) throw new RangeError(`randomCrop: crop ${h}x${w} is larger than the padded image ${hp}x${wp}`);
    // Flat positions in each padded image of the chosen window: index[i, 0, r*w + q] = (top+r)*wp + left+q.
    const index = new Int32Array(n * h * w);
    for (let i = 0; i < n; i++) {
      const top = rng.int(hp - h + 1), left = rng.int(wp - w + 1);
      let at = i * h * w;
      for (let r = 0; r < h; r++) for (let q = 0; q < w; q++) index[at++] = (top + r) * wp + left + q;
    }
    return tidy(() => {
      const padded = padding > 0 ? pad(x, [padding, padding, padding, padding]) : x;
      const idx = fromArray(index, [n, 1, h * w], { dtype: 'int32', backend: x.backend }).expand([n, c, h * w]);
      return padded.reshape([n, c, hp * wp]).gather(2, idx).reshape([n, c, h, w]);
    });
  };
}

/**
 * Flips each image left-right with probability `p` (torchvision's RandomHorizontalFlip).
 *
 * @example
 * ```ts
 * import * as torch from 'torchlet';
 * import { randomHorizontalFlip } from '@torchlet/datasets';
 * const flip = randomHorizontalFlip(1);   // p = 1: always flips
 * console.log(await flip(torch.tensor([[[[1, 2, 3]]]])).tolist());   // [[[[3, 2, 1]]]]
 * ```
 */
export function randomHorizontalFlip(p = 0.5, options: RandomOptions = {}): Transform {
  if (!(p >= 0 && p <= 1)) throw new RangeError(`randomHorizontalFlip: p must be in [0, 1], got ${p}`);
  const rng = new Rng(options.seed ?? randomSeed(), 0);
  return (x) => {
    const [n] = expect4d('randomHorizontalFlip', x);
    const flips = new Uint8Array(n);
    for (let i = 0; i < n; i++) flips[i] = rng.next() < p ? 1 : 0;
    return tidy(() => {
      const mask = fromArray(flips, [n, 1, 1, 1], { dtype: 'bool', backend: x.backend });
      return x.flip(3).where(mask, x);
    });
  };
}
