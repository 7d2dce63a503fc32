// The matmul floor of a workload: the time its matrix products alone take on the backend's own
// matmul, for the exact shapes and operand layouts the workload uses, measured in the same run.
// `recordProducts` runs the workload once with the backend's matmul and fused attention kernels
// wrapped, noting every product; `floorMs` replays just those products (on fresh buffers of the
// same layouts) and returns the median time of one replay. A fused attention pass counts as the
// batched products it stands for, timed on the backend's matmul: forward Q K^T and P V, backward
// dV = P^T dO, dP = dO V^T, dQ = dS K, dK = dS^T Q (its recomputation of P is not counted: that
// is the kernel's choice, not the workload's). A workload is at its floor when everything
// around the products (element-wise ops, reductions, dispatch, allocation) costs nothing.
import { performance } from 'node:perf_hooks';

const contiguous = (shape) => {
  const s = new Array(shape.length);
  for (let d = shape.length - 1, acc = 1; d >= 0; d--) {
    s[d] = acc;
    acc *= shape[d];
  }
  return s;
};
const layout = (v) => ({ shape: [...v.shape], strides: [...v.strides] });
const numel = (shape) => shape.reduce((a, b) => a * b, 1);

/** Multiply-adds of a product `a @ b` with these shapes (batch dims broadcast). */
function macs(p) {
  return numel(p.out.shape) * p.a.shape[p.a.shape.length - 1];
}

/** The batched products a fused attention pass stands for, as contiguous layouts. */
function attentionProducts(q, k, v, backward) {
  const [B, H, L, D] = q.shape, S = k.shape[2], Dv = v.shape[3];
  const mm = (M, K, N) => {
    const a = [B * H, M, K], b = [B * H, K, N], out = [B * H, M, N];
    return { a: { shape: a, strides: contiguous(a) }, b: { shape: b, strides: contiguous(b) }, out: { shape: out, strides: contiguous(out) } };
  };
  if (!backward) return [mm(L, D, S), mm(L, S, Dv)];
  return [mm(S, L, Dv), mm(L, Dv, S), mm(L, S, D), mm(S, L, D)];
}

/**
 * Runs `fn` once with `backend.matmul` and its fused attention kernels wrapped, and returns the
 * products they ran: `{ a, b, out }` layouts (shape and strides).
 */
export function recordProducts(backend, fn) {
  const products = [];
  const own = Object.getOwnPropertyDescriptor(backend, 'fused');
  const matmul = backend.matmul;
  backend.matmul = function (a, b, out) {
    products.push({ a: layout(a), b: layout(b), out: layout(out) });
    return matmul.call(this, a, b, out);
  };
  if (backend.fused?.attention) {
    const fused = backend.fused;
    Object.defineProperty(backend, 'fused', {
      configurable: true,
      value: {
        ...fused,
        attention: (q, k, v, ...rest) => {
          products.push(...attentionProducts(q, k, v, false));
          return fused.attention(q, k, v, ...rest);
        },
        attentionBackward: (q, k, v, ...rest) => {
          products.push(...attentionProducts(q, k, v, true));
          return fused.attentionBackward(q, k, v, ...rest);
        },
      },
    });
  }
  try {
    fn();
  } finally {
    delete backend.matmul; // back to the class's method
    if (own) Object.defineProperty(backend, 'fused', own);
  }
  return products;
}

/** Floating-point operations (2 per multiply-add) of recorded products. */
export function productFlops(products) {
  return products.reduce((s, p) => s + 2 * macs(p), 0);
}

/** A buffer laid out as `l`, filled with small values; returns its view. */
function place(backend, l, seed) {
  let lo = 0, hi = 0;
  l.shape.forEach((n, d) => {
    const reach = (n - 1) * l.strides[d];
    if (reach < 0) lo += reach;
    else hi += reach;
  });
  const n = numel(l.shape) === 0 ? 0 : hi - lo + 1;
  const data = new Float32Array(Math.max(1, n));
  let s = seed >>> 0;
  for (let i = 0; i < data.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    data[i] = s / 4294967296 - 0.5;
  }
  const buffer = backend.alloc(data.byteLength);
  backend.write(buffer, data);
  return { buffer, dtype: 'float32', shape: l.shape, strides: l.strides, offset: -lo };
}

/**
 * The products' replay on fresh buffers of the same layouts (filled with small values):
 * `once()` runs every product once on `backend`'s matmul; `free()` releases the buffers.
 */
export function productReplay(backend, products) {
  const views = products.map((p, i) => ({ a: place(backend, p.a, 3 * i + 1), b: place(backend, p.b, 3 * i + 2), out: place(backend, p.out, 3 * i + 3) }));
  return {
    once: () => {
      for (const v of views) backend.matmul(v.a, v.b, v.out);
    },
    free: () => {
      for (const v of views) for (const x of [v.a, v.b, v.out]) backend.free(x.buffer);
    },
  };
}

/**
 * Median milliseconds of one replay of `products` on `backend` (after `warmup` replays), over
 * `reps` replays.
 */
export function floorMs(backend, products, { reps = 20, warmup = 3 } = {}) {
  const { once, free } = productReplay(backend, products);
  try {
    for (let i = 0; i < warmup; i++) once();
    const ts = [];
    for (let i = 0; i < reps; i++) {
      const t0 = performance.now();
      once();
      ts.push(performance.now() - t0);
    }
    return median(ts);
  } finally {
    free();
  }
}

/** Milliseconds of CPU time this process has used (user + system). */
export function cpuMs() {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/**
 * A compiled call against its floor in process CPU time, the two alternating call by call so that
 * load on a shared machine hits both alike: `rounds` rounds over `setups` (`{ be, run, floor }`,
 * `be` the registered backend name each runs on), `steps` pairs per round. Adds to each setup
 * `res`, the per-round `{ c, f }` (compiled and floor ms per call), and returns the setups with
 * the medians over rounds of `c`, `f` and their ratio `q`.
 */
export async function alternateCpu(torch, setups, { rounds, steps }) {
  for (const u of setups) u.res = [];
  for (let r = 0; r < rounds; r++) {
    for (const u of setups) {
      await torch.setBackend(u.be);
      let tc = 0, tf = 0;
      for (let s = 0; s < steps; s++) {
        let t0 = cpuMs();
        u.run();
        tc += cpuMs() - t0;
        t0 = cpuMs();
        u.floor();
        tf += cpuMs() - t0;
      }
      u.res.push({ c: tc / steps, f: tf / steps });
    }
  }
  return setups.map((u) => ({
    ...u,
    c: median(u.res.map((x) => x.c)),
    f: median(u.res.map((x) => x.f)),
    q: median(u.res.map((x) => x.c / x.f)),
    rounds: u.res.map((x) => (x.c / x.f).toFixed(3)).join(' '),
  }));
}

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
