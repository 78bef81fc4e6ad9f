/**
 * A hidden check's detail (how it failed, a diagnosis, what a judge measured) is the instructor's:
 * result.json carries it, and no report a student reads renders any of it.
 */
import { expect, test } from '@jest/globals';
import type { CheckResult, GradeResult } from '../../src/contract/result.js';
import { validateResult } from '../../src/report/result-json.js';
import { renderHtml, renderMarkdown } from '../../src/report/templates.js';
import { toGradescope } from '../../src/report/gradescope.js';
import { renderJunit } from '../../src/report/junit.js';
import { renderCheckFeedback } from '../../src/report/terminal.js';
import { english, msg } from '../../src/i18n/messages.js';

const SECRET_WORDS = ['SECRET-detail', 'SECRET-diagnosis', 'secret-mistake', '0.9876', '1.2345'];

const publicCheck: CheckResult = { id: 'model/course-recipe', status: 'failed', passed: false, public: true, description: 'the course recipe', message: 'The cost does not fall.', points: 0, maxPoints: 25, durationMs: 10 };
const hiddenCheck: CheckResult = {
  id: 'model/hidden-1',
  status: 'failed',
  passed: false,
  public: false,
  description: 'hidden check',
  message: english(msg('check.hidden-failed')),
  messageRef: msg('check.hidden-failed'),
  points: 0,
  maxPoints: 25,
  durationMs: 0,
  hiddenDetail: {
    status: 'timeout',
    message: 'SECRET-detail',
    diagnosis: { mistake: 'secret-mistake', message: 'SECRET-diagnosis' },
    metrics: { trainAccuracy: 0.98765, testAccuracy: 0.98765, costs: [1.2345], epochs: 1, durationMs: 5 },
  },
};

const result: GradeResult = {
  schemaVersion: 1,
  labgradeVersion: '0.0.0',
  gradedAt: '2026-01-01T00:00:00.000Z',
  durationMs: 10,
  checks: 'all',
  student: { id: 's1' },
  submission: { path: '/s1', contentHash: '0'.repeat(64), files: [], absent: [] },
  sandbox: { kind: 'bwrap' },
  environment: { node: 'v20', platform: 'linux', arch: 'x64' },
  labs: [
    {
      id: 'conv-application',
      title: 'Convolution application',
      file: 'conv-application.ts',
      status: 'graded',
      points: 0,
      maxPoints: 50,
      durationMs: 10,
      exercises: [{ id: 'model', title: 'model', graded: true, status: 'failed', points: 0, maxPoints: 50, checks: [publicCheck, hiddenCheck] }],
    },
  ],
  total: { points: 0, maxPoints: 50 },
};

test('result.json keeps a hidden check’s detail; the reports, Gradescope’s results, JUnit and the terminal show none of it', async () => {
  expect(() => validateResult(result, 'result.json')).not.toThrow();
  expect(JSON.stringify(result)).toContain('SECRET-detail');
  const rendered = {
    'report.md (en)': renderMarkdown(result, 'en'),
    'report.md (zh)': renderMarkdown(result, 'zh'),
    'report.html': await renderHtml(result),
    'Gradescope results.json': JSON.stringify(toGradescope(result)),
    'junit.xml': renderJunit(result),
    terminal: renderCheckFeedback(result.labs[0]),
  };
  const leaks = Object.entries(rendered).flatMap(([name, text]) => SECRET_WORDS.filter((word) => text.includes(word)).map((word) => `${name} shows ${word}`));
  expect(leaks).toEqual([]);
  // What they do show of it: not passed.
  expect(rendered['report.md (en)']).toContain('Not passed.');
});
