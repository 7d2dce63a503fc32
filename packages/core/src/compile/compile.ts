/**
 * `torch.compile(fn)`: trace a function's backend calls once, then replay them as a plan with its
 * memory planned and its element-wise chains fused. See docs/guides/performance.md for the rules.
 */
import { checkOptions } from '../args.ts';
import type { Tensor } from '../tensor.ts';
import { fuseEntries } from './fuse.ts';
import { fuseReductions } from './fuse-reduce.ts';
import { fuseMatmuls } from './fuse-matmul.ts';
import { layoutArena, ownedBuffers } from './plan.ts';
import { Plan, type PlanCounts } from './replay.ts';
import { signatureOf } from './signature.ts';
import { GraphBreak, Tracer } from './trace.ts';

/** Options of {@link compile} (PyTorch's names where it has them). */
export interface CompileOptions {
  /**
   * `'default'` or `'reduce-overhead'`: both replay the traced plan (PyTorch's reduce-overhead mode
   * is what every torchlet plan does: no per-op dispatch, no per-op allocation).
   */
  mode?: 'default' | 'reduce-overhead';
  /** Only `false` (each new argument shape traces its own plan); `true` throws. */
  dynamic?: boolean;
  /**
   * Throw where the function cannot be traced (a value read, a large write of JavaScript data, two
   * backends, an async function) instead of running that signature eagerly with a warning.
   */
  fullgraph?: boolean;
  /** Group element-wise chains into fused programs (default true); false replays call by call. */
  fusion?: boolean;
  /**
   * Plans cached per compiled function, one per signature (PyTorch's `cache_size_limit`, default
   * 8); calls with further signatures run eagerly, with a warning.
   */
  cacheSizeLimit?: number;
  /** Run `fn` eagerly, as if not compiled (PyTorch's `disable`). */
  disable?: boolean;
}

const OPTION_KEYS = ['mode', 'dynamic', 'fullgraph', 'fusion', 'cacheSizeLimit', 'disable'];

/** What {@link CompiledFunction.stats} reports. */
export interface CompileStats {
  /** Calls so far. */
  calls: number;
  /** Calls that ran `fn` eagerly (warm-ups, graph breaks, signatures beyond the cache). */
  eagerCalls: number;
  /** Calls that traced a plan. */
  traces: number;
  /** Calls that replayed a plan. */
  replays: number;
  /** Plans cached now. */
  plans: number;
  /** Why signatures run eagerly (one line each, as warned). */
  graphBreaks: string[];
  /** The counts of the most recently traced plan, or null before the first. */
  lastPlan: PlanCounts | null;
}

/** A compiled function: call it as `fn`; `stats()`, `reset()` and `dispose()` manage its plans. */
export interface CompiledFunction<A extends unknown[], R> {
  /** Calls the function: eagerly, tracing, or replaying a plan. */
  (...args: A): R;
  /** Counts of calls, traces, replays, and the last plan's backend calls, fusion and arena. */
  stats(): CompileStats;
  /** Drops every plan (their arenas are freed); the next calls warm up and trace again. */
  reset(): void;
  /** `reset()`: frees the plans' memory. */
  dispose(): void;
}

interface SigState {
  /** Eager calls seen (the first is the warm-up). */
  seen: number;
  plan: Plan | null;
  /** Set when this signature runs eagerly for good. */
  eager: string | null;
}

const isThenable = (r: unknown): boolean => r !== null && typeof r === 'object' && typeof (r as { then?: unknown }).then === 'function';

/**
 * Compiles `fn` (PyTorch's `torch.compile`): the first call with a new signature (argument shapes,
 * dtypes, backend, non-tensor values) runs eagerly as a warm-up (optimizers create their state,
 * gradients appear), the second runs eagerly while recording every backend call, and later calls
 * replay the recording: intermediates live in one arena buffer laid out by liveness, chains of
 * element-wise ops run as fused programs (`backend.fused.elementwise`, or op by op where a backend
 * has none), reductions and matmuls take the chains around them where a backend has the kernels
 * (`fused.reduction`, `fused.matmulEpilogue`: a Linear's bias add and activation), and no op code or Tensor object runs except for the tensors returned and the
 * gradients attached to parameters. `optimizer.step()` and `zeroGrad()` re-run as host steps, so
 * step counts and scheduled learning rates stay live.
 *
 * Rules (docs/guides/performance.md): JavaScript numbers in `fn` are constants of the plan (pass
 * values that change as arguments or tensors); a read of values inside `fn` (`item()`, `data()`,
 * `tolist()`, `dataSync()`) or a copy of more than 16 elements of JavaScript data makes that
 * signature run eagerly with a warning (with `fullgraph: true`, an error); an async `fn` runs
 * eagerly; returned tensors are new tensors without autograd history; a module's `train()`/`eval()`
 * switch re-traces; random ops draw the numbers eager calls would.
 *
 * @example
 * ```ts
 * const net = new nn.Sequential(new nn.Linear(4, 8), new nn.ReLU(), new nn.Linear(8, 2));
 * const opt = new optim.SGD(net.parameters(), { lr: 0.1, momentum: 0.9 });
 * const step = torch.compile((x: torch.Tensor, y: torch.Tensor) => {
 *   opt.zeroGrad();
 *   const loss = F.mseLoss(net.forward(x), y);
 *   loss.backward();
 *   opt.step();
 *   return loss;
 * });
 * const x = torch.randn([16, 4]), y = torch.randn([16, 2]);
 * for (let i = 0; i < 5; i++) console.log(await step(x, y).item());   // falling losses; calls 3-5 replay
 * console.log(step.stats().replays);   // 3
 * ```
 */
export function compile<A extends unknown[], R>(fn: (...args: A) => R, options: CompileOptions = {}): CompiledFunction<A, R> {
  if (typeof fn !== 'function') throw new TypeError(`torch.compile: expected a function, got ${fn === null ? 'null' : typeof fn}`);
  if (options === null || typeof options !== 'object') throw new TypeError('torch.compile: options must be an object');
  checkOptions('torch.compile', options, OPTION_KEYS);
  const { mode = 'default', dynamic = false, fullgraph = false, fusion = true, cacheSizeLimit = 8, disable = false } = options;
  if (mode !== 'default' && mode !== 'reduce-overhead') throw new RangeError(`torch.compile: mode must be 'default' or 'reduce-overhead', got ${String(mode)}`);
  if (dynamic !== false) throw new RangeError('torch.compile: dynamic shapes are not supported (dynamic: false); each new argument shape traces its own plan');
  for (const [k, v] of Object.entries({ fullgraph, fusion, disable })) {
    if (typeof v !== 'boolean') throw new TypeError(`torch.compile: ${k} must be a boolean, got ${typeof v}`);
  }
  if (!Number.isInteger(cacheSizeLimit) || cacheSizeLimit < 1) throw new RangeError(`torch.compile: cacheSizeLimit must be a positive integer, got ${String(cacheSizeLimit)}`);

  const name = fn.name || 'anonymous function';
  const cache = new Map<string, SigState>();
  const stats: CompileStats = { calls: 0, eagerCalls: 0, traces: 0, replays: 0, plans: 0, graphBreaks: [], lastPlan: null };
  const breakOff = (state: SigState, reason: string): void => {
    state.eager = reason;
    const line = `torch.compile: ${name} runs eagerly for this signature: ${reason}`;
    stats.graphBreaks.push(line);
    console.warn(line);
  };
  const eager = (args: A): R => {
    stats.eagerCalls++;
    return fn(...args);
  };

  const trace = (state: SigState, args: A, tensors: Tensor[]): R => {
    stats.traces++;
    const tracer = new Tracer(tensors, fullgraph);
    let result: R;
    tracer.start();
    try {
      result = fn(...args);
    } finally {
      tracer.finish();
    }
    // A break whose throw did not reach us (an async read, item() or data(), rejects its own
    // promise instead; or fn caught it) still fails a fullgraph compile, as documented.
    if (tracer.broken !== null && fullgraph) throw new GraphBreak(`torch.compile (fullgraph): ${tracer.broken}`);
    if (tracer.broken === null && isThenable(result)) tracer.stop('it is asynchronous (it returned a Promise); await outside the compiled function');
    const out = tracer.broken === null ? tracer.outSpec(result) : null;
    if (tracer.broken !== null || out === null) {
      breakOff(state, tracer.broken ?? 'unknown');
      return result;
    }
    const t = tracer.result(out);
    const owned = ownedBuffers(t);
    if (typeof owned === 'string') {
      if (fullgraph) throw new GraphBreak(`torch.compile (fullgraph): ${owned}`);
      breakOff(state, owned);
      return result;
    }
    if (t.backend === null) {
      breakOff(state, 'it makes no backend call');
      return result;
    }
    // Reductions fuse with their neighbouring programs only where a kernel runs them as one.
    const reductions = fusion && typeof t.backend.fused?.reduction === 'function';
    // Matmuls take their element-wise epilogue likewise (a Linear's bias add and activation).
    const matmuls = fusion && typeof t.backend.fused?.matmulEpilogue === 'function';
    const fused = fusion ? fuseEntries(t, owned, reductions, matmuls) : t.entries;
    const reduced = reductions ? fuseReductions(fused, t, owned) : fused;
    const entries = matmuls ? fuseMatmuls(reduced, t, owned) : reduced;
    const layout = layoutArena(entries, t, owned);
    state.plan = new Plan(t.backend, t, entries, layout, tensors.map((x) => x.offset));
    stats.plans++;
    stats.lastPlan = state.plan.counts;
    return result;
  };

  const compiled = ((...args: A): R => {
    stats.calls++;
    if (disable) return eager(args);
    const sig = signatureOf(args);
    let state = cache.get(sig.key);
    if (!state) {
      if (cache.size >= cacheSizeLimit) {
        if (!stats.graphBreaks.some((l) => l.includes('cacheSizeLimit'))) {
          const line = `torch.compile: ${name} has seen ${cacheSizeLimit} signatures (cacheSizeLimit); further ones run eagerly`;
          stats.graphBreaks.push(line);
          console.warn(line);
        }
        return eager(args);
      }
      state = { seen: 0, plan: null, eager: null };
      cache.set(sig.key, state);
    }
    if (state.eager !== null) return eager(args);
    if (state.plan) {
      if (state.plan.check(sig.tensors) === null) {
        stats.replays++;
        return state.plan.run(sig.tensors) as R;
      }
      // Stale (a tensor it reads was replaced): trace again from this call.
      state.plan.dispose();
      state.plan = null;
      stats.plans--;
      return trace(state, args, sig.tensors);
    }
    if (state.seen === 0) {
      state.seen++;
      const r = eager(args);
      if (isThenable(r)) {
        if (fullgraph) throw new TypeError(`torch.compile (fullgraph): ${name} is asynchronous (it returned a Promise); compile the synchronous part and await outside it`);
        breakOff(state, 'it is asynchronous (it returned a Promise); await outside the compiled function');
      }
      return r;
    }
    return trace(state, args, sig.tensors);
  }) as CompiledFunction<A, R>;

  compiled.stats = () => ({ ...stats, graphBreaks: [...stats.graphBreaks] });
  compiled.reset = () => {
    for (const s of cache.values()) s.plan?.dispose();
    cache.clear();
    stats.plans = 0;
  };
  compiled.dispose = compiled.reset;
  return compiled;
}
