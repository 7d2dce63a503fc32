/**
 * Safetensors interop with PyTorch 1.13.1, both ways.
 *
 * PyTorch -> torchlet: fixtures/make_fixtures.py wrote the seed MLP's state_dict, an input batch
 * and PyTorch's output (plus one tensor per dtype the loader converts); torchlet loads them into
 * the same architecture and must match within 1e-5, and re-saving must give the same bytes.
 *
 * torchlet -> PyTorch: torchlet writes a checkpoint, its input and its output; the bytes are
 * checked against the format here, and when `/usr/bin/python3 -c "import torch"` works,
 * fixtures/check_torchlet_checkpoint.py loads them into PyTorch and compares outputs. Without
 * python3-torch that step is reported as not run, except under CI=true, where it must run
 * (scripts/setup-machine.sh installs python3-torch).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as torch from '@torchlet/core';
import { createReferenceBackend } from '../../core/test/reference-backend.ts';
import { Linear, ReLU, Sequential, loadSafetensors, readSafetensorsHeader, saveSafetensors } from '../src/index.ts';

const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));
const PYTHON = '/usr/bin/python3';

beforeAll(async () => {
  torch.registerBackend('reference', () => createReferenceBackend());
  await torch.setBackend('reference');
});

const seedMlp = (): Sequential => new Sequential(new Linear(784, 128), new ReLU(), new Linear(128, 64), new ReLU(), new Linear(64, 10));

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

function disposeAll(sd: Record<string, torch.Tensor>): void {
  for (const t of Object.values(sd)) t.dispose();
}

describe('PyTorch -> torchlet', () => {
  const modelBytes = new Uint8Array(readFileSync(join(FIXTURES, 'mlp.safetensors')));
  const ioBytes = new Uint8Array(readFileSync(join(FIXTURES, 'mlp_io.safetensors')));

  it("loads PyTorch's seed MLP and matches its output within 1e-5", async () => {
    expect(readSafetensorsHeader(modelBytes).metadata).toEqual({ format: 'pt' });
    const state = loadSafetensors(modelBytes);
    expect(Object.keys(state).sort()).toEqual(['0.bias', '0.weight', '2.bias', '2.weight', '4.bias', '4.weight']);
    const io = loadSafetensors(ioBytes);
    const net = seedMlp();
    net.loadStateDict(state);
    const y = torch.noGrad(() => net.forward(io.input!));
    expect(y.shape).toEqual([2, 10]);
    const diff = maxAbsDiff(await y.data(), await io.output!.data());
    console.log(`interop PyTorch -> torchlet: max |torchlet - pytorch| = ${diff.toExponential(2)}`);
    expect(diff).toBeLessThanOrEqual(1e-5);
    // Saving the loaded state again writes exactly the bytes PyTorch's side wrote.
    const again = await saveSafetensors(net.stateDict(), { format: 'pt' });
    expect(Buffer.from(again).equals(Buffer.from(modelBytes))).toBe(true);
    y.dispose();
    net.dispose();
    disposeAll(state);
    disposeAll(io);
  });

  it('converts F64, F16 (subnormals too), BF16 and I64 as PyTorch does; BOOL, 0-d and empty tensors load', async () => {
    const io = loadSafetensors(ioBytes);
    // F16 and BF16 keep their dtype (bit for bit: see safetensors-half.test.ts); their values are PyTorch's .float()
    const dtypes = { f64: 'float32', f16: 'float16', bf16: 'bfloat16', i64: 'int32' } as const;
    for (const [name, ref] of [['f64', 'f64_as_f32'], ['f16', 'f16_as_f32'], ['bf16', 'bf16_as_f32'], ['i64', 'i64_as_i32']] as const) {
      expect(io[name]!.dtype, name).toBe(dtypes[name]);
      expect(io[name]!.shape, name).toEqual(io[ref]!.shape);
      expect(Array.from(await io[name]!.data()), name).toEqual(Array.from(await io[ref]!.data()));
    }
    expect(io.mask!.dtype).toBe('bool');
    expect(Array.from(await io.mask!.data())).toEqual([1, 0, 1]);
    expect(io.scalar!.shape).toEqual([]);
    expect(await io.scalar!.item()).toBe(2.5);
    expect(io.empty!.shape).toEqual([0, 3]);
    disposeAll(io);
  });
});

describe('torchlet -> PyTorch', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'torchlet-safetensors-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes a checkpoint PyTorch loads into the same MLP with the same outputs', async () => {
    torch.manualSeed(7);
    const net = seedMlp();
    const x = torch.rand([3, 784]);
    const y = torch.noGrad(() => net.forward(x));
    const model = await saveSafetensors(net.stateDict());
    const io = await saveSafetensors({ input: x, output: y });

    // The bytes, checked against the format without any reader of ours.
    const n = Number(new DataView(model.buffer, model.byteOffset).getBigUint64(0, true));
    expect(n % 8).toBe(0);
    const text = new TextDecoder().decode(model.subarray(8, 8 + n));
    expect(text).toMatch(/^\{.*\} *$/);
    const header = JSON.parse(text) as Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
    const keys = Object.keys(header);
    expect(keys).toEqual(['0.bias', '0.weight', '2.bias', '2.weight', '4.bias', '4.weight']); // sorted (all F32)
    let at = 0;
    for (const k of keys) {
      const e = header[k]!;
      const t = net.stateDict()[k]!;
      expect(e.dtype).toBe('F32');
      expect(e.shape).toEqual(t.shape);
      expect(e.data_offsets).toEqual([at, at + 4 * t.numel()]);
      const bytes = model.slice(8 + n + e.data_offsets[0], 8 + n + e.data_offsets[1]);
      expect(Array.from(new Float32Array(bytes.buffer))).toEqual(Array.from(await t.data()));
      at = e.data_offsets[1];
    }
    expect(8 + n + at).toBe(model.length);

    const modelPath = join(dir, 'model.safetensors');
    const ioPath = join(dir, 'io.safetensors');
    writeFileSync(modelPath, model);
    writeFileSync(ioPath, io);
    const probe = spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8', timeout: 60_000 });
    if (probe.status !== 0) {
      const why = probe.error ? probe.error.message : (probe.stderr || '').trim().split('\n').pop();
      if (process.env.CI === 'true') throw new Error(`interop torchlet -> PyTorch: ${PYTHON} cannot import torch under CI=true (scripts/setup-machine.sh installs python3-torch): ${why}`);
      console.log(`interop torchlet -> PyTorch: NOT RUN (${PYTHON} cannot import torch: ${why}); the file format was checked byte by byte`);
    } else {
      const r = spawnSync(PYTHON, [join(FIXTURES, 'check_torchlet_checkpoint.py'), modelPath, ioPath], {
        encoding: 'utf8', timeout: 120_000, env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' },
      });
      console.log(`interop torchlet -> PyTorch: ${(r.stdout || '').trim()}${r.stderr ? `\n${r.stderr.trim()}` : ''}`);
      expect(r.status).toBe(0);
    }
    x.dispose();
    y.dispose();
    net.dispose();
  });
});
