// Bad input gets a clear error that names what was wrong, and loses nothing: after each error
// the tensors involved are intact and no memory is left behind.
import { beforeAll, describe, expect, it } from 'vitest';
import * as torch from '../src/index.ts';

beforeAll(async () => {
  await torch.setBackend('wasm');
});

/**
 * Expects `fn(...operands)` to throw `pattern`, and checks that the failed call left no tensor
 * or byte behind. `fn` receives operands made beforehand so that only the op's own allocations
 * are counted.
 */
function rejects<A extends unknown[]>(fn: (...args: A) => unknown, pattern: RegExp | string, ...operands: A): void {
  const before = torch.memory();
  expect(() => fn(...operands)).toThrow(pattern);
  const after = torch.memory();
  expect(after.tensors).toBe(before.tensors);
  expect(after.bytes).toBe(before.bytes);
}
const T = torch.ones;

describe('shape errors name both shapes', () => {
  it('matmul', () => {
    const a = torch.ones([64, 784]), b = torch.ones([128, 10]);
    rejects(() => a.matmul(b), 'mat1 and mat2 shapes cannot be multiplied (64x784 and 128x10)');
    rejects(torch.mm, '(2x3 and 4x5)', T([2, 3]), T([4, 5]));
    rejects(torch.bmm, /batch2 tensor to be: \[2, 4\] but got: \[3, 4\]/, T([2, 3, 4]), T([3, 4, 5]));
    rejects(torch.matmul, /inconsistent tensor size/, T([3]), T([4]));
    rejects(torch.linear, '(8x5 and 4x3)', T([8, 5]), T([3, 4]));
    expect(Array.from(a.sum().dataSync())).toEqual([64 * 784]); // the operands are intact
  });
  it('broadcasting', () => {
    rejects(torch.add, /size of tensor a \(3\) must match the size of tensor b \(4\) at non-singleton dimension 1 \(shapes \[2, 3\] and \[2, 4\]\)/, T([2, 3]), T([2, 4]));
    rejects((x: torch.Tensor) => x.expand([2, 4]), /expanded size of the tensor \(2\) must match the existing size \(3\)/, T([3, 1]).expand([3, 4]));
  });
  it('reshape, cat, stack', () => {
    rejects((x: torch.Tensor) => x.reshape([4, 2]), /shape '\[4, 2\]' is invalid for input of size 6/, T([2, 3]));
    rejects((x: torch.Tensor) => x.reshape([-1, -1]), /only one dimension can be inferred/, T([2, 3]));
    rejects((a: torch.Tensor, b: torch.Tensor) => torch.cat([a, b], 0), /Sizes of tensors must match except in dimension 0.*\[2, 3\] and \[2, 4\]/, T([2, 3]), T([2, 4]));
    rejects((a: torch.Tensor, b: torch.Tensor) => torch.stack([a, b]), /stack expects each tensor to be equal size/, T([2]), T([3]));
  });
});

describe('dimension errors give the valid range', () => {
  it('dims out of range', () => {
    const x = torch.ones([2, 3]);
    rejects(() => x.sum({ dim: 2 }), 'Dimension out of range (expected to be in range of [-2, 1], but got 2)');
    rejects(() => x.transpose(0, -3), /expected to be in range of \[-2, 1\], but got -3/);
    rejects(() => x.permute([0, 0]), /dim 0 appears multiple times/);
    rejects(() => x.permute([0]), /number of dims don't match/);
    rejects(() => x.select(1, 3), /index 3 out of range/);
    rejects(() => x.narrow(1, 2, 2), /exceeds dimension size \(3\)/);
    rejects(() => x.unsqueeze(3), /range of \[-3, 2\], but got 3/);
  });
  it('indices out of range in gather and indexSelect', () => {
    const x = torch.ones([2, 3]);
    const bad = torch.tensor([0, 5], { dtype: 'int32' });
    rejects(torch.indexSelect, /index 5 is out of bounds for dimension 1 with size 3/, x, 1, bad);
    rejects(torch.gather, /index -1 is out of bounds for dimension 1 with size 3/, x, 1, torch.tensor([[0, -1]], { dtype: 'int32' }));
  });
});

describe('dtype errors name the dtypes', () => {
  it('rejects ops on the wrong dtype', () => {
    const i = torch.arange(6).reshape([2, 3]);
    rejects(torch.matmul, /matmul: expected input of dtype float32 or float16 or bfloat16, got int32/, i, T([3, 2]));
    rejects(() => i.mean(), /mean\(\): could not infer output dtype.*got int32/);
    rejects(torch.gather, /gather: expected index of an integer dtype .*got float32/, T([3]), 0, torch.tensor([0]));
    rejects(torch.where, /expected condition of dtype bool, got float32/, T([2]), T([2]), T([2]));
    rejects(torch.neg, /on a bool tensor is not supported/, T([2], { dtype: 'bool' }));
    rejects(() => torch.zeros([2], { dtype: 'float64' as never }), /float64 is not supported: torchlet computes in 32 bits/);
  });
});

describe('use after dispose', () => {
  it('every entry point rejects a disposed tensor', async () => {
    const x = torch.ones([2, 2]);
    const y = x.reshape([4]);
    x.dispose();
    rejects(() => x.add(1), /was disposed/);
    rejects(() => x.reshape([4]), /was disposed/);
    rejects((a: torch.Tensor) => torch.cat([a, a]), /was disposed/, x);
    rejects(() => x.dataSync(), /was disposed/);
    await expect(x.data()).rejects.toThrow(/was disposed/);
    // A view keeps the buffer alive after its base is disposed.
    expect(Array.from(y.dataSync())).toEqual([1, 1, 1, 1]);
    y.dispose();
  });
  it('a tensor from inside tidy cannot escape unless returned', () => {
    let leaked: torch.Tensor | undefined;
    torch.tidy(() => {
      leaked = torch.ones([2]);
    });
    rejects(() => leaked!.sum(), /outside the tidy\(\) that created it/);
  });
});

describe('fill values', () => {
  it('rejects non-finite and non-numeric fills where the dtype cannot hold them', () => {
    rejects(() => torch.full([2], NaN, { dtype: 'int32' }), /cannot fill a int32 tensor with the non-finite value NaN/);
    rejects(() => torch.full([2], Infinity, { dtype: 'bool' }), /non-finite value Infinity/);
    rejects(() => torch.full([2], 1.5, { dtype: 'int32' }), /1.5 is not an int32 value/);
    rejects(() => torch.full([2], 'x' as never), /expected a number or boolean fill value, got string/);
    rejects((z: torch.Tensor) => z.fill_(NaN), /non-finite value NaN/, torch.zeros([2], { dtype: 'int32' }));
    rejects(torch.maskedFill, /non-finite value -Infinity/, torch.zeros([2], { dtype: 'int32' }), torch.tensor([true, false]), -Infinity);
    rejects(() => torch.tensor([1, NaN], { dtype: 'int32' }), /non-finite value NaN in an int32 tensor/);
    // float32 holds them, as in PyTorch (masks use -inf).
    expect(Array.from(torch.full([2], -Infinity).dataSync())).toEqual([-Infinity, -Infinity]);
  });
  it('rejects bad shapes and arguments', () => {
    rejects(() => torch.zeros([2, -1]), /shape must contain non-negative integers, got \[2, -1\]/);
    rejects(() => torch.zeros([2.5]), /non-negative integers/);
    rejects(() => torch.tensor([[1, 2], [3]]), /ragged nested array/);
    rejects(() => torch.arange(0, 10, 0), /step must be nonzero/);
    rejects(() => torch.manualSeed(-1), /non-negative safe integer/);
  });
});

describe('backend errors', () => {
  it('says what to do about an unknown backend', async () => {
    await expect(torch.setBackend('nope')).rejects.toThrow(/unknown backend 'nope'. Registered backends: wasm/);
  });
});
