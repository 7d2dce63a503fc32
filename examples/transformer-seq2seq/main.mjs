// Sequence to sequence with nn.Transformer: the encoder reads a digit sequence (6 to 10 digits)
// and the decoder writes it reversed. Training uses teacher forcing (the decoder sees the true
// previous tokens, masked causally with generateSquareSubsequentMask) and Adam; evaluation
// decodes greedily, one token at a time, and counts a sequence right only if every token is.
// The data is generated on the fly; the held-out sequences never appear in training.
//
//   node examples/transformer-seq2seq/main.mjs [--steps 1500] [--batch-size 64] [--lr 0.002] [--ff 128]
//        [--d-model 64] [--layers 1] [--seed 0] [--eval-every 200] [--held-out 1000] [--target 0.99] [--threads 1] [--quiet]
//
// Training stops at the first evaluation that reaches --target (about 400 steps, under a minute
// on two cores).
import * as torch from 'torchlet';
import { checkAccuracy, parseArgs, rng } from '@torchlet/example-common';

import { nn, optim, F, transformer } from 'torchlet';
const opts = parseArgs({ threads: 1, steps: 1500, batchSize: 64, lr: 2e-3, dModel: 64, ff: 128, layers: 1, seed: 0, evalEvery: 200, heldOut: 1000, target: 0.99, minAccuracy: undefined }, {
  about: 'Sequence to sequence with nn.Transformer: the encoder reads 6-10 digits, the decoder writes them reversed (teacher forcing, greedy decoding).',
  help: {
    threads: 'wasm threads for matmul and attention', steps: 'most training steps', dModel: 'model width', ff: 'feed-forward width', layers: 'encoder and decoder layers',
    evalEvery: 'steps between evaluations', heldOut: 'held-out sequences', target: 'stop at the first evaluation with this exact-sequence accuracy',
    minAccuracy: 'exit 1 if the final exact-sequence accuracy (0-1) is below this',
  },
});

await torch.setBackend('wasm', { threads: opts.threads }); // --threads 2: matmul and attention on a pool of threads
torch.manualSeed(opts.seed);

// 1. The task. Tokens 0-9 are digits; BOS starts the decoder's input, EOS ends the target, PAD fills.
const BOS = 10, EOS = 11, PAD = 12, VOCAB = 13, MIN_LEN = 6, MAX_LEN = 10;
const TGT_LEN = MAX_LEN + 1; // the reversed digits + EOS

const randomSequence = (rand) => Array.from({ length: MIN_LEN + Math.floor(rand() * (MAX_LEN - MIN_LEN + 1)) }, () => Math.floor(rand() * 10));
const pad = (xs, n) => [...xs, ...new Array(n - xs.length).fill(PAD)];
// The source is padded on the left, so its last digit is always at position MAX_LEN - 1 and
// output step t copies source position MAX_LEN - 1 - t: a fixed alignment that attention with
// absolute positions learns in a few hundred steps (right padding makes it depend on the length).
const padLeft = (xs, n) => [...new Array(n - xs.length).fill(PAD), ...xs];

const heldOutRand = rng(1_000_003 + opts.seed);
const heldOut = Array.from({ length: opts.heldOut }, () => randomSequence(heldOutRand));
const heldOutKeys = new Set(heldOut.map((s) => s.join('')));
const trainRand = rng(opts.seed);
/** A training sequence that is not one of the held-out ones. */
function trainingSequence() {
  for (;;) {
    const s = randomSequence(trainRand);
    if (!heldOutKeys.has(s.join(''))) return s;
  }
}

/** src (N, MAX_LEN) with its padding mask, decoder input (N, TGT_LEN) = BOS + reversed, target (N, TGT_LEN) = reversed + EOS. */
function batch(seqs) {
  const src = torch.tensor(seqs.map((s) => padLeft(s, MAX_LEN)), { dtype: 'int32' });
  const srcPad = torch.tensor(seqs.map((s) => padLeft(s, MAX_LEN).map((t) => t === PAD)), { dtype: 'bool' });
  const rev = seqs.map((s) => [...s].reverse());
  const tgtIn = torch.tensor(rev.map((r) => pad([BOS, ...r], TGT_LEN)), { dtype: 'int32' });
  const tgtOut = torch.tensor(rev.map((r) => pad([...r, EOS], TGT_LEN)), { dtype: 'int32' });
  return { src, srcPad, tgtIn, tgtOut };
}

// 2. The model: a token embedding shared by source and target plus sinusoidal positions
//    ("Attention Is All You Need", 3.5), nn.Transformer, and a linear generator. The paper also
//    scales the embedding by sqrt(dModel); with nn.Embedding's N(0, 1) initialisation that
//    drowns the positions (|pe| <= 1), which this task is all about, so it is left out.
class Seq2Seq extends nn.Module {
  constructor(dModel, layers) {
    super();
    this.dModel = dModel;
    this.embed = new nn.Embedding(VOCAB, dModel);
    this.pos = new transformer.SinusoidalPositionalEncoding(dModel, 64);
    this.transformer = new transformer.Transformer({
      dModel, nhead: 4, numEncoderLayers: layers, numDecoderLayers: layers, dimFeedforward: opts.ff, dropout: 0, batchFirst: true,
    });
    this.generator = new nn.Linear(dModel, VOCAB);
  }

  /** Token ids (N, L) -> (N, L, dModel). */
  embedTokens(ids) {
    return this.pos.forward(this.embed.forward(ids));
  }

  encode(src, srcPad) {
    return this.transformer.encoder.forward(this.embedTokens(src), { srcKeyPaddingMask: srcPad }); // (N, S, E)
  }

  decode(tgtIn, memory, srcPad) {
    const T = tgtIn.shape[1];
    const tgtMask = transformer.generateSquareSubsequentMask(T); // (T, T): position t sees 0..t
    const h = this.transformer.decoder.forward(this.embedTokens(tgtIn), memory, { tgtMask, memoryKeyPaddingMask: srcPad }); // (N, T, E)
    return this.generator.forward(h); // (N, T, VOCAB)
  }

  forward(src, srcPad, tgtIn) {
    return this.decode(tgtIn, this.encode(src, srcPad), srcPad);
  }
}

const model = new Seq2Seq(opts.dModel, opts.layers);
const optimizer = new optim.Adam(model.parameters(), { lr: opts.lr, betas: [0.9, 0.98], eps: 1e-9 });
const nParams = model.parameters().reduce((n, p) => n + p.numel(), 0);
console.log(`reverse a sequence of ${MIN_LEN}-${MAX_LEN} digits: Transformer dModel=${opts.dModel}, ${opts.layers}+${opts.layers} layers, ${nParams} parameters; Adam lr ${opts.lr}, batch ${opts.batchSize}, ${opts.steps} steps; ${heldOut.length} held-out sequences`);

/** Greedy decoding: the encoder once, then the decoder on its own outputs so far, a token a step. */
async function greedy(seqs) {
  model.eval();
  const { src, srcPad, tgtIn, tgtOut } = batch(seqs);
  const out = seqs.map(() => [BOS]);
  const memory = torch.noGrad(() => model.encode(src, srcPad));
  for (let t = 0; t < TGT_LEN; t++) {
    const next = torch.tidy(() => torch.noGrad(() => {
      const logits = model.decode(torch.tensor(out, { dtype: 'int32' }), memory, srcPad); // (N, t+1, VOCAB)
      return logits.select(1, t).argmax({ dim: -1 }); // (N,)
    }));
    const ids = await next.data();
    next.dispose();
    ids.forEach((id, i) => out[i].push(id));
  }
  for (const x of [src, srcPad, tgtIn, tgtOut, memory]) x.dispose();
  model.train();
  return out.map((o) => {
    const end = o.indexOf(EOS);
    return o.slice(1, end < 0 ? undefined : end);
  });
}

async function exactAccuracy() {
  let right = 0;
  for (let i = 0; i < heldOut.length; i += 250) {
    const seqs = heldOut.slice(i, i + 250);
    const preds = await greedy(seqs);
    preds.forEach((p, j) => (right += p.join(',') === [...seqs[j]].reverse().join(',') ? 1 : 0));
  }
  return right / heldOut.length;
}

// 3. Train with teacher forcing: predict target t from the true target tokens before t.
//    A linear warmup over the first 100 steps keeps the first Adam steps of a post-norm
//    Transformer stable (Vaswani et al. warm up too).
const start = performance.now();
let lossSum = 0, lossN = 0, accuracy = 0, step = 0;
for (step = 1; step <= opts.steps; step++) {
  optimizer.paramGroups[0].lr = opts.lr * Math.min(1, step / 100);
  const { src, srcPad, tgtIn, tgtOut } = batch(Array.from({ length: opts.batchSize }, trainingSequence));
  const loss = torch.tidy(() => {
    optimizer.zeroGrad();
    const logits = model.forward(src, srcPad, tgtIn); // (N, TGT_LEN, VOCAB)
    const l = F.crossEntropy(logits.reshape([-1, VOCAB]), tgtOut.reshape([-1]), { ignoreIndex: PAD });
    l.backward();
    optimizer.step();
    return l.detach();
  });
  lossSum += await loss.item();
  lossN++;
  for (const x of [src, srcPad, tgtIn, tgtOut, loss]) x.dispose();
  if (!opts.quiet) process.stdout.write(`\rstep ${step}/${opts.steps}  loss ${(lossSum / lossN).toFixed(4)}`);
  if (step % opts.evalEvery === 0 || step === opts.steps) {
    accuracy = await exactAccuracy();
    const s = (performance.now() - start) / 1000;
    if (!opts.quiet) process.stdout.write('\n');
    console.log(`step ${String(step).padStart(5)}  train loss ${(lossSum / lossN).toFixed(4)}  held-out exact-sequence accuracy ${(accuracy * 100).toFixed(1)}%  (${s.toFixed(0)} s)`);
    lossSum = lossN = 0;
    if (accuracy >= opts.target) break;
  }
}
const seconds = (performance.now() - start) / 1000;

// 4. A few examples and the result.
const shown = heldOut.slice(0, 5);
const preds = await greedy(shown);
for (let i = 0; i < shown.length; i++) console.log(`  ${shown[i].join('')} -> ${preds[i].join('')}${preds[i].join('') === [...shown[i]].reverse().join('') ? '' : '  (wrong)'}`);
console.log(`\nexact-sequence accuracy ${(accuracy * 100).toFixed(2)}% on ${heldOut.length} held-out sequences after ${Math.min(step, opts.steps)} steps in ${seconds.toFixed(1)} s; live tensors ${torch.memory().tensors}`);
checkAccuracy(accuracy, opts.minAccuracy);
