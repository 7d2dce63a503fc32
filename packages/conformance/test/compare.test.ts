import { describe, expect, it } from 'vitest';
import type { Case, TensorJson } from '../src/cases.ts';
import { compareResult } from '../src/compare.ts';
import { decodeTensor } from '../src/decode.ts';
import { stripExpected } from '../src/strip.ts';

const t = (dtype: TensorJson['dtype'], shape: number[], data: TensorJson['data']): TensorJson => ({ dtype, shape, data });

function mkCase(outputs: (TensorJson | null)[], extra: Partial<Case> = {}): Case {
  return { id: 'op/x', fn: 'op', kwargs: {}, inputs: [], outputs, tol: { rtol: 1e-3, atol: 1e-5 }, ...extra };
}

describe('compareResult', () => {
  it('applies |a - e| <= atol + rtol*|e| with expected rounded to float32', () => {
    const c = mkCase([t('float32', [2], [100, 0.1])]);
    // tol at 100 = 1e-5 + 0.1 = 0.10001
    expect(compareResult(c, { outputs: [{ dtype: 'float32', shape: [2], data: [100.1, 0.1] }] }).ok).toBe(true);
    expect(compareResult(c, { outputs: [{ dtype: 'float32', shape: [2], data: [100.11, 0.1] }] }).ok).toBe(false);
    // a Float32Array holding fround(0.1) matches the decimal 0.1 exactly
    expect(compareResult(mkCase([t('float32', [1], [0.1])], { tol: { rtol: 0, atol: 0 } }), {
      outputs: [{ dtype: 'float32', shape: [1], data: new Float32Array([0.1]) }],
    }).ok).toBe(true);
  });

  it('requires NaN for NaN and the same infinity for infinities', () => {
    const c = mkCase([t('float32', [3], ['NaN', 'Infinity', '-Infinity'])]);
    const run = (data: number[]) => compareResult(c, { outputs: [{ dtype: 'float32', shape: [3], data }] });
    expect(run([NaN, Infinity, -Infinity]).ok).toBe(true);
    expect(run([0, Infinity, -Infinity]).ok).toBe(false);
    expect(run([NaN, -Infinity, -Infinity]).ok).toBe(false);
    expect(run([NaN, 3e38, -Infinity]).ok).toBe(false);
    // NaN or infinity where a finite value is expected fails too
    const f = mkCase([t('float32', [1], [1])], { tol: { rtol: 1, atol: 1 } });
    expect(compareResult(f, { outputs: [{ dtype: 'float32', shape: [1], data: [NaN] }] }).ok).toBe(false);
    expect(compareResult(f, { outputs: [{ dtype: 'float32', shape: [1], data: [Infinity] }] }).ok).toBe(false);
  });

  it('compares int32 and bool exactly, whatever the tolerance', () => {
    const c = mkCase([t('int32', [2], [3, -1]), t('bool', [2], [1, 0])], { tol: { rtol: 1, atol: 1 } });
    expect(compareResult(c, { outputs: [{ dtype: 'int32', shape: [2], data: new Int32Array([3, -1]) }, { dtype: 'bool', shape: [2], data: [true, false] }] }).ok).toBe(true);
    expect(compareResult(c, { outputs: [{ dtype: 'int32', shape: [2], data: [3, 0] }, { dtype: 'bool', shape: [2], data: [1, 0] }] }).ok).toBe(false);
  });

  it('checks dtypes, shapes, output counts and nulls', () => {
    const c = mkCase([t('float32', [2, 1], [1, 2]), null]);
    const good = { dtype: 'float32', shape: [2, 1], data: [1, 2] };
    expect(compareResult(c, { outputs: [good, null] }).ok).toBe(true);
    expect(compareResult(c, { outputs: [{ ...good, dtype: 'int32' }, null] }).failures[0]).toMatch(/outputs\[0\]: dtype int32, expected float32/);
    expect(compareResult(c, { outputs: [{ ...good, shape: [2] }, null] }).failures[0]).toMatch(/shape \[2\], expected \[2, 1\]/);
    expect(compareResult(c, { outputs: [good] }).ok).toBe(false);
    expect(compareResult(c, { outputs: [good, good] }).failures[0]).toMatch(/outputs\[1\] is a tensor, expected null/);
    expect(compareResult(mkCase([t('float32', [0, 4], [])]), { outputs: [{ dtype: 'float32', shape: [0, 4], data: [] }] }).ok).toBe(true);
  });

  it('names the case, the output and the first mismatching indices', () => {
    const c = mkCase([t('float32', [2, 3], [0, 1, 2, 3, 4, 5])]);
    const r = compareResult(c, { outputs: [{ dtype: 'float32', shape: [2, 3], data: [0, 1, 2, 3, 9, 5] }] });
    expect(r.failures).toHaveLength(1);
    expect(r.failures[0]).toMatch(/^op\/x: outputs\[0\] .*1 of 6 elements differ: \[1, 1\] got 9 expected 4/);
  });

  it('compares gradients, and fails a result that has none', () => {
    const grads = { upstream: [t('float32', [1], [1])], inputs: { input: t('float32', [1], [2]) }, params: { 'w': t('float32', [1], [3]) } };
    const c = mkCase([t('float32', [1], [1])], { grads });
    const out = [{ dtype: 'float32', shape: [1], data: [1] }];
    expect(compareResult(c, { outputs: out }).failures[0]).toMatch(/the case has gradients but the result has none/);
    expect(compareResult(c, { outputs: out, grads: { inputs: { input: { shape: [1], data: [2] } }, params: { w: { shape: [1], data: [3] } } } }).ok).toBe(true);
    expect(compareResult(c, { outputs: out, grads: { inputs: { input: { shape: [1], data: [2.5] } }, params: { w: { shape: [1], data: [3] } } } }).failures[0]).toMatch(/grads\.inputs\.input/);
    expect(compareResult(c, { outputs: out, grads: { inputs: { input: { shape: [1], data: [2] } } } }).failures[0]).toMatch(/grads\.params\.w missing/);
  });
});

describe('decodeTensor', () => {
  it('decodes special floats, -0, float32 rounding and dtypes', () => {
    const d = decodeTensor(t('float32', [4], ['Infinity', '-Infinity', 'NaN', -0]));
    expect([...d.data]).toEqual([Infinity, -Infinity, NaN, -0]);
    expect(Object.is(d.data[3], -0)).toBe(true);
    expect(decodeTensor(t('float32', [1], [0.1])).data[0]).toBe(Math.fround(0.1));
    expect(decodeTensor(t('int32', [2], [1, -2])).data).toBeInstanceOf(Int32Array);
    expect(decodeTensor(t('bool', [], [1])).data).toEqual(new Uint8Array([1]));
    expect(() => decodeTensor(t('float32', [2], [1]))).toThrow(/1 elements, expected 2/);
  });
});

describe('stripExpected', () => {
  it('removes expected values and keeps the arguments', () => {
    const c = mkCase([t('float32', [1], [1])], {
      grads: { upstream: [t('float32', [1], [1])], inputs: { input: t('float32', [1], [2]) } },
      steps: [{ grads: [t('float32', [1], [1])], params: [t('float32', [1], [1])] }],
    });
    const s = stripExpected(c) as unknown as Record<string, any>;
    expect(s.outputs).toBeUndefined();
    expect(s.grads.inputs).toBeUndefined();
    expect(s.grads.upstream).toHaveLength(1);
    expect(s.steps[0].params).toBeUndefined();
    expect(s.steps[0].grads).toHaveLength(1);
    expect(c.outputs).toHaveLength(1);
  });
});
