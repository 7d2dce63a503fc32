#!/usr/bin/env node
/**
 * The browser demo's end-to-end test (`pnpm --filter @torchlet/example-browser-demo run test:demo`,
 * after `vite build`): serves dist/ on 127.0.0.1, opens it in headless Chromium (playwright-core,
 * the flags of packages/conformance/browser/run-chromium.mjs), clicks Train on a few thousand
 * digits, waits for held-out accuracy above 90%, draws a "1" on the pad, checks that a
 * prediction appears, and saves <repo>/.tmp/browser-demo.png. Exits 1 on any failure or page error.
 * Training runs in a Web Worker (torch.trainInWorker): the test checks that the worker starts and
 * that the page's own thread stayed responsive meanwhile — a 50 ms timer kept ticking, its longest
 * gap under --max-gap-ms (1500: this machine is shared; a loop on the page's thread would hold it
 * for the whole run) and at least a fifth of its ticks on time.
 *
 *   node test/run-demo.mjs [--train 6000] [--epochs 3] [--backend wasm|webgpu] [--timeout-ms 180000]
 *                          [--dev] [--min-accuracy 0.9] [--max-gap-ms 1500]
 *
 * `--dev` tests the page as `pnpm --filter @torchlet/example-browser-demo run dev` serves it: Vite's
 * dev server (the sources untransformed by a build, the embedded digits fetched through the URL the
 * dev server gives them) instead of dist/, and checks that the server prints its URL.
 *
 * `--backend webgpu` loads the page with `?backend=webgpu` (the switch's WebGPU choice; SwiftShader
 * here) and fails unless the demo really trained on 'webgpu'.
 */
import { statSync } from 'node:fs';
import { createServer as createNetServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { firstPage, repoRoot, serveStatic, withChromium } from '../../../scripts/chromium.mjs';

const here = fileURLToPath(new URL('..', import.meta.url));
const distDir = join(here, 'dist');
const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : fallback;
};
const nTrain = Number(option('--train', '6000'));
const epochs = Number(option('--epochs', '3'));
const timeoutMs = Number(option('--timeout-ms', '180000'));
const backend = option('--backend', 'wasm');
const dev = args.includes('--dev');
const minAccuracy = Number(option('--min-accuracy', '0.9'));
const maxGapMs = Number(option('--max-gap-ms', '1500'));
const screenshot = join(repoRoot, '.tmp', `browser-demo${backend === 'wasm' ? '' : `-${backend}`}${dev ? '-dev' : ''}.png`);

/** A free port on 127.0.0.1. */
function freePort() {
  return new Promise((ok, fail) => {
    const s = createNetServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => ok(port));
    });
  });
}

/** Vite's dev server on the demo, as `pnpm run dev` starts it; returns { origin, close }. */
async function startDevServer() {
  const { createServer } = await import('vite');
  const printed = [];
  const server = await createServer({
    configFile: join(here, 'vite.config.ts'),
    server: { host: '127.0.0.1', port: await freePort(), strictPort: true },
    // One dependency cache per backend: the test runner starts the wasm and WebGPU dev servers at
    // the same time, and two servers optimising into one cache directory race.
    cacheDir: join(here, 'node_modules', `.vite-test-${backend}`),
  });
  await server.listen();
  // What `vite` prints on start (its logger writes through console.log): the URL to open must be among it.
  const log = console.log;
  console.log = (...a) => printed.push(a.join(' '));
  try {
    server.printUrls();
  } finally {
    console.log = log;
  }
  const origin = server.resolvedUrls.local[0].replace(/\/$/, '');
  const banner = printed.join('\n').replace(/\x1b\[[0-9;]*m/g, '');
  console.log(`dev server printed:\n${banner}`);
  if (!banner.includes(origin)) throw new Error(`the dev server did not print its URL ${origin}`);
  return { origin, close: () => server.close() };
}

async function main() {
  let origin, close;
  if (dev) {
    ({ origin, close } = await startDevServer());
  } else {
    statSync(join(distDir, 'index.html'));
    const server = await serveStatic(distDir);
    origin = `http://127.0.0.1:${server.address().port}`;
    close = () => server.close();
  }
  const url = `${origin}/index.html?train=${nTrain}&epochs=${epochs}&backend=${backend}`;
  const problems = [];
  try {
    await withChromium(async (context) => {
      const page = await firstPage(context);
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

      const workerStarted = page.waitForEvent('worker', { timeout: 60_000 });
      await page.click('#train');
      const worker = await workerStarted;
      console.log(`training worker: ${worker.url()}`);
      if (!/train\.worker/.test(worker.url())) problems.push(`the worker that started is not the training worker: ${worker.url()}`);
      const handle = await page.waitForFunction(
        () => (window.__demo.error ? { error: window.__demo.error } : window.__demo.trained ? { ...window.__demo } : undefined),
        undefined, { timeout: timeoutMs, polling: 500 },
      );
      const result = await handle.jsonValue();
      if (result.error) throw new Error(`training failed: ${result.error}`);
      const accs = result.epochs.map((a) => `${(a * 100).toFixed(1)}%`).join(', ');
      console.log(`${backend}: trained ${nTrain} digits x ${epochs} epochs in ${((Date.now() - t0) / 1000).toFixed(1)} s (incl. loading); held-out accuracy per epoch: ${accs}`);
      if (!(result.accuracy > minAccuracy)) problems.push(`held-out accuracy ${result.accuracy} is not above ${minAccuracy}`);

      // The page's thread while the worker trained.
      const r = result.responsiveness;
      console.log(`page thread during training: ${r.ticks} ticks of a 50 ms timer in ${r.seconds.toFixed(1)} s, longest gap ${r.maxGapMs.toFixed(0)} ms; ${r.frames} animation frames`);
      if (!(r.maxGapMs < maxGapMs)) problems.push(`the page was unresponsive during training: its 50 ms timer waited ${r.maxGapMs.toFixed(0)} ms (limit ${maxGapMs})`);
      if (!(r.ticks >= (r.seconds * 20) / 5)) problems.push(`the page's 50 ms timer ticked ${r.ticks} times in ${r.seconds.toFixed(1)} s (fewer than a fifth of ${Math.floor(r.seconds * 20)})`);

      // The confusion matrix: 10x10 counts of every held-out digit, its diagonal the accuracy.
      const m = result.confusion;
      const total = m?.flat().reduce((a, b) => a + b, 0);
      const diagonal = m?.reduce((a, row, i) => a + row[i], 0);
      const cells = await page.locator('#confusion td').count();
      if (!m || m.length !== 10 || cells !== 100 || Math.abs(diagonal / total - result.accuracy) > 1e-9) {
        problems.push(`confusion matrix: ${cells} cells, diagonal ${diagonal} of ${total}, accuracy ${result.accuracy}`);
      } else {
        console.log(`confusion matrix: ${total} held-out digits, ${diagonal} on the diagonal`);
      }

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
    }, { viewport: { width: 1100, height: 1000 } });
  } finally {
    await close();
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
