#!/usr/bin/env node
/**
 * Runs the conformance page (built by `vite build --config browser/vite.config.ts` into
 * browser/dist/) in headless Chromium and reports its summary:
 *
 *   node browser/run-chromium.mjs [--backend wasm] [--page index.html] [--timeout-ms 300000]
 *
 * `--page worker-training.html` runs the worker-training checks instead (trainInWorker in Web
 * Workers), which report the same summary.
 *   TORCHLET_LONG_LOOPS=1 node browser/run-chromium.mjs [--backend wasm]   (only the literal loops, long)
 *
 * Serves browser/dist/ on 127.0.0.1 (a random port), drives /usr/bin/chromium (or $CHROMIUM)
 * through playwright-core with a fresh profile under <repo>/.tmp/, prints each family's counts
 * and the first failures, and exits 1 on any failing case, page error or timeout.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CHROMIUM_FLAGS, firstPage, serveStatic, withChromium } from '../../../scripts/chromium.mjs';

const here = fileURLToPath(new URL('.', import.meta.url));
const distDir = join(here, 'dist');

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : fallback;
};
const backend = option('--backend', 'wasm');
const pageFile = option('--page', 'index.html');
const long = process.env.TORCHLET_LONG_LOOPS === '1';
const timeoutMs = Number(option('--timeout-ms', process.env.CONFORMANCE_TIMEOUT_MS ?? (long ? '3600000' : '300000')));
// gc() and an exact performance.memory, so the literal loops can check the JS heap as in Node and Deno.
const FLAGS = [...CHROMIUM_FLAGS, '--js-flags=--expose-gc', '--enable-precise-memory-info'];
/** How many failure lines to print. */
const SHOW = 50;

async function main() {
  try {
    statSync(join(distDir, pageFile));
  } catch {
    throw new Error(`${distDir}/${pageFile} is missing: build the page first (pnpm --filter @torchlet/conformance run build:browser)`);
  }
  const server = await serveStatic(distDir);
  const url = `http://127.0.0.1:${server.address().port}/${pageFile}?backend=${encodeURIComponent(backend)}${long ? '&long=1' : ''}`;
  try {
    return await withChromium(async (context) => {
      const page = await firstPage(context);
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
    }, { args: FLAGS });
  } finally {
    server.close();
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(`run-chromium: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
