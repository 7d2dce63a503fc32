import { describe, expect, it } from 'vitest';
import { argBool, argDims, argEnum, argInt, argNumber, checkFits, checkOptions, closest, parseArgs, reduceArgs, sizeArgs } from '../src/args.ts';

describe('parseArgs', () => {
  it('takes positional arguments in order, an options object, or both', () => {
    expect(parseArgs('sum', [1, true], ['dim', 'keepdim'])).toEqual({ dim: 1, keepdim: true });
    expect(parseArgs('sum', [{ dim: 1, keepdim: true }], ['dim', 'keepdim'])).toEqual({ dim: 1, keepdim: true });
    expect(parseArgs('sum', [1, { keepdim: true }], ['dim', 'keepdim'])).toEqual({ dim: 1, keepdim: true });
    expect(parseArgs('sum', [], ['dim', 'keepdim'])).toEqual({});
    expect(parseArgs('sum', [undefined, undefined], ['dim', 'keepdim'])).toEqual({});
  });
  it('accepts keyword-only names in the options object only', () => {
    expect(parseArgs('var', [0, { unbiased: false }], ['dim'], ['unbiased'])).toEqual({ dim: 0, unbiased: false });
    expect(() => parseArgs('var', [0, false], ['dim'], ['unbiased'])).toThrow('var: takes at most 1 positional argument (dim), got 2');
  });
  it('refuses a value given twice', () => {
    expect(() => parseArgs('sum', [1, { dim: 0 }], ['dim', 'keepdim'])).toThrow('sum: got dim both as a positional argument and as an option');
  });
  it('does not read tensors or arrays as options', () => {
    class Tensor {}
    const t = new Tensor();
    expect(parseArgs('f', [t], ['x'])).toEqual({ x: t });
    expect(parseArgs('f', [[1, 2]], ['x'])).toEqual({ x: [1, 2] });
  });
});

describe('unknown options', () => {
  it('names the key and the closest known one, snake_case included', () => {
    expect(() => checkOptions('Adam', { lr: 1, weight_decay: 0.1 }, ['lr', 'betas', 'eps', 'weightDecay', 'amsgrad'])).toThrow(
      "Adam: unknown option 'weight_decay'; did you mean weightDecay? (known options: lr, betas, eps, weightDecay, amsgrad)",
    );
    expect(() => parseArgs('sum', [{ dims: 1 }], ['dim', 'keepdim'])).toThrow("sum: unknown option 'dims'; did you mean dim?");
    expect(() => parseArgs('sum', [{ keep_dim: true }], ['dim', 'keepdim'])).toThrow('did you mean keepdim?');
    expect(() => parseArgs('Linear', [{ batch_first: true }], ['bias'])).toThrow("Linear: unknown option 'batch_first' (known options: bias)");
  });
  it('closest() matches case-blind and ignores underscores', () => {
    expect(closest('rounding_mode', ['roundingMode'])).toBe('roundingMode');
    expect(closest('dim_feedforward', ['dimFeedforward', 'dropout'])).toBe('dimFeedforward');
    expect(closest('zzz', ['dim', 'keepdim'])).toBe(null);
  });
});

describe('value checks', () => {
  it('integers, numbers, booleans, enums', () => {
    expect(argInt('f', 'dim', -1)).toBe(-1);
    expect(() => argInt('f', 'dim', 1.5)).toThrow('f: dim must be an integer, got 1.5');
    expect(() => argInt('f', 'dim', '1')).toThrow(TypeError);
    expect(() => argInt('f', 'n', -1, 0)).toThrow('f: n must be a non-negative integer, got -1');
    expect(argNumber('f', 'p', 0.5, 0, 1)).toBe(0.5);
    expect(() => argNumber('f', 'p', 2, 0, 1)).toThrow('f: p must be between 0 and 1, got 2');
    expect(() => argNumber('f', 'lr', NaN)).toThrow(RangeError);
    expect(() => argNumber('f', 'lr', '0.1')).toThrow("f: lr must be a number, got '0.1'");
    expect(() => argBool('sum', 'keepdim', 1)).toThrow('sum: keepdim must be true or false, got 1');
    expect(argEnum('div', 'roundingMode', 'floor', ['floor', 'trunc'])).toBe('floor');
    expect(() => argEnum('div', 'roundingMode', 'round', ['floor', 'trunc'])).toThrow("div: roundingMode must be one of 'floor', 'trunc', got 'round'");
  });
  it('dims', () => {
    expect(argDims('sum', undefined)).toBe(null);
    expect(argDims('sum', [0, -1])).toEqual([0, -1]);
    expect(() => argDims('sum', '1')).toThrow("sum: dim must be an integer or a list of integers, got '1'");
  });
});

describe('reduceArgs', () => {
  it('reads every PyTorch form', () => {
    expect(reduceArgs('sum', [])).toEqual({ dim: null, keepdim: false });
    expect(reduceArgs('sum', [1])).toEqual({ dim: 1, keepdim: false });
    expect(reduceArgs('sum', [1, true])).toEqual({ dim: 1, keepdim: true });
    expect(reduceArgs('sum', [[0, 1]])).toEqual({ dim: [0, 1], keepdim: false });
    expect(reduceArgs('sum', [{ dim: 1, keepdim: true }])).toEqual({ dim: 1, keepdim: true });
    expect(reduceArgs('sum', [null, true])).toEqual({ dim: null, keepdim: true });
    expect(reduceArgs('var', [0, { unbiased: false }], ['unbiased'])).toEqual({ dim: 0, keepdim: false, unbiased: false });
    expect(() => reduceArgs('sum', [1, 1])).toThrow('sum: keepdim must be true or false, got 1');
  });
});

describe('sizeArgs', () => {
  it('reads varargs, a list, one number, with options', () => {
    expect(sizeArgs('zeros', [2, 3])).toEqual({ shape: [2, 3], options: undefined });
    expect(sizeArgs('zeros', [[2, 3]])).toEqual({ shape: [2, 3], options: undefined });
    expect(sizeArgs('zeros', [4])).toEqual({ shape: [4], options: undefined });
    expect(sizeArgs('zeros', [[]])).toEqual({ shape: [], options: undefined });
    expect(sizeArgs('zeros', [2, 3, { dtype: 'int32' }])).toEqual({ shape: [2, 3], options: { dtype: 'int32' } });
    expect(sizeArgs('zeros', [[2, 3], { dtype: 'int32' }])).toEqual({ shape: [2, 3], options: { dtype: 'int32' } });
  });
  it('refuses bad sizes', () => {
    expect(() => sizeArgs('zeros', [2, -1])).toThrow('zeros: shape must contain non-negative integers, got [2, -1]');
    expect(() => sizeArgs('zeros', [2, [3]])).toThrow('zeros: give the size as numbers or as one list, got [2, [3]]');
    expect(() => sizeArgs('zeros', [2.5])).toThrow(RangeError);
  });
});

describe('checkFits', () => {
  it('throws on integers the dtype cannot hold', () => {
    expect(() => checkFits('tensor', 2 ** 32 + 5, 'int32')).toThrow('tensor: value 4294967301 cannot be converted to type int32 without overflow');
    expect(() => checkFits('tensor', 2 ** 31, 'int32')).toThrow(RangeError);
    expect(() => checkFits('tensor', 2147483648.5, 'int32')).toThrow(RangeError);
    expect(() => checkFits('tensor', 2147483647.5, 'int32')).not.toThrow();
    expect(() => checkFits('tensor', -(2 ** 31), 'int32')).not.toThrow();
    expect(() => checkFits('tensor', -2147483648.5, 'int32')).not.toThrow(); // truncates to -2^31, as PyTorch
    expect(() => checkFits('tensor', NaN, 'int32')).toThrow('non-finite');
    expect(() => checkFits('tensor', 1e40, 'float32')).not.toThrow();
  });
});
