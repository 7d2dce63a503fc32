/// <reference lib="deno.ns" />
/**
 * torch.compile against eager in Deno on wasm (src/compiled.ts): every modules case replayed and
 * judged with its tolerances, the seed MLP and Transformer training loops, a re-trace on a new
 * shape and a value read, each bit for bit against eager (the same kernels in the same order).
 */
import '@torchlet/backend-wasm';
import { defineCompiledTests } from './compile_suite.ts';

await defineCompiledTests('wasm', true);
