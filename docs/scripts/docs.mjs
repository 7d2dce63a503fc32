#!/usr/bin/env node
/**
 * `pnpm run docs`: the API site in docs/api, straight from the packages' sources (typedoc.json:
 * one entry per package; the umbrella's entry is only its own API, src/worker-training/index.ts,
 * so each symbol has one page). No build first:
 * typedoc reads src/ through the `torchlet-source` condition. `--skipErrorChecking`: type errors
 * are `pnpm run typecheck`'s job (and the examples' check, doc-examples.mjs); typedoc only needs
 * the types, which saves it a full type check of every package program (typedoc.json's
 * packageOptions carry the option to each package). typedoc runs with
 * typedoc-shared-sources/register.mjs, so its per-package programs share their parsed files.
 *   node docs/scripts/docs.mjs [typedoc options...]
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const t0 = performance.now();
// typedoc.json's packageOptions pass --skipErrorChecking on to each package (a flag on the command
// line reaches only the root, and each package's program was type-checked in full: 109 of 162 s
// of CPU); typedoc-shared-sources lets the nine package programs share their parsed files.
const r = spawnSync(process.execPath, ['--import', new URL('./typedoc-shared-sources/register.mjs', import.meta.url).href,
  join(root, 'node_modules/typedoc/bin/typedoc'), '--skipErrorChecking', ...process.argv.slice(2)],
  { cwd: root, stdio: 'inherit' });
if (r.status !== 0) process.exit(r.status ?? 1);
const count = (dir) => { try { return readdirSync(join(root, 'docs/api', dir)).length; } catch { return 0; } };
const pages = ['classes', 'functions', 'interfaces', 'types', 'variables', 'modules', 'documents'].reduce((n, d) => n + count(d), 0);
console.log(`docs/api: ${pages} pages in ${((performance.now() - t0) / 1000).toFixed(0)} s (open docs/api/index.html)`);
