// The PyTorch idioms of issue 12's "Why" list, written literally in plain JavaScript (no types):
// each gives PyTorch 1.13's value or a clear error. Values were printed by PyTorch for the same
// inputs (x = torch.arange(24.).reshape(2, 3, 4)). Run by pytorch-idioms.test.ts (vitest), or
// after `pnpm run build` with `node packages/torchlet/test/pytorch-idioms.plain.mjs`.
import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import * as torch from 'torchlet';

const { nn, optim } = torch;

export async function runIdioms() {
  await torch.setBackend('wasm');
  const x = torch.arange(24).float().reshape(2, 3, 4);

  // Positional dims and varargs shapes.
  assert.deepEqual(await x.sum(1).tolist(), [[12, 15, 18, 21], [48, 51, 54, 57]]);
  assert.deepEqual(await x.mean(1).tolist(), [[4, 5, 6, 7], [16, 17, 18, 19]]);
  assert.deepEqual(await x.argmax(1).tolist(), [[2, 2, 2, 2], [2, 2, 2, 2]]);
  const [values, indices] = torch.max(x, 1);
  assert.deepEqual(await values.tolist(), [[8, 9, 10, 11], [20, 21, 22, 23]]);
  assert.deepEqual(await torch.max(x, 1).indices.tolist(), [[2, 2, 2, 2], [2, 2, 2, 2]]);
  assert.deepEqual(await indices.tolist(), [[2, 2, 2, 2], [2, 2, 2, 2]]);
  assert.equal(await x.sum().item(), 276);
  assert.deepEqual(torch.zeros(2, 3).shape, [2, 3]);

  // Keyword arguments as one options object.
  assert.deepEqual(await torch.cat([torch.ones(2, 1), torch.zeros(2, 2)], { dim: 1 }).tolist(), [[1, 0, 0], [1, 0, 0]]);
  const s = await torch.softmax(torch.tensor([[1, 2, 3]]), { dim: 1 }).tolist();
  [0.09003057330846786, 0.2447284758090973, 0.6652409434318542].forEach((v, i) => assert.ok(Math.abs(s[0][i] - v) < 1e-6));
  assert.deepEqual(await torch.tensor([-2, 0.5, 3]).clamp({ min: 0, max: 1 }).tolist(), [0, 0.5, 1]);

  // Positional layer and forward arguments.
  const layer = new torch.TransformerEncoderLayer(8, 2, 16);
  assert.deepEqual(layer.linear1.weight.shape, [16, 8]);
  torch.manualSeed(0);
  const decoder = new torch.TransformerDecoder(new torch.TransformerDecoderLayer(8, 2, 16, 0.0), 1);
  const tgt = torch.randn(4, 1, 8), memory = torch.randn(3, 1, 8);
  const tgtMask = torch.generateSquareSubsequentMask(4);
  const masked = await decoder.forward(tgt, memory, tgtMask).tolist();
  assert.deepEqual(masked, await decoder.forward(tgt, memory, { tgtMask }).tolist());
  assert.notDeepEqual(masked, await decoder.forward(tgt, memory).tolist());

  // snake_case options name the camelCase key.
  const net = new nn.Linear(2, 1);
  assert.throws(() => new optim.Adam(net.parameters(), { lr: 1e-3, weight_decay: 0.1 }), /unknown option 'weight_decay'; did you mean weightDecay\?/);
  assert.throws(() => x.sum({ dim: 1, keep_dim: true }), /did you mean keepdim\?/);
  assert.throws(() => new torch.TransformerEncoderLayer(8, 2, { dim_feedforward: 16 }), /did you mean dimFeedforward\?/);
  assert.throws(() => x.sum(1, 'yes'), /keepdim must be true or false/);

  // Integer overflow throws as in PyTorch.
  assert.throws(() => torch.tensor([2 ** 32 + 5], { dtype: 'int32' }), /value 4294967301 cannot be converted to type int32 without overflow/);

  // Reading without await.
  const loss = torch.tensor(0.25);
  let runningLoss = 0;
  assert.throws(() => {
    runningLoss += loss.item();
  }, /returns a Promise .*write `await x.item\(\)`/);
  assert.throws(() => `loss ${loss.item()}`, TypeError);
  runningLoss += await loss.item();
  assert.equal(runningLoss, 0.25);

  // Printing.
  const w = torch.tensor([1, 2], { requiresGrad: true });
  assert.equal(inspect(w), 'tensor([1., 2.], requires_grad=True)');
  assert.equal(inspect(w.mul(2)), 'tensor([2., 4.], grad_fn=<MulBackward0>)');
  assert.equal(inspect(torch.arange(2000)), 'tensor([   0,    1,    2,  ..., 1997, 1998, 1999])');

  // registerBuffer makes a field; buffers keep PyTorch's state-dict place.
  class Scaled extends nn.Module {
    constructor() {
      super();
      this.fc = new nn.Linear(2, 2);
      this.registerBuffer('scale', torch.tensor([2, 2]));
    }
    forward(input) {
      return this.fc.forward(input).mul(this.scale);
    }
  }
  const m = new Scaled();
  assert.deepEqual(await m.scale.tolist(), [2, 2]);
  assert.deepEqual(Object.keys(m.stateDict()), ['scale', 'fc.weight', 'fc.bias']);
  assert.deepEqual(m.forward(torch.ones(1, 2)).shape, [1, 2]);

  // Calling a module, positional pooling and loss arguments.
  assert.deepEqual(await m(torch.ones(1, 2)).tolist(), await m.forward(torch.ones(1, 2)).tolist());
  assert.deepEqual(new nn.MaxPool2d(2, 1)(torch.zeros(1, 1, 4, 4)).shape, [1, 1, 3, 3]);
  const logits = torch.tensor([[1, 2, 0.5], [0.1, -1, 2]]);
  const ce = await new nn.CrossEntropyLoss(torch.tensor([1, 2, 0.5]))(logits, torch.tensor([1, 2], { dtype: torch.long })).item();
  assert.ok(Math.abs(ce - 0.4078519344329834) < 1e-6);
  assert.throws(() => torch.F.mseLoss(logits, logits, 'sum'), /sizeAverage .*must be true or false/);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await runIdioms();
  console.log('pytorch idioms: all passed');
}
