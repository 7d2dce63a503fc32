#!/usr/bin/env node
/**
 * Runs the conformance page (built by `vite build --config browser/vite.config.ts` into
 * browser/dist/) in headless Chromium and reports its summary:
 *
 *   node browser/run-chromium.mjs [--backend wasm] [--timeout-ms 300000]
 *
 * Serves browser/dist/ on 127.0.0.1 (a random port), drives /usr/bin/chromium (or $CHROMIUM)
 * through playwright-core with a fresh profile under <repo>/.tmp/, prints each family's counts
 * and the first failures, and exits 1 on any failing case, page error or timeout.
 */
import { createServer } from 'node:http';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = fileURLToPath(new URL('.', import.meta.url));
const distDir = join(here, 'dist');
const repoRoot = resolve(here, '../../..');

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : fallback;
};
const backend = option('--backend', 'wasm');
const timeoutMs = Number(option('--timeout-ms', process.env.CONFORMANCE_TIMEOUT_MS ?? '300000'));
const executablePath = process.env.CHROMIUM ?? '/usr/bin/chromium';
/** How many failure lines to print. */
const SHOW = 50;

// Flags checked on this kind of machine (see shared/TOOLCHAIN.md): headless, no sandbox as root,
// WebGPU on SwiftShader, and nothing that reaches the network or writes outside the profile.
const FLAGS = [
  '--headless=new', '--no-sandbox', '--disable-gpu-sandbox', '--enable-unsafe-webgpu',
  '--use-webgpu-adapter=swiftshader', '--disable-background-networking', '--disable-component-update',
  '--disable-sync', '--no-first-run', '--disable-quic', '--disable-dev-shm-usage',
];

const MIME = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.css': 'text/css',
  '.map': 'application/json',
};

function serve(root) {
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const file = normalize(join(root, path === '/' ? 'index.html' : path));
    if (!file.startsWith(root + sep)) {
      res.writeHead(403).end();
      return;
    }
    try {
      if (!statSync(file).isFile()) throw new Error('not a file');
      res.writeHead(200, { 'content-type': MIME[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' });
      res.end(readFileSync(file));
    } catch {
      res.writeHead(404).end('not found');
    }
  });
  return new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => ok(server));
  });
}

async function main() {
  try {
    statSync(join(distDir, 'index.html'));
  } catch {
    throw new Error(`${distDir}/index.html is missing: build the page first (pnpm --filter @torchlet/conformance run build:browser)`);
  }
  mkdirSync(join(repoRoot, '.tmp'), { recursive: true });
  const tmp = mkdtempSync(join(repoRoot, '.tmp', 'chromium-'));
  const server = await serve(distDir);
  const url = `http://127.0.0.1:${server.address().port}/index.html?backend=${encodeURIComponent(backend)}`;
  let context;
  try {
    context = await chromium.launchPersistentContext(join(tmp, 'profile'), {
      executablePath,
      headless: true,
      args: FLAGS,
      env: { ...process.env, XDG_CONFIG_HOME: join(tmp, 'config'), XDG_CACHE_HOME: join(tmp, 'cache'), HOME: tmp },
      timeout: 60_000,
    });
    const page = context.pages()[0] ?? (await context.newPage());
    // Console messages are forwarded; an uncaught exception on the page fails the run.
    let pageErrors = 0;
    page.on('console', (msg) => {
      const type = msg.type();
      const line = `[page ${type}] ${msg.text()}`;
      (type === 'error' || type === 'warning' ? console.error : console.log)(line);
    });
    page.on('pageerror', (err) => {
      pageErrors++;
      console.error(`[page error] ${err.stack ?? err.message}`);
    });
    page.on('response', (res) => {
      if (res.status() >= 400) console.error(`[page request] ${res.status()} ${res.url()}`);
    });
    page.on('requestfailed', (req) => console.error(`[page request failed] ${req.url()}: ${req.failure()?.errorText}`));

    console.log(`conformance in ${await context.browser()?.version?.() ?? 'chromium'}: ${url}`);
    await page.goto(url, { waitUntil: 'load', timeout: 60_000 });
    const handle = await page.waitForFunction(
      () => window.__conformance ?? (window.__conformanceError !== undefined ? { error: window.__conformanceError } : undefined),
      undefined,
      { timeout: timeoutMs, polling: 250 },
    );
    const result = await handle.jsonValue();
    if (result.error !== undefined) throw new Error(`the page stopped: ${result.error}`);

    console.log(`chromium, backend ${result.backend}:`);
    for (const [family, c] of Object.entries(result.perFamily)) console.log(`  ${family}: ${c.passed} passed, ${c.failed} failed (${c.passedWithGrads} with gradients)`);
    console.log(`  total: ${result.passed} passed, ${result.failed} failed`);
    if (result.failures.length > 0) {
      console.log(`failures (first ${Math.min(SHOW, result.failures.length)} of ${result.failures.length}):`);
      for (const f of result.failures.slice(0, SHOW)) console.log(`  ${f}`);
    }
    if (pageErrors > 0) console.error(`${pageErrors} uncaught error(s) on the page`);
    return result.failed === 0 && result.passed > 0 && pageErrors === 0 ? 0 : 1;
  } finally {
    await context?.close().catch(() => {});
    server.close();
    rmSync(tmp, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(`run-chromium: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
