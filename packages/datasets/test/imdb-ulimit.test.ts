/**
 * readIMDBDir under a real open-file limit (issue 13): the aclImdb layout has 12,500 reviews per
 * folder and users commonly run with `ulimit -n 1024`; reading every file of a folder at once
 * failed with EMFILE. A child Node process with `ulimit -n 128` reads an aclImdb-like folder of
 * 4 x 1,000 files through the built package (dist/, as users get it; `pnpm run build` first,
 * which `pnpm test` does) and must return every review.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';

const pkg = fileURLToPath(new URL('..', import.meta.url));
const PER_FOLDER = 1000;
const LIMIT = 128;
let dir = '';

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'torchlet-imdb-ulimit-'));
  for (const split of ['train', 'test']) {
    for (const cls of ['neg', 'pos']) {
      const folder = join(dir, 'aclImdb', split, cls);
      mkdirSync(folder, { recursive: true });
      for (let i = 0; i < PER_FOLDER; i++) writeFileSync(join(folder, `${i}_${(i % 10) + 1}.txt`), `review ${split} ${cls} ${i}: a film.<br />`);
    }
  }
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it(`reads ${4 * PER_FOLDER} review files under ulimit -n ${LIMIT}`, () => {
  expect(existsSync(join(pkg, 'dist/index.js')), 'build @torchlet/datasets first (pnpm run build)').toBe(true);
  const child = `
    import { readIMDBDir } from '@torchlet/datasets';
    const { train, test } = await readIMDBDir(process.argv[1]);
    console.log(JSON.stringify({ train: train.length, test: test.length, pos: train.filter((r) => r.label === 1).length, first: train[0].text }));
  `;
  // bash's ulimit sets the soft limit for the child only; `exec` keeps no extra process.
  const r = spawnSync('bash', ['-c', `ulimit -n ${LIMIT} && exec "$0" --input-type=module -e "$1" "$2"`, process.execPath, child, dir], { cwd: pkg, encoding: 'utf8', timeout: 60_000 });
  expect(r.stderr).not.toMatch(/EMFILE/);
  expect(r.status, r.stderr).toBe(0);
  expect(JSON.parse(r.stdout)).toEqual({ train: 2 * PER_FOLDER, test: 2 * PER_FOLDER, pos: PER_FOLDER, first: 'review train neg 0: a film.<br />' });
}, 60_000);
