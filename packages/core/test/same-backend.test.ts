/**
 * Every op taking several tensors checks that they live on one backend instance (issue 13): two
 * instances of one backend have separate memories, so an index or operand read through the other
 * instance's memory would give a wrong number with no error.
 */
import { describe, expect, it } from 'vitest';
import * as torch from '../src/index.ts';
import { createReferenceBackend } from './reference-backend.ts';

describe('ops with several tensors on two instances of one backend', () => {
  const a = createReferenceBackend('reference');
  const b = createReferenceBackend('reference');
  const onA = { backend: a };
  const onB = { backend: b };
  const x = torch.tensor([[1, 2], [3, 4]], onA);
  const w = torch.tensor([[1, 0], [0, 1]], onB);
  const idx = torch.tensor([1, 0], { dtype: 'int32', ...onB });
  const idx2 = torch.tensor([[1, 0], [0, 1]], { dtype: 'int32', ...onB });
  const mask = torch.tensor([[true, false], [false, true]], onB);
  const cases: Array<[string, () => unknown]> = [
    ['add', () => x.add(w)],
    ['mul', () => torch.mul(x, w)],
    ['matmul', () => x.matmul(w)],
    ['linear', () => torch.linear(x, w)],
    ['where', () => torch.where(mask, x, 0)],
    ['maskedFill', () => x.maskedFill(mask, 0)],
    ['gather', () => x.gather(1, idx2)],
    ['indexSelect', () => x.indexSelect(0, idx)],
    ['embedding', () => torch.embedding(idx, x)],
    ['scatterAdd', () => torch.scatterAdd(x, 1, idx2, w)],
    ['cat', () => torch.cat([x, w])],
    ['stack', () => torch.stack([x, w])],
    ['copy_', () => torch.zeros([2, 2], onA).copy_(w)],
    ['conv2d', () => torch.conv2d(x.reshape([1, 1, 2, 2]), w.reshape([1, 1, 2, 2]))],
  ];
  for (const [name, call] of cases) {
    it(`${name} throws an error naming the two instances`, () => {
      expect(call).toThrow(/two different 'reference' backend instances|on 'reference' and the destination on 'reference'/);
    });
  }
  it('names both backends when their names differ', () => {
    const c = createReferenceBackend('other');
    expect(() => x.add(torch.ones([2, 2], { backend: c }))).toThrow(/add: expected all tensors on one backend, got 'reference' and 'other'/);
  });
  it('leaves nothing allocated on a failed call', () => {
    const before = a.liveBuffers();
    expect(() => x.indexSelect(0, idx)).toThrow();
    expect(a.liveBuffers()).toBe(before);
  });
});
