import { expect, test } from '@jest/globals';
import { costBars, terminalText } from '../../src/report/terminal.js';

test('terminal lines show control, invisible and direction-changing characters as escapes', () => {
  // A right-to-left override would make "alice: 12 / 50" read as another score.
  expect(terminalText('alice\u202e05 / 21: x')).toBe('alice\\u202e05 / 21: x');
  expect(terminalText('a\u200bb\u2066c\ufeffd')).toBe('a\\u200bb\\u2066c\\ufeffd');
  expect(terminalText('\u001b[2Jx\ry')).toBe('\\x1b[2Jx\\x0dy');
  expect(terminalText('one\ntwo\tthree', true)).toBe('one\ntwo\tthree');
  expect(terminalText('学生 张三')).toBe('学生 张三');
});

test('the cost curve is one line of bars from the first epoch to the last, sampled evenly', () => {
  const costs = Array.from({ length: 100 }, (_, epoch) => 2 * Math.exp(-epoch / 20));
  const curve = costBars(costs)!;
  expect(curve.first).toBe('2.0000');
  expect(curve.last).toMatch(/^0\.014\d$/);
  const bars = [...curve.bars];
  expect(bars).toHaveLength(25);
  expect(bars[0]).toBe('█');
  expect(bars[bars.length - 1]).toBe('▁');
  // Falling costs draw falling bars.
  expect(bars.every((b, i) => i === 0 || b <= bars[i - 1])).toBe(true);
});

test('a curve without two finite costs is not drawn, and missing epochs are left out', () => {
  expect(costBars([])).toBeNull();
  expect(costBars([null, 1.5, null])).toBeNull();
  expect(costBars([1, null, 1])).toEqual({ first: '1.0000', last: '1.0000', bars: '▁▁' });
});
