/// <reference lib="deno.ns" />
/**
 * The torch.compile checks (src/compiled.ts) as Deno tests, one per check, on `backend`
 * (registered by the caller's import); `exact`: compiled results must equal eager ones bit for bit.
 */
import { setBackend } from '@torchlet/core';
import { compiledChecks } from '../src/compiled.ts';

export async function defineCompiledTests(backend: string, exact: boolean): Promise<void> {
  for (const check of await compiledChecks({ exact })) {
    Deno.test(`compiled on ${backend}: ${check.name}`, async () => {
      await setBackend(backend);
      await check.run();
    });
  }
}
