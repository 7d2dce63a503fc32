import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';

// The WebGPU backend is optional: when packages/backend-webgpu has been built, the page imports
// it (registering 'webgpu' with the same @torchlet/core instance as torchlet); otherwise the
// module below says why the option is disabled. A virtual module keeps the build working either way.
const webgpuEntry = fileURLToPath(new URL('../../packages/backend-webgpu/dist/index.js', import.meta.url));
const VIRTUAL = 'virtual:torchlet-webgpu';

function optionalWebGPU(): Plugin {
  return {
    name: 'torchlet-optional-webgpu',
    resolveId: (id) => (id === VIRTUAL ? `\0${VIRTUAL}` : null),
    load(id) {
      if (id !== `\0${VIRTUAL}`) return null;
      return existsSync(webgpuEntry)
        ? `export const packaged = true; export const reason = ''; export const load = () => import(${JSON.stringify(webgpuEntry)});`
        : `export const packaged = false; export const reason = '@torchlet/backend-webgpu was not built into this page'; export const load = async () => {};`;
    },
  };
}

// Cross-origin isolation, so the page may share WebAssembly memory with worker threads (the wasm
// backend's `threads` option), in the dev server and the preview as in the tests' static server.
const isolation = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };

export default defineConfig(({ command }) => ({
  root: fileURLToPath(new URL('.', import.meta.url)),
  // Relative asset URLs, so dist/ works from any sub-path (GitHub Pages, a docs folder).
  base: './',
  // A build prints warnings only; `vite` and `vite preview` print the URL to open.
  logLevel: command === 'build' ? 'warn' : 'info',
  server: { headers: isolation },
  preview: { headers: isolation },
  plugins: [optionalWebGPU()],
  // The training worker (src/train.worker.js) is an ES module: the wasm kernels are split into
  // chunks, which a classic worker cannot load. It imports the virtual module too.
  worker: { format: 'es', plugins: () => [optionalWebGPU()], rolldownOptions: { checks: { bundlerTimings: false } } },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // Keep .wasm files as files (Vite inlines assets under 4 KiB by default).
    assetsInlineLimit: 0,
    // Rolldown's [PLUGIN_TIMINGS] warning reports how long plugins took; on a loaded machine it
    // fires on every build and says nothing about the page.
    rolldownOptions: { checks: { bundlerTimings: false } },
  },
}));
