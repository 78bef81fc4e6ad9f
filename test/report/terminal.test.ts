import { expect, test } from '@jest/globals';
import { terminalText } from '../../src/report/terminal.js';

test('terminal lines show control, invisible and direction-changing characters as escapes', () => {
  // A right-to-left override would make "alice: 12 / 50" read as another score.
  expect(terminalText('alice\u202e05 / 21: x')).toBe('alice\\u202e05 / 21: x');
  expect(terminalText('a\u200bb\u2066c\ufeffd')).toBe('a\\u200bb\\u2066c\\ufeffd');
  expect(terminalText('\u001b[2Jx\ry')).toBe('\\x1b[2Jx\\x0dy');
  expect(terminalText('one\ntwo\tthree', true)).toBe('one\ntwo\tthree');
  expect(terminalText('学生 张三')).toBe('学生 张三');
});
