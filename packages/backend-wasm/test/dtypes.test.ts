/** The shared dtype suite (core/test/dtype-suite.ts) on the wasm backend. */
import '@torchlet/autograd';
import { beforeAll, expect } from 'vitest';
import * as torch from '@torchlet/core';
import '../src/index.ts';
import { defineDtypeSuite } from '../../core/test/dtype-suite.ts';

beforeAll(async () => {
  await torch.setBackend('wasm');
  expect(torch.getBackend().name).toBe('wasm');
});

defineDtypeSuite();
