import { describe, expect, it } from 'vitest';
import { memory, ones, registerBackend, removeBackendInstance, setBackend, zeros } from '../src/index.ts';
import { createReferenceBackend } from './reference-backend.ts';

// removeBackendInstance destroys the instance: what its tensors held must leave memory() at
// once, and a tensor that outlived it must say so when used, not read a destroyed backend.
describe('removeBackendInstance', () => {
  it('drops the removed instance from memory() and makes its tensors throw a clear error', async () => {
    let destroyed = 0;
    const made: ReturnType<typeof createReferenceBackend>[] = [];
    registerBackend('gone', () => {
      const b = createReferenceBackend('gone');
      made.push(b);
      return { ...b, destroy: () => void destroyed++ };
    });
    await setBackend('gone');
    const start = memory();
    const a = ones([4, 4]);
    const view = a.reshape([16]);
    const b = zeros([8]);
    expect(memory().buffers).toBe(start.buffers + 2);
    expect(memory().backends.gone).toMatchObject({ buffers: 2, bytes: 96 });

    removeBackendInstance('gone');
    expect(destroyed).toBe(1);
    expect(memory().buffers).toBe(start.buffers);
    expect(memory().bytes).toBe(start.bytes);
    expect(memory().backends.gone).toMatchObject({ buffers: 0, bytes: 0 });
    expect(a.isDisposed).toBe(true);
    expect(() => a.add(1)).toThrow(/lived on the 'gone' backend instance, which was removed \(removeBackendInstance\(\), or a lost GPU device\); its data is gone/);
    expect(() => view.sum()).toThrow(/shape \[16\] \(float32\) lived on the 'gone' backend instance/);

    // Disposing the survivors later frees nothing twice and leaves the counters where they are.
    const tensorsBefore = memory().tensors;
    a.dispose();
    view.dispose();
    b.dispose();
    expect(memory().tensors).toBe(tensorsBefore - 3);
    expect(memory().buffers).toBe(start.buffers);

    // A fresh instance under the same name starts from clean counters.
    await setBackend('gone');
    expect(made).toHaveLength(2);
    const c = ones([2]);
    expect(memory().backends.gone).toMatchObject({ buffers: 1, bytes: 8 });
    expect(await c.tolist()).toEqual([1, 1]);
    c.dispose();
    expect(made[1]!.liveBuffers()).toBe(0);
  });
});
