import { existsSync } from 'node:fs';
import { defineProject } from 'vitest/config';
import { workspaceAlias, xdgRuntimeEnv } from '../../vitest.alias.ts';

// No GPU on CI: Dawn (npm 'webgpu') runs on SwiftShader's Vulkan driver, which Debian's chromium ships.
const SWIFTSHADER = '/usr/lib/chromium/vk_swiftshader_icd.json';
const env: Record<string, string> = {
  ...(process.env.VK_ICD_FILENAMES === undefined && existsSync(SWIFTSHADER) ? { VK_ICD_FILENAMES: SWIFTSHADER } : {}),
  ...xdgRuntimeEnv(),
};

export default defineProject({
  resolve: { alias: workspaceAlias },
  test: {
    name: 'backend-webgpu',
    include: ['test/**/*.test.ts'],
    env,
    // Software adapters compile shaders slowly.
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
