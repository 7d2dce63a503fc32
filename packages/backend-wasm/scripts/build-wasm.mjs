// Compiles assembly/ with AssemblyScript (plain SIMD, and SIMD + relaxed SIMD; each also as a
// threaded build on shared memory with its pool-thread module) and embeds each binary as base64
// in its own module, src/kernels-<variant>.generated.ts, so that the package
// loads in Node, Deno and browsers without a bundler or file access. load.ts imports only the
// variant the engine runs (a dynamic import: bundlers split it into a chunk of its own), so an
// app downloads one binary, not two. Also leaves the .wasm/.wat files in build/.
// The six compiles are independent and each is single-threaded JavaScript, so they run in worker
// threads, as many at a time as the machine has cores (a third of the wall time on 2 cores quiet).
//
// The generated modules are committed (a fresh clone compiles nothing) and record the hash of
// their inputs (scripts/kernel-inputs.mjs), from which scripts/build.mjs tells a stale one.
//   node scripts/build-wasm.mjs            compile and write src/kernels-*.generated.ts
//   node scripts/build-wasm.mjs --verify   compile into build/verify/ and fail unless the committed
//                                          modules (git HEAD's, else the files) are byte for byte
//                                          what the current sources compile to
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import path from 'node:path';
import asc from 'assemblyscript/asc';
import { generateOpCodes, generateSimdForms } from './op-codes.mjs';
import { VARIANTS, generatedFile, hashLine, kernelInputsHash } from './kernel-inputs.mjs';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const verify = process.argv.includes('--verify');

const variants = [
  { name: 'simd', features: ['--enable', 'simd'] },
  { name: 'relaxed', features: ['--enable', 'simd', '--enable', 'relaxed-simd'] },
];
// The threaded builds import a shared memory (created by load.ts, up to 4 GiB) and come with
// the module each pool thread instantiates on it (assembly/worker.ts).
const MAX_PAGES = 65536;
const threaded = ['--enable', 'threads', '--importMemory', '--sharedMemory', '--maximumMemory', String(MAX_PAGES)];
// The pool threads' module carries static data of its own (the math library's tables, which the
// fused element-wise interpreter reaches through exp, log, pow...). Instantiating it writes that
// data into the shared memory, so the threaded main module places its own data (and so its heap)
// from WORKER_DATA_END up, leaving the worker's data a region nothing else uses; every pool
// thread then writes the same bytes there, harmlessly. The build checks that the worker's data ends below it.
const WORKER_DATA_END = 65536;

if (!isMainThread) {
  // A worker: one compile, reported back as { error } or { ok }.
  const { entry, features, name, outDir } = workerData;
  compileHere(entry, features, name, outDir).then(
    () => parentPort.postMessage({ ok: true }),
    (e) => parentPort.postMessage({ error: e.message }),
  );
} else {
  await main();
}

async function compileHere(entry, features, name, outDir) {
  const wasm = path.join(outDir, `${name}.wasm`);
  const wat = path.join(outDir, `${name}.wat`);
  const args = [
    path.join(root, 'assembly', entry), ...features,
    '-O3', '--runtime', 'stub', '--noAssert', '--outFile', wasm, '--textFile', wat,
    // The function table, exported (and growable): a fused matmul's epilogue, a module generated
    // per program (src/jit.ts), is put in it and called from the matmul kernel (assembly/matmul.ts).
    '--exportTable',
  ];
  const { error, stderr } = await asc.main(args);
  if (error) {
    console.error(stderr.toString());
    throw new Error(`asc failed for ${name}: ${error.message}`);
  }
}

/** Runs `jobs` ({ entry, features, name }) in worker threads, `limit` at a time. */
async function compileAll(jobs, limit) {
  const queue = [...jobs];
  const run = async () => {
    for (let job; (job = queue.shift()); ) {
      await new Promise((ok, fail) => {
        const w = new Worker(fileURLToPath(import.meta.url), { workerData: job });
        w.once('message', (m) => (m.error ? fail(new Error(m.error)) : ok()));
        w.once('error', fail);
        w.once('exit', (code) => (code === 0 ? ok() : fail(new Error(`compile of ${job.name} exited with ${code}`))));
      });
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, jobs.length) }, run));
}

function outputAt(outDir, name) {
  return { bytes: readFileSync(path.join(outDir, `${name}.wasm`)), wat: readFileSync(path.join(outDir, `${name}.wat`), 'utf8') };
}

/** The active data segments of a module as [start, end) byte ranges (i32.const offsets only). */
function dataSegments(bytes) {
  const ranges = [];
  let at = 8;
  const leb = () => {
    let v = 0, shift = 0, b;
    do { b = bytes[at++]; v += (b & 0x7f) * 2 ** shift; shift += 7; } while (b & 0x80);
    return v;
  };
  while (at < bytes.length) {
    const id = bytes[at++];
    const size = leb();
    const next = at + size;
    if (id === 11) {
      for (let count = leb(); count > 0; count--) {
        const flags = leb();
        if (flags !== 0) throw new Error(`data segment with flags ${flags}: only active segments of memory 0 are expected`);
        if (bytes[at++] !== 0x41) throw new Error('data segment offset is not an i32.const');
        let v = 0, shift = 0, b;
        do { b = bytes[at++]; v |= (b & 0x7f) << shift; shift += 7; } while (b & 0x80);
        if (bytes[at++] !== 0x0b) throw new Error('data segment offset expression is not a single i32.const');
        const length = leb();
        ranges.push([v >>> 0, (v >>> 0) + length]);
        at += length;
      }
    }
    at = next;
  }
  return ranges;
}
function dataEnd(bytes) {
  return Math.max(0, ...dataSegments(bytes).map((r) => r[1]));
}
function dataStart(bytes) {
  return Math.min(Infinity, ...dataSegments(bytes).map((r) => r[0]));
}

async function main() {
  // Hashed before anything is written (op-codes.generated.ts is not an input, but be safe).
  const hash = kernelInputsHash();
  // The kernels' op codes come from core's op table; this throws when a kernel case is missing.
  await generateOpCodes();
  // The ops' v128 forms, as the kernels write them, for the modules generated per fused program (src/jit.ts).
  if (!verify) await generateSimdForms();
  const outDir = path.join(root, 'build', ...(verify ? ['verify'] : []));
  mkdirSync(outDir, { recursive: true });
  const jobs = variants.flatMap((v) => [
    { entry: 'index.ts', features: v.features, name: `kernels-${v.name}` },
    { entry: 'index.ts', features: [...v.features, ...threaded, '--memoryBase', String(WORKER_DATA_END)], name: `kernels-${v.name}-threads` },
    { entry: 'worker.ts', features: [...v.features, ...threaded], name: `worker-${v.name}-threads` },
  ]).map((j) => ({ ...j, outDir }));
  const limit = Number(process.env.TORCHLET_BUILD_JOBS) || availableParallelism();
  await compileAll(jobs, limit);
  const output = (name) => outputAt(outDir, name);

  const files = {};
  for (const v of variants) {
    const plain = output(`kernels-${v.name}`);
    files[v.name] = { wasm: plain.bytes.toString('base64') };

    const main = output(`kernels-${v.name}-threads`);
    const worker = output(`worker-${v.name}-threads`);
    const workerEnd = dataEnd(worker.bytes);
    if (workerEnd > WORKER_DATA_END) {
      throw new Error(`worker-${v.name}-threads.wasm has static data up to byte ${workerEnd}, past ${WORKER_DATA_END} where the main module's data starts: raise WORKER_DATA_END`);
    }
    if (dataStart(main.bytes) < WORKER_DATA_END) throw new Error(`kernels-${v.name}-threads.wasm has static data below ${WORKER_DATA_END}, where the pool threads' module writes its own`);
    const limits = /\(import "env" "memory" \(memory \$\S+ (\d+) (\d+) shared\)\)/.exec(main.wat);
    if (!limits) throw new Error(`kernels-${v.name}-threads.wat: no shared memory import found`);
    files[`${v.name}-threads`] = {
      wasm: main.bytes.toString('base64'),
      worker: worker.bytes.toString('base64'),
      initialPages: Number(limits[1]),
      maximumPages: Number(limits[2]),
    };
  }

  const header = `// Generated by scripts/build-wasm.mjs from assembly/ — do not edit.\n${hashLine(hash)}`;
  const docs = {
    wasm: 'wasm bytes, base64',
    worker: "the pool threads' module (assembly/worker.ts), wasm bytes, base64",
    initialPages: "the memory's minimum size in 64 KiB pages",
    maximumPages: "the memory's declared maximum in 64 KiB pages",
  };
  const texts = {};
  for (const [name, fields] of Object.entries(files)) {
    let body = '';
    for (const [key, value] of Object.entries(fields)) {
      body += `/** The ${name} kernels: ${docs[key]}. */\nexport const ${key} = ${typeof value === 'string' ? `'${value}'` : value};\n`;
    }
    texts[name] = header + body;
  }
  if (verify) return verifyCommitted(texts);
  for (const [name, text] of Object.entries(texts)) writeFileSync(generatedFile(name), text);
  // The single module of earlier builds, if a checkout still has it.
  rmSync(path.join(root, 'src', 'kernels.generated.ts'), { force: true });
  const kib = (b64) => `${Math.round((b64.length * 3) / 4 / 1024)} KiB`;
  console.log(`backend-wasm: built ${Object.entries(files).map(([n, f]) => `${n} (${kib(f.wasm)}${f.worker ? ` + worker ${kib(f.worker)}` : ''})`).join(', ')}`);
}

/** The committed text of a generated module: git HEAD's where this is a git checkout, else the file's. */
function committedText(file) {
  try {
    const rel = path.relative(root, file).split(path.sep).join('/');
    return execFileSync('git', ['show', `HEAD:./${rel}`], { cwd: root, encoding: 'utf8', maxBuffer: 1 << 26, stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    return existsSync(file) ? readFileSync(file, 'utf8') : undefined;
  }
}

/** --verify: exits 1 naming each committed module that is not what the sources compile to now. */
function verifyCommitted(texts) {
  const bad = VARIANTS.filter((v) => committedText(generatedFile(v)) !== texts[v]);
  if (bad.length === 0) {
    console.log(`backend-wasm: the committed kernels (${VARIANTS.join(', ')}) are what assembly/ compiles to`);
    return;
  }
  console.error(
    `backend-wasm: committed kernels differ from a fresh compile of the current sources: ${bad.map((v) => `src/kernels-${v}.generated.ts`).join(', ')}.\n` +
      'Run `pnpm --filter @torchlet/backend-wasm run build:wasm` and commit src/kernels-*.generated.ts.',
  );
  process.exitCode = 1;
}
