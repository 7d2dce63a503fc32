// Small files in the exact on-disk formats, made in the tests (no downloads).
import { encodeIDX } from '../src/idx.ts';

/** gzip with the standard CompressionStream, as the real .gz files are. */
export async function gzip(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new CompressionStream('gzip'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** A deterministic byte pattern. */
export function pattern(n: number, salt = 0): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (i * 37 + salt * 11 + ((i >> 3) ^ salt)) & 0xff;
  return out;
}

/** An MNIST-style images file: ubyte [n, rows, cols] (magic 0x00000803). */
export function idxImages(n: number, rows = 28, cols = 28, salt = 0): Uint8Array {
  return encodeIDX('uint8', [n, rows, cols], pattern(n * rows * cols, salt));
}

/** An MNIST-style labels file: ubyte [n] (magic 0x00000801). */
export function idxLabels(labels: readonly number[]): Uint8Array {
  return encodeIDX('uint8', [labels.length], labels);
}

/** A CIFAR-10 batch: n records of label + 3072 pixels. */
export function cifar10(labels: readonly number[], salt = 0): Uint8Array {
  const rec = 3073;
  const out = new Uint8Array(labels.length * rec);
  labels.forEach((l, i) => {
    out[i * rec] = l;
    out.set(pattern(3072, salt + i), i * rec + 1);
  });
  return out;
}

/** A CIFAR-100 file: n records of coarse label, fine label, 3072 pixels. */
export function cifar100(labels: ReadonlyArray<readonly [number, number]>, salt = 0): Uint8Array {
  const rec = 3074;
  const out = new Uint8Array(labels.length * rec);
  labels.forEach(([c, f], i) => {
    out[i * rec] = c;
    out[i * rec + 1] = f;
    out.set(pattern(3072, salt + i), i * rec + 2);
  });
  return out;
}
