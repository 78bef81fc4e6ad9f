import { expect, test } from '@jest/globals';
import { openSubmission } from '../../src/engine/grade-submission.js';
import { readStudent } from '../../src/submission/student.js';
import { makeSubmission } from '../grading/submissions.js';

test("a student.json that starts with a byte-order mark (Notepad's UTF-8) is read, and bad JSON still says where", () => {
  const withBom = makeSubmission({ 'student.json': '\uFEFF{"id": "s1", "name": "Ada"}' });
  expect(readStudent(openSubmission(withBom))).toMatchObject({ id: 's1', name: 'Ada' });
  const broken = makeSubmission({ 'student.json': '\uFEFF{"id": ' });
  expect(() => readStudent(openSubmission(broken))).toThrow(/student\.json is not valid JSON/);
});

test('an id may not start with a hyphen: a spreadsheet reads "-2" as a number, and escaping it would change the id an LMS matches on', () => {
  const dashed = makeSubmission({ 'student.json': '{"id": "-2"}' });
  expect(() => readStudent(openSubmission(dashed))).toThrow(/id/);
  expect(readStudent(openSubmission(makeSubmission({ 'student.json': '{"id": "s-2.x_1"}' })))).toMatchObject({ id: 's-2.x_1' });
});
