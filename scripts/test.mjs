#!/usr/bin/env node
/**
 * `pnpm test`: builds what is stale once, then runs the independent suites a few at a time, each
 * suite's output in .tmp/test-logs/<suite>.log, and prints one summary at the end: each suite's
 * result, wall and CPU seconds and its key lines (tests passed, conformance per backend x runtime,
 * budgets), slowest first, then "N passed, N failed". Exits 1 when anything failed.
 *
 *   node scripts/test.mjs [--jobs N] [--only a,b] [--skip a,b] [--list]
 *   TORCHLET_TEST_TIMEOUT_SCALE=3 node scripts/test.mjs     (a machine shared with other work)
 *
 * Suites that share an output folder (the conformance page's bundle, the demo's) get it from one
 * bundle step they wait for, never by building it twice at once. A suite that runs longer than
 * its limit is killed with its process group and counts as failed. The machine's cores are the
 * bottleneck (CI has two): --jobs (default 3, TORCHLET_TEST_JOBS) keeps them busy while one
 * suite waits on Chromium or a software GPU.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const logs = join(root, '.tmp/test-logs');
const args = process.argv.slice(2);
const option = (name) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const jobs = Number(option('--jobs') ?? process.env.TORCHLET_TEST_JOBS) || Math.max(3, availableParallelism() + 1);
const only = option('--only')?.split(',');
// Each suite's time limit (a hang must fail clearly) times this: raise it on a loaded machine.
const limitScale = Number(process.env.TORCHLET_TEST_TIMEOUT_SCALE) || 1;
const skip = option('--skip')?.split(',') ?? [];

const conformance = 'packages/conformance';
/** vitest's projects (packages/*), grouped into suites of similar length. */
const VITEST_GROUPS = {
  'vitest-conformance': ['conformance'],
  'vitest-webgpu': ['backend-webgpu'],
  'vitest-nn': ['nn'],
  'vitest-transformer': ['transformer'],
  'vitest-wasm': ['backend-wasm'],
  'vitest-core': ['core', 'autograd', 'optim', 'torchlet', 'datasets'],
};
// A project not named above (a new package) joins vitest-core, so no test is ever left out.
for (const d of readdirSync(join(root, 'packages'))) {
  if (existsSync(join(root, 'packages', d, 'vitest.config.ts')) && !Object.values(VITEST_GROUPS).flat().includes(d)) VITEST_GROUPS['vitest-core'].push(d);
}
const demo = 'examples/browser-demo';
const MIN = 60_000;

/**
 * The suites: `cmd` runs in `cwd` (the root unless given) under bash, with the workspace's
 * node_modules/.bin on PATH; `needs` are steps that must pass first; `pick` selects the log
 * lines that go into the summary; `limit` is the most milliseconds it may run.
 */
const SUITES = [
  { name: 'build', cmd: 'node scripts/build.mjs', pick: [/^build:/], limit: 10 * MIN },
  { name: 'typecheck', cmd: 'tsc -p tsconfig.json', needs: ['build'], pick: [/error TS/], limit: 6 * MIN },
  // vitest, one suite per group of projects: on two cores vitest itself runs one worker, so
  // separate processes are what lets the pool overlap them with the rest.
  ...Object.entries(VITEST_GROUPS).map(([name, projects]) => ({
    name, cmd: `vitest run --reporter=dot ${projects.map((p) => `--project ${p}`).join(' ')}`, needs: ['build'],
    // backend-webgpu's 1,000-step memory test runs on a software GPU: the longest single suite.
    limit: (name === 'vitest-webgpu' ? 15 : 10) * MIN,
    pick: [/^\s*Test Files\s/, /^\s*Tests\s/],
  })),
  // The committed wasm kernels must be what the current assembly/ compiles to (the build skips
  // the compile when their recorded input hash matches, so this is where a stale commit shows).
  { name: 'kernels', cwd: 'packages/backend-wasm', cmd: 'node scripts/build-wasm.mjs --verify', needs: ['build'], pick: [/^backend-wasm:/], limit: 8 * MIN },
  { name: 'size', cmd: 'node scripts/size/check.mjs', needs: ['build'], pick: [/^(app|over budget)/i, /budget/i], limit: 5 * MIN },
  { name: 'packages', cmd: 'node scripts/pack-test/run.mjs', needs: ['build'], pick: [/^pack-test:/, /passed|ok\b/i], limit: 8 * MIN },
  { name: 'release', cmd: 'node scripts/release-check.mjs', needs: ['build'], pick: [/^release-check:/, /ok|passed/i], limit: 5 * MIN },
  // As packages/conformance's test:deno: the literal-loop test reads the JS heap after gc().
  { name: 'deno', cwd: conformance, cmd: 'deno test --allow-read --v8-flags=--expose-gc deno/', needs: ['build'], pick: [/^(ok|FAILED) \|/], limit: 8 * MIN },
  { name: 'deno-datasets', cwd: 'packages/datasets', cmd: 'deno test --allow-read --allow-write --allow-env deno/', needs: ['build'], pick: [/^(ok|FAILED) \|/], limit: 5 * MIN },
  { name: 'bundle-conformance', cwd: conformance, cmd: 'vite build --config browser/vite.config.ts', needs: ['build'], pick: [], limit: 5 * MIN },
  { name: 'chromium', cwd: conformance, cmd: 'node browser/run-chromium.mjs', needs: ['bundle-conformance'], pick: [/conformance|passed|failed/i], limit: 8 * MIN },
  { name: 'chromium-worker-training', cwd: conformance, cmd: 'node browser/run-chromium.mjs --page worker-training.html', needs: ['bundle-conformance'], pick: [/worker-training:/], limit: 5 * MIN },
  { name: 'chromium-threads', cwd: conformance, cmd: 'node browser/run-chromium.mjs --backend wasm-threads', needs: ['bundle-conformance'], pick: [/conformance|passed|failed/i], limit: 8 * MIN },
  { name: 'webgpu-node', cwd: conformance, cmd: 'vitest run --config vitest.webgpu.config.ts --reporter=dot', needs: ['build'], pick: [/^\s*Tests\s/], limit: 10 * MIN },
  { name: 'webgpu-deno', cwd: conformance, cmd: 'deno test --allow-read --allow-env --v8-flags=--expose-gc --config deno.json webgpu/deno/', needs: ['build'], pick: [/^(ok|FAILED) \|/], limit: 10 * MIN },
  { name: 'webgpu-chromium', cwd: conformance, cmd: 'node browser/run-chromium.mjs --backend webgpu', needs: ['bundle-conformance'], pick: [/conformance|passed|failed/i], limit: 10 * MIN },
  { name: 'bundle-demo', cwd: demo, cmd: 'vite build', needs: ['build'], pick: [], limit: 5 * MIN },
  { name: 'demo', cwd: demo, cmd: 'node test/run-demo.mjs', needs: ['bundle-demo'], pick: [/accuracy|passed|ok/i], limit: 8 * MIN },
  // WebGPU through the dev server (the README's `dev` command), as issue 14 asks of both backends;
  // the built page is checked on wasm above.
  {
    name: 'demo-webgpu', cwd: demo, cmd: 'node test/run-demo.mjs --dev --backend webgpu --train 3000 --epochs 1 --min-accuracy 0.8 --timeout-ms 300000',
    needs: ['build'], pick: [/accuracy|Local:/i], limit: 8 * MIN,
  },
  {
    name: 'demo-dev', cwd: demo, cmd: 'node test/run-demo.mjs --dev --train 3000 --epochs 1 --min-accuracy 0.8',
    needs: ['build'], pick: [/accuracy|Local:/i], limit: 6 * MIN,
  },
  // The LLM page (examples/llm/web): stories260K.bin picked in its file picker, PyTorch's greedy tokens.
  { name: 'llm-web', cwd: 'examples/llm', cmd: 'vite build --config web/vite.config.js && node web/run-web-test.mjs', needs: ['build'], pick: [/greedy|llm-web|decode/i], limit: 5 * MIN },
  { name: 'examples', cmd: 'node scripts/check-examples.mjs', needs: ['build'], pick: [/^examples: (ok|FAIL)/, /problem/], limit: 8 * MIN },
  { name: 'readme', cmd: 'node scripts/check-readme.mjs', pick: [/^check-readme:/], limit: 1 * MIN },
  { name: 'docs', cmd: 'node docs/scripts/check-docs.mjs', needs: ['build'], pick: [/^typedoc:/, /^docs-check:/, /ok|passed/i], limit: 8 * MIN },
];
// Start order among the ready ones: the longest first (seconds measured on 2 cores), so the
// tail of the run is short suites.
const EXPECTED = {
  'vitest-conformance': 200, 'vitest-webgpu': 200, 'vitest-nn': 150, 'vitest-transformer': 150, 'vitest-wasm': 100, 'vitest-core': 100,
  'webgpu-chromium': 120, 'webgpu-node': 120, 'webgpu-deno': 120, docs: 120, packages: 120,
  'demo-webgpu': 90, 'demo-dev': 40, examples: 90, typecheck: 60, chromium: 60, 'chromium-threads': 60, 'chromium-worker-training': 20, deno: 60, demo: 60, size: 40,
  release: 30, kernels: 60, 'bundle-conformance': 20, 'bundle-demo': 20, 'deno-datasets': 20, 'llm-web': 30,
};

if (args.includes('--list')) {
  for (const s of SUITES) console.log(`${s.name.padEnd(20)} ${s.cwd ?? '.'}: ${s.cmd}`);
  process.exit(0);
}

const selected = SUITES.filter((s) => (!only || only.includes(s.name) || s.name === 'build') && !skip.includes(s.name));
const unknown = [...(only ?? []), ...skip].filter((n) => !SUITES.some((s) => s.name === n));
if (unknown.length > 0) {
  console.error(`test: unknown suite(s) ${unknown.join(', ')}; --list shows them`);
  process.exit(2);
}
// A selected suite brings the steps it needs.
for (let grew = true; grew; ) {
  grew = false;
  for (const s of [...selected]) {
    for (const n of s.needs ?? []) {
      if (!selected.some((x) => x.name === n)) {
        selected.push(SUITES.find((x) => x.name === n));
        grew = true;
      }
    }
  }
}

rmSync(logs, { recursive: true, force: true });
mkdirSync(logs, { recursive: true });
// Chromium and Dawn look for a Wayland socket under XDG_RUNTIME_DIR and print "XDG_RUNTIME_DIR is
// invalid or not set" when there is none (as in CI): an empty private one keeps the logs clean.
const xdgRuntime = process.env.XDG_RUNTIME_DIR && existsSync(process.env.XDG_RUNTIME_DIR) ? process.env.XDG_RUNTIME_DIR : join(root, '.tmp/xdg-runtime');
mkdirSync(xdgRuntime, { recursive: true, mode: 0o700 });
const SUBREAPER = 'import ctypes, os, sys\nctypes.CDLL(None).prctl(36, 1, 0, 0, 0)\nos.execvp(sys.argv[1], sys.argv[1:])';
const subreaper = spawnSync('python3', ['-c', SUBREAPER, 'true']).status === 0;
const PATH = [join(root, 'node_modules/.bin'), process.env.PATH].join(delimiter);
const results = new Map(); // name -> { ok, wall, cpu, log }
const started = Date.now();
const secs = (ms) => (ms / 1000).toFixed(0);
const stamp = () => `[${secs(Date.now() - started).padStart(4)} s]`;

/** Runs one suite; resolves its result. CPU seconds are bash's `times` for the suite's children. */
function runSuite(s) {
  const log = join(logs, `${s.name}.log`);
  const cpuFile = join(logs, `${s.name}.cpu`);
  const cwd = join(root, s.cwd ?? '.');
  const path = [join(cwd, 'node_modules/.bin'), PATH].join(delimiter);
  const t0 = Date.now();
  return new Promise((resolve) => {
    const out = [];
    // The suite's bash becomes a child subreaper (prctl PR_SET_CHILD_SUBREAPER, through python3's
    // ctypes where present): processes its command leaves behind (Chromium's renderer and GPU
    // processes) are reparented to it and reaped, so `times` counts their CPU too.
    const script = `${s.cmd}\nrc=$?\nsleep 0.3\ntimes > '${cpuFile}'\nexit $rc`;
    const [cmd, cmdArgs] = subreaper ? ['python3', ['-c', SUBREAPER, 'bash', '-c', script]] : ['bash', ['-c', script]];
    const child = spawn(cmd, cmdArgs, {
      cwd, env: { ...process.env, PATH: path, FORCE_COLOR: '0', NO_COLOR: '1', XDG_RUNTIME_DIR: xdgRuntime }, stdio: ['ignore', 'pipe', 'pipe'], detached: true,
    });
    child.stdout.on('data', (d) => out.push(d));
    child.stderr.on('data', (d) => out.push(d));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {}
    }, s.limit * limitScale);
    child.on('close', (code) => {
      clearTimeout(timer);
      const text = Buffer.concat(out).toString('utf8').replace(/\x1b\[[0-9;]*[A-Za-z]/g, '');
      writeFileSync(log, text + (timedOut ? `\n[test.mjs] killed after ${(s.limit * limitScale) / 1000} s (TORCHLET_TEST_TIMEOUT_SCALE raises the limits)\n` : ''));
      let cpu = NaN;
      if (existsSync(cpuFile)) {
        // `times`: the shell's user/sys, then its children's: "0m1.234s 0m0.567s".
        const line = readFileSync(cpuFile, 'utf8').trim().split('\n').pop() ?? '';
        cpu = [...line.matchAll(/(\d+)m([\d.]+)s/g)].reduce((a, m) => a + Number(m[1]) * 60 + Number(m[2]), 0);
        rmSync(cpuFile);
      }
      resolve({ ok: code === 0 && !timedOut, timedOut, wall: Date.now() - t0, cpu, log: text });
    });
  });
}

async function main() {
  console.log(`test: ${selected.length} suites, ${jobs} at a time, logs in .tmp/test-logs/`);
  const pending = [...selected];
  const running = new Set();
  await new Promise((done) => {
    const pump = () => {
      // Skip (as failed) what needs a failed step.
      for (const s of [...pending]) {
        const failedNeed = (s.needs ?? []).find((n) => results.get(n) && !results.get(n).ok);
        if (failedNeed) {
          pending.splice(pending.indexOf(s), 1);
          results.set(s.name, { ok: false, wall: 0, cpu: 0, log: '', skipped: `not run: ${failedNeed} failed` });
        }
      }
      const ready = pending
        .filter((s) => (s.needs ?? []).every((n) => results.get(n)?.ok))
        .sort((a, b) => (EXPECTED[b.name] ?? 30) - (EXPECTED[a.name] ?? 30));
      // The build runs alone: everything else needs it, and it uses every core.
      while (ready.length > 0 && running.size < jobs) {
        const s = ready.shift();
        pending.splice(pending.indexOf(s), 1);
        running.add(s.name);
        runSuite(s).then((r) => {
          running.delete(s.name);
          results.set(s.name, r);
          console.log(`${stamp()} ${r.ok ? 'ok  ' : 'FAIL'} ${s.name} (${secs(r.wall)} s${r.timedOut ? ', timed out' : ''})`);
          pump();
        });
      }
      if (running.size === 0 && pending.length === 0) done();
    };
    pump();
  });

  // Failures first, with their log's tail.
  const failed = selected.filter((s) => !results.get(s.name).ok);
  for (const s of failed) {
    const r = results.get(s.name);
    if (r.skipped) continue;
    const tail = r.log.trimEnd().split('\n').slice(-40).join('\n');
    console.log(`\n--- ${s.name} failed; last lines of .tmp/test-logs/${s.name}.log ---\n${tail}`);
  }

  const rows = selected
    .map((s) => ({ s, r: results.get(s.name) }))
    .sort((a, b) => b.r.wall - a.r.wall);
  const wall = Date.now() - started;
  const cpuTotal = rows.reduce((a, { r }) => a + (Number.isFinite(r.cpu) ? r.cpu : 0), 0);
  console.log(`\nsuite                 result   wall s  cpu s  summary`);
  for (const { s, r } of rows) {
    const lines = r.skipped ? [r.skipped] : r.log.split('\n').filter((l) => s.pick.some((re) => re.test(l))).map((l) => l.trim());
    const unique = [...new Set(lines)].slice(0, 6);
    const cpu = Number.isFinite(r.cpu) ? r.cpu.toFixed(0) : '-';
    console.log(`${s.name.padEnd(21)} ${(r.ok ? 'ok' : r.timedOut ? 'TIMEOUT' : 'FAILED').padEnd(8)} ${secs(r.wall).padStart(6)} ${cpu.padStart(6)}  ${unique[0] ?? ''}`);
    for (const l of unique.slice(1)) console.log(`${''.padEnd(45)}${l}`);
  }
  console.log(`\nwall ${secs(wall)} s, suites' CPU ${cpuTotal.toFixed(0)} s, ${jobs} at a time`);
  const passed = rows.filter(({ r }) => r.ok).length;
  console.log(`${passed} passed, ${rows.length - passed} failed`);
  process.exit(failed.length > 0 ? 1 : 0);
}

await main();
