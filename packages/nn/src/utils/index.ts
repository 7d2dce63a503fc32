/** `nn.utils`: pruning (`utils.prune`). */
export * as prune from './prune.ts';
