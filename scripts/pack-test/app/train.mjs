// Runs in Node and Deno from the packed, installed packages: a few steps of a tiny MLP through
// the umbrella (`--threads N`: on the wasm backend's thread pool, every product sent to it).
// Prints one JSON line; exits 1 when the loss did not go down.
import * as torch from 'torchlet';

const { nn, optim, F } = torch;
const args = globalThis.Deno?.args ?? process.argv.slice(2);
const threads = args.includes('--threads') ? Number(args[args.indexOf('--threads') + 1]) : 1;
await torch.setBackend('wasm', threads > 1 ? { threads, parallelThreshold: 0 } : undefined);
torch.manualSeed(0);
const x = torch.randn([32, 4]);
const y = torch.tensor(Array.from({ length: 32 }, (_, i) => i % 3), { dtype: 'int32' });
const net = new nn.Sequential(new nn.Linear(4, 16), new nn.ReLU(), new nn.Linear(16, 3));
const opt = new optim.Adam(net.parameters(), { lr: 0.05 });
const losses = [];
for (let step = 0; step < 20; step++) {
  const loss = torch.tidy(() => {
    opt.zeroGrad();
    const l = F.crossEntropy(net.forward(x), y);
    l.backward();
    opt.step();
    return l;
  });
  losses.push(await loss.item());
  loss.dispose();
}
const result = {
  runtime: typeof Deno !== 'undefined' ? 'deno' : 'node', backend: torch.getBackendName(), threads: torch.getBackend().threads, first: losses[0], last: losses.at(-1),
};
console.log(JSON.stringify(result));
if (!(result.last < result.first)) {
  console.error('pack-test: the loss did not go down');
  (globalThis.process ?? globalThis.Deno).exit(1);
}
