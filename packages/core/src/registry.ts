import type { Backend, BackendFactory } from './backend.ts';
import { orphanStorages } from './storage.ts';

interface Registration {
  factory: BackendFactory;
  priority: number;
}

const registry = new Map<string, Registration>();
const instances = new Map<string, Backend>();
/** The options each live instance was created with (a later setBackend's options cannot change them). */
const createdWith = new Map<string, Record<string, unknown> | undefined>();
let current: Backend | null = null;
let pending: Promise<Backend> | null = null;

/**
 * Makes a backend available under `name`. Backends call this when their module is imported;
 * `priority` orders them for {@link setBackend} without a name (highest first).
 * Registering a name again replaces the factory (a live instance stays until `setBackend`).
 *
 * @example
 * ```ts
 * // not run: registers a backend of your own (see docs/guides/backends.md)
 * import * as torch from 'torchlet';
 * import { createWasmBackend } from '@torchlet/backend-wasm';
 * torch.registerBackend('my-wasm', () => createWasmBackend(), 1);
 * await torch.setBackend('my-wasm');
 * ```
 */
export function registerBackend(name: string, factory: BackendFactory, priority = 0): void {
  registry.set(name, { factory, priority });
}

/**
 * The names of the registered backends, highest priority first.
 *
 * @example
 * ```ts
 * console.log(torch.listBackends());   // ['wasm'] with the umbrella; ['wasm', 'webgpu'] after importing @torchlet/backend-webgpu
 * ```
 */
export function listBackends(): string[] {
  return [...registry.entries()].sort((a, b) => b[1].priority - a[1].priority).map(([n]) => n);
}

/**
 * Selects the backend new tensors are created on, creating it on first use (asynchronous: the
 * wasm backend compiles its module, the WebGPU backend requests a device). Without a name, the
 * registered backend with the highest priority is chosen. `options` go to the factory the first
 * time the backend is created; a later call with different options switches to the existing
 * instance and warns that they are ignored (`removeBackendInstance(name)` first to recreate it).
 * Tensors already created stay on their own backend.
 *
 * @example
 * ```ts
 * await torch.setBackend('wasm');   // before the first op; { threads: 2 } is torch.set_num_threads(2)
 * console.log(torch.getBackendName());               // 'wasm'
 * ```
 */
export async function setBackend(name?: string, options?: Record<string, unknown>): Promise<Backend> {
  const chosen = name ?? listBackends()[0];
  if (chosen === undefined) {
    throw new Error(
      'torchlet: no backend is registered. Import one first, e.g. `import "@torchlet/backend-wasm"` ' +
        '(the umbrella package `torchlet` registers them for you).',
    );
  }
  const reg = registry.get(chosen);
  if (!reg) {
    throw new Error(
      `torchlet: unknown backend '${chosen}'. Registered backends: ${listBackends().join(', ') || 'none'}.`,
    );
  }
  const task = (async () => {
    let backend = instances.get(chosen);
    if (!backend) {
      backend = await reg.factory(options);
      instances.set(chosen, backend);
      createdWith.set(chosen, options);
    } else if (options !== undefined && !sameOptions(options, createdWith.get(chosen))) {
      console.warn(
        `torchlet: setBackend('${chosen}', ${describe(options)}): the '${chosen}' backend already exists ` +
          `(created with ${describe(createdWith.get(chosen))}), so these options are ignored. ` +
          `To apply them, call removeBackendInstance('${chosen}') first (tensors on the old instance must not be used after).`,
      );
    }
    current = backend;
    return backend;
  })();
  pending = task;
  try {
    return await task;
  } finally {
    if (pending === task) pending = null;
  }
}

/** Whether two option objects have the same keys with identical (Object.is) values. */
function sameOptions(a: Record<string, unknown>, b: Record<string, unknown> | undefined): boolean {
  const bb = b ?? {};
  const keys = new Set([...Object.keys(a), ...Object.keys(bb)].filter((k) => a[k] !== undefined || bb[k] !== undefined));
  return [...keys].every((k) => Object.is(a[k], bb[k]));
}

/** `{ threads: 2 }` for a message; objects (a GPU, a device) by their kind. */
function describe(options: Record<string, unknown> | undefined): string {
  if (options === undefined) return 'no options';
  const parts = Object.entries(options).map(([k, v]) => `${k}: ${v !== null && typeof v === 'object' ? `[${v.constructor?.name ?? 'object'}]` : typeof v === 'string' ? `'${v}'` : String(v)}`);
  return `{ ${parts.join(', ')} }`;
}

/**
 * Resolves when the backend being set up by {@link setBackend} (if any) is ready.
 *
 * @example
 * ```ts
 * await torch.ready();   // waits for the current backend to finish loading
 * ```
 */
export async function ready(): Promise<void> {
  if (pending) await pending;
}

/**
 * The current backend. Throws a message saying what to do when none is set.
 *
 * @example
 * ```ts
 * const backend = torch.getBackend();
 * console.log(backend.name);   // 'wasm'
 * ```
 */
export function getBackend(): Backend {
  if (current) return current;
  throw new Error(
    pending
      ? "torchlet: the backend is still initialising; `await torch.ready()` (or the promise from setBackend) before creating tensors."
      : "torchlet: no backend is set. Call `await torch.setBackend('wasm')` (or 'webgpu') before creating tensors.",
  );
}

/**
 * The current backend's name, or null before {@link setBackend}.
 *
 * @example
 * ```ts
 * console.log(torch.getBackendName());   // 'wasm', or null before setBackend
 * ```
 */
export function getBackendName(): string | null {
  return current ? current.name : null;
}

/**
 * Forgets a backend instance (after a device loss, say) and destroys it; the next
 * `setBackend(name)` creates a fresh one. Tensors on the old instance lose their buffers: using
 * one throws, and `memory()` stops counting their buffers and bytes at once (their tensor objects
 * stay in `memory().tensors` until disposed or collected).
 *
 * @example
 * ```ts
 * // not run: drops the cached 'webgpu' instance so that the next setBackend('webgpu') creates a new one
 * import * as torch from 'torchlet';
 * torch.removeBackendInstance('webgpu');
 * ```
 */
export function removeBackendInstance(name: string): void {
  const b = instances.get(name);
  if (!b) return;
  instances.delete(name);
  createdWith.delete(name);
  if (current === b) current = null;
  orphanStorages(b);
  b.destroy?.();
}

/** @internal Live backend instances by name (for memory()). */
export function listInstances(): ReadonlyMap<string, Backend> {
  return instances;
}
