// The wasm kernels against core's plain-JS reference backend on what the PyTorch case files do
// not cover: int32 and bool dtypes, and strided layouts (transposed, stepped, flipped, broadcast,
// offset) for every primitive. Same inputs on both backends; ints and bools must match exactly,
// floats within a few ulps.
import { beforeAll, describe, expect, it } from 'vitest';
import * as torch from '../src/index.ts';
import type { Backend, Tensor } from '../src/index.ts';
import { createReferenceBackend } from '../../core/test/reference-backend.ts';

let wasm: Backend;
const ref = createReferenceBackend();

beforeAll(async () => {
  wasm = await torch.setBackend('wasm');
});

type DT = 'float32' | 'int32' | 'bool';

/** Deterministic values for a dtype: small ints, signed floats with some exact ties and zeros. */
function values(n: number, dtype: DT, seed: number): number[] {
  const out: number[] = [];
  let s = seed * 7919 + 13;
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) % 2147483648;
    const u = s / 2147483648;
    if (dtype === 'bool') out.push(u < 0.5 ? 0 : 1);
    else if (dtype === 'int32') out.push(Math.floor(u * 19) - 9);
    else out.push(i % 7 === 3 ? 0 : Math.round((u * 8 - 4) * 64) / 64);
  }
  return out;
}

/** Layouts of a [4, 6] operand built from a larger base by views. */
const LAYOUTS: Record<string, (base: (shape: number[]) => Tensor) => Tensor> = {
  contiguous: (b) => b([4, 6]),
  transposed: (b) => b([6, 4]).t(),
  stepped: (b) => b([4, 13]).slice(1, 1, null, 2),
  flipped: (b) => b([4, 6]).flip([0, 1]),
  offset: (b) => b([5, 6]).narrow(0, 1, 4),
  broadcast: (b) => b([1, 6]).expand([4, 6]),
};

function make(backend: Backend, dtype: DT, layout: string, seed: number): Tensor {
  return LAYOUTS[layout]!((shape) => {
    const n = shape.reduce((a, c) => a * c, 1);
    return torch.fromArray(values(n, dtype, seed), shape, { dtype, backend });
  });
}

function same(a: Tensor, b: Tensor, what: string): void {
  expect(a.dtype, what).toBe(b.dtype);
  expect([...a.shape], what).toEqual([...b.shape]);
  const x = Array.from(a.dataSync()), y = Array.from(b.dataSync());
  if (a.dtype !== 'float32') {
    expect(x, what).toEqual(y);
    return;
  }
  for (let i = 0; i < x.length; i++) {
    const p = x[i]!, q = y[i]!;
    if (Number.isNaN(q)) expect(Number.isNaN(p), `${what} [${i}] ${p} vs NaN`).toBe(true);
    else if (!Number.isFinite(q)) expect(p, `${what} [${i}]`).toBe(q);
    else expect(Math.abs(p - q) <= 1e-5 + 2e-6 * Math.abs(q), `${what} [${i}] wasm ${p} vs reference ${q}`).toBe(true);
  }
}

/** Runs `f` on both backends with the same inputs and compares. */
function check(what: string, dtypes: DT[], layouts: string[], f: (...xs: Tensor[]) => Tensor | Tensor[]): void {
  torch.tidy(() => {
    const ins = (backend: Backend) => dtypes.map((d, i) => make(backend, d, layouts[i % layouts.length]!, i + 1));
    const rw = f(...ins(wasm)), rr = f(...ins(ref));
    const lw = Array.isArray(rw) ? rw : [rw], lr = Array.isArray(rr) ? rr : [rr];
    lw.forEach((t, i) => same(t, lr[i]!, `${what} (${dtypes.join(',')} / ${layouts.join(',')}) output ${i}`));
  });
}

const layoutNames = Object.keys(LAYOUTS);

describe('element-wise on every dtype and layout', () => {
  for (const layout of layoutNames) {
    it(layout, () => {
      for (const dt of ['float32', 'int32'] as DT[]) {
        for (const op of ['neg', 'abs', 'sign', 'relu', 'floor', 'ceil', 'round', 'square'] as const) {
          check(op, [dt], [layout], (x) => x[op]());
        }
        for (const op of ['add', 'sub', 'mul', 'maximum', 'minimum', 'remainder', 'eq', 'ne', 'lt', 'le', 'gt', 'ge'] as const) {
          check(op, [dt, dt], [layout, 'contiguous'], (a, b) => a[op](b));
          check(`${op} (reversed layouts)`, [dt, dt], ['transposed', layout], (a, b) => a[op](b));
        }
        check('pow', [dt], [layout], (a) => a.pow(3));
        check('div', [dt, dt], [layout, 'contiguous'], (a, b) => a.div(b.abs().add(1)));
      }
      for (const op of ['exp', 'log', 'sqrt', 'rsqrt', 'sin', 'cos', 'tanh', 'sigmoid', 'erf', 'log1p', 'expm1', 'reciprocal'] as const) {
        check(op, ['float32'], [layout], (x) => x.abs()[op]());
        check(`${op} on int32`, ['int32'], [layout], (x) => x.abs()[op]());
      }
      check('logical', ['bool', 'bool'], [layout, 'flipped'], (a, b) => [a.logicalAnd(b), a.logicalOr(b), a.logicalXor(b), a.logicalNot(), a.eq(b), a.lt(b)]);
      check('bool arithmetic promotes', ['bool', 'int32'], [layout, 'contiguous'], (a, b) => [a.add(b), a.mul(2), a.add(0.5)]);
      check('mixed promotion', ['int32', 'float32'], [layout, 'stepped'], (a, b) => [a.add(b), a.mul(b), a.sub(1), a.maximum(b)]);
      check('where', ['bool', 'float32', 'int32'], [layout, 'flipped', 'contiguous'], (c, a, b) => [torch.where(c, a, b), torch.where(c, a, 2)]);
      check('casts', ['float32'], [layout], (a) => [a.int(), a.bool(), a.int().float(), a.bool().int()]);
    });
  }
});

describe('reductions on every dtype and layout', () => {
  for (const layout of layoutNames) {
    it(layout, () => {
      for (const dt of ['float32', 'int32', 'bool'] as DT[]) {
        for (const dim of [0, 1, -1, [0, 1]] as const) {
          check(`sum dim ${dim}`, [dt], [layout], (x) => x.sum({ dim: dim as number }));
          check(`prod dim ${dim}`, [dt], [layout], (x) => x.prod({ dim: dim as number, keepdim: true }));
        }
        for (const dim of [0, 1]) {
          check(`max/min dim ${dim}`, [dt], [layout], (x) => [...x.max({ dim }), ...x.min({ dim })]);
          check(`argmax/argmin dim ${dim}`, [dt], [layout], (x) => [x.argmax({ dim }), x.argmin({ dim, keepdim: true })]);
        }
        check('all/any', [dt], [layout], (x) => [x.all(), x.any({ dim: 1 }), x.all({ dim: 0 })]);
      }
    });
  }
});

describe('matmul, gather, copy on strided operands', () => {
  for (const layout of layoutNames) {
    it(layout, () => {
      check('matmul', ['float32', 'float32'], [layout, 'transposed'], (a, b) => a.matmul(b.t()));
      check('matmul batched broadcast', ['float32', 'float32'], [layout, layout], (a, b) => a.reshape([2, 2, 6]).matmul(b.t().unsqueeze(0)));
      for (const dt of ['float32', 'int32', 'bool'] as DT[]) {
        check('contiguous', [dt], [layout], (x) => x.contiguous());
        check('cat', [dt, dt], [layout, 'flipped'], (a, b) => [torch.cat([a, b], 0), torch.cat([a, b], 1)]);
        check('repeat', [dt], [layout], (x) => x.repeat([2, 1, 3]));
        check('gather', [dt], [layout], (x) => {
          const idx = torch.fromArray([5, 0, 3, 3, 1, 2, 0, 4], [4, 2], { dtype: 'int32', backend: x.backend });
          return [x.gather(1, idx), x.indexSelect(0, torch.fromArray([3, 0, 3], [3], { dtype: 'int32', backend: x.backend }))];
        });
        check('maskedFill/tril', [dt, 'bool'], [layout, 'stepped'], (x, m) => [x.maskedFill(m, 1), x.tril(1), x.triu(-1)]);
      }
    });
  }
});

describe('random numbers', () => {
  it('are the same on both backends for a seed', () => {
    for (const kind of ['rand', 'randn'] as const) {
      torch.manualSeed(123);
      const a = torch[kind]([3, 7], { backend: wasm });
      torch.manualSeed(123);
      const b = torch[kind]([3, 7], { backend: ref });
      same(a, b, kind);
      a.dispose();
      b.dispose();
    }
    torch.manualSeed(5);
    const r = torch.randint(-3, 4, [1000]);
    const v = Array.from(r.dataSync());
    expect(Math.min(...v)).toBe(-3);
    expect(Math.max(...v)).toBe(3);
    r.dispose();
  });
});
