#!/usr/bin/env node
/**
 * `pnpm run <example> [options]` (train, cnn, lstm, char-lm, seq2seq, compress, demo): builds the
 * JavaScript of the packages the example uses, when stale (scripts/build.mjs --js: no type
 * declarations, one line of output), then runs examples/<dir>/main.mjs with the options.
 *
 *   node scripts/example.mjs <dir> [options]        e.g. node scripts/example.mjs mnist-mlp --epochs 1
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const [dir, ...rest] = process.argv.slice(2);
const main = dir && join(root, 'examples', dir, 'main.mjs');
if (!main || !existsSync(main)) {
  console.error(`example: no examples/${dir ?? '<dir>'}/main.mjs`);
  process.exit(2);
}
// `--help` needs no build when the packages exist; a build is quick anyway when nothing is stale.
const build = spawnSync(process.execPath, [join(root, 'scripts/build.mjs'), '--js', '--for', `examples/${dir}`], { stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);
const run = spawnSync(process.execPath, [main, ...rest], { stdio: 'inherit' });
process.exit(run.status ?? 1);
