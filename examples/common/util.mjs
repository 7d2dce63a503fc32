// Small helpers the examples share: command-line options, a one-line progress display,
// held-out accuracy and a seeded random source for data. The training loops stay in each
// example, written out as in PyTorch.
import * as torch from 'torchlet';

/** `--name value` options over defaults (numbers parsed when the default is a number). */
export function parseArgs(defaults) {
  const argv = process.argv.slice(2);
  const out = { ...defaults };
  for (const key of Object.keys(defaults)) {
    const flag = `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
    const i = argv.indexOf(flag);
    if (i < 0) continue;
    const v = argv[i + 1];
    out[key] = typeof defaults[key] === 'number' ? Number(v) : typeof defaults[key] === 'boolean' ? v !== 'false' : v;
  }
  out.quiet = argv.includes('--quiet') || !process.stdout.isTTY;
  return out;
}

/** Shows `epoch e/E [####....] step/steps loss ... examples/s` in place (or returns it when quiet). */
export function progress({ epoch, epochs, step, steps, loss, rate, quiet }) {
  const width = 24, done = Math.round((step / steps) * width);
  const line = `epoch ${String(epoch).padStart(2)}/${epochs} [${'#'.repeat(done)}${'.'.repeat(width - done)}] ${String(step).padStart(4)}/${steps}  loss ${loss.toFixed(4)}  ${Math.round(rate)} examples/s`;
  if (!quiet) process.stdout.write(`\r${line}`);
  return line;
}

/** The fraction of `loader`'s samples whose argmax of `predict(x)` equals the label. */
export async function accuracy(model, loader, predict) {
  model.eval();
  let correct = 0, total = 0;
  for await (const [x, y] of loader) {
    const hits = torch.tidy(() => torch.noGrad(() => predict(x).argmax({ dim: 1 }).eq(y).sum()));
    correct += await hits.item();
    total += y.shape[0];
    for (const t of [x, y, hits]) t.dispose();
  }
  model.train();
  return correct / total;
}

/** A seeded random source in [0, 1) for example data (mulberry32), separate from the model's RNG. */
export function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
