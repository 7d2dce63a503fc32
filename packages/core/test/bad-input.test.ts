/**
 * The bad-input table (issue 13): misuses of the Tensor API as a plain-JavaScript caller makes
 * them. Each must throw an Error naming what was wrong, never an engine error from deep inside
 * ("Cannot read properties of undefined", "Invalid typed array length", "Maximum call stack size
 * exceeded"), a hang or a result. The counts are printed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as torch from '../src/index.ts';
import { createReferenceBackend } from './reference-backend.ts';

beforeAll(async () => {
  torch.registerBackend('reference', () => createReferenceBackend());
  await torch.setBackend('reference');
});

const ENGINE = /Cannot (read|set) properties of|is not a function|Invalid typed array length|Maximum call stack size|Invalid array length|is not iterable|undefined is not/;

/** [call, a pattern the message must match]. `any` stands for an untyped caller's argument. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;
const x = () => torch.tensor([[1, 2], [3, 4]]);
const selfRef: Any[] = [1];
selfRef[0] = selfRef;
const TABLE: Array<[string, () => unknown, RegExp]> = [
  ['tensor(undefined)', () => torch.tensor(undefined), /tensor/],
  ['tensor({})', () => torch.tensor({}), /tensor/],
  ['tensor ragged', () => torch.tensor([[1, 2], [3]]), /ragged/],
  ['tensor string element', () => torch.tensor([1, 'a' as Any]), /number or boolean/],
  ['tensor self-referencing', () => torch.tensor(selfRef), /deeper than 64/],
  ['zeros negative', () => torch.zeros([-1]), /non-negative/],
  ['zeros fractional', () => torch.zeros([1.5]), /non-negative integers|integer/],
  ['zeros NaN', () => torch.zeros([NaN]), /integer/],
  ['full string value', () => torch.full([2], 'a' as Any), /number or boolean|fill value/],
  ['linspace negative steps', () => torch.linspace(0, 1, -1), /non-negative/],
  ['arange zero step', () => torch.arange(0, 1, 0), /step/],
  ['reshape wrong size', () => x().reshape([3]), /shape|size|invalid/i],
  ['reshape two -1', () => x().reshape([-1, -1]), /-1|infer|one dimension/i],
  ['permute wrong rank', () => x().permute([0]), /permute|dims/i],
  ['permute repeated', () => x().permute([0, 0]), /permute|repeat|dims/i],
  ['transpose out of range', () => x().transpose(0, 5), /range|dim/i],
  ['sum dim out of range', () => x().sum(7), /range|dim/i],
  ['slice step 0', () => x().slice(0, 0, 1, 0), /step/],
  ['select out of range', () => x().select(0, 9), /range|index/i],
  ['add string', () => x().add('a' as Any), /expected other to be a Tensor, number or boolean/],
  ['add undefined', () => x().add(undefined as Any), /expected other to be a Tensor, number or boolean/],
  ['add shapes', () => x().add(torch.ones([3])), /size of tensor a/],
  ['matmul 1-d mismatch', () => torch.ones([3]).matmul(torch.ones([4])), /matmul|shape|size/i],
  ['matmul inner mismatch', () => x().matmul(torch.ones([3, 2])), /matmul|shape|size/i],
  ['matmul null', () => x().matmul(null as Any), /Tensor|matmul/],
  ['gather float index', () => x().gather(1, torch.ones([2, 2])), /int32/],
  ['indexSelect 2-d index', () => x().indexSelect(0, torch.zeros([1, 1], { dtype: 'int32' })), /1-D/],
  ['cat empty list', () => torch.cat([]), /cat|empty|at least/i],
  ['cat not a list', () => torch.cat(x() as Any), /cat|list|array|Tensor/i],
  ['cat shape mismatch', () => torch.cat([x(), torch.ones([2, 3])]), /cat|size|shape/i],
  ['stack shape mismatch', () => torch.stack([x(), torch.ones([3])]), /stack|size|shape/i],
  ['where non-bool cond', () => torch.where(x() as Any, 1, 0), /bool|condition/i],
  ['maskedFill float mask', () => x().maskedFill(x(), 0), /bool|mask/i],
  ['softmax dim out of range', () => torch.softmax(x(), 5), /range|dim/i],
  ['embedding float indices', () => torch.embedding(torch.ones([2]), x()), /int32/],
  ['embedding 1-d weight', () => torch.embedding(torch.zeros([2], { dtype: 'int32' }), torch.ones([3])), /2-D/],
  ['conv2d wrong rank', () => torch.conv2d(torch.ones([3, 3]), torch.ones([1, 1, 1, 1])), /conv2d|dim|shape/i],
  ['pad odd length', () => torch.pad(x(), [1]), /even length/],
  ['item on many', () => x().item(), /a Tensor with 4 elements/],
  ['use after dispose', () => { const t = x(); t.dispose(); return t.add(1); }, /disposed/],
  ['backward on non-scalar without grad', () => x().backward(), /backward|scalar|grad|autograd/i],
];

describe('bad-input table', () => {
  const outcome = { clear: 0, engine: 0, returned: 0 };
  afterAll(() => {
    console.log(`bad-input table: ${TABLE.length} calls, ${outcome.clear} clear errors, ${outcome.engine} engine errors, ${outcome.returned} returned a value`);
  });
  it.each(TABLE.map((row) => [row[0], row] as const))('%s throws a clear error', async (_name, [, call, pattern]) => {
    let error: unknown = null;
    try {
      const r = call();
      if (r instanceof Promise) await r;
    } catch (e) {
      error = e;
    }
    if (error === null) outcome.returned++;
    else if (ENGINE.test(String(error))) outcome.engine++;
    else outcome.clear++;
    expect(error, 'the call returned instead of throwing').toBeInstanceOf(Error);
    expect(String(error)).not.toMatch(ENGINE);
    expect(String(error)).toMatch(pattern);
  });
});
