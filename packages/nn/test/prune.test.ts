/**
 * Pruning against PyTorch 1.13.1: fixtures/make_prune_fixtures.py pruned small Linears with
 * l1_unstructured (twice), ln_structured (twice) and global_unstructured (twice) and saved the
 * state dicts; torchlet must reproduce the keys, their order and the values exactly.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import * as torch from '@torchlet/core';
import '@torchlet/autograd';
import { createReferenceBackend } from '../../core/test/reference-backend.ts';
import { Linear, ReLU, Sequential, loadSafetensors, readSafetensorsHeader, utils } from '../src/index.ts';

const { prune } = utils;
const bytes = new Uint8Array(readFileSync(fileURLToPath(new URL('./fixtures/prune.safetensors', import.meta.url))));
let fx: Record<string, torch.Tensor>;
const meta = readSafetensorsHeader(bytes).metadata!;

beforeAll(async () => {
  torch.registerBackend('reference', () => createReferenceBackend());
  await torch.setBackend('reference');
  fx = loadSafetensors(bytes);
});

function init(m: torch.Tensor | object, prefix: string): void {
  const sd: Record<string, torch.Tensor> = {};
  for (const [k, v] of Object.entries(fx)) if (k.startsWith(prefix)) sd[k.slice(prefix.length)] = v;
  (m as Linear).loadStateDict(sd);
}

async function expectState(sd: Record<string, torch.Tensor>, kase: string): Promise<void> {
  expect(Object.keys(sd).join(',')).toBe(meta[kase]);
  for (const [k, v] of Object.entries(sd)) expect([...(await v.data())], `${kase}.${k}`).toEqual([...(await fx[`${kase}.${k}`]!.data())]);
}

describe('prune (PyTorch 1.13.1 fixtures)', () => {
  it('l1Unstructured twice combines masks; forward uses orig * mask and the gradient reaches weight_orig masked', async () => {
    const lin = new Linear(8, 5);
    init(lin, 'init.l1.');
    prune.l1Unstructured(lin, 'weight', 0.3);
    prune.l1Unstructured(lin, 'weight', 0.5);
    expect(prune.isPruned(lin)).toBe(true);
    await expectState(lin.stateDict(), 'l1');
    expect(lin.parameters().length).toBe(2);
    lin.forward(fx['input.x']!).sum().backward();
    const orig = lin.stateDict().weight_orig!;
    const g = await orig.grad!.data(), want = await fx['l1.grad_orig']!.data();
    for (let i = 0; i < g.length; i++) expect(g[i]).toBeCloseTo(want[i]!, 5);
  });

  it('lnStructured (L2 on rows, then Linf on 2 columns)', async () => {
    const lin = new Linear(8, 5);
    init(lin, 'init.ln.');
    prune.lnStructured(lin, 'weight', 0.4, 2, 0);
    prune.lnStructured(lin, 'weight', 2, Infinity, 1);
    await expectState(lin.stateDict(), 'ln');
  });

  it('globalUnstructured over two layers (fraction, then a count)', async () => {
    const net = new Sequential(new Linear(8, 5), new ReLU(), new Linear(5, 3));
    init(net, 'init.global.');
    const params = [[net.at(0), 'weight'], [net.at(2), 'weight']] as const;
    prune.globalUnstructured(params, { amount: 0.5 });
    prune.globalUnstructured(params, { pruningMethod: 'l1', amount: 4 });
    await expectState(net.stateDict(), 'global');
    const report = prune.sparsityReport(net);
    expect(report.map((r) => r.name)).toEqual(['0.weight', '2.weight', 'total']);
    expect(report.at(-1)!.zeros).toBe(Math.round(0.5 * 55) + 4);
  });
});

describe('prune (behaviour)', () => {
  it('remove makes it permanent; customFromMask; randomUnstructured counts; errors', async () => {
    torch.manualSeed(0);
    const lin = new Linear(4, 3);
    prune.customFromMask(lin, 'weight', torch.tensor([[1, 0, 1, 1], [1, 1, 1, 1], [0, 0, 1, 1]]));
    prune.randomUnstructured(lin, 'weight', 2);
    const masked = [...(await torch.noGrad(() => lin.forward(torch.eye(4))).data())];
    expect(prune.sparsityReport(lin)[0]!.zeros).toBe(5);
    prune.remove(lin, 'weight');
    expect(prune.isPruned(lin)).toBe(false);
    expect(Object.keys(lin.stateDict())).toEqual(['weight', 'bias']);
    expect(lin.weight).toBeInstanceOf(torch.Tensor);
    expect(lin.parameters()).toContain(lin.weight);
    expect([...(await torch.noGrad(() => lin.forward(torch.eye(4))).data())]).toEqual(masked);
    expect(() => prune.l1Unstructured(lin, 'weight', 1.5)).toThrow(/amount=1.5 should either be a float in the range \[0, 1\] or a non-negative integer/);
    expect(() => prune.l1Unstructured(lin, 'weight', -2)).toThrow(/non-negative integer/);
    expect(() => prune.l1Unstructured(lin, 'weight', 13)).toThrow(/should be smaller than the number of parameters to prune=12/);
    expect(() => prune.l1Unstructured(lin, 'nope', 0.1)).toThrow(/has no parameter 'nope'/);
    expect(() => prune.remove(lin, 'weight')).toThrow(/is not pruned/);
  });
});
