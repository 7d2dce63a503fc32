import '@torchlet/backend-wasm';
import '../src/index.ts';
import { setBackend } from '@torchlet/core';

export async function useWasm(): Promise<void> {
  await setBackend('wasm');
}
