#!/usr/bin/env node
// Generates docs/guides/pytorch-translation.md, the PyTorch-to-torchlet table, from the built
// packages' exports, so no layer, loss, optimizer or scheduler is left out:
//
//   node docs/scripts/translation-table.mjs          writes the guide
//   node docs/scripts/translation-table.mjs --check  fails when the guide is stale or misses an
//                                                    exported Module subclass, loss or optimizer
//
// It imports packages/torchlet/dist (run `pnpm run build` first): the umbrella re-exports every
// public package, so walking its namespaces (nn, F, optim, transformer) covers them all.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EVERYDAY_OPS } from './translation-ops.mjs';

const root = new URL('../../', import.meta.url);
const out = fileURLToPath(new URL('docs/guides/pytorch-translation.md', root));
const torch = await import(new URL('packages/torchlet/dist/index.js', root).href);
const { nn, optim, transformer } = torch;
const F = nn.F;
// PyTorch 1.13's public names per namespace (docs/scripts/pytorch-names.py writes them), to tell
// which core functions have a PyTorch twin.
const py = JSON.parse(readFileSync(new URL('docs/scripts/pytorch-names.json', root), 'utf8'));
const inTorch = Object.fromEntries(Object.entries(py).filter(([k]) => k !== 'version').map(([k, v]) => [k, new Set(v)]));

/** camelCase -> snake_case, keeping digits with their word: maxPool2d -> max_pool2d. */
const snake = (s) => s.replace(/([a-z0-9])([A-Z])/g, '$1_$2').replace(/([A-Z])([A-Z][a-z])/g, '$1_$2').toLowerCase();
const isSubclass = (v, base) => typeof v === 'function' && v.prototype instanceof base;
const sorted = (xs) => [...xs].sort((a, b) => a.localeCompare(b));

// Constructor examples for the layers people write most; the others get `(...)` with the same
// positional arguments and keyword arguments as an options object.
const EXAMPLES = {
  Linear: ['nn.Linear(784, 128, bias=False)', 'new nn.Linear(784, 128, { bias: false })'],
  Conv2d: ['nn.Conv2d(1, 32, 3, padding=1)', 'new nn.Conv2d(1, 32, 3, { padding: 1 })'],
  Conv1d: ['nn.Conv1d(16, 32, 5, padding="same")', "new nn.Conv1d(16, 32, 5, { padding: 'same' })"],
  LSTM: ['nn.LSTM(28, 64, batch_first=True)', 'new nn.LSTM(28, 64, { batchFirst: true })'],
  GRU: ['nn.GRU(28, 64, num_layers=2)', 'new nn.GRU(28, 64, { numLayers: 2 })'],
  RNN: ['nn.RNN(28, 64, nonlinearity="relu")', "new nn.RNN(28, 64, { nonlinearity: 'relu' })"],
  Embedding: ['nn.Embedding(1000, 64, padding_idx=0)', 'new nn.Embedding(1000, 64, { paddingIdx: 0 })'],
  LayerNorm: ['nn.LayerNorm(512, eps=1e-5)', 'new nn.LayerNorm(512, { eps: 1e-5 })'],
  BatchNorm2d: ['nn.BatchNorm2d(32, momentum=0.1)', 'new nn.BatchNorm2d(32, { momentum: 0.1 })'],
  Dropout: ['nn.Dropout(p=0.1)', 'new nn.Dropout(0.1)'],
  Sequential: ['nn.Sequential(nn.Linear(4, 8), nn.ReLU())', 'new nn.Sequential(new nn.Linear(4, 8), new nn.ReLU())'],
  MaxPool2d: ['nn.MaxPool2d(3, 2, 1), nn.MaxPool2d(kernel_size=2)', 'new nn.MaxPool2d(3, 2, 1), new nn.MaxPool2d({ kernelSize: 2 })'],
  AvgPool2d: ['nn.AvgPool2d(3, 1, 1, False, False)', 'new nn.AvgPool2d(3, 1, 1, false, false)  // or (3, { stride: 1, padding: 1 })'],
  NLLLoss: ['nn.NLLLoss(weight)', 'new nn.NLLLoss(weight)  // or { weight }'],
  MSELoss: ['nn.MSELoss(reduction="sum"), nn.MSELoss(None, False)', "new nn.MSELoss({ reduction: 'sum' }), new nn.MSELoss(null, false)  // deprecated size_average/reduce mapped as PyTorch does"],
  CrossEntropyLoss: ['nn.CrossEntropyLoss(label_smoothing=0.1)', 'new nn.CrossEntropyLoss({ labelSmoothing: 0.1 })'],
  MultiheadAttention: ['nn.MultiheadAttention(512, 8, batch_first=True)', 'new torch.MultiheadAttention(512, 8, { batchFirst: true })'],
  TransformerEncoderLayer: ['nn.TransformerEncoderLayer(512, 8, 2048, 0.1)', 'new torch.TransformerEncoderLayer(512, 8, 2048, 0.1)  // or (512, 8, { dimFeedforward: 2048 })'],
  TransformerDecoder: ['decoder(tgt, memory, tgt_mask)', 'decoder(tgt, memory, tgtMask)  // or { tgtMask }'],
  SGD: ['optim.SGD(model.parameters(), lr=0.01, momentum=0.9)', 'new optim.SGD(model.parameters(), { lr: 0.01, momentum: 0.9 })'],
  Adam: ['optim.Adam(model.parameters(), lr=1e-3)', 'new optim.Adam(model.parameters(), { lr: 1e-3 })'],
  AdamW: ['optim.AdamW(model.parameters(), weight_decay=0.01)', 'new optim.AdamW(model.parameters(), { weightDecay: 0.01 })'],
  StepLR: ['lr_scheduler.StepLR(opt, step_size=10, gamma=0.1)', 'new optim.StepLR(opt, { stepSize: 10, gamma: 0.1 })'],
  QuantizedLinear: ['torch.ao.nn.quantized.dynamic.Linear(...)', 'new nn.QuantizedLinear(...)'],
  RMSNorm: ['nn.RMSNorm(4096, eps=1e-5)', 'new nn.RMSNorm(4096, { eps: 1e-5 })'],
};
// torchlet modules with no torch.nn class of that name (nanoGPT-style models, positional
// encodings, half-precision layers): the PyTorch column says so.
const NOT_IN_TORCH = new Set(['GPT', 'GPTModel', 'Block', 'CausalSelfAttention', 'MLP', 'LearnedPositionalEmbedding', 'SinusoidalPositionalEncoding', 'Float16Linear']);
// torchlet modules that are Hugging Face classes (transformers' Llama family, PEFT's LoRA layer): their Python name.
const HUGGING_FACE = {
  LlamaForCausalLM: 'transformers.LlamaForCausalLM(config)', LlamaModel: 'transformers.LlamaModel(config)',
  LlamaDecoderLayer: 'transformers...LlamaDecoderLayer(config, i)', LlamaAttention: 'transformers...LlamaAttention(config, i)',
  LlamaMLP: 'transformers...LlamaMLP(config)', RotaryEmbedding: 'transformers...LlamaRotaryEmbedding(config)',
  LoraLinear: 'peft.tuners.lora.Linear (get_peft_model(model, LoraConfig(...)))',
};

// Tensor methods and torch functions: PyTorch call -> torchlet call, for the common cases.
const TENSOR = [
  ['torch.tensor([[1, 2], [3, 4]], dtype=torch.float32)', "torch.tensor([[1, 2], [3, 4]], { dtype: 'float32' })"],
  ['torch.zeros(2, 3), torch.ones((2, 3))', 'torch.zeros(2, 3), torch.ones([2, 3])'],
  ['torch.randn(64, 784, requires_grad=True)', 'torch.randn(64, 784, { requiresGrad: true })'],
  ['torch.tensor([2**32 + 5], dtype=torch.int32)', "torch.tensor([2 ** 32 + 5], { dtype: 'int32' })  // throws: overflow, as in PyTorch"],
  ['torch.arange(0, 10, 2)', 'torch.arange(0, 10, 2)'],
  ['torch.randint(0, 10, (64,)), torch.randint(10, (64,))', 'torch.randint(0, 10, [64]), torch.randint(10, [64])'],
  ['torch.from_numpy(a)', "torch.fromArray(float32Array, [2, 3])"],
  ['torch.manual_seed(0)', 'torch.manualSeed(0)'],
  ['torch.set_num_threads(2)', "await torch.setBackend('wasm', { threads: 2 })  // before the first op; every core ('auto') is the default, { threads: 1 } opts out"],
  ['x.shape, x.dtype, x.dim(), x.numel()', 'x.shape, x.dtype, x.ndim, x.numel()'],
  ['x.size(1)', 'x.size(1)'],
  ['x.view(8, -1)', 'x.view([8, -1])'],
  ['x.reshape(8, -1)', 'x.reshape([8, -1])'],
  ['x.permute(1, 0)', 'x.permute([1, 0])'],
  ['x.transpose(0, 1), x.t()', 'x.transpose(0, 1), x.t()'],
  ['x.unsqueeze(0), x.squeeze(0)', 'x.unsqueeze(0), x.squeeze(0)'],
  ['torch.flatten(x, start_dim=1), x.transpose(dim0=0, dim1=1)', 'torch.flatten(x, { startDim: 1 }), x.transpose({ dim0: 0, dim1: 1 })  // or positionally'],
  ['x.unsqueeze(dim=0), x.narrow(dim=1, start=0, length=2)', 'x.unsqueeze({ dim: 0 }), x.narrow({ dim: 1, start: 0, length: 2 })'],
  ['F.max_pool2d(x, 3, 2, 1), F.avg_pool2d(x, 2, stride=1)', 'F.maxPool2d(x, 3, 2, 1), F.avgPool2d(x, 2, { stride: 1 })'],
  ['F.pad(x, (1, 1), "constant", 0.5), F.pad(x, (1, 1), value=0.5)', "F.pad(x, [1, 1], 'constant', 0.5), F.pad(x, [1, 1], { value: 0.5 })"],
  ['F.cross_entropy(logits, y, class_weight), F.nll_loss(logp, y, w, ignore_index=0)', 'F.crossEntropy(logits, y, classWeight), F.nllLoss(logp, y, w, { ignoreIndex: 0 })'],
  ['x[:, 1:3]', 'x.slice(1, 1, 3)  // or x.narrow(1, 1, 2)'],
  ['x[0]', 'x.select(0, 0)'],
  ['x.contiguous()', 'x.contiguous()'],
  ['x + y, x * 2, x @ w', 'x.add(y), x.mul(2), x.matmul(w)'],
  ['x.sum(1), x.sum(dim=1, keepdim=True)', 'x.sum(1), x.sum({ dim: 1, keepdim: true })  // or x.sum(1, true)'],
  ['x.mean(), x.mean(1)', 'x.mean(), x.mean(1)'],
  ['values, indices = torch.max(x, 1)', 'const [values, indices] = torch.max(x, 1)  // also .values, .indices'],
  ['x.argmax(1), x.argmax(dim=1)', 'x.argmax(1), x.argmax({ dim: 1 })'],
  ['x.var(0, unbiased=False)', 'x.var(0, false)  // or x.var({ dim: 0, unbiased: false })'],
  ['torch.cat([a, b], dim=1), torch.stack([a, b])', 'torch.cat([a, b], { dim: 1 }), torch.stack([a, b])  // or cat([a, b], 1)'],
  ['torch.softmax(x, dim=-1), F.log_softmax(x, 1)', 'torch.softmax(x, { dim: -1 }), F.logSoftmax(x, 1)'],
  ['x.clamp(min=0, max=1), x.clamp(0)', 'x.clamp({ min: 0, max: 1 }), x.clamp(0)'],
  ['torch.where(c, a, b)', 'torch.where(c, a, b)'],
  ['x.masked_fill(mask, float("-inf"))', 'x.maskedFill(mask, -Infinity)'],
  ['x.float(), x.int(), x.to(torch.int32)', "x.float(), x.int(), x.to('int32')"],
  ['x.item(), x.tolist()', 'await x.item(), await x.tolist()  // without await: a TypeError, not "0[object Promise]"'],
  ['running_loss += loss.item()', 'runningLoss += await loss.item()'],
  ['print(x)', 'console.log(x)  // tensor([1., 2.], requires_grad=True), as PyTorch prints'],
  ['x.numpy()', 'await x.data()  // or x.dataSync() on the wasm backend'],
  ['x.detach(), x.clone()', 'x.detach(), x.clone()'],
  ['x.requires_grad_(), x.grad', 'x.requiresGrad_(), x.grad'],
  ['loss.backward()', 'loss.backward()'],
  ['torch.autograd.grad(y, [x])', 'torch.gradOf(y, [x])  // or torch.autograd.gradOf'],
  ['with torch.no_grad(): ...', 'torch.noGrad(() => ...)'],
  ['step = torch.compile(train_step)', 'const step = torch.compile(trainStep)  // traced on the 2nd call, replayed after; see the performance guide'],
  ['torch.compile(f, fullgraph=True, mode="reduce-overhead")', "torch.compile(f, { fullgraph: true, mode: 'reduce-overhead' })"],
  ['x.add_(y), x.zero_()', 'x.add_(y), x.zero_()'],
  ['del x  (garbage collected)', 'x.dispose(), torch.tidy(() => ...), using x = ...'],
];

// Dtypes: PyTorch's names, what torchlet stores, and the conversions.
const DTYPES = [
  ['torch.float32, torch.float', "torch.float32, torch.float  // 'float32'"],
  ['torch.float16, torch.half', "torch.float16, torch.half  // 'float16': storage, computes in float32"],
  ['torch.bfloat16', "torch.bfloat16  // 'bfloat16': storage, computes in float32"],
  ['torch.int64, torch.long', "torch.int64, torch.long  // 'int32' storage; values outside int32 throw"],
  ['torch.int32, torch.bool', "torch.int32, torch.bool  // 'int32', 'bool'"],
  ['torch.float64, torch.double', "(not supported: throws; use 'float32')"],
  ['torch.tensor([2, 0])  (int64 index)', "torch.tensor([2, 0], { dtype: 'int64' })  // numbers default to float32; float indices throw"],
  ['x.half(), x.bfloat16(), x.float(), x.long()', 'x.half(), x.bfloat16(), x.float(), x.long()'],
  ['x.to(torch.float16), x.to(dtype=torch.bfloat16)', "x.to(torch.float16), x.to('bfloat16')"],
  ['model.half(), model.bfloat16(), model.float()', 'model.half(), model.bfloat16(), model.float()'],
  ['model.to(torch.bfloat16)', "model.to('bfloat16')"],
  ['torch.promote_types(torch.half, torch.bfloat16)', "torch.promoteTypes('float16', 'bfloat16')  // 'float32'"],
  ['torch.result_type(x, 2.5)', 'torch.resultType(x, 2.5)'],
];

const modules = sorted(Object.keys(nn).filter((k) => k === 'Module' || isSubclass(nn[k], nn.Module)));
const trModules = sorted(Object.keys(transformer).filter((k) => isSubclass(transformer[k], nn.Module)));
const lossModules = modules.filter((k) => k.endsWith('Loss'));
const layers = modules.filter((k) => !k.endsWith('Loss'));
const coreNames = new Set(Object.keys(torch));
const fLosses = sorted(Object.keys(F).filter((k) => !coreNames.has(k)));
const fOps = sorted(Object.keys(F).filter((k) => coreNames.has(k)));
const optimizers = sorted(Object.keys(optim).filter((k) => k === 'Optimizer' || isSubclass(optim[k], optim.Optimizer)));
const schedulers = sorted(Object.keys(optim).filter((k) => k === 'LRScheduler' || isSubclass(optim[k], optim.LRScheduler)));
// skipInit lives in nn.init for the initialisers' sake but is PyTorch's nn.utils.skip_init (its own row).
const inits = sorted(Object.keys(nn.init)).filter((k) => k !== 'skipInit');

const rows = (pairs) => pairs.map(([a, b]) => `| \`${a}\` | \`${b.replaceAll('|', '\\|')}\` |`).join('\n');
const classRows = (names, pyPrefix, tsPrefix) => rows(names.map((k) => EXAMPLES[k] ??
  [NOT_IN_TORCH.has(k) ? `(no torch.nn class) ${k}` : HUGGING_FACE[k] ?? `${pyPrefix}${k}(...)`, `new ${typeof tsPrefix === 'function' ? tsPrefix(k) : tsPrefix}${k}(...)`]));
// The Transformer classes the umbrella also exports at the top level are written torch.X; the
// others (GPT, Llama, positional encodings) live under torch.transformer.
const trPrefix = (k) => (k in torch ? 'torch.' : 'torch.transformer.');

// nn.init: the arguments PyTorch needs besides the tensor.
const INIT = {
  calculateGain: ["nn.init.calculate_gain('leaky_relu', 0.2)", "nn.init.calculateGain('leaky_relu', 0.2)"],
  calculateFanInAndFanOut: ['nn.init._calculate_fan_in_and_fan_out(w)', 'nn.init.calculateFanInAndFanOut(w)'],
  constant_: ['nn.init.constant_(w, 0.1)', 'nn.init.constant_(w, 0.1)'],
  uniform_: ['nn.init.uniform_(w, -0.1, 0.1)', 'nn.init.uniform_(w, -0.1, 0.1)'],
  normal_: ['nn.init.normal_(w, mean=0.0, std=0.02)', 'nn.init.normal_(w, 0, 0.02)'],
  xavierUniform_: ["nn.init.xavier_uniform_(w, gain=nn.init.calculate_gain('tanh'))", "nn.init.xavierUniform_(w, nn.init.calculateGain('tanh'))"],
  kaimingNormal_: ["nn.init.kaiming_normal_(w, mode='fan_out', nonlinearity='relu')", "nn.init.kaimingNormal_(w, { mode: 'fanOut', nonlinearity: 'relu' })"],
};

// Every function of @torchlet/core (at the top level of torchlet) that has a PyTorch twin of the
// same name, as torch.* (or, for Tensor-only methods, x.*): the op list stays complete as ops are added.
// (@internal ones, which have no API page, are left out.)
const coreSrc = fileURLToPath(new URL('packages/core/src/', root));
const internal = new Set(readdirSync(coreSrc, { recursive: true }).filter((f) => f.endsWith('.ts'))
  .flatMap((f) => [...readFileSync(join(coreSrc, f), 'utf8').matchAll(/@internal[^/]*?\*\/\s*export (?:async )?function (\w+)/g)].map((m) => m[1])));
const coreFns = sorted(Object.keys(torch).filter((k) => typeof torch[k] === 'function' && !/^[A-Z]/.test(k)
  && !['gradOf', 'grad', 'valueAndGrad'].includes(k) && !internal.has(k)));
const PY_NAME = { isTensor: 'is_tensor' };
// Same name, another meaning: torchlet's take a shape and strides (helpers for kernels), PyTorch's a tensor.
const NOT_TWINS = new Set(['coalesce', 'numel', 'isContiguous']);
const torchFnRows = [];
const torchOnly = [];
for (const k of coreFns) {
  const s = PY_NAME[k] ?? snake(k);
  if (NOT_TWINS.has(k)) torchOnly.push(k);
  else if (inTorch.torch.has(s)) torchFnRows.push([`torch.${s}(...)`, `torch.${k}(...)`]);
  else if (inTorch.Tensor.has(s)) torchFnRows.push([`x.${s}(...)`, `x.${k}(...)`]);
  else if (!inTorch.functional.has(s) && k !== 'scaledDotProductAttention') torchOnly.push(k);   // F.* are listed below
}

const md = `---
title: PyTorch to torchlet
---

# PyTorch to torchlet

<!-- Generated by docs/scripts/translation-table.mjs from the packages' exports; do not edit by hand.
     \`pnpm run docs:check\` fails when this file misses an exported layer, loss or optimizer. -->

torchlet keeps PyTorch's names, arguments and defaults. The rules that translate almost every line:

- Classes are constructed with \`new\`: \`nn.Linear(784, 128)\` is \`new nn.Linear(784, 128)\`.
- Sizes are varargs or one array, as in PyTorch: \`torch.zeros(2, 3)\` or \`torch.zeros([2, 3])\`; a tuple \`(2, 3)\` is an array.
- Positional arguments keep PyTorch's order (\`x.sum(1)\`, \`x.sum(1, true)\`, \`torch.max(x, 1)\`); keyword arguments
  become one options object, in camelCase, last: \`sum(dim=1, keepdim=True)\` is \`sum({ dim: 1, keepdim: true })\`
  or \`sum(1, { keepdim: true })\`. An option the function does not know throws and names the closest one
  (\`{ weight_decay: 0.1 }\` → "unknown option 'weight_decay'; did you mean weightDecay?"), and so does a value of
  the wrong type or range, in plain JavaScript too.
- snake_case names become camelCase (\`F.cross_entropy\` is \`F.crossEntropy\`, \`zero_grad\` is \`zeroGrad\`);
  trailing underscores for in-place ops stay (\`x.add_(y)\`, \`nn.init.kaimingUniform_\`).
- State-dict keys stay exactly PyTorch's (\`0.weight\`, \`self_attn.in_proj_weight\`), so checkpoints move both ways.
- Calling a module is as in PyTorch: \`model(x)\` runs \`model.forward(x)\` and its hooks (a module is a function
  object: \`typeof model\` is \`'function'\`; save it through \`stateDict()\`, not JSON); reading values is async (\`await x.item()\`: a read used in arithmetic or a
  string without \`await\` throws a TypeError saying so), and tensors are freed
  with \`dispose()\` or \`torch.tidy\` (see the memory guide).

\`\`\`ts
import * as torch from 'torchlet';
const { nn, optim, F } = torch;
\`\`\`

## Tensors and autograd

| PyTorch | torchlet |
|---|---|
${rows(TENSOR)}

## Everyday ops (sorting, scans, einsum, norms, scatter, selection, indexing)

| PyTorch | torchlet |
|---|---|
${rows(EVERYDAY_OPS)}

## Dtypes

float16 and bfloat16 are storage dtypes: 2 bytes per element, converted bit for bit as PyTorch does
(round to nearest even), and every op on them computes in float32 and rounds the result back. int64 is
accepted under all of PyTorch's names and stored as int32. See the saving-loading guide for F16, BF16 and
I64 checkpoints. Optimizers update float32 parameters only: a float16 or bfloat16 parameter is refused when
the optimizer is built and at \`step()\` (after \`model.half()\`), naming its shape; train in float32 and keep
\`model.half()\` for inference (PyTorch's mixed precision also keeps float32 master weights).

| PyTorch | torchlet |
|---|---|
${rows(DTYPES)}

## Every torch function torchlet has

Generated from the exports: each function of \`@torchlet/core\` whose PyTorch name (snake_case)
exists in PyTorch 1.13, as \`torch.name\` (or as a Tensor method where PyTorch has only that).
Positional arguments keep PyTorch's order; keyword arguments become the options object.

| PyTorch | torchlet |
|---|---|
${rows(torchFnRows)}

Exports with no PyTorch function of that name (memory, backends, argument checks for library
code; \`fromArray\` and \`slice\` are in the first table):
${torchOnly.map((k) => `\`${k}\``).join(', ')}.

## Layers (every \`nn.Module\` subclass)

| PyTorch | torchlet |
|---|---|
${classRows(layers, 'nn.', 'nn.')}
${classRows(trModules, 'nn.', trPrefix)}

The Transformer classes live in \`@torchlet/transformer\` and are re-exported at the top level of
\`torchlet\` (\`torch.MultiheadAttention\`) and under \`torch.transformer\`.

## Losses

| PyTorch | torchlet |
|---|---|
${classRows(lossModules, 'nn.', 'nn.')}
${rows(fLosses.map((k) => [`F.${snake(k)}(input, target)`, `F.${k}(input, target)`]))}

## Functional API (\`torch.nn.functional\`)

| PyTorch | torchlet |
|---|---|
${rows(fOps.map((k) => [`F.${snake(k)}(...)`, `F.${k}(...)`]))}
| \`F.scaled_dot_product_attention(q, k, v, is_causal=True)\` | \`torch.scaledDotProductAttention(q, k, v, { isCausal: true })\` |

## Optimizers

| PyTorch | torchlet |
|---|---|
${classRows(optimizers, 'optim.', 'optim.')}
| \`opt.zero_grad(); loss.backward(); opt.step()\` | \`opt.zeroGrad(); loss.backward(); opt.step()\` |
| \`torch.nn.utils.clip_grad_norm_(params, 1.0, norm_type=2)\` | \`nn.utils.clipGradNorm_(params, 1.0, 2)  // also nn.utils.clip_grad_norm_, optim.clipGradNorm\` |
| \`torch.nn.utils.clip_grad_value_(params, 0.5)\` | \`nn.utils.clipGradValue_(params, 0.5)  // also nn.utils.clip_grad_value_, optim.clipGradValue\` |
| \`torch.nn.utils.skip_init(nn.Linear, 4, 2)\` | \`nn.utils.skipInit(nn.Linear, 4, 2)  // also nn.utils.skip_init\` |

## Learning-rate schedulers

| PyTorch | torchlet |
|---|---|
${classRows(schedulers, 'lr_scheduler.', 'optim.')}

## Initialisation (\`torch.nn.init\`)

| PyTorch | torchlet |
|---|---|
${rows(inits.map((k) => INIT[k] ?? [`nn.init.${snake(k)}(w)`, `nn.init.${k}(w)`]))}

## Modules: state dicts and modes

| PyTorch | torchlet |
|---|---|
| \`model(x)\` | \`model(x)\` (or \`model.forward(x)\`: the same, hooks included) |
| \`model.parameters(), model.named_parameters()\` | \`model.parameters(), model.namedParameters()\` |
| \`model.state_dict(), model.load_state_dict(sd)\` | \`model.stateDict(), model.loadStateDict(sd)\` |
| \`model.train(), model.eval()\` | \`model.train(), model.eval()\` |
| \`self.register_buffer('scale', t); self.scale\` | \`this.registerBuffer('scale', t); this.scale\` (readable and writable) |
| \`model.get_submodule('encoder.layers.0'), model.named_modules()\` | \`model.getSubmodule('encoder.layers.0'), model.namedModules()\` |
| \`model.register_forward_hook(fn), model.register_forward_pre_hook(fn)\` | \`model.registerForwardHook(fn), model.registerForwardPreHook(fn)\` (a returned value replaces output / arguments) |
| \`model.register_full_backward_hook(fn)\` | \`model.registerFullBackwardHook((m, gradInput, gradOutput) => ...)\` (a returned array replaces gradInput) |
| \`model.register_backward_hook(fn)\` (deprecated) | not provided: its gradInput is the last operation's; use \`registerFullBackwardHook\` |
| \`torch.utils.hooks.BackwardHookFunction\` (a gradient probe) | \`torch.tapGradient(x, name, (g) => g)\` |
| \`model.requires_grad_(False), model.apply(fn)\` | \`model.requiresGrad_(false), model.apply(fn)\` |
| \`safetensors.torch.save_file(sd, path)\` | \`await nn.saveSafetensors(sd)\` (bytes) |
| \`safetensors.torch.load_file(path)\` | \`nn.loadSafetensors(bytes)\` |
`;

if (process.argv.includes('--check')) {
  const current = readFileSync(out, 'utf8');
  const missing = [...modules, ...trModules, ...fLosses, ...optimizers, ...schedulers]
    .filter((k) => !current.includes(k));
  if (missing.length > 0) {
    console.error(`docs/guides/pytorch-translation.md misses: ${missing.join(', ')}`);
  }
  if (current !== md) console.error('docs/guides/pytorch-translation.md is stale: run node docs/scripts/translation-table.mjs');
  if (missing.length > 0 || current !== md) process.exit(1);
  console.log(`translation table: ${torchFnRows.length} torch functions, ${layers.length + trModules.length} layers, ${lossModules.length + fLosses.length} losses, ${optimizers.length} optimizers, ${schedulers.length} schedulers, all listed`);
} else {
  writeFileSync(out, md);
  console.log(`wrote ${out}`);
}
