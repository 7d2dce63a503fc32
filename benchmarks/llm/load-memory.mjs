// Loads a Hugging Face Llama folder (LlamaForCausalLM.fromPretrained) in a fresh process and prints
// one JSON line: the peak resident set of the process (before and after loading), the wasm
// backend's memory, the parameter count and the model's float32 size. Run by ./run.mjs.
//
// Usage: node benchmarks/llm/load-memory.mjs <checkpoint folder>
import { performance } from 'node:perf_hooks';
import * as torch from 'torchlet';

const dir = process.argv[2];
if (!dir) throw new Error('usage: node benchmarks/llm/load-memory.mjs <checkpoint folder>');
await torch.setBackend('wasm');
torch.noGrad(() => torch.ones([1]).add(1).dispose()); // the backend's memory exists before the baseline
const baseRss = process.resourceUsage().maxRSS * 1024;
const t0 = performance.now();
const model = await torch.transformer.LlamaForCausalLM.fromPretrained(dir);
const loadMs = performance.now() - t0;
const peakRss = process.resourceUsage().maxRSS * 1024;
const params = model.parameters().reduce((n, p) => n + p.numel(), 0);
const m = torch.memory();
const wasmBytes = Object.values(m.backends).reduce((n, b) => n + (b.reservedBytes ?? 0), 0);
console.log(JSON.stringify({ params, f32Bytes: 4 * params, baseRss, peakRss, wasmBytes, tensorBytes: m.bytes, loadMs }));
