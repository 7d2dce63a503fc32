// The same training through a Vite bundle in a page (`?threads=N`: on the wasm backend's thread
// pool, which needs the page cross-origin isolated); the result lands on window.__packTest.
import * as torch from 'torchlet';

async function main() {
  const { nn, optim, F } = torch;
  const threads = Number(new URLSearchParams(location.search).get('threads') ?? 1);
  await torch.setBackend('wasm', threads > 1 ? { threads, parallelThreshold: 0 } : undefined);
  torch.manualSeed(0);
  const x = torch.randn([32, 4]);
  const y = torch.tensor(Array.from({ length: 32 }, (_, i) => i % 3), { dtype: 'int32' });
  const net = new nn.Sequential(new nn.Linear(4, 16), new nn.ReLU(), new nn.Linear(16, 3));
  const opt = new optim.Adam(net.parameters(), { lr: 0.05 });
  const losses = [];
  for (let step = 0; step < 20; step++) {
    opt.zeroGrad();
    const loss = F.crossEntropy(net.forward(x), y);
    loss.backward();
    opt.step();
    losses.push(await loss.item());
    loss.dispose();
  }
  return { runtime: 'chromium', backend: torch.getBackendName(), threads: torch.getBackend().threads, first: losses[0], last: losses.at(-1) };
}

main().then(
  (r) => { window.__packTest = r; },
  (e) => { window.__packTest = { error: String(e && e.stack || e) }; },
);
