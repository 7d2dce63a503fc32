import { defineProject, type UserWorkspaceConfig } from 'vitest/config';
import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * Dawn (npm `webgpu`) and Chromium look for a Wayland socket under XDG_RUNTIME_DIR and print
 * "XDG_RUNTIME_DIR is invalid or not set" once per device when there is none (CI, containers):
 * an empty private folder under .tmp silences that without changing anything else. The WebGPU
 * test configs pass it to their workers (`test.env`).
 */
export function xdgRuntimeEnv(): Record<string, string> {
  const current = process.env.XDG_RUNTIME_DIR;
  if (current && existsSync(current)) return {};
  const dir = fileURLToPath(new URL('./.tmp/xdg-runtime', import.meta.url));
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  return { XDG_RUNTIME_DIR: dir };
}

/**
 * Tests run against the packages' sources, not their built dist/, so a test never sees a stale
 * build and every package shares one instance of core (one backend registry).
 */
const src = (pkg: string): string => fileURLToPath(new URL(`./packages/${pkg}/src/index.ts`, import.meta.url));

export const workspaceAlias: Record<string, string> = {
  '@torchlet/core': src('core'),
  '@torchlet/backend-wasm': src('backend-wasm'),
  '@torchlet/backend-webgpu': src('backend-webgpu'),
  '@torchlet/nn': src('nn'),
  '@torchlet/autograd': src('autograd'),
  '@torchlet/optim': src('optim'),
  '@torchlet/transformer': src('transformer'),
  // The subpath first: an alias also matches '<key>/...', so '@torchlet/datasets' would swallow it.
  '@torchlet/datasets/mnist-embedded': fileURLToPath(new URL('./packages/datasets/src/mnist-embedded.ts', import.meta.url)),
  '@torchlet/datasets': src('datasets'),
  torchlet: src('torchlet'),
};

/**
 * The global setup that recompiles backend-wasm's committed kernels when they are older than
 * their sources (assembly/, core's op table): every project that runs wasm kernels names it.
 */
export const kernelsGlobalSetup = fileURLToPath(new URL('./packages/backend-wasm/test/global-setup.ts', import.meta.url));

/**
 * A package's vitest project: its tests in test/, the workspace aliases, and a generous per-test
 * timeout (the root config's does not reach projects; CI machines are shared and slow, and no
 * test asserts on time). `test` adds or overrides options.
 */
export function packageProject(name: string, test: Record<string, unknown> = {}): UserWorkspaceConfig {
  return defineProject({
    resolve: { alias: workspaceAlias },
    test: { name, include: ['test/**/*.test.ts'], testTimeout: 60_000, globalSetup: [kernelsGlobalSetup], ...test },
  });
}
