/** torch.compile against eager on wasm (compile-suite.ts, src/compiled.ts): every check bit for bit. */
import '@torchlet/backend-wasm';
import { defineCompiledSuite } from './compile-suite.ts';

await defineCompiledSuite('wasm', true);
