import '@torchlet/autograd';
import * as torch from '@torchlet/core';
import { createWasmBackend } from '@torchlet/backend-wasm';
import { it } from 'vitest';
it('attention decode shapes', async () => {
  torch.registerBackend('w1', () => createWasmBackend({ threads: 1 }));
  await torch.setBackend('w1');
  const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
  for (const [nh, S, hs] of [[6, 192, 48], [12, 192, 64], [12, 1024, 64]]) {
    const q = torch.randn([1, nh!, 1, hs!]), k = torch.randn([1, nh!, S!, hs!]), v = torch.randn([1, nh!, S!, hs!]);
    const mask = torch.zeros([1, 1, 1, S!]);
    const fused = torch.compile((q: torch.Tensor) => torch.fusedAttention(q, k, v, { mask }).add(1));
    const comp0 = torch.compile((q: torch.Tensor) => torch.tidy(() => torch.softmax(q.mul(1 / Math.sqrt(hs!)).matmul(k.transpose(-2, -1)).add(mask), -1).matmul(v).add(1)));
    const fusedE = () => fused(q); const comp = () => comp0(q);
    const a = fusedE(), b = comp();
    const d = a.sub(b).abs().max().dataSync()[0];
    for (const [name, f] of [['fused', fusedE], ['composite', comp]] as const) {
      for (let i = 0; i < 20; i++) f().dispose();
      const ts: number[] = [];
      for (let r = 0; r < 5; r++) { const t = cpu(); for (let i = 0; i < 50; i++) f().dispose(); ts.push((cpu() - t) / 50); }
      ts.sort((x, y) => x - y);
      console.log(nh, S, hs, name, ts[2]!.toFixed(3), 'ms', 'maxdiff', d, JSON.stringify((name === 'fused' ? fused : comp0).stats().lastPlan));
    }
  }
}, 600_000);
