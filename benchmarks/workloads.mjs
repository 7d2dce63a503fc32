// What benchmarks/mlp and benchmarks/transformer share: each measures its workloads (a training
// step, a forward) on the wasm backend per kernel build (plain SIMD, relaxed SIMD where the
// engine runs it) and per thread count (one, and the default 'auto'), `runs` times, and reports
// per configuration the median over runs of: eager ms (itself a median over steps), the matmul
// floor (floor.mjs), eager/floor, the ratio to PyTorch CPU on one thread, and, where
// `torch.compile` exists, the same for the compiled step. Each configuration runs in a process of
// its own (the runner script again, with `--config variant:threads`), so that a row is what an
// app with that one backend sees, not a backend created after others in the same process. The
// runs go in rounds, each with its PyTorch run, so that each ratio pairs figures taken together.
import { spawnSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import * as torch from 'torchlet';
import { createWasmBackend, supportsRelaxedSimd } from '@torchlet/backend-wasm';
import { floorMs, median, productFlops, recordProducts } from './floor.mjs';

/** Command-line options every workload benchmark takes. */
export function options(argv, defaults) {
  const get = (name, def) => (argv.includes(`--${name}`) ? argv[argv.indexOf(`--${name}`) + 1] : def);
  const variants = get('variants', 'simd,relaxed').split(',');
  for (const v of variants) if (v !== 'simd' && v !== 'relaxed') throw new Error(`--variants: unknown build '${v}' (simd, relaxed)`);
  const threads = get('threads', '1,auto').split(',').map((t) => (t === 'auto' ? 'auto' : Number(t)));
  return {
    variants,
    threads,
    runs: Number(get('runs', 3)),
    steps: Number(get('steps', defaults.steps)),
    warmup: Number(get('warmup', defaults.warmup)),
    peers: !argv.includes('--no-peers'),
    compiled: !argv.includes('--no-compile'),
    /** Set in the child process that measures one configuration (see {@link measure}). */
    config: get('config', null),
  };
}

/** Marks the child's line of rows on its stdout. */
const ROWS = 'workloads-rows ';

/** Milliseconds per call of `fn`: the median over `steps` calls after `warmup`. */
export function timeMs(fn, steps, warmup) {
  for (let i = 0; i < warmup; i++) fn();
  const ts = [];
  for (let i = 0; i < steps; i++) {
    const t0 = performance.now();
    fn();
    ts.push(performance.now() - t0);
  }
  return median(ts);
}

/** Whether this torchlet has `torch.compile` (it lands with issue 16). */
export const hasCompile = () => typeof torch.compile === 'function';

/**
 * Measures `build()`'s workloads on every configuration. `build` runs with the configuration's
 * backend current and returns `[{ name, eager: () => void, compiled?: () => (() => void) }]`:
 * `eager` one step as a user writes it, `compiled` (called once) the same step through
 * `torch.compile` (with the compiled function's `stats` attached), or omitted. Returns one row per
 * workload and configuration, with its per-run figures in `runs`.
 *
 * Each configuration is measured by a child process: this script run again with the same
 * arguments, `--runs 1` and `--config variant:threads`, in which `measure` measures that one
 * configuration, prints its rows and ends the process (so the rest of the script, the peers, runs
 * only here). The runs go in rounds: round r measures every configuration once and then calls
 * `afterRound(r)`, where a script runs its peer once. So run r of each row and the peer's run r
 * were taken minutes apart at most, under the same outside load, and their ratio is a pair
 * ({@link printRows} reports the median of those ratios).
 */
export async function measure(build, opts, afterRound = () => {}) {
  if (opts.config !== null) {
    const [variant, threads] = opts.config.split(':');
    const rows = await measureOne(build, opts, variant, threads === 'auto' ? 'auto' : Number(threads));
    process.stdout.write(`${ROWS}${JSON.stringify(rows)}\n`, () => process.exit(0));
    return new Promise(() => {}); // the process ends once the rows are written
  }
  const rows = new Map();
  const userArgs = withoutOption(process.argv.slice(2), 'runs');
  for (let r = 0; r < opts.runs; r++) {
    for (const variant of opts.variants) {
      for (const threads of opts.threads) {
        const args = [...process.execArgv, process.argv[1], ...userArgs, '--runs', '1', '--config', `${variant}:${threads}`];
        const child = spawnSync(process.execPath, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 64 << 20 });
        const lines = (child.stdout ?? '').split('\n');
        const mine = lines.find((l) => l.startsWith(ROWS));
        // A configuration's own messages (a skipped build, say) print once, not once a round.
        for (const l of lines) if (l && !l.startsWith(ROWS) && r === 0) console.log(l);
        if (child.status !== 0 || mine === undefined) {
          throw new Error(`${variant}, threads ${threads}: the child process failed (${child.error?.message ?? `exit ${child.status ?? child.signal}`})`);
        }
        for (const row of JSON.parse(mine.slice(ROWS.length))) {
          const key = `${row.workload}|${row.variant}|${row.threadsAsked}`;
          const kept = rows.get(key);
          if (kept === undefined) rows.set(key, row);
          else {
            kept.runs.push(...row.runs);
            kept.compileError ??= row.compileError;
          }
        }
      }
    }
    await afterRound(r);
  }
  for (const row of rows.values()) {
    for (const k of ['eager', 'floor', 'compiled']) row[k] = median(row.runs.map((x) => x[k]));
  }
  return [...rows.values()];
}

/** `argv` without `--name value`. */
function withoutOption(argv, name) {
  const i = argv.indexOf(`--${name}`);
  return i < 0 ? argv : [...argv.slice(0, i), ...argv.slice(i + 2)];
}

/** The rows of one configuration, measured in this process (a child of {@link measure}). */
async function measureOne(build, opts, variant, threads) {
  const rows = [];
  {
    if (variant === 'relaxed' && !supportsRelaxedSimd()) {
      // The loader turns on Node 20's relaxed-SIMD flag; a backend with no variant asked for sets it.
      const probe = await createWasmBackend({ threads: 1 });
      probe.destroy();
      if (!supportsRelaxedSimd()) {
        console.log(`relaxed SIMD: not available in this engine, threads ${threads} skipped`);
        return rows;
      }
    }
    {
      torch.registerBackend('wasm-bench', () => createWasmBackend({ variant, threads }));
      const backend = await torch.setBackend('wasm-bench');
      // The compiled steps' fused programs run as generated modules once their generator has
      // loaded (a dynamic import); a benchmark's synchronous loop never yields for it, so load it here.
      await backend.loadGeneratedKernels?.();
      const workloads = build();
      for (const w of workloads) {
        const products = recordProducts(backend, w.eager);
        const runs = [];
        let compiled = null, compileError = null;
        if (opts.compiled && w.compiled && hasCompile()) {
          try {
            compiled = w.compiled();
          } catch (e) {
            compileError = e instanceof Error ? e.message : String(e);
          }
        }
        for (let r = 0; r < opts.runs; r++) {
          const eager = timeMs(w.eager, opts.steps, opts.warmup);
          const floor = floorMs(backend, products);
          let comp = NaN;
          if (compiled && !compileError) {
            try {
              comp = timeMs(compiled, opts.steps, opts.warmup);
            } catch (e) {
              compileError = e instanceof Error ? e.message : String(e);
            }
          }
          runs.push({ eager, floor, compiled: comp });
        }
        // A compiled step that broke off into eager calls is not a compiled figure: say so.
        const st = compiled?.stats?.();
        if (st && !compileError && (st.graphBreaks.length > 0 || st.replays === 0)) {
          compileError = `${w.name}: ${st.replays} replays of ${st.calls} calls${st.graphBreaks.length ? `; ${st.graphBreaks[0]}` : ''}`;
        }
        rows.push({
          workload: w.name, variant: backend.variant, threads: backend.threads, threadsAsked: threads,
          flops: productFlops(products), products: products.length,
          eager: median(runs.map((x) => x.eager)), floor: median(runs.map((x) => x.floor)),
          compiled: median(runs.map((x) => x.compiled)), compileError, runs,
        });
      }
      backend.destroy();
    }
  }
  return rows;
}

const ms = (x) => (Number.isFinite(x) ? x.toFixed(2).padStart(9) : '        -');
const fmt = (x) => (Number.isFinite(x) ? `${x.toFixed(2)}x`.padStart(8) : '       -');
/** The median over runs of run r's `x` over its `y` (runs with both figures); NaN if none. */
const pairedRatio = (xs, ys) => median(xs.map((x, i) => x / ys[i]).filter((q) => Number.isFinite(q) && q > 0));

/**
 * Prints the rows: per workload and configuration eager, floor, eager/floor, vs PyTorch one
 * thread, then the compiled columns, and for each compiled row its per-run ratios. `torch1Runs`
 * maps a workload name to PyTorch's one-thread ms in each round of {@link measure}: every ratio
 * is the median over runs of run r's figure over run r's reference (the floor measured in the
 * same run, PyTorch's run of the same round), so load that moves both sides cancels.
 */
export function printRows(rows, torch1Runs, { runs }) {
  console.log(`times: medians of ${runs} runs; ratios: medians of per-run ratios; floor = the step's matmuls alone on the same backend (benchmarks/floor.mjs); vs torch1 = / PyTorch CPU one thread, run in the same round`);
  console.log(
    `${'workload'.padEnd(24)} ${'build'.padEnd(7)} ${'thr'.padStart(6)} ${'eager ms'.padStart(9)} ${'floor ms'.padStart(9)} ${'eag/floor'.padStart(9)} ${'vs torch1'.padStart(9)}` +
      ` ${'compiled'.padStart(9)} ${'cmp/floor'.padStart(9)} ${'vs torch1'.padStart(9)}  matmul GFLOP/step (GFLOP/s at floor)`,
  );
  const perRun = [];
  for (const r of rows) {
    const t1 = torch1Runs[r.workload] ?? [];
    const col = (k) => r.runs.map((x) => x[k]);
    const thr = r.threadsAsked === 'auto' ? `auto ${r.threads}` : String(r.threads);
    console.log(
      `${r.workload.padEnd(24)} ${r.variant.padEnd(7)} ${thr.padStart(6)} ${ms(r.eager)} ${ms(r.floor)} ${fmt(pairedRatio(col('eager'), col('floor'))).padStart(9)} ${fmt(pairedRatio(col('eager'), t1)).padStart(9)}` +
        ` ${ms(r.compiled)} ${fmt(pairedRatio(col('compiled'), col('floor'))).padStart(9)} ${fmt(pairedRatio(col('compiled'), t1)).padStart(9)}  ${(r.flops / 1e9).toFixed(3)} (${(r.flops / r.floor / 1e6).toFixed(1)})`,
    );
    if (Number.isFinite(r.compiled)) {
      const list = (ys) => r.runs.map((x, i) => (x.compiled / ys[i]).toFixed(2)).join(', ');
      perRun.push(`  ${r.workload}, ${r.variant}, ${thr} thr: compiled ms ${col('compiled').map((x) => x.toFixed(2)).join(', ')}; cmp/floor ${list(col('floor'))}; vs torch1 ${list(t1)}`);
    }
  }
  if (perRun.length > 0) console.log(`per run (round 1, 2, ...):\n${perRun.join('\n')}`);
  const errors = [...new Set(rows.filter((r) => r.compileError).map((r) => r.compileError))];
  if (!hasCompile()) console.log('compiled: torch.compile is not in this build of torchlet');
  for (const e of errors) console.log(`compiled: failed: ${e}`);
  for (const [name, t] of Object.entries(torch1Runs)) {
    console.log(`PyTorch CPU one thread, ${name}: median ${ms(median(t)).trim()} ms (runs ${t.map((x) => x.toFixed(2)).join(', ')})`);
  }
}
