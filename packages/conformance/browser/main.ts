/**
 * The conformance suite in a browser page, on the wasm backend (or `?backend=webgpu`, or
 * `?backend=wasm-threads`: the wasm backend with two threads, every product and attention pass
 * the pool can split sent to it). When it finishes, the summary is
 * `window.__conformance` (or the error that stopped it is `window.__conformanceError`);
 * run-chromium.mjs waits for either.
 */
import { registerBackend } from '@torchlet/core';
import { createWasmBackend } from '@torchlet/backend-wasm';
import '@torchlet/backend-webgpu';
import { SUITE_FAMILIES } from '../src/cases.ts';
import { runSuite, type SuiteSummary } from '../src/suite.ts';

declare global {
  interface Window {
    __conformance?: SuiteSummary;
    __conformanceError?: string;
  }
}

const pre = document.getElementById('log')!;
const log = (line: string) => {
  pre.textContent += `${line}\n`;
  console.log(line);
};

registerBackend('wasm-threads', () => createWasmBackend({ threads: 2, parallelThreshold: 0 }));
const backend = new URLSearchParams(location.search).get('backend') ?? 'wasm';
runSuite({ backend, families: SUITE_FAMILIES, log }).then(
  (summary) => {
    window.__conformance = summary;
  },
  (err: unknown) => {
    window.__conformanceError = err instanceof Error ? `${err.name}: ${err.message}\n${err.stack ?? ''}` : String(err);
    log(`error: ${window.__conformanceError}`);
  },
);
