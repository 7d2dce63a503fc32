import '@torchlet/backend-wasm';
import '@torchlet/autograd';
import { setBackend } from '@torchlet/core';

export async function useWasm(): Promise<void> {
  await setBackend('wasm');
}
