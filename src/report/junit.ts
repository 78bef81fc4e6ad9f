/**
 * JUnit XML, so that CI systems show failing checks natively: one <testsuite> per lab exercise
 * (or, for a class, per student and exercise), one <testcase> per check.
 */
import path from 'node:path';
import type { CheckResult, GradeResult } from '../contract/result.js';

/** Escapes text for XML content and attributes, dropping characters XML 1.0 cannot hold. */
export function xmlEscape(text: string): string {
  return text
    .replace(/[^\x09\x0A\x0D\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, '')
    .replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);
}

interface Case {
  id: string;
  status: CheckResult['status'] | 'missing';
  message: string;
  durationMs: number;
}

interface Suite {
  name: string;
  cases: Case[];
}

function testcase(suite: string, c: Case): string {
  const head = `    <testcase classname="${xmlEscape(suite)}" name="${xmlEscape(c.id)}" time="${(c.durationMs / 1000).toFixed(3)}"`;
  const summary = xmlEscape(c.message.split('\n')[0]);
  switch (c.status) {
    case 'passed':
      return `${head}/>`;
    case 'failed':
      return `${head}>\n      <failure message="${summary}">${xmlEscape(c.message)}</failure>\n    </testcase>`;
    case 'skipped':
      return `${head}>\n      <skipped message="${summary}"/>\n    </testcase>`;
    default:
      return `${head}>\n      <error type="${c.status}" message="${summary}">${xmlEscape(c.message)}</error>\n    </testcase>`;
  }
}

function counts(cases: readonly Case[]) {
  return {
    tests: cases.length,
    failures: cases.filter((c) => c.status === 'failed').length,
    errors: cases.filter((c) => c.status === 'error' || c.status === 'timeout' || c.status === 'missing').length,
    skipped: cases.filter((c) => c.status === 'skipped').length,
    time: (cases.reduce((s, c) => s + c.durationMs, 0) / 1000).toFixed(3),
  };
}

function attributes(c: ReturnType<typeof counts>): string {
  return `tests="${c.tests}" failures="${c.failures}" errors="${c.errors}" skipped="${c.skipped}" time="${c.time}"`;
}

/**
 * A check that was not run because its exercise is missing or broken (a compile error, say) is an
 * error in CI's eyes, with the exercise's whole message; a skip would hide it.
 */
function suitesOf(result: GradeResult, prefix: string): Suite[] {
  return result.labs.flatMap((lab) =>
    lab.exercises.map((ex) => ({
      name: `${prefix}${lab.id}.${ex.id}`,
      cases: ex.checks.map((check): Case => {
        const broken = check.status === 'skipped' && (ex.status === 'error' || ex.status === 'missing');
        const message = broken ? (lab.message ?? ex.message ?? check.message) : check.diagnosis ? `${check.message}\nLikely mistake: ${check.diagnosis.message}` : check.message;
        return { id: check.id, status: broken ? (ex.status as Case['status']) : check.status, message, durationMs: check.durationMs };
      }),
    })),
  );
}

function render(name: string, suites: Suite[]): string {
  const all = suites.flatMap((s) => s.cases);
  const body = suites.map((s) => `  <testsuite name="${xmlEscape(s.name)}" ${attributes(counts(s.cases))}>\n${s.cases.map((c) => testcase(s.name, c)).join('\n')}\n  </testsuite>`);
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="${xmlEscape(name)}" ${attributes(counts(all))}>\n${body.join('\n')}\n</testsuites>\n`;
}

export function renderJunit(result: GradeResult): string {
  return render(`labgrade: ${result.student?.id ?? path.basename(result.submission.path)}`, suitesOf(result, ''));
}

/** One file for a whole class: suites are named "<folder>.<lab>.<exercise>"; a student that could not be graded is one error. */
export function renderClassJunit(students: readonly { folder: string; result?: GradeResult; ungradable?: { reason: string } }[]): string {
  const suites = students.flatMap((s): Suite[] =>
    s.result ? suitesOf(s.result, `${s.folder}.`) : [{ name: s.folder, cases: [{ id: `${s.folder}/ungradable`, status: 'error', message: s.ungradable?.reason ?? 'not graded', durationMs: 0 }] }],
  );
  return render('labgrade: class', suites);
}
