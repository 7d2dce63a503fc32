/** torch.compile against eager on wasm (compile-suite.ts): modules cases and two training loops, bit for bit. */
import '@torchlet/backend-wasm';
import { defineCompiledSuite } from './compile-suite.ts';

await defineCompiledSuite('wasm', true);
