/**
 * The fused element-wise program contract (fused-program.ts): programs are checked when built,
 * and the composite default (op by op on the backend's kernels) agrees with the op table's
 * reference semantics on every float unary op, every float binary op, comparisons and where.
 * Backends' own `fused.elementwise` kernels are checked against the same oracle in their suites.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import * as torch from '../src/index.ts';
import { createReferenceBackend } from './reference-backend.ts';

beforeAll(async () => {
  torch.registerBackend('reference', () => createReferenceBackend());
  await torch.setBackend('reference');
});

describe('checkProgram', () => {
  it('types registers from the op table and keys equal programs equally', () => {
    const p = torch.checkProgram(['float32', 'float32'], [
      { kind: 'binary', op: 'lt', a: 0, b: 1 },
      { kind: 'where', cond: 2, a: 0, b: 1 },
      { kind: 'unary', op: 'exp', x: 3 },
    ], [4, 2]);
    expect(p.dtypes).toEqual(['float32', 'float32', 'bool', 'float32', 'float32']);
    const q = torch.checkProgram(['float32', 'float32'], p.instrs, p.outputs);
    expect(q.key).toBe(p.key);
    expect(torch.checkProgram(['float32'], [{ kind: 'const', value: 2 }], [1]).key).not.toBe(torch.checkProgram(['float32'], [{ kind: 'const', value: 3 }], [1]).key);
  });

  it('names the bad instruction', () => {
    expect(() => torch.checkProgram(['float32'], [{ kind: 'unary', op: 'exp', x: 1 }], [1])).toThrow(/instruction 0 reads register 1/);
    expect(() => torch.checkProgram(['bool'], [{ kind: 'unary', op: 'exp', x: 0 }], [1])).toThrow(/instruction 0 \(unary exp\).*float32 register, got bool/);
    expect(() => torch.checkProgram(['float32', 'float32'], [{ kind: 'where', cond: 0, a: 0, b: 1 }], [2])).toThrow(/condition must be a bool register/);
    expect(() => torch.checkProgram(['float32'], [{ kind: 'unary', op: 'nope' as never, x: 0 }], [1])).toThrow(/unknown unary op 'nope'/);
    expect(() => torch.checkProgram(['float32'], [], [3])).toThrow(/output register 3 does not exist/);
    expect(() => torch.checkProgram(['int32' as never], [], [0])).toThrow(/input 0 has dtype int32/);
  });
});

describe('runProgramComposite agrees with evalProgramRef', () => {
  const xs = [-2.5, -1, -0.3, 0, 0.2, 0.7, 1, 3.5];
  const ys = [1.5, -2, 0.4, 3, -0.6, 2, 0.5, -1];

  const check = async (p: torch.ElementwiseProgram, inputs: number[][]): Promise<void> => {
    const b = torch.getBackend();
    const ins = inputs.map((v, i) => (p.inputs[i] === 'bool' ? torch.tensor(v.map(Boolean)) : torch.tensor(v)));
    const outs = p.outputs.map((o) => torch.empty([xs.length], { dtype: p.dtypes[o]! }));
    torch.runProgramComposite(b, p, ins.map((t) => t.view_()), outs.map((t) => t.view_()));
    for (const [k, out] of outs.entries()) {
      const got = Array.from(await out.data(), Number);
      const want = xs.map((_, e) => torch.evalProgramRef(p, inputs.map((v) => v[e]!))[k]!);
      expect(got, `${p.key} output ${k}`).toEqual(want);
    }
  };

  it('on every float unary op after a binary op', async () => {
    for (const op of torch.UNARY_OPS) {
      if (torch.opKind('unary', op) === 'logical') continue;
      const p = torch.checkProgram(['float32', 'float32'], [
        { kind: 'binary', op: 'mul', a: 0, b: 1 },
        { kind: 'unary', op, x: 2 },
      ], [3]);
      await check(p, [xs, ys]);
    }
  });

  it('on every non-logical binary op, with a constant operand and two outputs', async () => {
    for (const op of torch.BINARY_OPS) {
      if (torch.opKind('binary', op) === 'logical') continue;
      const cmp = torch.opKind('binary', op) === 'compare';
      const p = torch.checkProgram(['float32', 'float32'], [
        { kind: 'const', value: 0.5 },
        { kind: 'binary', op: 'add', a: 1, b: 2 },
        { kind: 'binary', op, a: 0, b: 3 },
        ...(cmp ? [{ kind: 'where' as const, cond: 4, a: 0, b: 1 }] : []),
      ], cmp ? [5, 4] : [4, 3]);
      await check(p, [xs, ys]);
    }
  });

  it('updates in place when an output is an input view (an optimizer-style chain)', async () => {
    const b = torch.getBackend();
    const p = torch.checkProgram(['float32', 'float32'], [
      { kind: 'const', value: 0.1 },
      { kind: 'binary', op: 'mul', a: 1, b: 2 },
      { kind: 'binary', op: 'sub', a: 0, b: 3 },
    ], [4]);
    const w = torch.tensor(xs), g = torch.tensor(ys);
    torch.runProgramComposite(b, p, [w.view_(), g.view_()], [w.view_()]);
    expect(Array.from(await w.data())).toEqual(xs.map((x, i) => torch.evalProgramRef(p, [x, ys[i]!])[0]));
  });

  it('reads broadcast inputs (stride 0)', async () => {
    const b = torch.getBackend();
    const p = torch.checkProgram(['float32', 'float32'], [{ kind: 'binary', op: 'sub', a: 0, b: 1 }], [2]);
    const x = torch.tensor([[1, 2, 3], [4, 5, 6]]), m = torch.tensor([[1], [4]]);
    const out = torch.empty([2, 3]);
    const mv = { ...m.view_(), shape: [2, 3], strides: [1, 0] };
    torch.runProgramComposite(b, p, [x.view_(), mv], [out.view_()]);
    expect(await out.tolist()).toEqual([[0, 1, 2], [0, 1, 2]]);
  });
});
