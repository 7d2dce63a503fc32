/**
 * float16 / bfloat16 / int64 checkpoints with PyTorch 1.13.1, both ways, on the wasm backend.
 *
 * PyTorch -> torchlet: fixtures/make_half_fixtures.py wrote a small model's float32 state dict,
 * the same after `model.half()` and `model.bfloat16()`, an input with the outputs of
 * `model.half().float()` and `model.bfloat16().float()`, float32 specials with PyTorch's
 * conversions, and I64 tensors. torchlet must load F16/BF16 bit for bit, convert as PyTorch
 * does (Module.half() gives PyTorch's bytes exactly) and match the outputs.
 *
 * torchlet -> PyTorch: torchlet writes F16, BF16 and I64 tensors; fixtures/check_half_checkpoint.py
 * compares them with PyTorch's own conversions bit for bit (run when /usr/bin/python3 has torch;
 * required under CI=true, as in safetensors-interop.test.ts).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as torch from '@torchlet/core';
import '@torchlet/backend-wasm';
import { GELU, LayerNorm, Linear, Sequential, SafetensorsError, loadSafetensors, saveSafetensors } from '../src/index.ts';

const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));
const PYTHON = '/usr/bin/python3';
const file = (name: string): Uint8Array => new Uint8Array(readFileSync(join(FIXTURES, name)));

beforeAll(async () => {
  await torch.setBackend('wasm');
});

const halfNet = (): Sequential => new Sequential(new Linear(16, 32), new GELU(), new LayerNorm(32), new Linear(32, 8));

async function bits(t: torch.Tensor): Promise<number[]> {
  return Array.from(await torch.readStorage(t));
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

describe('PyTorch -> torchlet (F16, BF16, I64)', () => {
  it('F16 and BF16 load bit for bit with their dtype; I64 loads as int32', async () => {
    const io = loadSafetensors(file('half_io.safetensors'));
    expect(io.specials_f16!.dtype).toBe('float16');
    expect(io.specials_bf16!.dtype).toBe('bfloat16');
    // the same bits the file holds, and the same as torchlet's own conversion on the device
    for (const [name, dtype] of [['specials_f16', 'float16'], ['specials_bf16', 'bfloat16']] as const) {
      const mine = io.specials!.to(dtype);
      expect(await bits(mine), name).toEqual(await bits(io[name]!));
      mine.dispose();
    }
    expect(io.index!.dtype).toBe('int32');
    expect(await io.index!.tolist()).toEqual([[2, 0], [-2147483648, 2147483647]]);
    for (const t of Object.values(io)) t.dispose();
  });

  it('an I64 value outside int32 is refused, naming the tensor', () => {
    expect(() => loadSafetensors(file('half_big_i64.safetensors'))).toThrow(SafetensorsError);
    expect(() => loadSafetensors(file('half_big_i64.safetensors'))).toThrow(/tensor "big": I64 element 1 is 2147483648, outside the int32 range/);
  });

  for (const [dtype, suffix, method] of [['float16', 'f16', 'half'], ['bfloat16', 'bf16', 'bfloat16']] as const) {
    it(`Module.${method}() gives PyTorch's ${suffix.toUpperCase()} state dict byte for byte, and .float() its outputs`, async () => {
      const net = halfNet();
      const state = loadSafetensors(file('half_model.safetensors'));
      net.loadStateDict(state);
      const w = net.parameters()[0]!;
      net[method]();
      expect(net.parameters()[0]).toBe(w); // the same Parameter object, now in the new dtype
      expect(w.dtype).toBe(dtype);
      expect(w.requiresGrad).toBe(true);
      // saving writes exactly what PyTorch wrote for model.half() / model.bfloat16()
      const saved = await saveSafetensors(net.stateDict());
      expect(Buffer.from(saved).equals(Buffer.from(file(`half_model_${suffix}.safetensors`)))).toBe(true);

      const io = loadSafetensors(file('half_io.safetensors'));
      net.float();
      expect(w.dtype).toBe('float32');
      const y = torch.noGrad(() => net.forward(io.input!));
      const diff = maxAbsDiff(await y.data(), await io[`y_${suffix}`]!.data());
      console.log(`model.${method}().float(): max |torchlet - pytorch| = ${diff.toExponential(2)}`);
      expect(diff).toBeLessThanOrEqual(1e-5);

      // a half-stored checkpoint loads into a float32 model (loadStateDict converts), same outputs
      const fresh = halfNet();
      const halfState = loadSafetensors(file(`half_model_${suffix}.safetensors`));
      fresh.loadStateDict(halfState);
      const y2 = torch.noGrad(() => fresh.forward(io.input!));
      expect(maxAbsDiff(await y2.data(), await io[`y_${suffix}`]!.data())).toBeLessThanOrEqual(1e-5);
      for (const t of [y, y2, ...Object.values(io), ...Object.values(state), ...Object.values(halfState)]) t.dispose();
      net.dispose();
      fresh.dispose();
    });
  }

  it('Module.to() refuses non-float dtypes and unknown names, as PyTorch', () => {
    const net = halfNet();
    expect(() => net.to('int64')).toThrow(/Module.to: only accepts floating point dtypes .*got desired dtype=int32/);
    expect(() => net.to('cuda' as never)).toThrow(/Module.to: unknown dtype 'cuda'/);
    expect(() => net.to('float64' as never)).toThrow(/Module.to: float64 is not supported/);
    net.dispose();
  });
});

describe('torchlet -> PyTorch (F16, BF16, I64)', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'torchlet-half-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("writes F16, BF16 and I64 that PyTorch reads as its own conversions, bit for bit", async () => {
    const io = loadSafetensors(file('half_io.safetensors'));
    const net = halfNet();
    const state = loadSafetensors(file('half_model.safetensors'));
    net.loadStateDict(state);
    net.half();
    const out = {
      specials: io.specials!,
      f16: io.specials!.to('float16'),
      bf16: io.specials!.to('bfloat16'),
      index: torch.tensor([[2, 0], [-2147483648, 2147483647]], { dtype: 'int64' }),
      model_f16: net.parameters()[0]!,
    };
    const bytes = await saveSafetensors(out, null, { int64: true });
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + Number(new DataView(bytes.buffer).getBigUint64(0, true))))) as Record<string, { dtype: string }>;
    expect([header.f16!.dtype, header.bf16!.dtype, header.index!.dtype, header.model_f16!.dtype]).toEqual(['F16', 'BF16', 'I64', 'F16']);
    // I64 without the option is I32; bad options throw
    expect(JSON.stringify(readHeader(await saveSafetensors({ index: out.index })))).toContain('"I32"');
    await expect(saveSafetensors({ index: out.index }, null, { int_64: true } as never)).rejects.toThrow(/unknown option 'int_64'/);

    const path = join(dir, 'half.safetensors');
    writeFileSync(path, bytes);
    const hasTorch = spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8' }).status === 0;
    if (!hasTorch) {
      if (process.env.CI === 'true') throw new Error(`CI=true but ${PYTHON} cannot import torch: the PyTorch check must run on CI`);
      console.log('torchlet -> PyTorch half check: NOT RUN (no python3-torch)');
    } else {
      const r = spawnSync(PYTHON, [join(FIXTURES, 'check_half_checkpoint.py'), path], { encoding: 'utf8', cwd: FIXTURES });
      console.log(`torchlet -> PyTorch half check: ${r.stdout.trim()} ${r.stderr.trim()}`);
      expect(r.status).toBe(0);
    }
    for (const t of [out.f16, out.bf16, out.index, ...Object.values(io), ...Object.values(state)]) t.dispose();
    net.dispose();
  });
});

function readHeader(bytes: Uint8Array): unknown {
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  return JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
}
