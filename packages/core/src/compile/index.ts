export { compile, type CompileOptions, type CompileStats, type CompiledFunction } from './compile.ts';
export type { PlanCounts } from './replay.ts';
export { GraphBreak } from './trace.ts';
export { traceHost, traceUntraced, traceGuard, gradAssigned, invalidateTraces, isTracing } from './hooks.ts';
