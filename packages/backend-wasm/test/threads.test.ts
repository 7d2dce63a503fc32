// The thread pool: every product and attention pass it splits gives bit-for-bit the result of
// the single-threaded backend (each output element is computed by the same kernel over the same
// depth order; threads only own different rows or (batch, head) pairs), over odd shapes, every
// operand layout, batches with broadcasting, and part counts that do not divide the work.
import { afterAll, describe, expect, it, vi } from 'vitest';
import { existsSync, readdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { BINARY_OPS, UNARY_OPS, checkProgram, checkReduction, contiguousStrides, kernelDtypes, opKind, type ReductionProgram, type View } from '@torchlet/core';
import { createWasmBackend, supportsThreads, type WasmBackend } from '../src/index.ts';
import { ThreadPool } from '../src/threads.ts';
import { layoutOf, LAYOUTS, numel, randomValues, rng, type LayoutKind } from './helpers.ts';

const single = await createWasmBackend({ variant: 'simd', threads: 1 });
// parallelThreshold 0: everything the pool can split goes to it, however small.
const pools = {
  two: await createWasmBackend({ variant: 'simd', threads: 2, parallelThreshold: 0 }),
  three: await createWasmBackend({ variant: 'simd', threads: 3, parallelThreshold: 0 }),
};

afterAll(() => {
  for (const be of Object.values(pools)) be.destroy();
});

/** The same host data uploaded to `be` as a view of `shape` laid out as `kind`. */
function place(be: WasmBackend, data: Float32Array, shape: readonly number[], kind: LayoutKind): View {
  const { strides, offset } = layoutOf(shape, kind);
  const buffer = be.alloc(data.byteLength);
  be.write(buffer, data);
  return { buffer, dtype: 'float32', shape: [...shape], strides, offset };
}

function output(be: WasmBackend, shape: readonly number[]): View {
  return { buffer: be.alloc(Math.max(1, numel(shape)) * 4), dtype: 'float32', shape: [...shape], strides: contiguousStrides(shape), offset: 0 };
}

function hostData(shape: readonly number[], kind: LayoutKind, seed: number): Float32Array {
  return randomValues('float32', layoutOf(shape, kind).length, rng(seed)) as Float32Array;
}

/** Runs a matmul on `be` and returns the result's values. */
function matmulOn(be: WasmBackend, a: Float32Array, aShape: number[], aKind: LayoutKind, b: Float32Array, bShape: number[], bKind: LayoutKind, outShape: number[]): Float32Array {
  const va = place(be, a, aShape, aKind), vb = place(be, b, bShape, bKind), vc = output(be, outShape);
  try {
    be.matmul(va, vb, vc);
    return be.readSync(vc) as Float32Array;
  } finally {
    for (const v of [va, vb, vc]) be.free(v.buffer);
  }
}

describe('wasm thread pool', () => {
  it('runs where memory can be shared (Node)', () => {
    expect(supportsThreads()).toBe(true);
    expect(pools.two.threads).toBe(2);
    expect(pools.three.threads).toBe(3);
    expect(single.threads).toBe(1);
  });

  // [batch..., M, K] x [batch..., K, N]: odd sizes, M below and above the row block, K across
  // the depth block (256), N across the register tile (8).
  const shapes: Array<[number[], number, number, number]> = [
    [[], 64, 64, 64],
    [[], 67, 129, 35],
    [[], 9, 40, 1000],
    [[], 131, 600, 17],
    [[], 5, 33, 7],
    [[3], 17, 65, 33],
    [[2, 3], 10, 12, 14],
    [[7], 1, 50, 40],
    [[], 1, 300, 900],
    [[], 3, 64, 130],
    [[], 6, 20, 9],
    [[2], 2, 100, 77],
    [[], 24, 700, 96], // fewer rows than columns: split by columns (a weight gradient's shape)
    [[], 523, 24, 12], // more row blocks of at least MIN_BLOCK rows than threads, the last one longer
    [[], 253, 300, 19], // row blocks of whole 5-row panels across 120-row A blocks, K across 256
    [[], 400, 24, 12], // 3 row blocks of MIN_BLOCK rows: 2 larger ones on 2 threads (whole rounds), 3 on 3
    [[], 20, 30, 392], // the same by columns
  ];
  for (const [batch, M, K, N] of shapes) {
    it(`matmul [${[...batch, M, K]}] x [${[...batch, K, N]}] matches one thread on every layout`, () => {
      const aShape = [...batch, M, K], bShape = [...batch, K, N], outShape = [...batch, M, N];
      for (const aKind of LAYOUTS) {
        const bKind = LAYOUTS[(LAYOUTS.indexOf(aKind) + 3) % LAYOUTS.length]!;
        if ((aKind === 'broadcast' || bKind === 'broadcast') && batch.length === 0) continue; // broadcast needs a batch dim
        const a = hostData(aShape, aKind, M * 7 + K), b = hostData(bShape, bKind, N * 13 + K);
        const want = matmulOn(single, a, aShape, aKind, b, bShape, bKind, outShape);
        for (const be of Object.values(pools)) {
          expect(matmulOn(be, a, aShape, aKind, b, bShape, bKind, outShape), `${aKind} x ${bKind} on ${be.threads} threads`).toEqual(want);
        }
      }
    });
  }

  it('a batch over one shared B (a Linear under [batch, seq, features]) runs as one product of batch * M rows, bit for bit the per-item products', () => {
    // [B, M, K] x [K, N] expanded to [B, K, N] with batch stride 0: the backend folds the batch
    // into the rows (B packed once); each item must still equal its own 2-D product, on every
    // thread count. N and M not multiples of the register tile; B transposed as a weight is.
    const [Bt, M, K, N] = [6, 13, 70, 21];
    const a = hostData([Bt, M, K], 'contiguous', 5), w = hostData([N, K], 'contiguous', 6);
    for (const be of [single, ...Object.values(pools)]) {
      const va = place(be, a, [Bt, M, K], 'contiguous');
      const wb = place(be, w, [N, K], 'contiguous');
      const vb: View = { ...wb, shape: [Bt, K, N], strides: [0, 1, K] };
      const vc = output(be, [Bt, M, N]);
      try {
        be.matmul(va, vb, vc);
        const got = be.readSync(vc) as Float32Array;
        for (let t = 0; t < Bt; t++) {
          const item = matmulOn(single, a.slice(t * M * K, (t + 1) * M * K), [M, K], 'contiguous', w, [K, N], 'transposed', [M, N]);
          expect(got.slice(t * M * N, (t + 1) * M * N), `item ${t} on ${be.threads} threads`).toEqual(item);
        }
      } finally {
        for (const v of [va, wb, vc]) be.free(v.buffer);
      }
    }
  });

  it('runs a job posted the moment the pool is ready (no lost wake-up)', async () => {
    // A pool thread once read the job counter after announcing itself ready, so a job posted at
    // once could be missed and the caller would wait forever: start several and use each at once.
    const a = hostData([32, 48], 'contiguous', 9), b = hostData([48, 40], 'contiguous', 10);
    const want = matmulOn(single, a, [32, 48], 'contiguous', b, [48, 40], 'contiguous', [32, 40]);
    for (let i = 0; i < 8; i++) {
      const be = await createWasmBackend({ variant: 'simd', threads: 2, parallelThreshold: 0 });
      try {
        expect(matmulOn(be, a, [32, 48], 'contiguous', b, [48, 40], 'contiguous', [32, 40])).toEqual(want);
      } finally {
        be.destroy();
      }
    }
  });

  it('keeps working after memory grows while the pool is up', () => {
    const be = pools.two;
    const before = be.memory().reservedBytes;
    const big = be.alloc(before + (64 << 20)); // forces memory.grow
    try {
      expect(be.memory().reservedBytes).toBeGreaterThan(before);
      const a = hostData([96, 80], 'contiguous', 1), b = hostData([80, 72], 'contiguous', 2);
      const want = matmulOn(single, a, [96, 80], 'contiguous', b, [80, 72], 'contiguous', [96, 72]);
      expect(matmulOn(be, a, [96, 80], 'contiguous', b, [80, 72], 'contiguous', [96, 72])).toEqual(want);
    } finally {
      be.free(big);
    }
  });

  const attentionCases = [
    { B: 2, H: 3, L: 37, S: 45, D: 16, Dv: 8, mask: false, causal: false },
    { B: 1, H: 5, L: 21, S: 21, D: 8, Dv: 8, mask: false, causal: true },
    { B: 3, H: 1, L: 9, S: 70, D: 4, Dv: 12, mask: true, causal: false },
    // S <= 64: also with the forward's probabilities saved for the backward
    { B: 2, H: 2, L: 41, S: 33, D: 8, Dv: 4, mask: true, causal: false, probs: true },
    { B: 1, H: 3, L: 70, S: 64, D: 8, Dv: 8, mask: false, causal: true, probs: true },
  ];
  for (const c of attentionCases) {
    it(`attention forward and backward B${c.B} H${c.H} L${c.L} S${c.S} D${c.D} Dv${c.Dv}${c.mask ? ' masked' : ''}${c.causal ? ' causal' : ''}${c.probs ? ' probs saved' : ''} match one thread`, () => {
      const shapes = { q: [c.B, c.H, c.L, c.D], k: [c.B, c.H, c.S, c.D], v: [c.B, c.H, c.S, c.Dv], mask: [c.B, c.H, c.L, c.S], out: [c.B, c.H, c.L, c.Dv] };
      const host = {
        q: hostData(shapes.q, 'contiguous', 1), k: hostData(shapes.k, 'contiguous', 2), v: hostData(shapes.v, 'contiguous', 3),
        mask: hostData(shapes.mask, 'contiguous', 4).map((x) => (x < -2 ? -Infinity : x)), gOut: hostData(shapes.out, 'contiguous', 5),
      };
      const run = (be: WasmBackend): Float32Array[] => {
        const q = place(be, host.q, shapes.q, 'contiguous'), k = place(be, host.k, shapes.k, 'contiguous'), v = place(be, host.v, shapes.v, 'contiguous');
        const mask = c.mask ? place(be, host.mask, shapes.mask, 'contiguous') : null;
        const gOut = place(be, host.gOut, shapes.out, 'contiguous');
        const out = output(be, shapes.out), lse = output(be, [c.B, c.H, c.L]);
        const dq = output(be, shapes.q), dk = output(be, shapes.k), dv = output(be, shapes.v);
        const probs = saveProbs ? output(be, [c.B, c.H, c.L, c.S]) : null;
        const p = { scale: 1 / Math.sqrt(c.D), causal: c.causal };
        try {
          be.fused.attention!(q, k, v, mask, out, lse, p, probs);
          be.fused.attentionBackward!(q, k, v, mask, out, lse, gOut, dq, dk, dv, p, probs);
          return [out, lse, dq, dk, dv].map((x) => be.readSync(x) as Float32Array);
        } finally {
          for (const x of [q, k, v, gOut, out, lse, dq, dk, dv, ...(mask ? [mask] : []), ...(probs ? [probs] : [])]) be.free(x.buffer);
        }
      };
      let saveProbs = false;
      const want = run(single);
      for (const be of Object.values(pools)) expect(run(be), `${be.threads} threads`).toEqual(want);
      if (c.probs) {
        // Saved probabilities: the same forward bits; gradients within rounding of the recomputed
        // ones (p / l against exp(s - lse)), and bit for bit across thread counts.
        saveProbs = true;
        const got = run(single);
        for (const be of Object.values(pools)) expect(run(be), `${be.threads} threads, probs saved`).toEqual(got);
        got.slice(0, 2).forEach((x, i) => expect(x, ['out', 'lse'][i]).toEqual(want[i]));
        got.slice(2).forEach((x, i) => x.forEach((y, j) => expect(Math.abs(y - want[2 + i]![j]!), `${['dq', 'dk', 'dv'][i]}[${j}]`).toBeLessThan(1e-5 * (1 + Math.abs(want[2 + i]![j]!)))));
      }
    });
  }

  it('reads back into plain ArrayBuffers, not views of the shared memory', () => {
    const be = pools.two;
    const v = place(be, new Float32Array([1, 2, 3]), [3], 'contiguous');
    try {
      const got = be.readSync(v);
      expect(got.buffer).toBeInstanceOf(ArrayBuffer);
      expect([...got]).toEqual([1, 2, 3]);
    } finally {
      be.free(v.buffer);
    }
  });

  it('rejects a bad thread count or threshold, naming it', async () => {
    await expect(createWasmBackend({ threads: 0 })).rejects.toThrow(/threads must be an integer from 1 to 64 or 'auto', got 0/);
    await expect(createWasmBackend({ threads: 2.5 })).rejects.toThrow(/got 2.5/);
    await expect(createWasmBackend({ threads: 'many' as unknown as number })).rejects.toThrow(/got many/);
    await expect(createWasmBackend({ threads: 2, parallelThreshold: -1 })).rejects.toThrow(/parallelThreshold must be a number >= 0, got -1/);
  });

  it('on a page that is not cross-origin isolated, threads: 2 says which headers to send and auto falls back to one', async () => {
    const g = globalThis as { crossOriginIsolated?: boolean };
    g.crossOriginIsolated = false;
    try {
      expect(supportsThreads()).toBe(false);
      await expect(createWasmBackend({ threads: 2 })).rejects.toThrow(/Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp/);
      const be = await createWasmBackend({ threads: 'auto' });
      expect(be.threads).toBe(1);
    } finally {
      delete g.crossOriginIsolated;
    }
  });

  it("when pool threads will not start, threads: 2 throws naming why and 'auto' runs on one thread with a warning", async () => {
    const start = vi.spyOn(ThreadPool, 'start').mockRejectedValue(new Error('workers are disabled here'));
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      await expect(createWasmBackend({ threads: 2 })).rejects.toThrow(/could not start 1 pool threads \(workers are disabled here\); pass `threads: 1`/);
      expect(warn).not.toHaveBeenCalled();
      const be = await createWasmBackend({ threads: 'auto' });
      expect(be.threads).toBe(1);
      // 'auto' on a one-core machine asks for no pool at all, and so has nothing to warn about.
      const asked = Math.min(8, availableParallelism());
      expect(warn).toHaveBeenCalledTimes(asked > 1 ? 1 : 0);
      if (asked > 1) expect(warn.mock.calls[0]![0]).toMatch(/threads 'auto' asked for \d+, but \d+ pool threads could not start \(workers are disabled here\); running on one thread/);
      be.destroy();
    } finally {
      start.mockRestore();
      warn.mockRestore();
    }
  });

  // Large float32 element-wise ops run on the pool as one-instruction generated programs: every
  // op, every input layout, broadcast and in place, bit for bit one thread's eager kernel.
  describe('element-wise ops split over the pool match one thread', () => {
    const shape = [37, 129];
    const run = (be: WasmBackend, f: (be: WasmBackend, ins: View[], out: View) => void, data: Float32Array[], kinds: LayoutKind[], inPlace = false): number[] => {
      const ins = data.map((d, i) => place(be, d, shape, kinds[i]!));
      const out = inPlace ? ins[0]! : output(be, shape);
      try {
        f(be, ins, out);
        return Array.from(be.readSync(out) as Float32Array);
      } finally {
        for (const v of new Set([...ins, out])) be.free(v.buffer);
      }
    };
    const floatOps = <T extends string>(family: 'unary' | 'binary', ops: readonly T[]): T[] =>
      ops.filter((op) => (kernelDtypes(opKind(family as 'unary', op as never)) as readonly string[]).includes('float32') && opKind(family as 'unary', op as never) !== 'logical');
    it.each(floatOps('unary', UNARY_OPS))('unary %s', (op) => {
      for (const kind of LAYOUTS) {
        const data = [hostData(shape, kind, 7)];
        const f = (be: WasmBackend, [x]: View[], out: View): void => be.unary(op, x!, out);
        const expected = run(single, f, data, [kind]);
        for (const be of Object.values(pools)) expect(run(be, f, data, [kind])).toEqual(expected);
        if (kind === 'contiguous') for (const be of Object.values(pools)) expect(run(be, f, data, [kind], true)).toEqual(expected);
      }
      expect((pools.two as unknown as { opPrograms: Map<string, unknown> }).opPrograms.has(`unary ${op}`)).toBe(true);
    });
    it.each(floatOps('binary', BINARY_OPS))('binary %s', (op) => {
      const compare = opKind('binary', op) === 'compare';
      for (const [ka, kb] of [['contiguous', 'contiguous'], ['transposed', 'broadcast'], ['negative', 'offset'], ['strided', 'contiguous']] as Array<[LayoutKind, LayoutKind]>) {
        const data = [hostData(shape, ka, 11), hostData(shape, kb, 12)];
        // Comparisons write bools: every other element equal (in the contiguous pair), so eq and ne see both answers.
        if (compare) for (let i = 0; i < data[0]!.length; i += 2) data[0]![i] = data[1]![i % data[1]!.length]!;
        const f = compare
          ? (be: WasmBackend, [a, b]: View[]): number[] => {
            const out: View = { buffer: be.alloc(numel(shape)), dtype: 'bool', shape: [...shape], strides: contiguousStrides(shape), offset: 0 };
            be.binary(op, a!, b!, out);
            const r = Array.from(be.readSync(out) as Uint8Array);
            be.free(out.buffer);
            return r;
          }
          : (be: WasmBackend, [a, b]: View[], out: View): void => be.binary(op, a!, b!, out);
        if (compare) {
          const bools = (be: WasmBackend): number[] => {
            const ins = data.map((d, i) => place(be, d, shape, [ka, kb][i]!));
            const r = (f as (be: WasmBackend, ins: View[]) => number[])(be, ins);
            for (const v of ins) be.free(v.buffer);
            return r;
          };
          const expected = bools(single);
          if (ka === 'contiguous' && kb === 'contiguous') expect(new Set(expected).size).toBe(2);
          for (const be of Object.values(pools)) expect(bools(be)).toEqual(expected);
          continue;
        }
        const expected = run(single, f as (be: WasmBackend, ins: View[], out: View) => void, data, [ka, kb]);
        for (const be of Object.values(pools)) expect(run(be, f as (be: WasmBackend, ins: View[], out: View) => void, data, [ka, kb])).toEqual(expected);
        if (ka === 'contiguous') for (const be of Object.values(pools)) expect(run(be, f as (be: WasmBackend, ins: View[], out: View) => void, data, [ka, kb], true)).toEqual(expected);
      }
      expect((pools.two as unknown as { opPrograms: Map<string, unknown> }).opPrograms.has(`binary ${op}`)).toBe(true);
    });
    it('where over a bool condition, every layout of the branches', () => {
      for (const kind of LAYOUTS) {
        const cond = Uint8Array.from({ length: numel(shape) }, (_, i) => (i * 7) % 3 === 0 ? 1 : 0);
        const data = [hostData(shape, kind, 13), hostData(shape, 'contiguous', 14)];
        const go = (be: WasmBackend): number[] => {
          const c: View = { buffer: be.alloc(cond.length), dtype: 'bool', shape: [...shape], strides: contiguousStrides(shape), offset: 0 };
          be.write(c.buffer, cond);
          const a = place(be, data[0]!, shape, kind), b = place(be, data[1]!, shape, 'contiguous'), out = output(be, shape);
          be.where(c, a, b, out);
          const r = Array.from(new Uint32Array((be.readSync(out) as Float32Array).slice().buffer));
          for (const v of [c, a, b, out]) be.free(v.buffer);
          return r;
        };
        const expected = go(single);
        for (const be of Object.values(pools)) expect(go(be)).toEqual(expected);
      }
      expect((pools.two as unknown as { opPrograms: Map<string, unknown> }).opPrograms.has('where ')).toBe(true);
    });
    it('copies from every layout, NaN payloads and -0 kept bit for bit', () => {
      const bitsOf = (be: WasmBackend, kind: LayoutKind): number[] => {
        const data = hostData(shape, kind, 5);
        const u = new Uint32Array(data.buffer);
        for (let i = 0; i < u.length; i += 7) u[i] = i % 2 ? 0x7fc01234 : 0x80000000; // a NaN with a payload, -0
        const x = place(be, data, shape, kind), out = output(be, shape);
        be.copy(x, out);
        const r = Array.from(new Uint32Array((be.readSync(out) as Float32Array).slice().buffer));
        be.free(x.buffer);
        be.free(out.buffer);
        return r;
      };
      for (const kind of LAYOUTS) for (const be of Object.values(pools)) expect(bitsOf(be, kind)).toEqual(bitsOf(single, kind));
      expect((pools.two as unknown as { opPrograms: Map<string, unknown> }).opPrograms.has('copy')).toBe(true);
    });
    it('ops on views of one buffer (a compiled step\'s planned memory): disjoint ranges split, an overlap stays eager', () => {
      const n = numel(shape);
      const go = (be: WasmBackend, outAt: number): number[] => {
        // a at 0, b at n, out at outAt, all in one buffer of 3n + 1 elements.
        const buffer = be.alloc((3 * n + 1) * 4);
        be.write(buffer, Float32Array.from({ length: 3 * n + 1 }, (_, i) => Math.sin(i)));
        const v = (offset: number): View => ({ buffer, dtype: 'float32', shape: [...shape], strides: contiguousStrides(shape), offset });
        be.binary('mul', v(0), v(n), v(outAt));
        const r = Array.from(be.readSync({ ...v(0), shape: [3 * n + 1], strides: [1] }) as Float32Array);
        be.free(buffer);
        return r;
      };
      const programs = (pools.two as unknown as { opPrograms: Map<string, unknown> }).opPrograms;
      programs.delete('binary mul');
      for (const be of Object.values(pools)) expect(go(be, n + 1)).toEqual(go(single, n + 1)); // out overlaps b, shifted: eager
      expect(programs.has('binary mul')).toBe(false);
      for (const be of Object.values(pools)) expect(go(be, 2 * n)).toEqual(go(single, 2 * n)); // disjoint: the pool
      for (const be of Object.values(pools)) expect(go(be, 0)).toEqual(go(single, 0)); // exactly in place: the pool
      expect(programs.has('binary mul')).toBe(true);
    });
  });

  // Fused reductions (generated modules) split over the pool by outputs: each output's values
  // are folded in their one order by one thread, so every split gives one thread's bits.
  describe('fused reductions split over the pool match one thread', () => {
    const square = checkProgram(['float32'], [{ kind: 'binary', op: 'mul', a: 0, b: 0 }], [1]);
    // x - m stored, exp(x - m) reduced; then log(s) + m: a logsumexp with an extra output and an epilogue.
    const shiftExp = checkProgram(['float32', 'float32'], [{ kind: 'binary', op: 'sub', a: 0, b: 1 }, { kind: 'unary', op: 'exp', x: 2 }], [3, 2]);
    const logAdd = checkProgram(['float32', 'float32'], [{ kind: 'unary', op: 'log', x: 0 }, { kind: 'binary', op: 'add', a: 2, b: 1 }], [3]);
    const identity = checkProgram(['float32'], [], [0]);
    const cases: Array<[string, () => ReductionProgram, number[], number[]]> = [
      ['rows: a sum of squares per row (a LayerNorm variance)', () => checkReduction(square, 'sum', [1], null), [203, 129], [1]],
      ['rows: max per row of a 3-d view', () => checkReduction(square, 'max', [2], null), [5, 37, 67], [2]],
      ['cols: a bias gradient (sum over the batch dims)', () => checkReduction(identity, 'sum', [0, 1], null), [9, 31, 133], [0, 1]],
      ['rows with an extra output and an epilogue (logsumexp)', () => checkReduction(shiftExp, 'sum', [1], logAdd), [91, 70], [1]],
    ];
    it.each(cases)('%s', (_, make, shape, axes) => {
      const r = make();
      const res = shape.map((d, i) => (axes.includes(i) ? 1 : d));
      const x = hostData(shape, 'contiguous', 21), m = hostData(res, 'contiguous', 22);
      const runOn = (be: WasmBackend): number[][] => {
        const vx = place(be, x, shape, 'contiguous'), vm = place(be, m, res, 'contiguous');
        const shifted = r.prologue.inputs.length === 2;
        const inputs = shifted ? [vx, { ...vm, shape: [...shape], strides: vm.strides.map((st, d) => (axes.includes(d) ? 0 : st)) }] : [vx];
        const extras = r.prologue.outputs.slice(1).map(() => output(be, shape));
        const outs = [output(be, res)];
        be.fused.reduction!(r, inputs, extras, r.epilogue ? [vm] : [], outs);
        const ran = (be as unknown as { lastReductions: WeakMap<object, Array<{ run: unknown }>> }).lastReductions.get(r)![0]!.run !== null;
        expect(ran, 'a generated module ran').toBe(true);
        const got = [...extras, ...outs].map((v) => Array.from(new Uint32Array((be.readSync(v) as Float32Array).slice().buffer)));
        for (const v of [vx, vm, ...extras, ...outs]) be.free(v.buffer);
        return got;
      };
      const expected = runOn(single);
      for (const be of Object.values(pools)) expect(runOn(be)).toEqual(expected);
    });
  });

  // Eager float32 reductions of a contiguous view run as prologue-free fused reductions on the
  // pool; interleaved axes, strided views and arg* stay with the eager kernel: all one thread's bits.
  it.each([
    [[203, 129], [1]], [[203, 129], [0]], [[9, 31, 133], [0, 1]], [[9, 31, 133], [2]], [[9, 31, 133], [1]], [[9, 31, 133], [0, 1, 2]], [[31, 9, 133], [2, 0]],
  ] as Array<[number[], number[]]>)('eager reductions of [%s] over axes %s match one thread', (shape, axes) => {
    const res = shape.map((d, i) => (axes.includes(i) ? 1 : d));
    for (const kind of ['contiguous', 'transposed'] as LayoutKind[]) {
      const data = hostData(shape, kind, 31);
      for (const op of ['sum', 'max', 'min', 'prod'] as const) {
        const go = (be: WasmBackend): number[] => {
          const x = place(be, op === 'prod' ? data.map((v) => 1 + v / 64) : data, shape, kind), out = output(be, res);
          be.reduce(op, x, axes, out);
          const r = Array.from(new Uint32Array((be.readSync(out) as Float32Array).slice().buffer));
          be.free(x.buffer);
          be.free(out.buffer);
          return r;
        };
        const expected = go(single);
        for (const be of Object.values(pools)) expect(go(be), `${op} ${kind}`).toEqual(expected);
      }
    }
  });
  it('eager reductions that fit a generated walk run on the pool', () => {
    const programs = (pools.two as unknown as { reducePrograms: Map<string, unknown> }).reducePrograms;
    expect([...programs.keys()]).toEqual(expect.arrayContaining(['sum 1', 'sum 0', 'max 0,1', 'prod 2', 'min 0,1,2']));
  });

  it('destroy() ends the pool threads and drops the generated modules: a backend made after it starts from nothing of the old one', async () => {
    // This process's OS threads where the system lists them (Linux, as CI); elsewhere the counts are not checked.
    const listed = existsSync('/proc/self/task');
    const threadCount = (): number => (listed ? readdirSync('/proc/self/task').length : 0);
    const before = threadCount();
    const plus = (n: number): number => (listed ? before + n : 0);
    const first = await createWasmBackend({ variant: 'simd', threads: 3, parallelThreshold: 0 });
    expect(threadCount()).toBe(plus(2));
    const neg = checkProgram(['float32'], [{ kind: 'unary', op: 'neg', x: 0 }], [1]);
    const run = (be: WasmBackend): number[] => {
      const x = place(be, Float32Array.from({ length: 4096 }, (_, i) => i), [4096], 'contiguous'), out = output(be, [4096]);
      be.fused.elementwise(neg, [x], [out]); // a generated module, instantiated by every pool thread
      const r = Array.from(be.readSync(out) as Float32Array);
      be.free(x.buffer);
      be.free(out.buffer);
      return r;
    };
    const expected = run(first);
    const internals = (be: WasmBackend) => be as unknown as { generated: unknown; pool: { stop(): Promise<void> } };
    const pool = internals(first).pool;
    first.destroy();
    expect(internals(first).generated).toBeNull();
    await pool.stop(); // the same promise destroy() started: resolves once every thread has exited
    expect(threadCount()).toBe(plus(0));
    const second = await createWasmBackend({ variant: 'simd', threads: 3, parallelThreshold: 0 });
    expect(threadCount()).toBe(plus(2));
    expect(run(second)).toEqual(expected);
    second.destroy();
    await internals(second).pool.stop();
    expect(threadCount()).toBe(plus(0));
  });

  it("'auto' takes this machine's cores, and destroy() stops the threads", async () => {
    const be = await createWasmBackend({ threads: 'auto' });
    const { availableParallelism } = await import('node:os');
    expect(be.threads).toBe(Math.max(1, Math.min(8, availableParallelism())));
    be.destroy();
    const v: View = { buffer: 0, dtype: 'float32', shape: [2, 2], strides: [2, 1], offset: 0 };
    expect(() => be.matmul(v, v, v)).toThrow(/used after destroy/);
  });
});
