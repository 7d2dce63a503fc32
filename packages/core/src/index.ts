export * from './dtype.ts';
export * from './backend.ts';
export * from './registry.ts';
export * from './philox.ts';
