#!/usr/bin/env node
/**
 * Size budgets: the minified + gzipped size of each public package's built entry (its own code,
 * other packages external); of the app the README shows (its first TypeScript example, bundled
 * by Vite with minification and tree-shaking, plus the wasm it downloads); and of the whole APIs
 * of core + autograd + nn + optim + backend-wasm with nothing shaken away.
 * gzip is zlib level 9. Prints a table and exits 1 when a size is over its budget.
 *
 *   pnpm run build && node scripts/size/check.mjs
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'vite';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const KB = 1024;
/**
 * Budgets in bytes (minified + gzipped). The app budget is the issue's (an app as it loads by
 * default, on one thread); the others leave ~10-25% room.
 */
const BUDGETS = {
  // 39.1 KB with the op table's math ops, sort/scan/einsum/indexing and argument parsing (issue 12);
  // 49.2 KB with torch.compile (tracer, arena plan, fusion pass, replay) and the fused-program contract;
  // 55.3 KB with the fused matmul epilogues (issue 16: fused-matmul.ts, compile/fuse-matmul.ts).
  '@torchlet/core': 56 * KB,
  '@torchlet/autograd': 10 * KB,
  // 23.7 KB with RMSNorm, LoRA and checkpoint folders.
  '@torchlet/nn': 27 * KB,
  // 8.1 KB with the optimizer updates traced into torch.compile plans (issue 16: optim/src/traced.ts,
  // traced-rules.ts; 7.x KB before).
  '@torchlet/optim': 9 * KB,
  // 19.6 KB with GPT, the Llama family, generation, SentencePiece and tokenizer.json tokenizers
  // and positional encodings (12.x KB before the Llama work); all tree-shakable from an app.
  '@torchlet/transformer': 24 * KB,
  '@torchlet/datasets': 15 * KB,
  // Its JS plus one wasm variant chunk: the largest is a threaded one, the kernels (about 80 KiB
  // raw with the column reductions and the int8 panels) and the pool threads' module (22 KiB
  // raw), 42.5 KB; a one-thread variant is about 39.7 KB. 57.9 KB in all after the op table's new
  // element-wise kernels and the float16/bfloat16 copy kernels. 82.7 KB with the fused
  // element-wise interpreter (issue 16), whose pool-thread copy brings the math library's code and
  // tables into the pool threads' module (23 -> 54 KiB raw; the threaded chunk 51.3 -> 72.0 KB).
  // 88.1 KB with the prepared replay calls (Backend.prepare) and the faster attention kernels
  // (issue 16, 2026-12-03); 86.0 KB once the thread pool's code became a chunk loaded only when a
  // backend starts pool threads (its JS 15.5 -> 13.5 KB).
  '@torchlet/backend-wasm': 88 * KB,
  // Its own code (WGSL kernels included); tfjs-core and tfjs-backend-webgpu are its dependencies.
  '@torchlet/backend-webgpu': 60 * KB,
  // 4.4 KB with trainInWorker / serveTraining and their checkpoint format (0.3 KB of re-exports
  // before); an app that does not use them bundles to the same size with or without them.
  torchlet: 6 * KB,
  // The issue's budget: an app as the README writes it, on one thread (95 KB at the end of issue
  // 14's work). It reached 105.5 KB (issue 16's fused interpreter in the one-thread kernels, 39.7 ->
  // 43.8 KB; issue 12's positional arguments, callable modules and the fused-program contract in
  // core, JS 55 -> 61.7 KB) and was raised to 106 KB for a day; 94.3 KB once the packages' namespace
  // objects (nn.init, nn.utils, nn.quantization, core's linalg) became tree-shakable
  // (tsup.pure-namespaces.ts): 9 KB of them had stayed in every app. 100.6 KB after the generated
  // fused-program modules (backend-wasm's JS 11.1 -> 15.1 KB) and the traced optimizer rules; 95.3 KB
  // once nn's F became a module of its own in dist/ (packages/nn/tsup.config.ts), so an app keeps
  // only the functions it calls (the MLP's crossEntropy, not every conv, pool and loss, nor the core
  // ops they call): JS 58.5 -> 53.3 KB. 94.6 KB with the fused-program generator a chunk of its
  // own, loaded on the first fused program. 100.4 KB (2026-12-03) with issue 16's prepared replay
  // calls in backend-wasm's JS (~0.8 KB) and the 5x8 matmul and faster attention kernels in the
  // one-thread wasm chunk; 98.2 KB once the thread pool's code (threads.ts) became a chunk loaded
  // only when a backend starts pool threads, which a one-thread app never does.
  app: 100 * KB,
  // The same app with per-package imports (@torchlet/core, /autograd, /nn, /optim, /backend-wasm):
  // what it costs must not depend on the import style (94.2 KB when this line was added; 98.4 KB
  // on 2026-12-03).
  'app, per-package imports': 100 * KB,
  // Ceilings, not targets: the whole APIs with nothing tree-shaken (100.6 KB when this line was
  // added; 120.6 / 128.9 KB after issue 12's ops and dtypes and the Llama family).
  // 139.2 KB with torch.compile, callable modules, positional arguments and the worker API
  // (142.5 KB with the traced optimizer rules; the fused-program generator is a chunk of its own).
  // 146.0 KB with the generated fused reductions and the pool-split eager element-wise ops,
  // copies and reductions (issue 16).
  'whole API': 150 * KB,
  // 152.5 KB with the threaded chunk carrying the fused element-wise interpreter (issue 16).
  // 168.6 KB after torch.compile, callable modules, positional arguments and the worker API.
  // 175.8 KB (whole API 147.7 KB) with the pool-split fused reductions and element-wise ops, the
  // stacked q/k/v attention and the compile planner's constant folding and reshaped prologues.
  // 176.7 KB once threads.ts became a chunk, which this line then missed; 179.4 KB (2026-12-03)
  // counting that chunk (2.7 KB) again, as a threaded app loads it; 181.0 KB with the fused matmul
  // epilogues (core's contract and compile pass, the kernels' exported function table).
  'whole API, threads': 182 * KB,
};
const PACKAGES = ['core', 'autograd', 'nn', 'optim', 'transformer', 'datasets', 'backend-wasm', 'backend-webgpu', 'torchlet'];

const manifests = Object.fromEntries(PACKAGES.map((dir) => {
  const pkg = JSON.parse(readFileSync(join(root, 'packages', dir, 'package.json'), 'utf8'));
  return [pkg.name, { dir: join(root, 'packages', dir), pkg }];
}));
/** Every @torchlet/* import resolves to that package's built ESM entry, as a consumer's bundler would. */
const alias = Object.entries(manifests).map(([name, { dir, pkg }]) => ({
  find: new RegExp(`^${name.replace('/', '\\/')}$`),
  replacement: join(dir, pkg.exports['.'].import),
}));

const tmp = join(root, '.tmp', 'size');
rmSync(tmp, { recursive: true, force: true });
mkdirSync(tmp, { recursive: true });

/** backend-wasm's thread pool (threads.ts), a chunk its backend imports when it starts pool threads. */
const POOL_CHUNK = /[\\/]backend-wasm[\\/]dist[\\/]threads-[^\\/]*\.js$/;

/**
 * Bundles `source` (an ES module) minified. Returns the entry's code (with every chunk it imports
 * statically), minified and gzipped, and the largest chunk it imports on demand (the kernels of
 * one wasm variant: an app downloads one of them), gzipped: `lazy` of every variant, `lazyOneThread`
 * of the one-thread variants (what an app loads unless it asks for threads); and `pool`, the
 * thread pool's chunk(s) gzipped, which an app loads with a threaded variant. A .wasm asset would
 * count as loaded.
 */
async function measure(name, source, external = []) {
  const entry = join(tmp, `${name.replace(/[@/]/g, '_')}.mjs`);
  writeFileSync(entry, source);
  const out = await build({
    configFile: false,
    logLevel: 'silent',
    root: tmp,
    resolve: { alias },
    build: {
      write: false,
      minify: true,
      target: 'es2022',
      assetsInlineLimit: 0,
      rollupOptions: {
        input: entry,
        external: (id) => external.some((e) => id === e || id.startsWith(`${e}/`)),
        preserveEntrySignatures: 'strict',
      },
    },
  });
  const outputs = (Array.isArray(out) ? out : [out]).flatMap((o) => o.output);
  const gz = (bytes) => gzipSync(bytes, { level: 9 }).length;
  const chunks = new Map(outputs.filter((o) => o.type === 'chunk').map((c) => [c.fileName, c]));
  // The entry and what it imports statically load up front.
  const upFront = new Set();
  const visit = (file) => {
    if (upFront.has(file) || !chunks.has(file)) return;
    upFront.add(file);
    for (const i of chunks.get(file).imports) visit(i);
  };
  for (const c of chunks.values()) if (c.isEntry) visit(c.fileName);
  let js = 0;
  let jsRaw = 0;
  let lazy = 0;
  let lazyOneThread = 0;
  let pool = 0;
  for (const c of chunks.values()) {
    const bytes = Buffer.from(c.code);
    if (upFront.has(c.fileName)) {
      js += gz(bytes);
      jsRaw += bytes.length;
    } else if (POOL_CHUNK.test(c.facadeModuleId ?? '')) {
      pool += gz(bytes);
    } else {
      lazy = Math.max(lazy, gz(bytes));
      if (!c.fileName.includes('-threads')) lazyOneThread = Math.max(lazyOneThread, gz(bytes));
    }
  }
  for (const o of outputs) {
    if (o.type === 'asset' && o.fileName.endsWith('.wasm')) {
      lazy += gz(Buffer.from(o.source));
      lazyOneThread += gz(Buffer.from(o.source));
    }
  }
  return { js, jsRaw, lazy, lazyOneThread, pool };
}

const rows = [];
for (const [name, { pkg }] of Object.entries(manifests)) {
  // The package's own code: its dependencies are someone else's line in the table.
  const external = Object.keys(pkg.dependencies ?? {});
  rows.push({ name, ...(await measure(name, `export * from '${name}';\nimport '${name}';\n`, external)) });
}
// The app the budget is for: the README's first TypeScript example, as it stands (its import
// style, `import * as torch from 'torchlet'` with named imports of the namespaces, and an MLP's
// training step), bundled so that only what it uses remains, with one wasm variant (one thread).
const readme = readFileSync(join(root, 'README.md'), 'utf8');
const readmeApp = /```ts\n([\s\S]*?)```/.exec(readme)?.[1];
if (!readmeApp || !readmeApp.includes("from 'torchlet'")) throw new Error("size: README.md's first ```ts block must be the app that imports 'torchlet'");
const app = await measure('app', readmeApp);
rows.push({ name: 'app', ...app, lazy: app.lazyOneThread });
// The same app importing the packages one by one instead of the umbrella.
const umbrellaImports = /^import .* from 'torchlet';\n/gm;
const perPackageApp = [
  "import * as torch from '@torchlet/core';",
  "import '@torchlet/autograd';",
  "import '@torchlet/backend-wasm';",
  "import * as nn from '@torchlet/nn';",
  "import { F } from '@torchlet/nn';",
  "import * as optim from '@torchlet/optim';",
  readmeApp.replace(umbrellaImports, ''),
].join('\n');
if (perPackageApp.includes("'torchlet'")) throw new Error("size: the README app's imports from 'torchlet' must be whole lines of their own");
const perPackage = await measure('app-per-package', perPackageApp);
rows.push({ name: 'app, per-package imports', ...perPackage, lazy: perPackage.lazyOneThread });
// The whole APIs of core + autograd + nn + optim + backend-wasm, nothing shaken away: a ceiling
// against accidental growth (every new op adds to it), on one thread and with the threaded kernels.
const wholeSource = [
  "import '@torchlet/backend-wasm';",
  "export * from '@torchlet/core';",
  "export * as autograd from '@torchlet/autograd';",
  "export * as nn from '@torchlet/nn';",
  "export * as optim from '@torchlet/optim';",
  "export * as wasm from '@torchlet/backend-wasm';",
  '',
].join('\n');
const whole = await measure('whole', wholeSource);
rows.push({ name: 'whole API', ...whole, lazy: whole.lazyOneThread });
// A threaded app ships the thread pool's chunk with the threaded kernels. Were threads.ts no longer
// a chunk of its own, its code would be in `js` and this line would need rewriting, not skipping.
if (whole.pool === 0) throw new Error('size: the whole API bundles no thread-pool chunk (backend-wasm/dist/threads-*.js); update POOL_CHUNK or the "whole API, threads" line');
rows.push({ name: 'whole API, threads', ...whole, lazy: whole.lazy + whole.pool });

const fmt = (n) => `${(n / KB).toFixed(1)} KB`.padStart(10);
let failed = false;
console.log('minified + gzipped (zlib level 9); "on demand" is the largest wasm variant chunk, of which an app loads one\n');
console.log(`${'package'.padEnd(26)} ${'minified'.padStart(10)} ${'min+gz'.padStart(10)} ${'on demand'.padStart(10)} ${'total'.padStart(10)} ${'budget'.padStart(10)}`);
for (const r of rows) {
  const total = r.js + r.lazy;
  const budget = BUDGETS[r.name];
  const over = total > budget;
  failed ||= over;
  console.log(`${r.name.padEnd(26)} ${fmt(r.jsRaw)} ${fmt(r.js)} ${fmt(r.lazy)} ${fmt(total)} ${fmt(budget)}${over ? '  OVER BUDGET' : ''}`);
}
console.log("\napp = the README's first example as written (import * as torch from 'torchlet', an MLP's training step), bundled, one wasm variant (one thread);");
console.log('app, per-package imports = the same app importing @torchlet/core, /autograd, /nn, /optim and /backend-wasm instead of torchlet;');
console.log('whole API = core + autograd + nn + optim + backend-wasm with nothing shaken away; "threads" with the threaded kernels (the pool threads\' module in them) and the thread pool\'s JS chunk');
rmSync(tmp, { recursive: true, force: true });
if (failed) {
  console.error('size check: over budget (see the table above)');
  process.exit(1);
}
console.log('size check: every size is within its budget');
