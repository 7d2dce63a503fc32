/**
 * Fused matmuls: a matrix product and an element-wise epilogue on its result (a Linear's bias add
 * and its activation), run as one kernel (`backend.fused.matmulEpilogue`).
 *
 * `torch.compile` builds one where a product's result is read only by the element-wise chain just
 * after it (fused-program.ts): the epilogue is that chain as an {@link ElementwiseProgram} whose
 * input 0 is the product's element. A kernel may then apply it to each block of the product as
 * soon as the block is final, while it is in cache, and the product itself is never stored on its
 * own. A backend without the kernel runs the parts one after another
 * ({@link runMatmulComposite}), which is also the meaning every kernel must reproduce: the
 * backend's own `matmul`, then the program, each instruction rounding as the eager kernel does.
 */
import type { Backend, View } from './backend.ts';
import type { ElementwiseProgram } from './fused-program.ts';
import { runProgramComposite } from './fused-program.ts';
import { contiguousStrides, numel } from './shape.ts';

/**
 * Checks that `program` can be a matmul's epilogue: its input 0 (the product's element) is a
 * float32 register. Returns the program; throws a TypeError naming what is wrong.
 *
 * @example
 * ```ts
 * // A Linear's bias add and ReLU: input 0 the product, input 1 the bias (broadcast along rows).
 * const epi = torch.checkMatmulEpilogue(torch.checkProgram(['float32', 'float32'], [
 *   { kind: 'binary', op: 'add', a: 0, b: 1 },
 *   { kind: 'unary', op: 'relu', x: 2 },
 * ], [3]));
 * console.log(epi.instrs.length);   // 2
 * ```
 */
export function checkMatmulEpilogue(program: ElementwiseProgram): ElementwiseProgram {
  if (program === null || typeof program !== 'object' || !Array.isArray(program.inputs) || !Array.isArray(program.instrs)) {
    throw new TypeError('fused matmul: the epilogue must be an ElementwiseProgram (from torch.checkProgram)');
  }
  if (program.inputs[0] !== 'float32') throw new TypeError(`fused matmul: the epilogue's input 0 (the product) must be float32, got ${String(program.inputs[0])}`);
  return program;
}

/**
 * The default of `FusedKernels.matmulEpilogue`: the backend's `matmul` of `a` and `b` into a
 * temporary shaped like the outputs, then `epilogue` on it (input 0) and `epilogueInputs` (inputs
 * 1..), stored to `outputs` (the backend's `fused.elementwise`, else op by op); the temporary is
 * allocated and freed here. Same operands as the kernel.
 *
 * @example
 * ```ts
 * // For backend authors and tests: x W^T + b, then ReLU, on any backend.
 * const b = torch.getBackend();
 * const epi = torch.checkProgram(['float32', 'float32'], [{ kind: 'binary', op: 'add', a: 0, b: 1 }, { kind: 'unary', op: 'relu', x: 2 }], [3]);
 * const x = torch.tensor([[1, 2]]), w = torch.tensor([[1, 0], [0, -1]]), bias = torch.tensor([0.5, 0.5]);
 * const y = torch.empty([1, 2]);
 * torch.runMatmulComposite(b, epi, x.view_(), w.t().view_(), [bias.expand([1, 2]).view_()], [y.view_()]);
 * console.log(await y.tolist());   // [[1.5, 0]]
 * ```
 */
export function runMatmulComposite(backend: Backend, epilogue: ElementwiseProgram, a: View, b: View, epilogueInputs: readonly View[], outputs: readonly View[]): void {
  checkMatmulEpilogue(epilogue);
  if (epilogueInputs.length !== epilogue.inputs.length - 1 || outputs.length !== epilogue.outputs.length) {
    throw new TypeError(`fused matmul: the epilogue takes ${epilogue.inputs.length - 1} inputs and stores ${epilogue.outputs.length} outputs, got ${epilogueInputs.length} and ${outputs.length}`);
  }
  const shape = outputs[0]!.shape;
  const buffer = backend.alloc(Math.max(4, numel(shape) * 4));
  try {
    const product: View = { buffer, dtype: 'float32', shape, strides: contiguousStrides(shape), offset: 0 };
    backend.matmul(a, b, product);
    if (numel(shape) === 0) return;
    if (backend.fused?.elementwise) backend.fused.elementwise(epilogue, [product, ...epilogueInputs], outputs);
    else runProgramComposite(backend, epilogue, [product, ...epilogueInputs], outputs);
  } finally {
    backend.free(buffer);
  }
}
