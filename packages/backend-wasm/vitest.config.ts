import { packageProject } from '../../vitest.alias.ts';

// Its global setup (packageProject's) recompiles src/kernels-*.generated.ts when they are stale.
export default packageProject('backend-wasm');
