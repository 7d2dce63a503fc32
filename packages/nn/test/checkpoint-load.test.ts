/**
 * Loading checkpoints into a module without a second copy: loadSafetensorsInto reads a large
 * float tensor in slices (equal values for F32 and BF16, with the wasm memory growing by about a
 * slice, not by the tensor), and skipInit constructs a module without drawing its weights.
 */
import '@torchlet/backend-wasm';
import '@torchlet/autograd';
import * as torch from '@torchlet/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { Linear, Module, checkpointFiles, loadSafetensorsInto, saveSafetensors, utils } from '../src/index.ts';

beforeAll(async () => {
  await torch.setBackend('wasm');
});

class Big extends Module {
  // 3000 x 1000: 12 MB in float32, 6 MB as BF16 (both over the 4 MB slice).
  fc = new Linear(1000, 3000, { bias: true });

  forward(x: torch.Tensor): torch.Tensor {
    return this.fc.forward(x);
  }
}

const wasmBytes = (): number => Object.values(torch.memory().backends).reduce((n, b) => n + (b.reservedBytes ?? 0), 0);

/** A safetensors file written here in JavaScript (no tensor, so no wasm memory is used for it). */
function fileOf(tensors: Record<string, { shape: number[]; data: Float32Array }>): Uint8Array {
  let offset = 0;
  const header: Record<string, unknown> = {};
  for (const [k, t] of Object.entries(tensors)) header[k] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, (offset += t.data.byteLength)] };
  const json = new TextEncoder().encode(JSON.stringify(header).padEnd(Math.ceil((JSON.stringify(header).length + 8) / 8) * 8 - 8, ' '));
  const out = new Uint8Array(8 + json.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  let at = 8 + json.length;
  for (const t of Object.values(tensors)) {
    out.set(new Uint8Array(t.data.buffer), at);
    at += t.data.byteLength;
  }
  return out;
}

describe('loadSafetensorsInto', () => {
  // First in the file: the wasm memory is fresh, so the load cannot reuse a free block of an earlier test.
  it('grows the wasm memory by about a slice, not by the tensor, loading a 12 MB tensor', async () => {
    const weight = new Float32Array(3000 * 1000).map((_, i) => Math.sin(i));
    const bytes = fileOf({ 'fc.weight': { shape: [3000, 1000], data: weight }, 'fc.bias': { shape: [3000], data: new Float32Array(3000) } });
    const dst = utils.skipInit(Big);
    const before = wasmBytes();
    await loadSafetensorsInto(dst, checkpointFiles({ 'model.safetensors': bytes }));
    // Reading the whole tensor at once would put a second 12 MB copy in wasm memory next to the parameter.
    expect(wasmBytes() - before).toBeLessThanOrEqual(6 << 20);
    expect(dst.fc.weight.dataSync()[12345]).toBe(weight[12345]);
    dst.dispose();
  });

  it('loads F32 and BF16 tensors larger than a slice with the values of loadStateDict', async () => {
    torch.manualSeed(1);
    const src = new Big();
    for (const dtype of ['float32', 'bfloat16'] as const) {
      const sd = Object.fromEntries(Object.entries(src.stateDict()).map(([k, v]) => [k, v.to(dtype)]));
      const bytes = await saveSafetensors(sd);
      const dst = utils.skipInit(Big);
      await loadSafetensorsInto(dst, checkpointFiles({ 'model.safetensors': bytes }));
      for (const k of ['fc.weight', 'fc.bias']) {
        const want = sd[k]!.to('float32').dataSync(), got = dst.stateDict()[k]!.dataSync();
        expect(got.length).toBe(want.length);
        let same = true;
        for (let i = 0; i < want.length && same; i++) same = Object.is(got[i], want[i]);
        expect(same, `${dtype} ${k}`).toBe(true);
      }
      dst.dispose();
      for (const t of Object.values(sd)) t.dispose();
    }
    src.dispose();
  });

});

describe('utils.skipInit', () => {
  it('constructs without initialising (zeros) and without advancing the generator', () => {
    torch.manualSeed(7);
    const a = torch.rand([4]).dataSync();
    torch.manualSeed(7);
    const fc = utils.skipInit(Linear, 4, 2);
    expect(Array.from(fc.weight.dataSync())).toEqual(new Array(8).fill(0));
    expect(Array.from(torch.rand([4]).dataSync())).toEqual(Array.from(a));
    expect(new Linear(4, 2).weight.dataSync().some((x) => x !== 0)).toBe(true); // initialisation is back after
    expect(() => (utils.skipInit as (c: unknown) => unknown)(null)).toThrow(/expected a module class, got null/);
  });
});
