// The LLM page (examples/llm/web): `pnpm --filter @torchlet/example-llm run web` serves it,
// `web:build` writes web/dist (relative URLs: it works from any folder or static host).
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

export default defineConfig(({ command }) => ({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: './',
  logLevel: command === 'build' ? 'warn' : 'info',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    rolldownOptions: { checks: { bundlerTimings: false } },
  },
}));
