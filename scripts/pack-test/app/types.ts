// Type-checked by tsc against the installed packages' .d.ts (no sources, no custom conditions).
import * as torch from 'torchlet';
import { Tensor, zeros } from '@torchlet/core';
import { Linear } from '@torchlet/nn';
import { SGD } from '@torchlet/optim';
import { DataLoader } from '@torchlet/datasets';
import { MultiheadAttention } from '@torchlet/transformer';
import { createWasmBackend } from '@torchlet/backend-wasm';
import { grad } from '@torchlet/autograd';

export const checks: unknown[] = [torch.nn.Linear, Tensor, zeros, Linear, SGD, DataLoader, MultiheadAttention, createWasmBackend, grad];
export async function step(net: Linear, x: Tensor): Promise<number> {
  const loss = net.forward(x).sum();
  loss.backward();
  return Number(await loss.item());
}
