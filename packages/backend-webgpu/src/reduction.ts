/**
 * Fused reductions (core's `FusedKernels.reduction`, fused-reduction.ts) as one WGSL shader each:
 * the prologue program computed per reduced element (its value folded, its extra outputs
 * stored), the fold, and the epilogue program on the result, in one dispatch where the composite
 * takes three (prologue, `reduce`, epilogue).
 *
 * The fold is the backend's own `reduce` kernel's (kernels.ts): one thread per output folding in
 * order where that kernel does so, else one workgroup per output (64 strided shares, then a
 * tree), chosen by the same rule, and the same fold and combine code; each prologue instruction
 * rounds to float32 as the eager kernels do. So a fused reduction gives the bits of the
 * composite on this backend.
 *
 * Operands bind one slot per distinct buffer (program.ts's rule), the written ones
 * `read_write`, bool-holding written ones as atomics.
 *
 * meta (i32): nOut, nInner, outer rank ro, inner rank ri, outer shape (ro), inner shape (ri);
 * per prologue operand (inputs, then extra outputs): offset, outer strides (ro), inner strides
 * (ri); per epilogue operand (epilogue inputs 1.., then outputs): offset, outer strides (ro).
 */
import type { ProgramDType, ReductionProgram } from '@torchlet/core';
import { foldParts } from './kernels.ts';
import { loadFn, programBody, storeFn } from './program.ts';
import { MATH } from './wgsl.ts';

/** Binding slots of a call's operands (by distinct buffer). */
export interface ReductionLayout {
  /** Slot of each prologue input. */
  readonly inputs: readonly number[];
  /** Slot of each extra output (prologue outputs 1..). */
  readonly extras: readonly number[];
  /** Slot of each epilogue input 1... */
  readonly epilogueInputs: readonly number[];
  /** Slot of each output. */
  readonly outputs: readonly number[];
  /** Per slot: written. */
  readonly writable: readonly boolean[];
  /** Per slot: holds a written bool, bound as atomics. */
  readonly atomic: readonly boolean[];
}

/** Whether the kernel folds with one thread per output (the eager `reduce`'s rule, backend.ts). */
export function serialFold(nInner: number, nOut: number, serialMax: number): boolean {
  return nInner <= serialMax || (nInner <= 16 * serialMax && nOut >= 16 * serialMax);
}

/** The cache key of a program's shader over a layout and a fold mode. */
export function reductionSourceKey(p: ReductionProgram, l: ReductionLayout, serial: boolean): string {
  return `reduction|${p.key}|${l.inputs.join(',')}|${l.extras.join(',')}|${l.epilogueInputs.join(',')}|${l.outputs.join(',')}|${l.writable.map(Number).join('')}|${l.atomic.map(Number).join('')}|${serial}`;
}

/** The WGSL of `p` over layout `l`, folding serially or by workgroup. */
export function reductionSource(p: ReductionProgram, l: ReductionLayout, serial: boolean): string {
  const pro = p.prologue, epi = p.epilogue;
  const nIn = pro.inputs.length, nExtra = pro.outputs.length - 1;
  const nP = nIn + nExtra;
  const nEpiIn = epi ? epi.inputs.length - 1 : 0;
  const nE = nEpiIn + (epi ? epi.outputs.length : 1);
  const { T, init, better, fold, treeVars, tree } = foldParts(p.op, 'float32');
  const decls = l.writable.map((w, s) =>
    `@group(0) @binding(${s + 1}) var<storage, ${w ? 'read_write' : 'read'}> buf${s}: array<${l.atomic[s] ? 'atomic<u32>' : 'u32'}>;`);
  // Prologue: loads ldP<k>, extra stores stP<k> (k = 1.. as the program's output index).
  const proFns = [
    ...pro.inputs.map((d, k) => loadFn(k, d, l.inputs[k]!, l.atomic[l.inputs[k]!]!, 'P')),
    ...pro.outputs.slice(1).map((r, i) => storeFn(i + 1, pro.dtypes[r]!, l.extras[i]!, l.atomic[l.extras[i]!]!, 'P')),
  ];
  const proOffsets = [
    ...pro.inputs.map((_, k) => `  let o${k} = po[${k}] + inner_off(j, ${k});`),
    ...pro.outputs.slice(1).map((_, i) => `  let q${i + 1} = po[${nIn + i}] + inner_off(j, ${nIn + i});`),
  ];
  const proStores = pro.outputs.slice(1).map((r, i) => `  stP${i + 1}(q${i + 1}, r${r});`);
  // Epilogue: input 0 is the reduced value (ldE0 returns it), inputs 1.. load at eo[k - 1].
  let epiFns: string[] = [];
  let epiBody: string;
  if (epi) {
    epiFns = [
      'fn ldE0(o: i32) -> f32 { return red_; }',
      ...epi.inputs.slice(1).map((d: ProgramDType, i) => loadFn(i + 1, d, l.epilogueInputs[i]!, l.atomic[l.epilogueInputs[i]!]!, 'E')),
      ...epi.outputs.map((r, k) => storeFn(k, epi.dtypes[r]!, l.outputs[k]!, l.atomic[l.outputs[k]!]!, 'E')),
    ];
    epiBody = [
      '  let o0 = 0;',
      ...epi.inputs.slice(1).map((_, i) => `  let o${i + 1} = eo[${i}];`),
      ...epi.outputs.map((_, k) => `  let q${k} = eo[${nEpiIn + k}];`),
      programBody(epi, 'E'),
      ...epi.outputs.map((r, k) => `  stE${k}(q${k}, r${r});`),
    ].join('\n');
  } else {
    epiFns = [storeFn(0, 'float32', l.outputs[0]!, l.atomic[l.outputs[0]!]!, 'E')];
    epiBody = '  stE0(eo[0], red_);';
  }
  const common = `@group(0) @binding(0) var<storage, read> prm: array<i32>;
${decls.join('\n')}
${MATH}
var<private> red_: f32;
var<private> po: array<i32, ${Math.max(nP, 1)}>;
var<private> eo: array<i32, ${nE}>;
${proFns.join('\n')}
${epiFns.join('\n')}
fn better_(v: ${T}, w: ${T}) -> bool { return ${better}; }
/** Operand offsets at output o: prologue operands' outer part into po, epilogue operands' into eo. */
fn outer_offsets(o: i32) {
  let ro = prm[2]; let ri = prm[3];
  let pb = 4 + ro + ri;
  let eb = pb + ${nP} * (1 + ro + ri);
  for (var k = 0; k < ${nP}; k++) { po[k] = prm[pb + k * (1 + ro + ri)]; }
  for (var k = 0; k < ${nE}; k++) { eo[k] = prm[eb + k * (1 + ro)]; }
  var rem = o;
  for (var d = ro - 1; d >= 0; d--) {
    let s = prm[4 + d];
    let c = rem % s;
    rem = rem / s;
    for (var k = 0; k < ${nP}; k++) { po[k] += c * prm[pb + k * (1 + ro + ri) + 1 + d]; }
    for (var k = 0; k < ${nE}; k++) { eo[k] += c * prm[eb + k * (1 + ro) + 1 + d]; }
  }
}
/** Offset of reduced element j relative to the output's, for prologue operand k. */
fn inner_off(j: i32, k: i32) -> i32 {
  let ro = prm[2]; let ri = prm[3];
  let sb = 4 + ro + ri + k * (1 + ro + ri) + 1 + ro;
  var rem = j;
  var off = 0;
  for (var d = ri - 1; d >= 0; d--) {
    let s = prm[4 + ro + d];
    let c = rem % s;
    rem = rem / s;
    off += c * prm[sb + d];
  }
  return off;
}
/** The prologue at reduced element j: stores the extra outputs, returns the value folded. */
fn prologue_(j: i32) -> f32 {
${proOffsets.join('\n')}
${programBody(pro, 'P')}
${proStores.join('\n')}
  return r${pro.outputs[0]};
}
fn epilogue_() {
${epiBody}
}
`;
  if (serial) {
    return `${common}
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let o = i32(gid.x + gid.y * nwg.x * 64u);
  if (o >= prm[0]) { return; }
  let nInner = prm[1];
  outer_offsets(o);
  var acc: ${T} = ${init};
  var accI = -1;
  for (var j = 0; j < nInner; j++) {
    let v = prologue_(j);
    ${fold}
  }
  red_ = acc;
  epilogue_();
}
`;
  }
  return `${common}
${treeVars}
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let o = i32(wid.x + wid.y * nwg.x);
  let nInner = prm[1];
  let live_ = o < prm[0];
  if (live_) { outer_offsets(o); }
  var acc: ${T} = ${init};
  var accI = -1;
  if (live_) {
    for (var j = i32(lid); j < nInner; j += 64) {
      let v = prologue_(j);
      ${fold}
    }
  }
  ${tree}
  if (live_ && lid == 0u) {
    red_ = sv[0];
    epilogue_();
  }
}
`;
}
