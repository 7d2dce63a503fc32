#!/usr/bin/env node
/**
 * The LLM page's end-to-end test (`pnpm --filter @torchlet/example-llm run test:web`, after
 * `web:build`): serves web/dist on 127.0.0.1, opens it in headless Chromium (scripts/chromium.mjs),
 * picks ../shared/models/stories260K.bin (a real llama2.c checkpoint) in the file picker, enters
 * the 64-token prompt of packages/transformer/test/fixtures/llama-stories260K.safetensors, and
 * generates greedily: the 64 tokens must be PyTorch's (the fixture's `test.greedy`). Saves
 * <repo>/.tmp/llm-web.png. Exits 1 on any failure or page error; without ../shared/models it says
 * so and exits 0 (as the vitest tests that need the file skip).
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { firstPage, repoRoot, serveStatic, withChromium } from '../../../scripts/chromium.mjs';

const dist = fileURLToPath(new URL('./dist', import.meta.url));
const stories = join(repoRoot, '..', 'shared', 'models', 'stories260K.bin');
const fixture = join(repoRoot, 'packages', 'transformer', 'test', 'fixtures', 'llama-stories260K.safetensors');
const screenshot = join(repoRoot, '.tmp', 'llm-web.png');

/** The int32 tensors of a safetensors file, read here (no torchlet: the page is what is tested). */
function int32Tensors(file) {
  const bytes = readFileSync(file);
  const n = Number(bytes.readBigUInt64LE(0));
  const header = JSON.parse(bytes.subarray(8, 8 + n).toString('utf8'));
  const out = {};
  for (const [k, e] of Object.entries(header)) {
    if (k === '__metadata__' || e.dtype !== 'I32') continue;
    const [a, b] = e.data_offsets;
    out[k] = Array.from({ length: (b - a) / 4 }, (_, i) => bytes.readInt32LE(8 + n + a + 4 * i));
  }
  return out;
}

async function main() {
  if (!existsSync(stories)) {
    console.log(`llm-web: ${stories} is absent (../shared/models); nothing to test`);
    return 0;
  }
  statSync(join(dist, 'index.html'));
  const { 'test.idx': prompt, 'test.greedy': greedy } = int32Tensors(fixture);
  const server = await serveStatic(dist);
  const problems = [];
  try {
    await withChromium(async (context) => {
      const page = await firstPage(context);
      page.on('console', (m) => (m.type() === 'error' ? console.error : console.log)(`[page ${m.type()}] ${m.text()}`));
      page.on('pageerror', (e) => problems.push(`page error: ${e.stack ?? e.message}`));
      page.on('response', (r) => r.status() >= 400 && problems.push(`HTTP ${r.status()} ${r.url()}`));
      await page.goto(`http://127.0.0.1:${server.address().port}/index.html`, { waitUntil: 'load', timeout: 60_000 });
      await page.waitForFunction(() => window.__llm?.ready === true, undefined, { timeout: 60_000 });

      await page.setInputFiles('#files', stories);
      const loaded = await (await page.waitForFunction(() => window.__llm.error ? { error: window.__llm.error } : window.__llm.loaded, undefined, { timeout: 60_000 })).jsonValue();
      if (loaded.error) throw new Error(`loading failed: ${loaded.error}`);
      console.log(`loaded stories260K.bin: ${loaded.params} parameters; ${await page.locator('#status').textContent()}`);

      await page.fill('#prompt', prompt.join(','));
      await page.fill('#new-tokens', String(greedy.length));
      await page.fill('#temperature', '0');
      await page.click('#generate');
      const result = await (await page.waitForFunction(() => window.__llm.error ? { error: window.__llm.error } : window.__llm.done ? { ...window.__llm } : undefined, undefined, { timeout: 120_000, polling: 200 })).jsonValue();
      if (result.error) throw new Error(`generation failed: ${result.error}`);
      console.log(`generated ${result.tokens.length} tokens: prefill ${result.stats.prefillMs.toFixed(0)} ms, decode ${result.stats.decodeTps.toFixed(1)} tokens/s`);
      if (JSON.stringify(result.tokens) !== JSON.stringify(greedy)) problems.push(`greedy tokens ${result.tokens.join(',')} differ from PyTorch's ${greedy.join(',')}`);
      else console.log('the 64 greedy tokens are identical to PyTorch\'s');
      const shown = (await page.locator('#output').textContent()) ?? '';
      if (!shown.endsWith(greedy.join(','))) problems.push('the page does not show the generated tokens');
      await page.screenshot({ path: screenshot, fullPage: true });
      console.log(`screenshot: ${screenshot}`);
    }, { viewport: { width: 1000, height: 800 } });
  } finally {
    server.close();
  }
  for (const p of problems) console.error(p);
  return problems.length === 0 ? 0 : 1;
}

main().then((code) => process.exit(code), (err) => {
  console.error(`llm-web: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
