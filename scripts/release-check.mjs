#!/usr/bin/env node
/**
 * Rehearses a release without touching the checkout or the network's auth:
 *
 *   pnpm run build && node scripts/release-check.mjs      (pnpm run test:release)
 *
 * Copies the working tree (tracked and untracked-but-not-ignored files, plus each package's
 * built dist/) into a temporary git repository, then runs `changeset version` there (every
 * pending changeset applied; the public packages are one fixed group and must come out with one
 * version, private ones untouched) and, after an offline `pnpm install` of the copy, `pnpm -r publish --dry-run --no-git-checks`, which packs
 * every public package as it would be published (workspace:* replaced by versions) and uploads nothing.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const t0 = Date.now();

function run(cmd, args, cwd) {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', maxBuffer: 64 << 20, env: { ...process.env, CI: 'true' } });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status ?? r.signal}:\n${r.stdout}\n${r.stderr}`);
  return r.stdout + r.stderr;
}

const manifests = (dir) => readdirSync(join(dir, 'packages'))
  .filter((d) => existsSync(join(dir, 'packages', d, 'package.json')))
  .map((d) => ({ dir: d, ...JSON.parse(readFileSync(join(dir, 'packages', d, 'package.json'), 'utf8')) }));

const work = mkdtempSync(join(tmpdir(), 'torchlet-release-'));
try {
  const files = run('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], root).split('\0').filter(Boolean);
  for (const f of files) {
    if (!existsSync(join(root, f))) continue; // deleted in the working tree
    mkdirSync(dirname(join(work, f)), { recursive: true });
    cpSync(join(root, f), join(work, f));
  }
  for (const p of manifests(root)) {
    const dist = join(root, 'packages', p.dir, 'dist');
    if (!p.private && existsSync(dist)) cpSync(dist, join(work, 'packages', p.dir, 'dist'), { recursive: true });
  }
  // publish resolves workspace:* through the copy's own links: install it from the store
  // (offline; the checkout's install filled the store). changeset runs from the checkout's install.
  run('pnpm', ['install', '--offline', '--frozen-lockfile', '--ignore-scripts', '--reporter=silent'], work);
  run('git', ['init', '-q', '-b', 'main'], work);
  run('git', ['-c', 'user.name=release-check', '-c', 'user.email=release-check@localhost', 'add', '-A'], work);
  run('git', ['-c', 'user.name=release-check', '-c', 'user.email=release-check@localhost', 'commit', '-qm', 'snapshot'], work);

  const before = manifests(work);
  const pending = readdirSync(join(work, '.changeset')).filter((f) => f.endsWith('.md') && f !== 'README.md');
  console.log(run(join(root, 'node_modules/.bin/changeset'), ['version'], work).trim());
  const after = manifests(work);
  const publicAfter = after.filter((p) => !p.private);
  const versions = new Set(publicAfter.map((p) => p.version));
  if (pending.length > 0 && versions.size !== 1) {
    throw new Error(`the public packages should share one version (fixed group), got ${publicAfter.map((p) => `${p.name}@${p.version}`).join(', ')}`);
  }
  for (const p of after.filter((q) => q.private)) {
    const was = before.find((q) => q.name === p.name);
    if (was && was.version !== p.version) throw new Error(`private package ${p.name} was versioned (${was.version} -> ${p.version})`);
  }
  const left = readdirSync(join(work, '.changeset')).filter((f) => f.endsWith('.md') && f !== 'README.md');
  if (left.length > 0) throw new Error(`changeset version left ${left.join(', ')}`);
  console.log(`release-check: changeset version applied ${pending.length} changesets: ${publicAfter.map((p) => `${p.name}@${p.version}`).join(', ')}`);

  const out = run('pnpm', ['-r', 'publish', '--dry-run', '--no-git-checks', '--access', 'public'], work);
  const published = publicAfter.filter((p) => out.includes(`${p.name}@${p.version}`));
  if (published.length !== publicAfter.length) {
    console.log(out);
    throw new Error(`publish --dry-run covered ${published.map((p) => p.name).join(', ') || 'nothing'}; expected every public package`);
  }
  if (/workspace:/.test(out)) throw new Error('a workspace: range would be published');
  console.log(`release-check: pnpm -r publish --dry-run packed ${published.length} packages; done in ${((Date.now() - t0) / 1000).toFixed(1)}s`);
} catch (err) {
  console.error(`release-check: FAILED: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
} finally {
  rmSync(work, { recursive: true, force: true });
}
