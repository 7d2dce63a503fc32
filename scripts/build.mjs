#!/usr/bin/env node
/**
 * `pnpm run build`: builds the packages whose inputs changed since their last build, in parallel,
 * and prints one line per package (a failing build prints its log).
 *
 *   node scripts/build.mjs [--force] [--verbose] [--js] [--for <dir>] [package ...]
 *
 * - A package is stale when the hash of its inputs (src/, package.json, tsup and tsconfig files,
 *   the root build configs, and the same of every workspace package it depends on) differs from
 *   the one stamped in its dist/.build-stamp.json by the last build. backend-wasm's kernels are a
 *   step of their own: its src/kernels-*.generated.ts are committed and each records the hash of
 *   its inputs (assembly/, core's op table, the compiler version: packages/backend-wasm/scripts/
 *   kernel-inputs.mjs), so a fresh clone compiles no AssemblyScript; they are recompiled only
 *   when those inputs changed.
 * - Packages build at the same time, as many as the machine has cores (TORCHLET_BUILD_JOBS):
 *   tsup's type build resolves workspace imports to their sources (the `torchlet-source`
 *   condition), so no package waits for another's dist/.
 * - `--js` skips the type declarations (a few seconds instead of a minute on 2 cores): what the
 *   examples need to run. A later full build adds them (the stamp records which kind was built).
 * - `--for <dir>` builds only the workspace packages that <dir>/package.json depends on, directly
 *   or not (an example's); package names (core, @torchlet/nn, torchlet) do the same for packages.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { kernelInputsHash, staleVariants } from '../packages/backend-wasm/scripts/kernel-inputs.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const flag = (name) => args.includes(name);
const force = flag('--force');
const verbose = flag('--verbose');
const jsOnly = flag('--js');
const forDirs = args.flatMap((a, i) => (args[i - 1] === '--for' ? [a] : []));
const names = args.filter((a, i) => !a.startsWith('--') && args[i - 1] !== '--for');
const jobs = Number(process.env.TORCHLET_BUILD_JOBS) || Math.max(2, availableParallelism());

const readJson = (file) => JSON.parse(readFileSync(file, 'utf8'));

/** The workspace packages with a build script: name -> { dir, short, pkg, deps (workspace names) }. */
function workspace() {
  const all = new Map();
  for (const short of readdirSync(join(root, 'packages')).sort()) {
    const dir = join(root, 'packages', short);
    if (!existsSync(join(dir, 'package.json'))) continue;
    const pkg = readJson(join(dir, 'package.json'));
    if (!pkg.scripts?.build) continue;
    all.set(pkg.name, { dir, short, pkg });
  }
  for (const p of all.values()) {
    p.deps = Object.keys({ ...p.pkg.dependencies, ...p.pkg.peerDependencies }).filter((d) => all.has(d));
  }
  return all;
}

/** `names` and everything they depend on, dependencies first. */
function closure(all, wanted) {
  const out = [];
  const visit = (name) => {
    if (out.includes(name)) return;
    const p = all.get(name);
    if (!p) throw new Error(`build: no workspace package ${name} (known: ${[...all.values()].map((x) => x.short).join(', ')})`);
    p.deps.forEach(visit);
    out.push(name);
  };
  wanted.forEach(visit);
  return out;
}

function filesUnder(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath ?? e.path, e.name))
    .sort();
}

/** sha256 over the files' paths (relative to the root) and contents. */
function hashFiles(files) {
  const h = createHash('sha256');
  for (const f of files) {
    if (!existsSync(f)) continue;
    h.update(relative(root, f)).update('\0').update(readFileSync(f)).update('\0');
  }
  return h.digest('hex').slice(0, 16);
}

const rootConfigs = ['tsup.base.ts', 'tsup.pure-namespaces.ts', 'tsconfig.base.json', 'scripts/build.mjs'].map((f) => join(root, f));
const ownHash = new Map();
function sourceHash(p) {
  if (!ownHash.has(p.pkg.name)) {
    // backend-wasm's generated kernels are outputs of its assembly/ sources, which stand in for them.
    const files = [
      ...filesUnder(join(p.dir, 'src')).filter((f) => !f.endsWith('.generated.ts')),
      ...['package.json', 'tsup.config.ts', 'tsconfig.json'].map((f) => join(p.dir, f)),
    ];
    ownHash.set(p.pkg.name, hashFiles(files) + (p.short === 'backend-wasm' ? kernelInputsHash() : ''));
  }
  return ownHash.get(p.pkg.name);
}


const readStamp = (file) => {
  try {
    return readJson(file);
  } catch {
    return {};
  }
};

/** Runs `cmd args` in `cwd`, its output collected; resolves { code, log, seconds }. */
function run(cmd, cmdArgs, cwd, env = {}) {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(cmd, cmdArgs, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    child.stdout.on('data', (d) => (log += d));
    child.stderr.on('data', (d) => (log += d));
    child.on('error', (e) => resolve({ code: 1, log: `${log}${e.message}\n`, seconds: (Date.now() - started) / 1000 }));
    child.on('close', (code) => resolve({ code: code ?? 1, log, seconds: (Date.now() - started) / 1000 }));
  });
}

async function main() {
  const all = workspace();
  let wanted = [...all.keys()];
  if (names.length > 0 || forDirs.length > 0) {
    const byShort = (n) => [...all.values()].find((p) => p.short === n || p.pkg.name === n || p.pkg.name === `@torchlet/${n}`)?.pkg.name ?? n;
    const fromDirs = forDirs.flatMap((d) => {
      const pkg = readJson(join(root, d, 'package.json'));
      return Object.keys({ ...pkg.dependencies, ...pkg.devDependencies }).filter((n) => all.has(n));
    });
    wanted = closure(all, [...names.map(byShort), ...fromDirs]);
  }
  const kind = jsOnly ? 'js' : 'full';
  const started = Date.now();
  const lines = [];
  let failed = false;

  // Stale packages, with the hash each will be stamped with.
  const depHash = (name) => closure(all, [name]).map((n) => sourceHash(all.get(n))).join('');
  const todo = [];
  for (const name of wanted) {
    const p = all.get(name);
    const hash = createHash('sha256').update(depHash(name)).update(hashFiles(rootConfigs)).digest('hex').slice(0, 16);
    const stamp = readStamp(join(p.dir, 'dist/.build-stamp.json'));
    const fresh = !force && stamp.hash === hash && (stamp.kind === 'full' || stamp.kind === kind) && existsSync(join(p.dir, 'dist/index.js'));
    if (!fresh) todo.push({ p, hash });
  }

  // backend-wasm's kernels first (the package's src/ includes what they generate).
  const wasmPkg = wanted.includes('@torchlet/backend-wasm') ? all.get('@torchlet/backend-wasm') : undefined;
  if (wasmPkg) {
    const stale = staleVariants(kernelInputsHash());
    if (force || stale.length > 0) {
      const r = await run(process.execPath, ['scripts/build-wasm.mjs'], wasmPkg.dir, { TORCHLET_BUILD_JOBS: String(jobs) });
      if (r.code !== 0) {
        process.stdout.write(r.log);
        console.error(`build: backend-wasm kernels FAILED (${r.seconds.toFixed(1)} s)`);
        process.exit(1);
      }
      lines.push(`  wasm kernels  ${r.seconds.toFixed(1).padStart(5)} s  ${r.log.trim().split('\n').pop()}`);
      if (verbose) process.stdout.write(r.log);
    }
  }

  // tsup, `jobs` packages at a time.
  const tsup = join(root, 'node_modules/tsup/dist/cli-default.js');
  const queue = [...todo];
  const worker = async () => {
    for (let t; (t = queue.shift()); ) {
      const env = jsOnly ? { TORCHLET_BUILD_NO_DTS: '1' } : {};
      const r = await run(process.execPath, [tsup, '--silent'], t.p.dir, env);
      if (r.code !== 0) {
        failed = true;
        process.stdout.write(`\n--- ${t.p.pkg.name} (tsup) ---\n${r.log}\n`);
        lines.push(`  ${t.p.short.padEnd(13)} ${r.seconds.toFixed(1).padStart(5)} s  FAILED`);
        continue;
      }
      if (verbose) process.stdout.write(r.log);
      writeFileSync(join(t.p.dir, 'dist/.build-stamp.json'), `${JSON.stringify({ hash: t.hash, kind })}\n`);
      lines.push(`  ${t.p.short.padEnd(13)} ${r.seconds.toFixed(1).padStart(5)} s${jsOnly ? '  (js only)' : ''}`);
    }
  };
  await Promise.all(Array.from({ length: Math.min(jobs, Math.max(1, todo.length)) }, worker));

  const total = ((Date.now() - started) / 1000).toFixed(1);
  const upToDate = wanted.length - todo.length;
  if (todo.length === 0) {
    console.log(`build: ${wanted.length} package(s) up to date (${total} s)`);
  } else {
    console.log(`build: ${todo.length} package(s) built, ${upToDate} up to date, in ${total} s`);
    for (const l of lines) console.log(l);
  }
  if (failed) {
    console.error('build: FAILED (logs above)');
    process.exit(1);
  }
}

await main();
