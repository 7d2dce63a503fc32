#!/usr/bin/env node
/**
 * `pnpm run check:readme` (a suite of `pnpm test`): the README tells the truth about the files and
 * commands it names.
 *  - every relative link `[..](path)` and every backticked repository path (`examples/cnn`,
 *    `scripts/setup-machine.sh`, `.ci/run`) exists;
 *  - every `pnpm run <script>` / `pnpm <script>` names a root package.json script (or a pnpm
 *    built-in), and every `pnpm --filter <package> run <script>` a script of that workspace package;
 *  - every package under packages/ is in the package table, and every example under examples/
 *    (except the shared helpers in examples/common) is named.
 * Prints each problem and exits 1 when there is one.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const file = process.argv[2] ?? join(root, 'README.md');
const text = readFileSync(file, 'utf8');
const readJson = (p) => JSON.parse(readFileSync(p, 'utf8'));
const rootScripts = readJson(join(root, 'package.json')).scripts;
const PNPM_BUILTINS = new Set(['install', 'test', 'add', 'exec', 'pack', 'publish', 'changeset']);
const problems = [];

// Workspace packages by name.
const workspace = new Map();
for (const parent of ['packages', 'examples']) {
  for (const d of readdirSync(join(root, parent))) {
    const pj = join(root, parent, d, 'package.json');
    if (existsSync(pj)) workspace.set(readJson(pj).name, { dir: `${parent}/${d}`, scripts: readJson(pj).scripts ?? {} });
  }
}

// 1. Paths: markdown links, then backticked things that look like repository paths.
const paths = new Set();
for (const m of text.matchAll(/\]\(([^)#\s]+)(#[^)]*)?\)/g)) {
  if (!/^[a-z]+:/.test(m[1])) paths.add(m[1]);
}
for (const m of text.matchAll(/`([^`\s]+)`/g)) {
  const p = m[1];
  if (/^(\.ci|scripts|examples|packages|docs|benchmarks|\.changeset)(\/|$)/.test(p) && !p.includes('*') && !p.includes('<')) paths.add(p);
}
// A build output the README mentions (docs/api/) is ignored by git and need not exist yet.
const ignored = (p) => [p, `${p.replace(/\/$/, '')}/`].some((q) => spawnSync('git', ['check-ignore', '-q', q], { cwd: root }).status === 0);
for (const p of paths) {
  if (!existsSync(join(root, p)) && !ignored(p)) problems.push(`path ${p} does not exist`);
}

// 2. Commands.
for (const m of text.matchAll(/pnpm --filter (\S+) run ([\w:-]+)/g)) {
  const pkg = workspace.get(m[1]);
  if (!pkg) problems.push(`pnpm --filter ${m[1]}: no workspace package of that name`);
  else if (!pkg.scripts[m[2]]) problems.push(`pnpm --filter ${m[1]} run ${m[2]}: ${pkg.dir}/package.json has no script ${m[2]}`);
}
for (const m of text.matchAll(/`run ([\w:-]+)`/g)) {
  // "`run build` then `run preview`" after a --filter command: any example or package script.
  if (![...workspace.values()].some((p) => p.scripts[m[1]])) problems.push(`run ${m[1]}: no workspace package has that script`);
}
const plain = [...text.matchAll(/pnpm (?:run )?([a-z][\w:-]*)/g)].filter((m) => !text.slice(m.index - 1, m.index).match(/[\w/-]/));
for (const m of plain) {
  const name = m[1];
  if (name === 'run' || name === 'install' || name === 'filter') continue;
  if (m[0].startsWith('pnpm run ') ? !rootScripts[name] : !rootScripts[name] && !PNPM_BUILTINS.has(name)) {
    problems.push(`${m[0]}: the root package.json has no script ${name}`);
  }
}
// `... / test:deno / ...` lists in the development table: each backticked script-like word after a slash.
for (const m of text.matchAll(/\/ `([\w:-]+)`/g)) {
  if (!rootScripts[m[1]]) problems.push(`\`${m[1]}\`: the root package.json has no script ${m[1]}`);
}

// 3. Every package and example is named.
for (const d of readdirSync(join(root, 'packages'))) {
  if (!existsSync(join(root, 'packages', d, 'package.json'))) continue;
  if (!text.includes(`packages/${d}`)) problems.push(`packages/${d} is not in the README's package table`);
}
for (const d of readdirSync(join(root, 'examples'))) {
  if (d === 'common' || !existsSync(join(root, 'examples', d, 'package.json'))) continue;
  if (!text.includes(`examples/${d}`)) problems.push(`examples/${d} is not named in the README`);
}

for (const p of problems) console.error(`check-readme: ${p}`);
console.log(`check-readme: ${paths.size} paths, ${plain.length} pnpm commands checked; ${problems.length} problem(s)`);
process.exit(problems.length > 0 ? 1 : 0);
