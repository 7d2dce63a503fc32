import { describe, expect, it } from 'vitest';
import * as torch from '../src/index.ts';

describe('torchlet', () => {
  it('re-exports core and registers the wasm backend', async () => {
    expect(typeof torch.setBackend).toBe('function');
    expect(torch.listBackends()).toContain('wasm');
    const backend = await torch.setBackend('wasm');
    expect(backend.name).toBe('wasm');
  });
});
