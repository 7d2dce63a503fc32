// The entry point of the module each pool thread instantiates on the main module's shared
// memory: only the kernels that run one part of a job, with every buffer passed in. It must
// have no data segments, since instantiating a module with active segments would rewrite them
// over the main module's live data (the allocator's free lists, the scratch area); the build
// script checks this.
export { matmulPart } from './matmul';
export { attentionPart, attentionBackwardPart } from './attention';
