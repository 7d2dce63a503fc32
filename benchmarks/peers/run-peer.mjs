// Runs a peer benchmark script in a child process and returns its JSON lines, or null with a
// reason when the peer is not installed. Shared by the torchlet benchmark runners.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const here = (f) => fileURLToPath(new URL(f, import.meta.url));
const OPENBLAS = '/usr/lib/x86_64-linux-gnu/openblas-pthread';

function parse(stdout) {
  return stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
}

/** TensorFlow.js on its wasm backend (XNNPACK, one thread in Node). */
export function runTfjs(args) {
  const r = spawnSync(process.execPath, [here('./bench_tfjs.mjs'), '--backend', 'wasm', ...args], { encoding: 'utf8', timeout: 600_000 });
  if (r.status !== 0) return { results: null, reason: `tfjs failed: ${r.stderr.trim().split('\n').slice(-3).join(' | ')}` };
  return { results: parse(r.stdout) };
}

/**
 * PyTorch CPU (Debian python3-torch) on `threads` threads (default one), with OpenBLAS when installed;
 * `script` is the peer script (default bench_torch.py).
 */
export function runTorch(args, { threads = 1, script = here('./bench_torch.py') } = {}) {
  const python = '/usr/bin/python3';
  const probe = spawnSync(python, ['-c', 'import torch'], { encoding: 'utf8' });
  if (probe.status !== 0) return { results: null, reason: 'PyTorch not installed (apt-get install -y python3-torch libopenblas0-pthread)' };
  const env = { ...process.env };
  if (existsSync(OPENBLAS)) env.LD_LIBRARY_PATH = [OPENBLAS, env.LD_LIBRARY_PATH].filter(Boolean).join(':');
  const r = spawnSync(python, [script, '--threads', String(threads), ...args], { encoding: 'utf8', env, timeout: 600_000 });
  if (r.status !== 0) return { results: null, reason: `PyTorch failed: ${r.stderr.trim().split('\n').slice(-3).join(' | ')}` };
  return { results: parse(r.stdout) };
}

/**
 * onnxruntime-node (native CPU) on `threads` threads (default one): the encoder layer's forward (or matmul). Exports
 * the ONNX models with PyTorch first when they are missing.
 */
export function runOrt(args, { threads = 1 } = {}) {
  const probe = spawnSync(process.execPath, ['-e', "require('onnxruntime-node')"], { encoding: 'utf8', cwd: here('.') });
  if (probe.status !== 0) return { results: null, reason: 'onnxruntime-node not installed (pnpm install in benchmarks/)' };
  if (!existsSync(here('./encoder_layer.onnx')) || !existsSync(here('./encoder_layer_io.bin'))) {
    const r = spawnSync('/usr/bin/python3', [here('./export_onnx.py')], { encoding: 'utf8', timeout: 600_000 });
    if (r.status !== 0) return { results: null, reason: `onnxruntime: export_onnx.py failed (needs PyTorch): ${r.stderr.trim().split('\n').slice(-2).join(' | ')}` };
  }
  const r = spawnSync(process.execPath, [here('./bench_ort.mjs'), '--threads', String(threads), ...args], { encoding: 'utf8', timeout: 600_000 });
  if (r.status !== 0) return { results: null, reason: `onnxruntime failed: ${r.stderr.trim().split('\n').slice(-3).join(' | ')}` };
  return { results: parse(r.stdout) };
}
