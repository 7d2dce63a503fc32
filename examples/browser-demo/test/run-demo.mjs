#!/usr/bin/env node
/**
 * The browser demo's end-to-end test (`pnpm --filter @torchlet/example-browser-demo run test:demo`,
 * after `vite build`): serves dist/ on 127.0.0.1, opens it in headless Chromium (playwright-core,
 * the flags of packages/conformance/browser/run-chromium.mjs), clicks Train on a few thousand
 * digits, waits for held-out accuracy above 90%, draws a "1" on the pad, checks that a
 * prediction appears, and saves <repo>/.tmp/browser-demo.png. Exits 1 on any failure or page error.
 *
 *   node test/run-demo.mjs [--train 6000] [--epochs 3] [--backend wasm|webgpu] [--timeout-ms 180000]
 *
 * `--backend webgpu` loads the page with `?backend=webgpu` (the switch's WebGPU choice; SwiftShader
 * here) and fails unless the demo really trained on 'webgpu'.
 */
import { createServer } from 'node:http';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = fileURLToPath(new URL('..', import.meta.url));
const distDir = join(here, 'dist');
const repoRoot = resolve(here, '../..');
const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : fallback;
};
const nTrain = Number(option('--train', '6000'));
const epochs = Number(option('--epochs', '3'));
const timeoutMs = Number(option('--timeout-ms', '180000'));
const backend = option('--backend', 'wasm');
const screenshot = join(repoRoot, '.tmp', 'browser-demo.png');
const FLAGS = [
  '--headless=new', '--no-sandbox', '--disable-gpu-sandbox', '--enable-unsafe-webgpu',
  '--use-webgpu-adapter=swiftshader', '--disable-background-networking', '--disable-component-update',
  '--disable-sync', '--no-first-run', '--disable-quic', '--disable-dev-shm-usage',
];
const MIME = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.json': 'application/json',
  '.wasm': 'application/wasm', '.css': 'text/css', '.map': 'application/json', '.png': 'image/png',
};

/** A static file server for `root` on 127.0.0.1 and a random port. */
export function serve(root) {
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    let file = normalize(join(root, path));
    if (file !== root && !file.startsWith(root + sep)) return void res.writeHead(403).end();
    try {
      if (statSync(file).isDirectory()) file = join(file, 'index.html');
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
  statSync(join(distDir, 'index.html'));
  mkdirSync(join(repoRoot, '.tmp'), { recursive: true });
  const tmp = mkdtempSync(join(repoRoot, '.tmp', 'demo-chromium-'));
  const server = await serve(distDir);
  const url = `http://127.0.0.1:${server.address().port}/index.html?train=${nTrain}&epochs=${epochs}&backend=${backend}`;
  let context;
  const problems = [];
  try {
    context = await chromium.launchPersistentContext(join(tmp, 'profile'), {
      executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
      headless: true,
      args: FLAGS,
      env: { ...process.env, XDG_CONFIG_HOME: join(tmp, 'config'), XDG_CACHE_HOME: join(tmp, 'cache'), HOME: tmp },
      viewport: { width: 1100, height: 1000 },
      timeout: 60_000,
    });
    const page = context.pages()[0] ?? (await context.newPage());
    page.on('console', (m) => (m.type() === 'error' ? console.error : console.log)(`[page ${m.type()}] ${m.text()}`));
    page.on('pageerror', (e) => problems.push(`page error: ${e.stack ?? e.message}`));
    page.on('response', (r) => r.status() >= 400 && problems.push(`HTTP ${r.status()} ${r.url()}`));

    const t0 = Date.now();
    await page.goto(url, { waitUntil: 'load', timeout: 60_000 });
    await page.waitForFunction(() => window.__demo?.ready === true, undefined, { timeout: 60_000 });
    const webgpu = await page.evaluate(() => window.__demo.webgpu);
    const loaded = await page.evaluate(() => window.__demo.backend);
    console.log(`demo loaded: backend ${loaded}; webgpu: ${webgpu}`);
    if (loaded !== backend) throw new Error(`asked for backend ${backend}, the demo is on ${loaded} (webgpu: ${webgpu})`);

    await page.click('#train');
    const handle = await page.waitForFunction(
      () => (window.__demo.error ? { error: window.__demo.error } : window.__demo.trained ? { ...window.__demo } : undefined),
      undefined, { timeout: timeoutMs, polling: 500 },
    );
    const result = await handle.jsonValue();
    if (result.error) throw new Error(`training failed: ${result.error}`);
    const accs = result.epochs.map((a) => `${(a * 100).toFixed(1)}%`).join(', ');
    console.log(`${backend}: trained ${nTrain} digits x ${epochs} epochs in ${((Date.now() - t0) / 1000).toFixed(1)} s (incl. loading); held-out accuracy per epoch: ${accs}`);
    if (!(result.accuracy > 0.9)) problems.push(`held-out accuracy ${result.accuracy} is not above 0.9`);

    const samples = await page.locator('#samples .sample').count();
    if (samples < 10) problems.push(`only ${samples} sample predictions are shown`);

    // Draw a "1": a slightly slanted vertical stroke through the pad.
    const box = await page.locator('#pad').boundingBox();
    await page.mouse.move(box.x + box.width * 0.52, box.y + box.height * 0.18);
    await page.mouse.down();
    for (let i = 1; i <= 20; i++) await page.mouse.move(box.x + box.width * (0.52 - 0.04 * i / 20), box.y + box.height * (0.18 + 0.64 * i / 20));
    await page.mouse.up();
    await page.waitForFunction(() => window.__demo.drawn !== null, undefined, { timeout: 10_000 });
    const drawn = await page.evaluate(() => window.__demo.drawn);
    const shown = (await page.locator('#drawn-prediction').textContent())?.trim();
    console.log(`drawn stroke classified as ${drawn.label} (p = ${drawn.probability.toFixed(3)}); the page shows "${shown}"`);
    if (!/^\d$/.test(shown ?? '')) problems.push(`no prediction shown for the drawing (got "${shown}")`);

    await page.screenshot({ path: screenshot, fullPage: true });
    console.log(`screenshot: ${screenshot}`);
  } finally {
    await context?.close().catch(() => {});
    server.close();
    rmSync(tmp, { recursive: true, force: true });
  }
  for (const p of problems) console.error(p);
  return problems.length === 0 ? 0 : 1;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main().then((code) => process.exit(code), (err) => {
    console.error(`run-demo: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  });
}
