/**
 * A plain-JS backend used only by core's own tests: the simplest reading of the backend
 * contract, so core's shape, dtype and memory logic can be tested apart from any kernel.
 */
import {
  allocTyped, decodeHalf, dtypeSize, encodeHalf, isHalf, philoxFill, typedView, unaryRef, binaryRef, opKind,
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

export function createReferenceBackend(name = 'reference'): Backend & { liveBuffers(): number } {
  const buffers = new Map<number, ArrayBuffer>();
  let next = 1;
  const arr = (v: View): TypedArray => {
    const buf = buffers.get(v.buffer);
    if (!buf) throw new Error(`reference backend: buffer ${v.buffer} is not allocated`);
    const size = dtypeSize(v.dtype);
    return typedView(v.dtype, buf, 0, Math.floor(buf.byteLength / size));
  };
  const store = (v: View, off: number, x: number): void => {
    const a = arr(v);
    if (v.dtype === 'int32') a[off] = Number.isNaN(x) ? 0 : Math.max(-2147483648, Math.min(2147483647, Math.trunc(x)));
    else if (v.dtype === 'bool') a[off] = x ? 1 : 0;
    else if (isHalf(v.dtype)) a[off] = encodeHalf(v.dtype, Float32Array.of(x))[0]!;
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
      map(out, (idx) => unaryRef(op)(a[at(x, idx)]!)); // the op table's float64 meaning
    },
    binary(op: BinaryOp, x, y, out) {
      const a = arr(x), b = arr(y);
      const int = x.dtype === 'int32';
      map(out, (idx) => {
        const r = binaryRef(op)(a[at(x, idx)]!, b[at(y, idx)]!, int);
        return int && opKind('binary', op) !== 'compare' ? r | 0 : r;
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
      // float16/bfloat16 reach only copy (core computes them in float32): decode, then store converts
      const a = arr(src);
      const value = (i: number): number => (isHalf(src.dtype) ? decodeHalf(src.dtype, Uint16Array.of(a[i]!))[0]! : a[i]!);
      for (const idx of indices(dst.shape)) store(dst, at(dst, idx), value(at(src, idx)));
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
