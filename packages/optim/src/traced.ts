/**
 * The optimizer update inside a `torch.compile` plan. Eagerly, `step()` runs the update rules of
 * update.ts (or the backend's fused `adamStep`/`sgdStep`) per parameter; a traced `step()` of SGD,
 * Adam or AdamW instead records one fused element-wise program per parameter (core's
 * `ElementwiseProgram`, run by the backend's `fused.elementwise` kernel), so a replay updates the
 * parameters from its plan with no optimizer code running per parameter.
 *
 * What changes from step to step (the learning rate a scheduler sets, Adam's step count and bias
 * corrections, momentum or betas a OneCycleLR cycles) is not baked into the programs: each
 * program reads its scalars from a small buffer the optimizer keeps, broadcast over the
 * parameter, and a host step that every replay re-runs advances the step counts and writes the
 * new scalars into that buffer (one write per step). What the programs' shape depends on
 * (amsgrad, maximize, nesterov, whether a weight decay or a momentum is set, the state tensors
 * themselves) is checked before every replay by a guard; a change makes that call trace again.
 *
 * The programs are the wasm kernels' formulas (backend-wasm/assembly/optim.ts) instruction for
 * instruction, in float32 with the scalars rounded once, so a compiled step gives the bits the
 * eager step gives on wasm.
 */
import {
  checkProgram,
  keep,
  markModifiedInPlace,
  runProgramComposite,
  stepBoundary,
  traceGuard,
  traceHost,
  traceUntraced,
  zeros,
  type Backend,
  type BinaryInstr,
  type ElementwiseProgram,
  type ProgramInstr,
  type Tensor,
  type View,
} from '@torchlet/core';

/** One parameter's update as a traced step sees it. */
export interface TracedParam {
  /** The state tensors the program reads and writes in place, in the rule's order (contiguous float32). */
  readonly state: readonly Tensor[];
  /** What the program's instructions depend on; a different key needs a different program. */
  readonly key: string;
}

/**
 * How one optimizer's update is traced: the rule of {@link tracedStep}. `prepare` returns null
 * where a parameter cannot be traced now (its state does not exist yet, a tensor is not
 * contiguous): that step then runs as a host step, as untraced optimizers do.
 */
export interface TracedRule {
  /** Scalars per parameter in the shared buffer. */
  readonly slots: number;
  /** The parameter's traced form, or null when it cannot be traced now. */
  prepare(param: Tensor, groupIndex: number): TracedParam | null;
  /**
   * Advances the parameter's step count (where the rule has one) and writes its scalars, in
   * float64, into `out[at .. at + slots)` (the buffer rounds them to float32 once).
   */
  scalars(param: Tensor, groupIndex: number, out: Float32Array, at: number): void;
  /** The program for a parameter's key: inputs param, grad, the state tensors, then the scalars. */
  program(key: string): ElementwiseProgram;
}

const rules = new Map<object, (opt: object) => TracedRule>();

/**
 * Registers the traced rule of the optimizer class `ctor`: only instances of exactly that class use
 * it (a subclass may override the update), the others' steps stay host steps.
 */
export function registerTracedRule(ctor: object, make: (opt: object) => TracedRule): void {
  rules.set(ctor, make);
}

/** The traced rule of `opt`'s own class, or null. */
export function tracedRuleOf(opt: object): TracedRule | null {
  return rules.get(opt.constructor)?.(opt) ?? null;
}

/** The buffer of scalars an optimizer keeps for its traced steps. */
interface ScalarBuffer {
  readonly tensor: Tensor;
  readonly data: Float32Array;
}

const buffers = new WeakMap<object, ScalarBuffer>();

/** Frees the scalar buffer of `owner` (an optimizer), if it has one. */
export function disposeScalars(owner: object): void {
  buffers.get(owner)?.tensor.dispose();
  buffers.delete(owner);
}

function scalarBuffer(owner: object, backend: Backend, size: number): ScalarBuffer {
  const had = buffers.get(owner);
  if (had && !had.tensor.isDisposed && had.tensor.backend === backend && had.data.length === size) return had;
  had?.tensor.dispose();
  // Created outside the recording: the plan reads it as a tensor from before the call.
  const tensor = traceUntraced(() => keep(zeros([size], { backend })));
  const made = { tensor, data: new Float32Array(size) };
  buffers.set(owner, made);
  return made;
}

/** The tensor view of `t` for a program operand. */
const viewOf = (t: Tensor): View => t.view_();
const contiguousF32 = (t: Tensor): boolean => t.dtype === 'float32' && t.isContiguous();
const sameShape = (a: readonly number[], b: readonly number[]): boolean => a.length === b.length && a.every((d, i) => d === b[i]);

/**
 * Records one step of `groups`' parameters as fused programs (see the file comment). Returns false,
 * recording nothing, when some parameter with a gradient cannot be traced now; the caller then runs
 * the step as a host step. Call only while `torch.compile` traces.
 */
export function tracedStep(owner: object, name: string, groups: ReadonlyArray<{ params: readonly Tensor[] }>, rule: TracedRule): boolean {
  const items: Array<{ param: Tensor; grad: Tensor; t: TracedParam; group: number; index: number }> = [];
  let total = 0;
  let backend: Backend | null = null;
  for (const [gi, group] of groups.entries()) {
    for (const p of group.params) {
      const index = total++;
      const grad = p.grad;
      if (grad === null) continue;
      if (backend === null) backend = p.backend;
      if (p.backend !== backend || grad.backend !== backend || !contiguousF32(p) || grad.dtype !== 'float32' || !sameShape(grad.shape, p.shape)) return false;
      const t = rule.prepare(p, gi);
      if (t === null || !t.state.every((s) => s.backend === backend && contiguousF32(s) && sameShape(s.shape, p.shape))) return false;
      items.push({ param: p, grad, t, group: gi, index });
    }
  }
  if (backend === null) return false;
  const b = backend;
  const buf = scalarBuffer(owner, b, total * rule.slots);
  const scalarView = buf.tensor.view_();
  // Before every replay: the programs still fit the options and the state.
  traceGuard(() => {
    if (buffers.get(owner) !== buf || buf.tensor.isDisposed) return `${name}: its scalar buffer was replaced`;
    for (const it of items) {
      // The gradient comes from the plan; the options and the state must be as traced.
      const now = rule.prepare(it.param, it.group);
      if (now === null || now.key !== it.t.key || now.state.length !== it.t.state.length || now.state.some((s, i) => s !== it.t.state[i])) {
        return `${name}: an option the update depends on (amsgrad, maximize, nesterov, a zero or non-zero weight decay or momentum) or its state changed`;
      }
    }
    return null;
  });
  // Each replay: advance the step counts and write this step's scalars (one write); then the
  // step boundary of an eager step (optimizer.ts), here before the updates, which read nothing
  // it frees (the gradients and the optimizer's tensors are kept).
  traceHost(name, () => {
    for (const it of items) rule.scalars(it.param, it.group, buf.data, it.index * rule.slots);
    b.write(scalarView.buffer, buf.data, scalarView.offset * 4);
    // Autograd's version counters see the in-place update, as after an eager step.
    for (const it of items) markModifiedInPlace(it.param, ...it.t.state);
    stepBoundary(owner, name);
  });
  const kernel = b.fused?.elementwise;
  for (const it of items) {
    const { param, grad } = it;
    const { state, key } = it.t;
    const program = rule.program(key);
    const shape = param.shape, strides = shape.map(() => 0);
    const scalars: View[] = [];
    for (let s = 0; s < rule.slots; s++) scalars.push({ ...scalarView, shape, strides, offset: scalarView.offset + it.index * rule.slots + s });
    const inputs = [viewOf(param), viewOf(grad), ...state.map(viewOf), ...scalars];
    const outputs = [viewOf(param), ...state.map(viewOf)];
    if (kernel) kernel.call(b.fused, program, inputs, outputs);
    else runProgramComposite(b, program, inputs, outputs);
  }
  return true;
}

/**
 * A small builder of optimizer programs: registers 0 .. nInputs - 1 are the inputs, each helper
 * appends one float32 instruction and returns its register.
 */
export class ProgramBuilder {
  readonly instrs: ProgramInstr[] = [];

  constructor(readonly nInputs: number) {}

  private push(ins: ProgramInstr): number {
    this.instrs.push(ins);
    return this.nInputs + this.instrs.length - 1;
  }

  /** `a op b`. */
  bin(op: BinaryInstr['op'], a: number, b: number): number {
    return this.push({ kind: 'binary', op, a, b });
  }

  /** A constant. */
  constant(value: number): number {
    return this.push({ kind: 'const', value });
  }

  /** `sqrt(x)`. */
  sqrt(x: number): number {
    return this.push({ kind: 'unary', op: 'sqrt', x });
  }

  /** The checked program storing `outputs`. */
  build(outputs: readonly number[]): ElementwiseProgram {
    return checkProgram(Array.from({ length: this.nInputs }, () => 'float32' as const), this.instrs, outputs);
  }
}

/** Caches a rule's programs by key. */
export function programCache(make: (key: string) => ElementwiseProgram): (key: string) => ElementwiseProgram {
  const cache = new Map<string, ElementwiseProgram>();
  return (key) => {
    let p = cache.get(key);
    if (!p) cache.set(key, (p = make(key)));
    return p;
  };
}
