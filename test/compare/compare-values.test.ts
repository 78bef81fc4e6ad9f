import { describe, expect, test } from '@jest/globals';
import { compareValues, formatIndex, summarizeValue } from '../../src/compare/compare-values.js';
import { english, render } from '../../src/i18n/messages.js';
import type { Value } from '../../src/contract/values.js';

const tensor = (shape: number[], data: number[], dtype: 'float32' | 'int32' | 'bool' = 'float32'): Value => ({ $tensor: { dtype, shape, data } });
const tol = { rtol: 1e-5, atol: 1e-6 };
const pub = { tolerance: tol, reveal: true };
const hidden = { tolerance: tol, reveal: false };

describe('compareValues', () => {
  test('equal tensors within tolerance pass', () => {
    expect(compareValues(tensor([2], [1, 2]), tensor([2], [1 + 1e-6, 2]), pub)).toBeNull();
  });

  test('a shape error names the axis, before any value is looked at', () => {
    const m = compareValues(tensor([2, 3, 4, 8], new Array(192).fill(0)), tensor([2, 3, 5, 8], new Array(240).fill(1)), pub);
    expect(m?.kind).toBe('shape');
    expect(m?.message).toContain('axis 2 (5 instead of 4)');
  });

  test('a rank error shows both shapes', () => {
    const m = compareValues(tensor([2, 2], [0, 0, 0, 0]), tensor([4], [0, 0, 0, 0]), pub);
    expect(m?.kind).toBe('rank');
    expect(m?.message).toContain('expected rank 2 (shape [2, 2]), got rank 1 (shape [4])');
  });

  test('a value error gives the first wrong index, the count and the largest errors', () => {
    const m = compareValues(tensor([2, 2], [1, 2, 3, 4]), tensor([2, 2], [1, 2, 3.5, 5]), pub);
    expect(m?.kind).toBe('values');
    expect(m?.message).toBe('2 of 4 values differ (first at [1, 0]: expected 3, got 3.5); max abs error 1, max rel error 0.25');
  });

  test('hidden checks describe the error without expected values', () => {
    const m = compareValues(tensor([2, 2], [1, 2, 3, 4]), tensor([2, 2], [1, 2, 3.5, 5]), hidden);
    expect(m?.message).toBe('2 of 4 values differ (first at [1, 0])');
    const shape = compareValues(tensor([3], [7, 8, 9]), tensor([2], [7, 8]), hidden);
    expect(shape?.message).not.toContain('3');
    const scalar = compareValues(-6.999, 5, hidden);
    expect(scalar?.message).not.toContain('6.999');
    const unfilled = compareValues(tensor([3], [7, 8, 9]), null, hidden);
    expect(unfilled?.message).not.toContain('[3]');
    const wrongType = compareValues(tensor([3], [7, 8, 9]), 5, hidden);
    expect(wrongType?.message).toBe('expected a float32 tensor, got the number 5');
  });

  test('NaN and Infinity are reported as such', () => {
    const m = compareValues(tensor([3], [1, 2, 3]), tensor([3], [1, NaN, Infinity]), pub);
    expect(m?.kind).toBe('nonfinite');
    expect(m?.message).toContain('2 of 3 values are not finite; the first, at [1], is NaN');
  });

  test('dtype is checked: a numeric mask is not a bool mask', () => {
    const m = compareValues(tensor([2], [1, 0], 'bool'), tensor([2], [1, 0], 'float32'), pub);
    expect(m?.kind).toBe('dtype');
    expect(m?.message).toContain('expected dtype bool, got float32');
  });

  test('bool tensors compare exactly and print as booleans', () => {
    const m = compareValues(tensor([2], [1, 0], 'bool'), tensor([2], [0, 0], 'bool'), pub);
    expect(m?.message).toContain('expected true, got false');
  });

  test('tuple outputs are named, and the cache is compared too', () => {
    const expected: Value = [tensor([1], [1]), [tensor([1], [2]), { stride: 2, pad: 1 }]];
    const names = ['Z', 'cache'];
    expect(compareValues(expected, [tensor([1], [1]), [tensor([1], [2]), { stride: 2, pad: 1 }]], { ...pub, outputNames: names })).toBeNull();
    const wrongZ = compareValues(expected, [tensor([1], [9]), [tensor([1], [2]), { stride: 2, pad: 1 }]], { ...pub, outputNames: names });
    expect(wrongZ?.path).toBe('Z');
    const wrongCache = compareValues(expected, [tensor([1], [1]), [tensor([1], [2]), { stride: 1, pad: 1 }]], { ...pub, outputNames: names });
    expect(wrongCache?.path).toBe('cache[1].stride');
    const notTuple = compareValues(expected, tensor([1], [1]), { ...pub, outputNames: names });
    expect(notTuple?.message).toContain('expected a tuple [Z, cache]');
  });

  test('a tensor where a number is expected gets a hint', () => {
    expect(compareValues(1.5, tensor([], [1.5]), pub)?.message).toContain('.dataSync()[0]');
  });

  test('null says the code is probably not filled in', () => {
    expect(compareValues(tensor([1], [1]), null, pub)?.message).toContain('START CODE HERE');
  });

  test('unsupported values are named', () => {
    expect(compareValues(tensor([1], [1]), { $unsupported: 'a Promise (the function must not be async)' }, pub)?.message).toContain('Promise');
  });
});

describe('formatting helpers', () => {
  test('formatIndex turns a flat offset into a C-order index', () => {
    expect(formatIndex(0, [2, 3])).toBe('[0, 0]');
    expect(formatIndex(5, [2, 3])).toBe('[1, 2]');
    expect(formatIndex(7, [2, 2, 2])).toBe('[1, 1, 1]');
  });

  test('summarizeValue gives dtype, shape and statistics', () => {
    expect(english(summarizeValue(tensor([2], [1, 3])))).toBe('float32 [2], mean 2, min 1, max 3');
    expect(english(summarizeValue(tensor([2], [1, 0], 'bool')))).toBe('bool [2], 1 true');
    expect(english(summarizeValue(2.5))).toBe('the number 2.5');
    expect(english(summarizeValue([tensor([1], [4]), 2.5]))).toBe('[float32 [1], mean 4, min 4, max 4, the number 2.5]');
    expect(render(summarizeValue(tensor([2], [1, 3])), 'zh')).toBe('float32 [2]，均值 2，最小值 1，最大值 3');
    // A plain array of millions of items (a tensor returned as arraySync()) shows its first ten: its
    // summary once nested a ref per item, and rendering it ran out of stack.
    const long = english(summarizeValue(Array.from({ length: 100_000 }, (_, i) => i)));
    expect(long).toBe('[the number 0, the number 1, the number 2, the number 3, the number 4, the number 5, the number 6, the number 7, the number 8, the number 9, … 99990 more]');
  });
});
