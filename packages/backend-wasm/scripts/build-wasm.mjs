// Compiles assembly/ with AssemblyScript (plain SIMD, and SIMD + relaxed SIMD; each also as a
// threaded build on shared memory with its pool-thread module) and embeds each binary as base64
// in its own module, src/kernels-<variant>.generated.ts, so that the package
// loads in Node, Deno and browsers without a bundler or file access. load.ts imports only the
// variant the engine runs (a dynamic import: bundlers split it into a chunk of its own), so an
// app downloads one binary, not two. Also leaves the .wasm/.wat files in build/.
// The six compiles are independent and each is single-threaded JavaScript, so they run in worker
// threads, as many at a time as the machine has cores (a third of the wall time on 2 cores quiet).
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import path from 'node:path';
import asc from 'assemblyscript/asc';
import { generateOpCodes } from './op-codes.mjs';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
// The kernels' op codes come from core's op table; this throws when a kernel case is missing.
await generateOpCodes();
const build = path.join(root, 'build');
mkdirSync(build, { recursive: true });

const variants = [
  { name: 'simd', features: ['--enable', 'simd'] },
  { name: 'relaxed', features: ['--enable', 'simd', '--enable', 'relaxed-simd'] },
];
// The threaded builds import a shared memory (created by load.ts, up to 4 GiB) and come with
// the module each pool thread instantiates on it (assembly/worker.ts).
const MAX_PAGES = 65536;
const threaded = ['--enable', 'threads', '--importMemory', '--sharedMemory', '--maximumMemory', String(MAX_PAGES)];

if (!isMainThread) {
  // A worker: one compile, reported back as { error } or { ok }.
  const { entry, features, name } = workerData;
  compileHere(entry, features, name).then(
    () => parentPort.postMessage({ ok: true }),
    (e) => parentPort.postMessage({ error: e.message }),
  );
} else {
  await main();
}

async function compileHere(entry, features, name) {
  const wasm = path.join(build, `${name}.wasm`);
  const wat = path.join(build, `${name}.wat`);
  const args = [
    path.join(root, 'assembly', entry), ...features,
    '-O3', '--runtime', 'stub', '--noAssert', '--outFile', wasm, '--textFile', wat,
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

function output(name) {
  return { bytes: readFileSync(path.join(build, `${name}.wasm`)), wat: readFileSync(path.join(build, `${name}.wat`), 'utf8') };
}

/** The ids of a module's sections (https://webassembly.github.io/spec/core/binary/modules.html). */
function sectionIds(bytes) {
  const ids = [];
  let at = 8;
  const leb = () => {
    let v = 0, shift = 0, b;
    do { b = bytes[at++]; v |= (b & 0x7f) << shift; shift += 7; } while (b & 0x80);
    return v >>> 0;
  };
  while (at < bytes.length) {
    const id = bytes[at++];
    const size = leb();
    ids.push(id);
    at += size;
  }
  return ids;
}

async function main() {
  const jobs = variants.flatMap((v) => [
    { entry: 'index.ts', features: v.features, name: `kernels-${v.name}` },
    { entry: 'index.ts', features: [...v.features, ...threaded], name: `kernels-${v.name}-threads` },
    { entry: 'worker.ts', features: [...v.features, ...threaded], name: `worker-${v.name}-threads` },
  ]);
  const limit = Number(process.env.TORCHLET_BUILD_JOBS) || availableParallelism();
  await compileAll(jobs, limit);

  const files = {};
  for (const v of variants) {
    const plain = output(`kernels-${v.name}`);
    files[v.name] = { wasm: plain.bytes.toString('base64') };

    const main = output(`kernels-${v.name}-threads`);
    const worker = output(`worker-${v.name}-threads`);
    if (sectionIds(worker.bytes).includes(11)) {
      throw new Error(`worker-${v.name}-threads.wasm has a data section: assembly/worker.ts must reach no static data (memory.data, strings)`);
    }
    const limits = /\(import "env" "memory" \(memory \$\S+ (\d+) (\d+) shared\)\)/.exec(main.wat);
    if (!limits) throw new Error(`kernels-${v.name}-threads.wat: no shared memory import found`);
    files[`${v.name}-threads`] = {
      wasm: main.bytes.toString('base64'),
      worker: worker.bytes.toString('base64'),
      initialPages: Number(limits[1]),
      maximumPages: Number(limits[2]),
    };
  }

  const header = `// Generated by scripts/build-wasm.mjs from assembly/ — do not edit.\n`;
  const docs = {
    wasm: 'wasm bytes, base64',
    worker: "the pool threads' module (assembly/worker.ts), wasm bytes, base64",
    initialPages: "the memory's minimum size in 64 KiB pages",
    maximumPages: "the memory's declared maximum in 64 KiB pages",
  };
  for (const [name, fields] of Object.entries(files)) {
    let body = '';
    for (const [key, value] of Object.entries(fields)) {
      body += `/** The ${name} kernels: ${docs[key]}. */\nexport const ${key} = ${typeof value === 'string' ? `'${value}'` : value};\n`;
    }
    writeFileSync(path.join(root, 'src', `kernels-${name}.generated.ts`), header + body);
  }
  // The single module of earlier builds, if a checkout still has it.
  rmSync(path.join(root, 'src', 'kernels.generated.ts'), { force: true });
  const kib = (b64) => `${Math.round((b64.length * 3) / 4 / 1024)} KiB`;
  console.log(`backend-wasm: built ${Object.entries(files).map(([n, f]) => `${n} (${kib(f.wasm)}${f.worker ? ` + worker ${kib(f.worker)}` : ''})`).join(', ')}`);
}
