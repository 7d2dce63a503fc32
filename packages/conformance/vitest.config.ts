import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'conformance',
    include: ['test/**/*.test.ts'],
    // Some cases (large matmuls, whole modules) take a while on a slow CPU.
    testTimeout: 60_000,
  },
});
