import { describe, expect, it, vi } from 'vitest';
import { getBackend, ready, registerBackend, removeBackendInstance, setBackend, zeros, type Backend } from '../src/index.ts';

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

  it("a second setBackend with other options warns that they are ignored, and says how to apply them", async () => {
    const created: unknown[] = [];
    registerBackend('opts', async (o) => {
      created.push(o);
      return { name: 'opts' } as unknown as Backend;
    });
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      const first = await setBackend('opts', { threads: 1 });
      // The same options, or none: no warning, the same instance.
      expect(await setBackend('opts', { threads: 1 })).toBe(first);
      expect(await setBackend('opts')).toBe(first);
      expect(warn).not.toHaveBeenCalled();
      expect(await setBackend('opts', { threads: 2 })).toBe(first);
      expect(warn).toHaveBeenCalledTimes(1);
      expect(warn.mock.calls[0]![0]).toMatch(
        /setBackend\('opts', \{ threads: 2 \}\): the 'opts' backend already exists \(created with \{ threads: 1 \}\), so these options are ignored. To apply them, call removeBackendInstance\('opts'\) first/,
      );
      removeBackendInstance('opts');
      await setBackend('opts', { threads: 2 });
      expect(created).toEqual([{ threads: 1 }, { threads: 2 }]);
      expect(warn).toHaveBeenCalledTimes(1);
    } finally {
      warn.mockRestore();
    }
  });
});
