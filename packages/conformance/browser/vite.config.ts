import { defineConfig } from 'vite';

// Builds the conformance page into browser/dist/, served by run-chromium.mjs.
export default defineConfig({
  root: new URL('.', import.meta.url).pathname,
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
    rolldownOptions: { checks: { bundlerTimings: false } },
  },
});
