/** `torch.linalg`: the norms and cross (the SVD-based functions are not provided). */
export { vectorNorm, matrixNorm, norm, type VectorNormOptions, type MatrixNormOptions, type VectorOrd, type MatrixOrd } from './norm.ts';
export { linalgCross as cross } from './products.ts';
