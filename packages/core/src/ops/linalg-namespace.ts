/** `torch.linalg`: the norms (the SVD-based functions are not provided). */
export { vectorNorm, matrixNorm, norm, type VectorNormOptions, type MatrixNormOptions } from './norm.ts';
