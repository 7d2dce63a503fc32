/** The op table's NaN/Infinity/edge-value table on the wasm backend (see op-table-special.ts). */
import '@torchlet/backend-wasm';
import { defineOpTableSpecialSuite } from './op-table-special.ts';

// The kernels compute in float64 and round once, so results sit within an ulp or two of PyTorch's.
defineOpTableSpecialSuite('wasm', { rtol: 1e-6, atol: 1e-30 });
