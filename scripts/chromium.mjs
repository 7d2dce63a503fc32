/**
 * What every headless-Chromium check in this repository shares (the conformance page, the
 * browser demo, the docs site, the pack test): a static file server on 127.0.0.1 and Debian's
 * chromium driven by playwright-core with the flags checked on these machines (shared/TOOLCHAIN.md).
 */
import { createServer } from 'node:http';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

/** The repository root (temporary profiles go to <root>/.tmp, which git ignores). */
export const repoRoot = resolve(fileURLToPath(new URL('..', import.meta.url)));

/**
 * Headless, no sandbox (CI runs as root), WebGPU on SwiftShader (without --enable-unsafe-webgpu
 * requestAdapter() returns null), and nothing that reaches the network or writes outside the profile.
 */
export const CHROMIUM_FLAGS = [
  '--headless=new', '--no-sandbox', '--disable-gpu-sandbox', '--enable-unsafe-webgpu',
  '--use-webgpu-adapter=swiftshader', '--disable-background-networking', '--disable-component-update',
  '--disable-sync', '--no-first-run', '--disable-quic', '--disable-dev-shm-usage',
];

const MIME = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8',
  '.json': 'application/json', '.wasm': 'application/wasm', '.css': 'text/css', '.map': 'application/json',
  '.png': 'image/png', '.svg': 'image/svg+xml', '.woff2': 'font/woff2',
};

/**
 * Serves the files under `root` on 127.0.0.1 and a random port (`server.address().port`); a
 * directory serves its index.html; nothing outside `root`. The caller closes the server. Pages
 * are cross-origin isolated (COOP/COEP headers), so that they may share WebAssembly memory
 * between threads, as the wasm backend's `threads` option needs.
 */
export function serveStatic(root) {
  const base = resolve(root);
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    let file = normalize(join(base, path));
    if (file !== base && !file.startsWith(base + sep)) return void res.writeHead(403).end();
    try {
      if (statSync(file).isDirectory()) file = join(file, 'index.html');
      res.writeHead(200, {
        'content-type': MIME[extname(file)] ?? 'application/octet-stream',
        'cache-control': 'no-store',
        'cross-origin-opener-policy': 'same-origin',
        'cross-origin-embedder-policy': 'require-corp',
      });
      res.end(readFileSync(file));
    } catch {
      res.writeHead(404).end('not found');
    }
  });
  return new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => ok(server));
  });
}

/**
 * Runs `fn(context)` with a fresh Chromium profile under <root>/.tmp (XDG folders and HOME there
 * too, so nothing is written to the user's home), then closes the browser and removes the profile.
 * `options` are extra playwright launch options (a viewport, say).
 */
export async function withChromium(fn, options = {}) {
  mkdirSync(join(repoRoot, '.tmp'), { recursive: true });
  const tmp = mkdtempSync(join(repoRoot, '.tmp', 'chromium-'));
  let context;
  try {
    context = await chromium.launchPersistentContext(join(tmp, 'profile'), {
      executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
      headless: true,
      args: CHROMIUM_FLAGS,
      // XDG_RUNTIME_DIR: an empty private folder, or Chromium prints "XDG_RUNTIME_DIR is invalid".
      env: { ...process.env, XDG_CONFIG_HOME: join(tmp, 'config'), XDG_CACHE_HOME: join(tmp, 'cache'), XDG_RUNTIME_DIR: runtimeDir(tmp), HOME: tmp },
      timeout: 60_000,
      ...options,
    });
    return await fn(context);
  } finally {
    await context?.close().catch(() => {});
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** The caller's XDG_RUNTIME_DIR when it exists, else a new 0700 folder in `tmp`. */
function runtimeDir(tmp) {
  const current = process.env.XDG_RUNTIME_DIR;
  if (current && existsSync(current)) return current;
  mkdirSync(join(tmp, 'runtime'), { recursive: true, mode: 0o700 });
  return join(tmp, 'runtime');
}

/** The context's first page. */
export async function firstPage(context) {
  return context.pages()[0] ?? (await context.newPage());
}
