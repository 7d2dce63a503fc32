// The two wasm workloads the benchmarks time, defined once (their peers' side, on the same
// shapes, is in ./peers): the seed MLP's training step and the Transformer layer's training step
// and forward. Each builder seeds the generator, then builds the model, its optimizer and its kept
// input batch on the current backend. `step()` runs zeroGrad, forward, loss, backward and the
// optimizer step and returns the detached loss, which the caller reads and frees.
import * as torch from 'torchlet';

const { nn, optim, F } = torch;

/**
 * The seed MLP 784-128-64-10 on a batch of 64, cross-entropy, SGD at lr 0.01 (`momentum` 0 unless
 * given).
 */
export function mlpWorkload({ momentum = 0 } = {}) {
  torch.manualSeed(0);
  const model = new nn.Sequential(new nn.Linear(784, 128), new nn.ReLU(), new nn.Linear(128, 64), new nn.ReLU(), new nn.Linear(64, 10));
  const opt = new optim.SGD(model.parameters(), momentum ? { lr: 0.01, momentum } : { lr: 0.01 });
  const x = torch.keep(torch.randn([64, 784]));
  const y = torch.keep(torch.randint(0, 10, [64]));
  const step = () => {
    opt.zeroGrad();
    const l = F.crossEntropy(model.forward(x), y);
    l.backward();
    opt.step();
    return l.detach();
  };
  return { model, opt, x, y, step };
}

/**
 * A post-norm TransformerEncoderLayer (dModel 128, 4 heads, ff 512, ReLU, dropout 0, batch first)
 * on [16, 64, 128], MSE against a random target, Adam at lr 1e-3. `forward()` runs the layer
 * without grad (training mode) and returns its output.
 */
export function transformerWorkload() {
  torch.manualSeed(0);
  const layer = new torch.TransformerEncoderLayer(128, 4, { dimFeedforward: 512, dropout: 0, batchFirst: true });
  const opt = new optim.Adam(layer.parameters(), { lr: 1e-3 });
  const x = torch.keep(torch.randn([16, 64, 128]));
  const target = torch.keep(torch.randn([16, 64, 128]));
  const step = () => {
    opt.zeroGrad();
    const l = F.mseLoss(layer.forward(x), target);
    l.backward();
    opt.step();
    return l.detach();
  };
  const forward = () => torch.noGrad(() => layer.forward(x));
  return { layer, opt, x, target, step, forward };
}
