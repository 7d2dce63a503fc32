// The kernels' entry point: everything the glue calls.
export { alloc, free, heapBytes } from './alloc';
export { scratch } from './iter';
export { unaryF32, unaryI32, logicalNot } from './unary';
export { binaryF32, binaryI32, binaryBool } from './binary';
export { where } from './where';
export { reduce } from './reduce';
export { matmul, attention, attentionBackward } from './whole';
export { matmulPart, matmulScratchBytes } from './matmul';
export { copy } from './copy';
export { fill } from './fill';
export { gather, scatterAdd } from './gather';
export { random, philoxBlock } from './random';
export { adamStep, sgdStep } from './optim';
export { attentionPart, attentionBackwardPart, attentionScratchBytes } from './attention';
export { int8Linear } from './quant';
export { elementwise, programBlock, unaryElementF32, binaryElementF32 } from './program';
