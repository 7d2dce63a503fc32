/**
 * Fuzzing the safetensors reader: valid files mutated 12,000 times (truncations, byte flips in
 * the header and the data, lying header lengths, offsets out of range, huge shapes, broken JSON,
 * duplicate keys, dtype swaps, appended bytes). Each load must either succeed consistently with
 * its header (shapes, dtypes and every element as the header's offsets say), or throw a
 * SafetensorsError with a message; never a RangeError or TypeError from a typed-array
 * constructor, never a hang.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import * as torch from '@torchlet/core';
import { createReferenceBackend } from '../../core/test/reference-backend.ts';
import { loadSafetensors, saveSafetensors, SafetensorsError } from '../src/index.ts';

/** The quick run in CI; `TORCHLET_FUZZ_LONG=1` runs 20 times as many files (the long run). */
const ITERATIONS = process.env.TORCHLET_FUZZ_LONG ? 240_000 : 12_000;

beforeAll(async () => {
  torch.registerBackend('reference', () => createReferenceBackend());
  await torch.setBackend('reference');
});

/** mulberry32: a small seeded generator, so a failure reproduces. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const enc = new TextEncoder();
const dec = new TextDecoder();

function build(header: string, data: Uint8Array, n?: bigint): Uint8Array {
  const h = enc.encode(header);
  const out = new Uint8Array(8 + h.length + data.length);
  new DataView(out.buffer).setBigUint64(0, n ?? BigInt(h.length), true);
  out.set(h, 8);
  out.set(data, 8 + h.length);
  return out;
}

function split(bytes: Uint8Array): { header: string; data: Uint8Array } {
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  return { header: dec.decode(bytes.subarray(8, 8 + n)), data: bytes.slice(8 + n) };
}

type Entry = { dtype: string; shape: number[]; data_offsets: [number, number] };
const SIZE: Record<string, number> = { F32: 4, I32: 4, BOOL: 1, I64: 8, F16: 2, BF16: 2, F64: 8 };

/** Checks a successful load against the header, independently of the reader. */
async function checkConsistent(bytes: Uint8Array, out: Record<string, torch.Tensor>): Promise<void> {
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  const header = JSON.parse(dec.decode(bytes.subarray(8, 8 + n))) as Record<string, Entry>;
  const names = Object.keys(header).filter((k) => k !== '__metadata__');
  expect(Object.keys(out).sort()).toEqual(names.sort());
  const dv = new DataView(bytes.buffer, bytes.byteOffset + 8 + n);
  for (const name of names) {
    const e = header[name]!;
    const t = out[name]!;
    expect(t.shape).toEqual(e.shape);
    const numel = e.shape.reduce((a, b) => a * b, 1);
    expect(e.data_offsets[1] - e.data_offsets[0]).toBe(numel * SIZE[e.dtype]!);
    const got = await t.data();
    const at = e.data_offsets[0];
    for (let i = 0; i < numel; i++) {
      let want: number;
      if (e.dtype === 'F32') want = dv.getFloat32(at + 4 * i, true);
      else if (e.dtype === 'I32') want = dv.getInt32(at + 4 * i, true);
      else if (e.dtype === 'BOOL') want = dv.getUint8(at + i) ? 1 : 0;
      else if (e.dtype === 'I64') want = Number(dv.getBigInt64(at + 8 * i, true));
      else if (e.dtype === 'F64') want = Math.fround(dv.getFloat64(at + 8 * i, true));
      else if (e.dtype === 'BF16') {
        const w = new DataView(new ArrayBuffer(4));
        w.setUint32(0, dv.getUint16(at + 2 * i, true) << 16);
        want = w.getFloat32(0);
      } else continue; // F16 is checked against PyTorch in the interop test
      if (Number.isNaN(want)) expect(Number.isNaN(got[i]!)).toBe(true);
      else expect(got[i]).toBe(want);
    }
  }
}

describe('safetensors fuzz', { timeout: process.env.TORCHLET_FUZZ_LONG ? 3_600_000 : 120_000 }, () => {
  it(`${ITERATIONS} mutated files: consistent load or a SafetensorsError, never a crash or hang`, async () => {
    // Seeds: several dtypes, a 0-d and an empty tensor, metadata, and I64/F16/BF16/F64 entries.
    const a = torch.fromArray(Float32Array.from({ length: 12 }, (_, i) => i * 0.5 - 2), [3, 4]);
    const b = torch.tensor([1, -2, 3], { dtype: 'int32' });
    const c = torch.tensor([true, false, true, true]);
    const s = torch.tensor(7.25);
    const z = torch.zeros([0, 5]);
    const seeds = [
      await saveSafetensors({ 'layer.weight': a, 'layer.bias': b, mask: c, s, empty: z }, { format: 'pt' }),
      await saveSafetensors({ w: a }),
      build(
        '{"i":{"dtype":"I64","shape":[2],"data_offsets":[0,16]},"d":{"dtype":"F64","shape":[1],"data_offsets":[16,24]},"h":{"dtype":"F16","shape":[2],"data_offsets":[24,28]},"g":{"dtype":"BF16","shape":[2],"data_offsets":[28,32]}}',
        Uint8Array.from([5, 0, 0, 0, 0, 0, 0, 0, 255, 255, 255, 255, 255, 255, 255, 255, 0, 0, 0, 0, 0, 0, 240, 63, 0, 60, 0, 192, 128, 63, 0, 64]),
      ),
    ];
    for (const t of [a, b, c, s, z]) t.dispose();

    const r = rng(12345);
    const int = (k: number): number => Math.floor(r() * k);
    const pick = <T,>(xs: readonly T[]): T => xs[int(xs.length)]!;
    const counts = { ok: 0, rejected: 0 };
    const byKind: Record<string, number> = {};
    const messages = new Map<string, number>();
    let slowest = 0;

    const mutate = (seed: Uint8Array): [string, Uint8Array] => {
      const { header, data } = split(seed);
      const kinds = ['truncate', 'flipHeader', 'flipData', 'lieLength', 'offsets', 'hugeShape', 'badJson', 'duplicate', 'dtype', 'append', 'shapeEdit'] as const;
      const kind = pick(kinds);
      const out = seed.slice();
      switch (kind) {
        case 'truncate':
          return [kind, seed.slice(0, int(seed.length))];
        case 'flipHeader': {
          for (let k = 1 + int(3); k > 0; k--) out[8 + int(header.length)] ^= 1 << int(8);
          return [kind, out];
        }
        case 'flipData': {
          if (data.length) for (let k = 1 + int(8); k > 0; k--) out[seed.length - 1 - int(data.length)] = int(256);
          return [kind, out];
        }
        case 'lieLength': {
          const n = BigInt(header.length);
          const lies = [0n, n - 1n, n + 1n, n - BigInt(1 + int(16)), n + BigInt(1 + int(64)), BigInt(seed.length), BigInt(seed.length - 7), 100_000_001n, (1n << 64n) - 1n, 1n << 53n, BigInt(int(2 ** 31))];
          return [kind, build(header, data, pick(lies) < 0n ? 0n : pick(lies))];
        }
        case 'offsets': {
          const nums = [...header.matchAll(/"data_offsets":\[(\d+),(\d+)\]/g)];
          if (!nums.length) return [kind, out];
          const m = pick(nums);
          const vals = [0, 1, 4, data.length, data.length + 1, data.length - 1, 2 ** 32, 2 ** 53, 2 ** 53 + 2, 1e300, -4, int(data.length + 8)];
          const rep = `"data_offsets":[${pick(vals)},${pick([m[2], String(pick(vals))])}]`;
          return [kind, build(header.slice(0, m.index) + rep + header.slice(m.index! + m[0].length), data)];
        }
        case 'hugeShape': {
          const dims = ['4294967296', '9007199254740991', '9007199254740993', '18446744073709551617', '1e30', '0', '65536', '3.5', '-1', '"3"', 'null'];
          const shape = `[${Array.from({ length: 1 + int(4) }, () => pick(dims)).join(',')}]`;
          return [kind, build(header.replace(/"shape":\[[^\]]*\]/, `"shape":${shape}`), data)];
        }
        case 'badJson': {
          const i = int(header.length);
          const junk = pick(['', '{', '}', '[', ']', '"', ',', ':', '\\', '\u0000', '\u00e9', '\ud800', 'nul', '1e', '-', ' ']);
          return [kind, build(header.slice(0, i) + junk + header.slice(i + int(3)), data)];
        }
        case 'duplicate': {
          const m = /"([^"]+)":\{"dtype"[^}]*\}/.exec(header);
          if (!m) return [kind, out];
          return [kind, build(header.replace(/\}\s*$/, `,${m[0]}}`), data)];
        }
        case 'dtype': {
          const d = pick(['F32', 'I32', 'BOOL', 'I64', 'F16', 'BF16', 'F64', 'U8', 'F8_E4M3', 'f32', '', 'F32 ']);
          return [kind, build(header.replace(/"dtype":"[^"]*"/, `"dtype":"${d}"`), data)];
        }
        case 'append': {
          const extra = Uint8Array.from({ length: 1 + int(16) }, () => int(256));
          const joined = new Uint8Array(seed.length + extra.length);
          joined.set(seed);
          joined.set(extra, seed.length);
          return [kind, joined];
        }
        case 'shapeEdit': {
          // A consistent-looking but different shape: reshape a tensor in place (same numel) or not.
          return [kind, build(header.replace(/"shape":\[(\d+),(\d+)\]/, (_m, x: string, y: string) => (r() < 0.5 ? `"shape":[${y},${x}]` : `"shape":[${Number(x) + 1},${y}]`)), data)];
        }
      }
    };

    const tensorsBefore = torch.memory().tensors;
    const start = performance.now();
    for (let it = 0; it < ITERATIONS; it++) {
      const [kind, bytes] = mutate(pick(seeds));
      byKind[kind] = (byKind[kind] ?? 0) + 1;
      const t0 = performance.now();
      let out: Record<string, torch.Tensor> | null = null;
      try {
        out = loadSafetensors(bytes);
      } catch (e) {
        if (!(e instanceof SafetensorsError)) throw new Error(`iteration ${it} (${kind}): expected a SafetensorsError, got ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
        expect(e.message).toMatch(/^safetensors: \S/);
        counts.rejected++;
        const key = e.message.replace(/"[^"]*"/g, '"…"').replace(/\d+/g, 'N').slice(0, 70);
        messages.set(key, (messages.get(key) ?? 0) + 1);
      }
      slowest = Math.max(slowest, performance.now() - t0);
      if (out) {
        counts.ok++;
        await checkConsistent(bytes, out);
        for (const t of Object.values(out)) t.dispose();
      }
    }
    const seconds = (performance.now() - start) / 1000;
    const top = [...messages.entries()].sort((x, y) => y[1] - x[1]).slice(0, 8).map(([m, k]) => `    ${k}  ${m}`);
    console.log(
      `safetensors fuzz: ${ITERATIONS} files in ${seconds.toFixed(1)} s (slowest load ${slowest.toFixed(1)} ms): ${counts.ok} loaded consistently, ${counts.rejected} rejected with a SafetensorsError\n` +
        `  mutations: ${JSON.stringify(byKind)}\n  most frequent rejections:\n${top.join('\n')}`,
    );
    expect(counts.ok).toBeGreaterThan(100);
    expect(counts.rejected).toBeGreaterThan(ITERATIONS / 2);
    expect(slowest).toBeLessThan(1000);
    expect(seconds).toBeLessThan(15 * (ITERATIONS / 12_000)); // about 1 ms a file, with room for a busy machine
    expect(torch.memory().tensors - tensorsBefore).toBe(0);
  });
});
