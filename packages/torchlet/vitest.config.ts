import { defineProject } from 'vitest/config';

export default defineProject({ test: { name: 'torchlet', include: ['test/**/*.test.ts'] } });
