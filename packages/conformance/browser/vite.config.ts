import { defineConfig } from 'vite';

const root = new URL('.', import.meta.url).pathname;

// Builds the conformance page (index.html) and the worker-training page into browser/dist/,
// served by run-chromium.mjs.
export default defineConfig({
  root,
  base: './',
  logLevel: 'warn',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // Keep .wasm files as files (Vite inlines assets under 4 KiB by default).
    assetsInlineLimit: 0,
    // The case files are large JSON chunks; that is expected.
    chunkSizeWarningLimit: 4096,
    // Rolldown's [PLUGIN_TIMINGS] warning (slow plugins on a loaded machine) is noise here.
    rolldownOptions: {
      input: { index: `${root}index.html`, 'worker-training': `${root}worker-training.html` },
      checks: { bundlerTimings: false },
    },
  },
  // The training worker imports torchlet, whose wasm kernels are split into chunks: ES workers.
  worker: { format: 'es' },
});
