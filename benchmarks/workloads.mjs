// What benchmarks/mlp and benchmarks/transformer share: each measures its workloads (a training
// step, a forward) on the wasm backend per kernel build (plain SIMD, relaxed SIMD where the
// engine runs it) and per thread count (one, and the default 'auto'), `runs` times in one
// process, and reports per configuration the median over runs of: eager ms (itself a median over
// steps), the matmul floor (floor.mjs), eager/floor, the ratio to PyTorch CPU on one thread,
// and, where `torch.compile` exists, the same for the compiled step.
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
  };
}

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
 * `torch.compile` (with the compiled function's `stats` attached), or omitted. Returns one row per workload and configuration.
 */
export async function measure(build, opts) {
  const rows = [];
  let n = 0;
  for (const variant of opts.variants) {
    if (variant === 'relaxed' && !supportsRelaxedSimd()) {
      // The loader turns on Node 20's relaxed-SIMD flag; a backend with no variant asked for sets it.
      const probe = await createWasmBackend({ threads: 1 });
      probe.destroy();
      if (!supportsRelaxedSimd()) {
        console.log('relaxed SIMD: not available in this engine, skipped');
        continue;
      }
    }
    for (const threads of opts.threads) {
      const name = `wasm-bench-${n++}`;
      torch.registerBackend(name, () => createWasmBackend({ variant, threads }));
      const backend = await torch.setBackend(name);
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
const ratio = (x, y) => (Number.isFinite(x) && Number.isFinite(y) && y > 0 ? `${(x / y).toFixed(2)}x`.padStart(8) : '       -');

/**
 * Prints the rows: per workload and configuration eager, floor, eager/floor, vs PyTorch one
 * thread, then the compiled columns. `torch1` maps a workload name to PyTorch's one-thread ms.
 */
export function printRows(rows, torch1, { runs }) {
  console.log(`medians of ${runs} runs; floor = the step's matmuls alone on the same backend (benchmarks/floor.mjs); vs torch1 = / PyTorch CPU one thread`);
  console.log(
    `${'workload'.padEnd(24)} ${'build'.padEnd(7)} ${'thr'.padStart(6)} ${'eager ms'.padStart(9)} ${'floor ms'.padStart(9)} ${'eag/floor'.padStart(9)} ${'vs torch1'.padStart(9)}` +
      ` ${'compiled'.padStart(9)} ${'cmp/floor'.padStart(9)} ${'vs torch1'.padStart(9)}  matmul GFLOP/step (GFLOP/s at floor)`,
  );
  for (const r of rows) {
    const t1 = torch1[r.workload];
    const thr = r.threadsAsked === 'auto' ? `auto ${r.threads}` : String(r.threads);
    console.log(
      `${r.workload.padEnd(24)} ${r.variant.padEnd(7)} ${thr.padStart(6)} ${ms(r.eager)} ${ms(r.floor)} ${ratio(r.eager, r.floor).padStart(9)} ${ratio(r.eager, t1).padStart(9)}` +
        ` ${ms(r.compiled)} ${ratio(r.compiled, r.floor).padStart(9)} ${ratio(r.compiled, t1).padStart(9)}  ${(r.flops / 1e9).toFixed(3)} (${(r.flops / r.floor / 1e6).toFixed(1)})`,
    );
  }
  const errors = [...new Set(rows.filter((r) => r.compileError).map((r) => r.compileError))];
  if (!hasCompile()) console.log('compiled: torch.compile is not in this build of torchlet');
  for (const e of errors) console.log(`compiled: failed: ${e}`);
  for (const [name, t] of Object.entries(torch1)) console.log(`PyTorch CPU one thread, ${name}: ${ms(t).trim()} ms`);
}
