// torch.compile's matmul pass (core's compile/fuse-matmul.ts): a product whose result only the
// element-wise chain after it reads (a Linear's bias add and activation) replays as one fused
// matmul, whose epilogue the wasm kernel runs on each block of the product while it is in cache.
// Compiled must give the eager bits on wasm, on one thread and on a pool, for every shape.
import { beforeAll, describe, expect, it } from 'vitest';
import { createWasmBackend } from '@torchlet/backend-wasm';
import * as torch from '../src/index.ts';

const { nn, optim, F } = torch;

torch.registerBackend('wasm-epilogue-pool', () => createWasmBackend({ threads: 2, parallelThreshold: 1 }));
torch.registerBackend('wasm-epilogue-one', () => createWasmBackend({ threads: 1 }));

beforeAll(async () => {
  await torch.setBackend('wasm-epilogue-one');
});

/** Linear + ReLU, Linear (no bias) + GELU, Linear + tanh-GELU, Linear: four kinds of epilogue. */
const net = (): torch.nn.Sequential => new nn.Sequential(
  new nn.Linear(30, 47), new nn.ReLU(),
  new nn.Linear(47, 33, { bias: false }), new nn.GELU(),
  new nn.Linear(33, 21), new nn.GELU('tanh'),
  new nn.Linear(21, 5),
);

describe('torch.compile: matmul epilogues', () => {
  it('a forward with bias, ReLU, GELU and none: the eager bits for row counts on and off the 5-row tile', async () => {
    torch.manualSeed(0);
    const model = net();
    const f = (x: torch.Tensor): torch.Tensor => torch.noGrad(() => model.forward(x));
    const c = torch.compile(f);
    for (const rows of [1, 3, 13, 131]) {
      const x = torch.randn([rows, 30]);
      for (let i = 0; i < 3; i++) {
        const got = c(x);
        expect(await got.data(), `${rows} rows`).toEqual(await f(x).data());
        got.dispose();
      }
    }
    const s = c.stats();
    expect(s.replays).toBe(4);
    expect(s.lastPlan!.fusedMatmuls).toBe(4);
    // Four products and their epilogues: four calls where eager made more than ten.
    expect(s.lastPlan!.replayCalls).toBe(4);
    expect(s.lastPlan!.eagerCalls).toBeGreaterThan(10);
  });

  it('an MLP training step (cross-entropy, SGD with momentum): the eager losses and parameters bit for bit', async () => {
    const run = async (compiled: boolean): Promise<{ losses: number[]; params: number[][]; fused: number }> => {
      torch.manualSeed(1);
      const model = new nn.Sequential(new nn.Linear(40, 32), new nn.ReLU(), new nn.Linear(32, 16), new nn.ReLU(), new nn.Linear(16, 6));
      const opt = new optim.SGD(model.parameters(), { lr: 0.05, momentum: 0.9 });
      const x = torch.keep(torch.randn([23, 40])), y = torch.keep(torch.randint(0, 6, [23]));
      const body = (): torch.Tensor => {
        opt.zeroGrad();
        const l = F.crossEntropy(model.forward(x), y);
        l.backward();
        opt.step();
        return l.detach();
      };
      const step = compiled ? torch.compile(body) : body;
      const losses: number[] = [];
      for (let i = 0; i < 6; i++) losses.push(await torch.tidy(step).item());
      const params = await Promise.all(model.parameters().map(async (p) => Array.from(await p.data())));
      const fused = compiled ? (step as torch.CompiledFunction<[], torch.Tensor>).stats().lastPlan!.fusedMatmuls : 0;
      return { losses, params, fused };
    };
    const eager = await run(false), compiled = await run(true);
    expect(compiled.losses).toEqual(eager.losses);
    expect(compiled.params).toEqual(eager.params);
    expect(compiled.fused).toBeGreaterThanOrEqual(2);
  });

  it('the same bits on a pool of 2 threads (products split into row blocks)', async () => {
    const forward = async (backend: string): Promise<Float32Array[]> => {
      await torch.setBackend(backend);
      torch.manualSeed(2);
      const model = net();
      const c = torch.compile((x: torch.Tensor) => torch.noGrad(() => model.forward(x)));
      const x = torch.randn([131, 30]);
      const outs: Float32Array[] = [];
      for (let i = 0; i < 3; i++) outs.push((await c(x).data()) as Float32Array);
      expect(c.stats().lastPlan!.fusedMatmuls).toBe(4);
      return outs;
    };
    try {
      const one = await forward('wasm-epilogue-one'), pool = await forward('wasm-epilogue-pool');
      expect(pool).toEqual(one);
    } finally {
      await torch.setBackend('wasm-epilogue-one');
    }
  });

  it('leaves a product alone when something else reads it too, or with fusion off', async () => {
    torch.manualSeed(3);
    const w = torch.keep(torch.randn([8, 6])), b = torch.keep(torch.randn([6]));
    // The product is returned as well as its ReLU: it must be stored as it is.
    const f = (x: torch.Tensor): torch.Tensor[] => {
      const p = x.matmul(w);
      return [p, p.add(b).relu()];
    };
    const x = torch.randn([9, 8]);
    for (const options of [{}, { fusion: false }]) {
      const c = torch.compile(f, options);
      for (let i = 0; i < 3; i++) {
        const got = c(x), want = f(x);
        for (const [k, t] of got.entries()) expect(await t.data()).toEqual(await want[k]!.data());
      }
      expect(c.stats().lastPlan!.fusedMatmuls).toBe(0);
    }
  });
});
