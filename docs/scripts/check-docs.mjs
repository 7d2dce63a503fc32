#!/usr/bin/env node
/**
 * `pnpm run docs:check` (run by `pnpm test`, after the build):
 *  1. the PyTorch translation table lists every exported layer, loss, optimizer, scheduler and
 *     core function and is up to date (translation-table.mjs --check), and every torchlet name in
 *     it exists (translation-check.mjs);
 *  2. every public function and class of the user-facing packages has an `@example`, all of the
 *     examples typecheck in one TypeScript program, and a sample of them runs (doc-examples.mjs);
 *  3. typedoc builds docs/api with no warning (typedoc.json: treatWarningsAsErrors, and the
 *     not-documented validation on): every export and public member has a doc comment. An
 *     undocumented one is listed by name; docs/scripts/undocumented-baseline.json (empty: zero per
 *     package) is the allowance, kept only so a package could be brought in gradually. It runs
 *     with --skipErrorChecking (typedoc.json's packageOptions carry it to each package): type
 *     errors are the typecheck's job, which CI runs before this; and with
 *     typedoc-shared-sources/register.mjs, as `pnpm run docs` (docs.mjs);
 *  4. serves docs/api on 127.0.0.1 and checks in headless Chromium that the index, a class page
 *     (nn.Linear) and a guide render with their headings; screenshots go to <repo>/.tmp/docs-*.png.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { firstPage, serveStatic, withChromium } from '../../scripts/chromium.mjs';

const root = fileURLToPath(new URL('../../', import.meta.url));
const baselineFile = join(root, 'docs/scripts/undocumented-baseline.json');
const update = process.argv.includes('--update-baseline');
const problems = [];

const step = (name, t) => console.log(`docs:check: ${name} in ${((performance.now() - t) / 1000).toFixed(1)} s`);
let t = performance.now();
// 1. The translation table.
execFileSync(process.execPath, [join(root, 'docs/scripts/translation-table.mjs'), '--check'], { stdio: 'inherit' });
execFileSync(process.execPath, [join(root, 'docs/scripts/translation-check.mjs')], { stdio: 'inherit' });
step('translation table', t);

// 2. The examples.
t = performance.now();
const examples = spawnSync(process.execPath, [join(root, 'docs/scripts/doc-examples.mjs')], { stdio: 'inherit' });
if (examples.status !== 0) problems.push('doc-examples.mjs failed (see above)');
step('examples', t);

// 3. typedoc: one run with not-documented warnings on (not as errors), then no other warning allowed.
t = performance.now();
const typedoc = spawnSync(process.execPath, ['--import', new URL('./typedoc-shared-sources/register.mjs', import.meta.url).href,
  join(root, 'node_modules/typedoc/bin/typedoc'), '--skipErrorChecking',
  '--validation.notDocumented', 'true', '--treatWarningsAsErrors', 'false', '--logLevel', 'Warn'], { cwd: root, encoding: 'utf8' });
step('typedoc', t);
const log = `${typedoc.stdout}${typedoc.stderr}`.replace(/\x1b\[[0-9;]*m/g, '');
const lines = log.split('\n').filter((l) => /^\[(warning|error)\]/.test(l) || /error TS\d+/.test(l));
const undocumented = lines.filter((l) => l.includes('does not have any documentation'));
const others = lines.filter((l) => !l.includes('does not have any documentation') && !/^\[warning\] Found \d+ errors/.test(l));
if (typedoc.status !== 0 || others.length > 0) {
  problems.push(`typedoc: exit ${typedoc.status}, ${others.length} warning(s)/error(s) other than undocumented exports:\n  ${others.join('\n  ')}`);
}
// Count per package, by the symbol's own package ("@torchlet/nn.Linear.forward" -> @torchlet/nn).
// The umbrella's pages are its own API only (its typedoc entry point is src/worker-training/index.ts:
// its re-exports would be second pages).
const counts = {};
for (const l of undocumented) {
  const m = / defined in (@torchlet\/[^/]+|torchlet)\//.exec(l);
  const pkg = m?.[1] ?? 'other';
  if (l.startsWith('[warning] torchlet.')) continue;
  counts[pkg] = (counts[pkg] ?? 0) + 1;
}
const baseline = existsSync(baselineFile) ? JSON.parse(readFileSync(baselineFile, 'utf8')) : {};
if (update) {
  writeFileSync(baselineFile, `${JSON.stringify(Object.fromEntries(Object.entries(counts).sort()), null, 2)}\n`);
  console.log(`wrote ${baselineFile}`);
}
const total = Object.values(counts).reduce((a, b) => a + b, 0);
console.log(`typedoc: ${others.length} warnings; undocumented exports (members included) per package: ${JSON.stringify(counts)} (${total} in all)`);
for (const [pkg, n] of Object.entries(counts)) {
  if (!update && n > (baseline[pkg] ?? 0)) {
    problems.push(`${pkg}: ${n} undocumented exports, more than the baseline's ${baseline[pkg] ?? 0}; document them:\n  ${undocumented.filter((l) => l.includes(`defined in ${pkg}/`)).slice(0, 30).join('\n  ')}`);
  }
}

// 4. The site in Chromium.
t = performance.now();
const api = join(root, 'docs/api');
const findPage = (dir, re) => readdirSync(join(api, dir)).find((f) => re.test(f));
const pages = [
  { name: 'index', path: 'index.html', heading: 'torchlet', text: 'PyTorch-style deep learning' },
  { name: 'class', path: `classes/${findPage('classes', /^_torchlet_nn\.Linear\.html$/) ?? 'missing-Linear.html'}`, heading: 'Linear', text: 'forward' },
  { name: 'guide', path: 'documents/PyTorch_to_torchlet.html', heading: 'PyTorch to torchlet', text: 'CrossEntropyLoss' },
];
const guides = readdirSync(join(api, 'documents'));
pages[2].path = `documents/${guides.find((f) => /pytorch/i.test(f)) ?? 'missing-guide.html'}`;
const server = await serveStatic(api);
try {
  await withChromium(async (context) => {
    const page = await firstPage(context);
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    for (const p of pages) {
      const url = `http://127.0.0.1:${server.address().port}/${p.path}`;
      const res = await page.goto(url, { waitUntil: 'load', timeout: 30_000 });
      if (!res || res.status() !== 200) {
        problems.push(`${p.name}: ${url} answered ${res?.status()}`);
        continue;
      }
      const h1 = page.locator('h1').first();
      const heading = (await h1.isVisible()) ? (await h1.textContent()) ?? '' : '';
      const body = await page.locator('body').innerText();
      const ok = heading.includes(p.heading) && body.includes(p.text);
      console.log(`${ok ? 'ok  ' : 'FAIL'} ${p.name}: ${p.path} — h1 "${heading.trim()}", ${body.length} characters of text`);
      if (!ok) problems.push(`${p.name}: expected a visible h1 with "${p.heading}" and the text "${p.text}"`);
      await page.screenshot({ path: join(root, '.tmp', `docs-${p.name}.png`) });
    }
    console.log(`screenshots: ${pages.map((p) => `.tmp/docs-${p.name}.png`).join(', ')}`);
  }, { viewport: { width: 1200, height: 900 } });
} finally {
  server.close();
}
step('Chromium', t);

for (const p of problems) console.error(p);
process.exit(problems.length === 0 ? 0 : 1);
