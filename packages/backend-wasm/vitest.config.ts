import { packageProject } from '../../vitest.alias.ts';

// Builds src/kernels-*.generated.ts from assembly/ when one is missing (a fresh clone).
export default packageProject('backend-wasm', { globalSetup: ['./test/global-setup.ts'] });
