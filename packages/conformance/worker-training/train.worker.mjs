/**
 * The training worker of the worker-training checks (checks.ts), in plain JavaScript so that
 * Node's worker_threads load it as it is (Deno and Vite load it too): a tiny MLP learning the sign
 * of a sum with Adam, one fresh random batch per step, so a resumed run matches an uninterrupted
 * one only if the model, the optimizer state and the random generator all come back.
 * config: { steps, seed?, throwAt?, crashAt? }; returns the final weights.
 */
import * as torch from 'torchlet';

const { nn, optim, F } = torch;

torch.serveTraining(async (ctx) => {
  const { steps, seed = 0, throwAt, crashAt } = ctx.config;
  await torch.setBackend('wasm');
  torch.manualSeed(seed);
  const model = new nn.Sequential(new nn.Linear(4, 8), new nn.Tanh(), new nn.Linear(8, 2));
  const optimizer = new optim.Adam(model.parameters(), { lr: 0.05 });
  const start = await ctx.resume({ model, optimizer });
  for (let step = start; step < steps; step++) {
    if (step === throwAt) throw new RangeError(`boom at step ${step}`);
    if (step === crashAt) {
      // An exception outside the training function: the worker dies without answering.
      setTimeout(() => {
        throw new Error(`crash at step ${step}`);
      });
      await new Promise(() => {});
    }
    const x = torch.randn([16, 4]);
    const y = x.sum({ dim: 1 }).gt(0).int();
    const loss = F.crossEntropy(model.forward(x), y);
    optimizer.zeroGrad();
    loss.backward();
    optimizer.step();
    await ctx.progress({ step: step + 1, loss: await loss.item() });
  }
  const weights = [];
  for (const p of model.parameters()) weights.push(...(await p.data()));
  return { weights, start };
});
