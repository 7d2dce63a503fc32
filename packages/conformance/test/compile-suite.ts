/**
 * torch.compile against eager as vitest tests, shared by the wasm run (test/compile.test.ts) and
 * the WebGPU run (webgpu/node.test.ts, after the eager cases): each check of src/compiled.ts (every
 * `modules` case replayed and judged with its tolerances, the seed MLP and Transformer training
 * loops, a shape change that re-traces, a value read inside the function) is its own test. Deno
 * (deno/compile_test.ts, webgpu/deno/conformance_test.ts) and Chromium (browser/main.ts) run the same.
 */
import { setBackend } from '@torchlet/core';
import { beforeAll, describe, it } from 'vitest';
import { compiledChecks } from '../src/compiled.ts';

/** Defines the tests on `backend` (registered by the caller's import); `exact`: bit for bit. */
export async function defineCompiledSuite(backend: string, exact: boolean): Promise<void> {
  const checks = await compiledChecks({ exact });
  beforeAll(async () => {
    await setBackend(backend);
  });
  describe(`torch.compile against eager (${backend})`, () => {
    for (const check of checks) it(check.name, () => check.run());
  });
}
