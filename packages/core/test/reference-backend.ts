/**
 * A plain-JS backend used only by core's own tests: the simplest reading of the backend
 * contract, so core's shape, dtype and memory logic can be tested apart from any kernel.
 */
import {
  allocTyped, philoxFill, typedView,
  type Backend, type BinaryOp, type RandomParams, type ReduceOp, type TypedArray, type UnaryOp, type View,
} from '../src/index.ts';

function* indices(shape: readonly number[]): Generator<number[]> {
  const n = shape.reduce((a, b) => a * b, 1);
  if (n === 0) return;
  const idx = new Array(shape.length).fill(0);
  for (let k = 0; k < n; k++) {
    yield idx;
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++idx[d] < shape[d]!) break;
      idx[d] = 0;
    }
  }
}
const at = (v: View, idx: readonly number[]): number => idx.reduce((o, i, d) => o + i * v.strides[d]!, v.offset);

const erf = (x: number): number => {
  // Abramowitz-Stegun 7.1.26 is too coarse for tests; use a series / continued fraction in float64.
  const t = Math.abs(x);
  if (t < 3) {
    let sum = 0, term = t, n = 0;
    while (Math.abs(term) > 1e-17 * Math.abs(sum) || n < 3) {
      sum += term / (2 * n + 1);
      n++;
      term *= (-t * t) / n;
      if (n > 200) break;
    }
    return Math.sign(x) * (2 / Math.sqrt(Math.PI)) * sum;
  }
  let f = 0;
  for (let k = 60; k >= 1; k--) f = (k / 2) / (t + f);
  return Math.sign(x) * (1 - Math.exp(-t * t) / Math.sqrt(Math.PI) / (t + f));
};

const roundHalfEven = (x: number): number => {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
};

const UNARY: Record<UnaryOp, (x: number) => number> = {
  neg: (x) => -x, abs: Math.abs, sign: (x) => (x > 0 ? 1 : x < 0 ? -1 : 0), // NaN -> 0, as PyTorch's CPU kernel
  relu: (x) => (Number.isNaN(x) ? NaN : x > 0 ? x : 0), floor: Math.floor, ceil: Math.ceil, round: roundHalfEven,
  exp: Math.exp, log: Math.log, sqrt: Math.sqrt, rsqrt: (x) => 1 / Math.sqrt(x), sin: Math.sin, cos: Math.cos,
  tanh: Math.tanh, sigmoid: (x) => 1 / (1 + Math.exp(-x)), erf, log1p: Math.log1p, expm1: Math.expm1,
  reciprocal: (x) => 1 / x, logicalNot: (x) => (x ? 0 : 1),
};

const BINARY: Record<BinaryOp, (a: number, b: number, int: boolean) => number> = {
  add: (a, b) => a + b, sub: (a, b) => a - b, mul: (a, b, i) => (i ? Math.imul(a, b) : a * b), div: (a, b) => a / b,
  maximum: (a, b) => (Number.isNaN(a) || Number.isNaN(b) ? NaN : Math.max(a, b)),
  minimum: (a, b) => (Number.isNaN(a) || Number.isNaN(b) ? NaN : Math.min(a, b)),
  remainder: (a, b, i) => (i && b === 0 ? 0 : a - Math.floor(a / b) * b),
  pow: (a, b, i) => (i && b < 0 ? (a === 1 ? 1 : a === -1 ? (b % 2 ? -1 : 1) : 0) : a ** b),
  eq: (a, b) => +(a === b), ne: (a, b) => +(a !== b), lt: (a, b) => +(a < b), le: (a, b) => +(a <= b),
  gt: (a, b) => +(a > b), ge: (a, b) => +(a >= b),
  logicalAnd: (a, b) => +(!!a && !!b), logicalOr: (a, b) => +(!!a || !!b), logicalXor: (a, b) => +(!!a !== !!b),
};

export function createReferenceBackend(name = 'reference'): Backend & { liveBuffers(): number } {
  const buffers = new Map<number, ArrayBuffer>();
  let next = 1;
  const arr = (v: View): TypedArray => {
    const buf = buffers.get(v.buffer);
    if (!buf) throw new Error(`reference backend: buffer ${v.buffer} is not allocated`);
    const size = v.dtype === 'bool' ? 1 : 4;
    return typedView(v.dtype, buf, 0, Math.floor(buf.byteLength / size));
  };
  const store = (v: View, off: number, x: number): void => {
    const a = arr(v);
    if (v.dtype === 'int32') a[off] = Number.isNaN(x) ? 0 : Math.max(-2147483648, Math.min(2147483647, Math.trunc(x)));
    else if (v.dtype === 'bool') a[off] = x ? 1 : 0;
    else a[off] = x;
  };
  const map = (out: View, f: (idx: number[]) => number): void => {
    let k = 0;
    for (const idx of indices(out.shape)) store(out, out.offset + k++, f(idx));
  };
  return {
    name,
    liveBuffers: () => buffers.size,
    alloc(bytes) {
      const id = next++;
      buffers.set(id, new ArrayBuffer(Math.ceil(bytes / 4) * 4 || 4));
      return id;
    },
    free(b) {
      if (!buffers.delete(b)) throw new Error(`reference backend: double free of buffer ${b}`);
    },
    write(b, src, byteOffset = 0) {
      new Uint8Array(buffers.get(b)!, byteOffset, src.byteLength).set(new Uint8Array(src.buffer, src.byteOffset, src.byteLength));
    },
    async read(v) {
      return this.readSync!(v);
    },
    readSync(v) {
      const a = arr(v);
      const out = allocTyped(v.dtype, v.shape.reduce((x, y) => x * y, 1));
      let k = 0;
      for (const idx of indices(v.shape)) out[k++] = a[at(v, idx)]!;
      return out;
    },
    unary(op: UnaryOp, x, out) {
      const a = arr(x);
      map(out, (idx) => UNARY[op](a[at(x, idx)]!));
    },
    binary(op: BinaryOp, x, y, out) {
      const a = arr(x), b = arr(y);
      const int = x.dtype === 'int32';
      map(out, (idx) => {
        const r = BINARY[op](a[at(x, idx)]!, b[at(y, idx)]!, int);
        return int && !['eq', 'ne', 'lt', 'le', 'gt', 'ge'].includes(op) ? r | 0 : r;
      });
    },
    where(c, x, y, out) {
      const ca = arr(c), a = arr(x), b = arr(y);
      map(out, (idx) => (ca[at(c, idx)] ? a[at(x, idx)]! : b[at(y, idx)]!));
    },
    reduce(op: ReduceOp, x, axes, out) {
      const a = arr(x);
      const inner = axes.map((ax) => x.shape[ax]!);
      map(out, (oidx) => {
        let acc = op === 'sum' ? 0 : op === 'prod' ? 1 : NaN;
        let best = -1, bestV = NaN, pos = 0;
        for (const r of indices(inner)) {
          const idx = [...oidx];
          axes.forEach((ax, j) => (idx[ax] = r[j]!));
          const v = a[at(x, idx)]!;
          if (op === 'sum') acc += v;
          else if (op === 'prod') acc *= v;
          else {
            const isMax = op === 'max' || op === 'argmax';
            if (best < 0 || (!Number.isNaN(bestV) && (Number.isNaN(v) || (isMax ? v > bestV : v < bestV)))) {
              best = pos;
              bestV = v;
            }
          }
          pos++;
        }
        if (op === 'sum' || op === 'prod') return x.dtype === 'int32' ? acc | 0 : acc;
        return op === 'argmax' || op === 'argmin' ? best : bestV;
      });
    },
    matmul(x, y, out) {
      const a = arr(x), b = arr(y);
      const nd = out.shape.length;
      const K = x.shape[nd - 1]!;
      map(out, (idx) => {
        let s = 0;
        const ai = [...idx], bi = [...idx];
        for (let k = 0; k < K; k++) {
          ai[nd - 1] = k;
          bi[nd - 2] = k;
          s += a[at(x, ai)]! * b[at(y, bi)]!;
        }
        return s;
      });
    },
    copy(src, dst) {
      const a = arr(src);
      for (const idx of indices(dst.shape)) store(dst, at(dst, idx), a[at(src, idx)]!);
    },
    fill(dst, value) {
      map(dst, () => value);
    },
    gather(x, dim, index, out) {
      const a = arr(x), ix = arr(index);
      map(out, (idx) => {
        const i = ix[at(index, idx)]!;
        if (i < 0 || i >= x.shape[dim]!) throw new RangeError(`index ${i} is out of bounds for dimension ${dim} with size ${x.shape[dim]}`);
        const src = [...idx];
        src[dim] = i;
        return a[at(x, src)]!;
      });
    },
    scatterAdd(dst, dim, index, src) {
      const d = arr(dst), ix = arr(index), s = arr(src);
      for (const idx of indices(index.shape)) {
        const i = ix[at(index, idx)]!;
        if (i < 0 || i >= dst.shape[dim]!) throw new RangeError(`index ${i} is out of bounds for dimension ${dim} with size ${dst.shape[dim]}`);
        const t = [...idx];
        t[dim] = i;
        d[at(dst, t)] += s[at(src, idx)]!;
      }
    },
    random(dst, p: RandomParams) {
      const n = dst.shape.reduce((x, y) => x * y, 1);
      const tmp = new Float32Array(n);
      philoxFill(tmp, p.kind, p.seedLo, p.seedHi, p.counter);
      (arr(dst) as Float32Array).set(tmp, dst.offset);
    },
    memory() {
      let bytes = 0;
      for (const b of buffers.values()) bytes += b.byteLength;
      return { reservedBytes: bytes };
    },
  };
}
