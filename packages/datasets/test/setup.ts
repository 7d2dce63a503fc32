import '@torchlet/backend-wasm';
import { setBackend } from '@torchlet/core';

export async function useWasm(): Promise<void> {
  await setBackend('wasm');
}
