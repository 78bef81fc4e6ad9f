import { expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { extractStudentCode } from '../../src/submission/student-code.js';

test('finds the code between the markers, per exported function', () => {
  const source = [
    'export function a(x: number): number {',
    '  let y = 0;',
    '  // ### START CODE HERE ### (≈ 1 line)',
    '    y = x + 1;',
    '  // ### END CODE HERE ###',
    '  return y;',
    '}',
    'export function b(): void {',
    '  // ### START CODE HERE ###',
    '  // ### END CODE HERE ###',
    '}',
  ].join('\n');
  const code = extractStudentCode(source);
  expect(code.get('a')).toBe('y = x + 1;');
  expect(code.get('b')).toBe('');
});

test('every function of the starter file has a marked block', () => {
  const code = extractStudentCode(readFileSync('exercises/conv-step-by-step.ts', 'utf8'));
  expect([...code.keys()]).toEqual(['zeroPad', 'convSingleStep', 'convForward', 'poolForward', 'convBackward', 'createMaskFromWindow', 'distributeValue', 'poolBackward']);
});

test('a function without markers is the student\'s code as a whole: removing the markers hides nothing', () => {
  const source = ['export function a(x: number): number {', '  const y = x * 2;', '  return y;', '}', '', 'export const b = (x: number) => x;'].join('\n');
  const code = extractStudentCode(source);
  expect(code.get('a')).toBe('export function a(x: number): number {\n  const y = x * 2;\n  return y;\n}');
  expect(code.get('b')).toBe('export const b = (x: number) => x;');
});
