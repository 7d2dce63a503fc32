// Llama inference speed, torchlet (wasm backend) vs PyTorch CPU eager with a key/value cache, on
// the same weights: llama2.c's TinyStories shapes, ~15M parameters (dim 288, 6 layers, 6 heads,
// vocab 32000, context 256) and ~110M (dim 768, 12 layers, 12 heads, context 1024). The real
// checkpoints are used when ../shared/models has them (stories15M.bin, stories110M.bin, read in
// place); otherwise seeded random weights are written once by ../peers/bench_llama.py into a
// temporary folder (os.tmpdir()/torchlet-llmbench, reused by later runs, never in the repository).
//
// Each side prefills the same prompt and decodes greedily through its cache; the median of
// --repeats runs after a warm-up: prefill tokens/s (prompt tokens / time to the first new token)
// and decode tokens/s (the other new tokens / their time), on one thread and on --threads threads
// (default: the machine's cores), with ratios to PyTorch on one thread and on as many threads.
// torchlet's decode steps run compiled (generate's default); --eager adds rows with
// `compile: false` (every step run op by op), to show what compiling the step gains. The greedy
// tokens of the two sides are compared (a check that both compute the same model). On one thread
// prefill and decode are also given per CPU-second of the process ('pre/cpu-s', 'dec/cpu-s'), which a machine shared with
// other work disturbs less than the wall clock.
// Then, in a fresh process, the peak memory of loading the 110M model from a bfloat16 checkpoint
// (load-memory.mjs), against its float32 size.
//
// Usage: node benchmarks/llm/run.mjs [--sizes 15M,110M] [--prompt 128] [--decode 64] [--repeats 3]
//        [--threads N] [--eager] [--no-peer] [--no-memory]
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import * as torch from 'torchlet';
import { createWasmBackend } from '@torchlet/backend-wasm';
import { runTorch } from '../peers/run-peer.mjs';

const argv = process.argv.slice(2);
const str = (name, def) => (argv.includes(`--${name}`) ? argv[argv.indexOf(`--${name}`) + 1] : def);
const num = (name, def) => Number(str(name, def));
const sizes = str('sizes', '15M,110M').split(',');
const promptLen = num('prompt', 128);
const decodeLen = num('decode', 64);
const repeats = num('repeats', 3);
const maxThreads = num('threads', availableParallelism());
const threadCounts = maxThreads > 1 ? [1, maxThreads] : [1];
const shared = fileURLToPath(new URL('../../../shared/models/', import.meta.url));
const cacheDir = join(tmpdir(), 'torchlet-llmbench');
const peerScript = fileURLToPath(new URL('../peers/bench_llama.py', import.meta.url));

/** The checkpoint of a size: the real llama2.c file when ../shared has it, else random weights made by the peer script. */
function checkpoint(size, dtype = 'f32') {
  const real = join(shared, `stories${size}.bin`);
  if (dtype === 'f32' && existsSync(real)) return { path: real, kind: `llama2.c ${real}` };
  const dir = join(cacheDir, `${size}-${dtype}`);
  if (!existsSync(join(dir, 'model.safetensors'))) {
    console.error(`writing random ${size} ${dtype} weights to ${dir} (once) ...`);
    const r = spawnSync('/usr/bin/python3', [peerScript, '--make', dir, '--size', size, '--dtype', dtype], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
    if (r.status !== 0) throw new Error(`bench_llama.py --make failed (it needs PyTorch: apt-get install -y python3-torch); status ${r.status}`);
  }
  return { path: dir, kind: `random weights ${dir}` };
}

/** The benchmark's prompt, as bench_llama.py builds it: BOS then a fixed walk over the vocabulary. */
const promptIds = (n, vocab) => [1, ...Array.from({ length: n - 1 }, (_, j) => (7919 * (j + 1) ** 2 + 104729 * (j + 1) + 13) % vocab)];

async function load(path) {
  if (statSync(path).isFile()) {
    const { readFileSync } = await import('node:fs');
    return torch.transformer.loadLlama2c(new Uint8Array(readFileSync(path)));
  }
  return torch.transformer.LlamaForCausalLM.fromPretrained(path);
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** torchlet: median prefill and decode tokens/s over `repeats` runs after one warm-up, and the greedy tokens. */
let runs = 0;
async function benchTorchlet(path, threads, compile) {
  const name = `wasm-llm-${runs++}-${threads}t`; // a fresh backend per model (a destroyed one stays registered)
  torch.registerBackend(name, () => createWasmBackend({ threads }));
  await torch.setBackend(name);
  const t0 = performance.now();
  const model = await load(path);
  const loadMs = performance.now() - t0;
  const ids = promptIds(promptLen, model.config.vocabSize);
  const prefill = [], decode = [], prefillCpu = [], decodeCpu = [];
  let tokens = null;
  const cpuMs = () => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1000;
  };
  for (let r = 0; r <= repeats; r++) {
    const out = [];
    const start = performance.now(), startCpu = cpuMs();
    let first = 0, firstCpu = 0;
    for await (const id of model.generate(ids, { maxNewTokens: decodeLen, temperature: 0, compile })) {
      if (out.length === 0) [first, firstCpu] = [performance.now(), cpuMs()];
      out.push(id);
    }
    const end = performance.now(), endCpu = cpuMs();
    if (r > 0) {
      prefill.push(first - start);
      decode.push(end - first);
      prefillCpu.push(firstCpu - startCpu);
      decodeCpu.push(endCpu - firstCpu);
    }
    tokens = out;
  }
  model.dispose();
  torch.getBackend().destroy();
  return {
    prefillTps: (promptLen * 1000) / median(prefill), decodeTps: ((decodeLen - 1) * 1000) / median(decode),
    prefillCpuTps: (promptLen * 1000) / median(prefillCpu), decodeCpuTps: ((decodeLen - 1) * 1000) / median(decodeCpu), tokens, loadMs,
  };
}

const rows = [];
for (const size of sizes) {
  const ck = checkpoint(size);
  console.error(`${size}: ${ck.kind}`);
  for (const threads of threadCounts) {
    for (const compile of argv.includes('--eager') ? [true, false] : [true]) {
      const r = await benchTorchlet(ck.path, threads, compile);
      rows.push({ size, impl: compile ? 'torchlet-wasm' : 'torchlet eager', threads, ...r, note: `load ${(r.loadMs / 1000).toFixed(1)} s` });
    }
  }
  if (!argv.includes('--no-peer')) {
    for (const threads of threadCounts) {
      const { results, reason } = runTorch(['--bench', ck.path, '--prompt', String(promptLen), '--decode', String(decodeLen), '--repeats', String(repeats)], { threads, script: peerScript });
      const p = results?.[0];
      rows.push({ size, impl: 'PyTorch CPU eager', threads, prefillTps: p?.prefill_tps ?? NaN, decodeTps: p?.decode_tps ?? NaN, prefillCpuTps: p?.prefill_cpu_tps ?? NaN, decodeCpuTps: p?.decode_cpu_tps ?? NaN, tokens: p?.tokens ?? null, note: reason ?? `torch ${p.torch}, ${p.blas ?? ''}` });
    }
  }
}

// Peak memory of loading 110M from bfloat16, in a process of its own (peak RSS is per process).
let mem = null;
if (!argv.includes('--no-memory') && sizes.includes('110M')) {
  const ck = checkpoint('110M', 'bf16');
  const r = spawnSync(process.execPath, [fileURLToPath(new URL('./load-memory.mjs', import.meta.url)), ck.path], { encoding: 'utf8' });
  mem = r.status === 0 ? JSON.parse(r.stdout.trim().split('\n').at(-1)) : { error: r.stderr.trim().split('\n').slice(-3).join(' | ') };
}

const peer = (size, threads) => rows.find((r) => r.size === size && r.impl === 'PyTorch CPU eager' && r.threads === threads) ?? {};
const tps = (v) => (Number.isFinite(v) ? v.toFixed(1).padStart(9) : '        -');
const ratio = (v, ref) => (Number.isFinite(v) && Number.isFinite(ref) ? `${(v / ref).toFixed(2)}x`.padStart(8) : '       -');
const cpuCols = (threads, v, ref) => (threads === 1 ? `${tps(v)} ${ratio(v, ref)}` : `${'-'.padStart(9)} ${'-'.padStart(8)}`);
const same = (a, b) => {
  if (!a || !b) return '';
  let n = 0;
  while (n < a.length && a[n] === b[n]) n++;
  return n === a.length ? 'greedy tokens identical' : `greedy tokens agree for ${n}/${a.length}`;
};
console.log(`Llama prefill ${promptLen} tokens, greedy decode ${decodeLen} tokens (tokens/s, median of ${repeats}; ratios: higher is faster than PyTorch)`);
console.log(`${'model'.padEnd(5)} ${'impl'.padEnd(18)} ${'threads'.padStart(7)} ${'prefill'.padStart(9)} ${'vs pt1'.padStart(8)} ${'vs ptN'.padStart(8)} ${'decode'.padStart(9)} ${'vs pt1'.padStart(8)} ${'vs ptN'.padStart(8)} ${'pre/cpu-s'.padStart(9)} ${'vs pt1'.padStart(8)} ${'dec/cpu-s'.padStart(9)} ${'vs pt1'.padStart(8)}  note`);
for (const r of rows) {
  const p1 = peer(r.size, 1), pn = peer(r.size, r.threads);
  const check = r.impl.startsWith('torchlet') ? same(r.tokens, pn.tokens) : '';
  console.log(
    `${r.size.padEnd(5)} ${r.impl.padEnd(18)} ${String(r.threads).padStart(7)} ${tps(r.prefillTps)} ${ratio(r.prefillTps, p1.prefillTps)} ${ratio(r.prefillTps, pn.prefillTps)} ` +
      `${tps(r.decodeTps)} ${ratio(r.decodeTps, p1.decodeTps)} ${ratio(r.decodeTps, pn.decodeTps)} ` +
      `${cpuCols(r.threads, r.prefillCpuTps, p1.prefillCpuTps)} ${cpuCols(r.threads, r.decodeCpuTps, p1.decodeCpuTps)}  ${[r.note, check].filter(Boolean).join('; ')}`,
  );
}
if (mem?.error) console.log(`loading 110M from bfloat16: failed: ${mem.error}`);
else if (mem) {
  const MB = (b) => `${(b / 2 ** 20).toFixed(0)} MB`;
  console.log(
    `loading 110M from bfloat16 (${mem.params} parameters, float32 size ${MB(mem.f32Bytes)}): peak RSS ${MB(mem.peakRss)} = ${(mem.peakRss / mem.f32Bytes).toFixed(2)}x ` +
      `(${MB(mem.baseRss)} before loading), wasm memory ${MB(mem.wasmBytes)} = ${(mem.wasmBytes / mem.f32Bytes).toFixed(2)}x, ${(mem.loadMs / 1000).toFixed(1)} s`,
  );
}
console.log(JSON.stringify({ bench: 'llm', results: rows.map(({ tokens, ...r }) => r), memory: mem }));
