#!/usr/bin/env node
/**
 * The API pages' `@example` blocks, checked (run by docs-check.mjs, so by `pnpm run docs:check`):
 *
 *   node docs/scripts/doc-examples.mjs            every public function and class of the user-facing
 *                                                 packages has an @example; all examples typecheck
 *                                                 (strict, against the packages' sources) and run on
 *                                                 the wasm backend (against the build: run it first)
 *   node docs/scripts/doc-examples.mjs --missing  lists the public symbols without an example
 *   options: --sample N (run N, not all), --no-run, --seed S, --only NAME, --show (print what they log)
 *
 * "Public" is what typedoc documents: the exports of each package's entry point (namespaces
 * such as `nn.init` and `nn.F` walked member by member), less `@internal` ones; a function- or
 * class-valued export needs an example, types and plain constants do not. A symbol re-exported by
 * a second package (autograd's `noGrad`, the umbrella) belongs to the package that declares it.
 *
 * An example is TypeScript as a user writes it. Without an `import` line it gets the prelude
 * every page states (docs/guides/torchlet-package.md):
 *     import * as torch from 'torchlet'; import { nn, optim, F } from 'torchlet';
 * and the backend is set (`await torch.setBackend('wasm')`) before it runs. All examples are
 * compiled in ONE TypeScript program (the package sources are checked once, not per example),
 * then run one after another in one Node process;
 * an example whose first line is `// not run: <reason>` (a download, a GPU) is only typechecked.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = fileURLToPath(new URL('../../', import.meta.url));
const args = process.argv.slice(2);
const flag = (name) => args.includes(name);
const opt = (name, dflt) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : dflt; };

/**
 * The packages whose pages must teach by example (typedoc.json's packagesRequiringDocumentation);
 * the umbrella's own declarations (trainInWorker, serveTraining) count, its re-exports belong to
 * the packages that declare them.
 */
export const PACKAGES = ['core', 'autograd', 'nn', 'optim', 'transformer', 'datasets', 'backend-wasm', 'backend-webgpu', 'torchlet'];
const PRELUDE = "import * as torch from 'torchlet';\nimport { nn, optim, F } from 'torchlet';\n";
const exampleDir = join(root, '.doc-examples');   // virtual: these files exist only in the compiler host

const compilerOptions = (() => {
  const cfg = ts.getParsedCommandLineOfConfigFile(join(root, 'tsconfig.json'), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} });
  const paths = { torchlet: [join(root, 'packages/torchlet/src/index.ts')] };
  for (const p of ['core', 'autograd', 'nn', 'optim', 'transformer', 'datasets', 'backend-wasm', 'backend-webgpu']) {
    paths[`@torchlet/${p}`] = [join(root, `packages/${p}/src/index.ts`)];
  }
  paths['@torchlet/datasets/mnist-embedded'] = [join(root, 'packages/datasets/src/mnist-embedded.ts')];
  // Examples are snippets: a name they declare and do not use is fine.
  return { ...cfg.options, noEmit: true, noUnusedLocals: false, paths, incremental: false };
})();

/**
 * The @example blocks of a declaration, read from the comment's raw text: TypeScript's JSDoc
 * parser would take an `@torchlet/nn` inside a code fence for a tag, typedoc does not.
 */
function examplesOf(decl) {
  const holder = ts.isVariableDeclaration(decl) ? decl.parent.parent : decl;
  const sf = decl.getSourceFile();
  const out = [];
  for (const doc of holder.jsDoc ?? []) {
    const first = sf.getLineAndCharacterOfPosition(doc.getStart()).line;
    const lines = doc.getText().split('\n').map((l) => l.replace(/^\s*(\/\*\*|\*\/|\*)? ?/, ''));
    for (let i = 0; i < lines.length; i++) {
      if (!/^@example\b/.test(lines[i])) continue;
      let j = i + 1;
      while (j < lines.length && lines[j].trim() === '') j++;
      const fenced = /^```/.test(lines[j] ?? '');
      const start = fenced ? j + 1 : i + 1;
      let end = start;
      while (end < lines.length && !(fenced ? /^```/.test(lines[end]) : /^@\w/.test(lines[end]))) end++;
      const code = lines.slice(start, end).join('\n').replace(/\*\/\s*$/, '');
      out.push({ code, file: relative(root, sf.fileName), line: first + i + 1 });
      i = end;
    }
  }
  return out;
}

/** Collects every public function/class of PACKAGES with the @example blocks on its declarations. */
function collect(program) {
  const checker = program.getTypeChecker();
  const seen = new Map();   // resolved symbol -> entry (first name wins: nn.F.relu and nn.functional.relu are one)
  const entries = [];
  const ownerOf = (decl) => /packages\/([^/]+)\/src\//.exec(decl.getSourceFile().fileName)?.[1];
  const isInternal = (decl) => ts.getJSDocTags(decl).some((t) => t.tagName.text === 'internal')
    || (ts.isVariableDeclaration(decl) && ts.getJSDocTags(decl.parent.parent).some((t) => t.tagName.text === 'internal'));
  const walk = (moduleSymbol, pkg, prefix) => {
    for (const exp of checker.getExportsOfModule(moduleSymbol)) {
      const sym = exp.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exp) : exp;
      const decls = sym.declarations ?? [];
      const aliasDecls = exp === sym ? [] : (exp.declarations ?? []).map((d) => ts.isExportSpecifier(d) ? d.parent.parent : d.parent);
      if (decls.length === 0 || decls.some(isInternal) || aliasDecls.some(isInternal)) continue;
      const name = `${prefix}${exp.name}`;
      if (decls.some((d) => ts.isSourceFile(d) || ts.isModuleDeclaration(d))) {   // export * as F
        if (!seen.has(sym)) { seen.set(sym, name); walk(sym, pkg, `${name}.`); }
        continue;
      }
      const owner = ownerOf(decls[0]);
      if (seen.has(sym) || owner !== pkg) continue;
      const kind = decls.some(ts.isClassDeclaration) ? 'class'
        : decls.some(ts.isFunctionDeclaration) ? 'function'
          : decls.some((d) => ts.isVariableDeclaration(d)
            && checker.getTypeOfSymbolAtLocation(sym, d).getCallSignatures().length > 0) ? 'function' : null;
      seen.set(sym, name);
      if (!kind) continue;
      const examples = decls.flatMap(examplesOf);
      const sf = decls[0].getSourceFile();
      entries.push({ pkg, name, kind, examples, file: relative(root, sf.fileName), line: sf.getLineAndCharacterOfPosition(decls[0].getStart()).line + 1 });
    }
  };
  for (const pkg of PACKAGES) {
    const sf = program.getSourceFile(join(root, `packages/${pkg}/src/index.ts`));
    walk(checker.getSymbolAtLocation(sf), pkg, '');
  }
  return entries;
}

const t0 = performance.now();
const baseHost = ts.createCompilerHost(compilerOptions, true);
const roots = PACKAGES.map((p) => join(root, `packages/${p}/src/index.ts`));
let program = ts.createProgram({ rootNames: roots, options: compilerOptions, host: baseHost });
const entries = collect(program);
const only = opt('--only');
const chosen = only ? entries.filter((e) => e.name === only || e.name.endsWith(`.${only}`)) : entries;
const missing = chosen.filter((e) => e.examples.length === 0);

if (flag('--missing')) {
  for (const e of missing) console.log(`${e.file}:${e.line}\t@torchlet/${e.pkg}\t${e.kind}\t${e.name}`);
  console.log(`${missing.length} of ${chosen.length} public functions and classes have no @example`);
  process.exit(0);
}

// One program: the sources plus one virtual file per example.
const files = new Map();   // virtual path -> { text, example, entry, offset }
for (const e of chosen) {
  e.examples.forEach((ex, i) => {
    const hasImport = /^\s*import\s/m.test(ex.code);
    const text = hasImport ? ex.code : `${PRELUDE}{\n${ex.code}\n}\nexport {};\n`;
    const path = join(exampleDir, e.pkg, `${e.name}.${i}.ts`);
    files.set(path, { text, ex, e, offset: hasImport ? 0 : 3 });
  });
}
const host = {
  ...baseHost,
  fileExists: (f) => files.has(f) || baseHost.fileExists(f),
  readFile: (f) => files.get(f)?.text ?? baseHost.readFile(f),
  getSourceFile: (f, lang, onError, fresh) => files.has(f)
    ? ts.createSourceFile(f, files.get(f).text, lang, true)
    : baseHost.getSourceFile(f, lang, onError, fresh),
};
program = ts.createProgram({ rootNames: [...roots, ...files.keys()], options: compilerOptions, host, oldProgram: program });
const problems = [];
for (const [path, { ex, e, offset }] of files) {
  const sf = program.getSourceFile(path);
  for (const d of [...program.getSyntacticDiagnostics(sf), ...program.getSemanticDiagnostics(sf)]) {
    const line = d.start === undefined ? 0 : sf.getLineAndCharacterOfPosition(d.start).line - offset;
    problems.push(`${ex.file}:${ex.line} (${e.name}), example line ${line + 1}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
  }
}
const compileSeconds = (performance.now() - t0) / 1000;
console.log(`doc examples: ${files.size} examples on ${chosen.length - missing.length} of ${chosen.length} public functions and classes, typechecked in ${compileSeconds.toFixed(1)} s`);
// The allowance per package while examples are being written (docs/scripts/examples-baseline.json;
// empty when every package is complete). A count above it fails.
const baselineFile = join(root, 'docs/scripts/examples-baseline.json');
const baseline = existsSync(baselineFile) ? JSON.parse(readFileSync(baselineFile, 'utf8')) : {};
const over = PACKAGES.filter((p) => missing.filter((e) => e.pkg === p).length > (baseline[p] ?? 0));
if (only) over.length = 0;
if (over.length > 0) {
  problems.push(`${missing.length} public functions and classes have no @example (node docs/scripts/doc-examples.mjs --missing lists them), e.g.:\n  ${
    missing.filter((e) => over.includes(e.pkg)).slice(0, 10).map((e) => `${e.file}:${e.line}: @torchlet/${e.pkg} ${e.kind} ${e.name}`).join('\n  ')}`);
}

// Run them (or a sample) on the wasm backend, against the built packages, in one Node process:
// about 7 s for all 360-odd, so the check runs every one; --sample exists for quick local runs.
const runnable = [...files.values()].filter(({ ex, e }) => !/^\s*\/\/ not run/.test(ex.code) && e.pkg !== 'backend-webgpu');
let sample = [];
if (!flag('--no-run') && problems.length === 0) {
  const n = Number(opt('--sample', String(runnable.length)));
  // A seeded shuffle, so that a --sample run picks different examples each day (or per --seed).
  let s = Number(opt('--seed', String(Math.floor(Date.now() / 86_400_000)))) >>> 0;
  const rand = () => ((s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0) / 2 ** 32);
  sample = [...runnable].map((f) => [rand(), f]).sort((a, b) => a[0] - b[0]).slice(0, n).map(([, f]) => f);
}
if (sample.length > 0) {
  // Written inside the umbrella package so that 'torchlet' (its own name) and '@torchlet/*' (its
  // dependencies) resolve to the built dist, as for a user.
  const dir = join(root, 'packages/torchlet/.tmp/doc-examples');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const list = sample.map(({ text, ex, e }, i) => {
    const js = ts.transpileModule(text, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } }).outputText;
    const file = join(dir, `${i}.mjs`);
    writeFileSync(file, js);
    return { file, label: `${ex.file}:${ex.line} (${e.name})` };
  });
  const runner = join(dir, 'run.mjs');
  writeFileSync(runner, `import * as torch from 'torchlet';
import { pathToFileURL } from 'node:url';
import { inspect } from 'node:util';
await torch.setBackend('wasm');
const show = ${flag('--show')};
const list = ${JSON.stringify(list)};
const log = console.log;
let failed = 0;
for (const { file, label } of list) {
  const out = [];
  console.log = (...a) => out.push(a.map((v) => typeof v === 'string' ? v : inspect(v, { depth: 4, breakLength: 200 })).join(' '));
  try {
    await import(pathToFileURL(file).href);
  } catch (err) {
    failed++;
    process.stderr.write(\`FAIL \${label}: \${err?.stack ?? err}\\n\${out.join('\\n')}\\n\`);
  }
  console.log = log;
  if (show) log(\`-- \${label}\n\${out.join('\\n')}\`);
}
log(\`ran \${list.length - failed} of \${list.length} examples\`);
process.exit(failed === 0 ? 0 : 1);
`);
  const t1 = performance.now();
  const r = spawnSync(process.execPath, [runner], { cwd: dir, stdio: 'inherit', timeout: 120_000 });
  console.log(`doc examples: ran ${sample.length} of ${runnable.length} runnable examples in ${((performance.now() - t1) / 1000).toFixed(1)} s`);
  if (r.status !== 0) problems.push(`running the sample failed (exit ${r.status ?? r.signal}); rerun one with --only NAME --show`);
}

for (const p of problems) console.error(p);
process.exit(problems.length === 0 ? 0 : 1);
