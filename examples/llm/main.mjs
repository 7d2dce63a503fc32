// A Llama-family language model end to end: a model (a Hugging Face folder or a llama2.c .bin
// given with --checkpoint, or else a small Llama pretrained here on Shakespeare's sonnets, which
// ship with the repository), text streamed from it token by token with prefill and decode speed,
// then LoRA fine-tuning on a text (PEFT's semantics: the base frozen, only the adapters learn)
// with the loss falling and a sample before and after, and the adapter saved as PEFT's
// adapter_model.safetensors.
//
//   node examples/llm/main.mjs [--checkpoint dir-or-file.bin] [--pretrain-steps 300] [--steps 100]
//        [--data text.txt] [--prompt "..."] [--new-tokens 60] [--rank 8] [--out adapter.safetensors] [--quiet]
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as torch from 'torchlet';
import { parseArgs, rng } from '@torchlet/example-common';

const { nn, optim, transformer } = torch;
const opts = parseArgs({
  checkpoint: '', pretrainSteps: 300, steps: 100, data: fileURLToPath(new URL('../char-lm/data/sonnets.txt', import.meta.url)),
  prompt: 'Shall I compare thee', newTokens: 60, rank: 8, lr: 3e-3, loraLr: 2e-2, blockSize: 64, batchSize: 8, seed: 0, out: '', threads: 1,
}, {
  about: 'A Llama-family model: load or pretrain one, stream tokens with tokens/s, fine-tune with LoRA, save the adapter (PEFT format).',
  help: {
    checkpoint: 'a Hugging Face folder (config.json + safetensors) or a llama2.c .bin; empty: pretrain a small Llama here',
    pretrainSteps: 'steps of pretraining when no checkpoint is given', steps: 'LoRA fine-tuning steps', data: 'a UTF-8 text for fine-tuning',
    prompt: 'the prompt (token ids separated by commas for a llama2.c checkpoint without tokenizer)', newTokens: 'tokens to generate',
    rank: 'LoRA rank r (alpha = 2r)', lr: 'AdamW learning rate of pretraining', loraLr: 'AdamW learning rate of the adapters', out: 'where to write the adapter (empty: do not write)', threads: 'wasm threads',
  },
});
await torch.setBackend('wasm', { threads: opts.threads });
torch.manualSeed(opts.seed);
const rand = rng(opts.seed);
const mb = (n) => `${(n / 2 ** 20).toFixed(1)} MB`;
const text = readFileSync(opts.data, 'utf8').split('\n').filter((l) => !l.startsWith('#')).join('\n').trim() + '\n';

// 1. The model and its tokenizer.
let model, tok = null;
if (opts.checkpoint && statSync(opts.checkpoint).isFile()) {
  model = transformer.loadLlama2c(new Uint8Array(readFileSync(opts.checkpoint)));
  console.log(`llama2.c checkpoint ${opts.checkpoint}: token ids only (llama2.c's tokenizer is a separate file)`);
} else if (opts.checkpoint) {
  model = await transformer.LlamaForCausalLM.fromPretrained(opts.checkpoint);
  const tj = `${opts.checkpoint}/tokenizer.json`, sp = `${opts.checkpoint}/tokenizer.model`;
  if (existsSync(tj)) tok = transformer.HFTokenizer.fromJSON(readFileSync(tj, 'utf8'));
  else if (existsSync(sp)) tok = transformer.SentencePieceTokenizer.fromModel(new Uint8Array(readFileSync(sp)));
  console.log(`Hugging Face checkpoint ${opts.checkpoint}${tok ? '' : ' (no tokenizer.json or tokenizer.model: token ids only)'}`);
} else {
  tok = transformer.CharTokenizer.fromText(text);
  model = new transformer.LlamaForCausalLM({ vocabSize: tok.vocabSize, hiddenSize: 64, intermediateSize: 172, numHiddenLayers: 2, numAttentionHeads: 4, numKeyValueHeads: 2, maxPositionEmbeddings: 256 });
}
const nParams = model.parameters().reduce((n, p) => n + p.numel(), 0);
console.log(`Llama: ${JSON.stringify(model.config)}\n${nParams} parameters (${mb(4 * nParams)} in float32)`);
const encode = (s) => (tok ? tok.encode(s) : s.split(',').map(Number));
const decode = (ids) => (tok ? tok.decode(ids) : ids.join(','));
const data = tok ? tok.encode(text) : null;

/** Random (B, T) windows of the text and their next-token targets. */
function batch() {
  const starts = Array.from({ length: opts.batchSize }, () => Math.floor(rand() * (data.length - opts.blockSize - 1)));
  const x = torch.tensor(starts.map((s) => data.slice(s, s + opts.blockSize)), { dtype: 'int32' });
  const y = torch.tensor(starts.map((s) => data.slice(s + 1, s + opts.blockSize + 1)), { dtype: 'int32' });
  return [x, y];
}

/** Trains `params` for `steps` steps of next-token cross-entropy; prints the loss as it falls. */
async function train(label, params, steps, lr) {
  const optimizer = new optim.AdamW(params, { lr, weightDecay: 0 });
  const t0 = performance.now();
  let first = null, last = null;
  for (let step = 1; step <= steps; step++) {
    const [x, y] = batch();
    optimizer.zeroGrad();
    const logits = model.forward(x);
    const loss = nn.F.crossEntropy(logits.view(-1, model.config.vocabSize), y.reshape([-1]));
    loss.backward();
    optimizer.step();
    if (step === 1 || step % 20 === 0 || step === steps) {
      last = await loss.item();
      first ??= last;
      const line = `${label} step ${String(step).padStart(4)}/${steps}  loss ${last.toFixed(3)}  ${((step * opts.batchSize * opts.blockSize) / ((performance.now() - t0) / 1000)).toFixed(0)} tokens/s`;
      if (opts.quiet) console.log(line);
      else process.stdout.write(`\r${line}`);
    }
  }
  if (!opts.quiet) process.stdout.write('\n');
  console.log(`${label}: loss ${first.toFixed(3)} -> ${last.toFixed(3)} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}

/** Streams a continuation of the prompt, printing tokens as they come, with prefill and decode speed. */
async function sample(label) {
  const prompt = encode(opts.prompt);
  const t0 = performance.now();
  let tFirst = 0, n = 0, out = [];
  process.stdout.write(`${label}: ${opts.prompt}`);
  for await (const id of model.generate(prompt, { maxNewTokens: opts.newTokens, temperature: 0.8, topK: 40, seed: opts.seed })) {
    if (n++ === 0) tFirst = performance.now();
    out.push(id);
    if (!opts.quiet) process.stdout.write(tok ? decode([id]) : `,${id}`);
  }
  const t1 = performance.now();
  if (opts.quiet) process.stdout.write(tok ? decode(out) : `,${out.join(',')}`);
  const m = torch.memory();
  console.log(`\n  prefill ${prompt.length} tokens in ${(tFirst - t0).toFixed(0)} ms; decode ${((n - 1) / ((t1 - tFirst) / 1000)).toFixed(1)} tokens/s; ${m.tensors} tensors live, ${mb(m.bytes)}`);
}

// 2. Pretraining (only without a checkpoint), then text from the base model.
if (!opts.checkpoint) await train('pretrain', model.parameters(), opts.pretrainSteps, opts.lr);
await sample('base model');

// 3. LoRA on the attention projections: the base frozen, only the adapters learn.
if (!data) {
  console.log('no tokenizer: LoRA fine-tuning needs text, skipped');
  process.exit(0);
}
const adapted = nn.applyLora(model, { r: opts.rank, alpha: 2 * opts.rank, targetModules: ['q_proj', 'v_proj'] });
const trainable = model.parameters().filter((p) => p.requiresGrad);
console.log(`LoRA r=${opts.rank} on ${adapted.length} layers: ${trainable.reduce((n, p) => n + p.numel(), 0)} trainable parameters of ${model.parameters().reduce((n, p) => n + p.numel(), 0)}`);
await train('lora', trainable, opts.steps, opts.loraLr);
await sample('after LoRA');
if (opts.out) {
  writeFileSync(opts.out, await nn.saveLoraAdapter(model));
  console.log(`adapter written to ${opts.out} (PEFT keys: ${Object.keys(nn.loraStateDict(model))[0]}, ...)`);
}
