// A character-level GPT (nanoGPT's shakespeare_char, scaled down to a laptop minute or three):
// a decoder-only Transformer with learned positions and a tied head learns to predict the next
// character of Shakespeare's sonnets, which ship with the repository (data/sonnets.txt, public
// domain). It prints training and validation loss, the text's unigram entropy (the loss of the
// best model that ignores context) for comparison, and samples as it learns.
//
//   node examples/char-lm/main.mjs [--steps 1000] [--batch-size 16] [--block-size 64] [--n-layer 3]
//        [--n-head 4] [--n-embd 64] [--lr 0.002] [--eval-every 200] [--seed 0] [--data path.txt] [--threads 1] [--quiet]
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as torch from 'torchlet';
import { parseArgs, rng } from '@torchlet/example-common';

import { optim, transformer } from 'torchlet';
const opts = parseArgs({
  steps: 1000, batchSize: 16, blockSize: 64, nLayer: 3, nHead: 4, nEmbd: 64, lr: 2e-3, evalEvery: 200, seed: 0, threads: 1,
  data: fileURLToPath(new URL('./data/sonnets.txt', import.meta.url)), check: false,
}, {
  about: "A character-level GPT (nanoGPT's shakespeare_char, scaled down) trained on Shakespeare's sonnets; prints train/validation loss and samples.",
  help: {
    steps: 'training steps', blockSize: 'context length', nLayer: 'Transformer blocks', nHead: 'attention heads', nEmbd: 'embedding size',
    evalEvery: 'steps between evaluations and samples', data: 'a UTF-8 text file to train on', threads: 'wasm threads for matmul and attention',
    check: 'exit 1 unless the validation loss ends below the unigram entropy',
  },
});

await torch.setBackend('wasm', { threads: opts.threads }); // --threads 2: matmul and attention on a pool of threads
torch.manualSeed(opts.seed);

// 1. Data: the text without its header line, a character vocabulary, 90% to train, 10% held out.
const text = readFileSync(opts.data, 'utf8').split('\n').filter((l) => !l.startsWith('#')).join('\n').trim() + '\n';
const tok = transformer.CharTokenizer.fromText(text);
const ids = tok.encode(text);
const split = Math.floor(ids.length * 0.9);
const train = ids.slice(0, split), val = ids.slice(split);

// The unigram entropy H = -sum p(c) ln p(c) of the character frequencies, in nats like the loss:
// what a model that ignores the context can reach at best. Also the cross-entropy of the held-out
// text under the training text's frequencies, the same baseline measured the way val loss is.
const counts = (xs) => xs.reduce((c, x) => (c[x]++, c), new Array(tok.vocabSize).fill(0));
const all = counts(ids), trainCounts = counts(train);
const entropy = -all.reduce((h, n) => (n ? h + (n / ids.length) * Math.log(n / ids.length) : h), 0);
const unigramVal = -val.reduce((h, x) => h + Math.log((trainCounts[x] + 1) / (train.length + tok.vocabSize)), 0) / val.length;
console.log(`${opts.data.split('/').pop()}: ${text.length} characters, vocabulary ${tok.vocabSize}; ${train.length} to train, ${val.length} held out`);
console.log(`unigram entropy of the text ${entropy.toFixed(3)} nats/char (${(entropy / Math.LN2).toFixed(3)} bits); held-out cross-entropy under the training unigram ${unigramVal.toFixed(3)} nats`);

// 2. The model, as nanoGPT's GPTConfig.
const config = { vocabSize: tok.vocabSize, blockSize: opts.blockSize, nLayer: opts.nLayer, nHead: opts.nHead, nEmbd: opts.nEmbd, dropout: 0, bias: false };
const model = new transformer.GPT(config);
const optimizer = new optim.AdamW(model.parameters(), { lr: opts.lr, betas: [0.9, 0.99], weightDecay: 0.01 });
console.log(`GPT ${JSON.stringify(config)}: ${model.numParams()} parameters; AdamW lr ${opts.lr}, batch ${opts.batchSize} x ${opts.blockSize} characters, ${opts.steps} steps\n`);

const rand = rng(opts.seed);

/** x (B, T) and y (B, T), y shifted one character on, from random offsets (nanoGPT's get_batch). */
function getBatch(data, starts) {
  const T = opts.blockSize;
  const x = torch.tensor(starts.map((s) => data.slice(s, s + T)), { dtype: 'int32' });
  const y = torch.tensor(starts.map((s) => data.slice(s + 1, s + T + 1)), { dtype: 'int32' });
  return [x, y];
}
const randomStarts = (data) => Array.from({ length: opts.batchSize }, () => Math.floor(rand() * (data.length - opts.blockSize - 1)));

// The held-out loss over fixed windows that tile the validation text.
const valStarts = [];
for (let s = 0; s + opts.blockSize + 1 <= val.length; s += opts.blockSize) valStarts.push(s);
async function valLoss() {
  model.eval();
  let sum = 0, n = 0;
  for (let i = 0; i < valStarts.length; i += 32) {
    const starts = valStarts.slice(i, i + 32);
    const [x, y] = getBatch(val, starts);
    const loss = torch.tidy(() => torch.noGrad(() => model.forward(x, y)[1]));
    sum += (await loss.item()) * starts.length;
    n += starts.length;
    for (const t of [x, y, loss]) t.dispose();
  }
  model.train();
  return sum / n;
}

async function sample(prompt, n = 160) {
  const out = await model.generate(tok.encode(prompt), { maxNewTokens: n, temperature: 0.8, topK: 20, seed: opts.seed });
  return tok.decode(out);
}

// 3. Train: AdamW with a short warmup and cosine decay (nanoGPT's schedule, min lr = lr / 10).
const start = performance.now();
let lossSum = 0, lossN = 0, last = Infinity;
console.log(`step     0  val loss ${(last = await valLoss()).toFixed(4)}`);
for (let step = 1; step <= opts.steps; step++) {
  const warm = Math.min(1, step / 50), progress = step / opts.steps;
  optimizer.paramGroups[0].lr = opts.lr * warm * (0.1 + 0.9 * 0.5 * (1 + Math.cos(Math.PI * progress)));
  const [x, y] = getBatch(train, randomStarts(train));
  const loss = torch.tidy(() => {
    optimizer.zeroGrad();
    const [, l] = model.forward(x, y); // logits (B, T, V) and the mean cross-entropy
    l.backward();
    optim.clipGradNorm(model.parameters(), 1.0);
    optimizer.step();
    return l.detach();
  });
  lossSum += await loss.item();
  lossN++;
  for (const t of [x, y, loss]) t.dispose();
  if (!opts.quiet) process.stdout.write(`\rstep ${step}/${opts.steps}  train loss ${(lossSum / lossN).toFixed(4)}`);
  if (step % opts.evalEvery === 0 || step === opts.steps) {
    last = await valLoss();
    if (!opts.quiet) process.stdout.write('\n');
    const s = (performance.now() - start) / 1000;
    console.log(`step ${String(step).padStart(5)}  train loss ${(lossSum / lossN).toFixed(4)}  val loss ${last.toFixed(4)}  (unigram entropy ${entropy.toFixed(4)})  ${s.toFixed(0)} s`);
    console.log(`  > ${(await sample('Shall I ', 120)).replace(/\n/g, '\n    ')}\n`);
    lossSum = lossN = 0;
  }
}
const seconds = (performance.now() - start) / 1000;

console.log(`sample:\n${await sample('When I ', 400)}\n`);
console.log(`validation loss ${last.toFixed(4)} nats/char vs unigram entropy ${entropy.toFixed(4)} (held-out unigram cross-entropy ${unigramVal.toFixed(4)}) after ${opts.steps} steps in ${seconds.toFixed(1)} s; live tensors ${torch.memory().tensors}`);
if (opts.check && !(last < entropy)) {
  console.error('error: the validation loss did not fall below the unigram entropy (--check)');
  process.exitCode = 1;
}
