/**
 * fused.int8Linear in WGSL (src/quant.ts) against the contract's formula evaluated on the host
 * (the numbers the wasm kernel computes), against QuantizedLinear's composite path on this
 * backend, and against the float Linear within the quantisation error bound of
 * packages/nn/test/quantization.test.ts. Both GEMM variants run: `dot4I8Packed` where the adapter
 * has it (Dawn does) and the portable unpacking.
 */
import * as torch from '@torchlet/core';
import { removeBackendInstance, type View } from '@torchlet/core';
import { Linear, QuantizedLinear, quantization, quantizeDynamic } from '@torchlet/nn';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { WebGpuBackend } from '../src/index.ts';
import { DIV_SOURCE } from '../src/quant.ts';
import type { TfjsBridge } from '../src/tfjs.ts';

let backend: WebGpuBackend;
/** A second backend on the same device whose GEMM unpacks bytes itself (no language features). */
let portable: WebGpuBackend;

beforeAll(async () => {
  backend = (await torch.setBackend('webgpu')) as WebGpuBackend;
  portable = new WebGpuBackend(backend.device, (backend as unknown as { tfjs: TfjsBridge }).tfjs, new Set());
});

afterAll(() => removeBackendInstance('webgpu'));

function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return r - v === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** The contract (FusedKernels.int8Linear) step by step in float32, as the wasm kernel does it. */
function reference(x: Float32Array, M: number, K: number, wq: Int8Array, ws: Float32Array, bias: Float32Array | null, N: number): { out: Float32Array; tol: Float32Array } {
  let amax = 0;
  for (const v of x) amax = Math.max(amax, Math.abs(v));
  const sx = amax > 0 ? Math.fround(amax / 127) : 1;
  const xq = x.map((v) => Math.min(127, Math.max(-127, roundHalfEven(Math.fround(v / sx)))));
  const out = new Float32Array(M * N), tol = new Float32Array(M * N);
  for (let m = 0; m < M; m++) for (let n = 0; n < N; n++) {
    let acc = 0;
    for (let k = 0; k < K; k++) acc += xq[m * K + k]! * wq[n * K + k]!;
    const y = Math.fround(Math.fround(acc) * Math.fround(sx * ws[n]!));
    const b = bias ? bias[n]! : 0;
    out[m * N + n] = Math.fround(y + b);
    // WGSL rounds f32(acc), the two products and the add each within an ulp (and may fuse
    // the multiply-add); an integer sum off by one would move y by |y| / |acc|, far more.
    tol[m * N + n] = 4 * 2 ** -23 * (Math.abs(y) + Math.abs(b)) + 1e-30;
  }
  return { out, tol };
}

/** Random operands laid out as QuantizedLinear packs them, written at the given element offsets. */
async function runKernel(
  b: WebGpuBackend, M: number, K: number, N: number, withBias: boolean, off = { x: 0, w: 0, s: 0, b: 0, o: 0 }, scaleX = 2, xs?: Float32Array,
): Promise<{ got: Float32Array; want: Float32Array; tol: Float32Array }> {
  const x = xs ?? Float32Array.from({ length: M * K }, () => (Math.random() * 2 - 1) * scaleX);
  const wf = Float32Array.from({ length: N * K }, () => Math.random() * 2 - 1);
  const { q, scale } = quantization.quantizePerChannel(wf, N, K);
  const bias = withBias ? Float32Array.from({ length: N }, () => Math.random() - 0.5) : null;
  const kp = quantization.paddedK(K);
  const packed = new Int8Array(N * kp);
  for (let r = 0; r < N; r++) packed.set(q.subarray(r * K, (r + 1) * K), r * kp);
  const put = (data: Float32Array | Int32Array, offset: number, shape: number[]): View => {
    const buf = b.alloc((data.length + offset) * 4);
    b.write(buf, data, offset * 4);
    return { buffer: buf, dtype: data instanceof Float32Array ? 'float32' : 'int32', shape, strides: torch.contiguousStrides(shape), offset };
  };
  const xv = put(x, off.x, [M, K]);
  const wv = put(new Int32Array(packed.buffer), off.w, [N, kp / 4]);
  const sv = put(scale, off.s, [N]);
  const bv = bias ? put(bias, off.b, [N]) : null;
  const ov = put(new Float32Array(M * N).fill(NaN), off.o, [M, N]);
  b.fused.int8Linear!(xv, wv, sv, bv, ov);
  const got = (await b.read(ov)) as Float32Array;
  for (const v of [xv, wv, sv, bv, ov]) if (v) b.free(v.buffer);
  const { out: want, tol } = reference(x, M, K, q, scale, bias, N);
  return { got, want, tol };
}

function expectClose(got: Float32Array, want: Float32Array, tol: Float32Array): void {
  expect(got.length).toBe(want.length);
  let worst = 0;
  for (let i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(got[i]! - want[i]!) / tol[i]!);
  expect(worst).toBeLessThanOrEqual(1);
}

describe('webgpu fused.int8Linear', () => {
  // [M, K, N]: M = 1, K odd or not a multiple of 4 or 16, N and M not multiples of the 32 tile,
  // K over one 32-byte chunk, and sums past 2^24 (K = 1100).
  const shapes = [[1, 37, 11], [5, 37, 11], [3, 16, 2], [33, 102, 70], [64, 784, 128], [8, 1100, 3], [2, 3, 1]] as const;
  for (const [name, b] of [['dot4I8Packed', () => backend], ['portable unpacking', () => portable]] as const) {
    for (const [M, K, N] of shapes) {
      for (const withBias of [true, false]) {
        it(`${name}: [${M}, ${K}] x [${N}, ${K}]^T ${withBias ? 'with' : 'without'} bias is the contract's numbers`, async () => {
          const { got, want, tol } = await runKernel(b(), M, K, N, withBias);
          expectClose(got, want, tol);
        });
      }
    }
  }

  it('uses dot4I8Packed when the adapter lists packed_4x8_integer_dot_product', () => {
    const gpu = (globalThis as { navigator?: { gpu?: { wgslLanguageFeatures?: ReadonlySet<string> } } }).navigator?.gpu;
    const has = gpu?.wgslLanguageFeatures?.has('packed_4x8_integer_dot_product') ?? false;
    expect((backend as unknown as { int8Gemm: string }).int8Gemm.includes('dot4I8Packed(')).toBe(has);
    expect((portable as unknown as { int8Gemm: string }).int8Gemm.includes('dot4I8Packed(')).toBe(false);
  });

  it('reads operands at element offsets', async () => {
    const { got, want, tol } = await runKernel(backend, 7, 21, 9, true, { x: 3, w: 5, s: 1, b: 2, o: 7 });
    expectClose(got, want, tol);
  });

  it('tiny and huge activations keep the exact quantisation (division on the bits)', async () => {
    for (const scale of [1e-30, 3e-39, 1e30]) {
      const { got, want, tol } = await runKernel(backend, 4, 19, 5, true, undefined, scale);
      expectClose(got, want, tol);
    }
  });

  it('rounds quotients half-way between integers to even', async () => {
    // max|x| = 127: sx = 1, so x / sx is x itself.
    const x = Float32Array.from([127, 2.5, 3.5, -2.5, -3.5, 0.5, -0.5, 1.5, 126.5, -126.5, 4.4999995, 5.5]);
    const { got, want, tol } = await runKernel(backend, 1, x.length, 6, false, undefined, 1, x);
    expectClose(got, want, tol);
  });

  it('divides on the bits exactly as IEEE float32 division rounds (div_ against Math.fround)', async () => {
    // Pairs of positive finite bit patterns: random normals, subnormals, equal significands,
    // quotients that underflow into subnormals or round to ties.
    const f = new Float32Array(1), u = new Uint32Array(f.buffer);
    const bits = (v: number): number => ((f[0] = v), u[0]!);
    const rnd = (): number => (Math.random() * 0x7f7fffff) >>> 0;
    const pairs: number[] = [];
    for (let i = 0; i < 4000; i++) pairs.push(rnd(), rnd());
    for (let i = 0; i < 1000; i++) pairs.push((Math.random() * 0x800000) >>> 0, rnd()); // subnormal / anything
    for (let i = 0; i < 1000; i++) pairs.push(rnd(), ((Math.random() * 0x800000) >>> 0) | 1); // anything / subnormal
    for (let i = 0; i < 1000; i++) pairs.push(rnd() % 0x10000000, rnd() % 0x10000000 + 0x60000000); // tiny / huge: underflow
    for (let i = 0; i < 1000; i++) pairs.push(bits((Math.random() * 256 | 0) + 0.5), bits(1)); // exact ties stay exact
    for (let i = 0; i < 1000; i++) pairs.push(bits(Math.random() * 127), bits(Math.fround(127 * Math.random()) / 127));
    pairs.push(0, bits(3), bits(127), bits(127), 1, 0x7f7fffff, 0x7f7fffff, 1);
    const n = pairs.length / 2;
    const dev = backend.device;
    const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
    const inBuf = dev.createBuffer({ size: pairs.length * 4, usage });
    dev.queue.writeBuffer(inBuf, 0, new Uint32Array(pairs));
    const outBuf = dev.createBuffer({ size: n * 4, usage });
    const readBuf = dev.createBuffer({ size: n * 4, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    const module = dev.createShaderModule({
      code: `@group(0) @binding(0) var<storage, read> ab: array<u32>;
@group(0) @binding(1) var<storage, read_write> q: array<u32>;
${DIV_SOURCE}
@compute @workgroup_size(64) fn main(@builtin(global_invocation_id) g: vec3<u32>) {
  if (g.x < arrayLength(&q)) { q[g.x] = div_(ab[2u * g.x], ab[2u * g.x + 1u]); }
}`,
    });
    const pipeline = dev.createComputePipeline({ layout: 'auto', compute: { module, entryPoint: 'main' } });
    const group = dev.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries: [{ binding: 0, resource: { buffer: inBuf } }, { binding: 1, resource: { buffer: outBuf } }] });
    const enc = dev.createCommandEncoder();
    const pass = enc.beginComputePass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, group);
    pass.dispatchWorkgroups(Math.ceil(n / 64));
    pass.end();
    enc.copyBufferToBuffer(outBuf, 0, readBuf, 0, n * 4);
    dev.queue.submit([enc.finish()]);
    await readBuf.mapAsync(GPUMapMode.READ);
    const got = new Uint32Array(readBuf.getMappedRange().slice(0));
    readBuf.unmap();
    for (const b of [inBuf, outBuf, readBuf]) b.destroy();
    const a = new Float32Array(new Uint32Array(pairs).buffer);
    let wrong = 0, first = '';
    for (let i = 0; i < n; i++) {
      const want = bits(Math.fround(a[2 * i]! / a[2 * i + 1]!));
      if (got[i] !== want && wrong++ === 0) first = `${pairs[2 * i]!.toString(16)} / ${pairs[2 * i + 1]!.toString(16)}: got ${got[i]!.toString(16)}, want ${want.toString(16)}`;
    }
    expect(first).toBe('');
    expect(wrong).toBe(0);
  });

  it('all-zero x uses sx = 1 and gives the bias', async () => {
    const q = (await quantizeDynamic(new Linear(20, 3))) as QuantizedLinear;
    const y = q.forward(torch.zeros([2, 20]));
    const bias = (await q.bias!.data()) as Float32Array;
    expect([...(await y.data())]).toEqual([...bias, ...bias]);
    y.dispose();
    q.dispose();
  });

  it('an infinity or NaN in x makes every output NaN', async () => {
    const q = (await quantizeDynamic(new Linear(8, 3))) as QuantizedLinear;
    for (const bad of [Infinity, NaN]) {
      const x = torch.randn([2, 8]).add(torch.tensor([0, 0, 0, bad, 0, 0, 0, 0]));
      const y = await q.forward(x).data();
      expect([...y].every(Number.isNaN)).toBe(true);
    }
    q.dispose();
  });

  it('rejects wrong dtypes, views that are not contiguous and shapes that disagree', () => {
    const f = (shape: number[], dtype: torch.DType = 'float32', strides = torch.contiguousStrides(shape)): View =>
      ({ buffer: backend.alloc(Math.max(4, shape.reduce((a, c) => a * c, 1) * 4)), dtype, shape, strides, offset: 0 });
    const k = backend.fused.int8Linear!;
    expect(() => k(f([2, 16], 'int32'), f([3, 4], 'int32'), f([3]), null, f([2, 3]))).toThrow(/webgpu backend: 'int8Linear' is not supported for dtypes \(x: int32\)/);
    expect(() => k(f([2, 16]), f([3, 4]), f([3]), null, f([2, 3]))).toThrow(/'int8Linear' is not supported for dtypes \(weight: float32\)/);
    expect(() => k(f([2, 16], 'float32', [1, 2]), f([3, 4], 'int32'), f([3]), null, f([2, 3]))).toThrow(/int8Linear needs a contiguous x, got strides \[1, 2\]/);
    expect(() => k(f([2, 16]), f([3, 4], 'int32'), f([3]), f([4]), f([2, 3]))).toThrow(/int8Linear shapes do not agree/);
    expect(() => k(f([2, 20]), f([3, 4], 'int32'), f([3]), null, f([2, 3]))).toThrow(/int8Linear shapes do not agree.*int8 rows of 16 bytes/);
    expect(() => k(f([2, 12]), f([3, 3], 'int32'), f([3]), null, f([2, 3]))).toThrow(/int8Linear shapes do not agree/);
  });
});

describe('QuantizedLinear on webgpu', () => {
  /** The error bound of packages/nn/test/quantization.test.ts, from the scales. */
  function bound(x: Float32Array, w: Float32Array, sw: Float32Array, M: number, N: number, K: number, sx: number): Float64Array {
    const out = new Float64Array(M * N);
    for (let m = 0; m < M; m++) for (let n = 0; n < N; n++) {
      let b = 0, mag = 0;
      for (let k = 0; k < K; k++) {
        const xv = Math.abs(x[m * K + k]!), wv = Math.abs(w[n * K + k]!);
        b += xv * sw[n]! / 2 + wv * sx / 2 + sx * sw[n]! / 4;
        mag += xv * wv;
      }
      out[m * N + n] = b + 2 * K * 2 ** -23 * (mag + b) + 1e-6 + (K * sw[n]! / 2) * sx / 2;
    }
    return out;
  }

  for (const [M, K, N] of [[5, 37, 11], [1, 64, 40], [64, 784, 128]] as const) {
    it(`Linear(${K}, ${N}) on a batch of ${M}: runs the fused kernel, within the scale-derived bound, and matches the composite`, async () => {
      torch.manualSeed(3);
      const lin = new Linear(K, N);
      const x = torch.randn([M, K]).mul(2);
      const yf = torch.noGrad(() => lin.forward(x));
      const q = (await quantizeDynamic(lin)) as QuantizedLinear;
      const spy = vi.spyOn(backend.fused, 'int8Linear');
      const yq = q.forward(x);
      expect(spy).toHaveBeenCalledTimes(1);
      spy.mockRestore();
      // The composite: the same module with the fused kernel hidden.
      const kernel = backend.fused.int8Linear;
      delete (backend.fused as { int8Linear?: unknown }).int8Linear;
      let yc: torch.Tensor;
      try {
        yc = q.forward(x);
      } finally {
        backend.fused.int8Linear = kernel;
      }
      const xs = (await x.data()) as Float32Array;
      let amax = 0;
      for (const v of xs) amax = Math.max(amax, Math.abs(v));
      const b = bound(xs, q.dequantizedWeight(), q.scales, M, N, K, Math.fround(amax / 127));
      const a = await yf.data(), c = await yq.data(), d = await yc.data();
      let worst = 0;
      for (let i = 0; i < a.length; i++) {
        worst = Math.max(worst, Math.abs(a[i]! - c[i]!) / b[i]!);
        // Same integers, then float32 dequantisation: the composite multiplies by the scale
        // product and adds the bias in separate ops, a rounding or two apart.
        expect(Math.abs(c[i]! - d[i]!)).toBeLessThanOrEqual(4 * 2 ** -23 * Math.abs(d[i]!) + 1e-6);
      }
      expect(worst).toBeLessThanOrEqual(1);
      expect(worst).toBeGreaterThan(0);
      for (const t of [x, yf, yq, yc]) t.dispose();
      q.dispose();
    });
  }

  it('keeps leading dimensions', async () => {
    const q = (await quantizeDynamic(new Linear(20, 4, { bias: false }))) as QuantizedLinear;
    const y = q.forward(torch.randn([2, 3, 20]));
    expect(y.shape).toEqual([2, 3, 4]);
    y.dispose();
    q.dispose();
  });
});
