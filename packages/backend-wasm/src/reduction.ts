// The checks of a fused reduction's operands (core's fused-reduction.ts) before the generated
// kernel (jit-reduce.ts) runs them: the kernel writes memory directly, so every view must be what
// the program says and inside its buffer. What only the composite does (runReductionComposite:
// operands that overlap a view written, an empty shape, a program with fields this kernel does
// not know, such as a later extension of the contract) is left to it.
import { isContiguous, numel, type ReductionProgram, type View } from '@torchlet/core';
import { compileProgram, extent } from './program.ts';

const bad = (message: string): TypeError => new TypeError(`wasm backend: fused reduction: ${message}`);
const BYTES: Record<string, number> = { float32: 4, bool: 1 };
/** The fields of the contract this kernel implements; a program with others runs the composite. */
const KNOWN = new Set(['prologue', 'op', 'axes', 'epilogue', 'key']);
const OPS = new Set(['sum', 'max', 'min', 'prod']);

function isView(v: unknown): v is View {
  const x = v as View;
  return x !== null && typeof x === 'object' && Array.isArray(x.shape) && Array.isArray(x.strides) && x.shape.length === x.strides.length &&
    x.shape.every((s: number) => Number.isInteger(s) && s >= 0) && x.strides.every((s: number) => Number.isInteger(s)) &&
    Number.isInteger(x.offset) && x.offset >= 0 && Number.isInteger(x.buffer);
}

/**
 * Checks the operands of `program` (a TypeError names what is wrong) and returns whether the
 * generated kernel may run them (false: run the composite, which gives the meaning and its own
 * errors). `bufferBytes` gives a buffer's size and throws for an unknown one.
 */
export function checkReductionViews(
  program: ReductionProgram, inputs: readonly View[], extraOutputs: readonly View[], epilogueInputs: readonly View[], outputs: readonly View[],
  bufferBytes: (buffer: number) => number,
): boolean {
  if (program === null || typeof program !== 'object' || !OPS.has(program.op) || !Array.isArray(program.axes)) {
    throw bad('expected a ReductionProgram (from torch.checkReduction)');
  }
  if (Object.keys(program).some((k) => !KNOWN.has(k) && (program as unknown as Record<string, unknown>)[k] !== undefined)) return false;
  const pro = compileProgram(program.prologue).program;
  const epi = program.epilogue === null ? null : compileProgram(program.epilogue).program;
  const groups: ReadonlyArray<readonly View[]> = [inputs, extraOutputs, epilogueInputs, outputs];
  if (!groups.every((g) => Array.isArray(g))) throw bad('inputs, extraOutputs, epilogueInputs and outputs must be arrays of views');
  if (inputs.length === 0) return false;
  if (inputs.length !== pro.inputs.length || extraOutputs.length !== pro.outputs.length - 1) {
    throw bad(`the prologue takes ${pro.inputs.length} inputs and stores ${pro.outputs.length - 1} extra outputs, got ${inputs.length} and ${extraOutputs.length}`);
  }
  if (epi ? epilogueInputs.length !== epi.inputs.length - 1 || outputs.length !== epi.outputs.length : epilogueInputs.length !== 0 || outputs.length !== 1) {
    throw bad(`the epilogue takes ${epi ? epi.inputs.length - 1 : 0} inputs and stores ${epi ? epi.outputs.length : 1} outputs, got ${epilogueInputs.length} and ${outputs.length}`);
  }
  const names = ['input', 'extra output', 'epilogue input', 'output'];
  for (const [g, list] of groups.entries()) {
    for (const [i, v] of list.entries()) if (!isView(v)) throw bad(`${names[g]} ${i} is not a view (buffer, dtype, shape, strides of the same length, offset)`);
  }
  const x = inputs[0]!.shape;
  if (program.axes.some((a) => !Number.isInteger(a) || a < 0 || a >= x.length)) throw bad(`axes [${program.axes.join(', ')}] do not fit the input's rank ${x.length}`);
  const r = x.map((d, i) => (program.axes.includes(i) ? 1 : d));
  const want = [
    pro.inputs, pro.outputs.slice(1).map((rg) => pro.dtypes[rg]!),
    epi ? epi.inputs.slice(1) : [], epi ? epi.outputs.map((rg) => epi.dtypes[rg]!) : ['float32'],
  ];
  for (const [g, list] of groups.entries()) {
    const shape = g < 2 ? x : r;
    for (const [i, v] of list.entries()) {
      const what = `${names[g]} ${i}`;
      if (v.dtype !== want[g]![i]) throw bad(`${what} must be ${want[g]![i]} (its register's dtype), got ${v.dtype}`);
      if (v.shape.length !== shape.length || v.shape.some((s: number, d: number) => s !== shape[d])) {
        throw bad(`${what} has shape [${v.shape.join(', ')}], expected [${shape.join(', ')}] (${g < 2 ? 'the input shape' : 'the result shape'})`);
      }
      if ((g === 1 || g === 3) && !isContiguous(v.shape, v.strides)) throw bad(`${what} must be contiguous`);
    }
  }
  if (numel(x) === 0) return false;
  const ranges = groups.flatMap((list, g) => list.map((v, i) => {
    const [lo, hi] = extent(v);
    const size = bufferBytes(v.buffer), bytes = BYTES[v.dtype]!;
    if (hi * bytes + bytes > size) throw bad(`${names[g]} ${i} (shape [${v.shape.join(', ')}], strides [${v.strides.join(', ')}], offset ${v.offset}) reaches outside its ${size}-byte buffer`);
    return { lo: v.buffer + lo * bytes, hi: v.buffer + (hi + 1) * bytes, written: g === 1 || g === 3 };
  }));
  // A written view that overlaps another: the composite's order of passes is the meaning.
  for (const [a, ra] of ranges.entries()) {
    if (!ra.written) continue;
    for (const [b, rb] of ranges.entries()) if (a !== b && ra.lo < rb.hi && rb.lo < ra.hi) return false;
  }
  return true;
}
