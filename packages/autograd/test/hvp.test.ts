// Second-order gradients: a Hessian-vector product of a small MLP's loss through createGraph,
// against float64 finite differences of the same loss written in plain TypeScript.
import { beforeAll, expect, it } from 'vitest';
import * as torch from '@torchlet/core';
import { grad, gradOf } from '../src/index.ts';
import { useWasm } from './setup.ts';

beforeAll(useWasm);

const N = 4, D = 3, H = 5;
const rnd = (n: number, seed: number): number[] =>
  Array.from({ length: n }, (_, i) => Math.round(Math.sin(seed * 97.1 + i * 12.9898) * 43758.5453 % 1 * 1000) / 1000);
const X = rnd(N * D, 1), Y = rnd(N, 2), W1 = rnd(D * H, 3).map((x) => x * 0.8), W2 = rnd(H, 4), V1 = rnd(D * H, 5), V2 = rnd(H, 6);

/** loss = mean((tanh(X W1) W2 - Y)^2) in float64. */
function lossRef(w1: Float64Array, w2: Float64Array): number {
  let total = 0;
  for (let n = 0; n < N; n++) {
    let out = 0;
    for (let h = 0; h < H; h++) {
      let z = 0;
      for (let d = 0; d < D; d++) z += X[n * D + d]! * w1[d * H + h]!;
      out += Math.tanh(z) * w2[h]!;
    }
    total += (out - Y[n]!) ** 2;
  }
  return total / N;
}

function loss(w1: torch.Tensor, w2: torch.Tensor): torch.Tensor {
  const x = torch.tensor(X).reshape([N, D]);
  const y = torch.tensor(Y).reshape([N, 1]);
  return x.matmul(w1).tanh().matmul(w2).sub(y).pow(2).mean();
}

/** H v for both parameter blocks, by the four-point finite-difference formula in float64. */
function hvpRef(): Float64Array {
  const w = Float64Array.from([...W1.map((x) => Math.fround(x)), ...W2.map((x) => Math.fround(x))]);
  const v = Float64Array.from([...V1.map((x) => Math.fround(x)), ...V2.map((x) => Math.fround(x))]);
  const L = (p: Float64Array): number => lossRef(p.subarray(0, D * H), p.subarray(D * H));
  const e = 1e-4;
  return w.map((_, k) => {
    const at = (a: number, b: number): number => {
      const p = w.map((x, i) => x + a * e * v[i]! + (i === k ? b * e : 0));
      return L(p);
    };
    return (at(1, 1) - at(1, -1) - at(-1, 1) + at(-1, -1)) / (4 * e * e);
  });
}

function expectClose(got: number[], want: Float64Array): void {
  got.forEach((g, i) => expect(Math.abs(g - want[i]!), `Hv[${i}] = ${g}, finite difference ${want[i]}`).toBeLessThanOrEqual(2e-4 + 2e-3 * Math.abs(want[i]!)));
}

it('Hessian-vector product through gradOf(createGraph) matches finite differences', () => {
  const w1 = torch.tensor(W1, { requiresGrad: true }).reshape([D, H]);
  const w2 = torch.tensor(W2, { requiresGrad: true }).reshape([H, 1]);
  const [g1, g2] = gradOf(loss(w1, w2), [w1, w2], { createGraph: true });
  const gv = g1!.mul(torch.tensor(V1).reshape([D, H])).sum().add(g2!.mul(torch.tensor(V2).reshape([H, 1])).sum());
  const [h1, h2] = gradOf(gv, [w1, w2]);
  expectClose([...h1!.dataSync(), ...h2!.dataSync()], hvpRef());
});

it('the same product with nested grad() and with backward({ createGraph })', () => {
  const v1 = torch.tensor(V1).reshape([D, H]), v2 = torch.tensor(V2).reshape([H, 1]);
  const hvp = grad(
    (a: torch.Tensor, b: torch.Tensor) => {
      const [ga, gb] = grad(loss, { argnums: [0, 1] })(a, b) as torch.Tensor[];
      return ga!.mul(v1).sum().add(gb!.mul(v2).sum());
    },
    { argnums: [0, 1] },
  );
  const [h1, h2] = hvp(torch.tensor(W1).reshape([D, H]), torch.tensor(W2).reshape([H, 1])) as torch.Tensor[];
  const want = hvpRef();
  expectClose([...h1!.dataSync(), ...h2!.dataSync()], want);

  const w1 = torch.tensor(W1).reshape([D, H]).requiresGrad_(), w2 = torch.tensor(W2).reshape([H, 1]).requiresGrad_();
  loss(w1, w2).backward(undefined, { createGraph: true });
  const g1 = w1.grad!, g2 = w2.grad!;
  w1.grad = null;
  w2.grad = null;
  g1.mul(v1).sum().add(g2.mul(v2).sum()).backward();
  expectClose([...w1.grad!.dataSync(), ...w2.grad!.dataSync()], want);
});

it('a slice\'s gradient: zeros and one copy in a plain backward, differentiable again under createGraph', async () => {
  const x = torch.tensor([1, 2, 3, 4, 5]).requiresGrad_();
  // Plain backward: the window [1, 3) gets 3 x^2, the rest 0.
  x.narrow(0, 1, 2).pow(3).sum().backward();
  expect(Array.from(await x.grad!.data())).toEqual([0, 12, 27, 0, 0]);
  // createGraph: the same gradient, whose own gradient is 6 x in the window.
  const [g] = gradOf(x.narrow(0, 1, 2).pow(3).sum(), [x], { createGraph: true });
  expect(Array.from(await g!.data())).toEqual([0, 12, 27, 0, 0]);
  const [gg] = gradOf(g!.sum(), [x]);
  expect(Array.from(await gg!.data())).toEqual([0, 12, 18, 0, 0]);
});
