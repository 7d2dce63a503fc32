import { describe, expect, it } from 'vitest';
import { getBackend, ready, registerBackend, setBackend, zeros, type Backend } from '../src/index.ts';

// The first errors a new user meets, before any backend exists: each must say what to do.
// Vitest gives this file its own module graph, so core's registry starts empty here.
describe('backend registry errors', () => {
  it('setBackend with nothing registered says to import a backend', async () => {
    await expect(setBackend()).rejects.toThrow(/no backend is registered. Import one first, e.g. `import "@torchlet\/backend-wasm"`/);
    await expect(setBackend('wasm')).rejects.toThrow(/unknown backend 'wasm'. Registered backends: none/);
  });

  it('creating a tensor before setBackend says to call setBackend', () => {
    expect(() => getBackend()).toThrow(/no backend is set. Call `await torch.setBackend\('wasm'\)`/);
    expect(() => zeros([2])).toThrow(/no backend is set/);
  });

  it('creating a tensor while the backend initialises says to await ready()', async () => {
    let finish!: (b: Backend) => void;
    registerBackend('slow', () => new Promise<Backend>((resolve) => (finish = resolve)), 0);
    const pending = setBackend('slow');
    expect(() => zeros([2])).toThrow(/still initialising; `await torch.ready\(\)`/);
    finish({ name: 'slow' } as unknown as Backend);
    await ready();
    await expect(pending).resolves.toMatchObject({ name: 'slow' });
  });
});
