// The entry point of the module each pool thread instantiates on the main module's shared
// memory: only the kernels that run one part of a job, with every buffer passed in. Its static
// data (the math library's tables) lies below the address where the threaded main module's data
// starts (scripts/build-wasm.mjs, WORKER_DATA_END), since instantiating a module writes its data
// segments into the shared memory; the build script checks this. It must reach no static data
// that it writes to (memory.data buffers): every thread would share one.
export { matmulPart } from './matmul';
export { attentionPart, attentionBackwardPart } from './attention';
export { elementwise, unaryElementF32, binaryElementF32 } from './program';
