// Gradients of primitives and paths the PyTorch case files do not cover, against float64 finite
// differences of plain-TypeScript references (see gradcheck.ts).
import { beforeAll, describe, it } from 'vitest';
import * as torch from '@torchlet/core';
import { checkGradient, map1 } from './gradcheck.ts';
import { useWasm } from './setup.ts';

beforeAll(useWasm);

// Values away from kinks (0, integers) so finite differences are meaningful.
const v = [0.31, -0.72, 1.13, 0.57, -1.41, 0.26];
const pos = [0.31, 0.72, 1.13, 0.57, 1.41, 0.26];

function erf(x: number): number {
  let sum = 0, term = x, n = 0;
  while (Math.abs(term) > 1e-18 && n < 100) {
    sum += term / (2 * n + 1);
    n++;
    term *= (-x * x) / n;
  }
  return (2 / Math.sqrt(Math.PI)) * sum;
}

describe('unary primitives', () => {
  const cases: Array<[string, (t: torch.Tensor) => torch.Tensor, (x: number) => number, number[]]> = [
    ['log1p', (t) => t.log1p(), Math.log1p, pos],
    ['expm1', (t) => t.expm1(), Math.expm1, v],
    ['erf', (t) => t.erf(), erf, v],
    ['reciprocal', (t) => t.reciprocal(), (x) => 1 / x, v],
    ['rsqrt', (t) => t.rsqrt(), (x) => 1 / Math.sqrt(x), pos],
    ['sign', (t) => t.sign().add(t), (x) => Math.sign(x) + x, v],
    ['floor/ceil/round', (t) => t.mul(3).floor().add(t.ceil()).add(t.round()).add(t), (x) => Math.floor(3 * x) + Math.ceil(x) + Math.round(x) + x, v],
    ['square', (t) => t.square(), (x) => x * x, v],
  ];
  for (const [name, f, r, data] of cases) {
    it(name, () => checkGradient({ name, inputs: [{ shape: [2, 3], data }], f, ref: map1(r) }));
  }
});

describe('binary and reduction paths', () => {
  it('remainder', () =>
    checkGradient({
      name: 'remainder',
      inputs: [{ shape: [6], data: v.map((x) => x * 5) }, { shape: [6], data: [0.7, 0.95, -1.3, 2.1, 0.65, -0.8] }],
      f: (a, b) => a.remainder(b),
      ref: (a, b) => a.map((x, i) => x - Math.floor(x / b[i]!) * b[i]!),
    }));
  it('max over all elements shares ties evenly', () =>
    checkGradient({
      name: 'max ties',
      inputs: [{ shape: [4], data: [0.5, 0.9, 0.2, 0.8] }],
      f: (a) => torch.maximum(a, torch.tensor([0.5, 0.3, 0.4, 0.1])).max(),
      ref: (a) => Float64Array.of(Math.max(...a.map((x, i) => Math.max(x, [0.5, 0.3, 0.4, 0.1][i]!)))),
    }));
  it('prod over a dim with keepdim', () =>
    checkGradient({
      name: 'prod dim',
      inputs: [{ shape: [2, 3], data: v }],
      f: (a) => a.prod({ dim: 1, keepdim: true }),
      ref: (a) => Float64Array.of(a[0]! * a[1]! * a[2]!, a[3]! * a[4]! * a[5]!),
    }));
  it('batched matmul with a broadcast operand', () =>
    checkGradient({
      name: 'bmm broadcast',
      inputs: [{ shape: [2, 2, 3], data: [...v, ...pos] }, { shape: [3, 2], data: [0.4, -0.2, 0.9, 0.1, -0.5, 0.7] }],
      f: (a, b) => a.matmul(b),
      ref: (a, b) => {
        const out = new Float64Array(8);
        for (let n = 0; n < 2; n++) for (let i = 0; i < 2; i++) for (let j = 0; j < 2; j++) {
          let s = 0;
          for (let k = 0; k < 3; k++) s += a[n * 6 + i * 3 + k]! * b[k * 2 + j]!;
          out[n * 4 + i * 2 + j] = s;
        }
        return out;
      },
    }));
});

describe('views and index ops', () => {
  const x10 = [0.1, -0.4, 0.7, 1.2, -0.9, 0.35, 0.8, -0.15, 0.55, -1.05];
  it('slice with a step', () =>
    checkGradient({
      name: 'slice step 3',
      inputs: [{ shape: [10], data: x10 }],
      f: (a) => a.slice(0, 1, null, 3).mul(a.slice(0, 0, 3)),
      ref: (a) => Float64Array.of(a[1]! * a[0]!, a[4]! * a[1]!, a[7]! * a[2]!),
    }));
  it('unfold with overlapping windows', () =>
    checkGradient({
      name: 'unfold',
      inputs: [{ shape: [10], data: x10 }],
      f: (a) => a.unfold(0, 4, 3).square(),
      ref: (a) => {
        const out: number[] = [];
        for (let w = 0; w < 3; w++) for (let k = 0; k < 4; k++) out.push(a[w * 3 + k]! ** 2);
        return Float64Array.from(out);
      },
    }));
  it('flip and permute', () =>
    checkGradient({
      name: 'flip/permute',
      inputs: [{ shape: [2, 3], data: v }],
      f: (a) => a.flip(1).t().mul(a.t()),
      ref: (a) => {
        const out: number[] = [];
        for (let j = 0; j < 3; j++) for (let i = 0; i < 2; i++) out.push(a[i * 3 + (2 - j)]! * a[i * 3 + j]!);
        return Float64Array.from(out);
      },
    }));
  it('indexSelect with repeated indices and scatterAdd', () =>
    checkGradient({
      name: 'indexSelect/scatterAdd',
      inputs: [{ shape: [4, 2], data: [0.3, -0.6, 0.9, 0.2, -0.4, 0.75, 0.15, -0.85] }, { shape: [3, 2], data: [0.5, 0.25, -0.75, 1.5, 0.6, -0.3] }],
      f: (a, s) => {
        const idx = torch.tensor([2, 0, 2], { dtype: 'int32' });
        const picked = a.indexSelect(0, idx);
        return picked.mul(picked).scatterAdd(0, idx.reshape([3, 1]).expand([3, 2]).contiguous(), s);
      },
      ref: (a, s) => {
        const idx = [2, 0, 2];
        const picked = idx.flatMap((r) => [a[r * 2]!, a[r * 2 + 1]!]).map((x) => x * x);
        const out = Float64Array.from(picked);
        // scatter_add(dim 0): out[idx[i]][j] += s[i][j], where out has picked's shape [3, 2].
        for (let i = 0; i < 3; i++) for (let j = 0; j < 2; j++) out[idx[i]! * 2 + j]! += s[i * 2 + j]!;
        return out;
      },
    }));
  it('cat, stack and repeat', () =>
    checkGradient({
      name: 'cat/stack/repeat',
      inputs: [{ shape: [2, 3], data: v }, { shape: [1, 3], data: [0.2, 0.4, -0.6] }],
      f: (a, b) => torch.cat([a, b], 0).repeat([1, 2]).sum({ dim: 0 }).mul(torch.stack([b.squeeze(0), b.squeeze(0)]).reshape([6])),
      ref: (a, b) => {
        const col = [0, 1, 2].map((j) => a[j]! + a[3 + j]! + b[j]!);
        const r = [...col, ...col];
        const s = [...b, ...b];
        return Float64Array.from(r.map((x, k) => x * s[k]!));
      },
    }));
});
