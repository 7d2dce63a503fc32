export * from './dtype.ts';
export * from './dtype-names.ts';
export { encodeHalf, decodeHalf } from './half.ts';
export * from './backend.ts';
export { checkProgram, evalProgramRef, runProgramComposite, type ElementwiseProgram, type ProgramCall, type ProgramInstr, type ProgramDType, type UnaryInstr, type BinaryInstr, type WhereInstr, type ConstInstr } from './fused-program.ts';
export { checkReduction, evalReductionRef, runReductionComposite, type ReductionProgram, type ProgramReduceOp, type ReductionRefResult } from './fused-reduction.ts';
export { checkMatmulEpilogue, runMatmulComposite } from './fused-matmul.ts';
export * from './registry.ts';
export {
  UNARY_TABLE, BINARY_TABLE, KIND_DTYPES, type UnaryKind, type BinaryKind, type UnaryRef, type BinaryRef, type OpTableEntry, unaryCode, binaryCode, unaryRef, binaryRef, opKind, kernelDtypes, wgslExpr,
  type OpKind, type WgslElem, type FloatUnaryOp,
} from './op-table.ts';
export * from './philox.ts';
export { ReadPromise } from './read-promise.ts';
export {
  parseArgs, checkOptions, closest, isOptions, reduceArgs, sizeArgs, argInt, argNumber, argBool, argEnum, argDims, checkFits, dimArg,
  type DimArg, type DimOption, type DimOnly, type PosArgs, type SizeArgs,
} from './args.ts';
export { Tensor, isTensor, type TensorLike, type NestedArray, type ReduceOptions, type GradFn } from './tensor.ts';
export {
  noGrad, enableGrad, isGradEnabled, setGradEnabled, setAutogradHook, tapGradient,
  type AutogradHook, type GradientTap, type BackwardOptions, type Primitive, type PrimitiveAttrs,
  type AxesAttrs, type CastAttrs, type ShapeAttrs, type PermuteAttrs, type FlipAttrs, type SliceAttrs,
  type UnfoldAttrs, type DimAttrs, type ScatterAddAttrs, type AttentionAttrs,
} from './grad-hook.ts';
export { memory, tidy, keep, type MemoryInfo, type BackendMemoryInfo } from './memory.ts';
export { setStepScopes, stepBoundary, leaveStep, adoptIntoStep, keepFieldsAcrossSteps, type StepScopeInfo, type StepScope } from './step-scope.ts';
export { manualSeed, initialSeed, seedRandomly, getRngState, setRngState, type RngState } from './random.ts';
export { broadcastShapes, contiguousStrides, isContiguous, coalesce, numel, type Shape, type Layout } from './shape.ts';
export * from './ops/creation.ts';
export {
  neg, abs, sign, exp, log, sqrt, rsqrt, sin, cos, tanh, sigmoid, erf, log1p, expm1, reciprocal,
  floor, ceil, round, square, logicalNot, add, sub, mul, div, remainder, maximum, minimum, pow, clamp,
  eq, ne, lt, le, gt, ge, logicalAnd, logicalOr, logicalXor, resultType, type ClampArgs, type ClampOptions,
} from './ops/elementwise.ts';
export { type DivOptions } from './ops/elementwise.ts';
// Every function of ops/math.ts is public: a new op's function needs no line here.
export * from './ops/math.ts';
export { trunc as fix } from './ops/math.ts';
export { relu, gelu, silu, leakyRelu, elu, softplus, type GeluOptions, type SoftplusOptions } from './ops/activation.ts';
export { sum, mean, prod, max, min, amax, amin, argmax, argmin, variance as var, std, logsumexp, all, any, type MaxResult, type NamedMaxResult, type VarOptions, type ReduceArgs, type ArgReduceArgs, type ArgReduceOptions, type KeepdimOption, type VarArgs, type OneDimArg, type OneDimOptions } from './ops/reduce.ts';
export {
  reshape, view, permute, transpose, t, unsqueeze, squeeze, expand, slice, narrow, select, flip, flatten, unflatten, unfold, clone, detach,
  type TransposeOptions, type NarrowOptions, type SelectOptions, type SqueezeOptions, type FlattenOptions, type UnflattenOptions,
} from './ops/view.ts';
export { cat, stack, split, chunk, unbind, repeat } from './ops/combine.ts';
export { where, maskedFill, gather, scatterAdd, scatterAdd_, indexSelect, tril, triu } from './ops/indexing.ts';
export { matmul, mm, bmm, linear } from './ops/linalg.ts';
export { sort, argsort, msort, topk, kthvalue, MAX_PAIRS, type SortResult, type SortOptions, type TopkOptions } from './ops/sort.ts';
export { cumsum, cumprod, logcumsumexp } from './ops/scan.ts';
export { norm, type NormOptions } from './ops/norm.ts';
export * as linalg from './ops/linalg-namespace.ts';
export {
  movedim, moveaxis, swapaxes, swapdims, reverseDims, matrixTranspose, narrowCopy, roll, rot90, tile, meshgrid,
  diagonal, diagEmbed, diag, trace, type MeshgridOptions, type DiagonalOptions,
} from './ops/arrange.ts';
export { outer, outer as ger, kron, cross, cdist, addmm, addbmm, baddbmm, type AddmmOptions } from './ops/products.ts';
export {
  scatter, scatterReduce, indexAdd, indexCopy, indexFill, take, takeAlongDim, maskedScatter,
  type ScatterOptions, type ScatterReduceOptions, type ScatterReduce,
} from './ops/scatter.ts';
export {
  nonzero, nonzeroAsync, argwhere, argwhereAsync, maskedSelect, maskedSelectAsync, unique, uniqueAsync,
  uniqueConsecutive, uniqueConsecutiveAsync, bincount, bincountAsync, repeatInterleave, repeatInterleaveAsync, histc,
  type NonzeroOptions, type UniqueOptions, type BincountOptions, type HistcOptions,
} from './ops/select.ts';
export { einsum } from './ops/einsum.ts';
export { clipGradNorm_, clipGradValue_, type ClipGradNormOptions } from './ops/clip-grad.ts';
export { at, atAsync, indexPut, indexPutAsync, indexPut_, type IndexEntry, type IndexPutOptions } from './ops/index-at.ts';
export { searchsorted, bucketize, trilIndices, triuIndices, logspace, type SearchsortedOptions } from './ops/search.ts';
export { isclose, allclose, allcloseAsync, equal, equalAsync, type CloseOptions, type CloseArgs } from './ops/compare.ts';
export { contiguous, untrackedView, markModifiedInPlace, readStorage } from './ops/util.ts';
export {
  softmax, logSoftmax, layerNorm, batchNorm, dropout, embedding, pad, conv1d, conv2d, maxPool2d, avgPool2d,
  adaptiveAvgPool2d, oneHot, cosineSimilarity,
  type LayerNormOptions, type BatchNormOptions, type DropoutOptions, type EmbeddingOptions, type ConvOptions,
  type MaxPool2dOptions, type AvgPool2dOptions, type CosineSimilarityOptions, type PadOptions,
} from './ops/nn.ts';
export { rmsNorm, type RMSNormOptions } from './ops/rms-norm.ts';
export { fusedAttention, fusedAttentionQkv, canFuseAttention, hasFusedAttention, attentionBackward, attentionQkvBackward, type FusedAttentionOptions } from './ops/attention.ts';
export {
  unsupportedError,
  checkMatmulViews,
  checkFusedViews,
  checkInt8LinearViews,
  type MatmulDims,
  type Int8LinearDims,
} from './backend-checks.ts';

export { compile, GraphBreak, traceHost, traceUntraced, traceGuard, gradAssigned, invalidateTraces, isTracing, type CompileOptions, type CompileStats, type CompiledFunction, type PlanCounts } from './compile/index.ts';
