// Small helpers the examples share: command-line options, a one-line progress display,
// held-out accuracy and a seeded random source for data. The training loops stay in each
// example, written out as in PyTorch.
import * as torch from 'torchlet';

const flagOf = (key) => `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;

/**
 * `--name value` options over defaults (numbers parsed when the default is a number; a default of
 * `undefined` takes a number; a boolean default takes `--name` alone or `--name false`), plus
 * `--quiet` (also on when stdout is not a terminal). `--help` prints `about`, then every option with
 * its default and `help[key]`, and exits 0; an unknown option or a value that is not a number
 * exits 2 naming it, so a typo never trains with the default silently.
 */
export function parseArgs(defaults, { about = '', help = {} } = {}) {
  const argv = process.argv.slice(2);
  const known = new Map(Object.keys(defaults).map((k) => [flagOf(k), k]));
  if (argv.includes('--help') || argv.includes('-h')) {
    const script = process.argv[1]?.replace(/^.*\/examples\//, 'examples/') ?? 'main.mjs';
    const rows = [...known].map(([flag, k]) => [`  ${flag}${typeof defaults[k] === 'boolean' ? '' : ' <value>'}`, `${help[k] ? `${help[k]} ` : ''}(default ${defaults[k] ?? 'none'})`]);
    rows.push(['  --quiet', 'one line per epoch or evaluation, no in-place progress'], ['  --help', 'this text']);
    const width = Math.max(...rows.map((r) => r[0].length)) + 2;
    console.log(`${about ? `${about}\n\n` : ''}usage: node ${script} [options]\n\noptions:\n${rows.map(([a, b]) => a.padEnd(width) + b).join('\n')}`);
    process.exit(0);
  }
  const out = { ...defaults };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--quiet') continue;
    const key = known.get(a);
    if (key === undefined) fail(`unknown option ${a}${a.startsWith('--') ? '' : ' (options start with --)'}; --help lists them`);
    if (typeof defaults[key] === 'boolean') {
      out[key] = argv[i + 1] === 'false' ? (i++, false) : argv[i + 1] === 'true' ? (i++, true) : true;
      continue;
    }
    const v = argv[++i];
    if (v === undefined) fail(`${a} needs a value`);
    if (typeof defaults[key] === 'number' || defaults[key] === undefined) {
      const n = Number(v);
      if (v.trim() === '' || !Number.isFinite(n)) fail(`${a} takes a number, got '${v}'`);
      out[key] = n;
    } else {
      out[key] = v;
    }
  }
  out.quiet = argv.includes('--quiet') || !process.stdout.isTTY;
  return out;
}

function fail(message) {
  console.error(`error: ${message}`);
  process.exit(2);
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

/**
 * Sets exit status 1 (with a message) when `min` is given and `accuracy` is below it. The examples
 * print their accuracy and exit 0 otherwise, so a short run (`--epochs 1`) is not a failure; CI
 * passes `--min-accuracy` to assert a result.
 */
export function checkAccuracy(accuracy, min) {
  if (min !== undefined && !(accuracy >= min)) {
    console.error(`error: held-out accuracy ${accuracy} is below --min-accuracy ${min}`);
    process.exitCode = 1;
  }
}
