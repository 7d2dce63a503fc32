export * from './cases.ts';
export * from './decode.ts';
export * from './compare.ts';
export * from './run-case.ts';
export * from './strip.ts';
export * from './suite.ts';
export * from './literal-loop.ts';
