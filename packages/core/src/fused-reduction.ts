/**
 * Fused reductions: an element-wise prologue, a reduction over some axes, and an element-wise
 * epilogue on the reduced result, run as one kernel (`backend.fused.reduction`).
 *
 * `torch.compile` builds a {@link ReductionProgram} where a reduction's input is computed by an
 * element-wise chain that nothing else needs in memory (the squared difference a variance sums,
 * the `exp(x - max)` a softmax sums, the masked gradient a bias gradient sums) and where its
 * result is consumed by an element-wise chain on the reduced shape (the `1 / n` of a mean, the
 * `rsqrt(var + eps)` of a LayerNorm, the `log` of a logsumexp). A backend without the kernel
 * runs the parts one after another ({@link runReductionComposite}), which is also the meaning
 * every kernel must reproduce: each prologue and epilogue instruction rounds as the eager kernel
 * does (fused-program.ts), and the reduction itself is the backend's own `reduce` of the
 * prologue's float32 values, so a kernel that accumulates in the order and precision of that
 * backend's `reduce` (wasm: float64, in the order backend-wasm's reduce walks) gives its bits.
 */
import type { Backend, View } from './backend.ts';
import type { ElementwiseProgram } from './fused-program.ts';
import { evalProgramRef, runProgramComposite } from './fused-program.ts';
import { contiguousStrides, numel } from './shape.ts';

/** The reductions a {@link ReductionProgram} may run, on float32 values. */
export type ProgramReduceOp = 'sum' | 'max' | 'min' | 'prod';

/**
 * A fused reduction: `prologue` on the input shape, `op` over `axes`, `epilogue` on the result.
 *
 * - `prologue` runs per element of the input shape `x` on the views `inputs` (shaped like `x`, any
 *   strides); its output 0 is the float32 value reduced, its outputs 1.. are stored to
 *   `extraOutputs` (shaped like `x`, contiguous: values a later op also needs, such as `x - max`).
 * - the reduction folds output 0 over `axes` (sorted, distinct, non-empty) into the result shape:
 *   `x`'s shape with those axes set to 1.
 * - `epilogue` (or null: the reduced value is the one output) runs per element of the result:
 *   its input 0 is the reduced value, its inputs 1.. are `epilogueInputs` (shaped like the result,
 *   any strides), and its outputs are stored to `outputs` (shaped like the result, contiguous).
 */
export interface ReductionProgram {
  /** Per input element: output 0 is reduced, outputs 1.. are stored shaped like the input. */
  readonly prologue: ElementwiseProgram;
  /** The reduction. */
  readonly op: ProgramReduceOp;
  /** The reduced axes of the input shape, sorted and distinct. */
  readonly axes: readonly number[];
  /** Per result element, from the reduced value (input 0) and `epilogueInputs`; null stores the reduced value. */
  readonly epilogue: ElementwiseProgram | null;
  /** Equal programs, equal keys: the cache key of generated code. */
  readonly key: string;
}

const REDUCE_OPS = new Set<string>(['sum', 'max', 'min', 'prod']);

/**
 * Builds a checked {@link ReductionProgram}: the prologue's output 0 and the epilogue's input 0
 * are float32, `op` is a float reduction, `axes` are sorted and distinct. Throws a TypeError
 * naming what is wrong.
 *
 * @example
 * ```ts
 * // The sum of squares of each row (a variance's numerator), then its square root.
 * const sq = torch.checkProgram(['float32'], [{ kind: 'binary', op: 'mul', a: 0, b: 0 }], [1]);
 * const root = torch.checkProgram(['float32'], [{ kind: 'unary', op: 'sqrt', x: 0 }], [1]);
 * const norm = torch.checkReduction(sq, 'sum', [1], root);
 * console.log(norm.op, norm.axes);   // 'sum' [1]
 * ```
 */
export function checkReduction(prologue: ElementwiseProgram, op: ProgramReduceOp, axes: readonly number[], epilogue: ElementwiseProgram | null): ReductionProgram {
  if (!REDUCE_OPS.has(op)) throw new TypeError(`fused reduction: op must be one of sum, max, min, prod, got ${String(op)}`);
  if (!prologue || !Array.isArray(prologue.outputs) || prologue.dtypes[prologue.outputs[0]!] !== 'float32') {
    throw new TypeError('fused reduction: the prologue\'s output 0 (the value reduced) must be a float32 register');
  }
  if (!Array.isArray(axes) || axes.length === 0 || axes.some((a, i) => !Number.isInteger(a) || a < 0 || (i > 0 && a <= axes[i - 1]!))) {
    throw new TypeError(`fused reduction: axes must be sorted, distinct, non-negative integers, got [${String(axes)}]`);
  }
  if (epilogue !== null && epilogue.inputs[0] !== 'float32') throw new TypeError('fused reduction: the epilogue\'s input 0 (the reduced value) must be float32');
  const key = `${prologue.key}#${op}:${axes.join(',')}#${epilogue?.key ?? ''}`;
  return { prologue, op, axes: [...axes], epilogue, key };
}

/** The result shape of reducing `shape` over `axes` (kept as 1). */
export function reducedShape(shape: readonly number[], axes: readonly number[]): number[] {
  return shape.map((d, i) => (axes.includes(i) ? 1 : d));
}

/** What {@link evalReductionRef} returns. */
export interface ReductionRefResult {
  /** The prologue's outputs 1.., each a row-major array of the input shape. */
  readonly extraOutputs: number[][];
  /** The outputs (the epilogue's, or the reduced values), each a row-major array of the result shape. */
  readonly outputs: number[][];
}

/**
 * Runs a reduction program on plain numbers: `inputs[k]` holds prologue input `k` as a contiguous
 * array of the input shape `shape` (row-major), `epilogueInputs[k]` epilogue input `k + 1` as a
 * contiguous array of the result shape. Returns the extra prologue outputs (input-shaped) and the
 * outputs (result-shaped). Sums accumulate in float64 in row-major order and round once; a backend
 * accumulating in another order may differ in the last bits of a sum (its `reduce` does too).
 *
 * @example
 * ```ts
 * const sq = torch.checkProgram(['float32'], [{ kind: 'binary', op: 'mul', a: 0, b: 0 }], [1]);
 * const r = torch.checkReduction(sq, 'sum', [1], null);
 * console.log(torch.evalReductionRef(r, [2, 2], [[1, 2, 3, 4]], []).outputs);   // [[5, 25]]
 * ```
 */
export function evalReductionRef(
  program: ReductionProgram, shape: readonly number[], inputs: ReadonlyArray<ArrayLike<number>>, epilogueInputs: ReadonlyArray<ArrayLike<number>>,
): ReductionRefResult {
  const n = numel(shape);
  const out = reducedShape(shape, program.axes);
  const m = numel(out);
  const xs = contiguousStrides(shape), os = contiguousStrides(out);
  const pro = program.prologue;
  const extraOutputs = pro.outputs.slice(1).map(() => new Array<number>(n).fill(0));
  const acc = new Array<number>(m).fill(program.op === 'sum' ? 0 : program.op === 'prod' ? 1 : NaN);
  const seen = new Array<boolean>(m).fill(false);
  for (let i = 0; i < n; i++) {
    const r = evalProgramRef(pro, inputs.map((a) => a[i]!));
    for (let k = 1; k < r.length; k++) extraOutputs[k - 1]![i] = r[k]!;
    let o = 0;
    for (let d = 0; d < shape.length; d++) {
      const idx = Math.floor(i / xs[d]!) % shape[d]!;
      if (!program.axes.includes(d)) o += idx * os[d]!;
    }
    const v = r[0]!;
    if (program.op === 'sum') acc[o]! += v;
    else if (program.op === 'prod') acc[o]! *= v;
    else if (!seen[o] || Number.isNaN(v)) acc[o] = v;
    else if (!Number.isNaN(acc[o]!)) acc[o] = program.op === 'max' ? Math.max(acc[o]!, v) : Math.min(acc[o]!, v);
    seen[o] = true;
  }
  const reduced = acc.map((v) => Math.fround(v));
  const epi = program.epilogue;
  if (epi === null) return { extraOutputs, outputs: [reduced] };
  const outputs = epi.outputs.map(() => new Array<number>(m).fill(0));
  for (let o = 0; o < m; o++) {
    const r = evalProgramRef(epi, [reduced[o]!, ...epilogueInputs.map((a) => a[o]!)]);
    r.forEach((v, k) => (outputs[k]![o] = v));
  }
  return { extraOutputs, outputs };
}

/**
 * The default of `FusedKernels.reduction`: the prologue as a fused element-wise program (the
 * backend's `fused.elementwise`, else op by op) into a temporary, the backend's `reduce`, then the
 * epilogue likewise; temporaries are allocated and freed here. Same operands as the kernel.
 *
 * @example
 * ```ts
 * // For backend authors and tests: a row's sum of squares on any backend.
 * const b = torch.getBackend();
 * const sq = torch.checkProgram(['float32'], [{ kind: 'binary', op: 'mul', a: 0, b: 0 }], [1]);
 * const r = torch.checkReduction(sq, 'sum', [1], null);
 * const x = torch.tensor([[1, 2], [3, 4]]), y = torch.empty([2, 1]);
 * torch.runReductionComposite(b, r, [x.view_()], [], [], [y.view_()]);
 * console.log(await y.tolist());   // [[5], [25]]
 * ```
 */
export function runReductionComposite(
  backend: Backend, program: ReductionProgram, inputs: readonly View[], extraOutputs: readonly View[], epilogueInputs: readonly View[], outputs: readonly View[],
): void {
  const pro = program.prologue, epi = program.epilogue;
  if (inputs.length !== pro.inputs.length || extraOutputs.length !== pro.outputs.length - 1) {
    throw new TypeError(`fused reduction: the prologue takes ${pro.inputs.length} inputs and stores ${pro.outputs.length - 1} extra outputs, got ${inputs.length} and ${extraOutputs.length}`);
  }
  if (epi ? epilogueInputs.length !== epi.inputs.length - 1 || outputs.length !== epi.outputs.length : epilogueInputs.length !== 0 || outputs.length !== 1) {
    throw new TypeError(`fused reduction: the epilogue takes ${epi ? epi.inputs.length - 1 : 0} inputs and stores ${epi ? epi.outputs.length : 1} outputs, got ${epilogueInputs.length} and ${outputs.length}`);
  }
  const shape = inputs[0]?.shape ?? extraOutputs[0]?.shape;
  if (!shape) throw new TypeError('fused reduction: the prologue needs at least one input');
  const outShape = reducedShape(shape, program.axes);
  const temps: number[] = [];
  const temp = (s: readonly number[]): View => {
    const buffer = backend.alloc(Math.max(4, numel(s) * 4));
    temps.push(buffer);
    return { buffer, dtype: 'float32', shape: s, strides: contiguousStrides(s), offset: 0 };
  };
  const elementwise = (p: ElementwiseProgram, ins: readonly View[], outs: readonly View[]): void => {
    if (backend.fused?.elementwise) backend.fused.elementwise(p, ins, outs);
    else runProgramComposite(backend, p, ins, outs);
  };
  try {
    const value = temp(shape);
    if (numel(shape) > 0) elementwise(pro, inputs, [value, ...extraOutputs]);
    const reduced = epi ? temp(outShape) : outputs[0]!;
    backend.reduce(program.op, value, program.axes, reduced);
    if (epi && numel(outShape) > 0) elementwise(epi, [reduced, ...epilogueInputs], outputs);
  } finally {
    for (const b of temps) backend.free(b);
  }
}
