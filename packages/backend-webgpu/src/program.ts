/**
 * Fused element-wise programs (core's fused-program.ts) as one WGSL compute shader each.
 *
 * Every instruction becomes the op table's own WGSL expression (`wgslExpr`), evaluated in a block
 * that binds `x` (or `a`, `b`) to the operand registers, exactly as the eager kernel binds them
 * to its loaded elements: same expressions, same MATH helpers, so each register holds the bits
 * the eager kernel would have stored. float32 registers are f32, bool registers u32 0/1 (the
 * eager kernels' bool element type). Constants are built from their float32 bits at run time
 * (`| zero_()`), as the eager path loads them from memory: no compiler folds them into a
 * neighbouring operation, and NaN or infinity constants are legal (WGSL rejects them as
 * constant expressions).
 *
 * Bindings are per distinct GPUBuffer, not per operand: an in-place update (an output that is
 * an input's view) reads and writes one `read_write` binding, since WebGPU forbids binding one
 * buffer both read-only and writable in a dispatch (the eager kernels copy the input instead).
 * Each thread loads all its inputs before it stores any output, and threads touch disjoint
 * elements, so the alias is safe. A binding holding a bool output is atomic (bool elements are
 * bytes packed four to a word; see wgsl.ts), and loads from it use atomicLoad.
 */
import { isContiguous, wgslExpr, type ElementwiseProgram, type ProgramDType, type View } from '@torchlet/core';
import { MATH, stridedFn, stridedMain } from './wgsl.ts';

/** How a program's operands map onto bindings (the shape of the generated shader beyond the program). */
export interface ProgramLayout {
  /** Binding slot (0-based, after `prm`) of each input. */
  readonly inputSlots: readonly number[];
  /** Binding slot of each output. */
  readonly outputSlots: readonly number[];
  /** Per slot: written by some output. */
  readonly writable: readonly boolean[];
  /** Per slot: holds a bool output, so it is bound as atomics. */
  readonly atomic: readonly boolean[];
}

const sameShape = (a: readonly number[], b: readonly number[]): boolean => a.length === b.length && a.every((n, i) => n === b[i]);

/**
 * Checks a `fused.elementwise` call at run time (plain JavaScript callers included): operand
 * counts, dtypes as the program says, one shape, contiguous outputs. Returns the shape.
 */
export function checkProgramViews(program: ElementwiseProgram, inputs: readonly View[], outputs: readonly View[]): readonly number[] {
  const what = 'webgpu backend: fused elementwise';
  if (!program || !Array.isArray(program.instrs) || !Array.isArray(program.dtypes) || typeof program.key !== 'string') {
    throw new TypeError(`${what}: the program is not a checked ElementwiseProgram (build it with checkProgram)`);
  }
  if (!Array.isArray(inputs) || !Array.isArray(outputs) || inputs.length !== program.inputs.length || outputs.length !== program.outputs.length) {
    throw new TypeError(`${what}: the program takes ${program.inputs.length} inputs and ${program.outputs.length} outputs, got ${(inputs as unknown[])?.length} and ${(outputs as unknown[])?.length}`);
  }
  const shape = outputs[0]!.shape;
  for (const [k, v] of outputs.entries()) {
    const want = program.dtypes[program.outputs[k]!];
    if (v.dtype !== want) throw new TypeError(`${what}: output ${k} is ${v.dtype}, its register is ${want}`);
    if (!sameShape(v.shape, shape)) throw new TypeError(`${what}: output ${k} has shape [${v.shape.join(', ')}], output 0 [${shape.join(', ')}]`);
    if (!isContiguous(v.shape, v.strides)) throw new TypeError(`${what}: output ${k} is not contiguous (strides [${v.strides.join(', ')}])`);
  }
  for (const [k, v] of inputs.entries()) {
    if (v.dtype !== program.inputs[k]) throw new TypeError(`${what}: input ${k} is ${v.dtype}, the program takes ${program.inputs[k]}`);
    if (!sameShape(v.shape, shape)) throw new TypeError(`${what}: input ${k} has shape [${v.shape.join(', ')}], the outputs [${shape.join(', ')}] (broadcast with stride 0 first)`);
  }
  return shape;
}

/**
 * Binding slots of a shader: one per distinct buffer, in order of first sight, marked writable
 * where an output lives and atomic where a bool output does (marks only accumulate).
 */
export class BindingSlots {
  /** Each slot's buffer id, for binding. */
  readonly buffers: number[] = [];
  /** Per slot: written by some output. */
  readonly writable: boolean[] = [];
  /** Per slot: holds a bool output, so it is bound as atomics. */
  readonly atomic: boolean[] = [];

  /** The slot of `buffer` (added on first sight), marked as written and bool-written as asked. */
  slot(buffer: number, written = false, bool = false): number {
    let s = this.buffers.indexOf(buffer);
    if (s < 0) {
      s = this.buffers.push(buffer) - 1;
      this.writable.push(false);
      this.atomic.push(false);
    }
    if (written) this.writable[s] = true;
    if (written && bool) this.atomic[s] = true;
    return s;
  }
}

/**
 * Groups the operands of one or more calls of `program` by buffer: one slot per distinct buffer
 * across all the calls, writable when an output lives in it, atomic when a bool output does.
 * `buffers` lists each slot's buffer id, for binding; `layouts[i]` is call i's slots.
 */
export function programLayouts(
  program: ElementwiseProgram,
  calls: readonly { readonly inputs: readonly View[]; readonly outputs: readonly View[] }[],
): { layouts: ProgramLayout[]; buffers: number[]; writable: boolean[]; atomic: boolean[] } {
  const b = new BindingSlots();
  const layouts = calls.map(({ inputs, outputs }): ProgramLayout => {
    const outputSlots = outputs.map((v, k) => b.slot(v.buffer, true, program.dtypes[program.outputs[k]!] === 'bool'));
    return { inputSlots: inputs.map((v) => b.slot(v.buffer)), outputSlots, writable: b.writable, atomic: b.atomic };
  });
  return { layouts, buffers: b.buffers, writable: b.writable, atomic: b.atomic };
}

/** {@link programLayouts} of a single call, with its slots' buffer ids. */
export function programLayout(program: ElementwiseProgram, inputs: readonly View[], outputs: readonly View[]): ProgramLayout & { buffers: number[] } {
  const { layouts, buffers } = programLayouts(program, [{ inputs, outputs }]);
  return { ...layouts[0]!, buffers };
}

/** The cache key of a program's shader: the program and the binding layout it was generated for. */
export function programSourceKey(program: ElementwiseProgram, l: ProgramLayout): string {
  return `fused|${program.key}|${l.inputSlots.join(',')}|${l.outputSlots.join(',')}|${l.writable.map(Number).join('')}|${l.atomic.map(Number).join('')}`;
}

const TYPE: Record<ProgramDType, 'f32' | 'u32'> = { float32: 'f32', bool: 'u32' };
const ELEM = { float32: 'f32', bool: 'bool' } as const;

/** A load of element `o` of input `k` from slot `s`: f32 from a word, bool from a byte. */
export function loadFn(k: number, d: ProgramDType, s: number, atomic: boolean, prefix = ''): string {
  const word = (w: string): string => (atomic ? `atomicLoad(&buf${s}[${w}])` : `buf${s}[${w}]`);
  return d === 'bool'
    ? `fn ld${prefix}${k}(o: i32) -> u32 { return (${word('u32(o) >> 2u')} >> ((u32(o) & 3u) * 8u)) & 0xffu; }`
    : `fn ld${prefix}${k}(o: i32) -> f32 { return bitcast<f32>(${word('u32(o)')}); }`;
}

/** A store of `v` at element `o` of output `k` in slot `s` (bool: only this thread's byte changes). */
export function storeFn(k: number, d: ProgramDType, s: number, atomic: boolean, prefix = ''): string {
  if (d === 'bool') {
    return `fn st${prefix}${k}(o: i32, v: u32) {
  let w = u32(o) >> 2u; let sh = (u32(o) & 3u) * 8u;
  atomicAnd(&buf${s}[w], ~(0xffu << sh));
  atomicOr(&buf${s}[w], (v & 0xffu) << sh);
}`;
  }
  return atomic
    ? `fn st${prefix}${k}(o: i32, v: f32) { atomicStore(&buf${s}[u32(o)], bitcast<u32>(v)); }`
    : `fn st${prefix}${k}(o: i32, v: f32) { buf${s}[u32(o)] = bitcast<u32>(v); }`;
}

/** The WGSL expression of an op from the op table; checkProgram already typed the program, so one exists. */
function expr(family: 'unary' | 'binary', op: string, d: ProgramDType): string {
  const e = wgslExpr(family, op, ELEM[d]);
  if (e === undefined) throw new Error(`webgpu backend: fused program: '${op}' has no WGSL for ${d}`);
  return e;
}

/**
 * The statements computing every register `r<i>` of one element, inputs loaded at offsets
 * `o<k>` (one block per instruction, so the table's `x`/`a`/`b` names bind as in the eager kernels).
 */
export function programBody(p: ElementwiseProgram, prefix = ''): string {
  const n = p.inputs.length;
  const lines = p.inputs.map((_, k) => `  let r${k} = ld${prefix}${k}(o${k});`);
  for (const [j, ins] of p.instrs.entries()) {
    const r = n + j;
    const T = TYPE[p.dtypes[r]!];
    switch (ins.kind) {
      case 'const': {
        const bits = new Uint32Array(new Float32Array([ins.value]).buffer)[0]!;
        lines.push(`  let r${r} = bitcast<f32>(0x${bits.toString(16)}u | zero_());`);
        break;
      }
      case 'unary':
        lines.push(`  var r${r}: ${T}; { let x = r${ins.x}; r${r} = ${expr('unary', ins.op, p.dtypes[ins.x]!)}; }`);
        break;
      case 'binary':
        lines.push(`  var r${r}: ${T}; { let a = r${ins.a}; let b = r${ins.b}; r${r} = ${expr('binary', ins.op, p.dtypes[ins.a]!)}; }`);
        break;
      case 'where':
        lines.push(`  let r${r} = select(r${ins.b}, r${ins.a}, r${ins.cond} != 0u);`);
        break;
    }
  }
  return lines.join('\n');
}

/**
 * The WGSL of `program` over the binding layout `l`: `prm` (element-wise meta, wgsl.ts's
 * `elementwiseMeta` with operands outputs first, then inputs) at binding 0, slot `s` at binding
 * `s + 1`; one thread per element of the (coalesced) shape.
 */
export function programSource(program: ElementwiseProgram, l: ProgramLayout): string {
  const nOut = program.outputs.length;
  const decls = l.writable.map((w, s) =>
    `@group(0) @binding(${s + 1}) var<storage, ${w ? 'read_write' : 'read'}> buf${s}: array<${l.atomic[s] ? 'atomic<u32>' : 'u32'}>;`,
  );
  const offs = [...program.outputs.map((_, k) => `q${k}`), ...program.inputs.map((_, k) => `o${k}`)];
  const stores = program.outputs.map((r, k) => `  st${k}(q${k}, r${r});`).join('\n');
  return `@group(0) @binding(0) var<storage, read> prm: array<i32>;
${decls.join('\n')}
${MATH}
${program.inputs.map((d, k) => loadFn(k, d, l.inputSlots[k]!, l.atomic[l.inputSlots[k]!]!)).join('\n')}
${program.outputs.map((r, k) => storeFn(k, program.dtypes[r]!, l.outputSlots[k]!, l.atomic[l.outputSlots[k]!]!)).join('\n')}
${stridedMain(offs, `${programBody(program)}\n${nOut > 0 ? stores : ''}`)}`;
}

/**
 * The WGSL of a batch of calls of `program` (`fused.elementwiseBatch`), call `m` bound by
 * `layouts[m]` over one shared set of slots (`writable`, `atomic`): one thread per element of
 * every call. `prm` holds the total count, the number of calls G, G + 1 thread starts, G meta
 * offsets, then each call's element-wise meta; a thread finds its call by the starts and runs
 * that call's walk and program, with its own loads and stores.
 */
export function programBatchSource(program: ElementwiseProgram, layouts: readonly ProgramLayout[], writable: readonly boolean[], atomic: readonly boolean[]): string {
  const decls = writable.map((w, s) =>
    `@group(0) @binding(${s + 1}) var<storage, ${w ? 'read_write' : 'read'}> buf${s}: array<${atomic[s] ? 'atomic<u32>' : 'u32'}>;`,
  );
  const offs = [...program.outputs.map((_, k) => `q${k}`), ...program.inputs.map((_, k) => `o${k}`)];
  const fns = layouts.map((l, m) => {
    const pre = `${m}_`;
    const stores = program.outputs.map((r, k) => `  st${pre}${k}(q${k}, r${r});`).join('\n');
    return [
      ...program.inputs.map((d, k) => loadFn(k, d, l.inputSlots[k]!, atomic[l.inputSlots[k]!]!, pre)),
      ...program.outputs.map((r, k) => storeFn(k, program.dtypes[r]!, l.outputSlots[k]!, atomic[l.outputSlots[k]!]!, pre)),
      stridedFn(`call${m}`, offs, `${programBody(program, pre)}\n${stores}`),
    ].join('\n');
  });
  const G = layouts.length;
  const dispatch = layouts.map((_, m) => `${m === 0 ? '' : ' else '}if (m == ${m}) { call${m}(idx - prm[2 + ${m}], prm[${3 + G} + ${m}]); }`).join('');
  return `@group(0) @binding(0) var<storage, read> prm: array<i32>;
${decls.join('\n')}
${MATH}
${fns.join('\n')}
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let idx = i32(gid.x + gid.y * nwg.x * 64u);
  if (idx >= prm[0]) { return; }
  var m = 0;
  for (var j = 1; j < ${G}; j++) { if (idx >= prm[2 + j]) { m = j; } }
  ${dispatch}
}
`;
}
