#!/usr/bin/env node
/**
 * The examples' smoke test (a `pnpm test` suite, after the build): every example under examples/
 * answers `--help` with its options and exit 0, refuses an unknown option with exit 2, and runs a
 * short version of itself to a printed result with exit 0 (the MLP also asserting an accuracy).
 * The full-length runs are what `pnpm run <example>` does; these check that each one starts, trains
 * and finishes from the built packages, as a user's fresh clone runs them.
 *
 *   node scripts/check-examples.mjs [--jobs 2]
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'torchlet-examples-'));
const i = process.argv.indexOf('--jobs');
const jobs = i >= 0 ? Number(process.argv[i + 1]) : 2;

/** A short run of each example and a line its output must contain. */
const SHORT = {
  'mnist-mlp': { args: ['--epochs', '1', '--min-accuracy', '0.85', '--out', join(tmp, 'mlp.safetensors')], expect: /held-out accuracy \d+\.\d+% after 1 epochs/ },
  cnn: { args: ['--epochs', '1', '--train', '2000', '--test', '500', '--min-accuracy', '0.5'], expect: /held-out accuracy \d+\.\d+%/ },
  lstm: { args: ['--epochs', '1', '--train', '1000', '--test', '500'], expect: /held-out accuracy \d+\.\d+%/ },
  'char-lm': { args: ['--steps', '20', '--eval-every', '10', '--n-layer', '1'], expect: /validation loss [\d.]+ nats\/char/ },
  'transformer-seq2seq': { args: ['--steps', '20', '--eval-every', '10', '--held-out', '50'], expect: /exact-sequence accuracy [\d.]+%/ },
  compress: { args: ['--epochs', '1', '--finetune', '1', '--train', '1000'], expect: /\| student 784-32-10 \(distilled\) \|/ },
  demo: { args: [], expect: /checked against plain JS: .* -> OK/ },
  llm: { args: ['--pretrain-steps', '20', '--steps', '10', '--new-tokens', '10'], expect: /^lora: loss [\d.]+ -> [\d.]+ in/ },
};

function run(args) {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('close', (code) => resolve({ code, out, seconds: (Date.now() - t0) / 1000 }));
  });
}

const examples = readdirSync(join(root, 'examples')).filter((d) => existsSync(join(root, 'examples', d, 'main.mjs')));
const problems = [];
const missing = examples.filter((d) => !SHORT[d]);
for (const d of missing) problems.push(`${d}: no short run in scripts/check-examples.mjs; add one`);

async function check(dir) {
  const main = join('examples', dir, 'main.mjs');
  const help = await run([main, '--help']);
  if (help.code !== 0 || !/usage: node examples\//.test(help.out)) problems.push(`${dir} --help: exit ${help.code}, output:\n${help.out.slice(0, 400)}`);
  const typo = await run([main, '--no-such-option', '1']);
  if (typo.code !== 2 || !/unknown option --no-such-option/.test(typo.out)) problems.push(`${dir} --no-such-option: exit ${typo.code} (want 2), output:\n${typo.out.slice(0, 400)}`);
  const { args, expect } = SHORT[dir];
  const r = await run([main, ...args, '--quiet']);
  const result = r.out.split('\n').filter((l) => expect.test(l)).pop();
  if (r.code !== 0 || !result) problems.push(`${dir} ${args.join(' ')}: exit ${r.code}, ${result ? '' : `no line matching ${expect}; `}last output:\n${r.out.trimEnd().split('\n').slice(-15).join('\n')}`);
  console.log(`examples: ${r.code === 0 && result ? 'ok  ' : 'FAIL'} ${dir.padEnd(20)} ${r.seconds.toFixed(1).padStart(5)} s  ${result?.trim() ?? ''}`);
}

const queue = examples.filter((d) => SHORT[d]);
await Promise.all(Array.from({ length: jobs }, async () => {
  for (let d; (d = queue.shift()); ) await check(d);
}));
rmSync(tmp, { recursive: true, force: true });
for (const p of problems) console.error(`examples: ${p}`);
console.log(`examples: ${examples.length} examples, ${problems.length} problem(s)`);
process.exit(problems.length > 0 ? 1 : 0);
