import { expect, test } from '@jest/globals';
import { costSparkline, terminalText } from '../../src/report/terminal.js';

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
  const line = costSparkline(costs)!;
  expect(line).toMatch(/^cost 2\.0000 → 0\.014\d /);
  const bars = line.split(' ').pop()!;
  expect([...bars]).toHaveLength(25);
  expect(bars[0]).toBe('█');
  expect(bars[bars.length - 1]).toBe('▁');
  // Falling costs draw falling bars.
  expect([...bars].every((b, i, all) => i === 0 || b <= all[i - 1])).toBe(true);
});

test('a curve without two finite costs is not drawn, and missing epochs are left out', () => {
  expect(costSparkline([])).toBeNull();
  expect(costSparkline([null, 1.5, null])).toBeNull();
  expect(costSparkline([1, null, 1])).toBe('cost 1.0000 → 1.0000 ▁▁');
});
