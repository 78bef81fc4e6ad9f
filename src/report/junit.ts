/**
 * JUnit XML, so that CI systems show failing checks natively: one <testsuite> per lab exercise
 * (or, for a class, per student and exercise), one <testcase> per check.
 */
import type { CheckResult, GradeResult } from '../engine/model.js';

/** Escapes text for XML content and attributes, dropping characters XML 1.0 cannot hold. */
export function xmlEscape(text: string): string {
  return text
    .replace(/[^\x09\x0A\x0D\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, '')
    .replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);
}

interface Suite {
  name: string;
  checks: CheckResult[];
}

function testcase(suite: string, check: CheckResult): string {
  const head = `    <testcase classname="${xmlEscape(suite)}" name="${xmlEscape(check.id)}" time="${(check.durationMs / 1000).toFixed(3)}"`;
  const text = check.diagnosis ? `${check.message}\nLikely mistake: ${check.diagnosis.message}` : check.message;
  const summary = xmlEscape(text.split('\n')[0]);
  switch (check.status) {
    case 'passed':
      return `${head}/>`;
    case 'failed':
      return `${head}>\n      <failure message="${summary}">${xmlEscape(text)}</failure>\n    </testcase>`;
    case 'skipped':
      return `${head}>\n      <skipped message="${summary}"/>\n    </testcase>`;
    default:
      return `${head}>\n      <error type="${check.status}" message="${summary}">${xmlEscape(text)}</error>\n    </testcase>`;
  }
}

function counts(checks: readonly CheckResult[]) {
  return {
    tests: checks.length,
    failures: checks.filter((c) => c.status === 'failed').length,
    errors: checks.filter((c) => c.status === 'error' || c.status === 'timeout').length,
    skipped: checks.filter((c) => c.status === 'skipped').length,
    time: (checks.reduce((s, c) => s + c.durationMs, 0) / 1000).toFixed(3),
  };
}

function attributes(c: ReturnType<typeof counts>): string {
  return `tests="${c.tests}" failures="${c.failures}" errors="${c.errors}" skipped="${c.skipped}" time="${c.time}"`;
}

function suitesOf(result: GradeResult, prefix: string): Suite[] {
  return result.labs.flatMap((lab) => lab.exercises.map((ex) => ({ name: `${prefix}${lab.id}.${ex.id}`, checks: ex.checks })));
}

function render(name: string, suites: Suite[]): string {
  const all = suites.flatMap((s) => s.checks);
  const body = suites.map((s) => `  <testsuite name="${xmlEscape(s.name)}" ${attributes(counts(s.checks))}>\n${s.checks.map((c) => testcase(s.name, c)).join('\n')}\n  </testsuite>`);
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="${xmlEscape(name)}" ${attributes(counts(all))}>\n${body.join('\n')}\n</testsuites>\n`;
}

function studentName(result: GradeResult): string {
  return result.student?.id ?? result.submission.path.split('/').pop() ?? 'submission';
}

export function renderJunit(result: GradeResult): string {
  return render(`labgrade: ${studentName(result)}`, suitesOf(result, ''));
}

/** One file for a whole class: suites are named "<student>.<lab>.<exercise>". */
export function renderClassJunit(results: readonly GradeResult[]): string {
  return render('labgrade: class', results.flatMap((r) => suitesOf(r, `${studentName(r)}.`)));
}
